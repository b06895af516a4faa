import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { Tracker } from '../../src/index.js';
import type { Figure } from '../../src/index.js';
import { TINY_PNG, TINY_SVG, PLOTLY_FIGURE, VEGA_LITE_SPEC } from '../../src/testing/index.js';
import { explainConstructionError, isTrackerClass } from '../../src/trackers/tracker.js';

/** Records every hook call, in order. */
class Recorder extends Tracker {
  calls: unknown[][] = [];

  override start(runId: string, logdir: string) {
    this.calls.push(['start', runId, logdir]);
  }
  override logTag(key: string, value: string) {
    this.calls.push(['logTag', key, value]);
  }
  override logFigure(name: string, figure: Figure) {
    this.calls.push(['logFigure', name, figure]);
  }
  override logMetric(name: string, value: number, step = 0) {
    this.calls.push(['logMetric', name, value, step]);
  }
  override logParam(name: string, value: unknown) {
    this.calls.push(['logParam', name, value]);
  }
  override async flush() {
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.calls.push(['flush']);
  }
  override async end(error?: unknown) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.calls.push(['end', error]);
  }
  metricCalls() {
    return this.calls.filter((call) => call[0] === 'logMetric').map((call) => call.slice(1));
  }
}

async function started(options = {}) {
  const tracker = new Recorder(options);
  await tracker.start('run-1', '/tmp/logs');
  tracker.calls.length = 0;
  return tracker;
}

/** Collects the process warnings emitted while `run` runs. */
async function warningsDuring(run: () => unknown): Promise<(Error & { code?: string })[]> {
  const seen: (Error & { code?: string })[] = [];
  const listener = (warning: Error) => seen.push(warning);
  process.on('warning', listener);
  try {
    await run();
    await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
  } finally {
    process.off('warning', listener);
  }
  return seen;
}

