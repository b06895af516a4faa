/**
 * summary.json, the summary the jsonl tracker writes beside its run, saves time and nothing else: a listing and a
 * report read through it equal those read from the file alone and those read through the reader's cache, for a
 * finished run, a run appended to after its summary (and cut short in the middle of a line), a run still being
 * written, and a file rewritten under an old summary.
 */
import assert from 'node:assert/strict';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { collectReportRuns } from '../../src/report/collect.js';
import { discoverRuns } from '../../src/runs/discover.js';
import { readListedRun } from '../../src/runs/list.js';
import type { ListRunsOptions } from '../../src/runs/list.js';
import { listRuns } from '../../src/runs/parallel.js';
import { readSidecar, readSidecarSamples } from '../../src/runtime/run_dir/sidecar.js';
import { SummaryCache } from '../../src/runs/summary_cache.js';
import { JsonlTracker } from '../../src/trackers/jsonl.js';
import { runChildSync } from '../helpers/children.js';
import { withFsFault } from '../helpers/fs_fault.js';
import { TS_LOADER } from '../helpers/ts_loader.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gymnos-sidecar-'));
  dirs.push(dir);
  return dir;
}

const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

/** Values of at most 15 significant digits, which every reader parses exactly. */
const value = (step: number, seed: number) => Math.round((Math.sin(step * seed) + 2 + step / 900) * 1e6) / 1e6;

async function logRun(logdir: string, id: string, from: number, to: number, options: { end?: boolean } = {}) {
  const tracker = new JsonlTracker({ flushIntervalMs: 0, resume: from > 0 });
  tracker.start(id, logdir);
  if (from === 0) {
    tracker.logParams({ lr: 0.01, layers: [3, 4] });
    tracker.logTag('team', 'vision');
    tracker.logFigure('curve', TINY_PNG);
  }
  // Enough points that the samplers merge buckets (1024 per series): their state is what the sidecar carries.
  for (let step = from; step < to; step++) {
    tracker.logMetric('loss', value(step, 1), step);
    tracker.logMetric('acc', step % 500 === 7 ? Number.NaN : value(step, 3), step);
  }
  tracker.logFigure('curve', TINY_PNG);
  if (options.end === false) await tracker.flush();
  else await tracker.end();
  return tracker;
}

/** One run read three ways: through its sidecar, from the file alone, from the file through the cache. */
function readThreeWays(logdir: string, options: Omit<ListRunsOptions, 'logdirs'>) {
  const cache = new SummaryCache(tempDir());
  return discoverRuns([logdir]).map((location) => {
    const sidecar = readListedRun(location, options);
    const full = readListedRun(location, { ...options, sidecars: false });
    readListedRun(location, { ...options, sidecars: false, cache }); // fills the cache
    const cached = readListedRun(location, { ...options, sidecars: false, cache });
    return { id: location.id, sidecar, full, cached };
  });
}

const AS_RUNS = { sample: { metrics: ['loss'], points: 120 } } as const;
const AS_REPORT = { sample: { metrics: 'all', points: 300 }, media: true } as const;

