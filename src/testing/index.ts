/**
 * The conformance kit (`gymnos/testing`): drives a tracker through the whole Tracker contract with `node:test`
 * and checks what reached its backend, so a plugin's test is one call:
 *
 *   describeTrackerConformance('my_tracker', () => load('my_tracker'), {
 *     readBack: ({ logdir, runId }) => readWhatMyBackendHas(logdir, runId),
 *   });
 *
 * Every check can fail for some tracker: the base class gives every tracker its lifecycle and argument checks,
 * so the kit proves what only the plugin can get wrong. What was logged must be read back from the backend
 * (through `readBack`, the plugin's own reader of the files or requests it produced); log hooks must return at
 * once (no promise, no blocking); `start`, `flush` and `end` must settle; nothing logged before `start` or
 * after `end` may reach the backend. Without a `readBack` the read-back checks are `todo` tests: green, but
 * listed as to do in every run. docs/api.md says what the kit proves and what it does not.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { explainConstructionError, isTrackerClass, Tracker } from '../trackers/tracker.js';

/** A valid 1x1 PNG, for logImage and logFigure. */
export const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

export const TINY_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>';

export const VEGA_LITE_SPEC = {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  data: { values: [{ x: 1, y: 2 }] },
  mark: 'line',
  encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
};

export const PLOTLY_FIGURE = { data: [{ x: [1, 2], y: [3, 4], type: 'scatter' }], layout: { title: 'loss' } };

export interface ConformanceContext<T extends Tracker> {
  tracker: T;
  /** The directory given to `start` as `logdir`. */
  logdir: string;
  /** The run id given to `start`. */
  runId: string;
}

/**
 * What the backend holds for the run, as the plugin reads it back. Leave out a kind the backend does not
 * record (a metrics-only backend returns only `metrics`): the kit then does not check it. A kind returned is
 * checked in full, so a tracker that drops what it was given fails.
 */
export interface BackendRecord {
  metrics?: ReadonlyArray<{ name: string; step: number; value: number }>;
  /** Values as the backend keeps them: the JSON value, or its JSON text (backends that store strings). */
  params?: Readonly<Record<string, unknown>>;
  tags?: Readonly<Record<string, string>>;
  /** The names (or paths holding the names) of the assets, images and figures the backend received. */
  files?: readonly string[];
}

export interface ConformanceOptions<T extends Tracker> {
  /** Reads back what reached the backend once the run has ended; see BackendRecord. */
  readBack?: (context: ConformanceContext<T>) => BackendRecord | Promise<BackendRecord>;
  /** A backend that cannot store NaN or ±Infinity: the kit then does not log them in the read-back run. */
  finiteOnly?: boolean;
  /** Extra checks once the full lifecycle has ended, e.g. on files the backend wrote. */
  afterLifecycle?: (context: ConformanceContext<T>) => void | Promise<void>;
  /** Per-test timeout in milliseconds (default 10 000): `start`, `flush` and `end` must settle within it. */
  timeout?: number;
  /** A log call that takes longer than this (default 250 ms) is waiting on I/O: the kit fails it. */
  maxLogCallMs?: number;
}

const LOG_HOOKS = ['logTag', 'logAsset', 'logImage', 'logFigure', 'logMetric', 'logParam'] as const;
type LogHook = (typeof LOG_HOOKS)[number];

const READ_BACK_TODO =
  'give describeTrackerConformance a readBack option that reads what reached the backend (see docs/api.md)';

interface Files {
  asset: string;
  image: string;
}

interface Expected {
  metrics: Array<{ name: string; step: number; value: number }>;
  params: Record<string, unknown>;
  tags: Record<string, string>;
  files: string[];
}

