#!/usr/bin/env node
// `npm run test:mutation`: mutation testing (StrykerJS) of the modules that carry gymnos's guarantees, one area at a
// time, each mutant run against that area's own test files through Stryker's TAP runner. Not part of `npm test`:
// a full run takes hours on two cores (bench/README.md has the figures).
//
//   npm run test:mutation                          every area
//   npm run test:mutation -- kit number-format     the areas named
//   npm run test:mutation -- src/util/atomic_write.ts   the files given (each in the area that lists it): each
//                                                  file's results replace (or add) its entry in the area's last
//                                                  report, so an area too slow to run whole is scored file by file
//   npm run test:mutation -- src/util/file_lock.ts:100-130,160   those lines only: their mutants' results replace the
//                                                  same mutants' in the area's last report (same source), so a
//                                                  test added for a few survivors is checked in minutes
//   npm run test:mutation -- --since main          the areas' files changed since main (committed or not); an area
//                                                  whose test files changed is run whole
//   --concurrency <n>   test processes side by side (default 2)      --list   the areas, their files and tests
//   --reported          no run: the scores and survivors of the areas' last reports (after equivalent.mjs changed)
//
// Prints each area's score and every surviving mutant by file:line, with what was changed; writes Stryker's JSON
// report to reports/mutation/<area>.json (and each survivor, as soon as it is known, to <area>.live.txt beside it).
// A survivor listed in test/mutation/equivalent.mjs (a mutant no test can tell from the original) is shown apart and
// left out of the score: score = killed (or timed out) / (killed + timed out + survived + not covered), over the
// non-equivalent mutants. Exits 1 when the score is under 90 %.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EQUIVALENT } from './equivalent.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const REPORTS = path.join(root, 'reports', 'mutation');
const TARGET = 90;

/**
 * The guarantee modules, by area: what is mutated (globs over existing files, so modules that move keep being
 * found) and the test files that prove them. `build`: the tests run the built CLI, so the sandbox's dist/ is built
 * from the mutated sources.
 */
const AREAS = {
  'atomic-write': { mutate: ['src/util/atomic_write.ts'], tests: ['test/util/atomic_write.test.ts'] },
  'file-lock': { mutate: ['src/util/file_lock.ts'], tests: ['test/util/file_lock.test.ts'] },
  'create-new': {
    mutate: [
      'src/scaffold/journal.ts',
      'src/scaffold/commit.ts',
      'src/scaffold/commit_*.ts',
      'src/scaffold/transaction.ts',
      'src/scaffold/registry_lock.ts',
    ],
    // Fastest first: a mutant runs the files that reach it in this order, and stops at the first that kills it.
    tests: [
      'test/scaffold/commit_points.test.ts',
      'test/scaffold/journal.test.ts',
      'test/scaffold/commit_rules.test.ts',
      'test/scaffold/commit.test.ts',
      'test/cli/create_new_faults.test.ts',
    ],
    build: true,
  },
  // The mlflow tracker's durable delivery: the spool on disk, the backend-neutral delivery layer, `gymnos sync`.
  delivery: {
    mutate: [
      'src/trackers/remote/spool.ts',
      'src/trackers/remote/delivery.ts',
      'src/trackers/remote/delivery_core.ts',
      'src/trackers/remote/session_spool.ts',
      'src/trackers/remote/request_step.ts',
      'src/trackers/remote/outcomes.ts',
      'src/trackers/remote/to_spool.ts',
      'src/trackers/remote/drain.ts',
      'src/trackers/remote/delivery_report.ts',
      'src/trackers/remote/sync.ts',
      'src/trackers/remote/queue.ts',
      'src/trackers/remote/ledger.ts',
      'src/trackers/remote/states.ts',
      'src/trackers/mlflow/delivery.ts',
      'src/trackers/mlflow/sync.ts',
    ],
    // Fastest first: a mutant runs the files that reach it in this order, and stops at the first that kills it.
    tests: [
      'test/trackers/remote_sync.test.ts',
      'test/trackers/remote_delivery.test.ts',
      'test/trackers/remote_spool.test.ts',
      'test/trackers/mlflow_parts.test.ts',
      'test/trackers/mlflow_reliability.test.ts',
      'test/trackers/mlflow.test.ts',
      'test/cli/sync.test.ts',
      'test/trackers/mlflow_faults.test.ts',
    ],
    build: true,
  },
  'lint-fingerprint': {
    mutate: ['src/lint/fingerprint.ts'],
    tests: ['test/lint/engine.test.ts', 'test/lint/cache_exact.test.ts'],
  },
  'report-html': {
    mutate: ['src/report/html.ts'],
    tests: ['test/report/report_html.test.ts', 'test/report/report_escaping.test.ts', 'test/report/report_cli.test.ts'],
    build: true,
  },
  kit: { mutate: ['src/testing/*.ts'], tests: ['test/testing/compare.test.ts', 'test/testing/kit.test.ts'] },
  'number-format': {
    mutate: ['src/runs/number_format.ts', 'src/runtime/number_text.ts'],
    tests: ['test/runs/number_format.test.ts', 'test/runtime/number_text.test.ts', 'test/trackers/numbers.test.ts'],
  },
};

