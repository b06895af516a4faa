/**
 * Two processes that start the same run id at the same moment (a scheduler retrying a job, a misdetected rank):
 * one gets in, the other gets RUN_EXISTS and writes nothing, so the run is never two runs mixed in one file.
 * Real processes, released together for each of 20 run ids, for each file tracker.
 */
import assert from 'node:assert/strict';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { after, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { spawnInTest } from '../helpers/children.js';
import { gymnosInProcess } from '../helpers/in_process.js';
import { skipUnless } from '../helpers/prerequisite.js';
import { REPO } from '../helpers/project.js';

const CHILD = path.join(import.meta.dirname, 'fixtures', 'start_race.mjs');
const ROUNDS = 20;
const skip = skipUnless(existsSync(path.join(REPO, 'dist', 'index.js')), 'dist/ is not built: run npm run build');

class Racer {
  readonly process: ChildProcessWithoutNullStreams;
  stderr = '';
  readonly #lines: AsyncIterator<string>;

  constructor(t: TestContext, type: string, logdir: string, value: number) {
    this.process = spawnInTest(t, process.execPath, [CHILD, type, logdir, String(value)]);
    this.process.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.#lines = readline.createInterface({ input: this.process.stdout })[Symbol.asyncIterator]();
  }

  async next(): Promise<string> {
    const line = await this.#lines.next();
    if (line.done) throw new Error(`the racer ended early: ${this.stderr}`);
    return line.value;
  }
}

describe('two processes start the same run id at once', { skip, concurrency: true }, () => {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  for (const type of ['jsonl', 'csv', 'tensorboard']) {
    test(`${type}: one gets in, the other gets RUN_EXISTS; every run is one run`, async (t) => {
      const logdir = mkdtempSync(path.join(os.tmpdir(), `gymnos-race-${type}-`));
      dirs.push(logdir);
      const pair = [new Racer(t, type, logdir, 1), new Racer(t, type, logdir, 2)];
      for (const racer of pair) assert.equal(await racer.next(), 'ready', racer.stderr);
      for (let round = 0; round < ROUNDS; round++) {
        for (const racer of pair) racer.process.stdin.write(`go ${round}\n`);
        const answers = (await Promise.all(pair.map((racer) => racer.next()))).sort();
        assert.deepEqual(answers, ['RUN_EXISTS', 'started'], `round ${round}: ${pair.map((r) => r.stderr).join('')}`);
      }
      for (const racer of pair) racer.process.stdin.end();
      const listed = await gymnosInProcess(['runs', logdir, '--json', '--no-cache', '--metric', 'who'], { cwd: REPO });
      assert.equal(listed.status, 0, listed.stderr);
      const runs = (
        JSON.parse(listed.stdout) as { runs: { points: number; metrics: { who: { min: number; max: number } } }[] }
      ).runs;
      assert.equal(runs.length, ROUNDS);
      for (const run of runs) {
        assert.equal(run.points, 50, 'one process wrote it');
        assert.equal(run.metrics.who.min, run.metrics.who.max, 'one process wrote it');
      }
    });
  }
});
