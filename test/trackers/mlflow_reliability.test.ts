/**
 * The mlflow tracker loses nothing that was logged: a slow server sends what does not fit in memory to the
 * spool (never to the floor), a process that ends without end() (exit, uncaught exception, SIGTERM) writes its
 * memory queue to the spool, and the end report's counts add up. Against the loopback MLflow server; the exit
 * cases in real child processes.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { MlflowTracker } from '../../src/trackers/mlflow.js';
import type { DeliveryCounts } from '../../src/trackers/mlflow.js';
import { MlflowTestServer } from '../fixtures/mlflow_server.js';
import { spawnInTest } from '../helpers/children.js';
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

describe('mlflow: ended while the server is down', () => {
  /** Logs one of each record, then ends: the session's final status and records must all reach the spool. */
  async function endSession(tracker: MlflowTracker, session: number): Promise<string> {
    tracker.logParam('session', session);
    tracker.logMetric('loss', 0.5, session);
    tracker.logTag('phase', 'offline');
    await tracker.end();
    const report = tracker.endReport!;
    assert.deepEqual(report.undelivered, { metrics: 1, params: 1, tags: 1, artifacts: 0, status: 'FINISHED' });
    return report.spoolDir;
  }

  /** Turns of the event loop until the spool's run.json is being written (its temporary sibling exists). */
  async function whileRunJsonIsWritten(spoolDir: string): Promise<boolean> {
    for (let turn = 0; turn < 10_000; turn += 1) {
      const names = existsSync(spoolDir) ? readdirSync(spoolDir) : [];
      if (names.some((name) => name.startsWith('.run.json.'))) return true;
      if (names.includes('run.json')) return false; // written between two turns: missed
      await new Promise((resolve) => setImmediate(resolve));
    }
    return false;
  }

  test('the final status and every record are spooled wherever end() lands in start; sync delivers them', async () => {
    const down = await MlflowTestServer.start();
    await down.stop();
    const fast = { trackingUri: down.url, startTimeoutMs: 1, endTimeoutMs: 1, retryBaseMs: 1 };
    const spools: string[] = [];
    // end() while start is writing the spool's run.json (start not awaited, as a caller may do): the status set
    // meanwhile must not be taken as written by that write, which holds the description from before.
    let caught = 0;
    for (let attempt = 0; caught < 2 && attempt < 50; attempt += 1) {
      const tracker = new MlflowTracker(fast);
      const starting = tracker.start(`ended-${spools.length}`, dir);
      if (await whileRunJsonIsWritten(path.join(dir, `ended-${spools.length}`, 'mlflow-spool'))) caught += 1;
      spools.push(await endSession(tracker, spools.length));
      await starting;
    }
    assert.equal(caught, 2, 'end() came twice while run.json was being written');
    // start awaited, then end() a few turns of the event loop later each time: across start's background work
    // (opening the spool, writing run.json, trying to create the run).
    for (let turns = 0; turns < 6; turns += 1) {
      const tracker = new MlflowTracker(fast);
      await tracker.start(`ended-${spools.length}`, dir);
      for (let turn = 0; turn < turns; turn += 1) await new Promise((resolve) => setImmediate(resolve));
      spools.push(await endSession(tracker, spools.length));
    }
    await down.listen();
    try {
      for (const [session, spoolDir] of spools.entries()) {
        const report = await MlflowTracker.deliverSpool(spoolDir, { timeoutMs: 10_000, retryBaseMs: 10 });
        assert.equal(report.complete, true, `session ${session}: ${JSON.stringify(report)}`);
        const run = down.runByName(`ended-${session}`)!;
        assert.equal(run.info.status, 'FINISHED', `session ${session}: the status end() set was spooled`);
        assert.deepEqual(
          [run.params.get('session'), run.metrics.map((metric) => metric.step), run.tags.get('phase')],
          [String(session), [session], 'offline'],
        );
      }
    } finally {
      await down.stop();
    }
  });

  test('a resumed session ended before its start settled leaves the run FINISHED, not back to RUNNING', async () => {
    const params = { trackingUri: server.url, startTimeoutMs: 5_000, endTimeoutMs: 5_000 };
    const first = new MlflowTracker(params);
    await first.start('resumed', dir);
    first.logMetric('loss', 1, 0);
    await first.end();
    const second = new MlflowTracker({ ...params, resume: true });
    const starting = second.start('resumed', dir); // not awaited: end() comes while the spool is being read
    second.logMetric('loss', 0.5, 1);
    await second.end();
    await starting;
    assert.equal(second.endReport!.complete, true, JSON.stringify(second.endReport));
    const run = server.runByName('resumed')!;
    assert.deepEqual([run.info.status, run.metrics.map((metric) => metric.step)], ['FINISHED', [0, 1]]);
  });
});

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  logdir: string;
}

/** Runs the fixture for test `t` (killed when it ends, if still running); `killWith` once it has logged. */
async function child(t: TestContext, mode: string, killWith?: NodeJS.Signals): Promise<Ended> {
  const logdir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-mlflow-exit-'));
  made.push(logdir);
  const process_ = spawnInTest(t, process.execPath, [CHILD, server.url, logdir, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  process_.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  process_.stdout!.on('data', (chunk: Buffer) => {
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

  test('a normal exit writes the memory queue to the spool', async (t) => {
    const ended = await child(t, 'exit');
    assert.equal(ended.code, 0, ended.stderr);
    assert.equal(accounted(ended.logdir, 'exit'), 500);
  });

  test('an uncaught exception after more logging keeps the last metrics too', async (t) => {
    const ended = await child(t, 'throw');
    assert.equal(ended.code, 1);
    assert.match(ended.stderr, /training crashed/);
    assert.equal(accounted(ended.logdir, 'throw'), 800);
  });

  test('SIGTERM: the queue is spooled, then the process dies of the signal', async (t) => {
    const ended = await child(t, 'wait', 'SIGTERM');
    assert.equal(ended.signal, 'SIGTERM', ended.stderr);
    assert.equal(accounted(ended.logdir, 'wait'), 1000);
  });
});
