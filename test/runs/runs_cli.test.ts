/**
 * `gymnos runs`: the table, last and best values, sorting, the run and param filters, one JSON document with
 * --json, a text chart per --plot, and one line with the documented exit code for bad input. The command runs in
 * the test process (helpers/in_process.ts); exit 0 and 1 are checked through the real bin as well.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { renderChart } from '../../src/runs/terminal_chart.js';
import { CsvTracker } from '../../src/trackers/csv.js';
import { JsonlTracker } from '../../src/trackers/jsonl.js';
import { TensorboardTracker } from '../../src/trackers/tensorboard.js';
import { gymnosInProcess } from '../helpers/in_process.js';
import { gymnos } from '../helpers/project.js';

let root: string;

/** Three runs of a sweep, one per file tracker, and a crashed one. */
before(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'gymnos-runs-cli-'));
  const runs = [
    { id: 'sweep/lr-0.1', tracker: new JsonlTracker(), lr: 0.1, final: 0.5, fail: false },
    { id: 'sweep/lr-0.01', tracker: new CsvTracker(), lr: 0.01, final: 0.2, fail: false },
    { id: 'sweep/lr-0.001', tracker: new TensorboardTracker(), lr: 0.001, final: 0.25, fail: true },
    { id: 'baseline', tracker: new JsonlTracker(), lr: 0.01, final: 0.75, fail: false },
  ];
  for (const run of runs) {
    await run.tracker.start(run.id, path.join(root, 'logs'));
    run.tracker.logParams({ lr: run.lr, optimizer: run.id === 'baseline' ? 'sgd' : 'adam' });
    for (let step = 0; step <= 100; step++) {
      // loss falls to `final`, with a dip to final - 0.1 at step 50; acc = 1 - loss / 2
      const loss = run.final + (1 - step / 100) + (step === 50 ? -0.6 : 0);
      run.tracker.logMetric('loss', loss, step);
      run.tracker.logMetric('acc', 1 - loss / 2, step);
    }
    await run.tracker.end(run.fail ? new Error('diverged') : undefined);
  }
});
after(() => rmSync(root, { recursive: true, force: true }));

const cacheEnv = () => ({ GYMNOS_CACHE_DIR: path.join(root, 'cache') });

function runs(...args: string[]) {
  return gymnosInProcess(['runs', ...args], { cwd: root, env: cacheEnv() });
}

