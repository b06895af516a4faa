/**
 * Temporary copies of a project for CLI tests, and a runner for the real bin/gymnos.js.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isBuiltinTracker } from '../../src/registry/builtins.js';
import { runChildSync, spawnInTest } from './children.js';
import { TS_LOADER } from './ts_loader.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(REPO, 'bin', 'gymnos.js');

const made: string[] = [];

/**
 * A copy of this repository's project files (not dist, not tests) with node_modules linked in, as shipped:
 * trackers a user generated in this checkout (the quick start makes `my_tracker`) are left out, so tests that
 * create trackers behave the same on a fresh clone and after the quick start.
 */
export function copyOfRepository(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gymnos-project-'));
  for (const entry of ['package.json', 'tsconfig.json', 'tsconfig.build.json', '.prettierrc.json', 'src', 'var']) {
    cpSync(path.join(REPO, entry), path.join(dir, entry), { recursive: true });
  }
  const registryFile = path.join(dir, 'var', 'trackers.json');
  const registry = JSON.parse(readFileSync(registryFile, 'utf8')) as Record<string, string>;
  // The built-in trackers, and the registry's "$schema" for editors.
  const shipped = Object.entries(registry).filter(([name]) => name === '$schema' || isBuiltinTracker(name));
  const builtins = Object.fromEntries(shipped);
  writeFileSync(registryFile, JSON.stringify(builtins, null, 2) + '\n');
  for (const [name, target] of Object.entries(registry)) {
    if (!builtins[name]) rmSync(path.join(dir, 'src', target.replace(/\.js#.*$/, '.ts')), { force: true });
  }
  // What create-new recorded of those trackers.
  rmSync(path.join(dir, 'var', 'generated.json'), { force: true });
  symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  made.push(dir);
  return dir;
}

/** An empty npm project of someone else's (not the gymnos repository). */
export function emptyProject(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gymnos-empty-'));
  cpSync(path.join(REPO, '.prettierrc.json'), path.join(dir, '.prettierrc.json'));
  made.push(dir);
  return dir;
}

export function removeProjects(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real CLI without a terminal and without color, as CI does. */
export function gymnos(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): RunResult {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, ...options.env };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  const result = runChildSync(process.execPath, [BIN, ...args], { cwd: options.cwd, env });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The same, asynchronously, to run several at once; the child ends with test `t` at the latest. */
export function gymnosAsync(t: TestContext, args: string[], options: { cwd: string }): Promise<RunResult> {
  return new Promise((resolve) => {
    const env = { ...process.env, NO_COLOR: '1' };
    const child = spawnInTest(t, process.execPath, [BIN, ...args], { cwd: options.cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Every file under `dir` (but node_modules) with its content: compare two to prove nothing changed. */
export function snapshot(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (current: string) => {
    for (const name of readdirSync(current)) {
      if (name === 'node_modules') continue;
      const full = path.join(current, name);
      if (statSync(full).isDirectory()) walk(full);
      else files[path.relative(dir, full)] = readFileSync(full, 'utf8');
    }
  };
  walk(dir);
  return files;
}

/** Runs a command in `cwd`, returning its status and output. */
export function run(command: string, args: string[], cwd: string): RunResult {
  // Without NODE_TEST_CONTEXT, a nested `node --test` prints its own report instead of feeding ours.
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.NODE_TEST_CONTEXT;
  const result = runChildSync(command, args, { cwd, env });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Runs a generated tracker's test in `root` and asserts that it passes, with the TypeScript loader its project
 * runs tests with: tsx in a plugin project (`gymnos test`), and in a copy of this repository this repository's
 * test/loader, as `npm run test:tracker` there runs it (the copy holds no test/). The file is run directly, as
 * node:test allows (its tests run in that process); `node --test` would start a second process to run it. The
 * project's own `npm test` runs in test/e2e/journey.test.ts.
 */
export function assertGeneratedTestPasses(root: string, name: string, loader: 'tsx' | 'repository' = 'tsx'): void {
  const result = run(
    process.execPath,
    [...(loader === 'tsx' ? ['--import', 'tsx'] : TS_LOADER), '--test-reporter=tap', `test/trackers/${name}.test.ts`],
    root,
  );
  assert.equal(result.status, 0, result.stdout + result.stderr);
  assert.match(result.stdout, /# fail 0/);
  assert.match(result.stdout, /# pass [1-9]/);
}
