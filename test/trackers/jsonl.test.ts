import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { load } from '../../src/index.js';
import {
  describeTrackerConformance,
  PLOTLY_FIGURE,
  TINY_PNG,
  TINY_SVG,
  VEGA_LITE_SPEC,
} from '../../src/testing/index.js';
import { JsonlTracker, readJsonlEvents } from '../../src/trackers/jsonl.js';
import { runChildSync } from '../helpers/children.js';
import { TS_LOADER } from '../helpers/ts_loader.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const JSONL_MODULE = pathToFileURL(path.join(ROOT, 'src/trackers/jsonl.ts')).href;

/** The raw lines of a file, parsed by plain JSON.parse: the independent reader. */
function parseLines(file: string): Record<string, unknown>[] {
  const text = readFileSync(file, 'utf8');
  assert.ok(text.endsWith('\n'), `${file} must end with a newline`);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Every file under `dir`, relative, with `/` separators, sorted. */
function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort();
}

/** Runs a TypeScript ESM script in a child process (so it can crash or exit without ending the run). */
function runChild(dir: string, body: string) {
  const script = path.join(dir, 'child.mts');
  writeFileSync(script, `import { JsonlTracker } from ${JSON.stringify(JSONL_MODULE)};\n${body}\n`);
  return runChildSync(process.execPath, [...TS_LOADER, script], { cwd: ROOT });
}

describeTrackerConformance('jsonl', () => new JsonlTracker(), {
  readBack: async ({ logdir, runId }) => {
    const runDir = path.join(logdir, runId);
    const events = await readJsonlEvents(path.join(runDir, 'events.jsonl'));
    const json = (name: string) => JSON.parse(readFileSync(path.join(runDir, name), 'utf8')) as Record<string, never>;
    return {
      metrics: events
        .filter((event) => event.kind === 'metric')
        .map((event) => ({ name: event.name, step: event.step as number, value: event.value as number })),
      params: existsSync(path.join(runDir, 'params.json')) ? json('params.json') : {},
      tags: existsSync(path.join(runDir, 'tags.json')) ? json('tags.json') : {},
      // The stored copies, by their paths in the run directory: the kit reads their content.
      files: events
        .filter((event) => ['asset', 'image', 'figure'].includes(event.kind))
        .map((event) => path.join(runDir, event.value as string)),
    };
  },
  afterLifecycle: async ({ logdir, runId }) => {
    const runDir = path.join(logdir, runId);
    const events = await readJsonlEvents(path.join(runDir, 'events.jsonl'));
    const kinds = new Set(events.map((event) => event.kind));
    assert.deepEqual([...kinds].sort(), ['asset', 'figure', 'image', 'metric', 'param', 'status', 'tag']);
    for (const event of events.filter((e) => ['asset', 'image', 'figure'].includes(e.kind))) {
      assert.ok(existsSync(path.join(runDir, event.value as string)), `${event.value as string} exists`);
    }
  },
});

