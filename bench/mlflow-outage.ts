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
 */
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
  await tracker.end();
  const report = tracker.endReport as unknown as Record<string, unknown>;
  console.log(
    `outage: logged ${logged} (${Math.round(rate)}/s), delivered ${delivered(server, tracker)}, ` +
      `lost ${logged - delivered(server, tracker)}; end report: ${JSON.stringify(report)}`,
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
  try {
    await MlflowTracker.deliverSpool(spoolDir, { trackingUri: server.url, timeoutMs: 120_000 });
  } catch (error) {
    console.log(`slow: deliverSpool: ${(error as Error).message}`);
  }
  const total = delivered(server, tracker);
  console.log(`slow: after the spool is replayed, delivered ${total}, lost ${SLOW_METRICS - total}`);
  await server.stop();
  await rm(logdir, { recursive: true, force: true });
}

await outage();
await slowServer();
