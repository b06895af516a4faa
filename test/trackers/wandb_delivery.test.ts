/**
 * The wandb tracker's delivery through what goes wrong, against the strict loopback W&B server: metrics at full
 * speed through a 5 s outage arrive exactly once (file_stream offsets: the server counts a line sent again); a
 * server that restarts, answers 5xx bursts, 429 with its reset headers, HTML pages, cut JSON, or never answers;
 * WANDB_MODE=offline then `gymnos sync`; a training process killed with SIGKILL, then `gymnos sync`.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { WandbTracker } from '../../src/trackers/wandb.js';
import { flushEpochsThroughOutage } from '../fixtures/black_hole.js';
import { WandbTestServer } from '../fixtures/wandb_server.js';
import type { StoredRun } from '../fixtures/wandb_server.js';
import { spawnInTest } from '../helpers/children.js';
import { gymnosInProcess } from '../helpers/in_process.js';
import { skipUnless } from '../helpers/prerequisite.js';
import { captureWarnings, warningsDelivered } from '../helpers/warnings.js';
import { FAST, WANDB_TEST_KEY } from '../fixtures/wandb_params.js';

const KEY = WANDB_TEST_KEY;
const REPO = path.resolve(import.meta.dirname, '..', '..');
const CHILD = path.join(import.meta.dirname, 'fixtures', 'wandb_child.mjs');
const NOT_BUILT = skipUnless(existsSync(path.join(REPO, 'dist', 'index.js')), 'dist/ is not built: run npm run build');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Each step of `key` in the run's history, counted: exactly once means every count is 1. */
function stepCounts(server: WandbTestServer, run: StoredRun, key: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const [step] of server.series(run, key)) counts.set(step, (counts.get(step) ?? 0) + 1);
  return counts;
}

function assertExactlyOnce(server: WandbTestServer, run: StoredRun, key: string, total: number): void {
  const counts = stepCounts(server, run, key);
  assert.equal(counts.size, total, `${key}: ${counts.size} of ${total} steps arrived`);
  const twice = [...counts].filter(([, count]) => count !== 1);
  assert.deepEqual(twice, [], `${key}: steps in more than one row`);
}

let dir: string;
let server: WandbTestServer;
/**
 * Each test of a describe gets its own logdir and server. Hooks inside each describe, never at the top level: the
 * files of a directory share a process (test/run.mjs), where a top-level hook would run around every test of them.
 */
function withServerAndDir(): void {
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-wandb-delivery-'));
    server = await WandbTestServer.start(KEY);
  });
  afterEach(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });
}

