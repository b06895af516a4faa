/**
 * The wandb tracker against the strict loopback W&B server (test/fixtures/wandb_server.ts): the conformance kit,
 * a full run accepted field for field (history rows at their steps, summary, config, tags, files and media, the
 * exit code last), settings from W&B's variables, and what is never shown (the API key).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { load } from '../../src/index.js';
import {
  describeTrackerConformance,
  PLOTLY_FIGURE,
  TINY_PNG,
  TINY_SVG,
  VEGA_LITE_SPEC,
} from '../../src/testing/index.js';
import { WandbTracker } from '../../src/trackers/wandb.js';
import { FAST, WANDB_TEST_KEY } from '../fixtures/wandb_params.js';
import { WandbTestServer } from '../fixtures/wandb_server.js';
import { captureWarnings, warningsDelivered } from '../helpers/warnings.js';

const KEY = WANDB_TEST_KEY;

const shared = await WandbTestServer.start(KEY);
shared.perRunLimit = 1_000;
after(() => shared.stop());

/** What the server holds of a tracker's run, as the conformance kit reads it. */
function readBack(server: WandbTestServer, tracker: WandbTracker) {
  const run = server.run(tracker.wandbRunId!);
  const metrics = server.rows(run).flatMap((row) =>
    Object.entries(row)
      .filter(([key, value]) => !key.startsWith('_') && (typeof value === 'number' || typeof value === 'string'))
      .map(([name, value]) => ({ name, step: row._step as number, value: Number(value) })),
  );
  const tags = Object.fromEntries(
    run.tags.map((tag) => [tag.slice(0, tag.indexOf(':')), tag.slice(tag.indexOf(':') + 1)]),
  );
  // A media file is named by the history key whose value points at it (W&B's `<key>_<step>_<hash>.<ext>`); a
  // Vega-Lite spec is the run file `media/figures/<key>_<step>.vl.json`; an SVG is shown inside an HTML page.
  const keyOf = new Map<string, string>();
  for (const row of server.rows(run)) {
    for (const [key, value] of Object.entries(row)) {
      const file = (value as { path?: unknown } | null)?.path;
      if (typeof file === 'string') keyOf.set(file, key);
    }
  }
  const files = [...run.files].map(([file, stored]) => {
    const name = keyOf.get(file) ?? /^media\/figures\/(.+)_\d+\.vl\.json$/.exec(file)?.[1] ?? file;
    const svg = file.endsWith('.html')
      ? /<svg[\s\S]*<\/svg>|<svg[^>]*\/>/.exec(stored.bytes.toString())?.[0]
      : undefined;
    return { name, content: svg ?? new Uint8Array(stored.bytes) };
  });
  return { metrics, params: run.config, tags, files };
}

describeTrackerConformance('wandb', () => new WandbTracker({ baseUrl: shared.url, ...FAST }), {
  readBack: ({ tracker }) => readBack(shared, tracker),
  afterLifecycle: ({ tracker }) => {
    const run = shared.run(tracker.wandbRunId!);
    assert.deepEqual(run.complete, { exitcode: 0 });
    assert.deepEqual(shared.violations, []);
    assert.equal(tracker.endReport?.complete, true);
  },
});

let dir: string;
/** A logdir for each test of a describe (hooks inside the describes: the directory's files share a process). */
function withDir(): void {
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-wandb-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
}