describe('Tracker base class', () => {
  test('every hook is optional: the bare base class runs the whole lifecycle', async () => {
    const tracker = new Tracker();
    await tracker.start('run', '/tmp/x');
    tracker.logTag('a', 'b');
    tracker.logAsset('a', '/tmp/file');
    tracker.logImage('a', '/tmp/file.png');
    tracker.logFigure('a', TINY_PNG);
    tracker.logMetric('a', 1);
    tracker.logParam('a', 1);
    await tracker.flush();
    await tracker.end();
    assert.equal(tracker.state, 'ended');
  });

  test('start, flush and end may be async and are awaited; end flushes first', async () => {
    const tracker = await started();
    tracker.logMetric('loss', 1);
    await tracker.end();
    assert.deepEqual(tracker.calls, [['logMetric', 'loss', 1, 0], ['flush'], ['end', undefined]]);
  });

  test('log calls return at once (undefined, not a promise)', async () => {
    const tracker = await started();
    assert.equal(tracker.logMetric('loss', 1), undefined);
    assert.equal(tracker.logParam('lr', 1), undefined);
    assert.equal(tracker.logTag('k', 'v'), undefined);
  });

  test('end is idempotent: the second call returns the same promise and calls no hook', async () => {
    const tracker = await started();
    const first = tracker.end(new Error('boom'));
    const second = tracker.end();
    assert.equal(first, second);
    await first;
    await tracker.end();
    assert.equal(tracker.calls.filter((call) => call[0] === 'end').length, 1);
    assert.equal(tracker.calls.filter((call) => call[0] === 'flush').length, 1);
    assert.equal((tracker.calls.at(-1)![1] as Error).message, 'boom');
  });

  test('log calls before start are ignored, with one GymnosWarning per tracker', async () => {
    const tracker = new Recorder();
    const warnings = await warningsDuring(() => {
      tracker.logMetric('early', 1);
      tracker.logParam('early', 1);
    });
    assert.deepEqual(tracker.calls, []);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.name, 'GymnosWarning');
    assert.equal(warnings[0]!.code, 'GYMNOS_LOG_BEFORE_START');
    assert.match(warnings[0]!.message, /logMetric\(\) was called before start\(\)/);
  });

  test('log calls after end are ignored, one GymnosWarning per tracker; flush after end does nothing', async () => {
    const tracker = await started();
    await tracker.end();
    tracker.calls.length = 0;
    const warnings = await warningsDuring(async () => {
      tracker.logMetric('late', 1);
      tracker.logTag('late', 'x');
      await tracker.flush();
    });
    assert.deepEqual(tracker.calls, []);
    assert.deepEqual(
      warnings.map((w) => w.code),
      ['GYMNOS_LOG_AFTER_END'],
    );
  });

  test("this.flush() in a plugin's own end() flushes what end() buffered; after end, flush() is a no-op", async () => {
    /** Buffers every event and sends it on flush; its end() records a closing event and flushes it. */
    class ClosingEvent extends Tracker {
      buffered: string[] = [];
      sent: string[] = [];
      override logMetric(name: string, value: number) {
        this.buffered.push(`${name}=${value}`);
      }
      override flush() {
        this.sent.push(...this.buffered.splice(0));
      }
      override async end() {
        await new Promise((resolve) => setTimeout(resolve, 5));
        this.buffered.push('run-ended');
        await this.flush();
      }
    }
    const tracker = new ClosingEvent();
    await tracker.start('run-1', '/tmp/logs');
    tracker.logMetric('loss', 1);
    const ending = tracker.end();
    assert.equal(tracker.state, 'ended');
    await tracker.flush(); // a caller's flush while end() runs is the plugin's to serve: it may flush
    await ending;
    assert.deepEqual(tracker.sent, ['loss=1', 'run-ended']);
    tracker.buffered.push('stray');
    await tracker.flush();
    assert.deepEqual(tracker.sent, ['loss=1', 'run-ended'], 'flush() after end() has settled reaches no hook');
  });

  test('end before start calls no hook', async () => {
    const tracker = new Recorder();
    await tracker.end();
    assert.deepEqual(tracker.calls, []);
    assert.equal(tracker.state, 'ended');
  });

  test('a second start is ignored with a warning', async () => {
    const tracker = await started();
    const warnings = await warningsDuring(() => tracker.start('run-2', '/tmp/other'));
    assert.deepEqual(tracker.calls, []);
    assert.equal(warnings[0]!.code, 'GYMNOS_RESTART');
  });

  test('start checks its arguments', () => {
    assert.throws(() => new Recorder().start('', '/tmp'), { name: 'TypeError', message: /runId/ });
    assert.throws(() => new Recorder().start('run', 42 as unknown as string), { name: 'TypeError', message: /logdir/ });
  });

  test('an explicit step wins; otherwise a per-metric counter supplies the next step', async () => {
    const tracker = await started();
    tracker.logMetric('loss', 1);
    tracker.logMetric('loss', 2);
    tracker.logMetric('acc', 3);
    tracker.logMetric('loss', 4, 10);
    tracker.logMetric('loss', 5);
    tracker.logMetric('loss', 6, 0);
    assert.deepEqual(tracker.metricCalls(), [
      ['loss', 1, 0],
      ['loss', 2, 1],
      ['acc', 3, 0],
      ['loss', 4, 10],
      ['loss', 5, 11],
      ['loss', 6, 0],
    ]);
  });

  test('each tracker keeps its own step counters', async () => {
    const a = await started();
    const b = await started();
    a.logMetric('loss', 1);
    a.logMetric('loss', 1);
    b.logMetric('loss', 1);
    assert.deepEqual(b.metricCalls(), [['loss', 1, 0]]);
  });

  test('a metric that is not a number is a TypeError naming it; NaN and ±Infinity pass through', async () => {
    const tracker = await started();
    for (const bad of ['0.5', null, undefined, 1n, [1], { v: 1 }, true]) {
      assert.throws(() => tracker.logMetric('loss', bad as unknown as number), {
        name: 'TypeError',
        message: /logMetric\("loss"\): value must be a number/,
      });
    }
    tracker.logMetric('nan', Number.NaN);
    tracker.logMetric('inf', Infinity);
    tracker.logMetric('ninf', -Infinity);
    const values = tracker.metricCalls().map((call) => call[1]);
    assert.ok(Number.isNaN(values[0]));
    assert.deepEqual(values.slice(1), [Infinity, -Infinity]);
  });

  test('a step that is not a non-negative integer is a TypeError', async () => {
    const tracker = await started();
    for (const bad of [-1, 1.5, Number.NaN, '3']) {
      assert.throws(() => tracker.logMetric('loss', 1, bad as number), { name: 'TypeError', message: /step/ });
    }
  });

  test('logMetrics logs a list at steps 0..n-1 and a scalar at the given step, with a prefix', async () => {
    const tracker = await started();
    tracker.logMetrics(
      { curve: [0.5, 0.25, 0.125], acc: 0.9, typed: new Float32Array([1, 2]) },
      { prefix: 'val', step: 7 },
    );
    assert.deepEqual(tracker.metricCalls(), [
      ['val/curve', 0.5, 0],
      ['val/curve', 0.25, 1],
      ['val/curve', 0.125, 2],
      ['val/acc', 0.9, 7],
      ['val/typed', 1, 0],
      ['val/typed', 2, 1],
    ]);
  });

  test('logMetrics never treats a string as a list', async () => {
    const tracker = await started();
    assert.throws(() => tracker.logMetrics({ loss: '123' as unknown as number }), {
      name: 'TypeError',
      message: /"loss"/,
    });
    assert.deepEqual(tracker.metricCalls(), []);
  });

  test('logParams and logTags log each entry with the prefix; tag values become strings', async () => {
    const tracker = await started();
    tracker.logParams({ lr: 0.1, layers: [1, 2] }, { prefix: 'opt' });
    tracker.logTags({ seed: 42, debug: true, owner: 'me' });
    assert.deepEqual(tracker.calls, [
      ['logParam', 'opt/lr', 0.1],
      ['logParam', 'opt/layers', [1, 2]],
      ['logTag', 'seed', '42'],
      ['logTag', 'debug', 'true'],
      ['logTag', 'owner', 'me'],
    ]);
  });

  test('logParam rejects values JSON cannot carry', async () => {
    const tracker = await started();
    assert.throws(() => tracker.logParam('fn', (() => 1) as never), { name: 'TypeError', message: /"fn"/ });
    assert.throws(() => tracker.logParam('u', undefined as never), { name: 'TypeError', message: /"u"/ });
  });

  test('logFigure accepts PNG and SVG bytes, SVG markup, Vega-Lite and Plotly specs; rejects the rest', async () => {
    const tracker = await started();
    for (const figure of [TINY_PNG, new TextEncoder().encode(TINY_SVG), TINY_SVG, VEGA_LITE_SPEC, PLOTLY_FIGURE]) {
      tracker.logFigure('fig', figure);
    }
    assert.equal(tracker.calls.length, 5);
    for (const bad of [new Uint8Array([1, 2, 3]), 'not svg', { foo: 1 }, 42]) {
      assert.throws(() => tracker.logFigure('fig', bad as Figure), {
        name: 'TypeError',
        message: /logFigure\("fig"\)/,
      });
    }
  });
});

