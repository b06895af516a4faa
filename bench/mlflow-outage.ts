/**
 * The mlflow tracker through an outage and a slow server, at full logging speed, against the loopback MLflow
 * server of the tests (test/fixtures/mlflow_server.ts; no real MLflow server can be installed here):
 *
 *   node --import tsx bench/mlflow-outage.ts            (OUTAGE_S, RUN_S, SLOW_MS and SLOW_METRICS to change)
 *
 * 1. outage: a training loop logs metrics as fast as it can (yielding every 500 calls, as a loop between
 *    batches does) for RUN_S seconds; the server is stopped after 20 % of it for OUTAGE_S seconds and restarted
 *    on the same port with its data. Then end(). Reported: metrics logged, delivered (what the server holds),
 *    and the end report.
 * 2. slow server: SLOW_METRICS metrics logged as fast as possible against a server answering every request
 *    SLOW_MS late; end() with a short endTimeoutMs, then the spool delivered with deliverSpool. Reported: logged,
 *    delivered at end, spooled, and delivered once the spool is replayed.
 * 3. a sync killed mid-request (`npm run build` first: the real bin is spawned): a spool of KILL_METRICS metrics
 *    (36 000, the run of issue 17), `gymnos sync` SIGKILLed while its second batch is in flight (the server takes
 *    it), then a server that needs DUPLICATE_S seconds to take a batch it already has (as MLflow's SQL store does on
 *    such a run: 15 s) and `gymnos sync` again with its default 10 s request timeout. Reported: the resumed sync's
 *    exit and time, metrics stored, rows sent twice, and the questions asked instead.
 * 4. `logcall` (only when named): what one `logMetric` costs the training loop, 1 000 000 calls into the memory
 *    queue after a warm-up, no delivery round meanwhile (run it several times: the median is the figure).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { MlflowTracker } from '../src/trackers/mlflow.js';
import { MlflowTestServer } from '../test/fixtures/mlflow_server.js';

const RUN_S = Number(process.env.RUN_S ?? 10);
const OUTAGE_S = Number(process.env.OUTAGE_S ?? 4);
const SLOW_MS = Number(process.env.SLOW_MS ?? 200);
const SLOW_METRICS = Number(process.env.SLOW_METRICS ?? 200_000);
const KILL_METRICS = Number(process.env.KILL_METRICS ?? 36_000);
const DUPLICATE_S = Number(process.env.DUPLICATE_S ?? 15);
const BIN = path.join(import.meta.dirname, '..', 'bin', 'gymnos.js');

function delivered(server: MlflowTestServer, tracker: MlflowTracker): number {
  return server.runs.get(tracker.mlflowRunId!)?.metrics.length ?? 0;
}

async function outage(): Promise<void> {
  const server = await MlflowTestServer.start();
  const logdir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-bench-outage-'));
  const tracker = new MlflowTracker({
    trackingUri: server.url,
    flushIntervalMs: 200,
    retryMaxMs: 1_000,
    endTimeoutMs: 120_000,
  });
  await tracker.start('outage', logdir);
  let logged = 0;
  const started = performance.now();
  let stopped = false;
  let restarted = false;
  for (let step = 0; performance.now() - started < RUN_S * 1000; step++) {
    tracker.logMetric('loss', 1 / (step + 1), step);
    logged++;
    if (logged % 500 === 0) await yieldToLoop();
    const elapsed = (performance.now() - started) / 1000;
    if (!stopped && elapsed > RUN_S * 0.2) {
      stopped = true;
      void server.stop();
      console.log(`outage: server stopped at ${elapsed.toFixed(1)} s after ${logged} metrics`);
    }
    if (stopped && !restarted && elapsed > RUN_S * 0.2 + OUTAGE_S) {
      restarted = true;
      await server.listen();
      console.log(`outage: server back at ${elapsed.toFixed(1)} s after ${logged} metrics`);
    }
  }
  const rate = logged / RUN_S;
  const ending = performance.now();
  await tracker.end();
  const endSeconds = (performance.now() - ending) / 1000;
  const report = tracker.endReport as unknown as Record<string, unknown>;
  console.log(
    `outage: logged ${logged} (${Math.round(rate)}/s), delivered ${delivered(server, tracker)}, ` +
      `lost ${logged - delivered(server, tracker)}, end() ${endSeconds.toFixed(1)} s; end report: ` +
      JSON.stringify(report),
  );
  await server.stop();
  await rm(logdir, { recursive: true, force: true });
}

async function slowServer(): Promise<void> {
  const server = await MlflowTestServer.start();
  const logdir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-bench-slow-'));
  const tracker = new MlflowTracker({ trackingUri: server.url, flushIntervalMs: 200, endTimeoutMs: 2_000 });
  await tracker.start('slow', logdir);
  server.delayMs = SLOW_MS;
  const started = performance.now();
  for (let step = 0; step < SLOW_METRICS; step++) {
    tracker.logMetric('loss', 1 / (step + 1), step);
    if (step % 500 === 499) await yieldToLoop();
  }
  const seconds = (performance.now() - started) / 1000;
  await tracker.end();
  const atEnd = delivered(server, tracker);
  const report = tracker.endReport as unknown as Record<string, unknown>;
  console.log(
    `slow: logged ${SLOW_METRICS} in ${seconds.toFixed(1)} s (${Math.round(SLOW_METRICS / seconds)}/s), ` +
      `delivered by end() ${atEnd}; end report: ${JSON.stringify(report)}`,
  );
  server.delayMs = 0;
  await sleep(100);
  const spoolDir = (report.spoolDir as string | undefined) ?? path.join(logdir, 'slow', 'mlflow-spool');
  const replaying = performance.now();
  try {
    await MlflowTracker.deliverSpool(spoolDir, { trackingUri: server.url, timeoutMs: 120_000 });
  } catch (error) {
    console.log(`slow: deliverSpool: ${(error as Error).message}`);
  }
  const replaySeconds = (performance.now() - replaying) / 1000;
  const total = delivered(server, tracker);
  console.log(
    `slow: after the spool is replayed (in ${replaySeconds.toFixed(1)} s), delivered ${total}, ` +
      `lost ${SLOW_METRICS - total}`,
  );
  await server.stop();
  await rm(logdir, { recursive: true, force: true });
}

/** `gymnos sync <logdir>` through the real bin; resolves with its exit and output once it ends. */
function gymnosSync(logdir: string, onStart?: (kill: () => void) => void) {
  const child = spawn(process.execPath, [BIN, 'sync', logdir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  onStart?.(() => child.kill('SIGKILL'));
  return new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, output })),
  );
}

