/**
 * `gymnos sync` of comet spools, against the strict loopback Comet server (test/fixtures/comet_server.ts): a
 * training process killed with SIGKILL while a batch it sent was carried out but not answered is delivered by
 * `gymnos sync`, everything exactly once (the batch in doubt is asked about, not sent again) and the experiment
 * marked KILLED; a run logged offline (COMET_START_ONLINE=0) sends nothing until synced; a sync without an API key
 * says which variable to set, and no output ever holds the key.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import { CometTracker } from '../../src/trackers/comet.js';
import { COMET_API_KEY, CometTestServer } from '../fixtures/comet_server.js';
import type { StoredExperiment } from '../fixtures/comet_server.js';
import { spawnInTest } from '../helpers/children.js';
import { gymnosInProcess } from '../helpers/in_process.js';
import { captureWarnings, warningOf } from '../helpers/warnings.js';

const CHILD = path.join(import.meta.dirname, '..', 'trackers', 'fixtures', 'comet_child.mjs');
const UNLIMITED = { restRequests: 1e9, metricsPerMinute: 1e9, paramsPerMinute: 1e9, othersPerMinute: 1e9 };

const root = mkdtempSync(path.join(os.tmpdir(), 'gymnos-sync-comet-'));
after(() => rmSync(root, { recursive: true, force: true }));

let server: CometTestServer;

/** `gymnos sync` in this process, with the API key in the environment (and no other Comet setting). */
const sync = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  gymnosInProcess(['sync', ...args], {
    cwd: root,
    env: {
      COMET_API_KEY: COMET_API_KEY,
      COMET_URL_OVERRIDE: undefined,
      COMET_CONFIG: path.join(root, 'no-comet-config'),
      MLFLOW_TRACKING_URI: undefined,
      ...env,
    },
  });

