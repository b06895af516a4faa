/**
 * A disk that fills up while a run logs, then frees again: the file trackers' files are never torn, what was
 * logged during the outage is written once there is room, and what could not be kept (beyond `maxHeldBytes`) is
 * counted, reported by flush() and end() (RUN_INCOMPLETE), and the run's end status says it is incomplete. A real
 * tmpfs of 2 MiB, filled and freed by this test while a real child process logs to it (mounting needs root, or
 * sudo without a password: skipped with a line otherwise, failed in CI). Every run is then read by gymnos and by
 * the independent readers (Python's json, pandas, TensorBoard's EventAccumulator).
 */
import assert from 'node:assert/strict';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { spawnInTest } from '../helpers/children.js';
import { missingReader, readIndependently } from '../helpers/independent_readers.js';
import type { RunKind } from '../helpers/independent_readers.js';
import { gymnosInProcess } from '../helpers/in_process.js';
import { skipUnless } from '../helpers/prerequisite.js';
import { REPO } from '../helpers/project.js';
import { fill, mountSmallDisk, unmountSmallDisk } from '../helpers/small_disk.js';

const CHILD = path.join(import.meta.dirname, 'fixtures', 'driven_trackers.mjs');
const KINDS: RunKind[] = ['jsonl', 'csv', 'tensorboard'];
const disk = mountSmallDisk();
const built = existsSync(path.join(REPO, 'dist', 'index.js'));
const skip = skipUnless('dir' in disk && built, 'why' in disk ? disk.why : 'dist/ is not built: run npm run build');

type Answer = Record<string, 'ok' | { code?: string; message: string }>;

/** The child of fixtures/driven_trackers.mjs: one command, one JSON answer. */
class DrivenChild {
  readonly process: ChildProcessWithoutNullStreams;
  stderr = '';
  readonly #lines: AsyncIterator<string>;

  constructor(t: TestContext, logdir: string, trackers: Record<string, Record<string, unknown>>) {
    this.process = spawnInTest(t, process.execPath, [CHILD, logdir, JSON.stringify(trackers)]);
    this.process.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.#lines = readline.createInterface({ input: this.process.stdout })[Symbol.asyncIterator]();
  }

  async next(): Promise<string> {
    const line = await this.#lines.next();
    if (line.done) throw new Error(`the child ended early: ${this.stderr}`);
    return line.value;
  }

  async send(line: string): Promise<Answer> {
    this.process.stdin.write(line + '\n');
    return JSON.parse(await this.next()) as Answer;
  }
}

/** Steps from..to-1. */
function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

interface ListedRun {
  id: string;
  status: string;
  points: number;
}

describe('a disk that fills up and frees again', { skip }, () => {
  const dir = 'dir' in disk ? disk.dir : '';
  before(() => assert.ok(existsSync(CHILD)));
  after(() => {
    if (dir) unmountSmallDisk(dir);
  });

  test('no run is torn; what fits in memory is written in order; what does not is counted and reported', async (t) => {
    // Each tracker twice: `held` keeps the default maxHeldBytes (64 MiB), `dropped` 16 KiB.
    const trackers: Record<string, Record<string, unknown>> = {};
    for (const kind of KINDS) {
      // Small buffers: many writes while the disk is full.
      const small = {
        type: kind,
        flushIntervalMs: 0,
        [kind === 'tensorboard' ? 'bufferBytes' : 'maxBufferBytes']: 4096,
      };
      trackers[`held/${kind}`] = small;
      trackers[`dropped/${kind}`] = { ...small, maxHeldBytes: 16 * 1024 };
    }
    const logdir = path.join(dir, 'logs');
    const child = new DrivenChild(t, logdir, trackers);
    assert.equal(await child.next(), 'ready', child.stderr);
    // Logs 0..1000, fills the disk, logs to 3000 and flushes, frees it, logs to 4000, flushes and ends.
    await child.send('log 0 1000');
    const before = await child.send('flush');
    const filler = fill(dir);
    await child.send('log 1000 3000');
    const during = await child.send('flush');
    unlinkSync(filler);
    await child.send('log 3000 4000');
    const afterwards = await child.send('flush');
    const ended = await child.send('end');
    child.process.stdin.end();
    await new Promise((resolve) => child.process.once('close', resolve));
    const { stderr } = child;

    const lost: Record<string, number> = {};
    for (const kind of KINDS) {
      for (const name of [`held/${kind}`, `dropped/${kind}`]) {
        assert.equal(before[name], 'ok', name);
        const failed = during[name];
        assert.ok(failed !== 'ok' && failed?.code === 'ENOSPC', `${name}: flush() in the outage: ${stderr}`);
      }
      assert.equal(afterwards[`held/${kind}`], 'ok', kind);
      assert.equal(ended[`held/${kind}`], 'ok', kind);
      // Beyond maxHeldBytes: flush() after the outage and end() both say how much was lost, and why.
      const flushed = afterwards[`dropped/${kind}`];
      assert.ok(flushed !== 'ok' && flushed?.code === 'RUN_INCOMPLETE', `${kind}: ${JSON.stringify(flushed)}`);
      const end = ended[`dropped/${kind}`];
      assert.ok(end !== 'ok' && end?.code === 'RUN_INCOMPLETE', `${kind}: ${JSON.stringify(end)}`);
      const count = /: (\d+) of \d+ (lines|rows|records) could not be written to .*ENOSPC/.exec(end.message);
      assert.ok(count, end.message);
      lost[kind] = Number(count[1]);
      assert.ok(lost[kind] > 0 && lost[kind] < 2000, `${kind}: ${end.message}`);
    }
    assert.match(stderr, /could not write .*ENOSPC.*kept in memory/);
    assert.match(stderr, /could not be written for too long/);

    const listed = await gymnosInProcess(['runs', logdir, '--json', '--no-cache', '--sort', 'id'], { cwd: REPO });
    assert.equal(listed.status, 0, listed.stderr);
    const runs = (JSON.parse(listed.stdout) as { runs: ListedRun[] }).runs;
    const expected = KINDS.flatMap((kind) => [
      [`dropped/${kind}/run`, 4000 - lost[kind]!, kind === 'csv' ? 'unknown' : 'incomplete'],
      [`held/${kind}/run`, 4000, kind === 'csv' ? 'unknown' : 'finished'],
    ]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
    // The lines dropped are all that is missing: every one was a metric logged during the outage.
    assert.deepEqual(
      runs.map((run) => [run.id, run.points, run.status]),
      expected,
    );

    const readable = KINDS.filter((kind) => missingReader(kind) === undefined);
    const read = readIndependently(
      readable.flatMap((kind) =>
        ['held', 'dropped'].map((name) => ({ kind, dir: path.join(logdir, name, kind, 'run') })),
      ),
    );
    readable.forEach((kind, index) => {
      const [held, dropped] = [read[2 * index]!, read[2 * index + 1]!];
      assert.ok('steps' in held && 'steps' in dropped, `${kind}: ${JSON.stringify([held, dropped]).slice(0, 500)}`);
      assert.deepEqual(held.steps, range(0, 4000), kind);
      // What is there is in order, once each, with everything from before and after the outage.
      assert.equal(dropped.steps.length, 4000 - lost[kind]!, kind);
      assert.deepEqual(
        dropped.steps,
        [...new Set(dropped.steps)].sort((a, b) => a - b),
        kind,
      );
      assert.deepEqual(dropped.steps.slice(0, 1000), range(0, 1000), kind);
      assert.deepEqual(dropped.steps.slice(-1000), range(3000, 4000), kind);
    });
  });
});
