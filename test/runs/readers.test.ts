/**
 * The run readers read what our file trackers write: every metric point, exact last and best values, params,
 * tags, files and the status, from jsonl, csv and tensorboard alike; a last line or record a crash cut short
 * is skipped; the hand protobuf decoder agrees with protobufjs; and tensorboardX's files read too.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { discoverRuns } from '../../src/runs/discover.js';
import type { SkippedRun } from '../../src/runs/discover.js';
import { summarizeRun } from '../../src/runs/summary.js';
import type { RunSummary } from '../../src/runs/summary.js';
import { readTensorboardRun } from '../../src/runs/tfevents_reader.js';
import { readTfRecords } from '../helpers/tfrecord.js';
import { CsvTracker } from '../../src/trackers/csv.js';
import { JsonlTracker } from '../../src/trackers/jsonl.js';
import { TensorboardTracker } from '../../src/trackers/tensorboard.js';
import type { Tracker } from '../../src/trackers/tracker.js';
import { runChildSync } from '../helpers/children.js';
import { missingPythonModule, PYTHON, PYTHON_HINT } from '../helpers/python.js';
import { missingPrerequisite } from '../helpers/prerequisite.js';
import { TS_LOADER } from '../helpers/ts_loader.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const KILLED_RUN = path.join(here, 'fixtures', 'killed_run.ts');
const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gymnos-runs-'));
  dirs.push(dir);
  return dir;
}

type Kind = 'jsonl' | 'csv' | 'tensorboard';
const make: Record<Kind, () => Tracker> = {
  jsonl: () => new JsonlTracker({ flushIntervalMs: 0 }),
  csv: () => new CsvTracker({ flushIntervalMs: 0 }),
  tensorboard: () => new TensorboardTracker({ flushIntervalMs: 0 }),
};

// Names that stress each format: a comma and quotes (csv quoting), a newline, a backslash (JSON escape), UTF-8.
const NAMES = ['train/loss', 'val,"top-1"', 'multi\nline', 'back\\slash', 'größe'];

/** A deterministic series per name, with NaN and ±Infinity in it, and values of every printed length. */
function valueAt(name: number, step: number): number {
  if (name === 0 && step === 7) return Number.NaN;
  if (name === 1 && step === 3) return Number.POSITIVE_INFINITY;
  const base = Math.exp(-step / 40) * (name + 1) + Math.sin(step * 1.7 + name) / 10;
  return step % 5 === 0 ? Math.round(base * 1000) / 1000 : base; // short decimals and 17-digit ones
}

const STEPS = 120;

async function logRun(kind: Kind, logdir: string, runId: string, end: 'finished' | 'failed'): Promise<void> {
  const tracker = make[kind]();
  await tracker.start(runId, logdir);
  tracker.logParams({ lr: 0.001, optimizer: 'adam', layers: [64, 32], warm: true });
  tracker.logTag('team', 'vision');
  for (let step = 0; step < STEPS; step++) {
    NAMES.forEach((name, index) => tracker.logMetric(name, valueAt(index, step), step));
  }
  tracker.logFigure('curve', '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>');
  await tracker.end(end === 'failed' ? new Error('diverged') : undefined);
}

/** What the summary must say, computed from the logged values (float32 for tensorboard's simple_value). */
function expectedMetric(index: number, float32: boolean) {
  const values = Array.from({ length: STEPS }, (_, step) => {
    const value = valueAt(index, step);
    return float32 ? Math.fround(value) : value;
  });
  const finite = values.map((value, step) => ({ value, step })).filter(({ value }) => !Number.isNaN(value));
  const min = finite.reduce((a, b) => (b.value < a.value ? b : a));
  const max = finite.reduce((a, b) => (b.value > a.value ? b : a));
  return { points: STEPS, last: values.at(-1), min: min.value, minStep: min.step, max: max.value, maxStep: max.step };
}

function onlyRun(logdir: string): RunSummary {
  const runs = discoverRuns([logdir]);
  assert.equal(runs.length, 1, JSON.stringify(runs));
  return summarizeRun(runs[0]!);
}

