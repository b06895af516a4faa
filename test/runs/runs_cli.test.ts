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
    assert.match(
      lines[0]!,
      /^run\s+tracker\s+status\s+start\s+duration\s+metrics\s+points\s+lr\s+optimizer\s+loss last\s+loss min$/,
    );
    // the params that differ are columns; tensorboard's float32 0.15 (0.15000000596046448) reads 0.15
    assert.deepEqual(
      lines.slice(1).map((line) => line.split(/\s{2,}/).filter((cell) => !/^\d{4}-|s$/.test(cell))),
      [
        ['baseline', 'jsonl', 'finished', '2', '202', '0.01', 'sgd', '0.75', '0.65'],
        ['sweep/lr-0.001', 'tensorboard', 'failed', '2', '202', '0.001', 'adam', '0.25', '0.15'],
        ['sweep/lr-0.01', 'csv', 'unknown', '2', '202', '0.01', 'adam', '0.2', '0.1'],
        ['sweep/lr-0.1', 'jsonl', 'finished', '2', '202', '0.1', 'adam', '0.5', '0.4'],
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

  it('takes a mode per metric: loss:min beside acc:max', async () => {
    const result = await runs('--metric', 'loss:min', '--metric', 'acc:max', '--sort', 'id', '--params', 'none');
    assert.equal(result.status, 0, result.stderr);
    const [header, ...rows] = result.stdout.trimEnd().split('\n');
    assert.match(header!, /loss last\s+loss min\s+acc last\s+acc max$/);
    // acc = 1 - loss / 2: its max is where the loss is lowest, never the acc min one --mode gave both
    assert.deepEqual(
      rows.map((row) => row.split(/\s{2,}/).slice(-4)),
      [
        ['0.75', '0.65', '0.625', '0.675'],
        ['0.25', '0.15', '0.875', '0.925'],
        ['0.2', '0.1', '0.9', '0.95'],
        ['0.5', '0.4', '0.75', '0.8'],
      ],
    );
    const json = JSON.parse((await runs('--metric', 'loss:min', '--metric', 'acc:max', '--json')).stdout) as {
      metrics: { name: string; mode: string }[];
      runs: { id: string; best: Record<string, { mode: string; value: number; step: number }> }[];
    };
    assert.deepEqual(json.metrics, [
      { name: 'loss', mode: 'min' },
      { name: 'acc', mode: 'max' },
    ]);
    const best = json.runs.find((run) => run.id === 'sweep/lr-0.01')!.best;
    assert.deepEqual(best.acc, { mode: 'max', value: 0.95, step: 50 });
    assert.equal(best.loss!.mode, 'min');
  });

  it('filters with conditions on params, status, tracker and tags', async () => {
    const where = async (...conditions: string[]) =>
      ids((await runs('--sort', 'id', ...conditions.flatMap((condition) => ['--where', condition]))).stdout);
    assert.deepEqual(await where('lr<0.01'), ['sweep/lr-0.001']);
    assert.deepEqual(await where('lr<=0.01'), ['baseline', 'sweep/lr-0.001', 'sweep/lr-0.01']);
    assert.deepEqual(await where('lr>=1e-2', 'optimizer!=sgd'), ['sweep/lr-0.01', 'sweep/lr-0.1']);
    assert.deepEqual(await where('status=failed'), ['sweep/lr-0.001']);
    assert.deepEqual(await where('!status=finished', 'tracker=csv'), ['sweep/lr-0.01']);
    assert.deepEqual(await where('optimizer=ad*', 'run~lr-0.0'), ['sweep/lr-0.001', 'sweep/lr-0.01']);
  });

  it('shows only the params that differ, or those asked for', async () => {
    const header = async (...args: string[]) => (await runs(...args)).stdout.split('\n')[0]!.split(/\s{2,}/);
    assert.deepEqual((await header('--where', 'optimizer=adam')).slice(7), ['lr']);
    assert.deepEqual((await header('--params', 'optimizer')).slice(7), ['optimizer']);
    assert.deepEqual((await header('--params', 'all', '--where', 'optimizer=adam')).slice(7), ['lr', 'optimizer']);
    const typo = await runs('--params', 'optimiser');
    assert.equal(typo.status, 2);
    assert.equal(typo.stderr, 'gymnos: --params: param optimiser: no run listed has it; did you mean optimizer?\n');
  });

  it('sorts by a metric in a mode and keeps the --top rows', async () => {
    assert.deepEqual(ids((await runs('--sort', 'loss:min', '--top', '2')).stdout), ['sweep/lr-0.01', 'sweep/lr-0.001']);
    assert.deepEqual(ids((await runs('--sort', 'loss:max', '--top', '1')).stdout), ['baseline']);
    // sorted by a metric not asked for with --metric: it is shown too
    assert.match((await runs('--sort', 'acc:max', '--top', '1')).stdout.split('\n')[0]!, /acc last\s+acc max$/);
    assert.deepEqual(ids((await runs('--sort', 'lr', '--params', 'none')).stdout).slice(0, 1), ['sweep/lr-0.001']);
  });

  it('groups runs by params: a row per group with the mean, std and best of each metric', async () => {
    const result = await runs('--metric', 'loss', '--group-by', 'optimizer', '--sort', 'loss');
    assert.equal(result.status, 0, result.stderr);
    const [header, ...rows] = result.stdout
      .trimEnd()
      .split('\n')
      .map((line) => line.split(/\s{2,}/));
    assert.deepEqual(header, ['optimizer', 'runs', 'loss min mean', 'loss min std', 'loss min best', 'best run']);
    // adam: the best losses 0.4, 0.1, 0.15; sgd: 0.65
    const adam = rows[0]!;
    assert.deepEqual([adam[0], adam[1], adam[4], adam[5]], ['adam', '3', '0.1', 'sweep/lr-0.01']);
    assert.equal(adam[2], '0.21667'); // (0.4 + 0.1 + 0.15) / 3, to 5 significant digits
    assert.deepEqual(rows[1], ['sgd', '1', '0.65', '0', '0.65', 'baseline']);
    assert.equal(rows.length, 2);
    const top = await runs('--metric', 'loss', '--group-by', 'optimizer,lr', '--sort', 'loss', '--top', '1');
    assert.deepEqual(
      top.stdout
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((line) => line.split(/\s{2,}/).slice(0, 3)),
      [['adam', '0.01', '1']],
    );
    const json = JSON.parse((await runs('--metric', 'acc:max', '--group-by', 'optimizer', '--json')).stdout) as {
      groupBy: string[];
      groups: { params: Record<string, unknown>; count: number; runs: string[]; metrics: Record<string, unknown> }[];
    };
    assert.deepEqual(json.groupBy, ['optimizer']);
    assert.deepEqual(
      json.groups.map((group) => [group.params, group.count, group.runs.length]),
      [
        [{ optimizer: 'adam' }, 3, 3],
        [{ optimizer: 'sgd' }, 1, 1],
      ],
    );
    assert.deepEqual(json.groups[1]!.metrics.acc, {
      mode: 'max',
      count: 1,
      mean: 0.675,
      std: 0,
      min: 0.675,
      max: 0.675,
      best: { run: 'baseline', value: 0.675, step: 50 },
    });
  });

  it('says which metric or param was meant, exit 2, for a name no run has', async () => {
    for (const [args, message] of [
      [['--metric', 'los'], 'gymnos: metric los: no run listed has it; did you mean loss?'],
      [['--metric', 'acc:max', '--plot', 'accc'], 'gymnos: metric accc: no run listed has it; did you mean acc?'],
      [['--where', 'lrr<0.01'], 'gymnos: --where lrr<0.01: param lrr: no run listed has it; did you mean lr?'],
      [['--where', 'lrr!=0.1'], 'gymnos: --where lrr!=0.1: param lrr: no run listed has it; did you mean lr?'],
      [
        ['--group-by', 'optimiser'],
        'gymnos: --group-by: param optimiser: no run listed has it; did you mean optimizer?',
      ],
      [['--where', 'tag.tem=a'], 'gymnos: --where tag.tem=a: tag tem: no run listed has it'],
    ] as const) {
      const result = await runs(...args);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stdout, '');
      assert.equal(result.stderr, `${message}\n`);
    }
    const json = await runs('--metric', 'los', '--json');
    assert.equal(json.status, 2);
    assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'METRIC_UNKNOWN');
  });

  it('reads nested params as key paths: columns, conditions and groups', async () => {
    const logdir = path.join(root, 'nested');
    for (const [id, layers, width] of [
      ['a', 2, 64],
      ['b', 2, 128],
      ['c', 4, 128],
    ] as const) {
      const tracker = new JsonlTracker();
      await tracker.start(id, logdir);
      tracker.logParams({ model: { layers, width, act: 'relu' }, lr: 10 ** -4 });
      tracker.logMetric('loss', layers / width, 0);
      await tracker.end();
    }
    const table = await runs('nested', '--sort', 'id', '--params', 'differing');
    assert.deepEqual(
      table.stdout
        .split('\n')[0]!
        .split(/\s{2,}/)
        .slice(7),
      ['model.layers', 'model.width'],
    );
    const all = await runs('nested', '--sort', 'id', '--params', 'all');
    // 10 ** -4 is 0.00009999999999999999: a person reads 1e-4
    assert.deepEqual(
      all.stdout
        .split('\n')[1]!
        .split(/\s{2,}/)
        .slice(7),
      ['1e-4', 'relu', '2', '64'],
    );
    assert.deepEqual(ids((await runs('nested', '--where', 'model.width>100', '--sort', 'id')).stdout), ['b', 'c']);
    const grouped = await runs('nested', '--metric', 'loss', '--group-by', 'model.width');
    assert.deepEqual(
      grouped.stdout
        .trimEnd()
        .split('\n')
        .slice(1)
        .map((line) => line.split(/\s{2,}/).slice(0, 2)),
      [
        ['64', '1'],
        ['128', '2'],
      ],
    );
  });

  it('names the runs of several absolute logdirs by their last segments, never by a path of the machine', async () => {
    const result = await runs(path.join(root, 'logs'), path.join(root, 'logs', 'sweep'), '--sort', 'id');
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(ids(result.stdout), [
      'logs/baseline',
      'logs/sweep/lr-0.001',
      'logs/sweep/lr-0.01',
      'logs/sweep/lr-0.1',
      'sweep/lr-0.001',
      'sweep/lr-0.01',
      'sweep/lr-0.1',
    ]);
    const [a, b] = ['a', 'b'].map((side) => path.join(root, 'labels', side, 'logs'));
    for (const logdir of [a!, b!]) {
      const tracker = new JsonlTracker();
      await tracker.start('run', logdir);
      await tracker.end();
    }
    assert.deepEqual(ids((await runs(a!, b!)).stdout).sort(), ['a/logs/run', 'b/logs/run']);
  });

  it('rejects bad input with one line and exit 2', async () => {
    for (const [args, pattern] of [
      [['missing-dir'], /^gymnos: missing-dir is not a directory/],
      [['--mode', 'median'], /^gymnos: option '--mode <mode>' argument 'median' is invalid/],
      [['--sort', 'los'], /^gymnos: --sort: metric or param los: no run listed has it; did you mean loss\?\n$/],
      [['--run', '/(/'], /^gymnos: --run \/\(\/: Invalid regular expression/],
      [['--where', 'lr'], /^gymnos: --where lr: expected a condition such as lr=0.001, lr<0.01/],
      [['--where', 'lr<fast'], /^gymnos: --where lr<fast: < compares numbers, and fast is not one\n$/],
      [['--where', 'name~/(/'], /^gymnos: --where name~\/\(\/: Invalid regular expression/],
      [['--top', '0'], /^gymnos: --top 0: expected a whole number of rows, 1 or more\n$/],
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