/**
 * The plugin's own implementation of each log hook: the function the base class calls, found below
 * `Tracker.prototype` on the prototype chain, or an own property (a hook written as a class field).
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

/** Logs one of everything the contract allows; returns what a faithful backend then holds. */
function logEverything(tracker: Tracker, files: Files, finiteOnly: boolean): Expected {
  tracker.logTag('team', 'vision');
  tracker.logAsset('config', files.asset);
  tracker.logImage('sample', files.image);
  tracker.logFigure('png', TINY_PNG);
  tracker.logFigure('svg', TINY_SVG);
  tracker.logFigure('vega', VEGA_LITE_SPEC);
  tracker.logFigure('plotly', PLOTLY_FIGURE);
  tracker.logMetric('loss', 0.5);
  tracker.logMetric('loss', 0.25, 10);
  tracker.logMetric('loss', 0.125);
  const metrics = [
    { name: 'loss', step: 0, value: 0.5 },
    { name: 'loss', step: 10, value: 0.25 },
    { name: 'loss', step: 11, value: 0.125 },
  ];
  if (!finiteOnly) {
    tracker.logMetric('nan', Number.NaN);
    tracker.logMetric('inf', Number.POSITIVE_INFINITY);
    tracker.logMetric('ninf', Number.NEGATIVE_INFINITY);
    metrics.push(
      { name: 'nan', step: 0, value: Number.NaN },
      { name: 'inf', step: 0, value: Number.POSITIVE_INFINITY },
      { name: 'ninf', step: 0, value: Number.NEGATIVE_INFINITY },
    );
  }
  tracker.logParam('lr', 0.001);
  tracker.logParam('layers', [64, 32]);
  tracker.logParam('optimizer', { name: 'adam', beta: 0.9 });
  tracker.logMetrics({ accuracy: 0.9, curve: [1, 2, 3] }, { prefix: 'val', step: 3 });
  metrics.push(
    { name: 'val/accuracy', step: 3, value: 0.9 },
    { name: 'val/curve', step: 0, value: 1 },
    { name: 'val/curve', step: 1, value: 2 },
    { name: 'val/curve', step: 2, value: 3 },
  );
  tracker.logParams({ epochs: 10, dropout: null }, { prefix: 'train' });
  tracker.logTags({ owner: 'me', seed: 42 });
  return {
    metrics,
    params: {
      lr: 0.001,
      layers: [64, 32],
      optimizer: { name: 'adam', beta: 0.9 },
      'train/epochs': 10,
      'train/dropout': null,
    },
    tags: { team: 'vision', owner: 'me', seed: '42' },
    files: ['config', 'sample', 'png', 'svg', 'vega', 'plotly'],
  };
}

/** Equal as a backend may keep it: the same number, or the same float32 (TensorBoard's scalars). */
function sameNumber(got: number, want: number): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  return got === want || Math.fround(got) === Math.fround(want);
}

/** Equal as a backend may keep it: the JSON value itself, or its JSON text, or (for a string) the string. */
function sameParam(got: unknown, want: unknown): boolean {
  if (typeof got === 'string' && got === (typeof want === 'string' ? want : JSON.stringify(want))) return true;
  try {
    assert.deepStrictEqual(got, want);
    return true;
  } catch {
    return false;
  }
}

function describeMetric(metric: { name: string; step: number; value: number }): string {
  return `${metric.name}@${metric.step}=${metric.value}`;
}

/** Asserts every expected metric is in the record (extra ones, like a backend's own system metrics, are fine). */
function assertMetrics(record: BackendRecord['metrics'], expected: Expected['metrics']): void {
  assert.ok(Array.isArray(record), 'readBack returned no metrics array');
  const missing = expected.filter(
    (want) =>
      !record.some((got) => got.name === want.name && got.step === want.step && sameNumber(got.value, want.value)),
  );
  assert.deepEqual(
    missing.map(describeMetric),
    [],
    `metrics logged but not in the backend (it has: ${record.map(describeMetric).join(', ') || 'nothing'})`,
  );
}

/** A fresh temporary directory per test, with an asset and an image file to log. */
function useFiles(name: string): () => { dir: string; files: Files } {
  let dir: string;
  let files: Files;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), `gymnos-conformance-${name}-`));
    files = { asset: path.join(dir, 'config.json'), image: path.join(dir, 'sample.png') };
    await writeFile(files.asset, '{"lr": 0.001}\n');
    await writeFile(files.image, TINY_PNG);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return () => ({ dir, files });
}

/**
 * Runs `body` with GymnosWarnings captured instead of printed: the kit's deliberate misuse (a call before
 * `start`) must not print a warning that looks like a failure. Returns the warnings' codes.
 */
async function capturingWarnings(body: () => Promise<void>): Promise<string[]> {
  const codes: string[] = [];
  const original = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const options = rest[0];
    const type = typeof options === 'object' && options !== null ? (options as { type?: string }).type : options;
    const code = typeof options === 'object' && options !== null ? (options as { code?: string }).code : rest[1];
    const name = warning instanceof Error ? warning.name : type;
    if (name === 'GymnosWarning') codes.push(String(code ?? (warning instanceof Error ? '' : warning)));
    else (original as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    await body();
  } finally {
    process.emitWarning = original;
  }
  return codes;
}

/** What each check of the kit works with. */
interface Kit<T extends Tracker> {
  options: ConformanceOptions<T>;
  finiteOnly: boolean;
  maxLogCallMs: number;
  /** A new tracker from the factory; a hook written as a class field is explained. */
  build(): Promise<T>;
  /** Where a run of `tracker` logs. */
  run(tracker: T, runId?: string): ConformanceContext<T>;
  files(): Files;
}

