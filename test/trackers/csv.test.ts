import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { load } from '../../src/index.js';
import { describeTrackerConformance } from '../../src/testing/index.js';
import { CSV_HEADER, CsvTracker, csvField } from '../../src/trackers/csv.js';
import { runChildSync } from '../helpers/children.js';
import { PYTHON, PYTHON_HINT } from '../helpers/python.js';
import { missingPrerequisite } from '../helpers/prerequisite.js';

/** Runs a python program on `file`; undefined when python (or the module the program imports) is missing. */
function python(program: string, file: string): string | undefined {
  const result = runChildSync(PYTHON, ['-c', program, file]);
  if (result.error || (result.status !== 0 && /ModuleNotFoundError|ImportError/.test(result.stderr))) return undefined;
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

/** Rows of a CSV file whose fields hold no quotes, commas or newlines, by splitting: the naive reader. */
function splitRows(file: string): string[][] {
  return readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => line.split(','));
}

describeTrackerConformance('csv', () => new CsvTracker(), {
  // csv records metrics, params and tags; assets, images and figures are not its business.
  readBack: ({ logdir, runId }) => {
    const runDir = path.join(logdir, runId);
    const json = (name: string): Record<string, never> =>
      existsSync(path.join(runDir, name)) ? JSON.parse(readFileSync(path.join(runDir, name), 'utf8')) : {};
    return {
      metrics: splitRows(path.join(runDir, 'metrics.csv'))
        .slice(1)
        .map(([step, name, value]) => ({ name: name!, step: Number(step), value: Number(value) })),
      params: json('params.json'),
      tags: json('tags.json'),
    };
  },
  afterLifecycle: ({ logdir, runId }) => {
    const runDir = path.join(logdir, runId);
    assert.deepEqual(readdirSync(runDir).sort(), ['metrics.csv', 'params.json', 'tags.json']);
    const rows = splitRows(path.join(runDir, 'metrics.csv'));
    assert.deepEqual(rows[0], ['step', 'name', 'value', 'timestamp']);
    assert.deepEqual(
      // The kit's precise values (read back exactly by the kit's check) are left out: these are the plain ones.
      rows
        .slice(1)
        .filter(([, name]) => name !== 'precise')
        .map(([step, name, value]) => [step, name, value]),
      [
        ['0', 'loss', '0.5'],
        ['10', 'loss', '0.25'],
        ['11', 'loss', '0.125'],
        ['0', 'nan', 'NaN'],
        ['0', 'inf', 'Infinity'],
        ['0', 'ninf', '-Infinity'],
        ['3', 'val/accuracy', '0.9'],
        ['0', 'val/curve', '1'],
        ['1', 'val/curve', '2'],
        ['2', 'val/curve', '3'],
      ],
    );
  },
});

