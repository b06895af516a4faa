#!/usr/bin/env node
/**
 * Kill-fuzz of create-new's transaction: in a temporary plugin project, runs `gymnos create-new tracker` again and
 * again, kills each run at a random moment with SIGKILL, SIGINT or SIGTERM, then runs the next gymnos command that
 * takes the registry lock (`gymnos init`, which changes nothing in an initialized project but undoes a killed
 * commit) and checks that the project is exactly as before the killed run or exactly as after a complete
 * create-new (every file, directory and the registry, compared byte for byte with the plan of that run), with
 * nothing a user must clean up: no *.gymnos-tmp, no lock, no journal. Then `create-new` with the same name must
 * work (exit 0) if the run was undone, or be refused as existing (exit 3) if it was complete.
 *
 * Half the runs wait GYMNOS_TEST_STEP_DELAY_MS between the steps of the commit, so that random kills land inside
 * the transaction (a few ms of a run that takes a few hundred) often enough to count; the other half run at full
 * speed. Kill moments are uniform over the run's measured duration, half of them over its last 40 %.
 *
 *   npm run build && node bench/create-new-kills.mjs [--kills 300] [--seed 1]
 *
 * Exit status 1 if any run left the project in any other state.
 */
import { spawn, spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(repo, 'bin', 'gymnos.js');
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const kills = option('--kills', 300);
let seed = option('--seed', 1) >>> 0;

if (!existsSync(path.join(repo, 'dist', 'scaffold', 'plan.js'))) {
  console.error('bench: build first (npm run build)');
  process.exit(2);
}
const { planTracker } = await import(pathToFileURL(path.join(repo, 'dist', 'scaffold', 'plan.js')).href);

/** mulberry32: the same --seed gives the same kill moments and signals. */
function random() {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const env = { ...process.env, NO_COLOR: '1' };
delete env.FORCE_COLOR;

function gymnos(cliArgs, root) {
  return spawnSync(process.execPath, [bin, ...cliArgs, '--cwd', root], { encoding: 'utf8', env });
}

/** Every file (with its content) and directory (ending in /) under the project. */
function tree(root) {
  const entries = new Map();
  const walk = (dir) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const relative = path.relative(root, full);
      if (lstatSync(full).isDirectory()) {
        entries.set(`${relative}/`, '');
        walk(full);
      } else entries.set(relative, readFileSync(full, 'utf8'));
    }
  };
  walk(root);
  return entries;
}

function same(a, b) {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value) return false;
  return true;
}

/** The project after a complete create-new of `name`, from its plan against the project as it is now. */
async function expectedAfter(root, before, name) {
  const plan = await planTracker({ root, name, warnings: [] });
  const after = new Map(before);
  for (const change of plan.changes) {
    after.set(change.path, change.content);
    for (let dir = path.dirname(change.path); dir !== '.'; dir = path.dirname(dir)) after.set(`${dir}/`, '');
  }
  return after;
}

const LEFTOVER = /gymnos-tmp|\.lock(\/|$)|gymnos-journal/;

/** Runs create-new and kills it `delayMs` after the start with `signal`; resolves to how it ended. */
function killedRun(root, name, signal, delayMs, slow) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [bin, 'create-new', 'tracker', '--name', name, '--cwd', root], {
      env: slow ? { ...env, GYMNOS_TEST_STEP_DELAY_MS: '3' } : env,
      stdio: 'ignore',
    });
    const timer = setTimeout(() => child.kill(signal), delayMs);
    child.on('close', (status, killedBy) => {
      clearTimeout(timer);
      resolve({ status, signal: killedBy, ms: Number(process.hrtime.bigint() - started) / 1e6 });
    });
  });
}

const root = mkdtempSync(path.join(os.tmpdir(), 'gymnos-kills-'));
writeFileSync(path.join(root, 'package.json'), '{ "name": "kills", "type": "module" }\n');
if (gymnos(['init'], root).status !== 0) throw new Error('gymnos init failed');