let killedLogdir: string | undefined;
/** One child that logs a run with each file tracker, each under <logdir>/<tracker>, and SIGKILLs itself. */
function killedRuns(): string {
  if (killedLogdir) return killedLogdir;
  const logdir = tempDir();
  const killed = runChildSync(process.execPath, [...TS_LOADER, KILLED_RUN, 'jsonl,csv,tensorboard', logdir, 'crashed']);
  assert.equal(killed.signal, 'SIGKILL', killed.stderr);
  return (killedLogdir = logdir);
}

for (const kind of ['jsonl', 'csv', 'tensorboard'] as const) {
  describe(`reading ${kind} runs`, () => {
    it('gives every point, the exact last and best values, params and tags', async () => {
      const logdir = tempDir();
      await logRun(kind, logdir, 'sweep/seed-1', 'finished');
      const run = onlyRun(logdir);
      assert.equal(run.id, 'sweep/seed-1');
      assert.deepEqual(run.trackers, [kind]);
      assert.equal(run.points, STEPS * NAMES.length);
      assert.deepEqual(Object.keys(run.metrics).sort(), [...NAMES].sort());
      NAMES.forEach((name, index) => {
        const metric = run.metrics[name]!;
        const expected = expectedMetric(index, kind === 'tensorboard');
        assert.deepEqual(
          { points: metric.points, last: metric.last, min: metric.min, minStep: metric.minStep },
          { points: expected.points, last: expected.last, min: expected.min, minStep: expected.minStep },
          name,
        );
        assert.equal(metric.max, expected.max, name);
        assert.equal(metric.maxStep, expected.maxStep, name);
        assert.equal(metric.lastStep, STEPS - 1);
      });
      assert.equal(run.metrics['train/loss']!.nan, 1);
      assert.equal(run.params.lr, 0.001);
      assert.equal(run.params.optimizer, 'adam');
      assert.equal(run.params.warm, true);
      assert.deepEqual({ ...run.tags }, { team: 'vision' });
      assert.ok(run.start !== null && run.end !== null && run.end >= run.start);
      assert.ok(Math.abs(run.start - Date.now()) < 60_000, 'start is the wall time of the first event');
      assert.equal(run.truncatedTail, false);
      assert.equal(run.files.figure, kind === 'csv' ? 0 : 1); // csv keeps no figures
    });

    it('reports finished and failed runs as the files record them', async () => {
      const logdir = tempDir();
      await logRun(kind, logdir, 'ok', 'finished');
      await logRun(kind, logdir, 'bad', 'failed');
      const status = Object.fromEntries(discoverRuns([logdir]).map((run) => [run.id, summarizeRun(run).status]));
      // csv records no end at all
      assert.deepEqual(status, kind === 'csv' ? { ok: 'unknown', bad: 'unknown' } : { ok: 'finished', bad: 'failed' });
    });

    it('reads a run a crash cut short up to its last whole line or record', () => {
      const logdir = path.join(killedRuns(), kind);
      const dir = path.join(logdir, 'crashed');
      const file = path.join(
        dir,
        readdirSync(dir).find((name) => /^(events|metrics)\./.test(name))!,
      );
      const whole = onlyRun(logdir);
      assert.equal(whole.status, kind === 'csv' ? 'unknown' : 'running-or-crashed');
      assert.equal(whole.metrics.loss!.points, 100);
      // Half of one more line or record, as a crash in the middle of a write leaves it.
      if (kind === 'tensorboard') {
        const bytes = readFileSync(file);
        const last = readTfRecords(bytes).at(-1)!;
        appendFileSync(file, bytes.subarray(bytes.length - last.length - 16, bytes.length - 9));
      } else if (kind === 'jsonl') {
        appendFileSync(file, '{"time":1764000000123,"step":100,"kind":"metric","name":"lo');
      } else appendFileSync(file, '100,loss,0.12');
      const cut = onlyRun(logdir);
      assert.equal(cut.truncatedTail, true);
      assert.deepEqual(cut.metrics, whole.metrics);
      assert.equal(whole.truncatedTail, false);
    });
  });
}