describe('wandb: a full run, field for field', () => {
  withDir();
  test('rows at their steps, summary, config, tags, files and media, then complete with exit code 0', async () => {
    const server = await WandbTestServer.start(KEY);
    try {
      const tracker = new WandbTracker({ baseUrl: server.url, ...FAST, project: 'vision', name: 'baseline' });
      await tracker.start('run-1', dir);
      tracker.logParams({ lr: 0.001, layers: [64, 32], optimizer: { name: 'adam' } });
      tracker.logTag('team', 'vision');
      for (let step = 0; step < 3; step += 1) {
        tracker.logMetric('loss', 1 / (step + 1), step);
        tracker.logMetric('acc', step / 10, step);
      }
      tracker.logMetric('val/loss', Number.NaN, 0);
      const asset = path.join(dir, 'config.yaml');
      await writeFile(asset, 'lr: 0.001\n');
      tracker.logAsset('config', asset);
      const image = path.join(dir, 'sample.png');
      await writeFile(image, TINY_PNG);
      tracker.logImage('samples/first', image);
      tracker.logFigure('curve', TINY_SVG);
      tracker.logFigure('plot', PLOTLY_FIGURE);
      tracker.logFigure('spec', VEGA_LITE_SPEC);
      await tracker.end();

      assert.deepEqual(server.violations, []);
      const run = server.run(tracker.wandbRunId!);
      assert.match(tracker.wandbRunId!, /^[a-z0-9]{8}$/);
      assert.equal(run.entity, 'gymnos-team', "the key's default entity (viewer)");
      assert.equal(run.project, 'vision');
      assert.equal(run.displayName, 'baseline');
      assert.deepEqual(run.config, { lr: 0.001, layers: [64, 32], optimizer: { name: 'adam' } });
      assert.deepEqual(run.tags, ['team:vision']);
      const rows = server.rows(run);
      const metricRows = rows.filter((row) => 'loss' in row);
      assert.deepEqual(
        metricRows.map((row) => [row._step, row.loss, row.acc]),
        [
          [0, 1, 0],
          [1, 0.5, 0.1],
          [2, 1 / 3, 0.2],
        ],
        'one row per step, both metrics in it',
      );
      for (const row of rows) {
        assert.equal(typeof row._runtime, 'number');
        assert.ok((row._timestamp as number) > 1e9 && (row._timestamp as number) < 1e11, 'seconds');
      }
      assert.deepEqual(server.series(run, 'val/loss'), [[0, 'NaN']], 'NaN written bare, as W&B writes it');
      const imageRow = rows.find((row) => 'samples/first' in row)!;
      const ref = imageRow['samples/first'] as Record<string, unknown>;
      assert.equal(ref._type, 'image-file');
      assert.equal(ref.format, 'png');
      assert.deepEqual([ref.width, ref.height, ref.size], [1, 1, TINY_PNG.length]);
      const sha = createHash('sha256').update(TINY_PNG).digest('hex');
      assert.equal(ref.sha256, sha);
      assert.equal(ref.path, `media/images/samples/first_0_${sha.slice(0, 20)}.png`);
      const stored = run.files.get(ref.path as string)!;
      assert.equal(stored.sha256, sha, 'the PNG is at the path the row names');
      assert.ok(stored.listed, 'named in file_stream uploaded');
      const svg = rows.find((row) => 'curve' in row)!.curve as Record<string, unknown>;
      assert.equal(svg._type, 'html-file');
      assert.match(run.files.get(svg.path as string)!.bytes.toString(), /<svg/);
      const plot = rows.find((row) => 'plot' in row)!.plot as Record<string, unknown>;
      assert.equal(plot._type, 'plotly-file');
      assert.deepEqual(JSON.parse(run.files.get(plot.path as string)!.bytes.toString()), PLOTLY_FIGURE);
      assert.equal(await readFile(asset, 'utf8'), run.files.get('config.yaml')!.bytes.toString());
      assert.ok(run.files.has('media/figures/spec_0.vl.json'));
      assert.ok([...run.files.values()].every((file) => file.listed));
      const summary = server.summary(run);
      assert.equal(summary.loss, 1 / 3);
      assert.equal(summary.acc, 0.2);
      assert.equal(summary['val/loss'], 'NaN');
      assert.deepEqual(run.complete, { exitcode: 0 });
      assert.equal(run.resentLines, 0);
      const report = tracker.endReport!;
      assert.equal(report.complete, true);
      assert.deepEqual(report.delivered, { metrics: 7, params: 3, tags: 1, artifacts: 5 });
    } finally {
      await server.stop();
    }
  });

  test('end(error) completes with exit code 1', async () => {
    const tracker = new WandbTracker({ baseUrl: shared.url, ...FAST });
    await tracker.start('failing', dir);
    tracker.logMetric('loss', 1);
    await tracker.end(new Error('diverged'));
    assert.deepEqual(shared.run(tracker.wandbRunId!).complete, { exitcode: 1 });
  });
});

