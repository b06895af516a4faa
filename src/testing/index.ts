/**
 * The conformance kit (`gymnos/testing`): drives any tracker through the whole lifecycle with `node:test`,
 * so a plugin's test is one call:
 *
 *   describeTrackerConformance('my_tracker', () => new MyTracker());
 *
 * It checks what every tracker owes its callers, whatever its backend: every hook accepts the documented
 * arguments, log calls return at once (no promise), bulk helpers work, `flush` and `end` settle, `end` is
 * idempotent, and calls before `start` or after `end` neither throw nor reach the backend.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isTrackerClass } from '../trackers/tracker.js';
import type { Tracker } from '../trackers/tracker.js';

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

export interface ConformanceOptions<T extends Tracker> {
  /** Extra checks once the full lifecycle has ended, e.g. reading what the backend wrote. */
  afterLifecycle?: (context: ConformanceContext<T>) => void | Promise<void>;
  /** Per-test timeout in milliseconds (default 10 000): `start`, `flush` and `end` must settle within it. */
  timeout?: number;
}

/** Calls a log hook and asserts it returned at once, without a promise to wait on. */
function logNow(call: () => unknown, what: string): void {
  const result = call();
  assert.ok(
    !(result && typeof (result as PromiseLike<unknown>).then === 'function'),
    `${what} returned a promise; log calls must return at once and never wait on I/O`,
  );
}

/** Runs every hook once, with every kind of argument the contract allows. */
async function driveLifecycle(tracker: Tracker, files: { asset: string; image: string }): Promise<void> {
  logNow(() => tracker.logTag('team', 'vision'), 'logTag');
  logNow(() => tracker.logAsset('config', files.asset), 'logAsset');
  logNow(() => tracker.logImage('sample', files.image), 'logImage');
  logNow(() => tracker.logFigure('png', TINY_PNG), 'logFigure(png)');
  logNow(() => tracker.logFigure('svg', TINY_SVG), 'logFigure(svg)');
  logNow(() => tracker.logFigure('vega', VEGA_LITE_SPEC), 'logFigure(vega-lite)');
  logNow(() => tracker.logFigure('plotly', PLOTLY_FIGURE), 'logFigure(plotly)');
  logNow(() => tracker.logMetric('loss', 0.5), 'logMetric');
  logNow(() => tracker.logMetric('loss', 0.25, 10), 'logMetric with a step');
  logNow(() => tracker.logMetric('nan', Number.NaN), 'logMetric(NaN)');
  logNow(() => tracker.logMetric('inf', Number.POSITIVE_INFINITY), 'logMetric(Infinity)');
  logNow(() => tracker.logMetric('ninf', Number.NEGATIVE_INFINITY), 'logMetric(-Infinity)');
  logNow(() => tracker.logParam('lr', 0.001), 'logParam');
  logNow(() => tracker.logParam('layers', [64, 32]), 'logParam(array)');
  logNow(() => tracker.logParam('optimizer', { name: 'adam', beta: 0.9 }), 'logParam(object)');
  logNow(() => tracker.logMetrics({ accuracy: 0.9, curve: [1, 2, 3] }, { prefix: 'val', step: 3 }), 'logMetrics');
  logNow(() => tracker.logParams({ epochs: 10, dropout: null }, { prefix: 'train' }), 'logParams');
  logNow(() => tracker.logTags({ owner: 'me', seed: 42 }), 'logTags');
  await tracker.flush();
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
  describe(`${name} conforms to the gymnos Tracker contract`, () => {
    let dir: string;
    let files: { asset: string; image: string };

    beforeEach(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), `gymnos-conformance-${name}-`));
      files = { asset: path.join(dir, 'config.json'), image: path.join(dir, 'sample.png') };
      await writeFile(files.asset, '{"lr": 0.001}\n');
      await writeFile(files.image, TINY_PNG);
    });

    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('is a Tracker subclass that can be constructed without arguments', async () => {
      const tracker = await factory();
      assert.ok(isTrackerClass(tracker.constructor), `${tracker.constructor.name} does not extend Tracker`);
      assert.equal(tracker.state, 'idle');
    });

    it('runs the whole lifecycle: start, every hook, bulk helpers, flush, end', { timeout }, async () => {
      const tracker = await factory();
      const context = { tracker, logdir: path.join(dir, 'logs'), runId: 'conformance-run' };
      await tracker.start(context.runId, context.logdir);
      assert.equal(tracker.state, 'started');
      await driveLifecycle(tracker, files);
      await tracker.end();
      assert.equal(tracker.state, 'ended');
      await options.afterLifecycle?.(context);
    });

    it('end is idempotent and later calls are ignored without throwing', { timeout }, async () => {
      const tracker = await factory();
      await tracker.start('conformance-run', path.join(dir, 'logs'));
      tracker.logMetric('loss', 1);
      const first = tracker.end();
      const second = tracker.end();
      await Promise.all([first, second]);
      await tracker.end();
      assert.doesNotThrow(() => tracker.logMetric('loss', 2));
      assert.doesNotThrow(() => tracker.logParam('late', 1));
      await tracker.flush();
      assert.equal(tracker.state, 'ended');
    });

    it('ignores log calls before start, and an end without a start', { timeout }, async () => {
      const tracker = await factory();
      assert.doesNotThrow(() => tracker.logMetric('early', 1));
      assert.doesNotThrow(() => tracker.logTag('early', 'yes'));
      await tracker.end();
      assert.equal(tracker.state, 'ended');
    });

    it('rejects a metric that is not a number with a TypeError naming it', { timeout }, async () => {
      const tracker = await factory();
      await tracker.start('conformance-run', path.join(dir, 'logs'));
      assert.throws(() => tracker.logMetric('loss', '0.5' as unknown as number), {
        name: 'TypeError',
        message: /"loss"/,
      });
      assert.throws(() => tracker.logMetrics({ text: 'abc' as unknown as number }), {
        name: 'TypeError',
        message: /"text"/,
      });
      await tracker.end();
    });
  });
}
