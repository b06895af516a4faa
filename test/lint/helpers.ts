/**
 * Small projects for the lint tests, written to temporary directories, and a runner for `gymnos lint`.
 * Each project has a real (empty) node_modules/, so that its caches are its own; the linters come from gymnos.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runChildSync } from '../helpers/children.js';
import { BIN, REPO } from '../helpers/project.js';
import type { RunResult } from '../helpers/project.js';
import { skipUnless } from '../helpers/prerequisite.js';
import { gymnosInProcess, PLAIN_OUTPUT } from '../helpers/in_process.js';

const made: string[] = [];

export interface ProjectOptions {
  /** `git init` the project (files stay untracked, which git lists all the same). */
  git?: boolean;
  /** Create node_modules/ (where the caches go); default true. */
  nodeModules?: boolean;
  /**
   * Put the project in `<tmp>/<dir>/project` instead of `<tmp>/<dir>`, so that a file named `../x` is in the
   * directory above it (a monorepo's shared config), which is the test's own.
   */
  nested?: boolean;
}

/** A project with `files` (relative path -> content) and a package.json unless one is given. */
export function makeProject(files: Record<string, string>, options: ProjectOptions = {}): string {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'gymnos-lint-'));
  made.push(directory);
  const root = options.nested ? path.join(directory, 'project') : directory;
  const manifest = `${JSON.stringify({ name: 'fixture', version: '1.0.0', type: 'module' }, null, 2)}\n`;
  const all = { 'package.json': manifest, ...files };
  for (const [file, content] of Object.entries(all)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  if (options.nodeModules !== false) mkdirSync(path.join(root, 'node_modules'), { recursive: true });
  if (options.git) {
    const result = runChildSync('git', ['init', '-q'], { cwd: root });
    if (result.status !== 0) throw new Error(`git init failed: ${result.stderr}`);
  }
  return root;
}

export function removeLintProjects(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** True when the CLI bundle is built (CI builds before testing; see package.json "test"). */
export const CLI_BUILT = existsSync(path.join(REPO, 'dist', 'cli-bundle', 'main.cjs'));
export const SKIP_CLI = skipUnless(CLI_BUILT, 'the CLI is not built: run npm run build');

/** Runs the real CLI without a terminal, color or GitHub Actions variables (unless `env` sets them). */
export function lintCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): RunResult {
  const merged: NodeJS.ProcessEnv = { ...process.env, ...PLAIN_OUTPUT, ...env };
  for (const key of Object.keys(merged)) if (merged[key] === undefined) delete merged[key];
  const result = runChildSync(process.execPath, [BIN, 'lint', ...args], { cwd, env: merged });
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
 * Runs `gymnos lint <args>` in this process (helpers/in_process.ts), where ESLint loads once for every case. What is
 * about processes (the cache replay that loads no ESLint, a terminal, NODE_OPTIONS) stays with `lintCli`.
 */
export function lintInProcess(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
  return gymnosInProcess(['lint', ...args], { cwd, env });
}