describe('exact values from approximate parsing', () => {
  it('keeps last, min and max exact among neighbours one unit in the last place apart', async () => {
    // 16 and 17 significant digits are parsed approximately on the fly and read exactly when they matter
    const next = (x: number) => x + Math.abs(x) * Number.EPSILON;
    const values = [
      0.30000000000000004,
      0.3,
      next(0.3),
      -1.0000000000000002,
      -1,
      123456.78901234567,
      next(123456.78901234567),
      0.1 + 0.7,
      0.8,
      2.220446049250313e-16,
      0.12345678901234568,
    ];
    for (const order of [values, [...values].reverse()]) {
      const logdir = tempDir();
      const tracker = new JsonlTracker({ flushIntervalMs: 0 });
      await tracker.start('r', logdir);
      order.forEach((value, step) => tracker.logMetric('x', value, step));
      await tracker.end();
      const metric = onlyRun(logdir).metrics.x!;
      const min = Math.min(...order);
      const max = Math.max(...order);
      assert.deepEqual(
        [metric.last, metric.min, metric.minStep, metric.max, metric.maxStep],
        [order.at(-1), min, order.indexOf(min), max, order.indexOf(max)],
      );
    }
  });
});

describe('exact values of many metric names', () => {
  it('are read in one pass over the file, the same as one by one', async () => {
    const logdir = tempDir();
    const tracker = new JsonlTracker({ flushIntervalMs: 0 });
    tracker.start('r', logdir);
    // 17 significant digits: parsed approximately on the fly, read exactly at the end; 1.5 MB, over a chunk.
    for (let step = 0; step < 3; step++) {
      for (let i = 0; i < 6000; i++) tracker.logMetric(`m${i}`, (i + step * 7) / 3 + 1e-9 * step, step);
    }
    await tracker.end();
    const run = summarizeRun(discoverRuns([logdir])[0]!);
    for (let i = 0; i < 6000; i++) {
      const metric = run.metrics[`m${i}`]!;
      assert.equal(metric.last, (i + 14) / 3 + 2e-9);
      assert.equal(metric.min, i / 3);
      assert.equal(metric.max, (i + 14) / 3 + 2e-9);
    }
  });
});

describe('discovering runs', () => {
  it('lists one run per directory, whatever trackers of a TrackerList wrote it, read from jsonl first', async () => {
    const logdir = tempDir();
    for (const kind of ['csv', 'tensorboard', 'jsonl'] as const) await logRun(kind, logdir, 'shared', 'finished');
    await logRun('csv', logdir, 'nested/deeper/run', 'finished');
    writeFileSync(path.join(logdir, 'notes.txt'), 'not a run');
    const runs = discoverRuns([logdir]);
    assert.deepEqual(
      runs.map((run) => [run.id, run.trackers]),
      [
        ['nested/deeper/run', ['csv']],
        ['shared', ['jsonl', 'tensorboard', 'csv']],
      ],
    );
    const shared = summarizeRun(runs[1]!);
    assert.equal(shared.source, 'jsonl');
    assert.equal(shared.points, STEPS * NAMES.length, 'points are not counted once per tracker');
  });

  it('refuses a logdir that does not exist, as a usage error', () => {
    assert.throws(() => discoverRuns([path.join(tempDir(), 'nope')]), { code: 'LOGDIR_MISSING', kind: 'usage' });
  });

  it('skips a jsonl line that is not JSON, counting it and naming the first', async () => {
    const logdir = tempDir();
    await logRun('jsonl', logdir, 'r', 'finished');
    const whole = onlyRun(logdir);
    const file = path.join(logdir, 'r', 'events.jsonl');
    const line = readFileSync(file, 'utf8').split('\n').length; // the line after the last one
    appendFileSync(file, 'garbage\nnull\n');
    const read = onlyRun(logdir);
    assert.equal(read.points, whole.points);
    assert.deepEqual(read.warnings, [
      `events.jsonl: 2 lines skipped, not what gymnos reads (the first: line ${line}, not JSON (` +
        `Unexpected token 'g', "garbage" is not valid JSON))`,
    ]);
  });
});

