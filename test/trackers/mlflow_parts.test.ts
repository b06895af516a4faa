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
import type { DataRecord } from '../../src/trackers/mlflow/limits.js';
import { MemoryQueue } from '../../src/trackers/mlflow/queue.js';
import { backoffDelay, RetryPolicy } from '../../src/trackers/mlflow/retry_policy.js';
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

  test('doubles from baseMs, capped at maxMs, with a jitter in [0.5, 1)', () => {
    const top = { ...options, random: () => 0.999_999 };
    const bottom = { ...options, random: () => 0 };
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((failures) => Math.round(backoffDelay(failures, top))),
      [100, 200, 400, 800, 1000, 1000],
    );
    assert.deepEqual(
      [1, 2, 3].map((failures) => backoffDelay(failures, bottom)),
      [50, 100, 200],
    );
  });

  test('a Retry-After longer than the backoff wins, up to maxMs', () => {
    const fixed = { ...options, random: () => 0 };
    assert.equal(backoffDelay(1, fixed, 700), 700);
    assert.equal(backoffDelay(1, fixed, 10), 50);
    assert.equal(backoffDelay(1, fixed, 60_000), 1_000);
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
