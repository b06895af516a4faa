/**
 * Child processes of tests, bounded both ways: a test never waits forever on one, and never leaves one running.
 *
 * - `runChildSync` is spawnSync with a timeout: a child that hangs is killed (SIGKILL) and the call throws, naming
 *   the command. spawnSync blocks the event loop, so no test timeout could fire while it waits.
 * - `spawnInTest` ties a child to the test that started it: the child is killed (SIGKILL) when that test ends,
 *   however it ends (node:test runs `t.after` callbacks when a test passes, fails or times out), so a failed
 *   assertion before a test's own `kill()` leaves nothing behind that would keep the test process alive.
 *
 * Test files start children only through these (test/test_hygiene.test.ts checks it).
 */
import { spawn, spawnSync } from 'node:child_process';
import type {
  ChildProcess,
  ChildProcessWithoutNullStreams,
  SpawnOptions,
  SpawnOptionsWithoutStdio,
  SpawnSyncOptions,
  SpawnSyncReturns,
} from 'node:child_process';
import { once } from 'node:events';
import type { TestContext } from 'node:test';

/**
 * How long a child may run: long enough for what the slowest takes on a loaded two-core machine (a cold lint,
 * a `tsc` of a project: seconds), short enough that a hang fails its test in minutes.
 */
export const CHILD_TIMEOUT_MS = 3 * 60_000;

/** spawnSync, text in and out, killed after `timeout` (CHILD_TIMEOUT_MS unless given): then it throws. */
export function runChildSync(
  command: string,
  args: readonly string[],
  options: SpawnSyncOptions = {},
): SpawnSyncReturns<string> {
  const timeout = options.timeout ?? CHILD_TIMEOUT_MS;
  const result = spawnSync(command, args, { encoding: 'utf8', ...options, timeout, killSignal: 'SIGKILL' });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT') {
    throw new Error(
      `${[command, ...args].join(' ').slice(0, 300)} was still running after ${timeout / 1000} s: killed\n` +
        `stdout: ${String(result.stdout).slice(-2000)}\nstderr: ${String(result.stderr).slice(-2000)}`,
    );
  }
  return result as SpawnSyncReturns<string>;
}

/** spawn, the child killed (SIGKILL) when test `t` ends if it is still running then. */
export function spawnInTest(
  t: Pick<TestContext, 'after'>,
  command: string,
  args: readonly string[],
  options?: SpawnOptionsWithoutStdio,
): ChildProcessWithoutNullStreams;
export function spawnInTest(
  t: Pick<TestContext, 'after'>,
  command: string,
  args: readonly string[],
  options: SpawnOptions,
): ChildProcess;
export function spawnInTest(
  t: Pick<TestContext, 'after'>,
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): ChildProcess {
  const child = spawn(command, args, options);
  t.after(async () => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  });
  return child;
}
