/**
 * `gymnos sync <logdir>` against the loopback MLflow server (test/fixtures): spools made by
 * the real mlflow tracker while the server was down are delivered with the tags a live run gets; a second sync
 * sends nothing; a server that is down is named and the spools kept (exit 1); bad input is one line (exit 2);
 * SIGTERM stops cleanly (exit 143) and a SIGKILLed sync leaves a lock that the next one takes over at once, which
 * then resumes without sending anything twice. The signals go to the real bin; the rest runs in this process
 * (helpers/in_process.ts), exit codes included.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import { TINY_PNG } from '../../src/testing/index.js';
import { MlflowTracker } from '../../src/trackers/mlflow.js';
import { Spool } from '../../src/trackers/remote/spool.js';
import { MlflowTestServer } from '../fixtures/mlflow_server.js';
import type { StoredRun } from '../fixtures/mlflow_server.js';
import { spawnInTest } from '../helpers/children.js';
import { gymnosInProcess } from '../helpers/in_process.js';
import { BIN } from '../helpers/project.js';

/** A training process (test/trackers/fixtures): its `wait` mode logs, then waits to be killed. */
const CHILD = path.join(import.meta.dirname, '..', 'trackers', 'fixtures', 'mlflow_child.mjs');

let root: string;
let server: MlflowTestServer;

before(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'gymnos-sync-'));
  server = await MlflowTestServer.start();
});
after(async () => {
  await server.stop();
  rmSync(root, { recursive: true, force: true });
});

interface Spawned {
  child: ChildProcess;
  done: Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/**
 * The real bin, asynchronously, for the signals: the MLflow server answering it lives in this process. The child
 * is killed when test `t` ends, if it is still running.
 */
function spawnGymnos(t: TestContext, args: string[], env: NodeJS.ProcessEnv = {}): Spawned {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...env };
  delete childEnv.FORCE_COLOR;
  if (env.MLFLOW_TRACKING_URI === undefined) delete childEnv.MLFLOW_TRACKING_URI;
  const child = spawnInTest(t, process.execPath, [BIN, ...args], { cwd: root, env: childEnv });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr })),
  );
  return { child, done };
}

/** `gymnos sync` in this process (helpers/in_process.ts), MLFLOW_TRACKING_URI unset unless given. */
const sync = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  gymnosInProcess(['sync', ...args], { cwd: root, env: { MLFLOW_TRACKING_URI: undefined, ...env } });

/** Runs the real tracker while the server is down: what it logged is left in its spool under `logdir`. */
async function spoolRun(logdir: string, runId: string, log: (tracker: MlflowTracker) => void): Promise<void> {
  const tracker = new MlflowTracker({
    trackingUri: server.url,
    startTimeoutMs: 50,
    endTimeoutMs: 50,
    retryBaseMs: 10,
  });
  await tracker.start(runId, logdir);
  log(tracker);
  await tracker.end();
  assert.equal(tracker.endReport?.complete, false, 'the server was down: the run is spooled');
  // Its warning (process.emitWarning) reaches stderr on a later tick: out before a sync here captures stderr.
  await new Promise((resolve) => setImmediate(resolve));
}

function runNamed(name: string): StoredRun {
  const runs = [...server.runs.values()].filter((run) => run.info.run_name === name);
  assert.equal(runs.length, 1, `exactly one MLflow run named ${name}`);
  return runs[0]!;
}