describe('wandb: outages and faults lose nothing and duplicate nothing', () => {
  withServerAndDir();
  test('metrics at full speed through a 5 s outage arrive exactly once', async () => {
    const capture = captureWarnings();
    try {
      const tracker = new WandbTracker({
        baseUrl: server.url,
        ...FAST,
        minRequestIntervalMs: 100,
        endTimeoutMs: 120_000,
      });
      await tracker.start('outage', dir);
      let step = 0;
      const logFor = async (ms: number) => {
        for (const until = Date.now() + ms; Date.now() < until;) {
          for (let i = 0; i < 200; i += 1, step += 1) tracker.logMetric('loss', step, step);
          await new Promise((resolve) => setImmediate(resolve));
        }
      };
      await logFor(1_000);
      await server.stop(); // connections cut mid-request: answers lost
      await logFor(5_000);
      await server.listen();
      await logFor(1_000);
      await tracker.end();
      const run = server.run(tracker.wandbRunId!);
      assert.deepEqual(server.violations, []);
      assertExactlyOnce(server, run, 'loss', step);
      assert.deepEqual(run.complete, { exitcode: 0 });
      assert.equal(tracker.endReport!.complete, true);
      assert.equal(tracker.endReport!.delivered.metrics, step);
      // Figures for the note: how many, and how many lines a lost answer made the client send again (harmless).
      console.log(`# outage: ${step} metrics, ${run.history.length} rows, ${run.resentLines} lines sent again`);
    } finally {
      capture.stop();
    }
  });

  test('a 5xx burst, an HTML page, cut JSON and a lost answer: retried, every row once', async () => {
    server.perRunLimit = 1_000;
    const tracker = new WandbTracker({ baseUrl: server.url, ...FAST, requestTimeoutMs: 1_000 });
    await tracker.start('faults', dir);
    server.failNext(5, 503, {}, 'file_stream');
    for (let step = 0; step < 100; step += 1) tracker.logMetric('loss', step, step);
    await tracker.flush();
    server.impostorNext(1, 'html', 'file_stream');
    server.impostorNext(1, 'malformed', 'graphql');
    tracker.logParam('lr', 0.1);
    for (let step = 100; step < 200; step += 1) tracker.logMetric('loss', step, step);
    await tracker.flush();
    server.hangNext(1, { afterProcessing: true, only: 'file_stream' }); // carried out, its answer never comes
    for (let step = 200; step < 300; step += 1) tracker.logMetric('loss', step, step);
    await tracker.end();
    const run = server.run(tracker.wandbRunId!);
    // Asked after end(): a flush during an outage it already knows stops at the first failure (the lost answer).
    assert.ok(run.resentLines > 0, 'the lines whose answer was lost were sent again, at the same offsets');
    assert.deepEqual(server.violations, []);
    assertExactlyOnce(server, run, 'loss', 300);
    assert.deepEqual(run.config, { lr: 0.1 });
    assert.deepEqual(run.complete, { exitcode: 0 });
  });

  test('a 429 with RateLimit-Reset is waited out; RateLimit-* on answers pace the requests: no 429 met', async () => {
    server.perRunLimit = 2;
    const tracker = new WandbTracker({ baseUrl: server.url, ...FAST, minRequestIntervalMs: 500, retryMaxMs: 10_000 });
    await tracker.start('paced', dir);
    for (let step = 0; step < 5; step += 1) {
      tracker.logMetric('loss', step, step);
      await tracker.flush();
    }
    assert.equal(server.rateLimited, 0, 'two requests a second at most: the server never had to refuse one');
    server.rateLimitNext(1, 2);
    tracker.logMetric('loss', 5, 5);
    await tracker.end();
    const streamed = server.requestsTo('file_stream');
    const refused = streamed.findIndex((request) => request.status === 429);
    assert.ok(refused >= 0);
    const waited = server.receivedAt.get(streamed[refused + 1]!)! - server.receivedAt.get(streamed[refused]!)!;
    assert.ok(waited >= 1_900, `the next request waited for the reset (${waited} ms)`);
    assertExactlyOnce(server, server.run(tracker.wandbRunId!), 'loss', 6);
  });

  test('a server that never answers: end() gives up at endTimeoutMs, the spool keeps the run for sync', async () => {
    server.hangNext(1_000);
    const tracker = new WandbTracker({ baseUrl: server.url, ...FAST, requestTimeoutMs: 200, endTimeoutMs: 1_000 });
    await tracker.start('silent', dir);
    for (let step = 0; step < 50; step += 1) tracker.logMetric('loss', step, step);
    await tracker.end();
    assert.equal(tracker.endReport!.complete, false);
    assert.equal(tracker.endReport!.undelivered.metrics, 50);
    server.hangNext(0);
    const synced = await gymnosInProcess(['sync', dir, '--json'], {
      cwd: dir,
      env: { WANDB_API_KEY: KEY, WANDB_BASE_URL: server.url },
    });
    assert.equal(synced.status, 0, synced.stdout + synced.stderr);
    const [run] = (JSON.parse(synced.stdout) as { runs: Record<string, unknown>[] }).runs;
    assert.deepEqual([run?.backend, run?.backendRunId], ['wandb', tracker.wandbRunId]);
    assertExactlyOnce(server, server.run(tracker.wandbRunId!), 'loss', 50);
  });

  test('flush() during a known outage returns once the data is spooled, even from a server that hangs', async () => {
    const capture = captureWarnings();
    try {
      // A request into the port that never answers waits requestTimeoutMs: a flush that waited would not settle.
      const tracker = new WandbTracker({
        baseUrl: server.url,
        ...FAST,
        requestTimeoutMs: 600_000,
        flushTimeoutMs: 600_000,
      });
      await tracker.start('epochs', dir);
      tracker.logMetric('loss', 0.5, 0);
      await tracker.flush();
      assert.equal(stepCounts(server, server.run(tracker.wandbRunId!), 'loss').size, 1, 'flush waited, server up');
      await flushEpochsThroughOutage(tracker, server, capture.warnings, 'GYMNOS_WANDB_UNAVAILABLE');
      await tracker.end();
      assertExactlyOnce(server, server.run(tracker.wandbRunId!), 'loss', 5);
      assert.equal(tracker.endReport!.complete, true);
    } finally {
      capture.stop();
    }
  });
});

