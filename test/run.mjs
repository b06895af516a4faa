#!/usr/bin/env node
// Runs the test suite on Node's built-in runner (node 20 has no glob support in --test), found by directory:
//   node test/run.mjs            the default tier: every *.test.ts under test/ but test/e2e/
//   node test/run.mjs --e2e      the end-to-end tier: every *.test.ts under test/e2e/ (a packed install, a browser)
//   node test/run.mjs <paths>    the files and directories given, whichever tier they belong to
//   node test/run.mjs --tracker <name>   one tracker: test/trackers/<name>.test.ts and the conformance kit on it
//                                (src/test_runner/tracker_conformance.ts, unless that test already runs the kit)
// Other --options go on to node (e.g. --test-name-pattern=conformance). TypeScript runs through
// test/loader/register.mjs (see hooks.mjs for why not tsx), and as many processes run at once as there are cores:
// node 20's default is one fewer, which is one at a time on two cores.
//
// Nothing can hang the suite: every test and hook has a timeout (test/loader/timeouts.mjs: TEST_TIMEOUT_MS unless it
// sets its own), every child a test starts ends with its test (test/helpers/children.ts), and a process still
// running after PROCESS_TIMEOUT_MS is killed by the runner (--test-timeout, which node 20 applies to each file's
// process, not to the tests in it). Both are generous: they stop a hang, not a slow machine.
//
// Nor can the terminal change a result: the test processes run without FORCE_COLOR (which node's runner sets when its
// output is a colour terminal) and NO_COLOR (test/loader/environment.mjs).
//
// The test files of one directory share a process (node 20's runner has no --test-isolation=none): a process costs
// about half a second of CPU before its first test, and the files of a directory load the same modules (ESLint for
// test/lint, the CLI for test/cli), which one process loads once. The files alone in their directory share one
// more. Their tests run one after another, as in a process of their own. A file that needs a process of its own (it
// changes process-wide state and cannot put it back) says so on a line of its own near the top:
// `// test-isolation: process`.
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const E2E = path.join(root, 'test', 'e2e');
const args = process.argv.slice(2);
const trackerAt = args.indexOf('--tracker');
const tracker = trackerAt >= 0 ? args.splice(trackerAt, 2)[1] : undefined;
const e2e = args.includes('--e2e');
const flags = args.filter((arg) => arg.startsWith('--') && arg !== '--e2e');
const targets = args.filter((arg) => !arg.startsWith('--'));

/** The files of `--tracker <name>`, as `gymnos test --tracker` picks them in a plugin project. */
function trackerFiles(name) {
  const registry = JSON.parse(readFileSync(path.join(root, 'var', 'trackers.json'), 'utf8'));
  delete registry.$schema; // the registry's JSON Schema, for editors: no tracker
  if (!name || !Object.hasOwn(registry, name)) {
    console.error(
      `test/run.mjs: no tracker "${name ?? ''}" in var/trackers.json; registered: ${Object.keys(registry).join(', ')}`,
    );
    process.exit(2);
  }
  const own = path.join(root, 'test', 'trackers', `${name}.test.ts`);
  const files = existsSync(own) ? [own] : [];
  if (files.length === 0 || !readFileSync(own, 'utf8').includes('describeTrackerConformance(')) {
    files.push(path.join(root, 'src', 'test_runner', 'tracker_conformance.ts'));
  }
  return files;
}

function collect(entry) {
  if (statSync(entry).isFile()) return [path.resolve(entry)];
  return readdirSync(entry, { withFileTypes: true })
    .filter((dirent) => dirent.name !== 'fixtures' && dirent.name !== 'node_modules')
    .flatMap((dirent) => {
      const full = path.resolve(entry, dirent.name);
      if (dirent.isDirectory()) return collect(full);
      return dirent.name.endsWith('.test.ts') ? [full] : [];
    });
}

const inE2e = (file) => file.startsWith(E2E + path.sep);
let files;
if (trackerAt >= 0) files = trackerFiles(tracker);
else if (targets.length > 0) files = targets.flatMap((target) => collect(target));
else if (e2e) files = collect(E2E);
else files = collect(path.join(root, 'test')).filter((file) => !inE2e(file));
files = [...new Set(files)].sort();
if (files.length === 0) {
  console.error(`test/run.mjs: no *.test.ts files under ${targets.join(', ') || (e2e ? 'test/e2e' : 'test')}`);
  process.exit(2);
}