type ReadBack<T extends Tracker> = NonNullable<ConformanceOptions<T>['readBack']>;

/** One run with everything logged, ended, then read back. */
async function readBackEverything<T extends Tracker>(kit: Kit<T>, read: ReadBack<T>) {
  const tracker = await kit.build();
  const run = kit.run(tracker);
  await tracker.start(run.runId, run.logdir);
  const expected = logEverything(tracker, kit.files(), kit.finiteOnly);
  await tracker.end();
  return { expected, record: await read(run) };
}

async function checkFactory<T extends Tracker>(kit: Kit<T>): Promise<void> {
  const first = await kit.build();
  assert.ok(isTrackerClass(first.constructor), `${first.constructor.name} does not extend Tracker`);
  assert.equal(first.state, 'idle');
  const second = await kit.build();
  assert.notEqual(second, first, 'the factory must return a new tracker each time');
}

async function checkLifecycle<T extends Tracker>(kit: Kit<T>): Promise<void> {
  const tracker = await kit.build();
  const run = kit.run(tracker);
  await tracker.start(run.runId, run.logdir);
  assert.equal(tracker.state, 'started');
  logEverything(tracker, kit.files(), kit.finiteOnly);
  await tracker.flush();
  await tracker.end();
  assert.equal(tracker.state, 'ended');
  await kit.options.afterLifecycle?.(run);
}

async function checkLogCallsReturnAtOnce<T extends Tracker>(kit: Kit<T>): Promise<void> {
  const tracker = await kit.build();
  const run = kit.run(tracker);
  await tracker.start(run.runId, run.logdir);
  const slow: string[] = [];
  const asynchronous: string[] = [];
  const args = HOOK_ARGUMENTS(kit.files());
  for (const [hook, implementation] of pluginHooks(tracker)) {
    const started = performance.now();
    const result = implementation.apply(tracker, args[hook]);
    const took = performance.now() - started;
    if (isThenable(result)) {
      asynchronous.push(hook);
      (result as Promise<unknown>).then(undefined, () => {}); // its failure is not this check's to report
    }
    if (took > kit.maxLogCallMs) slow.push(`${hook} (${Math.round(took)} ms)`);
  }
  // The public calls too, as a caller makes them (the hooks run under the base class's checks).
  for (const hook of LOG_HOOKS) {
    const started = performance.now();
    (tracker[hook] as (...a: unknown[]) => unknown)(...args[hook]);
    const took = performance.now() - started;
    if (took > kit.maxLogCallMs) slow.push(`${hook}() (${Math.round(took)} ms)`);
  }
  await tracker.end();
  assert.deepEqual(asynchronous, [], 'these log hooks return a promise: buffer the work and send it on flush()');
  assert.deepEqual(slow, [], 'these log calls wait on I/O: buffer the work and send it on flush() or a timer');
}

async function checkMetricsReadBack<T extends Tracker>(kit: Kit<T>, readBack: ReadBack<T>): Promise<void> {
  const { expected, record } = await readBackEverything(kit, readBack);
  assert.ok(record.metrics !== undefined, 'readBack returned no metrics: a tracker backend must record metrics');
  assertMetrics(record.metrics, expected.metrics);
}

async function checkOthersReadBack<T extends Tracker>(kit: Kit<T>, readBack: ReadBack<T>): Promise<void> {
  const { expected, record } = await readBackEverything(kit, readBack);
  if (record.params) {
    for (const [key, value] of Object.entries(expected.params)) {
      assert.ok(key in record.params, `param ${key} logged but not in the backend`);
      assert.ok(sameParam(record.params[key], value), `param ${key}: ${JSON.stringify(record.params[key])}`);
    }
  }
  if (record.tags) assert.deepEqual(pick(record.tags, Object.keys(expected.tags)), expected.tags);
  if (record.files) {
    const missing = expected.files.filter((file) => !record.files!.some((got) => got.includes(file)));
    assert.deepEqual(missing, [], `files logged but not in the backend (it has: ${record.files.join(', ')})`);
  }
}

