/**
 * The parts of the mlflow delivery, each on its own: the retry policy (pure: no timers, no network), the
 * memory queue, the sender's explicit results, and how the delivery puts them together when the spool is
 * written while training goes on logging.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { MlflowTracker } from '../../src/trackers/mlflow.js';
import { MlflowRestClient } from '../../src/trackers/mlflow/client.js';
import { MlflowDelivery } from '../../src/trackers/mlflow/delivery.js';
import type { DataRecord } from '../../src/trackers/remote/records.js';
import { MemoryQueue } from '../../src/trackers/remote/queue.js';
import { retryDelayFromHeaders } from '../../src/trackers/remote/retry_after.js';
import { RetryPolicy } from '../../src/trackers/remote/retry_policy.js';
import { MlflowSender } from '../../src/trackers/mlflow/sender.js';
import { MlflowTestServer } from '../fixtures/mlflow_server.js';

const server = await MlflowTestServer.start();
after(() => server.stop());

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-mlflow-parts-'));
});
afterEach(async () => {
  await server.listen();
  await rm(dir, { recursive: true, force: true });
});

const metric = (step: number, key = 'loss'): DataRecord => ({ t: 'metric', key, value: step, timestamp: 1, step });

describe('mlflow retry policy', () => {
  const options = { baseMs: 100, maxMs: 1_000 };

  /** The delays a policy chooses for `failures` failures in a row (each with `retryAfterMs`, if given). */
  const delays = (random: () => number, failures: number, retryAfterMs?: number) => {
    const policy = new RetryPolicy({ ...options, random });
    return Array.from({ length: failures }, () => policy.failed(0, retryAfterMs));
  };

  test('doubles from baseMs, capped at maxMs, with a jitter in [0.5, 1)', () => {
    assert.deepEqual(delays(() => 0.999_999, 6).map(Math.round), [100, 200, 400, 800, 1000, 1000]);
    assert.deepEqual(
      delays(() => 0, 3),
      [50, 100, 200],
    );
  });

  test('a Retry-After longer than the backoff wins, up to maxMs', () => {
    assert.deepEqual(
      delays(() => 0, 1, 700),
      [700],
    );
    assert.deepEqual(
      delays(() => 0, 1, 10),
      [50],
    );
    assert.deepEqual(
      delays(() => 0, 1, 60_000),
      [1_000],
    );
  });

  test('failures push the next attempt back; a success resets the count; attemptNow lifts the wait', () => {
    const policy = new RetryPolicy({ ...options, random: () => 0 });
    assert.equal(policy.mayAttempt(0), true);
    assert.equal(policy.failed(1_000), 50);
    assert.equal(policy.failed(1_000), 100);
    assert.equal(policy.failures, 2);
    assert.equal(policy.nextAttemptAt, 1_100);
    assert.equal(policy.mayAttempt(1_099), false);
    assert.equal(policy.mayAttempt(1_100), true);
    policy.attemptNow();
    assert.equal(policy.mayAttempt(1_000), true);
    assert.equal(policy.failures, 2, 'an explicit flush does not forget the outage');
    policy.succeeded();
    assert.equal(policy.failed(2_000), 50, 'after a success the backoff starts over');
  });
});

describe('remote: how long a server asks to wait', () => {
  const headers = (entries: Record<string, string>) => new Headers(entries);
  const now = Date.parse('2026-01-01T00:00:00Z');

  test('Retry-After (seconds, a date), X-RateLimit-Reset (seconds, a Unix time), RateLimit-Reset at 0 left', () => {
    assert.equal(retryDelayFromHeaders(headers({ 'Retry-After': '3' }), now), 3_000);
    assert.equal(retryDelayFromHeaders(headers({ 'Retry-After': 'Thu, 01 Jan 2026 00:00:05 GMT' }), now), 5_000);
    assert.equal(retryDelayFromHeaders(headers({ 'X-RateLimit-Reset': '7' }), now), 7_000);
    assert.equal(retryDelayFromHeaders(headers({ 'X-RateLimit-Reset': String(now / 1000 + 9) }), now), 9_000);
    assert.equal(retryDelayFromHeaders(headers({ 'RateLimit-Remaining': '0', 'RateLimit-Reset': '11' }), now), 11_000);
    assert.equal(
      retryDelayFromHeaders(headers({ 'RateLimit-Remaining': '5', 'RateLimit-Reset': '11' }), now),
      undefined,
    );
    assert.equal(
      retryDelayFromHeaders(headers({ 'Retry-After': '1', 'X-RateLimit-Reset': '4' }), now),
      4_000,
      'the longest',
    );
    assert.equal(retryDelayFromHeaders(headers({}), now), undefined);
  });

  test('a 429 with only a rate-limit reset header is retried after it', async () => {
    const client = new MlflowRestClient({ trackingUri: server.url, requestTimeoutMs: 1_000 });
    server.failNext(1, 429, { 'RateLimit-Remaining': '0', 'RateLimit-Reset': '2' });
    const sender = new MlflowSender(client, new AbortController().signal);
    const result = await sender.sendStatus('no-such-run', 'FINISHED', undefined);
    assert.equal(result.kind === 'retryable' && result.retryAfterMs, 2_000);
  });
});

