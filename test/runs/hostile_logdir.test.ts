/**
 * A logdir received from someone else is data, not code: `gymnos runs` and `gymnos report` (the real bin) on
 * hostile run files leak no local file into their output, leave the process's objects alone, print no raw control
 * character, never hang, print one line per bad run and list the others, and say what they skipped.
 */
import assert from 'node:assert/strict';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
  chownSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { discoverRuns } from '../../src/runs/discover.js';
import { summarizeRun } from '../../src/runs/summary.js';
import { frameTfRecord, maskedCrc32c } from '../../src/runtime/tfrecord.js';
import { encodeFileVersionEvent } from '../../src/runtime/tf_event.js';
import { CsvTracker } from '../../src/trackers/csv.js';
import { JsonlTracker } from '../../src/trackers/jsonl.js';
import { TensorboardTracker } from '../../src/trackers/tensorboard.js';
import { runChildSync } from '../helpers/children.js';
import { gymnosInProcess } from '../helpers/in_process.js';
import { BIN, REPO } from '../helpers/project.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

/**
 * The real bin, bounded: a command that hangs fails its test within a minute instead of hanging the suite. As root,
 * `withoutDac` runs it without the capabilities that let root read what is not its own (dac_override,
 * dac_read_search), so files another user keeps to themselves are unreadable, as they are to anyone else; root
 * stays root, so a checkout under a directory only root may enter (mktemp -d's 0700) is still reachable.
 */