describe('wandb: settings as W&B reads them', () => {
  withDir();
  const saved = { ...process.env };
  afterEach(() => {
    for (const key of Object.keys(process.env))
      if (key.startsWith('WANDB_') || key === 'NETRC') delete process.env[key];
    Object.assign(process.env, saved);
  });

  test('WANDB_API_KEY, WANDB_BASE_URL, WANDB_ENTITY, WANDB_PROJECT, WANDB_RUN_ID, WANDB_NAME, WANDB_TAGS', async () => {
    Object.assign(process.env, {
      WANDB_API_KEY: KEY,
      WANDB_BASE_URL: shared.url,
      WANDB_ENTITY: 'someone',
      WANDB_PROJECT: 'proj',
      WANDB_RUN_ID: 'fixed-id',
      WANDB_NAME: 'shown',
      WANDB_TAGS: 'a, b',
    });
    const tracker = await load('wandb', { ...FAST, apiKey: undefined });
    await tracker.start('env-run', dir);
    tracker.logMetric('x', 1);
    await tracker.end();
    const run = shared.run('fixed-id');
    assert.deepEqual([run.entity, run.project, run.displayName, run.tags], ['someone', 'proj', 'shown', ['a', 'b']]);
  });

  test("W&B's settings file ([default] base_url, entity, project, mode) under the variables", async () => {
    const configDir = path.join(dir, 'wandb-config');
    await mkdir(configDir, { recursive: true });
    await writeFile(
      path.join(configDir, 'settings'),
      `[default]\nbase_url = ${shared.url}\nentity = from-file\nproject = file-project\nmode = online\n`,
    );
    Object.assign(process.env, { WANDB_CONFIG_DIR: configDir, WANDB_API_KEY: KEY, WANDB_PROJECT: 'env-project' });
    const tracker = new WandbTracker({ ...FAST, apiKey: undefined, baseUrl: undefined });
    await tracker.start('file-run', dir);
    tracker.logMetric('x', 1);
    await tracker.end();
    const run = shared.run(tracker.wandbRunId!);
    assert.deepEqual([run.entity, run.project], ['from-file', 'env-project']);
    await writeFile(path.join(configDir, 'settings'), '[default]\nmode = sometimes\n');
    assert.throws(() => new WandbTracker({ apiKey: KEY }), {
      code: 'WANDB_BAD_MODE',
      message: /settings \[default\] mode "sometimes"/,
    });
  });

  test('the key from ~/.netrc (wandb login) when no variable gives it', async () => {
    const netrc = path.join(dir, 'netrc');
    await writeFile(netrc, `machine 127.0.0.1\n  login user\n  password ${KEY}\n`);
    Object.assign(process.env, { NETRC: netrc, WANDB_BASE_URL: shared.url });
    delete process.env.WANDB_API_KEY;
    const tracker = new WandbTracker({ ...FAST, apiKey: undefined });
    await tracker.start('netrc-run', dir);
    await tracker.end();
    assert.equal(tracker.endReport?.complete, true);
  });

  test('bad settings are one clear error naming the variable, never the key', async () => {
    delete process.env.WANDB_API_KEY;
    process.env.NETRC = path.join(dir, 'none');
    assert.throws(() => new WandbTracker(), {
      code: 'WANDB_NO_API_KEY',
      message: /WANDB_API_KEY.*WANDB_MODE=offline\) and deliver later with `npx gymnos sync <logdir>`$/,
    });
    // In a pnpm project the hint is pnpm's command.
    const pnpmProject = path.join(dir, 'pnpm-project');
    await mkdir(pnpmProject);
    await writeFile(path.join(pnpmProject, 'pnpm-lock.yaml'), "lockfileVersion: '9.0'\n");
    const cwd = process.cwd();
    process.chdir(pnpmProject);
    try {
      assert.throws(() => new WandbTracker(), { message: /deliver later with `pnpm exec gymnos sync <logdir>`$/ });
    } finally {
      process.chdir(cwd);
    }
    assert.throws(() => new WandbTracker({ apiKey: KEY, mode: 'sometimes' as 'online' }), { code: 'WANDB_BAD_MODE' });
    process.env.WANDB_RUN_ID = 'a/b';
    assert.throws(() => new WandbTracker({ apiKey: KEY }), {
      code: 'WANDB_BAD_RUN_ID',
      message: /WANDB_RUN_ID "a\/b"/,
    });
    delete process.env.WANDB_RUN_ID;
    process.env.WANDB_BASE_URL = `ftp://user:${KEY}@host`;
    assert.throws(
      () => new WandbTracker({ apiKey: KEY }),
      (error: Error) => /WANDB_BASE_URL/.test(error.message) && !error.message.includes(KEY),
    );
  });

  test('GYMNOS_TRACKERS=wandb builds it through the registry', async () => {
    const { TrackerList } = await import('../../src/index.js');
    Object.assign(process.env, { GYMNOS_TRACKERS: 'wandb', WANDB_API_KEY: KEY, WANDB_BASE_URL: shared.url });
    try {
      const list = await TrackerList.fromEnv();
      assert.equal(list.trackers[0]!.constructor.name, 'WandbTracker');
    } finally {
      delete process.env.GYMNOS_TRACKERS;
    }
  });
});

describe('wandb: the API key is never shown', () => {
  withDir();
  test('not in warnings, the end report, nor the spool, even when the server quotes it', async () => {
    const server = await WandbTestServer.start(KEY);
    const capture = captureWarnings();
    try {
      await server.stop();
      const tracker = new WandbTracker({ baseUrl: server.url, ...FAST, endTimeoutMs: 300 });
      await tracker.start('secret', dir);
      tracker.logMetric('loss', 1);
      await tracker.end();
      await warningsDelivered();
      const everything = [
        JSON.stringify(capture.warnings),
        JSON.stringify(tracker.endReport),
        await readFile(path.join(dir, 'secret', 'wandb-spool', 'run.json'), 'utf8'),
        await readFile(path.join(dir, 'secret', 'wandb-spool', 'queue.jsonl'), 'utf8'),
      ].join('\n');
      assert.ok(capture.warnings.length > 0);
      assert.ok(!everything.includes(KEY), 'the key appears nowhere');
      assert.ok(!everything.includes(Buffer.from(`api:${KEY}`).toString('base64')), 'nor its Basic header');
    } finally {
      capture.stop();
      await server.stop();
    }
  });
});