async function checkOutsideTheRun<T extends Tracker>(kit: Kit<T>): Promise<void> {
  const tracker = await kit.build();
  const run = kit.run(tracker);
  const warnings = await capturingWarnings(async () => {
    tracker.logMetric('early', 1);
    tracker.logParam('early', 1);
    await tracker.start(run.runId, run.logdir);
    tracker.logMetric('loss', 1);
    await tracker.end();
    tracker.logMetric('late', 1);
    tracker.logTag('late', 'yes');
    await tracker.flush();
    await tracker.end();
  });
  assert.equal(tracker.state, 'ended');
  assert.deepEqual(warnings.sort(), ['GYMNOS_LOG_AFTER_END', 'GYMNOS_LOG_BEFORE_START']);
  if (!kit.options.readBack) return;
  const record = await kit.options.readBack(run);
  const names = (record.metrics ?? []).map((metric) => metric.name);
  assert.ok(names.includes('loss'), 'the metric logged while started is in the backend');
  assert.ok(!names.includes('early') && !names.includes('late'), `the backend received ${names.join(', ')}`);
  assert.ok(!record.params || !('early' in record.params), 'a param logged before start reached the backend');
  assert.ok(!record.tags || !('late' in record.tags), 'a tag logged after end reached the backend');
}

async function checkEndSendsEverything<T extends Tracker>(kit: Kit<T>): Promise<void> {
  const tracker = await kit.build();
  const run = kit.run(tracker);
  await tracker.start(run.runId, run.logdir);
  tracker.logMetric('loss', 1);
  const first = tracker.end();
  assert.equal(tracker.end(), first, 'a second end() returns the same promise');
  await first;
  const readBack = kit.options.readBack;
  if (!readBack) return;
  const atEnd = await readBack(run);
  assert.ok(
    (atEnd.metrics ?? []).some((metric) => metric.name === 'loss'),
    'the metric logged before end() is not in the backend once end() has resolved',
  );
  // Anything still on its way (a send end() did not wait for) arrives in this time.
  await new Promise((resolve) => setTimeout(resolve, 50));
  await tracker.end();
  assert.deepEqual(await readBack(run), atEnd, 'the backend changed after end() had resolved');
}

async function checkArguments<T extends Tracker>(kit: Kit<T>): Promise<void> {
  const tracker = await kit.build();
  const run = kit.run(tracker);
  await tracker.start(run.runId, run.logdir);
  assert.throws(() => tracker.logMetric('loss', '0.5' as unknown as number), {
    name: 'TypeError',
    message: /"loss"/,
  });
  assert.throws(() => tracker.logMetrics({ text: 'abc' as unknown as number }), {
    name: 'TypeError',
    message: /"text"/,
  });
  assert.throws(() => tracker.logTag(42 as unknown as string, 'x'), { name: 'TypeError' });
  await tracker.end();
}

/**
 * Declares a `node:test` suite named after the tracker. `factory` must return a new, unstarted tracker each
 * time it is called.
 */
export function describeTrackerConformance<T extends Tracker>(
  name: string,
  factory: () => T | Promise<T>,
  options: ConformanceOptions<T> = {},
): void {
  const timeout = options.timeout ?? 10_000;
  const maxLogCallMs = options.maxLogCallMs ?? 250;
  const { readBack } = options;
  const readingBack = { timeout, ...(readBack ? {} : { todo: READ_BACK_TODO }) };

  describe(`${name} conforms to the gymnos Tracker contract`, () => {
    const temp = useFiles(name);
    const kit: Kit<T> = {
      options,
      finiteOnly: options.finiteOnly ?? false,
      maxLogCallMs,
      build: async () => {
        try {
          return await factory();
        } catch (error) {
          throw explainConstructionError(error, name);
        }
      },
      run: (tracker, runId = 'conformance-run') => ({ tracker, logdir: path.join(temp().dir, 'logs'), runId }),
      files: () => temp().files,
    };
    it('the factory builds a new, idle Tracker subclass each time', () => checkFactory(kit));
    it('start, flush and end settle within the timeout, and end leaves the tracker ended', { timeout }, () =>
      checkLifecycle(kit),
    );
    it(`log hooks return at once: none returns a promise or takes more than ${maxLogCallMs} ms`, { timeout }, () =>
      checkLogCallsReturnAtOnce(kit),
    );
    it('every metric logged reaches the backend with its name, step and value (read back)', readingBack, () =>
      readBack ? checkMetricsReadBack(kit, readBack) : undefined,
    );
    it('params, tags and logged files reach the backend (read back)', readingBack, () =>
      readBack ? checkOthersReadBack(kit, readBack) : undefined,
    );
    it('calls before start and after end never reach the backend, and are warned about once', { timeout }, () =>
      checkOutsideTheRun(kit),
    );
    it(
      'end() resolves once everything is sent: later, and after a second end(), the backend holds the same',
      { timeout },
      () => checkEndSendsEverything(kit),
    );
    it("the base class's argument checks hold: no hook bypasses them", { timeout }, () => checkArguments(kit));
  });
}

function pick(record: Readonly<Record<string, string>>, keys: readonly string[]): Record<string, string> {
  return Object.fromEntries(keys.filter((key) => key in record).map((key) => [key, record[key]!]));
}