describe('mlflow memory queue', () => {
  test('forgets what a snapshot held and only that: records pushed since are kept', () => {
    const queue = new MemoryQueue(10);
    queue.push(metric(0));
    queue.push({ t: 'artifact', path: 'a.txt', contentType: 'text/plain', file: '/tmp/a.txt' });
    const snapshot = queue.snapshot();
    queue.push(metric(1));
    queue.push({ t: 'artifact', path: 'b.txt', contentType: 'text/plain', file: '/tmp/b.txt' });
    queue.forget(snapshot);
    assert.deepEqual(
      queue.data.map((record) => (record as { step: number }).step),
      [1],
    );
    assert.equal(queue.firstArtifact?.path, 'b.txt');
    assert.deepEqual(queue.counts(), { metrics: 1, params: 0, tags: 0, artifacts: 1 });
  });

  test('refuses beyond maxItems', () => {
    const queue = new MemoryQueue(2);
    assert.equal(queue.push(metric(0)), true);
    assert.equal(queue.push(metric(1)), true);
    assert.equal(queue.push(metric(2)), false);
    assert.equal(queue.size, 2);
  });
});

describe('mlflow sender: explicit results', () => {
  const client = () => new MlflowRestClient({ trackingUri: server.url, requestTimeoutMs: 1_000 });

  async function newRun(sender: MlflowSender) {
    const created = await sender.createRun({
      experimentName: 'parts',
      experimentId: undefined,
      runName: `run-${Math.random()}`,
      startTime: Date.now(),
      tags: {},
    });
    assert.equal(created.kind, 'delivered');
    return created.kind === 'delivered' ? created.run : assert.fail();
  }

  test('a batch: delivered, or refused per record with the reason, or retryable with what was settled', async () => {
    const sender = new MlflowSender(client(), new AbortController().signal);
    const run = await newRun(sender);
    server.refusedMetricKeys.add('bad');
    try {
      const result = await sender.sendData(run.run_id, [metric(0), metric(1, 'bad'), metric(2)]);
      assert.equal(result.settled, 3);
      assert.equal(result.failure, undefined);
      assert.deepEqual(
        result.refused.map(({ record }) => record.key),
        ['bad'],
      );
      assert.match(result.refused[0]!.reason, /HTTP 400/);
    } finally {
      server.refusedMetricKeys.delete('bad');
    }
    server.failNext(1, 503, { 'Retry-After': '2' });
    const busy = await sender.sendData(run.run_id, [metric(3)]);
    assert.equal(busy.settled, 0);
    assert.equal(busy.failure?.kind, 'retryable');
    assert.equal(busy.failure?.kind === 'retryable' && busy.failure.retryAfterMs, 2_000);
  });

  test('an unknown run stops delivery; a file that is gone is a refusal', async () => {
    const sender = new MlflowSender(client(), new AbortController().signal);
    const stopped = await sender.sendStatus('no-such-run', 'FINISHED', Date.now());
    assert.equal(stopped.kind, 'stopped');
    const run = await newRun(sender);
    const gone = await sender.sendArtifact(run.artifact_uri, {
      t: 'artifact',
      path: 'gone.txt',
      contentType: 'text/plain',
      file: path.join(dir, 'gone.txt'),
    });
    assert.deepEqual(gone, { kind: 'refused', reason: `cannot read ${path.join(dir, 'gone.txt')}: ENOENT` });
  });

  test('a bug in the sender is thrown, not mistaken for a refusal', async () => {
    class BuggyClient extends MlflowRestClient {
      override async uploadArtifact(): Promise<void> {
        throw new TypeError('Cannot read properties of undefined (reading "length")');
      }
    }
    const sender = new MlflowSender(
      new BuggyClient({ trackingUri: server.url, requestTimeoutMs: 1_000 }),
      new AbortController().signal,
    );
    const run = await newRun(sender);
    const record = { t: 'artifact' as const, path: 'f.txt', contentType: 'text/plain', bytes: new Uint8Array(3) };
    await assert.rejects(sender.sendArtifact(run.artifact_uri, record), TypeError);
  });
});