/** Metric rows the server accepted in log-batch requests for a run (duplicates included). */
function metricsSentTo(run: StoredRun): number {
  return server
    .requestsTo('runs/log-batch', run.info.run_id)
    .filter((request) => request.status === 200)
    .reduce((sum, request) => sum + ((request.body as { metrics?: unknown[] }).metrics?.length ?? 0), 0);
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('gymnos sync', () => {
  it('delivers every spool under a logdir, tagged like a live run; a second sync sends nothing', async () => {
    const logdir = path.join(root, 'logs');
    await server.stop();
    await spoolRun(logdir, 'resnet', (tracker) => {
      tracker.logParams({ lr: 0.01, optimizer: 'adam' });
      for (let step = 0; step < 1500; step += 1) tracker.logMetric('loss', 1 / (step + 1), step);
      tracker.logTag('phase', 'offline');
      tracker.logFigure('curve', TINY_PNG);
    });
    await spoolRun(logdir, 'sweep/lr-0.1', (tracker) => tracker.logMetric('acc', 0.5, 1));
    await server.listen(); // back on the same port: the URI each spool recorded

    const first = await sync([logdir, '--json']);
    assert.equal(first.status, 0, first.stderr);
    const document = JSON.parse(first.stdout) as {
      ok: boolean;
      runs: {
        runId: string;
        status: string;
        delivered: Record<string, unknown>;
        trackingUri: string;
        backend: string;
        backendRunId: string;
      }[];
    };
    assert.equal(document.ok, true);
    assert.deepEqual(
      document.runs.map((run) => [run.runId, run.status, run.delivered]),
      [
        ['resnet', 'delivered', { metrics: 1500, params: 2, tags: 1, artifacts: 1, status: 'FINISHED' }],
        ['sweep/lr-0.1', 'delivered', { metrics: 1, params: 0, tags: 0, artifacts: 0, status: 'FINISHED' }],
      ],
    );
    assert.equal(document.runs[0]!.trackingUri, server.url);
    const resnet = runNamed('resnet');
    assert.deepEqual([document.runs[0]!.backend, document.runs[0]!.backendRunId], ['mlflow', resnet.info.run_id]);
    assert.equal(resnet.metrics.length, 1500);
    assert.equal(resnet.params.get('optimizer'), 'adam');
    assert.equal(resnet.tags.get('phase'), 'offline');
    assert.equal(resnet.tags.get('gymnos.run_id'), 'resnet', 'a replayed run carries the tag of a live one');
    assert.equal(runNamed('sweep/lr-0.1').tags.get('gymnos.run_id'), 'sweep/lr-0.1');
    assert.equal(resnet.info.status, 'FINISHED');
    assert.ok(
      [...server.artifacts.keys()].some((key) => key.endsWith(`${resnet.info.run_id}/artifacts/figures/curve.png`)),
    );

    const requests = server.requests.length;
    const again = await sync([logdir]);
    assert.equal(again.status, 0, again.stderr);
    assert.equal(server.requests.length, requests, 'a second sync sends nothing');
    assert.match(again.stdout, new RegExp(`^resnet: already in sync with ${server.url} run \\w+$`, 'm'));
    assert.match(again.stdout, /^sweep\/lr-0\.1: already in sync/m);
    assert.equal(again.stderr, '');
  });

  it('with the server down, says which server and that the spool is kept (exit 1); bad input is exit 2', async () => {
    const logdir = path.join(root, 'down');
    await server.stop();
    await spoolRun(logdir, 'a', (tracker) => tracker.logMetric('loss', 1, 0));
    await spoolRun(logdir, 'b', (tracker) => tracker.logMetric('loss', 2, 0));
    const file = path.join(root, 'not-a-dir');
    writeFileSync(file, '');

    const [down, ...usage] = await Promise.all([
      sync([logdir, '--timeout', '0.3']),
      sync([path.join(root, 'missing')]),
      sync([file]),
      sync([logdir, '--tracking-uri', 'file:./mlruns']),
      sync([logdir], { MLFLOW_TRACKING_URI: 'not a url' }),
      sync([logdir, '--timeout', '-1', '--json']),
    ]);
    assert.equal(down.status, 1, down.stderr);
    const lines = down.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.match(
      lines[0]!,
      new RegExp(
        `^a: failed: ${server.url} did not take it in time \\(.*ECONNREFUSED.*\\); ` +
          'the spool is kept \\(1 metric and the FINISHED status\\) in down/a/mlflow-spool$',
      ),
    );
    assert.match(lines[1]!, new RegExp(`^b: failed: not tried: ${server.url} did not answer`));
    assert.match(down.stderr, /^gymnos: 2 of 2 runs could not be delivered; their spools are kept/);
    assert.ok(existsSync(path.join(logdir, 'a', 'mlflow-spool', 'queue.jsonl')));

    // Without a logdir, sync looks in ./logs (test/cli/messages.test.ts).
    const expected = [/missing does not exist/, /not-a-dir is not a directory/];
    expected.push(/--tracking-uri "file:\.\/mlruns" is not the http\(s\) URL/, /MLFLOW_TRACKING_URI "not a url"/);
    expected.push(/--timeout -1: give a number of seconds above 0/);
    usage.forEach((result, index) => {
      assert.equal(result.status, 2, `case ${index}: ${result.stderr}`);
      assert.equal(result.stderr.trimEnd().split('\n').length, 1, `case ${index}: one line: ${result.stderr}`);
      assert.match(result.stderr, expected[index]!);
    });
    assert.equal((JSON.parse(usage[4]!.stdout) as { ok: boolean }).ok, false, '--json: one failure document');

    await server.listen();
    // An empty MLFLOW_TRACKING_URI is no URI (docs/cli.md): each spool goes to the one it recorded.
    const back = await sync([logdir], { MLFLOW_TRACKING_URI: '' });
    assert.equal(back.status, 0, back.stdout + back.stderr);
    assert.equal(runNamed('a').metrics.length, 1);
  });

  it('SIGTERM stops after the request in flight (exit 143); after a SIGKILL, the next sync resumes', async (t) => {
    const logdir = path.join(root, 'long');
    await server.stop();
    const total = 12_000;
    await spoolRun(logdir, 'long', (tracker) => {
      for (let step = 0; step < total; step += 1) tracker.logMetric('loss', step, step);
    });
    await server.listen();
    server.delayMs = 60; // a slow server: about 12 requests of 1000 metrics each

    const batches = () => server.requestsTo('runs/log-batch').filter((request) => request.status === 200).length;
    const before = batches();
    const terminated = spawnGymnos(t, ['sync', logdir]);
    await waitFor(() => batches() >= before + 3, 'three batches before SIGTERM');
    terminated.child.kill('SIGTERM');
    const stopped = await terminated.done;
    assert.equal(stopped.status, 143, stopped.stderr);
    assert.match(stopped.stderr, /interrupted by SIGTERM: 1 of 1 run not delivered; their spools are kept/);
    const run = runNamed('long');
    const afterTerm = run.metrics.length;
    assert.ok(afterTerm >= 3000 && afterTerm < total, `${afterTerm} metrics delivered before the stop`);
    assert.equal(metricsSentTo(run), afterTerm, 'nothing sent twice');

    const killed = spawnGymnos(t, ['sync', logdir]);
    const beforeKill = batches();
    await waitFor(() => batches() >= beforeKill + 2, 'two more batches before SIGKILL');
    killed.child.kill('SIGKILL');
    assert.equal((await killed.done).signal, 'SIGKILL');
    assert.ok(existsSync(path.join(logdir, 'long', 'mlflow-spool.lock')), 'a SIGKILL leaves the spool locked');

    server.delayMs = 0;
    const resumed = await sync([logdir, '--json']);
    assert.equal(resumed.status, 0, `the dead holder's lock is taken over at once: ${resumed.stdout}${resumed.stderr}`);
    assert.equal(run.metrics.length, total, 'every metric arrived, in one MLflow run');
    runNamed('long');
    // A request the killed process had in flight may be sent again (MLflow keeps identical rows once): at most one.
    assert.ok(metricsSentTo(run) - total <= 1000, `${metricsSentTo(run) - total} metrics sent twice`);
    assert.equal(run.info.status, 'FINISHED');
  });
});

describe('gymnos sync through faults', () => {
  it('resumed after a kill mid-request: asks before sending again, progresses past the first timeout', async (t) => {
    const logdir = path.join(root, 'resumed');
    await server.stop();
    const total = 3_000;
    await spoolRun(logdir, 'resumed', (tracker) => {
      for (let step = 0; step < total; step += 1) tracker.logMetric('loss', step, step);
    });
    await server.listen();
    server.delayMs = 400;
    const received = () => server.requestsTo('runs/log-batch').length;
    const before = received();
    const killed = spawnGymnos(t, ['sync', logdir]);
    await waitFor(() => received() >= before + 2, 'the second batch in flight');
    killed.child.kill('SIGKILL');
    await killed.done;
    await waitFor(() => server.pending === 0, 'the server done with the request the killed sync left');
    // From now on every request takes longer than the first timeout, and a batch it already has takes longer still
    // (as MLflow's SQL store does: it reads the run's history to drop the duplicates).
    server.delayMs = 1_200;
    server.duplicateBatchDelayMs = 5_000;
    try {
      const resumed = await sync([logdir, '--request-timeout', '1', '--timeout', '20', '--json']);
      assert.equal(resumed.status, 0, `${resumed.stdout}${resumed.stderr}`);
    } finally {
      server.delayMs = 0;
      server.duplicateBatchDelayMs = 0;
    }
    const run = runNamed('resumed');
    assert.equal(run.metrics.length, total, 'every metric arrived');
    assert.equal(metricsSentTo(run), total, 'the batch whose answer the kill lost was not sent again');
    const asked = server.requestsTo('runs/get').length + server.requestsTo('metrics/get-history').length;
    assert.ok(asked > 0, 'the server was asked about it');
    assert.equal(run.info.status, 'FINISHED');
  });

  it('three syncs at once: a spool held by another is left to it, named, untouched; nothing sent twice', async (t) => {
    const logdir = path.join(root, 'three');
    await server.stop();
    const total = 3_000;
    for (const runId of ['held', 'raced']) {
      await spoolRun(logdir, runId, (tracker) => {
        for (let step = 0; step < total; step += 1) tracker.logMetric('loss', step, step);
      });
    }
    await server.listen();
    server.delayMs = 50;
    // This process holds one spool, as a run still logging would: every sync must leave it alone.
    const heldDir = path.join(logdir, 'held', 'mlflow-spool');
    const runJson = readFileSync(path.join(heldDir, 'run.json'), 'utf8');
    const holder = new Spool(heldDir, 1 << 30);
    await holder.open();
    let results;
    try {
      results = await Promise.all([1, 2, 3].map(() => spawnGymnos(t, ['sync', logdir, '--timeout', '5']).done));
    } finally {
      server.delayMs = 0;
      await holder.close();
    }
    for (const result of results) {
      assert.match(
        result.stdout,
        new RegExp(`^held: not delivered: the spool is in use by another process \\(pid ${process.pid}\\)`, 'm'),
        result.stdout + result.stderr,
      );
    }
    assert.equal(readFileSync(path.join(heldDir, 'run.json'), 'utf8'), runJson, 'a busy sync writes nothing there');
    const raced = runNamed('raced');
    assert.equal(raced.metrics.length, total);
    assert.equal(metricsSentTo(raced), total, 'each batch of the raced spool was sent by one sync, once');

    const last = await sync([logdir]);
    assert.equal(last.status, 0, last.stdout + last.stderr);
    assert.equal(runNamed('held').metrics.length, total);
    assert.equal(metricsSentTo(runNamed('held')), total);
  });

  it('--json and every line leave out the user, password and token of the tracking URI', async () => {
    const logdir = path.join(root, 'secret');
    await server.stop();
    await spoolRun(logdir, 'secret', (tracker) => tracker.logMetric('loss', 1, 0));
    const uri = `http://alice:s3cret@127.0.0.1:${server.port}/?token=t0ken`;
    const down = await sync([logdir, '--tracking-uri', uri, '--json', '--timeout', '0.2']);
    await server.listen();
    const up = await sync([logdir, '--tracking-uri', uri, '--json']);
    const text = await sync([logdir, '--tracking-uri', uri]);
    assert.equal(up.status, 0, up.stdout + up.stderr);
    for (const result of [down, up, text]) {
      for (const secret of ['alice', 's3cret', 't0ken']) {
        assert.ok(
          !`${result.stdout}${result.stderr}`.includes(secret),
          `${secret} printed: ${result.stdout}${result.stderr}`,
        );
      }
    }
    assert.equal(
      (JSON.parse(up.stdout) as { trackingUri: string }).trackingUri,
      `http://127.0.0.1:${server.port}/?token=***`,
    );
  });
});

describe('gymnos sync of a run whose process was killed', () => {
  it('sets the run KILLED and says so; the wait for a server that does not answer is said at once', async (t) => {
    const logdir = path.join(root, 'killed');
    const child = spawnInTest(t, process.execPath, [CHILD, server.url, logdir, 'wait'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    await waitFor(() => stdout.includes('logged\n') && server.runByName('exit-wait') !== undefined, 'the run started');
    child.kill('SIGKILL'); // no end(), no exit handler
    await new Promise((resolve) => child.on('close', resolve));
    assert.equal(runNamed('exit-wait').info.status, 'RUNNING');

    await server.stop();
    const waiting = spawnGymnos(t, ['sync', logdir, '--timeout', '30']);
    let said = '';
    waiting.child.stderr!.on('data', (chunk: Buffer) => (said += chunk.toString()));
    await waitFor(() => /does not answer/.test(said), 'the line saying the server does not answer');
    assert.equal(waiting.child.exitCode, null, 'said before the wait, not after it');
    assert.match(
      said,
      new RegExp(`^gymnos: exit-wait: ${server.url} does not answer \\(.*\\); retrying for up to 30 s`),
    );
    waiting.child.kill('SIGTERM');
    await waiting.done;
    await server.listen();

    const synced = await sync([logdir]);
    assert.equal(synced.status, 0, synced.stdout + synced.stderr);
    assert.match(synced.stdout, /^exit-wait: delivered the KILLED status .*marked KILLED\)$/m);
    assert.equal(runNamed('exit-wait').info.status, 'KILLED');
  });
});