describe('malformed rows are counted and named, never a silent loss', () => {
  it('a stray csv quote costs its row, not the rest of the file', () => {
    const logdir = tempDir();
    mkdirSync(path.join(logdir, 'r'));
    const rows = Array.from({ length: 10_000 }, (_, step) => `${step},loss,${step / 8},1700000000000\n`);
    rows.splice(1, 0, '1,"loss,0.5,1700000000000\n'); // an opening quote never closed
    writeFileSync(path.join(logdir, 'r', 'metrics.csv'), 'step,name,value,timestamp\n' + rows.join(''));
    const run = onlyRun(logdir);
    assert.equal(run.points, 10_000);
    assert.equal(run.truncatedTail, false);
    assert.equal(run.metrics.loss!.last, 9999 / 8);
    assert.deepEqual(run.warnings, [
      'metrics.csv: 1 lines skipped, not what gymnos reads (the first: line 3, a quoted name is not closed)',
    ]);
  });

  it('a line too long to hold (a 40 MB param) is skipped unread, and the lines after it are read', async () => {
    const logdir = tempDir();
    await logRun('jsonl', logdir, 'r', 'finished');
    const whole = onlyRun(logdir);
    const file = path.join(logdir, 'r', 'events.jsonl');
    const text = readFileSync(file, 'utf8');
    const huge = JSON.stringify({ time: 1, step: null, kind: 'param', name: 'huge', value: 'x'.repeat(40 << 20) });
    const middle = text.indexOf('\n', text.length / 2) + 1;
    writeFileSync(file, text.slice(0, middle) + huge + '\n' + text.slice(middle));
    rmSync(path.join(logdir, 'r', 'summary.json'));
    const run = onlyRun(logdir);
    assert.equal(run.points, whole.points);
    assert.equal(run.status, 'finished');
    assert.equal(run.params.huge, undefined);
    assert.match(run.warnings.join(''), /1 lines skipped, .*the first: line \d+, longer than 32 MiB/);
  });

  it('csv rows whose step, value or time is not a number are skipped and counted', () => {
    const logdir = tempDir();
    mkdirSync(path.join(logdir, 'r'));
    const body = ['0,loss,1,1', 'x,loss,2,1', '2,loss,,1', '3,loss,abc,1', '4,loss,4,', '5,loss,NaN,1', '6,loss,6,1'];
    writeFileSync(path.join(logdir, 'r', 'metrics.csv'), `step,name,value,timestamp\n${body.join('\n')}\n`);
    const run = onlyRun(logdir);
    assert.equal(run.points, 3);
    assert.equal(run.metrics.loss!.nan, 1);
    assert.deepEqual(run.warnings, [
      'metrics.csv: 4 lines skipped, not what gymnos reads (the first: line 3, the step is not a number)',
    ]);
  });
});