describe('gymnos runs', () => {
  it('lists every run with its tracker, status and the last and best values of the metrics asked for', async () => {
    const result = await runs('--metric', 'loss', '--sort', 'id');
    assert.equal(result.status, 0, result.stderr);
    const lines = result.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^run\s+tracker\s+status\s+start\s+duration\s+metrics\s+points\s+loss last\s+loss min$/);
    assert.deepEqual(
      lines.slice(1).map((line) => line.split(/\s{2,}/).filter((cell) => !/^\d{4}-|s$/.test(cell))),
      [
        ['baseline', 'jsonl', 'finished', '2', '202', '0.75', '0.65'],
        ['sweep/lr-0.001', 'tensorboard', 'failed', '2', '202', '0.25', '0.15'],
        ['sweep/lr-0.01', 'csv', 'unknown', '2', '202', '0.2', '0.1'],
        ['sweep/lr-0.1', 'jsonl', 'finished', '2', '202', '0.5', '0.4'],
      ],
    );
    assert.equal(result.stderr, '');
  });

  it('sorts by a metric, best first in the --mode direction, and filters by run id and params', async () => {
    const byLoss = await runs('logs', '--metric', 'loss', '--sort', 'loss');
    assert.deepEqual(ids(byLoss.stdout), ['sweep/lr-0.01', 'sweep/lr-0.001', 'sweep/lr-0.1', 'baseline']);
    const byAcc = await runs('logs', '--metric', 'acc', '--mode', 'max', '--sort', 'acc');
    assert.deepEqual(ids(byAcc.stdout), ['sweep/lr-0.01', 'sweep/lr-0.001', 'sweep/lr-0.1', 'baseline']);
    assert.match(byAcc.stdout.split('\n')[0]!, /acc max$/);
    assert.deepEqual(ids((await runs('--run', 'sweep/*', '--sort', 'id')).stdout), [
      'sweep/lr-0.001',
      'sweep/lr-0.01',
      'sweep/lr-0.1',
    ]);
    assert.deepEqual(ids((await runs('--run', '/0\\.0?1$/', '--sort', 'id')).stdout), [
      'sweep/lr-0.01',
      'sweep/lr-0.1',
    ]);
    assert.deepEqual(ids((await runs('--where', 'lr=0.01', '--sort', 'id')).stdout), ['baseline', 'sweep/lr-0.01']);
    assert.deepEqual(ids((await runs('--where', 'lr=1e-2', '--where', 'optimizer=adam')).stdout), ['sweep/lr-0.01']);
    // tensorboard keeps params in the event file: the filter reads them there
    assert.deepEqual(ids((await runs('--where', 'lr=0.001')).stdout), ['sweep/lr-0.001']);
  });

  it('prints one JSON document with exact values', async () => {
    const result = await runs('--json', '--mode', 'max');
    assert.equal(result.status, 0, result.stderr);
    const document = JSON.parse(result.stdout) as {
      mode: string;
      runs: {
        id: string;
        status: string;
        params: Record<string, unknown>;
        metrics: Record<string, { last: number }>;
      }[];
    };
    assert.equal(document.mode, 'max');
    assert.equal(document.runs.length, 4);
    const csvRun = document.runs.find((run) => run.id === 'sweep/lr-0.01')!;
    assert.equal(csvRun.metrics.loss!.last, 0.2 + (1 - 100 / 100));
    assert.deepEqual(csvRun.params, { lr: 0.01, optimizer: 'adam' });
  });

  it('draws a plain-text chart per --plot metric when stdout is not a terminal', async () => {
    const result = await runs('--run', 'sweep/*', '--plot', 'loss', '--sort', 'id');
    assert.equal(result.status, 0, result.stderr);
    const chart = result.stdout.slice(result.stdout.indexOf('\nloss\n') + 1);
    assert.match(chart, /^loss\n/);
    assert.ok(!chart.includes('\u001b['), 'no colour codes in a pipe');
    assert.match(chart, /└─+\n/);
    for (const [marker, id] of [
      ['*', 'sweep/lr-0.001'],
      ['+', 'sweep/lr-0.01'],
      ['o', 'sweep/lr-0.1'],
    ]) {
      assert.ok(chart.includes(`${marker}${marker} ${id}`), `legend for ${id}`);
      assert.ok(
        chart.split('\n').some((line) => line.includes('│') && line.includes(marker)),
        `${id} is drawn`,
      );
    }
  });

  it('says so, exit 1, when no run is found or matches', async () => {
    // Through the bin: exit 1 as the shell sees it.
    const none = gymnos(['runs', '--run', 'nothing*'], { cwd: root, env: cacheEnv() });
    assert.equal(none.status, 1);
    assert.equal(none.stdout, '');
    assert.equal(none.stderr, 'gymnos: no run under ./logs matches the filters\n');
    const empty = gymnos(['runs', '.'], { cwd: path.join(root, 'logs', 'sweep', 'lr-0.1', '..', '..', '..') });
    assert.equal(empty.status, 0); // the root holds logs/: runs are found below it
    const json = await runs('--json', '--where', 'lr=5');
    assert.equal(json.status, 1);
    assert.deepEqual(JSON.parse(json.stdout).runs, []);
  });

  it('rejects bad input with one line and exit 2', async () => {
    for (const [args, pattern] of [
      [['missing-dir'], /^gymnos: missing-dir is not a directory/],
      [['--mode', 'median'], /^gymnos: option '--mode <mode>' argument 'median' is invalid/],
      [['--sort', 'loss'], /^gymnos: --sort loss: sort by id, start, duration, status, points or a metric/],
      [['--run', '/(/'], /^gymnos: --run \/\(\/: Invalid regular expression/],
      [['--where', 'lr'], /^gymnos: --where lr: expected key=value/],
    ] as const) {
      const result = await runs(...args);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, pattern);
      assert.equal(result.stderr.trimEnd().split('\n').length, 1, result.stderr);
    }
  });
});

describe('the terminal chart', () => {
  it('draws Braille dots in a colour per run on a terminal', async () => {
    const series = (values: number[]) => ({
      steps: values.map((_, i) => i),
      values,
      times: values.map(() => 0),
      total: values.length,
    });
    const chart = renderChart(
      [
        { label: 'a', series: series([3, 2, 1]) },
        { label: 'b', series: series([1, 2, 3]) },
      ],
      { title: 'loss', rich: true, width: 20, height: 5 },
    );
    assert.match(chart, /[\u2801-\u28ff]/);
    assert.ok(chart.includes('\u001b[36m') && chart.includes('\u001b[33m'), 'a colour per run');
    assert.match(chart, /^loss\n/);
  });
});

function ids(stdout: string): string[] {
  return stdout
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((line) => line.split(/\s+/)[0]!);
}