// The duration of a whole run, at full speed and slowed, from three uncut runs of each.
const durations = { fast: [], slow: [] };
for (let i = 0; i < 3; i++) {
  for (const slow of [false, true]) {
    const run = await killedRun(root, `calibrate_${slow ? 's' : 'f'}${i}`, 'SIGKILL', 60_000, slow);
    if (run.status !== 0) throw new Error('a calibration run failed');
    durations[slow ? 'slow' : 'fast'].push(run.ms);
  }
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const typical = { fast: median(durations.fast), slow: median(durations.slow) };

const counts = {
  runs: 0,
  bySignal: { SIGKILL: 0, SIGINT: 0, SIGTERM: 0 },
  endedBeforeKill: 0,
  leftJournal: 0,
  leftLockOrTemp: 0,
  recoveryLines: 0,
  asBefore: 0,
  asAfter: 0,
  retriedOk: 0,
  violations: 0,
};
const violations = [];
const signals = ['SIGKILL', 'SIGKILL', 'SIGINT', 'SIGTERM'];
const started = Date.now();

for (let i = 0; i < kills; i++) {
  const name = `k${i}`;
  const before = tree(root);
  const after = await expectedAfter(root, before, name);
  const slow = i % 2 === 1;
  const duration = typical[slow ? 'slow' : 'fast'];
  const delay = i % 4 < 2 ? random() * duration * 1.1 : duration * (0.6 + random() * 0.5);
  const signal = signals[Math.floor(random() * signals.length)];
  counts.runs++;
  counts.bySignal[signal]++;
  const run = await killedRun(root, name, signal, delay, slow);
  if (run.signal === null) counts.endedBeforeKill++;
  const raw = [...tree(root).keys()];
  if (raw.some((entry) => entry.includes('gymnos-journal'))) counts.leftJournal++;
  else if (raw.some((entry) => LEFTOVER.test(entry))) counts.leftLockOrTemp++;

  // The next command that takes the lock.
  const next = gymnos(['init'], root);
  if (/undid|removed var\/trackers\.json\.gymnos-journal/.test(next.stderr)) counts.recoveryLines++;
  const now = tree(root);
  const problems = [];
  if (next.status !== 0) problems.push(`init exited ${next.status}: ${next.stderr.trim()}`);
  if (/\n\s+at /.test(next.stderr)) problems.push('a stack trace on stderr');
  const leftovers = [...now.keys()].filter((entry) => LEFTOVER.test(entry));
  if (leftovers.length > 0) problems.push(`left ${leftovers.join(', ')}`);
  const state = same(now, before) ? 'before' : same(now, after) ? 'after' : 'neither';
  if (state === 'neither') {
    const differing = [...new Set([...now.keys(), ...after.keys(), ...before.keys()])].filter(
      (key) => now.get(key) !== before.get(key) && now.get(key) !== after.get(key),
    );
    problems.push(`neither as before nor as after: ${differing.slice(0, 5).join(', ')}`);
  }
  if (state === 'before') {
    counts.asBefore++;
    const retry = gymnos(['create-new', 'tracker', '--name', name], root);
    if (retry.status === 0 && same(tree(root), after)) counts.retriedOk++;
    else problems.push(`the retry exited ${retry.status}: ${retry.stderr.trim()}`);
  } else if (state === 'after') counts.asAfter++;
  if (problems.length > 0) {
    counts.violations++;
    violations.push(`${name} (${signal} at ${delay.toFixed(0)} ms${slow ? ', slowed' : ''}): ${problems.join('; ')}`);
    break; // the project is no longer a known state: later runs would compare against garbage
  }
  if ((i + 1) % 50 === 0) process.stderr.write(`bench: ${i + 1}/${kills} runs, ${counts.violations} violations\n`);
}

rmSync(root, { recursive: true, force: true });
console.log(
  `create-new kill-fuzz: ${counts.runs} runs (seed ${option('--seed', 1)}), a whole run taking ` +
    `${typical.fast.toFixed(0)} ms (${typical.slow.toFixed(0)} ms slowed), ` +
    `${((Date.now() - started) / 1000).toFixed(0)} s in all`,
);
console.log(
  `  signals: ${Object.entries(counts.bySignal)
    .map(([signal, count]) => `${signal} ${count}`)
    .join(', ')}; ${counts.endedBeforeKill} runs had ended before their kill`,
);
console.log(
  `  left by the killed run: a journal ${counts.leftJournal} times (killed mid-commit), only a lock or a temp file ` +
    `${counts.leftLockOrTemp} times`,
);
console.log(
  `  after the next command (gymnos init): as before ${counts.asBefore} ` +
    `(create-new then worked ${counts.retriedOk}), as after a complete create-new ${counts.asAfter}; ` +
    `undo lines printed ${counts.recoveryLines}`,
);
console.log(`  left anything a user must clean up, or a state that is neither: ${counts.violations}`);
for (const violation of violations) console.log(`  ${violation}`);
process.exit(counts.violations > 0 ? 1 : 0);
