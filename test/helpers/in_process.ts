/**
 * `gymnos <args>` run in this process, through the CLI's own `main` from the sources, as if started in `cwd`
 * without a terminal and without color, as CI runs it: the same option parsing, commands, output and exit codes as
 * bin/gymnos.js (a thin shim that passes main's code on), without a cold process per case. ESLint, Prettier and
 * the template engine load once per test file instead of once per command.
 *
 * What is about processes stays with the real bin (`gymnos` in project.ts): its exit code as the shell sees it,
 * color from NO_COLOR and FORCE_COLOR, a terminal, signals, a closed pipe, NODE_OPTIONS, several processes at once,
 * what a run loads, and commands that import the project's own code (`list` registers the project's tsx) or pass
 * their terminal on to a child (`gymnos test` running tests).
 *
 * For the run: the process's current directory is `cwd`; process.env holds `env` (undefined removes a variable)
 * over no color and no GitHub Actions variables; stdout and stdin are no terminal; what is written to stdout and
 * stderr as text, through the streams or with fs.writeSync, is captured. The test runner's own reports go through
 * stdout as binary chunks and pass on. Runs are queued, one at a time, since the directory and the environment are
 * the process's.
 */
import chalk from 'chalk';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import tty from 'node:tty';
import type { RunResult } from './project.js';

/** What a run sets in process.env (before `env`): no color, no GitHub Actions. */
export const PLAIN_OUTPUT: Readonly<NodeJS.ProcessEnv> = {
  NO_COLOR: '1',
  FORCE_COLOR: undefined,
  GITHUB_ACTIONS: undefined,
  GITHUB_STEP_SUMMARY: undefined,
  GITHUB_WORKSPACE: undefined,
};

let queue: Promise<unknown> = Promise.resolve();

export function gymnosInProcess(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
  const result = queue.then(() => runOnce(args, options.cwd, { ...PLAIN_OUTPUT, ...options.env }));
  queue = result.catch(() => undefined);
  return result;
}

/** Sets `values` on `target` (undefined deletes) and returns what puts the old values back. */
function override<T extends object>(target: T, values: Record<string, unknown>): () => void {
  const saved = Object.keys(values).map((key) => [key, Object.getOwnPropertyDescriptor(target, key)] as const);
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined) Reflect.deleteProperty(target, key);
    else Object.defineProperty(target, key, { value, configurable: true, enumerable: true, writable: true });
  }
  return () => {
    for (const [key, descriptor] of saved) {
      if (descriptor) Object.defineProperty(target, key, descriptor);
      else Reflect.deleteProperty(target, key);
    }
  };
}

async function runOnce(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  const { main } = await import('../../src/cli/main.js');
  const captured = { stdout: '', stderr: '' };
  const restores: (() => void)[] = [];
  const directory = process.cwd();
  const level = chalk.level;
  const exitCode = process.exitCode;
  try {
    // process.env takes strings only: defineProperty would store anything, and assignment converts.
    const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]));
    for (const [key, value] of Object.entries(env)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    restores.push(() => {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    });
    process.chdir(cwd);
    chalk.level = 0;
    restores.push(override(process.stdout, { isTTY: false }), override(process.stdin, { isTTY: false }));
    // The CLI writes to a pipe or a file with fs.writeSync, and asks tty.isatty whether a descriptor is a
    // terminal (src/cli/stdio.ts): both are answered here, and put back after the run.
    const { writeSync } = fs;
    const { isatty } = tty;
    fs.writeSync = function (fd: number, data: unknown, ...rest: unknown[]): number {
      if ((fd === 1 || fd === 2) && typeof data === 'string') {
        captured[fd === 1 ? 'stdout' : 'stderr'] += data;
        return Buffer.byteLength(data);
      }
      return (writeSync as (...a: unknown[]) => number).call(fs, fd, data, ...rest);
    } as typeof writeSync;
    tty.isatty = (fd: number) => fd > 2 && isatty(fd);
    syncBuiltinESMExports();
    restores.push(() => {
      fs.writeSync = writeSync;
      tty.isatty = isatty;
      syncBuiltinESMExports();
    });
    for (const name of ['stdout', 'stderr'] as const) {
      const stream = process[name];
      const original = stream.write;
      stream.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
        if (typeof chunk !== 'string') return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
        captured[name] += chunk;
        (rest.find((item) => typeof item === 'function') as (() => void) | undefined)?.();
        return true;
      } as typeof original;
      restores.push(() => (stream.write = original));
    }
    const status = await main(args);
    return { status, ...captured };
  } finally {
    for (const restore of restores.reverse()) restore();
    process.chdir(directory);
    chalk.level = level;
    process.exitCode = exitCode;
  }
}