describe('jsonl', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-jsonl-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("load('jsonl') returns a JsonlTracker built with the params", async () => {
    const tracker = await load('jsonl', { flushIntervalMs: 250, maxBufferBytes: 4096 });
    assert.ok(tracker instanceof JsonlTracker);
    assert.equal(tracker.flushIntervalMs, 250);
    assert.equal(tracker.maxBufferBytes, 4096);
  });

  test('invalid parameters and run ids are TypeErrors naming them', async () => {
    assert.throws(() => new JsonlTracker({ flushIntervalMs: -1 }), { name: 'TypeError', message: /flushIntervalMs/ });
    assert.throws(() => new JsonlTracker({ maxBufferBytes: Number.NaN }), { name: 'TypeError', message: /maxBuffer/ });
    const tracker = new JsonlTracker();
    assert.throws(() => tracker.start('../escape', dir), { name: 'TypeError', message: /runId/ });
  });

  test('a start that fails throws, and later log calls neither throw nor write', async () => {
    const notADirectory = path.join(dir, 'file');
    await writeFile(notADirectory, '');
    const tracker = new JsonlTracker();
    assert.throws(() => tracker.start('run', notADirectory), { code: 'LOGDIR_UNUSABLE', message: /ENOTDIR/ });
    assert.doesNotThrow(() => tracker.logMetric('loss', 1));
    assert.doesNotThrow(() => tracker.logParam('lr', 1));
    assert.doesNotThrow(() => tracker.logFigure('fig', TINY_PNG));
    await tracker.end();
    assert.deepEqual(readdirSync(dir), ['file']);
  });

  test('file names keep letters of any script; a long name is cut to 100 bytes, between characters', async () => {
    const logdir = path.join(dir, 'letters');
    const tracker = new JsonlTracker({ flushIntervalMs: 0 });
    tracker.start('run-1', logdir);
    tracker.logFigure('ünï/img 2', TINY_PNG);
    tracker.logFigure('日本語の図', TINY_PNG);
    tracker.logFigure('é'.repeat(80), TINY_PNG);
    await tracker.end();
    const figures = readdirSync(path.join(logdir, 'run-1', 'figures')).sort();
    assert.deepEqual(figures, [`${'é'.repeat(50)}.png`, 'ünï_img_2.png', '日本語の図.png'].sort());
  });

  test('writes the documented layout and content', async () => {
    const asset = path.join(dir, 'config.yaml');
    const image = path.join(dir, 'sample.png');
    await writeFile(asset, 'lr: 0.1\n');
    await writeFile(image, TINY_PNG);
    const logdir = path.join(dir, 'logs');
    const tracker = new JsonlTracker({ flushIntervalMs: 0 });
    const before = Date.now();
    tracker.start('run-1', logdir);
    tracker.logParam('lr', 0.1);
    tracker.logTag('team', 'vision');
    tracker.logMetric('train/loss', 0.5);
    tracker.logMetric('train/loss', 0.25);
    tracker.logMetric('acc', 0.75, 10);
    tracker.logAsset('config', asset);
    tracker.logImage('sample', image);
    tracker.logFigure('curve', TINY_PNG);
    tracker.logFigure('curve', TINY_PNG);
    tracker.logFigure('val/svg', TINY_SVG);
    tracker.logFigure('vega', VEGA_LITE_SPEC);
    tracker.logFigure('plotly', PLOTLY_FIGURE);
    await tracker.end();
    const after = Date.now();

    const runDir = path.join(logdir, 'run-1');
    assert.equal(tracker.runDir, runDir);
    assert.deepEqual(listFiles(runDir), [
      'assets/config.yaml',
      'events.jsonl',
      'figures/curve.png',
      'figures/curve_1.png',
      'figures/plotly.plotly.json',
      'figures/val_svg.svg',
      'figures/vega.vl.json',
      'images/sample.png',
      'params.json',
      'summary.json',
      'summary.samples.json',
      'tags.json',
    ]);
    assert.equal(readFileSync(path.join(runDir, 'assets/config.yaml'), 'utf8'), 'lr: 0.1\n');
    assert.deepEqual(readFileSync(path.join(runDir, 'images/sample.png')), TINY_PNG);
    assert.deepEqual(readFileSync(path.join(runDir, 'figures/curve_1.png')), TINY_PNG);
    assert.equal(readFileSync(path.join(runDir, 'figures/val_svg.svg'), 'utf8'), TINY_SVG);
    assert.deepEqual(JSON.parse(readFileSync(path.join(runDir, 'figures/vega.vl.json'), 'utf8')), VEGA_LITE_SPEC);
    assert.deepEqual(JSON.parse(readFileSync(path.join(runDir, 'figures/plotly.plotly.json'), 'utf8')), PLOTLY_FIGURE);
    assert.deepEqual(JSON.parse(readFileSync(path.join(runDir, 'params.json'), 'utf8')), { lr: 0.1 });
    assert.deepEqual(JSON.parse(readFileSync(path.join(runDir, 'tags.json'), 'utf8')), { team: 'vision' });

    const lines = parseLines(path.join(runDir, 'events.jsonl'));
    for (const line of lines) {
      assert.deepEqual(Object.keys(line), ['time', 'step', 'kind', 'name', 'value']);
      assert.ok((line.time as number) >= before && (line.time as number) <= after, 'time is epoch milliseconds');
    }
    const withoutTime = lines.map(({ time: _time, ...rest }) => rest);
    // Scalars, params and tags are written in call order; files once their copy is complete, then the status.
    assert.deepEqual(withoutTime.slice(0, 5), [
      { step: null, kind: 'param', name: 'lr', value: 0.1 },
      { step: null, kind: 'tag', name: 'team', value: 'vision' },
      { step: 0, kind: 'metric', name: 'train/loss', value: 0.5 },
      { step: 1, kind: 'metric', name: 'train/loss', value: 0.25 },
      { step: 10, kind: 'metric', name: 'acc', value: 0.75 },
    ]);
    const files = withoutTime.slice(5, -1).sort((a, b) => (String(a.value) < String(b.value) ? -1 : 1));
    assert.deepEqual(files, [
      { step: null, kind: 'asset', name: 'config', value: 'assets/config.yaml' },
      { step: null, kind: 'figure', name: 'curve', value: 'figures/curve.png' },
      { step: null, kind: 'figure', name: 'curve', value: 'figures/curve_1.png' },
      { step: null, kind: 'figure', name: 'plotly', value: 'figures/plotly.plotly.json' },
      { step: null, kind: 'figure', name: 'val/svg', value: 'figures/val_svg.svg' },
      { step: null, kind: 'figure', name: 'vega', value: 'figures/vega.vl.json' },
      { step: null, kind: 'image', name: 'sample', value: 'images/sample.png' },
    ]);
    assert.deepEqual(withoutTime.at(-1), { step: null, kind: 'status', name: 'run', value: 'finished' });
  });

  test('log calls only buffer: nothing reaches the file before a flush', async () => {
    const tracker = new JsonlTracker({ flushIntervalMs: 0 });
    tracker.start('run', dir);
    const file = path.join(dir, 'run', 'events.jsonl');
    for (let i = 0; i < 100; i++) tracker.logMetric('loss', i);
    assert.equal(statSync(file).size, 0);
    await tracker.flush();
    assert.equal(parseLines(file).length, 100);
    await tracker.end();
  });

  test('flushes on its own once the buffer reaches maxBufferBytes, in whole lines', async () => {
    const tracker = new JsonlTracker({ flushIntervalMs: 0, maxBufferBytes: 1000 });
    tracker.start('run', dir);
    const file = path.join(dir, 'run', 'events.jsonl');
    for (let i = 0; i < 1000; i++) tracker.logMetric('loss', i);
    const written = readFileSync(file, 'utf8');
    assert.ok(written.length > 60_000, 'most lines were written without a flush');
    assert.ok(written.endsWith('\n'));
    const steps = written
      .trimEnd()
      .split('\n')
      .map((line) => (JSON.parse(line) as { step: number }).step);
    assert.deepEqual(
      steps,
      steps.map((_, i) => i),
    );
    await tracker.end();
    assert.equal(parseLines(file).length, 1001);
  });

  test('names beyond ASCII and lines longer than the buffer are written whole, in order, as UTF-8', async () => {
    // A buffer of 300 bytes: lines of 2- to 4-byte characters straddle its limit, and a 100 kB param outgrows it.
    const tracker = new JsonlTracker({ flushIntervalMs: 0, maxBufferBytes: 300 });
    tracker.start('run', dir);
    const names = ['précision', '損失/学習', 'loss 🚀', 'bad \ud800 half', 'quote " and \\', 'plain'];
    const long = 'é'.repeat(50_000) + '🚀';
    const expected: [string, number, unknown][] = [];
    for (let step = 0; step < 40; step++) {
      const name = names[step % names.length]!;
      const value = step % 3 === 0 ? Math.fround(step / 7) : step * 1.5;
      tracker.logMetric(name, value, step);
      expected.push([name, step, value]);
      if (step === 20) {
        tracker.logParam('long', long);
        expected.push(['long', -1, long]);
      }
    }
    await tracker.end();
    const lines = parseLines(path.join(dir, 'run', 'events.jsonl')).filter((line) => line.kind !== 'status');
    assert.deepEqual(
      lines.map((line) => [line.name, line.kind === 'param' ? -1 : line.step, line.value]),
      expected,
    );
  });

  test('flushes on the timer without any flush() call', async () => {
    const tracker = new JsonlTracker({ flushIntervalMs: 20 });
    tracker.start('run', dir);
    tracker.logMetric('loss', 0.5);
    tracker.logParam('lr', 0.1);
    const file = path.join(dir, 'run', 'events.jsonl');
    const deadline = Date.now() + 5000;
    while (statSync(file).size === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(parseLines(file).length, 2);
    assert.deepEqual(JSON.parse(readFileSync(path.join(dir, 'run', 'params.json'), 'utf8')), { lr: 0.1 });
    await tracker.end();
  });

  test('NaN and ±Infinity are written as strings and read back as numbers', async () => {
    const tracker = new JsonlTracker();
    tracker.start('run', dir);
    tracker.logMetric('x', Number.NaN);
    tracker.logMetric('x', Number.POSITIVE_INFINITY);
    tracker.logMetric('x', Number.NEGATIVE_INFINITY);
    tracker.logMetric('x', -1.5e-300);
    tracker.logParam('bad', Number.NaN);
    await tracker.end();
    const file = path.join(dir, 'run', 'events.jsonl');
    const raw = parseLines(file).filter((line) => line.kind === 'metric');
    assert.deepEqual(
      raw.map((line) => line.value),
      ['NaN', 'Infinity', '-Infinity', -1.5e-300],
    );
    const decoded = (await readJsonlEvents(file)).filter((event) => event.kind === 'metric');
    assert.deepEqual(
      decoded.map((event) => event.value),
      [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1.5e-300],
    );
    assert.deepEqual(JSON.parse(readFileSync(path.join(dir, 'run', 'params.json'), 'utf8')), { bad: 'NaN' });
  });

  test('a half-written last line is skipped by readJsonlEvents and never breaks a line-by-line reader', async () => {
    const tracker = new JsonlTracker();
    tracker.start('run', dir);
    for (let i = 0; i < 5; i++) tracker.logMetric('loss', i / 10);
    await tracker.end();
    const file = path.join(dir, 'run', 'events.jsonl');
    appendFileSync(file, '{"time":1700000000000,"step":5,"kind":"met');
    const events = await readJsonlEvents(file);
    assert.equal(events.length, 6);
    assert.deepEqual(
      events.filter((event) => event.kind === 'metric').map((event) => event.value),
      [0, 0.1, 0.2, 0.3, 0.4],
    );
    // An independent reader: complete lines are those followed by a newline, each is plain JSON.
    const text = readFileSync(file, 'utf8');
    const complete = text.slice(0, text.lastIndexOf('\n')).split('\n');
    assert.equal(complete.map((line) => JSON.parse(line) as unknown).length, 6);
    // A broken line that is not the last one is an error naming the file and line.
    appendFileSync(file, '\n{"time":1}\n');
    await assert.rejects(readJsonlEvents(file), { name: 'SyntaxError', message: /events\.jsonl:7:/ });
  });

  test('resuming a run cuts a half-written last line before appending', async () => {
    const first = new JsonlTracker();
    first.start('run', dir);
    first.logMetric('loss', 1);
    await first.end();
    const file = path.join(dir, 'run', 'events.jsonl');
    appendFileSync(file, '{"time":1700000000000,"st');
    // Without resume: true, an existing run is refused, naming its directory and the way out; nothing changes.
    const refused = new JsonlTracker();
    assert.throws(() => refused.start('run', dir), {
      name: 'GymnosError',
      code: 'RUN_EXISTS',
      message:
        `jsonl: run "run" already exists (${path.join(dir, 'run')}); ` +
        'pass resume: true to append to it, or start another run id',
    });
    assert.ok(readFileSync(file, 'utf8').endsWith('"st'), 'the refused start left the file alone');
    const second = new JsonlTracker({ resume: true });
    second.start('run', dir);
    second.logMetric('loss', 2, 1);
    await second.end();
    const lines = parseLines(file);
    assert.deepEqual(
      lines.map((line) => [line.kind, line.value]),
      [
        ['metric', 1],
        ['status', 'finished'],
        ['metric', 2],
        ['status', 'finished'],
      ],
    );
  });

  test('a crash (SIGKILL) loses at most the unflushed buffer; what was written is whole lines', () => {
    const result = runChild(
      dir,
      `const tracker = new JsonlTracker({ flushIntervalMs: 0, maxBufferBytes: 4096 });
tracker.start('run', ${JSON.stringify(dir)});
for (let i = 0; i < 10000; i++) tracker.logMetric('loss', i / 7);
process.kill(process.pid, 'SIGKILL');`,
    );
    assert.equal(result.signal, 'SIGKILL', String(result.stderr));
    const lines = parseLines(path.join(dir, 'run', 'events.jsonl'));
    assert.ok(lines.length > 9900 && lines.length <= 10000, `${lines.length} lines survived`);
    assert.deepEqual(
      lines.map((line) => line.step),
      lines.map((_, i) => i),
    );
  });

  test('a process that exits without end() still writes its buffer, params and tags', () => {
    const result = runChild(
      dir,
      `const tracker = new JsonlTracker({ flushIntervalMs: 60000 });
tracker.start('run', ${JSON.stringify(dir)});
tracker.logParam('lr', 0.1);
tracker.logTag('team', 'vision');
for (let i = 0; i < 1000; i++) tracker.logMetric('loss', i);
process.exit(3);`,
    );
    assert.equal(result.status, 3, String(result.stderr));
    const lines = parseLines(path.join(dir, 'run', 'events.jsonl'));
    assert.equal(lines.length, 1002);
    assert.ok(!lines.some((line) => line.kind === 'status'), 'no status line: the run did not end');
    assert.deepEqual(JSON.parse(readFileSync(path.join(dir, 'run', 'params.json'), 'utf8')), { lr: 0.1 });
    assert.deepEqual(JSON.parse(readFileSync(path.join(dir, 'run', 'tags.json'), 'utf8')), { team: 'vision' });
  });

  test('end is idempotent, records a failure, and later calls are ignored', async () => {
    const tracker = new JsonlTracker();
    tracker.start('run', dir);
    tracker.logMetric('loss', 1);
    await Promise.all([tracker.end(new Error('diverged')), tracker.end()]);
    await tracker.end();
    tracker.logMetric('loss', 2);
    const lines = parseLines(path.join(dir, 'run', 'events.jsonl'));
    assert.deepEqual(
      lines.map((line) => [line.kind, line.value]),
      [
        ['metric', 1],
        ['status', 'failed'],
      ],
    );
  });

  test('params are a snapshot at the call, rewritten atomically (no temporary file left)', async () => {
    const tracker = new JsonlTracker({ flushIntervalMs: 0 });
    tracker.start('run', dir);
    const optimizer = { name: 'adam', beta: 0.9 };
    tracker.logParam('optimizer', optimizer);
    optimizer.beta = 0.5;
    await tracker.flush();
    tracker.logParam('epochs', 3);
    await tracker.end();
    assert.deepEqual(JSON.parse(readFileSync(path.join(dir, 'run', 'params.json'), 'utf8')), {
      optimizer: { name: 'adam', beta: 0.9 },
      epochs: 3,
    });
    const files = ['events.jsonl', 'params.json', 'summary.json', 'summary.samples.json'];
    assert.deepEqual(listFiles(path.join(dir, 'run')), files);
  });

  test('an asset that cannot be copied is a warning, not an error, and leaves no event', async () => {
    const tracker = new JsonlTracker();
    tracker.start('run', dir);
    const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
    tracker.logAsset('missing', path.join(dir, 'does-not-exist.bin'));
    await tracker.end();
    const warning = await warned;
    assert.equal(warning.name, 'GymnosWarning');
    assert.match(warning.message, /asset "missing" was not saved/);
    const lines = parseLines(path.join(dir, 'run', 'events.jsonl'));
    assert.deepEqual(
      lines.map((line) => line.kind),
      ['status'],
    );
  });

  test('files already in a resumed run are never overwritten', async () => {
    for (const value of [1, 2]) {
      const tracker = new JsonlTracker({ resume: true });
      tracker.start('run', dir);
      tracker.logFigure('fig', { data: [value] });
      await tracker.end();
    }
    const events = await readJsonlEvents(path.join(dir, 'run', 'events.jsonl'));
    const paths = events.filter((event) => event.kind === 'figure').map((event) => event.value);
    assert.deepEqual(paths, ['figures/fig.plotly.json', 'figures/fig_1.plotly.json']);
    const first = JSON.parse(readFileSync(path.join(dir, 'run', paths[0]!), 'utf8')) as { data: number[] };
    assert.deepEqual(first.data, [1]);
  });
});