async function killedSync(): Promise<void> {
  const server = await MlflowTestServer.start();
  await server.stop();
  const logdir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-bench-killed-'));
  const tracker = new MlflowTracker({ trackingUri: server.url, startTimeoutMs: 50, endTimeoutMs: 50 });
  await tracker.start('killed', logdir);
  for (let step = 0; step < KILL_METRICS; step++) tracker.logMetric('loss', 1 / (step + 1), step);
  await tracker.end();
  await server.listen();
  server.delayMs = 300;
  const received = () => server.requestsTo('runs/log-batch').length;
  await gymnosSync(logdir, (kill) => {
    const timer = setInterval(() => {
      if (received() >= 2) {
        clearInterval(timer);
        kill();
      }
    }, 5);
  });
  while (server.pending > 0) await sleep(10);
  server.delayMs = 0;
  server.duplicateBatchDelayMs = DUPLICATE_S * 1000;
  const started = performance.now();
  const resumed = await gymnosSync(logdir);
  const seconds = (performance.now() - started) / 1000;
  const run = server.runByName('killed')!;
  const sent = server
    .requestsTo('runs/log-batch', run.info.run_id)
    .filter((request) => request.status === 200)
    .reduce((sum, request) => sum + ((request.body as { metrics?: unknown[] }).metrics?.length ?? 0), 0);
  console.log(
    `killed sync: resumed sync exit ${resumed.code} in ${seconds.toFixed(1)} s; stored ${run.metrics.length} of ` +
      `${KILL_METRICS}, rows sent twice ${sent - run.metrics.length}, questions asked ` +
      `${server.requestsTo('runs/get').length + server.requestsTo('metrics/get-history').length}, ` +
      `status ${run.info.status}`,
  );
  await server.stop();
  await rm(logdir, { recursive: true, force: true });
}

async function logCall(): Promise<void> {
  const logdir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-bench-logcall-'));
  const hour = 3_600_000;
  const tracker = new MlflowTracker({
    trackingUri: 'http://127.0.0.1:9',
    startTimeoutMs: 1,
    maxQueueItems: 3_000_000,
    flushIntervalMs: hour,
    retryBaseMs: hour,
    retryMaxMs: hour,
  });
  process.on('warning', () => undefined); // the server is not there, by design
  await tracker.start('logcall', logdir);
  for (let step = 0; step < 200_000; step++) tracker.logMetric('warm', step, step);
  const calls = 1_000_000;
  const started = performance.now();
  for (let step = 0; step < calls; step++) tracker.logMetric('loss', 1 / (step + 1), step);
  const ns = ((performance.now() - started) * 1e6) / calls;
  console.log(`logcall: ${Math.round(ns)} ns per logMetric`);
  await rm(logdir, { recursive: true, force: true });
  process.exit(0); // the queue is not delivered: nothing listens
}

const only = process.argv[2];
if (only === 'logcall') await logCall();
if (!only || only === 'outage') await outage();
if (!only || only === 'slow') await slowServer();
if (!only || only === 'killed') await killedSync();
