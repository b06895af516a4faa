/**
 * Every float64 a tracker writes reads back as the same value in every reader: JSON.parse, Python's json and
 * float(), and pandas. Bit-exact with the reader options docs/trackers/jsonl.md and csv.md give
 * (`precise_float=True`, `float_precision="round_trip"`); within a few units in the last place with pandas'
 * defaults (its fast parsers), never an error or another magnitude (a plain `100000000000000000000` made pandas
 * reject the file; `0.0006551540484651924` came back from read_csv 852 units off).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CsvTracker } from '../../src/trackers/csv.js';
import { JsonlTracker } from '../../src/trackers/jsonl.js';
import { runChildSync } from '../helpers/children.js';
import { PYTHON, PYTHON_HINT } from '../helpers/python.js';
import { missingPrerequisite } from '../helpers/prerequisite.js';

/** Values at the edges (integers past 2^53, past int64, -0, subnormals) and realistic training values. */
function values(): number[] {
  const edges = [1e20, 7.19e20, -7.19e20, 1e21, 2 ** 53, 2 ** 63, 2 ** 64, -(2 ** 70), 1.8e19, 9.9e20, -0, 0];
  const extremes = [Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 2.2250738585072014e-308, 0.1, 1 / 3];
  let state = 12345;
  const realistic = Array.from({ length: 400 }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return (state / 2 ** 31) * [1, 10, 1e-3, 1e3][state % 4]!;
  });
  return [...edges, ...extremes, ...realistic];
}

/** The bits of a double as hex: -0 and 0 differ, as they must. */
function bits(value: number): string {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  return view.getBigUint64(0).toString(16);
}

/** What python read, by program: one hex bit pattern per value, or null where the program's module is missing. */
type PythonReadings = Record<string, string[] | null>;

/**
 * Runs python programs, each on its file and printing one hex bit pattern per value, in one python process (pandas
 * imports once, not once per program): each program's lines, or null (JSON's null) for a program whose module is
 * missing; or, when python itself cannot run, a line saying why.
 */
function pythonBits(jobs: Record<string, [program: string, file: string]>): PythonReadings | string {
  const driver = [
    'import contextlib, io, json, struct, sys, types',
    'hexbits = lambda v: struct.pack(">d", float(v)).hex().lstrip("0") or "0"',
    'results = {}',
    'for name, (program, file) in json.loads(sys.stdin.read()).items():',
    '  printed = io.StringIO()',
    '  try:',
    '    with contextlib.redirect_stdout(printed):',
    '      exec(program, {"hexbits": hexbits, "json": json, "sys": types.SimpleNamespace(argv=["-", file])})',
    '    results[name] = printed.getvalue().strip().split("\\n")',
    '  except ImportError:',
    '    results[name] = None',
    'print(json.dumps(results))',
  ].join('\n');
  const result = runChildSync(PYTHON, ['-c', driver], { input: JSON.stringify(jobs) });
  if (result.error) return `${PYTHON} cannot run (${result.error.message}): the python checks were skipped`;
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as PythonReadings;
}

/** How many units in the last place `a` and `b` (as bit strings of doubles of one sign) are apart. */
function ulps(a: string, b: string): bigint {
  const difference = BigInt(`0x${a}`) - BigInt(`0x${b}`);
  return difference < 0n ? -difference : difference;
}