describe('the tensorboard decoder', () => {
  it('agrees with protobufjs on every scalar of a file our tracker wrote', async () => {
    const logdir = tempDir();
    await logRun('tensorboard', logdir, 'r', 'finished');
    const dir = path.join(logdir, 'r');
    const file = path.join(dir, readdirSync(dir)[0]!);
    const schemaText = readFileSync(path.join(here, '..', 'trackers', 'fixtures', 'tensorboard_event.proto'), 'utf8');
    const Event = protobuf.parse(schemaText, { keepCase: true }).root.lookupType('tensorflow.Event');
    const expected: [string, number, number][] = [];
    for (const record of readTfRecords(readFileSync(file))) {
      const event = Event.toObject(Event.decode(record), { longs: Number }) as {
        step?: number;
        summary?: { value?: { tag: string; simple_value?: number }[] };
      };
      for (const value of event.summary?.value ?? []) {
        if (value.simple_value !== undefined) expected.push([value.tag, event.step ?? 0, value.simple_value]);
      }
    }
    const seen: [string, number, number][] = [];
    readTensorboardRun(dir, { metric: (n, s, v) => seen.push([n, s, v]) });
    assert.equal(seen.length, STEPS * NAMES.length);
    assert.deepEqual(seen, expected);
  });

  it("reads tensorboardX's scalars (simple values and scalars-plugin tensors) and text", (t) => {
    if (missingPythonModule('tensorboardX')) {
      return missingPrerequisite(t, `tensorboardX is not installed for ${PYTHON}; ${PYTHON_HINT}`);
    }
    const logdir = tempDir();
    const script = `
import sys
from tensorboardX import SummaryWriter
from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata
from tensorboardX.proto.tensor_pb2 import TensorProto
from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto
w = SummaryWriter(sys.argv[1] + '/tbx-run')
for step in range(50):
    w.add_scalar('loss', 1.0 / (step + 1), step)
    # a scalars-plugin tensor, as TensorFlow 2's tf.summary.scalar writes it
    tensor = TensorProto(dtype='DT_FLOAT', float_val=[step / 50.0], tensor_shape=TensorShapeProto())
    meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name='scalars'))
    value = Summary.Value(tag='acc', tensor=tensor, metadata=meta)
    w._get_file_writer().add_summary(Summary(value=[value]), step)
w.add_text('tags/team', 'vision', 0)
w.close()
`;
    const result = runChildSync(PYTHON, ['-c', script, logdir]);
    assert.equal(result.status, 0, result.stderr);
    const run = onlyRun(logdir);
    assert.equal(run.id, 'tbx-run');
    assert.deepEqual(
      { points: run.metrics.loss!.points, last: run.metrics.loss!.last, min: run.metrics.loss!.min },
      { points: 50, last: Math.fround(1 / 50), min: Math.fround(1 / 50) },
    );
    assert.equal(run.metrics.acc!.points, 50, 'new_style scalars (a scalars-plugin tensor) are read too');
    assert.equal(run.metrics.acc!.max, Math.fround(49 / 50));
    assert.deepEqual({ ...run.tags }, { team: 'vision' });
    assert.equal(run.status, 'unknown');
  });
});

describe('reading runs on worker threads', () => {
  it('gives the same runs, summaries, samples and media as one thread, and skips the same bad runs', async () => {
    const { listRuns } = await import('../../src/runs/parallel.js');
    const logdir = tempDir();
    for (const [index, kind] of (['jsonl', 'csv', 'tensorboard', 'jsonl'] as const).entries()) {
      await logRun(kind, logdir, `run-${index}`, 'finished');
    }
    const options = { logdirs: [logdir], sample: { metrics: 'all' as const, points: 50 }, media: true };
    const parallel = await listRuns({ ...options, threads: 2, parallelMinBytes: 0 });
    const serial = await listRuns({ ...options, threads: 1 });
    assert.equal(parallel.length, 4);
    assert.deepEqual(parallel, serial);
    const filtered = await listRuns({ logdirs: [logdir], where: ['optimizer=adam'], threads: 2, parallelMinBytes: 0 });
    assert.equal(filtered.length, 4);
    writeFileSync(path.join(logdir, 'run-3', 'params.json'), '{"lr": 0.1');
    await assert.rejects(listRuns({ logdirs: [logdir], threads: 2, parallelMinBytes: 0 }), {
      code: 'RUN_FILE_INVALID',
      kind: 'failure',
    });
    // Told to the caller, the bad run is left out and the others listed, on worker threads and on one.
    for (const threads of [2, 1]) {
      const skipped: SkippedRun[] = [];
      const listed = await listRuns({
        logdirs: [logdir],
        threads,
        parallelMinBytes: 0,
        onSkip: (run) => skipped.push(run),
      });
      assert.deepEqual(
        listed.map((run) => run.summary.id),
        ['run-0', 'run-1', 'run-2'],
      );
      assert.deepEqual(
        skipped.map(({ id, code }) => [id, code]),
        [['run-3', 'RUN_FILE_INVALID']],
      );
      assert.match(skipped[0]!.message, /run-3\/params\.json: is not valid JSON/);
    }
  });
});