describe('rank zero only', () => {
  const RANKS = ['RANK', 'LOCAL_RANK', 'SLURM_PROCID'];
  const saved = Object.fromEntries(RANKS.map((variable) => [variable, process.env[variable]]));
  const restore = () => {
    for (const [variable, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[variable];
      else process.env[variable] = value;
    }
  };
  beforeEach(() => {
    for (const variable of RANKS) delete process.env[variable];
  });
  // Each variable put back as it was: the process's environment stays the real one for the files sharing it.
  afterEach(restore);

  for (const variable of ['RANK', 'LOCAL_RANK', 'SLURM_PROCID']) {
    test(`with ${variable}=1 every hook is a no-op`, async () => {
      process.env[variable] = '1';
      const tracker = new Recorder();
      await tracker.start('run', '/tmp/x');
      tracker.logMetric('loss', 1);
      await tracker.end();
      assert.deepEqual(tracker.calls, []);
      assert.equal(tracker.active, false);
    });
  }

  test('rank 0 logs', async () => {
    process.env.RANK = '0';
    process.env.LOCAL_RANK = '0';
    const tracker = new Recorder();
    await tracker.start('run', '/tmp/x');
    assert.equal(tracker.calls.length, 1);
  });

  test('rankZeroOnly: false logs on every rank', async () => {
    process.env.RANK = '3';
    const tracker = new Recorder({ rankZeroOnly: false });
    await tracker.start('run', '/tmp/x');
    tracker.logMetric('loss', 1);
    assert.equal(tracker.calls.length, 2);
  });
});

/**
 * The contract must not depend on how a plugin writes its hooks. Each style below gets the same checks: a call
 * before start is ignored with a warning, a key 42 and a value {} are TypeErrors, steps are resolved, and the
 * hook receives the checked arguments (a number tag as a string).
 */
describe('the contract holds however a hook is written', () => {
  type Calls = unknown[][];

  async function assertGuarded(tracker: Tracker, calls: Calls) {
    const warnings = await warningsDuring(() => tracker.logTag('early', 'x'));
    assert.deepEqual(
      warnings.map((warning) => warning.code),
      ['GYMNOS_LOG_BEFORE_START'],
    );
    await tracker.start('run', '/tmp/x');
    assert.throws(() => tracker.logTag(42 as unknown as string, 'v'), { name: 'TypeError', message: /key must be/ });
    assert.throws(() => tracker.logTag('k', {} as unknown as string), { name: 'TypeError', message: /logTag\("k"\)/ });
    assert.throws(() => tracker.logMetric('loss', '1' as unknown as number), { name: 'TypeError' });
    tracker.logTag('seed', 7 as unknown as string);
    tracker.logMetric('loss', 0.5);
    tracker.logMetric('loss', 0.25);
    await tracker.end();
    const late = await warningsDuring(() => tracker.logTag('late', 'x'));
    assert.deepEqual(
      late.map((warning) => warning.code),
      ['GYMNOS_LOG_AFTER_END'],
    );
    assert.deepEqual(calls, [
      ['logTag', 'seed', '7'],
      ['logMetric', 'loss', 0.5, 0],
      ['logMetric', 'loss', 0.25, 1],
    ]);
  }

  test('methods', async () => {
    const calls: Calls = [];
    class Methods extends Tracker {
      override logTag(key: string, value: string) {
        calls.push(['logTag', key, value]);
      }
      override logMetric(name: string, value: number, step = 0) {
        calls.push(['logMetric', name, value, step]);
      }
    }
    await assertGuarded(new Methods(), calls);
  });

  test('assignments in the constructor', async () => {
    const calls: Calls = [];
    class Assigned extends Tracker {
      constructor() {
        super();
        this.logTag = (key: string, value: string) => void calls.push(['logTag', key, value]);
        this.logMetric = (name: string, value: number, step = 0) => void calls.push(['logMetric', name, value, step]);
      }
    }
    await assertGuarded(new Assigned(), calls);
  });

  test('assignments to the instance after construction', async () => {
    const calls: Calls = [];
    const tracker = new Tracker();
    tracker.logTag = (key: string, value: string) => void calls.push(['logTag', key, value]);
    tracker.logMetric = (name: string, value: number, step = 0) => void calls.push(['logMetric', name, value, step]);
    await assertGuarded(tracker, calls);
  });

  test('methods patched onto the prototype after construction', async () => {
    const calls: Calls = [];
    class Patched extends Tracker {}
    const tracker = new Patched();
    Patched.prototype.logTag = (key: string, value: string) => void calls.push(['logTag', key, value]);
    Patched.prototype.logMetric = (name: string, value: number, step = 0) =>
      void calls.push(['logMetric', name, value, step]);
    await assertGuarded(tracker, calls);
  });

  test('an assigned hook is skipped on a non-zero rank like a method', async (t) => {
    t.after(() => delete process.env.RANK);
    process.env.RANK = '1';
    const calls: Calls = [];
    const tracker = new Tracker();
    tracker.start = (runId: string) => void calls.push(['start', runId]);
    tracker.logMetric = (name: string) => void calls.push(['logMetric', name]);
    await tracker.start('run', '/tmp/x');
    tracker.logMetric('loss', 1);
    await tracker.end();
    assert.deepEqual(calls, []);
  });

  test('end() flushes and ends through assigned hooks, once', async () => {
    const calls: Calls = [];
    const tracker = new Tracker();
    tracker.flush = () => void calls.push(['flush']);
    tracker.end = (error?: unknown) => void calls.push(['end', error]);
    await tracker.start('run', '/tmp/x');
    await Promise.all([tracker.end('boom'), tracker.end()]);
    assert.deepEqual(calls, [['flush'], ['end', 'boom']]);
  });

  test('a class field is refused when the object is built, naming the hook', () => {
    class Field extends Tracker {
      override logTag = (key: string, value: string) => void [key, value];
    }
    assert.throws(() => new Field(), { name: 'TypeError', message: /logTag/ });
    // load() and the conformance kit explain it: which hook, and the fix.
    let raw: unknown;
    try {
      new Field();
    } catch (error) {
      raw = error;
    }
    const explained = explainConstructionError(raw, 'Field') as TypeError;
    assert.equal(explained.name, 'TypeError');
    assert.match(
      explained.message,
      /^Field: logTag is written as a class field .* write it as a method instead: logTag\(/,
    );
    assert.equal(explainConstructionError(new Error('other'), 'Field') instanceof TypeError, false);
    // Only the engine's refusal to redefine a hook is explained: not another TypeError, not another property.
    const other = new TypeError('Cannot read properties of undefined');
    assert.equal(explainConstructionError(other, 'Field'), other);
    class NotAHook extends Tracker {
      constructor() {
        super();
        Object.defineProperty(this, 'own', { get: () => 1 });
        Object.defineProperty(this, 'own', { value: 2 });
      }
    }
    let unrelated: unknown;
    try {
      new NotAHook();
    } catch (error) {
      unrelated = error;
    }
    assert.ok(unrelated instanceof TypeError);
    assert.equal(explainConstructionError(unrelated, 'NotAHook'), unrelated);
    // Each hook and bulk helper by its own name, whatever hooks come before it.
    class Flush extends Tracker {
      override flush = () => undefined;
    }
    let flush: unknown;
    try {
      new Flush();
    } catch (error) {
      flush = error;
    }
    assert.match(
      (explainConstructionError(flush, 'Flush') as Error).message,
      /^Flush: flush is written as a class field/,
    );
  });

  test('isTrackerClass: Tracker on the prototype chain, from any copy of gymnos, and nothing else', async () => {
    class Mine extends Tracker {}
    class Deeper extends Mine {}
    assert.ok(isTrackerClass(Tracker) && isTrackerClass(Mine) && isTrackerClass(Deeper));
    // Another copy of the module (a project's own gymnos beside the CLI's): its subclasses are trackers too.
    const copy = (await import(`../../src/trackers/tracker.ts?copy=${Date.now()}`)) as { Tracker: typeof Tracker };
    assert.notEqual(copy.Tracker, Tracker, 'a second copy of the module');
    assert.ok(isTrackerClass(class extends copy.Tracker {}));
    // What copies Tracker's statics (symbols included) or has its methods is not one; nor an instance.
    class Copied {}
    for (const key of Reflect.ownKeys(Tracker)) {
      const descriptor = Object.getOwnPropertyDescriptor(Tracker, key)!;
      if (descriptor.configurable) Object.defineProperty(Copied, key, descriptor);
    }
    Object.assign(Copied, Tracker);
    class LookAlike {}
    for (const key of Reflect.ownKeys(Tracker.prototype)) {
      if (key !== 'constructor')
        Object.defineProperty(LookAlike.prototype, key, Object.getOwnPropertyDescriptor(Tracker.prototype, key)!);
    }
    for (const value of [Copied, LookAlike, new Mine(), {}, null, undefined, () => undefined, 'Tracker']) {
      assert.equal(isTrackerClass(value), false, String(value));
    }
  });

  test('a hook cannot be redefined around the guard, nor replaced by something that is not a function', () => {
    const tracker = new Tracker();
    assert.throws(() => Object.defineProperty(tracker, 'logMetric', { value: () => {} }), TypeError);
    assert.throws(() => delete (tracker as unknown as Record<string, unknown>).logMetric, TypeError);
    assert.throws(() => Object.assign(tracker, { logTag: 42 }), {
      name: 'TypeError',
      message: 'Tracker: logTag must be a function, got number 42',
    });
  });

  test('a bulk helper overridden or replaced is refused with the fix', () => {
    class Bulk extends Tracker {
      override logMetrics() {}
    }
    assert.throws(() => new Bulk(), {
      name: 'TypeError',
      message:
        'Bulk overrides logMetrics(), a bulk helper; ' +
        'override logMetric() instead: logMetrics() calls it for every entry',
    });
    const tracker = new Tracker();
    assert.throws(() => {
      tracker.logTags = () => {};
    }, /logTags\(\) is a bulk helper and cannot be replaced; override logTag\(\) instead/);
  });

  test('hooks stay out of the enumerable own properties', () => {
    const tracker = new Tracker();
    assert.deepEqual(Object.keys(tracker), []);
    assert.deepEqual(JSON.parse(JSON.stringify(tracker)), {});
  });
});
