/**
 * Small projects for the lint tests, written to temporary directories, and a runner for `gymnos lint`.
 * Each project has a real (empty) node_modules/, so that its caches are its own; the linters come from gymnos.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, REPO } from '../helpers/project.js';
import type { RunResult } from '../helpers/project.js';
import { skipUnless } from '../helpers/prerequisite.js';

const made: string[] = [];

export interface ProjectOptions {
  /** `git init` the project (files stay untracked, which git lists all the same). */
  git?: boolean;
  /** Create node_modules/ (where the caches go); default true. */
  nodeModules?: boolean;
}

/** A project with `files` (relative path -> content) and a package.json unless one is given. */
export function makeProject(files: Record<string, string>, options: ProjectOptions = {}): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'gymnos-lint-'));
  made.push(root);
  const manifest = `${JSON.stringify({ name: 'fixture', version: '1.0.0', type: 'module' }, null, 2)}\n`;
  const all = { 'package.json': manifest, ...files };
  for (const [file, content] of Object.entries(all)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  if (options.nodeModules !== false) mkdirSync(path.join(root, 'node_modules'), { recursive: true });
  if (options.git) {
    const result = spawnSync('git', ['init', '-q'], { cwd: root, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`git init failed: ${result.stderr}`);
  }
  return root;
}

export function removeLintProjects(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** True when the CLI bundle is built (CI builds before testing; see package.json "test"). */
export const CLI_BUILT = existsSync(path.join(REPO, 'dist', 'cli-bundle', 'main.js'));
export const SKIP_CLI = skipUnless(CLI_BUILT, 'the CLI is not built: run npm run build');

/** No color and no GitHub Actions variables (unless `env` sets them): undefined means removed. */
function plainOutput(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    NO_COLOR: '1',
    FORCE_COLOR: undefined,
    GITHUB_ACTIONS: undefined,
    GITHUB_STEP_SUMMARY: undefined,
    GITHUB_WORKSPACE: undefined,
    ...env,
  };
}

/** Runs the real CLI without a terminal, color or GitHub Actions variables (unless `env` sets them). */
export function lintCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): RunResult {
  const merged: NodeJS.ProcessEnv = { ...process.env, ...plainOutput(env) };
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  const result = spawnSync(process.execPath, [BIN, 'lint', ...args], { cwd, env: merged, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A line of exactly `length` columns of code, of a string, or of a comment. */
export function lineOf(kind: 'code' | 'string' | 'comment', length: number): string {
  switch (kind) {
    case 'code':
      return `export const ${'a'.repeat(length - 18)} = 1;`; // 13 + name + 5
    case 'string':
      return `export const text = '${'x'.repeat(length - 23)}';`; // 21 + text + 2
    case 'comment':
      return `// ${'c'.repeat(length - 3)}`;
  }
}

/**
 * Runs `gymnos lint <args>` in this process, through the CLI's own `main` from the sources, as if in `cwd`
 * (passed as --cwd): the same option parsing, engine, formatters and exit codes as the bin, without a cold
 * process loading ESLint, TypeScript and Prettier for every case. What is about processes (the cache replay
 * that loads no ESLint, a terminal, NODE_OPTIONS) stays with `lintCli`.
 *
 * `env` is set on process.env for the run. stdout and stderr are captured by wrapping their write(): text only,
 * since the test runner's own reports go through this process's stdout as binary chunks and must pass.
 */
export async function lintInProcess(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  const { main } = await import('../../src/cli/main.js');
  const overrides = plainOutput(env);
  const saved = Object.fromEntries(Object.keys(overrides).map((key) => [key, process.env[key]]));
  const restoreEnv = () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  const captured = { stdout: '', stderr: '' };
  const streams = { stdout: process.stdout, stderr: process.stderr } as const;
  const originals = { stdout: process.stdout.write, stderr: process.stderr.write };
  for (const name of ['stdout', 'stderr'] as const) {
    const original = originals[name];
    streams[name].write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]): boolean {
      if (typeof chunk !== 'string') return (original as (...a: unknown[]) => boolean).call(this, chunk, ...rest);
      captured[name] += chunk;
      const callback = rest.find((item) => typeof item === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    } as typeof original;
  }
  try {
    const status = await main(['lint', '--cwd', cwd, ...args]);
    return { status, ...captured };
  } finally {
    streams.stdout.write = originals.stdout;
    streams.stderr.write = originals.stderr;
    restoreEnv();
  }
}
