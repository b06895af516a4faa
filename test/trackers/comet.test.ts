/**
 * The comet tracker against the strict loopback Comet server (test/fixtures/comet_server.ts): a full run is accepted
 * field for field (metrics, params, others, tags, assets, images, figures, the start and end times and status), every
 * request carries the API key and nothing the server does not know; the conformance kit; where the settings come
 * from (parameters, COMET_* variables, .comet.config) and the errors of a missing workspace or API key at `start`.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import {
  describeTrackerConformance,
  PLOTLY_FIGURE,
  TINY_SVG,
  TINY_PNG,
  VEGA_LITE_SPEC,
} from '../../src/testing/index.js';
import { CometTracker } from '../../src/trackers/comet.js';
import type { CometTrackerParams } from '../../src/trackers/comet.js';
import { COMET_API_KEY, CometTestServer } from '../fixtures/comet_server.js';
import type { StoredExperiment } from '../fixtures/comet_server.js';
import { captureWarnings, warningsDelivered } from '../helpers/warnings.js';

const server = await CometTestServer.start();
after(() => server.stop());

/** What every test's tracker is given: this server, fast timers. */
const params = (more: CometTrackerParams = {}): CometTrackerParams => ({
  url: server.clientlibUrl,
  apiKey: COMET_API_KEY,
  workspace: 'test-workspace',
  projectName: 'gymnos-tests',
  flushIntervalMs: 20,
  retryBaseMs: 20,
  retryMaxMs: 200,
  requestTimeoutMs: 2_000,
  startTimeoutMs: 2_000,
  endTimeoutMs: 10_000,
  ...more,
});

