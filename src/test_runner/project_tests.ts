/**
 * A project's tests on Node's built-in runner, run the same way on Node 20.19 and on newer Node. Node 20's
 * `node --test` expands no globs and cannot import TypeScript, and shells expand `test/**` differently (sh
 * not recursively, Windows not at all), so the files are found here and passed by name, with the project's
 * own tsx as the loader.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GymnosError } from '../errors.js';
import { closestName } from '../util/closest.js';
import { readCatalog } from '../registry/project.js';
import { escaped, quoted } from '../util/display_text.js';

/** The variable that names the tracker tracker_conformance.ts tests. */
export const TRACKER_VARIABLE = 'GYMNOS_TEST_TRACKER';
/** Where the tests are looked for when no path is given. */
export const DEFAULT_TEST_DIRECTORY = 'test';
const TEST_FILE = /\.test\.(?:ts|mts|cts|js|mjs|cjs)$/;
const TYPESCRIPT_FILE = /\.(?:ts|mts|cts)$/;

/** Every test file under `dir`, sorted; node_modules and hidden directories are skipped. */
function findTestFiles(dir: string): string[] {
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
 * paths name (files as given, directories searched), relative to `base`. A path that exists not, lies outside
 * `root`/test, or holds no test file, is a GymnosError.
 */
export function collectTestFiles(root: string, paths: readonly string[], base: string): string[] {
  const testDirectory = path.join(root, DEFAULT_TEST_DIRECTORY);
  if (paths.length === 0) {
    return existsSync(testDirectory) && statSync(testDirectory).isDirectory() ? findTestFiles(testDirectory) : [];
  }
  const files = paths.flatMap((given) => {
    const full = path.resolve(base, given);
    const inside = path.relative(testDirectory, full);
    if (inside.startsWith('..') || path.isAbsolute(inside)) {
      throw new GymnosError(
        'TEST_PATH_OUTSIDE',
        `${given} is outside this project's tests (${DEFAULT_TEST_DIRECTORY}/); give a file or directory under it`,
      );
    }
    if (!existsSync(full)) throw new GymnosError('TEST_PATH_MISSING', `${given} does not exist`);
    const found = statSync(full).isDirectory() ? findTestFiles(full) : [full];
    if (found.length === 0)
      throw new GymnosError('TEST_PATH_EMPTY', `no test files (*.test.ts) under ${given}`, {
        details: { path: given },
      });
    return found;
  });
  return [...new Set(files)];
}

/**
 * The problem with the options meant for node, or undefined. Node itself is asked (`node <options> --version`
 * checks them and runs nothing), so every option of the running Node is accepted and no other: an unknown one
 * would otherwise end the run with node's own "bad option" and exit 9.
 */
export function nodeOptionsProblem(options: readonly string[]): string | undefined {
  if (options.length === 0) return undefined;
  const probe = spawnSync(process.execPath, [...options, '--version'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.status !== 9) return undefined;
  const said = probe.stderr.trim().split('\n')[0] ?? '';
  const unknown = /bad option: (\S+)/.exec(said);
  if (unknown) {
    return (
      `unknown option ${unknown[1]}: neither gymnos test's (--cwd, --tracker) nor node's; ` +
      'node options go on as --option=value (e.g. --test-name-pattern=loss)'
    );
  }
  const needsValue = /(--\S+) requires an argument/.exec(said);
  if (needsValue) return `${needsValue[1]} needs a value: write ${needsValue[1]}=<value>`;
  return undefined;
}

/** The test files of `gymnos test --tracker <name>`, and the environment they run with. */
export interface TrackerTestRun {
  files: string[];
  env: Record<string, string>;
}

/**
 * The tracker's own test (test/trackers/<name>.test.ts, when it exists) and the conformance kit against it,
 * unless that test already runs the kit. A name that is not registered is a GymnosError.
 */
export function trackerTestRun(root: string, name: string): TrackerTestRun {
  const catalog = readCatalog({ root });
  if (!catalog.entries.has(name)) {
    const names = [...catalog.entries.keys()];
    // As load() says it: the closest registered name (my-tracker -> my_tracker).
    const guess = closestName(name, names);
    throw new GymnosError(
      'TEST_TRACKER_UNKNOWN',
      `no tracker ${quoted(name)} is registered here; ` +
        `${guess ? `did you mean ${quoted(guess)}? ` : ''}registered: ${names.map(escaped).join(', ')}`,
      { details: { name, ...(guess ? { closest: guess } : {}) } },
    );
  }
  const own = path.join(root, DEFAULT_TEST_DIRECTORY, 'trackers', `${name}.test.ts`);
  const files = existsSync(own) ? [own] : [];
  const kit = files.length === 0 || !readFileSync(own, 'utf8').includes('describeTrackerConformance(');
  if (kit) files.push(conformanceTestFile());
  return { files, env: { [TRACKER_VARIABLE]: name } };
}

/**
 * gymnos's conformance test file, beside this module: the TypeScript source when gymnos runs from src/, else the
 * build (dist/test_runner/; the CLI bundle in dist/cli-bundle/ names it there).
 */
function conformanceTestFile(): string {
  if (import.meta.url.endsWith('.ts')) return fileURLToPath(new URL('./tracker_conformance.ts', import.meta.url));
  // dist/test_runner/ or dist/cli-bundle/: either way one level below dist/.
  const dist = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
  return path.join(dist, 'test_runner', 'tracker_conformance.js');
}

export function needsTypeScriptLoader(files: readonly string[]): boolean {
  return files.some((file) => TYPESCRIPT_FILE.test(file));
}

interface RunTestFilesOptions {
  root: string;
  files: readonly string[];
  /** The tsx loader's URL (resolveTsxLoader), or undefined to run without one. */
  loader: string | undefined;
  /** Options passed on to node, such as --test-name-pattern=loss. */
  nodeOptions?: readonly string[];
  /** Variables added to the environment of the tests. */
  env?: Readonly<Record<string, string>>;
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
    ...options.files.map((file) => displayFile(options.root, file)),
  ];
  // This runner reports to the terminal: a NODE_TEST_CONTEXT inherited from an enclosing `node --test` would make
  // the child talk the parent's binary protocol instead.
  const env = { ...process.env, ...options.env };
  delete env.NODE_TEST_CONTEXT;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: options.root, stdio: 'inherit', env });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1)));
  });
}

/** A file relative to the project when inside it (the runner's report names it so), else absolute. */
function displayFile(root: string, file: string): string {
  const relative = path.relative(root, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}
