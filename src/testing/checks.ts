/**
 * The conformance kit's checks, one function each; src/testing/index.ts declares them as `node:test` tests. Each
 * can fail for some tracker (test/testing/fixtures/broken_trackers.ts has one for each).
 */
import assert from 'node:assert/strict';
import { isTrackerClass, Tracker } from '../trackers/tracker.js';
import { blockingMeasure, measureBlocking } from './blocked_time.js';
import { assertFiles, assertMetrics, assertParams, assertTags } from './compare.js';
import { logEverything, logSeries, TINY_PNG } from './logged.js';
import type { Files } from './logged.js';
import type { ConformanceContext, ConformanceOptions } from './types.js';

/** What each check of the kit works with. */
export interface Kit<T extends Tracker> {
  options: ConformanceOptions<T>;
  finiteOnly: boolean;
  maxLogCallMs: number;
  /** A new tracker from the factory; a hook written as a class field is explained. */
  build(): Promise<T>;
  /** Where a run of `tracker` logs. */
  run(tracker: T, runId?: string): ConformanceContext<T>;
  files(): Files;
  /** `settled`, or a failure naming `hook` when it does not settle within the kit's timeout. */
  within<R>(hook: string, settled: R | Promise<R>): Promise<R>;
}

/**
 * `settled`'s value, or a failure naming `hook` when it does not settle within `ms`: a tracker that hangs is told
 * where (`my_tracker: end() did not settle within 10000 ms`), which node:test's timeout cannot say.
 */
