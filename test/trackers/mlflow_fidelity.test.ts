/**
 * The mlflow tracker agrees with MLflow where users look: artifacts of a server whose artifact root is a local
 * path are written there, as MLflow's Python client does (or refused naming the real fix); runs carry the
 * mlflow.user and mlflow.source.* tags the UI's User and Source columns show, also when `gymnos sync` creates
 * them; the end report's counts add up with a param re-logged with a new value and refusals, and a refusal alone
 * is not reported as undelivered; end() says at once that the server does not answer.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { TINY_PNG } from '../../src/testing/index.js';
import { MlflowTracker } from '../../src/trackers/mlflow.js';
import type { DeliveryCounts, MlflowTrackerParams } from '../../src/trackers/mlflow.js';
import { MlflowTestServer } from '../fixtures/mlflow_server.js';
import { captureWarnings, warningOf, warningsDelivered } from '../helpers/warnings.js';

const FAST: MlflowTrackerParams = {
  flushIntervalMs: 20,
  retryBaseMs: 20,
  retryMaxMs: 100,
  requestTimeoutMs: 2_000,
  startTimeoutMs: 2_000,
  endTimeoutMs: 10_000,
};

const server = await MlflowTestServer.start();
after(() => server.stop());

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-mlflow-fidelity-'));
  await server.listen();
});
afterEach(async () => {
  server.defaultArtifactRoot = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('mlflow: a server whose artifact root is a local path', () => {
  for (const form of ['a path', 'a file:// URI'] as const) {
    test(`artifacts go to the root's directory, as MLflow's client writes them (${form})`, async () => {
      const root = path.join(dir, 'mlruns');
      server.defaultArtifactRoot = form === 'a path' ? root : pathToFileURL(root).href;
      const config = path.join(dir, 'config.json');
      await writeFile(config, '{"lr": 0.1}\n');
      const tracker = new MlflowTracker({ trackingUri: server.url, ...FAST });
      await tracker.start('local-root', dir);
      tracker.logAsset('config', config);
      tracker.logFigure('curve', TINY_PNG);
      await tracker.end();
      assert.equal(tracker.endReport?.complete, true, JSON.stringify(tracker.endReport));
      const run = server.runs.get(tracker.mlflowRunId!)!;
      const artifacts = path.join(root, run.info.experiment_id, run.info.run_id, 'artifacts');
      assert.equal(readFileSync(path.join(artifacts, 'config.json'), 'utf8'), '{"lr": 0.1}\n');
      assert.deepEqual(readFileSync(path.join(artifacts, 'figures', 'curve.png')), TINY_PNG);
    });
  }

  test("a root this machine cannot write is refused, naming the server's real fix", async () => {
    const capture = captureWarnings();
    try {
      const blocker = path.join(dir, 'blocker');
      await writeFile(blocker, 'a file, not a directory');
      server.defaultArtifactRoot = path.join(blocker, 'mlruns');
      const tracker = new MlflowTracker({ trackingUri: server.url, ...FAST });
      await tracker.start('unwritable-root', dir);
      tracker.logFigure('curve', TINY_PNG);
      await tracker.end();
      const refused = tracker.endReport?.rejected[0];
      assert.equal(refused?.kind, 'artifact');
      assert.match(refused?.reason ?? '', /--artifacts-destination/);
      assert.doesNotMatch(refused?.reason ?? '', /--serve-artifacts/);
    } finally {
      capture.stop();
    }
  });
});

describe('mlflow: the run as the UI shows it', () => {
  test('a run has the mlflow.user and mlflow.source.* tags, as MLflow sets them', async () => {
    const tracker = new MlflowTracker({ trackingUri: server.url, ...FAST });
    await tracker.start('tagged', dir);
    await tracker.end();
    const tags = server.runs.get(tracker.mlflowRunId!)!.tags;
    assert.ok(tags.get('mlflow.user'), 'a user');
    assert.equal(tags.get('mlflow.source.name'), path.resolve(process.argv[1]!));
    assert.equal(tags.get('mlflow.source.type'), 'LOCAL');
  });

  test('a run created later from the spool gets the tags of the process that logged it', async () => {
    await server.stop();
    const saved = process.env.LOGNAME;
    process.env.LOGNAME = 'trainer';
    let tracker: MlflowTracker;
    try {
      tracker = new MlflowTracker({ trackingUri: server.url, ...FAST, startTimeoutMs: 50, endTimeoutMs: 50 });
      await tracker.start('offline-tagged', dir);
      await tracker.end();
    } finally {
      if (saved === undefined) delete process.env.LOGNAME;
      else process.env.LOGNAME = saved;
    }
    await server.listen();
    const report = await MlflowTracker.deliverSpool(tracker.endReport!.spoolDir, { timeoutMs: 10_000 });
    const tags = server.runs.get(report.runId!)!.tags;
    assert.equal(tags.get('mlflow.user'), 'trainer');
    assert.equal(tags.get('mlflow.source.type'), 'LOCAL');
  });
});

describe('mlflow: the end report', () => {
  const kinds = ['metrics', 'params', 'tags', 'artifacts'] as const;
  const add = (...counts: DeliveryCounts[]) =>
    Object.fromEntries(kinds.map((kind) => [kind, counts.reduce((sum, count) => sum + count[kind], 0)]));

  test('logged = delivered + undelivered + dropped + refused, with a param re-logged and refusals', async () => {
    const capture = captureWarnings();
    server.refusedMetricKeys.add('poison');
    try {
      const tracker = new MlflowTracker({ trackingUri: server.url, ...FAST });
      await tracker.start('counted', dir);
      tracker.logParam('lr', 0.1);
      tracker.logParam('lr', 0.2); // a new value: refused by the tracker, as MLflow would
      for (let step = 0; step < 10; step += 1) tracker.logMetric(step === 4 ? 'poison' : 'loss', step, step);
      tracker.logAsset('missing', path.join(dir, 'missing.bin'));
      tracker.logTag('team', 'vision');
      await tracker.end();
      await warningsDelivered();
      const report = tracker.endReport!;
      assert.deepEqual(report.refused, { metrics: 1, params: 1, tags: 0, artifacts: 1 });
      assert.deepEqual(
        add(report.logged),
        add(report.delivered, report.undelivered as DeliveryCounts, report.dropped, report.refused),
      );
      const summary = capture.warnings.filter((warning) => /refused 3 items/.test(warning.message));
      assert.equal(summary.length, 1, capture.warnings.map((warning) => warning.code).join());
      assert.notEqual(summary[0]!.code, 'GYMNOS_MLFLOW_UNDELIVERED', 'nothing is undelivered: only refused');
    } finally {
      server.refusedMetricKeys.clear();
      capture.stop();
    }
  });

  test('end() says at once that the server does not answer, then waits', async () => {
    const capture = captureWarnings();
    try {
      const tracker = new MlflowTracker({ trackingUri: server.url, ...FAST, endTimeoutMs: 60_000 });
      await tracker.start('waiting', dir);
      await server.stop();
      tracker.logMetric('loss', 1, 0);
      let ended = false;
      const ending = tracker.end().then(() => (ended = true));
      const said = await warningOf(capture.warnings, 'GYMNOS_MLFLOW_WAITING');
      assert.ok(said, 'said while end() waits');
      assert.equal(ended, false, 'before end() gave up');
      assert.match(said.message, /does not answer \(.+\); waiting up to 60 s/);
      await server.listen();
      await ending;
      assert.equal(tracker.endReport?.complete, true);
      assert.ok(existsSync(dir));
    } finally {
      capture.stop();
    }
  });
});
