/**
 * The same mistake gets the same answer from every built-in tracker: one numeric-parameter check, one rule
 * for run ids, and one exit hook that writes what each tracker holds.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CsvTracker } from '../../src/trackers/csv.js';
import { JsonlTracker } from '../../src/trackers/jsonl.js';
import { MlflowTracker } from '../../src/trackers/mlflow.js';
import { TensorboardTracker } from '../../src/trackers/tensorboard.js';
import type { Tracker } from '../../src/trackers/tracker.js';
import { runChildSync, spawnInTest } from '../helpers/children.js';
import { TS_LOADER } from '../helpers/ts_loader.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const RUN_ID_RULE = 'must be a relative name without "." or ".." segments';
const shown = (value: unknown) => (typeof value === 'number' ? String(value) : JSON.stringify(value));

const FILE_TRACKERS: [label: string, make: (params?: Record<string, unknown>) => Tracker][] = [
  ['jsonl', (params) => new JsonlTracker(params)],
  ['csv', (params) => new CsvTracker(params)],
  ['TensorboardTracker', (params) => new TensorboardTracker(params)],
];

describe('checks shared by the built-in trackers', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-shared-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const [label, make] of FILE_TRACKERS) {
    test(`${label} refuses a run id with "." or ".." segments, or absolute, with the same message`, async () => {
      for (const runId of ['a/./b', '.', '../escape', 'a/../../b', '/abs/olute']) {
        assert.throws(() => make().start(runId, dir), {
          name: 'TypeError',
          message: `${label}: start(): runId ${JSON.stringify(runId)} ${RUN_ID_RULE}`,
        });
      }
      const nested = make();
      await nested.start('sweep/seed-1', dir);
      await nested.end();
    });

    test(`${label} checks a numeric parameter with the same message`, () => {
      for (const value of [-1, Number.NaN, Infinity, '10', null]) {
        assert.throws(() => make({ flushIntervalMs: value }), {
          name: 'TypeError',
          message: `${label}: flushIntervalMs must be a number >= 0, got ${shown(value)}`,
        });
      }
      make({ flushIntervalMs: 0 });
    });
  }

  test('mlflow checks its numeric parameters with the same function (positive numbers)', () => {
    const trackingUri = 'http://127.0.0.1:9';
    assert.throws(() => new MlflowTracker({ trackingUri, requestTimeoutMs: 0 }), {
      name: 'TypeError',
      message: 'MlflowTracker: requestTimeoutMs must be a number > 0, got 0',
    });
    assert.throws(() => new MlflowTracker({ trackingUri, maxQueueItems: '5' as unknown as number }), {
      name: 'TypeError',
      message: 'MlflowTracker: maxQueueItems must be a number > 0, got "5"',
    });
  });

  test('one exit listener writes what jsonl and tensorboard hold when the process exits without end()', async () => {
    const script = path.join(dir, 'exit.mts');
    const src = (file: string) => JSON.stringify(new URL(`../../src/trackers/${file}`, import.meta.url).href);
    await writeFile(
      script,
      `import { JsonlTracker } from ${src('jsonl.ts')};\n` +
        `import { TensorboardTracker } from ${src('tensorboard.ts')};\n` +
        `const before = process.listenerCount('exit');\n` +
        `const jsonl = new JsonlTracker({ flushIntervalMs: 0 });\n` +
        `const tensorboard = new TensorboardTracker({ flushIntervalMs: 0 });\n` +
        `await jsonl.start('run', ${JSON.stringify(dir)});\n` +
        `await tensorboard.start('run', ${JSON.stringify(dir)});\n` +
        `for (let step = 0; step < 50; step++) {\n` +
        `  jsonl.logMetric('loss', step);\n` +
        `  tensorboard.logMetric('loss', step);\n` +
        `}\n` +
        `console.log(process.listenerCount('exit') - before);\n` +
        `process.exit(0);\n`,
    );
    const result = runChildSync(process.execPath, [...TS_LOADER, script], {
      cwd: path.join(here, '..', '..'),
    });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), '1', 'one exit listener serves every tracker');
    const lines = (await readFile(path.join(dir, 'run', 'events.jsonl'), 'utf8')).trim().split('\n');
    assert.equal(lines.length, 50);
    const { readdirSync, statSync } = await import('node:fs');
    const events = readdirSync(path.join(dir, 'run')).filter((name) => name.startsWith('events.out.tfevents.'));
    assert.equal(events.length, 1);
    // 50 scalar records are well over the file-version record alone (about 50 bytes).
    assert.ok(statSync(path.join(dir, 'run', events[0]!)).size > 1000);
  });

  test('tensorboard writes what it holds on SIGTERM through the same hook; the process still dies of it', async (t) => {
    const script = path.join(dir, 'signal.mts');
    const src = JSON.stringify(new URL('../../src/trackers/tensorboard.ts', import.meta.url).href);
    await writeFile(
      script,
      `import { TensorboardTracker } from ${src};\n` +
        `const tracker = new TensorboardTracker({ flushIntervalMs: 0 });\n` +
        `await tracker.start('run', ${JSON.stringify(dir)});\n` +
        `for (let step = 0; step < 100; step++) tracker.logMetric('loss', step);\n` +
        `setInterval(() => {}, 1000);\n` +
        `process.stdout.write('logged\\n');\n`,
    );
    const child = spawnInTest(t, process.execPath, [...TS_LOADER, script], { cwd: path.join(here, '..', '..') });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => (chunk.toString().includes('logged') ? resolve() : undefined));
      child.on('exit', () => reject(new Error('the child exited before logging')));
    });
    const { readdirSync, statSync } = await import('node:fs');
    const eventFile = () => readdirSync(path.join(dir, 'run')).find((name) => name.startsWith('events.out.'));
    const before = statSync(path.join(dir, 'run', eventFile()!)).size;
    const [, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
      child.on('exit', (code, exitSignal) => resolve([code, exitSignal]));
      child.kill('SIGTERM');
    });
    assert.equal(signal, 'SIGTERM');
    // 100 scalar records (about 40 bytes each) reached the file only when the signal came.
    assert.ok(statSync(path.join(dir, 'run', eventFile()!)).size - before > 2000);
  });
});