function gymnos(args: string[], options: { env?: NodeJS.ProcessEnv; withoutDac?: boolean } = {}) {
  const command = [process.execPath, BIN, ...args];
  const withoutDac = options.withoutDac === true && process.getuid?.() === 0;
  const caps = '-dac_override,-dac_read_search';
  const [program, ...rest] = withoutDac
    ? ['setpriv', `--inh-caps=${caps}`, `--bounding-set=${caps}`, ...command]
    : command;
  const cache = tempDir('gymnos-hostile-cache-');
  const env = { ...process.env, NO_COLOR: '1', GYMNOS_CACHE_DIR: cache, ...options.env };
  const result = runChildSync(program!, rest, { cwd: REPO, env, timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The CLI in this process (no process-level behaviour is checked): its cache in a directory of the test's. */
function inProcess(args: string[]) {
  return gymnosInProcess(args, { cwd: REPO, env: { GYMNOS_CACHE_DIR: tempDir('gymnos-hostile-cache-') } });
}

/** No stack trace: one line per problem, each starting `gymnos:`. */
function assertNoStack(stderr: string): void {
  assert.doesNotMatch(stderr, /^\s+at /m, stderr);
  assert.doesNotMatch(stderr, /internal error/, stderr);
}

async function jsonlRun(logdir: string, runId: string, log: (tracker: JsonlTracker) => void = () => {}) {
  const tracker = new JsonlTracker({ flushIntervalMs: 0 });
  tracker.start(runId, logdir);
  tracker.logParam('lr', 0.1);
  tracker.logMetric('loss', 0.5, 0);
  log(tracker);
  await tracker.end();
  return path.join(logdir, runId);
}

function event(kind: string, name: string, value: unknown): string {
  return JSON.stringify({ time: 1_700_000_000_000, step: null, kind, name, value }) + '\n';
}

describe('a logdir from someone else', () => {
  test('leaks no file from outside a run: symlinks, absolute and ../ paths refused, media by content', async () => {
    const secret = 'TOP-SECRET-7f3a9c\n';
    const outside = tempDir('gymnos-outside-');
    writeFileSync(path.join(outside, 'secret.txt'), secret);
    writeFileSync(path.join(outside, 'secret.json'), JSON.stringify({ password: secret }));
    const logdir = tempDir('gymnos-leaky-');
    // Media events that point out of the run, and a figure that is a link out of it.
    const media = await jsonlRun(logdir, 'media');
    mkdirSync(path.join(media, 'figures'), { recursive: true });
    symlinkSync(path.join(outside, 'secret.txt'), path.join(media, 'figures', 'linked.png'));
    writeFileSync(path.join(media, 'figures', 'text.png'), secret); // inside the run, but no picture
    appendFileSync(
      path.join(media, 'events.jsonl'),
      event('figure', 'linked', 'figures/linked.png') +
        event('image', 'absolute', path.join(outside, 'secret.txt')) +
        event('image', 'climbing', '../../' + path.relative('/', path.join(outside, 'secret.txt'))) +
        event('figure', 'text', 'figures/text.png') +
        event('figure', 'missing', 'figures/missing.png'),
    );
    // params.json linked to a secret: the run is refused, the others listed.
    const params = await jsonlRun(logdir, 'params');
    rmSync(path.join(params, 'params.json'));
    symlinkSync(path.join(outside, 'secret.json'), path.join(params, 'params.json'));
    const shown = [secret.trim(), Buffer.from(secret).toString('base64').slice(0, 16)];

    const listed = await inProcess(['runs', logdir, '--json']);
    assert.equal(listed.status, 0, listed.stderr);
    for (const text of shown) assert.ok(!listed.stdout.includes(text), `runs --json shows ${text}`);
    const document = JSON.parse(listed.stdout) as {
      runs: { id: string }[];
      skipped: { id: string; message: string }[];
    };
    assert.deepEqual(
      document.runs.map((run) => run.id),
      ['media'],
    );
    assert.deepEqual(
      document.skipped.map((run) => run.id),
      ['params'],
    );
    assert.match(document.skipped[0]!.message, /params\.json: links outside the run directory; not read/);
    assert.match(
      listed.stderr,
      /^gymnos: params: .*params\.json: links outside the run directory; not read; skipped$/m,
    );

    const report = path.join(tempDir('gymnos-report-'), 'report.html');
    const made = await inProcess(['report', logdir, '-o', report]);
    assert.equal(made.status, 0, made.stderr);
    assertNoStack(made.stderr);
    const html = readFileSync(report, 'utf8');
    for (const text of shown) assert.ok(!html.includes(text), `the report shows ${text}`);
    assert.ok(!html.includes(outside), 'the report names no path out of the logdir');
    assert.ok(!html.includes(path.join(media, 'figures')), 'a missing figure is named as the run names it');
    for (const [name, why] of [
      ['linked', 'its file links outside the run directory'],
      ['absolute', 'is outside the run directory'],
      ['climbing', 'is outside the run directory'],
      ['text', 'not a format a page can show'],
      ['missing', 'figures/missing.png is missing'],
    ]) {
      assert.match(made.stderr, new RegExp(`media: ${name}: .*${why}`), made.stderr);
    }
  });

  test("leaves the process's objects alone: names like __proto__ and constructor are names", async () => {
    const names = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'];
    const logdir = tempDir('gymnos-proto-');
    // Written by the trackers in this process: none of their objects may change.
    const jsonl = new JsonlTracker({ flushIntervalMs: 0 });
    const csv = new CsvTracker({ flushIntervalMs: 0 });
    const tensorboard = new TensorboardTracker({ flushIntervalMs: 0 });
    for (const [tracker, runId] of [
      [jsonl, 'jsonl'],
      [csv, 'csv'],
      [tensorboard, 'tensorboard'],
    ] as const) {
      await tracker.start(runId, logdir);
      names.forEach((name, index) => {
        tracker.logMetric(name, index + 1, 0);
        tracker.logMetric(name, index + 10, 1);
        tracker.logParam(name, index);
        tracker.logTag(name, `tag-${index}`);
      });
      await tracker.end();
    }
    // Crafted by hand: a jsonl run whose params.json holds the names as keys.
    const crafted = path.join(logdir, 'crafted');
    mkdirSync(crafted);
    writeFileSync(
      path.join(crafted, 'events.jsonl'),
      names
        .map((name, index) => JSON.stringify({ time: 1, step: 0, kind: 'metric', name, value: index + 1 }) + '\n')
        .join(''),
    );
    writeFileSync(path.join(crafted, 'params.json'), `{"__proto__": {"polluted": 1}, "constructor": 2}`);
    for (const location of discoverRuns([logdir])) summarizeRun(location);
    assert.deepEqual(Object.keys(Object.prototype), []);
    assert.equal(({} as { polluted?: unknown; points?: unknown }).points, undefined);
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);

    for (const cache of [[], ['--no-cache']]) {
      const listed = await inProcess(['runs', logdir, '--json', '--sort', 'id', ...cache]);
      assert.equal(listed.status, 0, listed.stderr);
      const runs = (
        JSON.parse(listed.stdout) as {
          runs: { id: string; metrics: Record<string, { last: number; points: number }>; params: object }[];
        }
      ).runs;
      assert.deepEqual(
        runs.map((run) => run.id),
        ['crafted', 'csv', 'jsonl', 'tensorboard'],
      );
      for (const run of runs) {
        assert.deepEqual(Object.keys(run.metrics).sort(), [...names].sort(), run.id);
        names.forEach((name, index) => {
          const expected = run.id === 'crafted' ? index + 1 : index + 10;
          assert.equal(run.metrics[name]!.last, expected, `${run.id} ${name}`);
        });
      }
      assert.deepEqual(Object.keys(runs[0]!.params).sort(), ['__proto__', 'constructor']);
    }
    const table = await inProcess(['runs', logdir, '--metric', 'constructor', '--metric', '__proto__', '--sort', 'id']);
    assert.deepEqual(Object.keys(Object.prototype), []);
    assert.equal(table.status, 0, table.stderr);
    // constructor: last 11, min 2; __proto__: last 10, min 1.
    assert.match(table.stdout, /^jsonl\s.*\s11\s+2\s+10\s+1$/m);
  });

  test('prints no control character read from a file: run ids, metric names, bad lines are escaped', async () => {
    const logdir = tempDir('gymnos-escapes-');
    const runId = 'run\u001b]0;pwned\u0007\u001b[2J';
    const metric = 'loss\u001b]52;c;cHduZWQ=\u0007';
    await jsonlRun(logdir, runId, (tracker) => {
      tracker.logMetric(metric, 1, 0);
      tracker.logMetric(metric, 2, 1);
    });
    appendFileSync(path.join(logdir, runId, 'events.jsonl'), '\u001b]8;;http://evil\u0007garbage\n');
    const bad = path.join(logdir, 'bad\u001b[31m');
    mkdirSync(bad);
    writeFileSync(path.join(bad, 'events.jsonl'), '');
    writeFileSync(path.join(bad, 'params.json'), '{\u001b[5m');
    for (const args of [
      ['runs', logdir, '--metric', metric, '--plot', metric],
      ['runs', logdir, '--metric', 'los'], // a did-you-mean naming a hostile metric
      ['report', logdir, '-o', path.join(tempDir('gymnos-report-'), 'report.html')],
    ]) {
      const result = await inProcess(args);
      assertNoStack(result.stderr);
      const output = result.stdout + result.stderr;
      // Any control character but the newline (and a tab) came from a file.
      const raw = [...output].filter((char) => char < ' ' && char !== '\n' && char !== '\t');
      assert.deepEqual(raw, [], JSON.stringify(output));
      assert.ok(output.includes('\\u001b'), output);
    }
  });

  test('never hangs on a FIFO, and reads only regular files', async () => {
    const logdir = tempDir('gymnos-fifos-');
    const good = await jsonlRun(logdir, 'good');
    const fifoParams = await jsonlRun(logdir, 'fifo-params');
    const fifoTags = await jsonlRun(logdir, 'fifo-tags');
    const tensorboard = new TensorboardTracker({ flushIntervalMs: 0 });
    tensorboard.start('fifo-events', logdir);
    tensorboard.logMetric('loss', 1, 0);
    await tensorboard.end();
    const mkfifo = (file: string) => {
      rmSync(file, { force: true });
      assert.equal(runChildSync('mkfifo', [file]).status, 0);
    };
    mkfifo(path.join(fifoParams, 'params.json'));
    mkfifo(path.join(fifoTags, 'tags.json'));
    mkfifo(path.join(logdir, 'fifo-events', 'events.out.tfevents.0.fifo'));
    mkfifo(path.join(logdir, 'fifo-only-events.jsonl'));
    mkdirSync(path.join(logdir, 'dir-event', 'events.out.tfevents.0.dir'), { recursive: true });
    const listed = gymnos(['runs', logdir, '--json', '--sort', 'id']);
    assert.equal(listed.status, 0, listed.stderr);
    assertNoStack(listed.stderr);
    const document = JSON.parse(listed.stdout) as { runs: { id: string; points: number }[]; skipped: { id: string }[] };
    assert.deepEqual(
      document.runs.map((run) => [run.id, run.points]),
      [
        ['fifo-events', 1],
        ['good', 1],
      ],
    );
    assert.deepEqual(document.skipped.map((run) => run.id).sort(), ['fifo-params', 'fifo-tags']);
    assert.match(listed.stderr, /fifo-params: .*params\.json: is not a regular file; not read; skipped/);
    const made = gymnos(['report', logdir, '-o', path.join(tempDir('gymnos-report-'), 'report.html')]);
    assert.equal(made.status, 0, made.stderr);
    assert.ok(good);
  });

  test('one line per bad run, the others listed: unreadable, invalid, too deep, crafted records', async () => {
    const logdir = tempDir('gymnos-bad-runs-');
    await jsonlRun(logdir, 'good');
    // A run directory nobody else may read, and one with an unreadable events.jsonl.
    const locked = await jsonlRun(logdir, 'locked');
    chmodSync(locked, 0o700);
    const closed = await jsonlRun(logdir, 'closed');
    chmodSync(path.join(closed, 'events.jsonl'), 0o600);
    for (const dir of [logdir, path.join(logdir, 'good')]) chmodSync(dir, 0o755);
    // A param nested 200 000 levels deep, a line `null`, metrics the reader cannot use.
    const deep = await jsonlRun(logdir, 'deep');
    writeFileSync(path.join(deep, 'params.json'), '{"nested": ' + '['.repeat(200_000) + ']'.repeat(200_000) + '}');
    appendFileSync(
      path.join(deep, 'events.jsonl'),
      'null\n' +
        JSON.stringify({ time: 1, step: '3', kind: 'metric', name: 'loss', value: 1 }) +
        '\n' +
        JSON.stringify({ time: 1, step: 3, kind: 'metric', value: 1 }) +
        '\n' +
        JSON.stringify({ time: 1, step: 3, kind: 'metric', name: 'loss', value: 'high' }) +
        '\n',
    );
    writeFileSync(path.join(deep, 'summary.samples.json'), 'garbage');
    // Tensorboard records: one announcing 2^40 bytes with a valid length CRC, one CRC-valid but no protobuf.
    const records = path.join(logdir, 'records');
    mkdirSync(records);
    const length = Buffer.alloc(12);
    length.writeBigUInt64LE(2n ** 40n);
    length.writeUInt32LE(maskedCrc32c(length.subarray(0, 8)), 8);
    writeFileSync(
      path.join(records, 'events.out.tfevents.1.host.1.0'),
      Buffer.concat([frameTfRecord(encodeFileVersionEvent(1)), frameTfRecord(Buffer.from([0x0a, 0xff, 0xff])), length]),
    );
    if (process.getuid?.() === 0) {
      // Root reads everything: the unreadable runs belong to nobody, and the listing runs without root's DAC bypass.
      chownSync(locked, 65534, 65534);
      chownSync(path.join(closed, 'events.jsonl'), 65534, 65534);
    }
    for (const args of [
      ['runs', logdir, '--json', '--sort', 'id'],
      ['runs', logdir, '--sort', 'id'],
    ]) {
      const listed = gymnos(args, { withoutDac: true });
      assert.equal(listed.status, 0, listed.stderr);
      assertNoStack(listed.stderr);
      assert.match(listed.stderr, /^gymnos: locked: .*locked cannot be read \(EACCES\); skipped$/m);
      assert.match(listed.stderr, /^gymnos: closed: .*events\.jsonl: cannot be read \(EACCES\); skipped$/m);
      const deepSkips =
        'deep: events\\.jsonl: 4 lines skipped, not what gymnos reads \\(the first: line \\d+, not a JSON object\\)';
      const notAnEvent =
        'records: the event files: 1 records skipped, .*record 1, in events\\.out\\.tfevents\\.1\\.host\\.1\\.0, ' +
        'not an Event';
      if (!args.includes('--json')) {
        // The table's warnings, one line each (with --json they are the runs' `warnings`).
        assert.match(listed.stderr, new RegExp(`^gymnos: ${deepSkips}$`, 'm'));
        assert.match(listed.stderr, new RegExp(`^gymnos: ${notAnEvent}`, 'm'));
        assert.match(listed.stderr, /^gymnos: records: the last line or record was cut short/m);
      }
      if (args.includes('--json')) {
        const runs = (
          JSON.parse(listed.stdout) as {
            runs: { id: string; params: Record<string, unknown>; truncatedTail: boolean; warnings: string[] }[];
          }
        ).runs;
        assert.deepEqual(
          runs.map((run) => run.id),
          ['deep', 'good', 'records'],
        );
        assert.match(String(runs[0]!.params.nested), /nested deeper than 500 levels; not shown/);
        assert.equal(runs[2]!.truncatedTail, true, 'the 2^40-byte record is a file cut short');
        assert.match(`deep: ${runs[0]!.warnings.join('')}`, new RegExp(deepSkips));
        assert.match(`records: ${runs[2]!.warnings.join('')}`, new RegExp(notAnEvent));
      }
    }
    const report = path.join(tempDir('gymnos-report-'), 'report.html');
    const made = gymnos(['report', logdir, '-o', report], { withoutDac: true });
    assert.equal(made.status, 0, made.stderr);
    assertNoStack(made.stderr);
    assert.match(made.stderr, /locked: .*; skipped/);
  });
});