describe('wandb: offline, then gymnos sync', () => {
  withServerAndDir();
  test('WANDB_MODE=offline sends nothing; sync delivers the whole run; a second sync sends nothing', async () => {
    const capture = captureWarnings();
    try {
      const tracker = new WandbTracker({ baseUrl: server.url, ...FAST, mode: 'offline' });
      await tracker.start('offline-run', dir);
      tracker.logParams({ lr: 0.01 });
      tracker.logTag('phase', 'offline');
      for (let step = 0; step < 1_500; step += 1) tracker.logMetric('loss', 1 / (step + 1), step);
      tracker.logFigure('curve', (await import('../../src/testing/index.js')).TINY_PNG);
      await tracker.end();
      await warningsDelivered();
      assert.equal(server.requests.length, 0, 'offline: no request at all');
      assert.ok(capture.warnings.some((warning) => warning.code === 'GYMNOS_WANDB_OFFLINE'));
      const synced = await gymnosInProcess(['sync', dir], {
        cwd: dir,
        env: { WANDB_API_KEY: KEY, WANDB_BASE_URL: server.url, WANDB_MODE: 'offline' },
      });
      assert.equal(synced.status, 0, synced.stdout + synced.stderr);
      assert.match(
        synced.stdout,
        /offline-run: delivered 1500 metrics, 1 param, 1 tag, 1 artifact and the FINISHED status/,
      );
      const run = server.run(tracker.wandbRunId!);
      assert.deepEqual(server.violations, []);
      assertExactlyOnce(server, run, 'loss', 1_500);
      assert.deepEqual(run.config, { lr: 0.01 });
      assert.deepEqual(run.tags, ['phase:offline']);
      assert.equal(run.files.size, 1);
      assert.deepEqual(run.complete, { exitcode: 0 });
      const again = await gymnosInProcess(['sync', dir], {
        cwd: dir,
        env: { WANDB_API_KEY: KEY, WANDB_BASE_URL: server.url },
      });
      assert.equal(again.status, 0);
      assert.match(again.stdout, /already in sync/);
    } finally {
      capture.stop();
    }
  });

  test('sync without an API key fails for that run, saying what to set; the spool is kept', async () => {
    const tracker = new WandbTracker({ baseUrl: server.url, ...FAST, mode: 'offline' });
    await tracker.start('keyless', dir);
    tracker.logMetric('loss', 1);
    await tracker.end();
    const synced = await gymnosInProcess(['sync', dir], {
      cwd: dir,
      env: { WANDB_API_KEY: undefined, NETRC: path.join(dir, 'no-netrc'), WANDB_BASE_URL: server.url },
    });
    assert.equal(synced.status, 1);
    assert.match(synced.stdout, /keyless: failed: .*WANDB_API_KEY/);
    assert.ok((await readdir(path.join(dir, 'keyless', 'wandb-spool'))).includes('queue.jsonl'));
  });
});

describe('wandb: a training process killed outright', { skip: NOT_BUILT }, () => {
  withServerAndDir();
  test('SIGKILL, then gymnos sync: every metric once, the run ends killed (exit code 137)', async (t: TestContext) => {
    await server.stop();
    const total = 20_000;
    const child = spawnInTest(t, process.execPath, [CHILD, server.url, dir, 'killed', String(total)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let stdout = '';
    child.stdout!.on('data', (chunk) => ((output += chunk), (stdout += chunk)));
    child.stderr!.on('data', (chunk) => (output += chunk));
    // Its own line: the warning on stderr says "data is spooled to" long before.
    await waitFor(() => /^spooled \d+$/m.test(stdout), `the child to spool (${output})`);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('close', resolve));
    await server.listen();
    const synced = await gymnosInProcess(['sync', dir, '--json'], {
      cwd: dir,
      env: { WANDB_API_KEY: KEY, WANDB_BASE_URL: server.url },
    });
    assert.equal(synced.status, 0, synced.stdout + synced.stderr);
    const [result] = (JSON.parse(synced.stdout) as { runs: { killed: boolean; delivered: { metrics: number } }[] })
      .runs;
    assert.equal(result!.killed, true);
    assert.equal(result!.delivered.metrics, 2 * total, output + synced.stdout);
    const run = [...server.runs.values()][0]!;
    assert.deepEqual(server.violations, []);
    assertExactlyOnce(server, run, 'loss', total);
    assertExactlyOnce(server, run, 'acc', total);
    assert.deepEqual(run.config, { lr: 0.1 });
    assert.deepEqual(run.complete, { exitcode: 137 });
  });
});

describe('wandb: a training process ended by a signal without end()', { skip: NOT_BUILT }, () => {
  withServerAndDir();
  test('SIGTERM: the open row is spooled; gymnos sync delivers it, the run ends as killed', async (t: TestContext) => {
    await server.stop();
    const total = 100;
    const child = spawnInTest(t, process.execPath, [CHILD, server.url, dir, 'termed', String(total), 'open-row'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let stdout = '';
    child.stdout!.on('data', (chunk) => ((output += chunk), (stdout += chunk)));
    child.stderr!.on('data', (chunk) => (output += chunk));
    await waitFor(() => /^open$/m.test(stdout), `the child to log its open row (${output})`);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.on('close', resolve));
    await server.listen();
    const synced = await gymnosInProcess(['sync', dir, '--json'], {
      cwd: dir,
      env: { WANDB_API_KEY: KEY, WANDB_BASE_URL: server.url },
    });
    assert.equal(synced.status, 0, synced.stdout + synced.stderr);
    const run = [...server.runs.values()][0]!;
    assert.deepEqual(server.violations, []);
    assertExactlyOnce(server, run, 'loss', total + 1); // the open row's step among them
    assert.deepEqual(server.series(run, 'loss').at(-1), [total, 0]);
    assert.deepEqual(run.complete, { exitcode: 137 });
  });
});