async function waitFor(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function assertExactlyOnce(experiment: StoredExperiment, name: string, count: number): void {
  const steps = experiment.metrics.filter((metric) => metric.name === name).map((metric) => metric.step!);
  assert.equal(steps.length, count, `${steps.length} values of ${name} stored for ${count} logged`);
  assert.equal(new Set(steps).size, count, 'each step once');
}

describe('gymnos sync of comet spools', () => {
  // In the describe: this file shares its process with others.
  beforeEach(async () => {
    server = await CometTestServer.start(UNLIMITED);
  });
  afterEach(async () => {
    await server.stop();
  });

  it('after a kill -9 with a batch in doubt: everything exactly once, and the experiment KILLED', async (t) => {
    const logdir = path.join(root, 'killed');
    await server.stop(); // the run logs while Comet is down: everything goes to its spool
    const child = spawnInTest(t, process.execPath, [CHILD, server.clientlibUrl, logdir, COMET_API_KEY], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await waitFor(() => stdout.includes('logged\n'), `the child to log (stderr: ${stderr})`);
    // Comet comes back and carries out the first metric batch, but its answer never comes.
    server.hangNext(1, { afterProcessing: true, only: '/batch/logger/experiment/metric' });
    await server.listen();
    await waitFor(() => {
      const [experiment] = server.experiments.values();
      return experiment !== undefined && experiment.metrics.length > 0;
    }, 'the first metric batch to be carried out');
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('close', resolve));
    const experiment = server.experimentNamed('killed');
    assert.equal(experiment.metrics.length, 1_000, 'one batch landed before the kill');

    const synced = await sync([logdir, '--json']);
    assert.equal(synced.status, 0, synced.stdout + synced.stderr);
    const [run] = (JSON.parse(synced.stdout) as { runs: Record<string, unknown>[] }).runs;
    assert.equal(run?.status, 'delivered');
    assert.equal(run?.backend, 'comet');
    assert.equal(run?.killed, true);
    assert.equal(run?.backendRunId, experiment.experimentKey);
    assert.equal(run?.mlflowRunId, experiment.experimentKey, 'the deprecated name, as docs/cli.md promised it');
    assert.ok(server.requestsTo('experiment/metrics/get-metric').length > 0, 'the batch in doubt was asked about');
    assertExactlyOnce(experiment, 'loss', 5_000);
    assert.deepEqual(Object.fromEntries(experiment.params), { lr: '0.1', optimizer: 'adam' });
    assert.equal(experiment.others.get('phase'), 'killed');
    assert.equal(experiment.others.get('gymnos.run_id'), 'killed');
    assert.equal(experiment.others.get('gymnos.status'), 'KILLED');
    assert.ok(experiment.endTimeMillis, 'its end time is set');
    assert.deepEqual([...experiment.assets.keys()].sort(), ['config.json', 'diagram.svg']);
    assert.deepEqual(server.violations, []);

    const again = await sync([logdir]);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /^killed: already in sync with http:\/\/127\.0\.0\.1:\d+ run [0-9a-f]+$/m);
    assertExactlyOnce(experiment, 'loss', 5_000);
  });

  it('a run logged offline (COMET_START_ONLINE=0) sends nothing until gymnos sync delivers it', async () => {
    const logdir = path.join(root, 'offline');
    const saved = process.env.COMET_START_ONLINE;
    process.env.COMET_START_ONLINE = '0';
    const capture = captureWarnings();
    const before = server.requests.length;
    let tracker: CometTracker;
    try {
      tracker = new CometTracker({ url: server.clientlibUrl, workspace: 'test-workspace', projectName: 'offline' });
      assert.equal(tracker.offline, true);
      await tracker.start('flight', logdir);
      tracker.logParam('lr', 0.01);
      for (let step = 0; step < 1_500; step += 1) tracker.logMetric('loss', step, step);
      tracker.logTag('where', 'plane');
      await tracker.flush();
      await tracker.end();
      const said = await warningOf(capture.warnings, 'GYMNOS_COMET_OFFLINE', 1_000);
      assert.match(said?.message ?? '', /offline: nothing was sent; .*`npx gymnos sync /);
    } finally {
      capture.stop();
      if (saved === undefined) delete process.env.COMET_START_ONLINE;
      else process.env.COMET_START_ONLINE = saved;
    }
    assert.equal(server.requests.length, before, 'offline: not one request');
    assert.equal(tracker.endReport?.undelivered.metrics, 1_500);

    const synced = await sync([logdir], { COMET_START_ONLINE: '0' });
    assert.equal(synced.status, 0, synced.stdout + synced.stderr);
    assert.match(synced.stdout, /^flight: delivered 1500 metrics, 1 param, 1 tag and the FINISHED status to /m);
    const experiment = server.experimentNamed('flight');
    assertExactlyOnce(experiment, 'loss', 1_500);
    assert.equal(experiment.others.get('gymnos.status'), 'FINISHED');
    assert.deepEqual(server.violations, []);
  });

  it('without an API key: the run fails naming COMET_API_KEY, its spool kept; no output holds a key', async () => {
    const logdir = path.join(root, 'no-key');
    const tracker = new CometTracker({
      url: server.clientlibUrl,
      apiKey: COMET_API_KEY,
      workspace: 'test-workspace',
      offline: true,
    });
    const capture = captureWarnings();
    try {
      await tracker.start('keyless', logdir);
      tracker.logMetric('loss', 1, 0);
      await tracker.end();
    } finally {
      capture.stop();
    }
    const failed = await sync([logdir, '--json'], { COMET_API_KEY: undefined });
    assert.equal(failed.status, 1, failed.stderr);
    const [run] = (JSON.parse(failed.stdout) as { runs: { status: string; error: string }[] }).runs;
    assert.equal(run?.status, 'failed');
    assert.match(run?.error ?? '', /no API key: pass apiKey, set COMET_API_KEY or write api_key= under \[comet\]/);
    const delivered = await sync([logdir, '--json']);
    assert.equal(delivered.status, 0, delivered.stdout);
    for (const output of [failed, delivered]) {
      assert.ok(!`${output.stdout}${output.stderr}`.includes(COMET_API_KEY), 'the API key is never printed');
    }
  });
});
