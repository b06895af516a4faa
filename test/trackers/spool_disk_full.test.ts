/**
 * The spool of a remote tracker on a disk that fills while the server is down: what the spool took before the disk
 * filled is reported as undelivered (kept for `gymnos sync`), what it could not take as dropped (an append that
 * landed in part is cut back to its last counted record), so that the end
 * report adds up (logged = delivered + undelivered + dropped + refused) and says where the data is; once the disk
 * is freed and the server is back, `gymnos sync` delivers exactly the spooled part. A real 2 MiB tmpfs
 * (helpers/small_disk.ts; skipped with a line where it cannot be mounted) and the real mlflow tracker against the
 * loopback MLflow server. The delivery layer is shared by mlflow, comet and wandb.
 */
import assert from 'node:assert/strict';
import { statSync, truncateSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { MlflowTracker } from '../../src/trackers/mlflow.js';
import { MlflowTestServer } from '../fixtures/mlflow_server.js';
import { gymnosInProcess } from '../helpers/in_process.js';
import { skipUnless } from '../helpers/prerequisite.js';
import { fill, mountSmallDisk, unmountSmallDisk } from '../helpers/small_disk.js';
import { captureWarnings, warningsDelivered } from '../helpers/warnings.js';

const disk = mountSmallDisk();
const skip = skipUnless('dir' in disk, 'why' in disk ? disk.why : '');

describe('a remote tracker whose spool disk fills while the server is down', { skip }, () => {
  const dir = 'dir' in disk ? disk.dir : '';
  after(() => {
    if (dir) unmountSmallDisk(dir);
  });

  test('what the spool took is undelivered and synced later, the rest is dropped: the report adds up', async () => {
    const server = await MlflowTestServer.start();
    const captured = captureWarnings();
    let filler: string | undefined;
    try {
      await server.stop();
      const logdir = path.join(dir, 'logs');
      const tracker = new MlflowTracker({
        trackingUri: server.url,
        startTimeoutMs: 50,
        endTimeoutMs: 50,
        retryBaseMs: 10,
        flushIntervalMs: 60_000,
      });
      await tracker.start('run', logdir);
      tracker.logParam('lr', 0.1);
      for (let step = 0; step < 1000; step += 1) tracker.logMetric('loss', step, step);
      await tracker.flush(); // the server is down: to the spool
      const spooled = await tracker.deliveryReport();
      assert.deepEqual([spooled?.undelivered.metrics, spooled?.spoolError], [1000, undefined]);

      filler = fill(dir);
      // A few pages left: the next append lands in part (a couple of hundred lines, the last cut short), then fails.
      truncateSync(filler, statSync(filler).size - 16 * 1024);
      for (let step = 1000; step < 3000; step += 1) tracker.logMetric('loss', step, step);
      await tracker.flush();
      await tracker.end();
      await warningsDelivered();
      const report = tracker.endReport!;
      assert.match(report.spoolError ?? '', /ENOSPC/);
      assert.equal(report.complete, false);
      assert.deepEqual(
        [report.logged.metrics, report.delivered.metrics, report.undelivered.metrics, report.dropped.metrics],
        [3000, 0, 1000, 2000],
      );
      assert.deepEqual([report.logged.params, report.undelivered.params, report.dropped.params], [1, 1, 0]);
      for (const kind of ['metrics', 'params', 'tags', 'artifacts'] as const) {
        const { logged, delivered, undelivered, dropped, refused } = report;
        assert.equal(logged[kind], delivered[kind] + undelivered[kind] + dropped[kind] + refused[kind], kind);
      }
      const end = captured.warnings.find((warning) => warning.code === 'GYMNOS_MLFLOW_UNDELIVERED');
      assert.ok(end, JSON.stringify(captured.warnings));
      assert.match(end.message, /could not deliver the run itself, 1000 metrics, 1 param/);
      assert.match(end.message, /the records were written to .*mlflow-spool before it failed \(.*ENOSPC/);
      assert.match(end.message, /dropped 2000 metrics/);

      unlinkSync(filler);
      filler = undefined;
      await server.listen();
      const synced = await gymnosInProcess(['sync', logdir, '--json'], {
        cwd: dir,
        env: { MLFLOW_TRACKING_URI: undefined },
      });
      assert.equal(synced.status, 0, synced.stderr);
      const runs = (JSON.parse(synced.stdout) as { runs: { delivered: Record<string, unknown> }[] }).runs;
      assert.deepEqual(
        runs.map((run) => [run.delivered.metrics, run.delivered.params]),
        [[1000, 1]],
      );
      const stored = [...server.runs.values()];
      assert.equal(stored.length, 1);
      assert.deepEqual(
        stored[0]!.metrics.map((metric) => metric.step),
        Array.from({ length: 1000 }, (_, step) => step),
      );
    } finally {
      captured.stop();
      if (filler) unlinkSync(filler);
      await server.stop();
    }
  });
});