const GROUPS = path.join(root, 'node_modules', '.cache', 'gymnos-test-groups');
const ISOLATED = /^\/\/ test-isolation: process$/m;

/** Writes the entry of a group: a module that imports its files in order. */
function groupEntry(name, label, members) {
  const entry = path.join(GROUPS, `${name}.test.mjs`);
  const imports = members.map((file) => `import ${JSON.stringify(pathToFileURL(file).href)};\n`).join('');
  // Written aside and renamed: another run may be writing the same entry.
  mkdirSync(GROUPS, { recursive: true });
  const temporary = `${entry}.${process.pid}`;
  writeFileSync(temporary, `// ${label}: ${members.length} test files in one process\n${imports}`);
  renameSync(temporary, entry);
  return entry;
}

/**
 * What node --test runs: one entry per directory (node_modules/.cache/gymnos-test-groups/<dir>.test.mjs) that
 * imports its files in order; the files that are alone in their directory share one more entry; a file that asks
 * for a process of its own, or is the only one to run, is run as it is.
 */
function processes(testFiles) {
  const byDirectory = new Map();
  const alone = [];
  for (const file of testFiles) {
    // The end-to-end files take minutes each: a process each, side by side, costs nothing that matters there.
    if (inE2e(file) || ISOLATED.test(readFileSync(file, 'utf8').slice(0, 4000))) alone.push(file);
    else byDirectory.set(path.dirname(file), [...(byDirectory.get(path.dirname(file)) ?? []), file]);
  }
  const entries = [];
  const single = [];
  for (const [directory, members] of byDirectory) {
    if (members.length === 1) single.push(members[0]);
    else {
      const name = path.relative(root, directory).split(path.sep).join('-') || 'root';
      entries.push(groupEntry(name, path.relative(root, directory), members));
    }
  }
  if (single.length === 1) alone.push(single[0]);
  else if (single.length > 1) entries.push(groupEntry('test-single', 'the files alone in their directory', single));
  return [...entries, ...alone].sort();
}

const concurrency = flags.some((flag) => flag.startsWith('--test-concurrency'))
  ? []
  : [`--test-concurrency=${Math.max(2, os.availableParallelism())}`];
const reporter = flags.some((flag) => flag.startsWith('--test-reporter')) ? [] : ['--test-reporter=spec'];
const endToEnd = files.some(inE2e);
const TEST_TIMEOUT_MS = (endToEnd ? 20 : 2) * 60_000;
const PROCESS_TIMEOUT_MS = (endToEnd ? 60 : 30) * 60_000;
const timeout = flags.some((flag) => flag.startsWith('--test-timeout')) ? [] : [`--test-timeout=${PROCESS_TIMEOUT_MS}`];
const loader = (name) => ['--import', pathToFileURL(path.join(root, 'test', 'loader', name)).href];
// The test processes' temporary directory, one for the run, removed when it ends: a test that leaves its temporary
// files behind (killed by its timeout, or careless) leaves nothing in the machine's.
const scratch = mkdtempSync(path.join(os.tmpdir(), 'gymnos-test-'));
const env = { GYMNOS_TEST_TIMEOUT_MS: String(TEST_TIMEOUT_MS), ...process.env, TMPDIR: scratch };
if (tracker) env.GYMNOS_TEST_TRACKER = tracker;
const child = spawn(
  process.execPath,
  [
    ...loader('register.mjs'),
    ...loader('timeouts.mjs'),
    ...loader('environment.mjs'),
    '--enable-source-maps',
    '--test',
    ...reporter,
    ...concurrency,
    ...timeout,
    ...flags,
    ...processes(files),
  ],
  { stdio: 'inherit', cwd: root, env },
);
// A runner stopped by a signal stops its test processes with it (a terminal's Ctrl-C reaches them already).
for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
process.on('SIGINT', () => {});
child.on('exit', (code, signal) => {
  rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  process.exit(code ?? (signal ? 128 + os.constants.signals[signal] : 1));
});
