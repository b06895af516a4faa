/**
 * The comet tracker through the faults of the strict loopback Comet server: metrics logged at full speed through a
 * 5 s outage (the server stopped and restarted with its data) all arrive exactly once; 5xx bursts, 429s with reset
 * headers, a server that never answers (before or after carrying the request out), malformed JSON and an HTML proxy
 * page lose nothing and store nothing twice; a creation whose answer was lost makes one experiment; an install
 * without the batch endpoints gets the documented one-value endpoints; the tracker paces itself within Comet's rate
 * limits, so that the server never has to refuse one, and `flush()` does not wait for them.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { setTimeout as sleep, setImmediate as yieldToLoop } from 'node:timers/promises';
import { CometTracker } from '../../src/trackers/comet.js';
import type { CometTrackerParams } from '../../src/trackers/comet.js';
import { COMET_API_KEY, CometTestServer } from '../fixtures/comet_server.js';
import type { CometLimits, StoredExperiment } from '../fixtures/comet_server.js';
import { flushEpochsThroughOutage } from '../fixtures/black_hole.js';
import { captureWarnings, warningOf } from '../helpers/warnings.js';

/** Limits no test here reaches but the pacing ones, on the client as on the server. */
const HIGH = { limit: 100_000_000, windowMs: 60_000 };
const UNLIMITED: Partial<CometLimits> = {
  restRequests: 100_000_000,
  metricsPerMinute: 100_000_000,
  paramsPerMinute: 100_000_000,
  othersPerMinute: 100_000_000,
};

let server: CometTestServer;
let dir: string;
let capture: ReturnType<typeof captureWarnings>;
/** A fresh server and directory per test (hooks in each describe: this file shares its process with others). */
function useServer(): void {
  beforeEach(async () => {
    server = await CometTestServer.start(UNLIMITED);
    dir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-comet-faults-'));
    capture = captureWarnings();
  });
  afterEach(async () => {
    capture.stop();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });
}

const params = (more: CometTrackerParams = {}): CometTrackerParams => ({
  url: server.clientlibUrl,
  apiKey: COMET_API_KEY,
  workspace: 'test-workspace',
  projectName: 'faults',
  flushIntervalMs: 50,
  retryBaseMs: 20,
  retryMaxMs: 500,
  requestTimeoutMs: 1_000,
  startTimeoutMs: 2_000,
  endTimeoutMs: 60_000,
  rateLimits: {
    metricsPerMinute: HIGH,
    paramsPerMinute: HIGH,
    othersPerMinute: HIGH,
    restRequestsPerHour: HIGH,
  },
  ...more,
});

/** Asserts that `experiment` holds metric `name` at every step in [0, count), each exactly once. */
function assertExactlyOnce(experiment: StoredExperiment, name: string, count: number): void {
  const seen = new Map<number, number>();
  for (const metric of experiment.metrics) {
    if (metric.name === name) seen.set(metric.step!, (seen.get(metric.step!) ?? 0) + 1);
  }
  const twice = [...seen].filter(([, times]) => times > 1).map(([step]) => step);
  const missing: number[] = [];
  for (let step = 0; step < count; step += 1) if (!seen.has(step)) missing.push(step);
  assert.deepEqual(
    { twice: twice.slice(0, 10), missing: missing.slice(0, 10), extra: seen.size - (count - missing.length) },
    { twice: [], missing: [], extra: 0 },
    `${name}: ${count} steps logged, ${seen.size} distinct stored`,
  );
}

/** A run that logs `count` metrics (and a param, a tag), with `during` run once it has started; then end(). */
async function run(
  runId: string,
  count: number,
  during: () => void | Promise<void>,
  more: CometTrackerParams = {},
): Promise<{ tracker: CometTracker; experiment: StoredExperiment }> {
  const tracker = new CometTracker(params(more));
  await tracker.start(runId, dir);
  tracker.logParam('lr', 0.1);
  tracker.logTag('phase', 'faults');
  await during();
  for (let step = 0; step < count; step += 1) {
    tracker.logMetric('loss', 1 / (step + 1), step);
    if (step % 500 === 499) await yieldToLoop();
  }
  await tracker.end();
  assert.equal(tracker.endReport?.complete, true, JSON.stringify(tracker.endReport));
  assert.deepEqual(tracker.endReport?.delivered, tracker.endReport?.logged, 'the counts add up');
  const experiment = server.experimentNamed(runId);
  assertExactlyOnce(experiment, 'loss', count);
  assert.equal(experiment.params.get('lr'), '0.1');
  assert.equal(experiment.others.get('phase'), 'faults');
  assert.equal(experiment.others.get('gymnos.status'), 'FINISHED');
  assert.deepEqual(server.violations, [], 'the client sent nothing the server refuses');
  return { tracker, experiment };
}