describe('mlflow delivery: the parts together', () => {
  test('a bug while sending an artifact is an internal error: the artifact is kept, not reported refused', async () => {
    class BuggyClient extends MlflowRestClient {
      override async uploadArtifact(): Promise<void> {
        throw new TypeError('body.stream is not a function');
      }
    }
    const warnings: { code: string; message: string }[] = [];
    const delivery = new MlflowDelivery({
      client: new BuggyClient({ trackingUri: server.url, requestTimeoutMs: 1_000 }),
      spoolDir: path.join(dir, 'spool'),
      maxSpoolBytes: 1 << 20,
      meta: {
        version: 1,
        trackingUri: server.url,
        experimentName: 'parts',
        runName: 'buggy',
        gymnosRunId: 'buggy',
        startTime: Date.now(),
      },
      mode: 'session',
      retryBaseMs: 10,
      retryMaxMs: 20,
      maxQueueItems: 100,
      runTags: {},
      warn: (code, message) => warnings.push({ code, message }),
    });
    delivery.enqueue({ t: 'artifact', path: 'figures/f.svg', contentType: 'image/svg+xml', bytes: new Uint8Array(4) });
    delivery.enqueue(metric(0));
    // Drain in short slices until the upload has been tried (the run created and the metric sent first), however
    // slow the machine: a single fixed deadline would race the load, not test the delivery.
    const tried = () => warnings.some((warning) => warning.code === 'GYMNOS_MLFLOW_INTERNAL_ERROR');
    for (const giveUp = Date.now() + 20_000; !tried() && Date.now() < giveUp;) await delivery.drain(Date.now() + 50);
    await delivery.close();
    const report = await delivery.report();
    assert.equal(report.rejectedCount, 0, 'a bug is not a refusal');
    assert.equal(report.undelivered.artifacts, 1, 'the artifact is kept in the spool');
    assert.equal(report.delivered.metrics, 1);
    assert.equal(report.complete, false);
    assert.match(report.lastError ?? '', /internal error in the mlflow delivery: body.stream is not a function/);
    const internal = warnings.filter((warning) => warning.code === 'GYMNOS_MLFLOW_INTERNAL_ERROR');
    assert.equal(internal.length, 1, 'said once');
    assert.match(internal[0]!.message, /please report it/);
    assert.ok(!warnings.some((warning) => warning.code === 'GYMNOS_MLFLOW_REJECTED'));
  });

  test('nothing logged while the spool is written is lost (the queue forgets only what was written)', async () => {
    const tracker = new MlflowTracker({
      trackingUri: server.url,
      flushIntervalMs: 2,
      retryBaseMs: 1,
      retryMaxMs: 2,
      requestTimeoutMs: 500,
      startTimeoutMs: 1_000,
      endTimeoutMs: 10_000,
    });
    await tracker.start('busy-spool', dir);
    await server.stop();
    // Log one metric per turn of the event loop for a while: the timer keeps spilling the queue to the spool
    // meanwhile, so many log calls land while an append to the spool is in flight.
    let logged = 0;
    const until = Date.now() + 400;
    while (Date.now() < until) {
      for (let i = 0; i < 20; i += 1) tracker.logMetric('loss', logged, logged++);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await server.listen();
    await tracker.end();
    const report = tracker.endReport!;
    assert.equal(report.complete, true, JSON.stringify(report));
    assert.deepEqual(report.dropped, { metrics: 0, params: 0, tags: 0, artifacts: 0 });
    const run = server.runs.get(tracker.mlflowRunId!)!;
    const steps = new Set(run.metrics.map((row) => row.step));
    assert.equal(steps.size, logged, `${logged - steps.size} of ${logged} metrics never reached the server`);
  });
});