let dir: string;
/** Each test's directory, and the server listening (hooks in each describe: this file shares its process). */
function useDirectory(): void {
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-comet-'));
    await server.listen();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The metrics Comet holds for `name`, as [step, value] in arrival order. */
const points = (experiment: StoredExperiment, name: string) =>
  experiment.metrics.filter((metric) => metric.name === name).map((metric) => [metric.step, metric.value]);

describe('comet: a full run', () => {
  useDirectory();
  test('is taken field for field: metrics, params, others, tags, assets, images, figures, times, status', async () => {
    const asset = path.join(dir, 'config.yaml');
    const image = path.join(dir, 'sample.png');
    await writeFile(asset, 'lr: 0.1\n');
    await writeFile(image, TINY_PNG);
    const violationsBefore = server.violations.length;
    const tracker = new CometTracker(params({ tags: ['baseline', 'resnet'] }));
    const before = Date.now();
    await tracker.start('full-run', dir);
    assert.ok(tracker.experimentKey, 'the experiment exists once start settles');
    tracker.logParams({ lr: 0.1, optimizer: 'adam', layers: [64, 32], dropout: null, nested: { a: true } });
    for (let step = 0; step < 2500; step += 1) tracker.logMetric('loss', 1 / (step + 1), step);
    tracker.logMetric('acc', Number.NaN, 1);
    tracker.logMetric('acc', Infinity, 2);
    tracker.logMetric('acc', -Infinity, 3);
    tracker.logTag('phase', 'train');
    tracker.logAsset('config', asset);
    tracker.logImage('samples/first', image);
    tracker.logFigure('curve', TINY_PNG);
    tracker.logFigure('diagram', TINY_SVG);
    tracker.logFigure('vega', VEGA_LITE_SPEC);
    tracker.logFigure('plotly', PLOTLY_FIGURE);
    await tracker.end();
    const after = Date.now();

    assert.deepEqual(server.violations.slice(violationsBefore), [], 'the strict server refused nothing');
    const report = tracker.endReport!;
    assert.equal(report.complete, true, JSON.stringify(report));
    assert.deepEqual(report.logged, { metrics: 2503, params: 5, tags: 1, artifacts: 6 });
    assert.deepEqual(report.delivered, report.logged);

    const experiment = server.experiments.get(tracker.experimentKey!)!;
    assert.equal(experiment.workspaceName, 'test-workspace');
    assert.equal(experiment.projectName, 'gymnos-tests');
    assert.equal(experiment.experimentName, 'full-run');
    assert.equal(report.experimentKey, experiment.experimentKey);
    assert.match(report.link ?? '', new RegExp(experiment.experimentKey));
    assert.ok(experiment.startTimeMillis! >= before && experiment.startTimeMillis! <= after, 'start time in ms');
    assert.ok(experiment.endTimeMillis! >= experiment.startTimeMillis! && experiment.endTimeMillis! <= after);

    const loss = points(experiment, 'loss');
    assert.equal(loss.length, 2500, 'every value once');
    assert.deepEqual(loss[0], [0, 1]);
    assert.deepEqual(loss[2499], [2499, 1 / 2500]);
    assert.deepEqual(points(experiment, 'acc'), [
      [1, 'NaN'],
      [2, 'Infinity'],
      [3, '-Infinity'],
    ]);
    for (const metric of experiment.metrics) {
      assert.ok(metric.timestamp >= before && metric.timestamp <= after, 'timestamps in milliseconds');
    }
    assert.deepEqual(Object.fromEntries(experiment.params), {
      lr: '0.1',
      optimizer: 'adam',
      layers: '[64,32]',
      dropout: 'null',
      nested: '{"a":true}',
    });
    assert.deepEqual(Object.fromEntries(experiment.others), {
      'gymnos.run_id': 'full-run',
      phase: 'train',
      'gymnos.status': 'FINISHED',
    });
    assert.deepEqual([...experiment.tags].sort(), ['baseline', 'resnet']);
    const assets = Object.fromEntries(
      [...experiment.assets.values()].map((stored) => [stored.fileName, [stored.type, stored.sha256]]),
    );
    assert.deepEqual(assets, {
      'config.yaml': ['asset', sha256(Buffer.from('lr: 0.1\n'))],
      'samples/first.png': ['image', sha256(TINY_PNG)],
      'curve.png': ['image', sha256(TINY_PNG)],
      'diagram.svg': ['image', sha256(Buffer.from(TINY_SVG))],
      'vega.vl.json': ['asset', sha256(Buffer.from(JSON.stringify(VEGA_LITE_SPEC, null, 2)))],
      'plotly.plotly.json': ['asset', sha256(Buffer.from(JSON.stringify(PLOTLY_FIGURE, null, 2)))],
    });
  });

  test('every request carries the API key; batches are gzip JSON of exactly the fields Comet takes', async () => {
    const first = server.requests.length;
    const tracker = new CometTracker(params());
    await tracker.start('wire', dir);
    for (let step = 0; step < 1500; step += 1) tracker.logMetric('loss', step, step);
    tracker.logParam('lr', 0.5);
    await tracker.end();
    const requests = server.requests.slice(first);
    assert.ok(requests.every((request) => request.headers.authorization === COMET_API_KEY));
    const batches = requests.filter((request) => request.path === '/clientlib/batch/logger/experiment/metric');
    assert.deepEqual(
      batches.map((request) => (JSON.parse(request.raw.toString()) as { values: unknown[] }).values.length),
      [1000, 500],
      'at most 1 000 values a batch',
    );
    for (const batch of batches) {
      assert.equal(batch.headers['content-encoding'], 'gzip');
      assert.ok(batch.bytes < batch.raw.byteLength / 2, 'sent compressed (the server recorded it decompressed)');
    }
    const body = JSON.parse(batches[0]!.raw.toString()) as { experimentKey: string; values: object[] };
    assert.deepEqual(Object.keys(body).sort(), ['experimentKey', 'values']);
    assert.deepEqual(Object.keys(body.values[0]!).sort(), ['metricName', 'metricValue', 'step', 'timestamp']);
    const paramBatch = requests.find((request) => request.path === '/clientlib/batch/logger/experiment/parameter')!;
    const parameter = (JSON.parse(paramBatch.raw.toString()) as { values: object[] }).values[0]!;
    assert.deepEqual(Object.keys(parameter).sort(), ['parameterName', 'parameterValue', 'timestamp']);
  });
});

describeTrackerConformance('comet', () => new CometTracker(params()), {
  readBack: ({ tracker }) => {
    const experiment = server.experiments.get(tracker.experimentKey!)!;
    return {
      metrics: experiment.metrics.map((metric) => ({
        name: metric.name,
        step: metric.step ?? 0,
        value: Number(metric.value),
      })),
      params: Object.fromEntries(experiment.params),
      tags: Object.fromEntries(experiment.others),
      files: [...experiment.assets.values()].map((asset) => ({ name: asset.fileName, content: asset.bytes })),
    };
  },
});

describe('comet: settings', () => {
  useDirectory();
  const saved = { ...process.env };
  afterEach(() => {
    for (const name of Object.keys(process.env)) if (name.startsWith('COMET_')) delete process.env[name];
    Object.assign(process.env, saved);
  });
  const clearComet = () => {
    for (const name of Object.keys(process.env)) if (name.startsWith('COMET_')) delete process.env[name];
  };

  test('a missing workspace is an error at start naming COMET_WORKSPACE; nothing is sent', async () => {
    clearComet();
    process.env.COMET_CONFIG = path.join(dir, 'none');
    const first = server.requests.length;
    const tracker = new CometTracker({ ...params(), workspace: undefined });
    await assert.rejects(tracker.start('no-workspace', dir), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'COMET_NO_WORKSPACE');
      assert.match(
        error.message,
        /^CometTracker: no workspace: pass workspace, set COMET_WORKSPACE or write workspace=/,
      );
      return true;
    });
    assert.equal(server.requests.length, first);
  });

  test('a missing API key is an error at start naming COMET_API_KEY, unless offline', async () => {
    clearComet();
    process.env.COMET_CONFIG = path.join(dir, 'none');
    const tracker = new CometTracker({ ...params(), apiKey: undefined });
    await assert.rejects(tracker.start('no-key', dir), /no API key: pass apiKey, set COMET_API_KEY or write api_key=/);
    const offline = new CometTracker({ ...params(), apiKey: undefined, offline: true });
    const capture = captureWarnings();
    try {
      await offline.start('no-key-offline', dir);
      await offline.end();
    } finally {
      capture.stop();
    }
  });

  test('COMET_* variables, then ./.comet.config, then COMET_CONFIG, as Comet reads them', async () => {
    clearComet();
    const home = path.join(dir, 'home.comet.config');
    await writeFile(
      home,
      `[comet]\napi_key = ${COMET_API_KEY}\nworkspace = test-workspace\nproject_name = from-file\n` +
        `url_override = ${server.clientlibUrl}\n`,
    );
    process.env.COMET_CONFIG = home;
    process.env.COMET_PROJECT_NAME = 'from-env';
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const tracker = new CometTracker({ flushIntervalMs: 20, endTimeoutMs: 10_000 });
      await tracker.start('from-settings', dir);
      await tracker.end();
      assert.equal(tracker.endReport?.complete, true, JSON.stringify(tracker.endReport));
      assert.equal(server.experiments.get(tracker.experimentKey!)?.projectName, 'from-env');
    } finally {
      process.chdir(cwd);
    }
  });

  test('the API key is never printed: not in warnings nor in the end report', async () => {
    server.apiKey = 'another-key-than-the-tracker-has';
    const capture = captureWarnings();
    try {
      const tracker = new CometTracker(params({ endTimeoutMs: 300 }));
      await tracker.start('refused-key', dir);
      tracker.logMetric('loss', 1, 0);
      await tracker.end();
      await warningsDelivered();
      const text = JSON.stringify(capture.warnings) + JSON.stringify(tracker.endReport);
      assert.match(text, /refused the API key/);
      assert.ok(!text.includes(COMET_API_KEY), text);
    } finally {
      capture.stop();
      server.apiKey = COMET_API_KEY;
    }
  });
});
