/**
 * An opt-in smoke test against the real Weights & Biases service: the same full run the loopback server checks
 * field for field (test/trackers/wandb.test.ts), sent unchanged, then read back through W&B's GraphQL. It runs only
 * when asked for: `WANDB_API_KEY=… GYMNOS_LIVE=1 node test/run.mjs test/live/wandb.test.ts`
 * (WANDB_BASE_URL, WANDB_ENTITY and WANDB_PROJECT as the tracker reads them; the project defaults to
 * gymnos-live-smoke). Never in CI: it needs a key and the network, and it leaves a run in the account.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { PLOTLY_FIGURE, TINY_PNG, TINY_SVG } from '../../src/testing/index.js';
import { WandbTracker } from '../../src/trackers/wandb.js';
import { WandbClient } from '../../src/trackers/wandb/client.js';

function skipReason(): string | false {
  if (process.env.CI) return 'live W&B smoke test: never in CI';
  if (!process.env.WANDB_API_KEY) return 'live W&B smoke test: set WANDB_API_KEY and GYMNOS_LIVE=1 to run it';
  if (process.env.GYMNOS_LIVE !== '1') return 'live W&B smoke test: WANDB_API_KEY is set; add GYMNOS_LIVE=1 to run it';
  return false;
}

describe('wandb against the real W&B service (opt-in)', { skip: skipReason(), timeout: 180_000 }, () => {
  test('a full run is taken: rows, config, tags, files, media, then Finished', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-wandb-live-'));
    try {
      const tracker = new WandbTracker({
        project: process.env.WANDB_PROJECT || 'gymnos-live-smoke',
        tags: ['gymnos-smoke'],
        endTimeoutMs: 120_000,
      });
      await tracker.start(`smoke-${Date.now()}`, dir);
      tracker.logParams({ lr: 0.001, layers: [64, 32] });
      tracker.logTag('suite', 'live');
      for (let step = 0; step < 20; step += 1) {
        tracker.logMetric('loss', 1 / (step + 1), step);
        tracker.logMetric('acc', step / 20, step);
      }
      const asset = path.join(dir, 'notes.txt');
      await writeFile(asset, 'gymnos live smoke test\n');
      tracker.logAsset('notes', asset);
      const image = path.join(dir, 'sample.png');
      await writeFile(image, TINY_PNG);
      tracker.logImage('sample', image);
      tracker.logFigure('curve', TINY_SVG);
      tracker.logFigure('plot', PLOTLY_FIGURE);
      await tracker.end();

      const report = tracker.endReport!;
      assert.deepEqual(report.rejected, [], 'W&B refused nothing');
      assert.equal(report.complete, true, JSON.stringify(report));
      assert.deepEqual(report.delivered, { metrics: 40, params: 2, tags: 1, artifacts: 4 });

      // Read back what the service holds, through the same GraphQL the tracker uses to resume a run.
      const client = new WandbClient(process.env.WANDB_BASE_URL || 'https://api.wandb.ai', process.env.WANDB_API_KEY);
      const found = await client.findRun(String(report.entity), report.project, report.wandbRunId, {
        signal: AbortSignal.timeout(30_000),
        timeoutMs: 30_000,
      });
      assert.ok(found, 'the run exists on the service');
      assert.ok(found.historyLineCount >= 20, `history lines: ${found.historyLineCount}`);
      assert.deepEqual(found.config, { lr: 0.001, layers: [64, 32] });
      assert.ok(found.tags.includes('suite:live') && found.tags.includes('gymnos-smoke'), found.tags.join(', '));
      assert.equal(found.summary.loss, 1 / 20);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