export async function settlesWithin<R>(name: string, hook: string, settled: R | Promise<R>, ms: number): Promise<R> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const message = `${name}: ${hook} did not settle within ${ms} ms; it hangs (a promise that never settles?)`;
      reject(new assert.AssertionError({ message }));
    }, ms);
  });
  try {
    return await Promise.race([settled, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

type ReadBack<T extends Tracker> = NonNullable<ConformanceOptions<T>['readBack']>;

const LOG_HOOKS = ['logTag', 'logAsset', 'logImage', 'logFigure', 'logMetric', 'logParam'] as const;
type LogHook = (typeof LOG_HOOKS)[number];
/** Every property the base class guards on each instance: the hooks and the bulk helpers. */
const GUARDED = ['start', ...LOG_HOOKS, 'flush', 'end', 'logMetrics', 'logParams', 'logTags'] as const;

/** How many times the kit calls each log hook to measure it; a hook blocks when most of its calls do. */
const CALLS_MEASURED = 3;

/**
 * The plugin's own implementation of each log hook: the function the base class calls, found below
 * `Tracker.prototype` on the prototype chain.
 */
function pluginHooks(tracker: Tracker): Map<LogHook, (...args: unknown[]) => unknown> {
  const found = new Map<LogHook, (...args: unknown[]) => unknown>();
  for (const hook of LOG_HOOKS) {
    for (let proto = Object.getPrototypeOf(tracker) as object | null; proto; proto = Object.getPrototypeOf(proto)) {
      if (proto === Tracker.prototype || proto === Object.prototype) break;
      const descriptor = Object.getOwnPropertyDescriptor(proto, hook);
      if (typeof descriptor?.value === 'function') {
        found.set(hook, descriptor.value as (...args: unknown[]) => unknown);
        break;
      }
    }
  }
  return found;
}

const HOOK_ARGUMENTS = (files: Files): Record<LogHook, unknown[]> => ({
  logTag: ['probe', 'value'],
  logAsset: ['probe-asset', files.asset],
  logImage: ['probe-image', files.image],
  logFigure: ['probe-figure', TINY_PNG],
  logMetric: ['probe', 1, 0],
  logParam: ['probe', 1],
});

function isThenable(value: unknown): boolean {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

/** One run with everything logged (and the long series, flushed half way), ended, then read back. */
async function readBackEverything<T extends Tracker>(kit: Kit<T>, read: ReadBack<T>) {
  const tracker = await kit.build();
  const run = kit.run(tracker);
  await kit.within('start()', tracker.start(run.runId, run.logdir));
  const expected = logEverything(tracker, kit.files(), kit.finiteOnly);
  expected.metrics.push(...(await logSeries(tracker)));
  await kit.within('end()', tracker.end());
  return { expected, record: await kit.within('readBack', read(run)) };
}

export async function checkFactory<T extends Tracker>(kit: Kit<T>): Promise<void> {
  const first = await kit.build();
  assert.ok(isTrackerClass(first.constructor), `${first.constructor.name} does not extend Tracker`);
  assert.equal(first.state, 'idle');
  const second = await kit.build();
  assert.notEqual(second, first, 'the factory must return a new tracker each time');
}

export async function checkLifecycle<T extends Tracker>(kit: Kit<T>): Promise<void> {
  const tracker = await kit.build();
  const run = kit.run(tracker);
  await kit.within('start()', tracker.start(run.runId, run.logdir));
  assert.equal(tracker.state, 'started');
  logEverything(tracker, kit.files(), kit.finiteOnly);
  await kit.within('flush()', tracker.flush());
  await kit.within('end()', tracker.end());
  assert.equal(tracker.state, 'ended');
  await kit.within('afterLifecycle', kit.options.afterLifecycle?.(run));
}

/**
 * Each log hook is called CALLS_MEASURED times: once as the plugin wrote it (to see whether it returns a
 * promise), then as callers call it. A hook blocks when most of its calls block the thread over the limit: one
 * call over it may be a garbage collection.
 */
export async function checkLogCallsReturnAtOnce<T extends Tracker>(kit: Kit<T>): Promise<void> {
  const tracker = await kit.build();
  const run = kit.run(tracker);
  await kit.within('start()', tracker.start(run.runId, run.logdir));
  const slow: string[] = [];
  const asynchronous: string[] = [];
  const args = HOOK_ARGUMENTS(kit.files());
  const own = pluginHooks(tracker);
  for (const hook of LOG_HOOKS) {
    const blocked: number[] = [];
    const implementation = own.get(hook);
    if (implementation) {
      const { result, blockedMs } = measureBlocking(() => implementation.apply(tracker, args[hook]));
      blocked.push(blockedMs);
      if (isThenable(result)) {
        asynchronous.push(hook);
        // Its failure is not this check's to report (nor a thenable's then() that throws).
        Promise.resolve(result).catch(() => {});
      }
    }
    while (blocked.length < CALLS_MEASURED) {
      blocked.push(measureBlocking(() => (tracker[hook] as (...a: unknown[]) => unknown)(...args[hook])).blockedMs);
    }
    const over = blocked.filter((ms) => ms > kit.maxLogCallMs);
    if (over.length * 2 > CALLS_MEASURED) slow.push(`${hook} (${blocked.map(Math.round).join(', ')} ms)`);
  }
  await kit.within('end()', tracker.end());
  assert.deepEqual(asynchronous, [], 'these log hooks return a promise: buffer the work and send it on flush()');
  assert.deepEqual(
    slow,
    [],
    `these log calls block the event loop (measured as ${blockingMeasure()}): ` +
      'buffer the work and send it on flush() or a timer',
  );
}

export async function checkMetricsReadBack<T extends Tracker>(kit: Kit<T>, readBack: ReadBack<T>): Promise<void> {
  const { expected, record } = await readBackEverything(kit, readBack);
  assert.ok(record.metrics !== undefined, 'readBack returned no metrics: a tracker backend must record metrics');
  assertMetrics(record.metrics, expected.metrics, kit.options.float32 ?? false);
}

export async function checkOthersReadBack<T extends Tracker>(kit: Kit<T>, readBack: ReadBack<T>): Promise<void> {
  const { expected, record } = await readBackEverything(kit, readBack);
  if (record.params) assertParams(record.params, expected.params);
  if (record.tags) assertTags(record.tags, expected.tags);
  if (record.files) assertFiles(record.files, expected.files);
}

/**
 * The base class drops calls before `start` and after `end` (warning once), checks arguments and resolves steps,
 * but only for callers that get its guards: a constructor that returns a Proxy (or any wrapper) serving the
 * plugin's methods raw bypasses all of it. The guards are the instance's own accessors, which no wrapper can hide.
 * This is all a plugin can get wrong here: the guards themselves are the base class's (non-configurable, tested
 * with gymnos in test/trackers/tracker.test.ts), so calls outside the run are not made again here, nor read back.
 */
export async function checkGuardsServeTheHooks<T extends Tracker>(kit: Kit<T>): Promise<void> {
  const tracker = await kit.build();
  const bypassed = GUARDED.filter((hook) => {
    const descriptor = Object.getOwnPropertyDescriptor(tracker, hook);
    return typeof descriptor?.get !== 'function' || tracker[hook] !== descriptor.get.call(tracker);
  });
  assert.deepEqual(
    bypassed,
    [],
    "these hooks, as callers get them, are not the base class's guards (a constructor returning a Proxy?): " +
      'calls before start, after end or with bad arguments reach the plugin',
  );
}

export async function checkEndSendsEverything<T extends Tracker>(kit: Kit<T>): Promise<void> {
  const tracker = await kit.build();
  const run = kit.run(tracker);
  await kit.within('start()', tracker.start(run.runId, run.logdir));
  tracker.logMetric('loss', 1);
  const first = tracker.end();
  assert.equal(tracker.end(), first, 'a second end() returns the same promise');
  await kit.within('end()', first);
  const readBack = kit.options.readBack;
  if (!readBack) return;
  // A copy: a read-back may hand out the backend's live objects, which would change along with it.
  const atEnd = structuredClone(await kit.within('readBack', readBack(run)));
  assert.ok(
    (atEnd.metrics ?? []).some((metric) => metric.name === 'loss'),
    'the metric logged before end() is not in the backend once end() has resolved',
  );
  // Anything still on its way (a send end() did not wait for) arrives in this time.
  await new Promise((resolve) => setTimeout(resolve, 50));
  await kit.within('end()', tracker.end());
  assert.deepEqual(await kit.within('readBack', readBack(run)), atEnd, 'the backend changed after end() had resolved');
}

export async function checkArguments<T extends Tracker>(kit: Kit<T>): Promise<void> {
  const tracker = await kit.build();
  const run = kit.run(tracker);
  await kit.within('start()', tracker.start(run.runId, run.logdir));
  assert.throws(() => tracker.logMetric('loss', '0.5' as unknown as number), {
    name: 'TypeError',
    message: /"loss"/,
  });
  assert.throws(() => tracker.logMetrics({ text: 'abc' as unknown as number }), {
    name: 'TypeError',
    message: /"text"/,
  });
  assert.throws(() => tracker.logTag(42 as unknown as string, 'x'), { name: 'TypeError' });
  await kit.within('end()', tracker.end());
}