describe('summary.json', () => {
  it('equals the file read in full and the cache, finished, appended to, cut short, still being written', async () => {
    const logdir = tempDir();
    await logRun(logdir, 'finished', 0, 3000);
    await logRun(logdir, 'appended', 0, 2000);
    // A run written on after its summary: a third of the lines, then half a line, are past what it covers.
    const appended = path.join(logdir, 'appended', 'events.jsonl');
    const covered = readSidecar(path.join(logdir, 'appended'))!.resume.offset;
    for (let step = 2000; step < 3000; step++) {
      appendFileSync(
        appended,
        `{"time":1764000000000,"step":${step},"kind":"metric","name":"loss","value":-${step}}\n`,
      );
    }
    appendFileSync(appended, '{"time":1764000000001,"step":3000,"kind":"metric","na');
    // A run resumed from its summary and still being written (flushed, not ended).
    await logRun(logdir, 'running', 0, 1500);
    const running = await logRun(logdir, 'running', 1500, 2600, { end: false });

    assert.equal(readSidecar(path.join(logdir, 'appended'))!.resume.offset, covered, 'still valid for its prefix');
    for (const options of [AS_RUNS, AS_REPORT, {}]) {
      for (const { id, sidecar, full, cached } of readThreeWays(logdir, options)) {
        assert.deepEqual(sidecar, full, `${id}: sidecar = full read`);
        assert.deepEqual(cached, full, `${id}: cache = full read`);
      }
    }
    const [appendedRun, finishedRun, runningRun] = readThreeWays(logdir, AS_REPORT);
    assert.equal(appendedRun!.sidecar.summary.truncatedTail, true);
    assert.equal(appendedRun!.sidecar.summary.metrics.loss!.min, -2999);
    assert.equal(appendedRun!.sidecar.summary.status, 'running-or-crashed', 'points came after its end record');
    assert.equal(finishedRun!.sidecar.summary.metrics.acc!.nan, 6);
    assert.equal(finishedRun!.sidecar.media.length, 1, 'the last figure of the name');
    assert.equal(finishedRun!.sidecar.series.loss!.total, 3000);
    assert.equal(runningRun!.sidecar.summary.status, 'running-or-crashed');
    assert.equal(runningRun!.sidecar.summary.points, 2 * 2600);
    await running.end();
    const ended = readSidecar(path.join(logdir, 'running'))!;
    assert.equal(ended.state.points, 2 * 2600, 'the resumed session went on from the summary it found');
    assert.equal(ended.resume.offset, readFileSync(path.join(logdir, 'running', 'events.jsonl')).length);

    // The report's data through listRuns on worker threads too, with and without sidecars.
    const withSidecars = await collectReportRuns({ logdirs: [logdir], pointsPerChart: 900 });
    const without = await collectReportRuns({ logdirs: [logdir], pointsPerChart: 900, sidecars: false });
    assert.deepEqual(withSidecars, without);
    const threaded = await listRuns({ logdirs: [logdir], threads: 2, parallelMinBytes: 0, ...AS_REPORT });
    assert.deepEqual(
      threaded,
      await listRuns({ logdirs: [logdir], threads: 2, parallelMinBytes: 0, sidecars: false, ...AS_REPORT }),
    );
  });

  it('keeps samples that scale with the run, never larger than the events they sample', async () => {
    const logdir = tempDir();
    await logRun(logdir, 'short', 0, 1000); // fewer points than buckets: each bucket keeps one point
    await logRun(logdir, 'long', 0, 30_000);
    const tiny = new JsonlTracker({ flushIntervalMs: 0 });
    tiny.start('tiny', logdir);
    for (const name of ['a', 'b', 'c']) tiny.logMetric(name, 0.5, 0);
    await tiny.end();
    const size = (run: string, name: string) => statSync(path.join(logdir, run, name)).size;
    for (const run of ['short', 'long']) {
      // 1.8 times the events for the short run when every bucket stored its 4 slots of 4 doubles
      const events = size(run, 'events.jsonl');
      const samples = size(run, 'summary.samples.json');
      assert.ok(samples < events / 2, `${run}: ${samples} bytes of samples for ${events} bytes of events`);
      const sidecar = readSidecar(path.join(logdir, run))!;
      assert.ok(readSidecarSamples(path.join(logdir, run), sidecar), `${run}: the samples are read back`);
    }
    // A point per metric: samples would outweigh the events, so none are kept and a report reads the events.
    assert.equal(existsSync(path.join(logdir, 'tiny', 'summary.samples.json')), false);
    assert.equal(readSidecar(path.join(logdir, 'tiny'))!.samples, false);
    for (const { id, sidecar, full } of readThreeWays(logdir, AS_REPORT)) {
      assert.deepEqual(sidecar, full, `${id}: read through its samples = read in full`);
    }
  });

  it("is ignored when it is not one (the events read in full), but a disk's EIO is reported", async () => {
    const logdir = tempDir();
    await logRun(logdir, 'r', 0, 400);
    const dir = path.join(logdir, 'r');
    assert.ok(readSidecar(dir));
    // An error no file of a run can expect: thrown for the caller to report, not taken for a missing summary.
    await withFsFault(
      'statSync',
      (file) => file === path.join(dir, 'events.jsonl'),
      'EIO',
      () => assert.throws(() => readSidecar(dir), { code: 'EIO' }),
    );
    for (const text of ['null', '[]', '{"format":1,"file":"events.jsonl"}', '{"format":1,', '[['.repeat(100_000)]) {
      writeFileSync(path.join(dir, 'summary.json'), text);
      assert.equal(readSidecar(dir), undefined, text.slice(0, 40));
    }
    const [read] = readThreeWays(logdir, AS_RUNS);
    assert.deepEqual(read!.sidecar, read!.full);
  });

  it('is what a listing reads (a damaged middle goes unseen), and is ignored once the file is rewritten', async () => {
    const logdir = tempDir();
    await logRun(logdir, 'r', 0, 400);
    const file = path.join(logdir, 'r', 'events.jsonl');
    const text = readFileSync(file, 'latin1');
    const middle = text.indexOf('\n', text.length / 2) + 1;
    // Same length, a broken line in the middle: the sidecar's edges still match, so the file is not read.
    writeFileSync(file, text.slice(0, middle) + '#'.repeat(5) + text.slice(middle + 5), 'latin1');
    const [location] = discoverRuns([logdir]);
    assert.equal(readListedRun(location!, AS_RUNS).summary.points, 800);
    assert.match(readListedRun(location!, { ...AS_RUNS, sidecars: false }).summary.warnings[0]!, /1 lines skipped/);
    // Rewritten with other values (and another first line, as any new run has): the stale sidecar is not trusted.
    writeFileSync(file, text.replace(/"value":2/g, '"value":7').replace(/^\{"time":\d/, '{"time":9'));
    const [read] = readThreeWays(logdir, AS_REPORT);
    assert.deepEqual(read!.sidecar, read!.full);
    assert.ok(read!.full.summary.metrics.loss!.max! > 7);
  });

  it('is not written when it would outweigh the events (as many metric names as points): they are read', async () => {
    const logdir = tempDir();
    const tracker = new JsonlTracker({ flushIntervalMs: 0 });
    tracker.start('names', logdir);
    for (let i = 0; i < 30_000; i++) tracker.logMetric(`unit_${i}`, i, 0);
    await tracker.end();
    assert.equal(existsSync(path.join(logdir, 'names', 'summary.json')), false);
    const cache = new SummaryCache(tempDir());
    const [location] = discoverRuns([logdir]);
    const listed = readListedRun(location!, { cache });
    assert.equal(Object.keys(listed.summary.metrics).length, 30_000);
    assert.deepEqual(readdirSync(cache.dir), [], 'nor is a cache entry');
  });

  it('is not trusted when its numbers are absurd, though its edges match the file', async () => {
    const logdir = tempDir();
    await logRun(logdir, 'r', 0, 300);
    const [location] = discoverRuns([logdir]);
    const full = readListedRun(location!, { ...AS_RUNS, sidecars: false });
    const file = path.join(logdir, 'r', 'summary.json');
    const saved = readFileSync(file, 'utf8');
    // The state as saved: numbers and tables, edited by hand.
    type Saved = { points: number; start: number; end: number; tags: Record<string, unknown> } & {
      metrics: Record<string, { points: number; min: number; max: number; nan: number }>;
    };
    const edits: [string, (state: Saved) => void][] = [
      ['a negative count', (state) => (state.points = -5)],
      ['counts that do not add up', (state) => (state.metrics.loss!.points += 7)],
      ['a min above the max', (state) => (state.metrics.loss!.min = state.metrics.loss!.max + 1)],
      ['a min with every value NaN', (state) => (state.metrics.loss!.nan = state.metrics.loss!.points)],
      ['a start after the end', (state) => (state.start = state.end + 1)],
      ['a tag that is no string', (state) => (state.tags.team = { x: 1 })],
    ];
    for (const [what, edit] of edits) {
      const sidecar = JSON.parse(saved) as { state: Saved };
      edit(sidecar.state);
      writeFileSync(file, JSON.stringify(sidecar));
      assert.equal(readSidecar(path.join(logdir, 'r')), undefined, what);
      assert.deepEqual(readListedRun(location!, AS_RUNS), full, what);
    }
  });

  it('is written by a process that exits without end(), covering what reached the file', async () => {
    const logdir = tempDir();
    const script = path.join(logdir, 'exit.ts');
    const tracker = path.resolve('src/trackers/jsonl.ts');
    writeFileSync(
      script,
      `import { JsonlTracker } from ${JSON.stringify(tracker)};
const tracker = new JsonlTracker({ flushIntervalMs: 0 });
tracker.start('exited', ${JSON.stringify(logdir)});
for (let step = 0; step < 2000; step++) tracker.logMetric('loss', 1 / (step + 1), step);
process.exit(0);`,
    );
    const child = runChildSync(process.execPath, [...TS_LOADER, script]);
    assert.equal(child.status, 0, child.stderr);
    const sidecar = readSidecar(path.join(logdir, 'exited'));
    assert.ok(sidecar, 'summary.json was written at exit');
    assert.equal(sidecar.state.points, 2000);
    assert.equal(sidecar.state.ended, null);
    const [read] = readThreeWays(logdir, AS_REPORT).filter((run) => run.id === 'exited');
    assert.deepEqual(read!.sidecar, read!.full);
    assert.ok(existsSync(path.join(logdir, 'exited', 'summary.json')));
  });
});
