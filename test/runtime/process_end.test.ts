/**
 * A tracker that was never ended still writes what it holds when the process ends: on exit, an uncaught
 * exception, an unhandled rejection, SIGINT and SIGTERM; and the process then ends as it would have without
 * gymnos (killed by the signal, or as the program's own handler decides). Real child processes, real signals.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { spawnInTest } from '../helpers/children.js';
import { skipUnless } from '../helpers/prerequisite.js';
import { REPO } from '../helpers/project.js';

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'log_and_wait.mjs');
const NOT_BUILT = skipUnless(existsSync(path.join(REPO, 'dist', 'index.js')), 'dist/ is not built: run npm run build');
const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  logdir: string;
}

/** The trackers each child runs side by side, each in a logdir of its own. */
const TYPES = ['jsonl', 'csv'] as const;

/** Runs the fixture (for test `t`); once it says "logged", sends `signal` (if any); resolves when it has ended. */
function run(t: TestContext, mode: string, signal?: NodeJS.Signals): Promise<Ended> {
  const logdir = mkdtempSync(path.join(os.tmpdir(), 'gymnos-process-end-'));
  dirs.push(logdir);
  const child = spawnInTest(t, process.execPath, [FIXTURE, TYPES.join(','), logdir, mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (signal && stdout.includes('logged\n')) child.kill(signal);
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) =>
    child.on('close', (code, got) => resolve({ code, signal: got, stdout, stderr, logdir })),
  );
}

function metricsWritten(type: string, logdir: string): number {
  const file = path.join(logdir, type, 'run', type === 'csv' ? 'metrics.csv' : 'events.jsonl');
  if (!existsSync(file)) return 0;
  const lines = readFileSync(file, 'utf8').split('\n');
  return type === 'csv'
    ? lines.filter((line) => /^\d+,loss,/.test(line)).length
    : lines.filter((line) => line.includes('"kind":"metric"')).length;
}

function params(type: string, logdir: string): unknown {
  const file = path.join(logdir, type, 'run', 'params.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
}

/** Every tracker of the child wrote its 1000 metrics (and, with `withParams`, its params). */
function assertAllWritten(ended: Ended, withParams = true): void {
  for (const type of TYPES) {
    assert.equal(metricsWritten(type, ended.logdir), 1000, `${type}: ${ended.stderr}`);
    if (withParams) assert.deepEqual(params(type, ended.logdir), { lr: 0.1 }, type);
  }
}

describe(
  `${TYPES.join(' and ')}: what was logged survives the end of the process`,
  { concurrency: true, skip: NOT_BUILT },
  () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      test(`${signal}: every metric and the params are written, and the process dies of ${signal}`, async (t) => {
        const ended = await run(t, 'wait', signal);
        assert.equal(ended.signal, signal, ended.stderr);
        assertAllWritten(ended);
      });
    }

    test("the program's own SIGTERM handler still runs and decides the exit", async (t) => {
      const ended = await run(t, 'handler', 'SIGTERM');
      assert.equal(ended.code, 7, ended.stderr);
      assert.match(ended.stdout, /user handler/);
      assertAllWritten(ended, false);
    });

    for (const mode of ['throw', 'reject']) {
      test(`an uncaught ${mode === 'throw' ? 'exception' : 'rejection'}: everything is written, exit 1`, async (t) => {
        const ended = await run(t, mode);
        assert.equal(ended.code, 1);
        assert.match(ended.stderr, /training crashed/);
        assertAllWritten(ended);
      });
    }

    test('after end(), no listener of gymnos is left on the process', async (t) => {
      const ended = await run(t, 'ended');
      assert.equal(ended.code, 0, ended.stderr);
      assert.match(ended.stdout, /listeners 0 0 0/);
    });
  },
);
