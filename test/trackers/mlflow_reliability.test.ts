/**
 * The mlflow tracker loses nothing that was logged: a slow server sends what does not fit in memory to the
 * spool (never to the floor), a process that ends without end() (exit, uncaught exception, SIGTERM) writes its
 * memory queue to the spool, and the end report's counts add up. Against the loopback MLflow server; the exit
 * cases in real child processes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { MlflowTracker } from '../../src/trackers/mlflow.js';
import type { DeliveryCounts } from '../../src/trackers/mlflow.js';
import { MlflowTestServer } from '../fixtures/mlflow_server.js';
import { skipUnless } from '../helpers/prerequisite.js';
import { REPO } from '../helpers/project.js';

const CHILD = path.join(import.meta.dirname, 'fixtures', 'mlflow_child.mjs');
const NOT_BUILT = skipUnless(existsSync(path.join(REPO, 'dist', 'index.js')), 'dist/ is not built: run npm run build');
const server = await MlflowTestServer.start();
const made: string[] = [];
after(async () => {
  await server.stop();
  await Promise.all(made.map((logdir) => rm(logdir, { recursive: true, force: true })));
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-mlflow-reliable-'));
  server.delayMs = 0;
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const sum = (counts: DeliveryCounts) => counts.metrics + counts.params + counts.tags + counts.artifacts;

/** The steps of the metrics waiting in a spool's queue (past its delivered offset). */
function spooledSteps(spoolDir: string): number[] {
  const file = path.join(spoolDir, 'queue.jsonl');
  if (!existsSync(file)) return [];
  const offsetFile = path.join(spoolDir, 'queue.offset');
  const offset = existsSync(offsetFile) ? Number(readFileSync(offsetFile, 'utf8')) : 0;
  const lines = readFileSync(file).subarray(offset).toString('utf8').split('\n');
  return lines
    .filter((line) => line.includes('"t":"metric"'))
    .map((line) => (JSON.parse(line) as { step: number }).step);
}

describe('mlflow: a slow server', () => {
  test('what does not fit in memory goes to the spool, not to the floor; the report adds up', async () => {
    const tracker = new MlflowTracker({
      trackingUri: server.url,
      maxQueueItems: 1_000,
      flushIntervalMs: 20,
      retryBaseMs: 20,
      retryMaxMs: 100,
      endTimeoutMs: 300,
    });
    await tracker.start('slow', dir);
    server.delayMs = 100;
    for (let step = 0; step < 20_000; step++) tracker.logMetric('loss', step, step);
    await tracker.end();
    const report = tracker.endReport!;
    assert.equal(report.logged.metrics, 20_000);
    assert.equal(sum(report.dropped), 0, JSON.stringify(report.dropped));
    assert.equal(report.delivered.metrics + report.undelivered.metrics, 20_000, JSON.stringify(report));
    assert.ok(report.undelivered.metrics > 0, 'the slow server could not take it all within endTimeoutMs');
    assert.equal(report.complete, false);
    // The spool holds the rest, and delivering it later completes the run.
    server.delayMs = 0;
    const later = await MlflowTracker.deliverSpool(report.spoolDir, { trackingUri: server.url, timeoutMs: 10_000 });
    assert.equal(later.complete, true, JSON.stringify(later));
    const run = server.runs.get(report.runId!)!;
    assert.equal(new Set(run.metrics.map((metric) => metric.step)).size, 20_000);
  });
});

describe('mlflow: delivering a spool later', () => {
  test('a run the server never saw is created from the spool with the same tags as a live one', async () => {
    const down = await MlflowTestServer.start();
    await down.stop();
    const tracker = new MlflowTracker({ trackingUri: down.url, startTimeoutMs: 200, endTimeoutMs: 200 });
    await tracker.start('offline-run', dir);
    tracker.logMetric('loss', 0.5, 0);
    tracker.logTag('team', 'vision');
    await tracker.end();
    assert.equal(tracker.endReport!.runId, undefined);
    await down.listen();
    try {
      const report = await MlflowTracker.deliverSpool(tracker.endReport!.spoolDir, { timeoutMs: 10_000 });
      assert.equal(report.complete, true, JSON.stringify(report));
      const run = down.runs.get(report.runId!)!;
      assert.equal(run.tags.get('gymnos.run_id'), 'offline-run');
      assert.equal(run.tags.get('team'), 'vision');
      assert.equal(run.info.status, 'FINISHED');
    } finally {
      await down.stop();
    }
  });
});

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  logdir: string;
}

async function child(mode: string, killWith?: NodeJS.Signals): Promise<Ended> {
  const logdir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-mlflow-exit-'));
  made.push(logdir);
  const process_ = spawn(process.execPath, [CHILD, server.url, logdir, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  process_.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  process_.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (killWith && stdout.includes('logged\n')) process_.kill(killWith);
  });
  return new Promise((resolve) => process_.on('close', (code, signal) => resolve({ code, signal, stderr, logdir })));
}

describe('mlflow: ending without end()', { concurrency: true, skip: NOT_BUILT }, () => {
  /**
   * The steps the server has for the run or its spool holds: everything logged must be in one of them. A batch
   * in flight when the process ended may be in both: sent again later, MLflow keeps identical rows once.
   */
  const accounted = (logdir: string, mode: string) => {
    const run = server.runByName(`exit-${mode}`);
    const steps = [...(run?.metrics ?? []).map((metric) => metric.step)];
    return new Set([...steps, ...spooledSteps(path.join(logdir, `exit-${mode}`, 'mlflow-spool'))]).size;
  };

  test('a normal exit writes the memory queue to the spool', async () => {
    const ended = await child('exit');
    assert.equal(ended.code, 0, ended.stderr);
    assert.equal(accounted(ended.logdir, 'exit'), 500);
  });

  test('an uncaught exception after more logging keeps the last metrics too', async () => {
    const ended = await child('throw');
    assert.equal(ended.code, 1);
    assert.match(ended.stderr, /training crashed/);
    assert.equal(accounted(ended.logdir, 'throw'), 800);
  });

  test('SIGTERM: the queue is spooled, then the process dies of the signal', async () => {
    const ended = await child('wait', 'SIGTERM');
    assert.equal(ended.signal, 'SIGTERM', ended.stderr);
    assert.equal(accounted(ended.logdir, 'wait'), 1000);
  });
});