function usage(message) {
  console.error(`test/mutation/run.mjs: ${message}`);
  process.exit(2);
}

function parseArguments(argv) {
  const options = { since: undefined, concurrency: 2, list: false, reported: false, targets: [] };
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index];
    if (argument === '--since') options.since = argv[++index] ?? usage('--since needs a git ref, e.g. --since main');
    else if (argument === '--concurrency') options.concurrency = Number(argv[++index]);
    else if (argument === '--list') options.list = true;
    else if (argument === '--reported') options.reported = true;
    else if (argument.startsWith('--')) usage(`unknown option ${argument}; see the comment at the top of this file`);
    else options.targets.push(argument);
  }
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1) usage('--concurrency needs a whole number');
  return options;
}

/** The files a glob of AREAS names, among the repository's files (git ls-files, plus new files not ignored). */
function matching(globs, files) {
  const patterns = globs.map((glob) => new RegExp(`^${glob.replace(/[.]/g, '\\.').replace(/\*/g, '[^/]*')}$`));
  return files.filter((file) => patterns.some((pattern) => pattern.test(file)));
}

function git(...args) {
  const result = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) usage(`git ${args.join(' ')} failed: ${result.stderr.trim()}`);
  return result.stdout.split('\n').filter(Boolean);
}

/** Each area to run, with the files it mutates. */
function plan(options) {
  const files = git('ls-files', '--cached', '--others', '--exclude-standard').filter((file) => existsSync(file));
  const areas = Object.entries(AREAS).map(([name, area]) => {
    const all = matching(area.mutate, files);
    return { name, ...area, files: all, all };
  });
  if (options.since) {
    const changed = new Set(git('diff', '--name-only', options.since, '--'));
    for (const file of git('ls-files', '--others', '--exclude-standard')) changed.add(file);
    return areas
      .map((area) =>
        area.tests.some((test) => changed.has(test))
          ? area
          : { ...area, files: area.files.filter((file) => changed.has(file)), partial: true },
      )
      .filter((area) => area.files.length > 0);
  }
  if (options.targets.length === 0) return areas;
  // Files (or lines) of one area are mutated in one run, which merges its results into the area's last report.
  const chosen = new Map();
  for (const target of options.targets) {
    const byName = areas.find((area) => area.name === target);
    if (byName) {
      chosen.set(byName.name, byName);
      continue;
    }
    const [, name, lines] = /^(.*?)(?::(\d+(?:-\d+)?(?:,\d+(?:-\d+)?)*))?$/.exec(target);
    const file = path.relative(root, path.resolve(name)).split(path.sep).join('/');
    const holder = areas.find((area) => area.files.includes(file));
    if (!holder) usage(`${target} is neither an area (${Object.keys(AREAS).join(', ')}) nor a file one mutates`);
    // Stryker reads a line range only: one line is N-N (a bare N matched nothing, and the run mutated nothing).
    const ranges = lines?.split(',').map((range) => (range.includes('-') ? range : `${range}-${range}`));
    const files = ranges ? ranges.map((range) => `${file}:${range}`) : [file];
    const known = chosen.get(holder.name);
    if (known?.partial) known.files.push(...files);
    else if (!known) chosen.set(holder.name, { ...holder, files, partial: true });
  }
  return [...chosen.values()];
}

