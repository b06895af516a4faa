/**
 * The live smoke test of the comet tracker: the same full run the strict fake accepts (test/trackers/comet.test.ts),
 * sent to the real Comet, then read back through Comet's documented REST read endpoints (not through the tracker).
 * Opt-in: it runs only when COMET_API_KEY and COMET_WORKSPACE are set (COMET_PROJECT_NAME: default
 * `gymnos-smoke`; COMET_URL_OVERRIDE for a self-hosted Comet), and never in CI; otherwise it is skipped, saying why.
 *
 *   COMET_API_KEY=… COMET_WORKSPACE=… node test/run.mjs test/live/comet.test.ts
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { TINY_PNG, TINY_SVG } from '../../src/testing/index.js';
import { CometTracker } from '../../src/trackers/comet.js';

const env = process.env;
const skip = env.CI
  ? 'the live Comet smoke test never runs in CI'
  : !env.COMET_API_KEY || !env.COMET_WORKSPACE
    ? 'COMET_API_KEY and COMET_WORKSPACE are not both set: the live Comet smoke test is skipped'
    : false;

/** GET a documented REST read endpoint of the real Comet. */
async function read(endpoint: string, query: Record<string, string>): Promise<Record<string, unknown>> {
  const root = (env.COMET_URL_OVERRIDE ?? 'https://www.comet.com/clientlib/').replace(/\/clientlib\/?$/, '');
  const response = await fetch(`${root}/api/rest/v2/${endpoint}?${new URLSearchParams(query).toString()}`, {
    headers: { Authorization: env.COMET_API_KEY! },
    signal: AbortSignal.timeout(30_000),
  });
  assert.equal(response.status, 200, `${endpoint}: HTTP ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

test('a full run reaches the real Comet, and reads back', { skip, timeout: 300_000 }, async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-comet-live-'));
  try {
    const asset = path.join(dir, 'config.yaml');
    const image = path.join(dir, 'sample.png');
    await writeFile(asset, 'lr: 0.1\n');
    await writeFile(image, TINY_PNG);
    const runId = `gymnos-smoke-${Date.now()}`;
    const tracker = new CometTracker({
      projectName: env.COMET_PROJECT_NAME ?? 'gymnos-smoke',
      tags: ['gymnos-smoke'],
      endTimeoutMs: 120_000,
    });
    await tracker.start(runId, dir);
    tracker.logParams({ lr: 0.1, optimizer: 'adam', layers: [64, 32] });
    for (let step = 0; step < 1_200; step += 1) tracker.logMetric('loss', 1 / (step + 1), step);
    tracker.logMetric('acc', Number.NaN, 1);
    tracker.logTag('phase', 'smoke');
    tracker.logAsset('config', asset);
    tracker.logImage('sample', image);
    tracker.logFigure('diagram', TINY_SVG);
    await tracker.end();
    const report = tracker.endReport!;
    assert.equal(report.complete, true, JSON.stringify(report));
    console.log(`# ${report.link ?? report.experimentKey}`);

    const experimentKey = report.experimentKey!;
    const loss = await read('experiment/metrics/get-metric', { experimentKey, metricName: 'loss' });
    assert.equal((loss.metrics as unknown[]).length, 1_200, 'every loss value, once');
    const parameters = JSON.stringify(await read('experiment/parameters', { experimentKey }));
    assert.match(parameters, /"optimizer"/);
    const others = JSON.stringify(await read('experiment/log-other', { experimentKey }));
    assert.match(others, /"phase"/);
    assert.match(others, /FINISHED/);
    const assets = JSON.stringify(await read('experiment/asset/list', { experimentKey }));
    for (const name of ['config.yaml', 'sample.png', 'diagram.svg']) assert.ok(assets.includes(name), name);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