describe('comet: outages', () => {
  useServer();
  test('metrics logged through a 5 s outage all arrive, exactly once', { timeout: 120_000 }, async () => {
    const tracker = new CometTracker(params());
    await tracker.start('outage', dir);
    const started = performance.now();
    let step = 0;
    let outage: 'before' | 'down' | 'back' = 'before';
    // A training loop: 300 metrics a step at full speed, a step every 10 ms, for 6 s; the server is down from
    // 0.5 s to 5.5 s. (bench/comet-outage.ts and test/e2e/comet_outage.test.ts log without pausing at all.)
    while (performance.now() - started < 6_000) {
      for (let index = 0; index < 300; index += 1, step += 1) tracker.logMetric('loss', 1 / (step + 1), step);
      await sleep(10);
      const elapsed = performance.now() - started;
      if (outage === 'before' && elapsed > 500) {
        outage = 'down';
        await server.stop();
      } else if (outage === 'down' && elapsed > 5_500) {
        outage = 'back';
        await server.listen();
      }
    }
    await tracker.end();
    const report = tracker.endReport!;
    assert.equal(report.complete, true, JSON.stringify(report));
    assert.equal(report.logged.metrics, step);
    assert.equal(report.delivered.metrics, step);
    assertExactlyOnce(server.experimentNamed('outage'), 'loss', step);
    assert.deepEqual(server.violations, []);
    assert.ok(await warningOf(capture.warnings, 'GYMNOS_COMET_UNAVAILABLE', 0), 'the outage was said');
  });

  test('flush() during a known outage returns once the data is spooled, even from a server that hangs', async () => {
    // A request into the port that never answers waits requestTimeoutMs: a flush that waited would not settle.
    const tracker = new CometTracker(
      params({ requestTimeoutMs: 600_000, flushTimeoutMs: 600_000, endTimeoutMs: 3_000 }),
    );
    await tracker.start('epochs', dir);
    tracker.logMetric('loss', 0.5, 0);
    await tracker.flush();
    assert.equal(server.experimentNamed('epochs').metrics.length, 1, 'with the server up, flush waited');
    await flushEpochsThroughOutage(tracker, server, capture.warnings, 'GYMNOS_COMET_UNAVAILABLE');
    await tracker.end();
    // Every metric arrived or waits in the spool, none lost (a batch the hung server took without an answer may stay
    // in doubt, asked about rather than sent blind again).
    const report = tracker.endReport!;
    assert.equal(report.delivered.metrics + report.undelivered.metrics, 5, JSON.stringify(report));
    assert.equal(report.dropped.metrics, 0);
    assert.deepEqual(server.violations, []);
  });

  test('a burst of 5xx answers', async () => {
    await run('five-hundreds', 5_000, () => server.failNext(8, 503), { retryMaxMs: 100 });
  });

  test('429s with reset headers: waited for (Retry-After, X-RateLimit-Reset), nothing lost', async () => {
    const started = Date.now();
    await run('too-many', 3_000, () => {
      server.failNext(2, 429, {
        'Retry-After': '1',
        'X-RateLimit-Reset': String(Math.ceil(Date.now() / 1000) + 1),
      });
    });
    assert.ok(Date.now() - started >= 1_000, 'the reset was waited for');
  });

  test('a server that never answers, before carrying the request out', async () => {
    await run('silent', 3_000, () => server.hangNext(2, { only: '/clientlib/' }), { requestTimeoutMs: 300 });
  });

  test('a server that carries a batch out and never answers: asked about, not sent again', async () => {
    const { experiment } = await run('answer-lost', 3_000, () =>
      server.hangNext(1, { afterProcessing: true, only: '/batch/logger/experiment/metric' }),
    );
    assert.ok(server.requestsTo('experiment/metrics/get-metric').length > 0, 'the lost batch was asked about');
    assert.equal(experiment.metrics.length, 3_000);
  });

  test('malformed JSON and an HTML proxy page with a 200 are not deliveries', async () => {
    await run('impostors', 3_000, () => {
      server.impostorNext(2, 'malformed', '/clientlib/');
    });
    server.impostorNext(2, 'html', '/clientlib/');
    const { tracker } = await run('proxy-page', 2_000, () => undefined);
    void tracker;
    assert.ok(
      capture.warnings.some((warning) => /a web page \(text\/html.*not Comet's JSON/.test(warning.message)),
      'the proxy page is named',
    );
  });

  test('a creation whose answer was lost makes one experiment', async () => {
    server.hangNext(1, { afterProcessing: true, only: 'write/experiment/create' });
    await run('created-once', 500, () => undefined, { startTimeoutMs: 200 });
    assert.ok(server.requestsTo('/experiments').length > 0, 'the project was searched before creating again');
  });

  test('an install without the batch endpoints gets one value a request, said once', async () => {
    server.batchEndpoints = false;
    await run('no-batch', 100, () => undefined);
    assert.equal(server.requestsTo('write/experiment/metric').length, 100);
    const warned = capture.warnings.filter((warning) => warning.code === 'GYMNOS_COMET_NO_BATCH_ENDPOINT');
    assert.ok(warned.length >= 1 && warned.length <= 2, `warned ${warned.length} times (metrics, params)`);
  });
});

describe('comet: pacing within the rate limits', () => {
  useServer();
  test('a run faster than the limits is paced: the server never refuses one, flush() does not wait', async () => {
    await server.stop();
    server = await CometTestServer.start({
      ...UNLIMITED,
      metricsPerMinute: 2_000,
      restRequests: 30,
      restWindowMs: 2_000,
      minuteMs: 2_000,
    });
    const tracker = new CometTracker(
      params({
        rateLimits: {
          metricsPerMinute: { limit: 2_000, windowMs: 2_000 },
          restRequestsPerHour: { limit: 30, windowMs: 2_000 },
          paramsPerMinute: HIGH,
          othersPerMinute: HIGH,
        },
      }),
    );
    await tracker.start('paced', dir);
    for (let step = 0; step < 4_000; step += 1) tracker.logMetric('loss', step, step);
    for (let index = 0; index < 40; index += 1) tracker.logTag(`tag${index}`, 'x');
    // A flush that waited for the limits would return with everything delivered (two windows of 2 s, well within
    // its 30 s deadline): what is left undelivered shows it did not wait, and no clock of a loaded machine is read.
    await tracker.flush();
    const afterFlush = await tracker.deliveryReport();
    assert.ok(afterFlush!.undelivered.metrics > 0, 'flush() waited for the rate limits: the limits held none back');
    await tracker.end();
    assert.equal(tracker.endReport?.complete, true, JSON.stringify(tracker.endReport));
    const experiment = server.experimentNamed('paced');
    assertExactlyOnce(experiment, 'loss', 4_000);
    assert.equal(experiment.others.size, 40 + 2);
    assert.deepEqual(server.violations, [], 'no rate limit breached');
    assert.equal(server.requests.filter((request) => request.status === 429).length, 0);
  });

  test('held back by the limits at end(): in the spool, in the end report, then sent by sync', async () => {
    await server.stop();
    server = await CometTestServer.start({ ...UNLIMITED, metricsPerMinute: 1_000, minuteMs: 60_000 });
    const tracker = new CometTracker(
      params({
        rateLimits: { metricsPerMinute: 1_000, paramsPerMinute: HIGH, othersPerMinute: HIGH },
        endTimeoutMs: 500,
      }),
    );
    await tracker.start('held-back', dir);
    for (let step = 0; step < 2_500; step += 1) tracker.logMetric('loss', step, step);
    await tracker.end();
    const report = tracker.endReport!;
    assert.equal(report.delivered.metrics, 1_000);
    assert.equal(report.undelivered.metrics, 1_500);
    assert.equal(report.undelivered.status, 'FINISHED');
    const said = await warningOf(capture.warnings, 'GYMNOS_COMET_UNDELIVERED', 1_000);
    assert.match(
      said?.message ?? '',
      new RegExp(
        'could not deliver 1500 metrics, the FINISHED status to .* they are kept in .*comet-spool: ' +
          'deliver them later with `npx gymnos sync ',
      ),
    );
    assert.deepEqual(server.violations, []);
    // The next minute (here: limits lifted), the spool's delivery sends the rest, once, and the status last.
    server.setLimits(UNLIMITED);
    const synced = await CometTracker.deliverSpool(tracker.spoolDir!, {
      url: server.clientlibUrl,
      apiKey: COMET_API_KEY,
    });
    assert.equal(synced.complete, true, JSON.stringify(synced));
    assert.equal(synced.delivered.metrics, 1_500);
    const experiment = server.experimentNamed('held-back');
    assertExactlyOnce(experiment, 'loss', 2_500);
    assert.equal(experiment.others.get('gymnos.status'), 'FINISHED');
    assert.ok(experiment.endTimeMillis);
    assert.deepEqual(server.violations, []);
  });
});