/** Stryker's configuration for one area. */
function strykerConfig(area, options) {
  return {
    testRunner: 'tap',
    plugins: ['@stryker-mutator/tap-runner', path.join(root, 'test', 'mutation', 'live_reporter.mjs')],
    tap: {
      testFiles: area.tests,
      nodeArgs: [
        '-r',
        './test/mutation/child_coverage.cjs',
        '-r',
        '{{hookFile}}',
        '--import',
        './test/loader/register.mjs',
        '--import',
        './test/loader/timeouts.mjs',
        '--test-reporter=tap',
        // The file's tests in a child of their own, which reports to this process in node:test's binary protocol: a
        // test that runs the CLI in process (test/helpers/in_process.ts) captures the text written to stdout
        // meanwhile, and took the TAP lines with it, failures included (a failed report test read as a pass, its
        // mutant as a survivor). child_coverage.cjs brings the child's coverage back.
        '--test',
      ],
      // Never cut a test file short: its finally blocks end the processes it started.
      forceBail: false,
    },
    mutate: area.files,
    coverageAnalysis: 'perTest',
    concurrency: options.concurrency,
    // Generous: the machine is shared; a mutant that makes a test hang is caught by the timeout all the same.
    timeoutMS: 60_000,
    timeoutFactor: 2,
    buildCommand: area.build ? 'node test/mutation/build_sandbox.mjs' : undefined,
    reporters: ['json', 'progress-append-only', 'live'],
    jsonReporter: { fileName: path.join('reports', 'mutation', `${area.name}${area.partial ? '.partial' : ''}.json`) },
    tempDirName: path.join('.stryker-tmp', area.name),
    cleanTempDir: true,
    // .stryker-tmp: another area's run going on side by side (its sandbox is not this one's source).
    ignorePatterns: ['dist', 'coverage', 'bench', 'reports', '.stryker-tmp', '.venv-test', '.gymnos-cache', '*.tgz'],
    fileLogLevel: 'off',
    allowConsoleColors: false,
  };
}

/** The source text a mutant replaced (its location is 1-based lines, 1-based columns). */
function originalText(source, { start, end }) {
  const lines = source.split('\n');
  if (start.line === end.line) return lines[start.line - 1].slice(start.column - 1, end.column - 1);
  return [
    lines[start.line - 1].slice(start.column - 1),
    ...lines.slice(start.line, end.line - 1),
    lines[end.line - 1].slice(0, end.column - 1),
  ].join('\n');
}

/** The offset in `source` of a 1-based line and column. */
function offsetOf(source, { line, column }) {
  let offset = 0;
  for (let at = 1; at < line; at++) offset = source.indexOf('\n', offset) + 1;
  return offset + column - 1;
}

/**
 * Whether an entry's `at` (source text with the mutated part between « and ») names this very mutant: the text
 * occurs in the source with the marked part exactly where the mutant is. For mutants whose text alone is ambiguous
 * (a `true` among several on one line).
 */
function isAt(known, source, mutant) {
  if (known.at === undefined) return true;
  const before = known.at.indexOf('«');
  const text = known.at.replace('«', '').replace('»', '');
  const start = offsetOf(source, mutant.location.start);
  for (let found = source.indexOf(text); found !== -1; found = source.indexOf(text, found + 1)) {
    if (found + before === start) return true;
  }
  return false;
}

function isEquivalent(file, source, mutant, original) {
  return EQUIVALENT.find(
    (known) =>
      known.file === file &&
      known.mutator === mutant.mutatorName &&
      known.original === original &&
      known.replacement === mutant.replacement &&
      isAt(known, source, mutant),
  );
}

const oneLine = (text) => (text.length > 70 ? `${text.slice(0, 67)}...` : text).replace(/\s*\n\s*/g, ' ');

/** A mutant's place and change: the same mutant in two reports of the same source. */
const mutantKey = (mutant) =>
  `${mutant.location.start.line}:${mutant.location.start.column}:${mutant.mutatorName}:${mutant.replacement}`;

/**
 * Puts the results of a run of some of an area's files into the area's last report, so that an area too slow to run
 * whole is scored file by file: a file mutated whole replaces (or adds) its entry; a file narrowed to some lines has
 * each mutant it ran replace the same mutant there, which needs the same source (else: run the file whole).
 */
function mergePartial(area) {
  const fullFile = path.join(REPORTS, `${area.name}.json`);
  const partial = JSON.parse(readFileSync(path.join(REPORTS, `${area.name}.partial.json`), 'utf8'));
  if (Object.values(partial.files).every((file) => file.mutants.length === 0)) {
    usage(`no mutant in ${area.files.join(' ')}: nothing was run`);
  }
  const full = existsSync(fullFile) ? JSON.parse(readFileSync(fullFile, 'utf8')) : { ...partial, files: {} };
  const narrowed = new Set(area.files.filter((file) => file.includes(':')).map((file) => file.split(':')[0]));
  for (const [file, result] of Object.entries(partial.files)) {
    const known = full.files[file];
    if (!narrowed.has(file)) {
      full.files[file] = result;
      continue;
    }
    if (!known || known.source !== result.source) {
      usage(`${file} changed since the last report of ${area.name} (or is not in it): run the file whole`);
    }
    const ran = new Map(result.mutants.map((mutant) => [mutantKey(mutant), mutant]));
    known.mutants = known.mutants.map((mutant) => ran.get(mutantKey(mutant)) ?? mutant);
  }
  writeFileSync(fullFile, JSON.stringify(full));
  return full;
}

