/**
 * The summary cache saves time and nothing else: a summary from the cache, resumed after appended lines,
 * equals one read from scratch; a file rewritten in place, or cut, is read again from its start. A cache that
 * cannot be used (not a directory, entries that are not entries) is ignored; an error it cannot expect (a disk's
 * EIO) is reported, not taken for a missing entry, and so is a run that cannot be sized for the listing.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { discoverRuns } from '../../src/runs/discover.js';
import { listRuns } from '../../src/runs/parallel.js';
import type { SkippedRun } from '../../src/runs/discover.js';
import { summarizeRun } from '../../src/runs/summary.js';
import { SummaryCache } from '../../src/runs/summary_cache.js';
import { CsvTracker } from '../../src/trackers/csv.js';
import { JsonlTracker } from '../../src/trackers/jsonl.js';
import { withFsFault } from '../helpers/fs_fault.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gymnos-cache-'));
  dirs.push(dir);
  return dir;
}

for (const kind of ['jsonl', 'csv'] as const) {
  describe(`the summary cache, ${kind}`, () => {
    it('equals an uncached summary, before and after lines are appended, and after a rewrite', async () => {
      const logdir = tempDir();
      const cache = new SummaryCache(tempDir());
      const log = async (from: number, to: number, scale = 1) => {
        const tracker =
          kind === 'jsonl'
            ? new JsonlTracker({ flushIntervalMs: 0, resume: true })
            : new CsvTracker({ flushIntervalMs: 0, resume: true });
        await tracker.start('r', logdir); // appends
        tracker.logParam(`p${from}`, from);
        for (let step = from; step < to; step++) {
          tracker.logMetric('loss', scale * (Math.sin(step) + 2 + step / 7), step);
          tracker.logMetric('odd', step === 5 ? Number.NaN : 1 / (step + 1) / 3, step);
        }
        await tracker.end();
      };
      const compare = () => {
        const [location] = discoverRuns([logdir]);
        const cached = summarizeRun(location!, undefined, cache);
        const fresh = summarizeRun(location!);
        assert.deepEqual(cached, fresh);
        return fresh;
      };
      await log(0, 100);
      assert.equal(compare().points, 200);
      assert.equal(readdirSync(cache.dir).length, 1, 'one entry');
      assert.equal(compare().points, 200, 'from the cache, unchanged');
      await log(100, 250);
      const grown = compare();
      assert.equal(grown.points, 500);
      assert.deepEqual(Object.keys(grown.params).sort(), ['p0', 'p100']);
      // A rewrite in place with other values, as long as before: the cache entry no longer matches.
      const file = path.join(logdir, 'r', kind === 'jsonl' ? 'events.jsonl' : 'metrics.csv');
      writeFileSync(file, '');
      rmSync(path.join(logdir, 'r', 'params.json'));
      await log(0, 250, 10);
      const rewritten = compare();
      assert.equal(rewritten.points, 500);
      assert.equal(rewritten.metrics.loss!.last, 10 * (Math.sin(249) + 2 + 249 / 7));
      // A half-written line is not consumed: once completed, it is read.
      appendFileSync(
        file,
        kind === 'jsonl' ? '{"time":1,"step":250,"kind":"metric","name":"loss","value":' : '250,loss,',
      );
      assert.equal(compare().truncatedTail, true);
      appendFileSync(file, kind === 'jsonl' ? '-1}\n' : '-1,1\n');
      const completed = compare();
      assert.equal(completed.metrics.loss!.last, -1);
      assert.equal(completed.metrics.loss!.min, -1);
      // A rewrite in place of the bytes just before where the cache resumes, the file as long as before: only the
      // check of those bytes can tell (the size, the inode and the edges elsewhere are the same).
      const before = readFileSync(file, 'latin1');
      // The last value, -1, becomes -7.
      const after = kind === 'jsonl' ? before.replace(/:-1\}\n$/, ':-7}\n') : before.replace(/,-1,1\n$/, ',-7,1\n');
      assert.equal(after.length, before.length);
      assert.notEqual(after, before);
      writeFileSync(file, after, 'latin1');
      const edited = compare();
      assert.notDeepEqual(edited, completed, 'the edit changed the summary');
      writeFileSync(file, before, 'latin1');
      assert.deepEqual(compare(), completed);
    });
  });
}

/** A logdir with the jsonl runs `ids`, 20 points each. */
async function jsonlRuns(...ids: string[]): Promise<string> {
  const logdir = tempDir();
  for (const id of ids) {
    const tracker = new JsonlTracker({ flushIntervalMs: 0 });
    await tracker.start(id, logdir);
    for (let step = 0; step < 20; step++) tracker.logMetric('loss', 1 / (step + 1), step);
    await tracker.end();
  }
  return logdir;
}

describe('the summary cache ignores only what a cache meets', () => {
  it('a cache path that is a file, entries that are not entries: ignored, the summary as if read afresh', async () => {
    const logdir = await jsonlRuns('r');
    const [location] = discoverRuns([logdir]);
    const fresh = summarizeRun(location!);
    const notADirectory = path.join(tempDir(), 'file');
    writeFileSync(notADirectory, 'x');
    const onFile = new SummaryCache(notADirectory);
    assert.deepEqual(summarizeRun(location!, undefined, onFile), fresh, 'ENOTDIR on save and load');
    const cache = new SummaryCache(tempDir());
    summarizeRun(location!, undefined, cache);
    const [entry] = readdirSync(cache.dir);
    const saved = JSON.parse(readFileSync(path.join(cache.dir, entry!), 'utf8')) as Record<string, unknown>;
    for (const edited of ['null', '[]', '7', '{"format":1}', JSON.stringify({ ...saved, resume: { offset: -5 } })]) {
      writeFileSync(path.join(cache.dir, entry!), edited);
      assert.deepEqual(summarizeRun(location!, undefined, cache), fresh, edited);
    }
  });

  it("a disk's EIO on a cache entry is reported, not taken for a missing entry", async () => {
    const logdir = await jsonlRuns('r');
    const [location] = discoverRuns([logdir]);
    const cache = new SummaryCache(tempDir());
    summarizeRun(location!, undefined, cache);
    await withFsFault(
      'readFileSync',
      (file) => file.startsWith(cache.dir),
      'EIO',
      () => assert.throws(() => summarizeRun(location!, undefined, cache), { code: 'EIO' }),
    );
  });

  it('a run the listing cannot size (EIO) is reported as skipped; the others are listed', async () => {
    const logdir = await jsonlRuns('a', 'b');
    const skipped: SkippedRun[] = [];
    const runs = await withFsFault(
      'statSync',
      (file) => file === path.join(logdir, 'b', 'summary.json'),
      'EIO',
      () => listRuns({ logdirs: [logdir], threads: 1, onSkip: (run) => skipped.push(run) }),
    );
    assert.deepEqual(
      runs.map((run) => run.summary.id),
      ['a'],
    );
    assert.deepEqual(
      skipped.map(({ id, code }) => [id, code]),
      [['b', 'EIO']],
    );
  });
});
