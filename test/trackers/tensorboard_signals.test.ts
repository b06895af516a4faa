/**
 * A tensorboard run stopped by SIGTERM (a scheduler) or SIGINT (Ctrl-C) keeps every step it logged, in a file
 * whose every record is whole: the exit hook writes what is buffered, and no earlier write is left half done
 * (docs/trackers/tensorboard.md). Real children, real signals: sent by the test at a moment of its choosing, and by
 * the child to itself just after a flush began, while that write would be in flight. The records are checked by
 * the book (CRCs with @aws-crypto/crc32c); TensorBoard's own reader reads such files in disk_full.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { after, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { spawnInTest } from '../helpers/children.js';
import { crc32c } from '@aws-crypto/crc32c';
import { gymnosInProcess } from '../helpers/in_process.js';
import { skipUnless } from '../helpers/prerequisite.js';
import { REPO } from '../helpers/project.js';

const CHILD = path.join(import.meta.dirname, 'fixtures', 'tensorboard_signal.mjs');
const skip = skipUnless(existsSync(path.join(REPO, 'dist', 'index.js')), 'dist/ is not built: run npm run build');

function masked(bytes: Uint8Array): number {
  const crc = crc32c(bytes);
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

/** The number of records of an event file, checked by the book: every length and data CRC, nothing cut short. */
function wholeRecords(file: string): number {
  const bytes = readFileSync(file);
  let records = 0;
  for (let at = 0; at < bytes.length; records++) {
    assert.ok(at + 12 <= bytes.length, `${file}: a header cut short at byte ${at}`);
    assert.equal(bytes.readUInt32LE(at + 8), masked(bytes.subarray(at, at + 8)), `${file}: length CRC at byte ${at}`);
    const end = at + 12 + Number(bytes.readBigUInt64LE(at));
    assert.ok(end + 4 <= bytes.length, `${file}: a record cut short at byte ${at}`);
    assert.equal(bytes.readUInt32LE(end), masked(bytes.subarray(at + 12, end)), `${file}: data CRC at byte ${at}`);
    at = end + 4;
  }
  return records;
}

interface Killed {
  logdir: string;
  signal: NodeJS.Signals | null;
  /** Every step below this one had been logged when the signal came. */
  logged: number;
  stderr: string;
}

/** Runs the child; in `parent` mode signals it after `batches` batches. */
function kill(t: TestContext, signal: NodeJS.Signals, mode: 'self' | 'parent', batches = 3): Promise<Killed> {
  const logdir = mkdtempSync(path.join(os.tmpdir(), 'gymnos-tb-signal-'));
  const child = spawnInTest(t, process.execPath, [CHILD, logdir, signal, mode]);
  let stderr = '';
  let logged = 0;
  let seen = 0;
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    logged = Number(line.split(' ')[1]);
    if (mode === 'parent' && ++seen === batches) child.kill(signal);
  });
  return new Promise((resolve) => child.on('close', (_code, got) => resolve({ logdir, signal: got, logged, stderr })));
}

describe('tensorboard stopped by a signal', { skip, concurrency: true }, () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  const cases: [NodeJS.Signals, 'self' | 'parent', number][] = [
    ['SIGTERM', 'self', 3],
    ['SIGINT', 'self', 3],
    ['SIGTERM', 'parent', 2],
    ['SIGINT', 'parent', 4],
  ];
  test('keeps every step logged before the signal, in whole records, and dies of the signal', async (t) => {
    const killed = await Promise.all(cases.map(([signal, mode, batches]) => kill(t, signal, mode, batches)));
    dirs.push(...killed.map((run) => run.logdir));
    killed.forEach((run, index) => {
      const [signal, mode] = cases[index]!;
      assert.equal(run.signal, signal, `${signal} ${mode}: ${run.stderr}`);
      assert.ok(run.logged >= 40_000, `${signal} ${mode}: logged ${run.logged}`);
      const runDir = path.join(run.logdir, 'run');
      const files = readdirSync(runDir).filter((name) => name.startsWith('events.out.tfevents.'));
      assert.equal(files.length, 1);
      // The version record, the scalars (at least those logged before the signal), the hparams session start.
      assert.ok(wholeRecords(path.join(runDir, files[0]!)) >= run.logged + 2, `${signal} ${mode}`);
    });
    const listed = await gymnosInProcess(
      ['runs', ...killed.map((run) => run.logdir), '--json', '--no-cache', '--metric', 'loss'],
      { cwd: REPO },
    );
    assert.equal(listed.status, 0, listed.stderr);
    const runs = (
      JSON.parse(listed.stdout) as {
        runs: {
          logdir: string;
          points: number;
          truncatedTail: boolean;
          warnings: string[];
          metrics: { loss: { max: number; points: number } };
        }[];
      }
    ).runs;
    for (const run of killed) {
      const summary = runs.find((listedRun) => listedRun.logdir === run.logdir)!;
      assert.equal(summary.truncatedTail, false);
      assert.deepEqual(summary.warnings, []);
      // Steps 0, 1, 2... each once: as many points as the last step + 1, and at least every step logged.
      assert.equal(summary.metrics.loss.points, summary.metrics.loss.max + 1);
      assert.ok(summary.points >= run.logged, `${summary.points} < ${run.logged}`);
    }
  });
});