describe('csv', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-csv-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("load('csv') returns a CsvTracker built with the params", async () => {
    const tracker = await load('csv', { flushIntervalMs: 0, maxBufferBytes: 100 });
    assert.ok(tracker instanceof CsvTracker);
    assert.equal(tracker.flushIntervalMs, 0);
    assert.equal(tracker.maxBufferBytes, 100);
  });

  test('csvField quotes per RFC 4180 only when needed', () => {
    assert.equal(csvField('train/loss'), 'train/loss');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField('cr\rhere'), '"cr\rhere"');
  });

  test('writes metrics.csv, params.json and tags.json with the documented content', async () => {
    const tracker = new CsvTracker({ flushIntervalMs: 0 });
    const before = Date.now();
    tracker.start('run-1', dir);
    tracker.logMetric('train/loss', 0.5);
    tracker.logMetric('train/loss', 0.25);
    tracker.logMetric('acc', 0.75, 10);
    tracker.logParam('lr', 0.001);
    tracker.logParam('layers', [64, 32]);
    tracker.logTag('team', 'vision');
    await tracker.end();
    const after = Date.now();
    const runDir = path.join(dir, 'run-1');
    assert.equal(tracker.runDir, runDir);
    assert.deepEqual(readdirSync(runDir).sort(), ['metrics.csv', 'params.json', 'tags.json']);
    const rows = splitRows(path.join(runDir, 'metrics.csv'));
    assert.equal(rows[0]!.join(','), CSV_HEADER);
    assert.deepEqual(
      // The kit's precise values (read back exactly by the kit's check) are left out: these are the plain ones.
      rows
        .slice(1)
        .filter(([, name]) => name !== 'precise')
        .map(([step, name, value]) => [step, name, value]),
      [
        ['0', 'train/loss', '0.5'],
        ['1', 'train/loss', '0.25'],
        ['10', 'acc', '0.75'],
      ],
    );
    for (const row of rows.slice(1)) {
      assert.match(row[3]!, /^\d{13}$/);
      assert.ok(Number(row[3]) >= before && Number(row[3]) <= after, 'timestamp is epoch milliseconds');
    }
    assert.deepEqual(JSON.parse(readFileSync(path.join(runDir, 'params.json'), 'utf8')), {
      lr: 0.001,
      layers: [64, 32],
    });
    assert.deepEqual(JSON.parse(readFileSync(path.join(runDir, 'tags.json'), 'utf8')), { team: 'vision' });
  });

  test('the file is only appended to: a new metric name never rewrites what is written', async () => {
    const tracker = new CsvTracker({ flushIntervalMs: 0 });
    tracker.start('run', dir);
    const file = path.join(dir, 'run', 'metrics.csv');
    tracker.logMetric('loss', 1);
    await tracker.flush();
    const first = readFileSync(file);
    const inode = statSync(file).ino;
    tracker.logMetric('accuracy', 0.5);
    tracker.logMetric('loss', 0.9);
    await tracker.flush();
    tracker.logMetric('lr', 0.01);
    await tracker.end();
    const last = readFileSync(file);
    assert.equal(statSync(file).ino, inode, 'the same file, not a replacement');
    assert.deepEqual(last.subarray(0, first.length), first, 'earlier bytes are a prefix of the later file');
    const rows = splitRows(file);
    assert.equal(rows.filter((row) => row.join(',') === CSV_HEADER).length, 1, 'one header');
    assert.deepEqual(
      rows.slice(1).map((row) => row[1]),
      ['loss', 'accuracy', 'loss', 'lr'],
    );
  });

  test('a resumed run appends rows under the one header, after cutting a half-written row', async () => {
    const first = new CsvTracker();
    first.start('run', dir);
    first.logMetric('loss', 1);
    await first.end();
    const file = path.join(dir, 'run', 'metrics.csv');
    appendFileSync(file, '1,loss,0.');
    assert.throws(() => new CsvTracker().start('run', dir), { code: 'RUN_EXISTS', message: /pass resume: true/ });
    const second = new CsvTracker({ resume: true });
    second.start('run', dir);
    second.logMetric('loss', 0.5, 1);
    await second.end();
    assert.deepEqual(
      splitRows(file).map((row) => row.slice(0, 3).join(',')),
      ['step,name,value', '0,loss,1', '1,loss,0.5'],
    );
  });

  test('NaN and ±Infinity round-trip through Number() and python float()', async (t) => {
    const tracker = new CsvTracker();
    tracker.start('run', dir);
    const values = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-7, -0.1, 1e21];
    for (const value of values) tracker.logMetric('x', value);
    tracker.logParam('bad', Number.POSITIVE_INFINITY);
    await tracker.end();
    const file = path.join(dir, 'run', 'metrics.csv');
    const column = splitRows(file)
      .slice(1)
      .map((row) => row[2]!);
    assert.deepEqual(column, ['NaN', 'Infinity', '-Infinity', '1e-7', '-0.1', '1e+21']);
    assert.deepEqual(
      column.map((text) => Number(text)),
      values,
    );
    assert.deepEqual(JSON.parse(readFileSync(path.join(dir, 'run', 'params.json'), 'utf8')), { bad: 'Infinity' });
    const fromPython = python(
      'import csv, json, sys\nprint(json.dumps([repr(float(r["value"])) for r in csv.DictReader(open(sys.argv[1]))]))',
      file,
    );
    if (fromPython === undefined)
      return missingPrerequisite(t, `${PYTHON} is not available: the python float() check was skipped`);
    assert.deepEqual(JSON.parse(fromPython), ['nan', 'inf', '-inf', '1e-07', '-0.1', '1e+21']);
  });

  test("names with commas, quotes and newlines are quoted: python's csv module reads them back", async (t) => {
    const names = ['plain', 'a,b', 'say "hi"', 'two\nlines', 'cr\r\nlf', ' spaced '];
    const tracker = new CsvTracker();
    tracker.start('run', dir);
    names.forEach((name, i) => tracker.logMetric(name, i + 0.5, i));
    await tracker.end();
    const file = path.join(dir, 'run', 'metrics.csv');
    const text = readFileSync(file, 'utf8');
    assert.ok(text.includes('\n1,"a,b",1.5,'));
    assert.ok(text.includes('\n2,"say ""hi""",2.5,'));
    assert.ok(text.includes('\n3,"two\nlines",3.5,'));
    const rows = python(
      'import csv, json, sys\nprint(json.dumps(list(csv.reader(open(sys.argv[1], newline=""), strict=True))))',
      file,
    );
    if (rows === undefined)
      return missingPrerequisite(t, `${PYTHON} is not available: the python csv check was skipped`);
    const parsed = JSON.parse(rows) as string[][];
    assert.deepEqual(parsed[0], ['step', 'name', 'value', 'timestamp']);
    assert.deepEqual(
      parsed.slice(1).map(([step, name, value]) => [step, name, value]),
      names.map((name, i) => [String(i), name, String(i + 0.5)]),
    );
  });

  test('pandas.read_csv reads metrics.csv as is', async (t) => {
    const tracker = new CsvTracker();
    tracker.start('run', dir);
    tracker.logMetric('loss', 0.5);
    tracker.logMetric('loss', Number.NaN);
    tracker.logMetric('a,b', Number.POSITIVE_INFINITY, 7);
    tracker.logMetric('acc', Number.NEGATIVE_INFINITY, 3);
    await tracker.end();
    const output = python(
      [
        'import json, math, sys',
        'import pandas',
        'frame = pandas.read_csv(sys.argv[1])',
        'print(json.dumps({"columns": list(frame.columns), "dtypes": [str(t) for t in frame.dtypes],',
        '  "steps": frame["step"].tolist(), "names": frame["name"].tolist(),',
        '  "values": [repr(v) for v in frame["value"].tolist()]}))',
      ].join('\n'),
      path.join(dir, 'run', 'metrics.csv'),
    );
    if (output === undefined) {
      return missingPrerequisite(t, `pandas is not installed for ${PYTHON}; ${PYTHON_HINT}`);
    }
    const frame = JSON.parse(output) as { dtypes: string[] };
    // pandas 3 reads text as its `str` dtype, pandas 2 as `object`.
    assert.match(frame.dtypes[1]!, /^(str|string|object)$/);
    assert.deepEqual(frame, {
      columns: ['step', 'name', 'value', 'timestamp'],
      dtypes: ['int64', frame.dtypes[1], 'float64', 'int64'],
      steps: [0, 1, 7, 3],
      names: ['loss', 'loss', 'a,b', 'acc'],
      values: ['0.5', 'nan', 'inf', '-inf'],
    });
  });

  test('flushes on the timer without any flush() call', async () => {
    const tracker = new CsvTracker({ flushIntervalMs: 20 });
    tracker.start('run', dir);
    tracker.logMetric('loss', 0.5);
    const file = path.join(dir, 'run', 'metrics.csv');
    const deadline = Date.now() + 5000;
    const header = statSync(file).size; // written when the file was created
    assert.equal(header, CSV_HEADER.length + 1);
    while (statSync(file).size === header && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(splitRows(file).length, 2);
    await tracker.end();
  });

  test('log calls only buffer until maxBufferBytes is reached', async () => {
    const tracker = new CsvTracker({ flushIntervalMs: 0, maxBufferBytes: 500 });
    tracker.start('run', dir);
    const file = path.join(dir, 'run', 'metrics.csv');
    tracker.logMetric('loss', 1);
    assert.equal(statSync(file).size, CSV_HEADER.length + 1, 'the header only');
    for (let i = 0; i < 100; i++) tracker.logMetric('loss', i);
    assert.ok(statSync(file).size > 2000, 'full buffers were written without a flush');
    assert.ok(readFileSync(file, 'utf8').endsWith('\n'), 'in whole rows');
    await tracker.end();
    assert.equal(splitRows(file).length, 102);
  });

  test('end is idempotent and later calls are ignored', async () => {
    const tracker = new CsvTracker();
    tracker.start('run', dir);
    tracker.logMetric('loss', 1);
    await Promise.all([tracker.end(), tracker.end()]);
    await tracker.end();
    tracker.logMetric('loss', 2);
    await tracker.flush();
    assert.equal(splitRows(path.join(dir, 'run', 'metrics.csv')).length, 2);
  });
});
