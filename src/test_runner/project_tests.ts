/**
 * A project's tests on Node's built-in runner, run the same way on Node 20.19 and on newer Node. Node 20's
 * `node --test` expands no globs and cannot import TypeScript, and shells expand `test/**` differently (sh
 * not recursively, Windows not at all), so the files are found here and passed by name, with the project's
 * own tsx as the loader.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { GymnosError } from '../registry/errors.js';

/** Where the tests are looked for when no path is given. */
export const DEFAULT_TEST_DIRECTORY = 'test';
export const TEST_FILE = /\.test\.(?:ts|mts|cts|js|mjs|cjs)$/;
const TYPESCRIPT_FILE = /\.(?:ts|mts|cts)$/;

/** Every test file under `dir`, sorted; node_modules and hidden directories are skipped. */
export function findTestFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.name !== 'node_modules' && !entry.name.startsWith('.'))
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return findTestFiles(full);
      return entry.isFile() && TEST_FILE.test(entry.name) ? [full] : [];
    })
    .sort();
}

/**
 * The test files to run: those under `root`/test by default (none when it does not exist), or those the
 * paths name (files as given, directories searched), relative to `base`. A path that exists not, or holds
 * no test file, is a GymnosError.
 */
export function collectTestFiles(root: string, paths: readonly string[], base: string): string[] {
  if (paths.length === 0) {
    const dir = path.join(root, DEFAULT_TEST_DIRECTORY);
    return existsSync(dir) && statSync(dir).isDirectory() ? findTestFiles(dir) : [];
  }
  const files = paths.flatMap((given) => {
    const full = path.resolve(base, given);
    if (!existsSync(full)) throw new GymnosError('TEST_PATH_MISSING', `${given} does not exist`);
    const found = statSync(full).isDirectory() ? findTestFiles(full) : [full];
    if (found.length === 0) throw new GymnosError('TEST_PATH_EMPTY', `no test files (*.test.ts) under ${given}`);
    return found;
  });
  return [...new Set(files)];
}

/** The file URL of the tsx loader installed in the project, or undefined. */
export function resolveTsxLoader(root: string): string | undefined {
  try {
    return pathToFileURL(createRequire(path.join(root, 'package.json')).resolve('tsx')).href;
  } catch {
    return undefined;
  }
}

export function needsTypeScriptLoader(files: readonly string[]): boolean {
  return files.some((file) => TYPESCRIPT_FILE.test(file));
}

export interface RunTestFilesOptions {
  root: string;
  files: readonly string[];
  /** The tsx loader's URL (resolveTsxLoader), or undefined to run without one. */
  loader: string | undefined;
  /** Options passed on to node, such as --test-name-pattern=loss. */
  nodeOptions?: readonly string[];
}

/**
 * Runs `node --test` on the files, in the project root, with the output on this process's terminal.
 * Resolves to the runner's exit code (130 when interrupted, 1 when killed otherwise).
 */
export function runTestFiles(options: RunTestFilesOptions): Promise<number> {
  const nodeOptions = options.nodeOptions ?? [];
  // Node 20 reports TAP when the output is not a terminal and newer Node reports spec: spec everywhere.
  const reporter = nodeOptions.some((option) => option.startsWith('--test-reporter')) ? [] : ['--test-reporter=spec'];
  const args = [
    ...(options.loader ? ['--import', options.loader] : []),
    '--test',
    ...reporter,
    ...nodeOptions,
    ...options.files.map((file) => path.relative(options.root, file)),
  ];
  // This runner reports to the terminal: a NODE_TEST_CONTEXT inherited from an enclosing `node --test` would make
  // the child talk the parent's binary protocol instead.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: options.root, stdio: 'inherit', env });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1)));
  });
}
