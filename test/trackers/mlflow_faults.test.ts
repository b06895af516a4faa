/**
 * The mlflow tracker where it meets a real environment: something in front of the server answering 200 with a
 * login page, an empty body or JSON cut short (never a delivery); a crash in the middle of the spool's compaction
 * (a re-send at worst, never a loss); a spool directory that cannot hold anything (/dev/full); a flush() while an
 * outage is already known (the data spooled and flush back at once, even from a port that takes connections and
 * never answers). Against the loopback MLflow server; the crash in a real child process killed by SIGKILL.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { MlflowTracker } from '../../src/trackers/mlflow.js';
import type { MlflowTrackerParams } from '../../src/trackers/mlflow.js';
import { Spool } from '../../src/trackers/remote/spool.js';
import { flushEpochsThroughOutage } from '../fixtures/black_hole.js';
import { MlflowTestServer } from '../fixtures/mlflow_server.js';
import { spawnInTest } from '../helpers/children.js';
import { skipUnless } from '../helpers/prerequisite.js';
import { REPO } from '../helpers/project.js';
import { captureWarnings, warningOf, warningsDelivered } from '../helpers/warnings.js';

const FAST: MlflowTrackerParams = {
  flushIntervalMs: 20,
  retryBaseMs: 20,
  retryMaxMs: 100,
  requestTimeoutMs: 2_000,
  startTimeoutMs: 2_000,
  flushTimeoutMs: 10_000,
  endTimeoutMs: 20_000,
};
const NOT_BUILT = skipUnless(existsSync(path.join(REPO, 'dist', 'index.js')), 'dist/ is not built: run npm run build');

const server = await MlflowTestServer.start();
after(() => server.stop());

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-mlflow-faults-'));
  await server.listen();
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('mlflow: a 200 answer that is not MLflow is not a delivery', () => {
  test('log-batch answered by a login page, an empty body, cut JSON: every metric still arrives', async () => {
    const capture = captureWarnings();
    try {
      const tracker = new MlflowTracker({ trackingUri: server.url, ...FAST });
      await tracker.start('proxied', dir);
      server.impostorNext(2, 'html', 'log-batch');
      for (let step = 0; step < 2_000; step += 1) tracker.logMetric('loss', step, step);
      await tracker.flush();
      server.impostorNext(1, 'empty', 'log-batch');
      for (let step = 2_000; step < 3_000; step += 1) tracker.logMetric('loss', step, step);
      await tracker.flush();
      server.impostorNext(1, 'malformed', 'log-batch');
      for (let step = 3_000; step < 4_000; step += 1) tracker.logMetric('loss', step, step);
      await tracker.end();
      await warningsDelivered();
      const run = server.runs.get(tracker.mlflowRunId!)!;
      assert.equal(new Set(run.metrics.map((metric) => metric.step)).size, 4_000, 'no metric lost');
      assert.equal(tracker.endReport?.delivered.metrics, 4_000);
      assert.equal(tracker.endReport?.complete, true, JSON.stringify(tracker.endReport));
      const said = capture.warnings.filter((warning) => /something in front of the server/.test(warning.message));
      assert.ok(said.length >= 1, 'the login page is named for what it is');
      assert.equal(said[0]!.message.split('\n').length, 1, 'in one line');
      assert.ok(!capture.warnings.some((warning) => warning.code === 'GYMNOS_MLFLOW_INTERNAL_ERROR'));
    } finally {
      capture.stop();
    }
  });

  test('a run creation answered by a login page or cut JSON is retried, not an internal error', async () => {
    for (const answer of ['html', 'malformed'] as const) {
      const capture = captureWarnings();
      try {
        server.impostorNext(1, answer, 'runs/create');
        const tracker = new MlflowTracker({ trackingUri: server.url, ...FAST });
        await tracker.start(`created-${answer}`, dir);
        tracker.logMetric('loss', 1, 0);
        await tracker.end();
        await warningsDelivered();
        assert.equal(tracker.endReport?.complete, true, JSON.stringify(tracker.endReport));
        assert.equal(server.runByName(`created-${answer}`)?.metrics.length, 1);
        assert.ok(!capture.warnings.some((warning) => warning.code === 'GYMNOS_MLFLOW_INTERNAL_ERROR'));
      } finally {
        capture.stop();
      }
    }
  });
});

describe('mlflow: the spool through a crash', { skip: NOT_BUILT }, () => {
  test('killed between the compacted queue and its cursor, nothing undelivered is skipped', async (t) => {
    const spoolDir = path.join(dir, 'spool');
    const child = spawnInTest(
      t,
      process.execPath,
      [path.join(import.meta.dirname, 'fixtures', 'spool_compact_child.mjs'), spoolDir],
      {
        env: { ...process.env, GYMNOS_TEST_CRASH_AT: 'spool-compacted' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const signal = await new Promise((resolve) => child.on('close', (_code, killed) => resolve(killed)));
    assert.equal(signal, 'SIGKILL', `the crash point was reached: ${output}`);

    const spool = new Spool(spoolDir, 1 << 20);
    await spool.open();
    try {
      const steps: number[] = [];
      for (let entries = await spool.readWindow(); entries.length > 0; entries = await spool.readWindow()) {
        for (const entry of entries) if (entry.record?.t === 'metric') steps.push(entry.record.step);
        await spool.advance(entries.at(-1)!.end);
      }
      assert.equal(steps[0], 10, `the first undelivered metric is where delivery stopped: ${steps.join(',')}`);
      assert.deepEqual(
        steps,
        Array.from({ length: steps.length }, (_, index) => 10 + index),
        'then every metric in order, none skipped',
      );
      assert.ok(steps.length >= 10);
    } finally {
      await spool.close();
    }
  });
});

describe('mlflow: a spool that cannot hold anything, a flush during a known outage', () => {
  test(
    'with spoolDir on /dev/full, every line says the spool cannot be written; the end report counts what was lost',
    { skip: !existsSync('/dev/full') && 'no /dev/full on this machine', timeout: 120_000 },
    async () => {
      const capture = captureWarnings();
      try {
        await server.stop();
        const tracker = new MlflowTracker({
          trackingUri: server.url.replace('//', '//alice:s3cret-pw@'),
          ...FAST,
          spoolDir: '/dev/full',
          endTimeoutMs: 2_500, // long enough for end() to say at once that it waits (GYMNOS_MLFLOW_WAITING)
        });
        await tracker.start('full', dir);
        tracker.logMetric('loss', 1, 0);
        tracker.logParam('lr', 0.1);
        await tracker.end();
        await warningsDelivered();
        const lines = capture.warnings.map((warning) => `${warning.code} ${warning.message}`);
        assert.ok(await warningOf(capture.warnings, 'GYMNOS_MLFLOW_WAITING', 0), lines.join('\n'));
        for (const line of lines) {
          assert.doesNotMatch(line, /(kept in|spooled to|stays in|deliver them later)[^;]*\/dev\/full/, line);
          assert.doesNotMatch(line, /s3cret-pw/, 'credentials redacted');
          assert.equal(line.split('\n').length, 1, line);
        }
        const said = (code: string) => capture.warnings.find((warning) => warning.code === code)?.message ?? '';
        assert.match(
          said('GYMNOS_MLFLOW_SPOOL_UNAVAILABLE'),
          /cannot write the spool .*lost if the process ends.*spoolDir/,
        );
        assert.match(said('GYMNOS_MLFLOW_WAITING'), /is lost: the spool \/dev\/full cannot be written/);
        // What could be neither delivered nor kept is counted as lost, not as waiting in a spool.
        const report = tracker.endReport!;
        assert.deepEqual(
          { dropped: report.dropped, undelivered: report.undelivered, complete: report.complete },
          {
            dropped: { metrics: 1, params: 1, tags: 0, artifacts: 0 },
            undelivered: { metrics: 0, params: 0, tags: 0, artifacts: 0, status: 'FINISHED' },
            complete: false,
          },
        );
        assert.match(
          said('GYMNOS_MLFLOW_UNDELIVERED'),
          /dropped 1 metric, 1 param \(the spool \/dev\/full could not be/,
        );
      } finally {
        capture.stop();
      }
    },
  );

  test(
    'flush() during a known outage returns once the data is spooled, even when the server hangs; waits when it is up',
    { timeout: 180_000 },
    async () => {
      const capture = captureWarnings();
      try {
        // A request into the port that never answers waits requestTimeoutMs: a flush that waited would not settle.
        const tracker = new MlflowTracker({
          trackingUri: server.url,
          ...FAST,
          requestTimeoutMs: 600_000,
          flushTimeoutMs: 600_000,
          endTimeoutMs: 3_000,
        });
        await tracker.start('epochs', dir);
        tracker.logMetric('loss', 0.5, 0);
        await tracker.flush();
        const run = () => server.runs.get(tracker.mlflowRunId!)!;
        assert.equal(run().metrics.length, 1, 'with the server up, flush waited for the delivery');
        await flushEpochsThroughOutage(tracker, server, capture.warnings, 'GYMNOS_MLFLOW_UNAVAILABLE');
        await tracker.end();
        // Every metric arrived or waits in the spool, none lost. (A batch the hung server took without an answer stays
        // in doubt, asked about rather than sent blind again, for 2 × requestTimeoutMs: end() may leave it spooled.)
        const report = tracker.endReport!;
        assert.equal(report.delivered.metrics + report.undelivered.metrics, 5, JSON.stringify(report));
        assert.equal(report.dropped.metrics, 0);
        assert.equal(report.delivered.metrics, run().metrics.length);
      } finally {
        capture.stop();
      }
    },
  );
});