describe('numbers read back the same in every reader', () => {
  const expected = values();
  const want = expected.map(bits);
  let dir: string;
  let jsonl: string;
  let csv: string;
  /** What python read, by program (see before()), or why it could not run. */
  let python: PythonReadings | string;
  // pandas' precise JSON parser refuses subnormals (strtod's ERANGE), however they are spelled: left out there.
  const normal = (value: number) => value === 0 || Math.abs(value) >= 2.2250738585072014e-308;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-numbers-'));
    const jsonlTracker = new JsonlTracker();
    const csvTracker = new CsvTracker();
    jsonlTracker.start('run', dir);
    csvTracker.start('run', path.join(dir, 'csv'));
    for (const [step, value] of expected.entries()) {
      jsonlTracker.logMetric('v', value, step);
      csvTracker.logMetric('v', value, step);
    }
    jsonlTracker.logParam('edges', expected.slice(0, 12));
    await jsonlTracker.end();
    await csvTracker.end();
    jsonl = path.join(dir, 'run', 'events.jsonl');
    csv = path.join(dir, 'csv', 'run', 'metrics.csv');
    // The events without the subnormal metrics, for pandas' precise parser (see `normal`).
    const kept = readFileSync(jsonl, 'utf8')
      .trim()
      .split('\n')
      .filter((line) => {
        const event = JSON.parse(line) as { kind: string; value: unknown };
        return event.kind !== 'metric' || normal(event.value as number);
      });
    const normalOnly = path.join(dir, 'normal.jsonl');
    writeFileSync(normalOnly, kept.join('\n') + '\n');
    const readJson = (options: string) =>
      `import pandas\nframe = pandas.read_json(sys.argv[1], lines=True${options})\n` +
      'frame = frame[frame["kind"] == "metric"]\nprint("\\n".join(hexbits(v) for v in frame["value"]))';
    const readCsv = (options: string) =>
      `import pandas\nframe = pandas.read_csv(sys.argv[1]${options})\n` +
      'print("\\n".join(hexbits(v) for v in frame["value"]))';
    python = pythonBits({
      json: [
        'for line in open(sys.argv[1]):\n' +
          '  e = json.loads(line)\n' +
          '  print(hexbits(e["value"])) if e["kind"] == "metric" else None',
        jsonl,
      ],
      pandasJsonExact: [readJson(', precise_float=True'), normalOnly],
      pandasJson: [readJson(''), jsonl],
      float: ['import csv\nfor row in list(csv.reader(open(sys.argv[1])))[1:]:\n  print(hexbits(float(row[2])))', csv],
      pandasCsvExact: [readCsv(', float_precision="round_trip"'), csv],
      pandasCsv: [readCsv(''), csv],
    });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('JSON.parse reads every jsonl value and param bit for bit', () => {
    const lines = readFileSync(jsonl, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const metrics = lines.filter((line) => line.kind === 'metric').map((line) => bits(line.value as number));
    assert.deepEqual(metrics, want);
    const param = lines.find((line) => line.kind === 'param')!.value as number[];
    assert.deepEqual(param.map(bits), want.slice(0, 12));
    const params = JSON.parse(readFileSync(path.join(dir, 'run', 'params.json'), 'utf8')) as { edges: number[] };
    assert.deepEqual(params.edges.map(bits), want.slice(0, 12));
  });

  test('no integer past 2^53 is written as a plain integer, and -0 is -0.0', () => {
    for (const file of [jsonl, csv]) {
      const text = readFileSync(file, 'utf8');
      assert.doesNotMatch(text, /[,:]-?\d{17,}[,}\n]/, file);
      assert.match(text, /[,:]-0\.0[,}]/, file);
    }
  });

  test("Python's json, and pandas.read_json(lines=True, precise_float=True), read jsonl bit for bit", (t) => {
    if (typeof python === 'string') return missingPrerequisite(t, python);
    assert.deepEqual(python.json, want);
    const exact = python.pandasJsonExact;
    if (exact === null) return missingPrerequisite(t, `pandas is not installed for ${PYTHON}; ${PYTHON_HINT}`);
    assert.deepEqual(exact, expected.filter(normal).map(bits));
    // Default options: the same values to within a few units in the last place (pandas' fast parser).
    for (const [index, got] of python.pandasJson!.entries()) {
      assert.ok(ulps(got, want[index]!) <= 8n, `value ${expected[index]}`);
    }
  });

  test('python float() and pandas.read_csv(float_precision="round_trip") read csv bit for bit', (t) => {
    if (typeof python === 'string') return missingPrerequisite(t, python);
    assert.deepEqual(python.float, want);
    const exact = python.pandasCsvExact;
    if (exact === null) return missingPrerequisite(t, `pandas is not installed for ${PYTHON}; ${PYTHON_HINT}`);
    assert.deepEqual(exact, want);
    for (const [index, got] of python.pandasCsv!.entries()) {
      assert.ok(ulps(got, want[index]!) <= 1n, `value ${expected[index]}`);
    }
  });
});