/** Reads an area's JSON report: counts, survivors and equivalents. */
function summarize(area) {
  const report =
    area.partial && !options.reported
      ? mergePartial(area)
      : JSON.parse(readFileSync(path.join(REPORTS, `${area.name}.json`), 'utf8'));
  const counts = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, equivalent: 0, other: 0 };
  const survivors = [];
  const equivalents = [];
  for (const [file, { source, mutants }] of Object.entries(report.files)) {
    for (const mutant of mutants) {
      const undetected = mutant.status === 'Survived' || mutant.status === 'NoCoverage';
      const original = originalText(source, mutant.location);
      const where = `${file}:${mutant.location.start.line}:${mutant.location.start.column}`;
      const line =
        `${where} ${mutant.mutatorName}${mutant.status === 'NoCoverage' ? ' (no coverage)' : ''}: ` +
        `${oneLine(original)} -> ${oneLine(mutant.replacement ?? '')}`;
      const known = undetected ? isEquivalent(file, source, mutant, original) : undefined;
      if (known) {
        counts.equivalent += 1;
        equivalents.push(`${line}\n      equivalent: ${known.reason}`);
      } else if (mutant.status in counts) {
        counts[mutant.status] += 1;
        if (undetected) survivors.push(line);
      } else counts.other += 1;
    }
  }
  const unscored = area.all.filter((file) => !(file in report.files));
  return { counts, survivors, equivalents, unscored };
}

function scoreOf(counts) {
  const detected = counts.Killed + counts.Timeout;
  const total = detected + counts.Survived + counts.NoCoverage;
  return { detected, total, score: total === 0 ? 100 : (100 * detected) / total };
}

function describeArea(name, counts, seconds) {
  const { detected, total, score } = scoreOf(counts);
  return (
    `${name}: ${score.toFixed(1)} % (${detected} of ${total} non-equivalent mutants killed; ` +
    `${counts.Survived} survived, ${counts.NoCoverage} not covered, ${counts.Timeout} timed out, ` +
    `${counts.equivalent} equivalent, ${counts.other} not run: compile or runtime errors)` +
    (seconds === undefined ? ' (last report)' : ` in ${Math.round(seconds)} s`)
  );
}

/** Runs Stryker over one area, writing its JSON report. */
function runStryker(area) {
  const config = path.join(REPORTS, `${area.name}.config.json`);
  writeFileSync(config, JSON.stringify(strykerConfig(area, options), null, 2));
  console.log(`\n== ${area.name}: ${area.files.join(' ')}`);
  const run = spawnSync(process.execPath, [stryker, 'run', config], {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      GYMNOS_TEST_TIMEOUT_MS: process.env.GYMNOS_TEST_TIMEOUT_MS ?? '120000',
      GYMNOS_MUTATION_ROOT: root,
      GYMNOS_MUTATION_LIVE: path.join(REPORTS, `${area.name}.live.txt`),
    },
  });
  if (run.status !== 0) {
    console.error(`test/mutation/run.mjs: Stryker failed on ${area.name} (exit ${run.status ?? run.signal})`);
    process.exit(2);
  }
}

const options = parseArguments(process.argv.slice(2));
const areas = plan(options);
if (options.list) {
  for (const area of areas)
    console.log(`${area.name}\n  mutates ${area.files.join(' ')}\n  tests   ${area.tests.join(' ')}`);
  process.exit(0);
}
if (areas.length === 0) {
  console.log('test/mutation/run.mjs: no guarantee module to mutate among the files given or changed');
  process.exit(0);
}
mkdirSync(REPORTS, { recursive: true });
const stryker = path.join(root, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js');
const total = { Killed: 0, Timeout: 0, Survived: 0, NoCoverage: 0, equivalent: 0, other: 0 };
const lines = [];
const started = Date.now();
for (const area of areas) {
  const areaStarted = Date.now();
  if (options.reported) {
    if (!existsSync(path.join(REPORTS, `${area.name}.json`))) usage(`${area.name} has no report yet: run it first`);
  } else runStryker(area);
  const { counts, survivors, equivalents, unscored } = summarize(area);
  for (const key of Object.keys(total)) total[key] += counts[key];
  lines.push(describeArea(area.name, counts, options.reported ? undefined : (Date.now() - areaStarted) / 1000));
  if (unscored.length > 0) lines.push(`  not in the report yet (never run): ${unscored.join(' ')}`);
  for (const survivor of survivors) lines.push(`  survived ${survivor}`);
  for (const equivalent of equivalents) lines.push(`  ${equivalent}`);
}
console.log(`\n${lines.join('\n')}`);
console.log(describeArea('all', total, options.reported ? undefined : (Date.now() - started) / 1000));
process.exit(scoreOf(total).score >= TARGET ? 0 : 1);
