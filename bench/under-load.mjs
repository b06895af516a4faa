#!/usr/bin/env node
/**
 * The default tier under load (issue 24.5): `npm test` run again and again in a checkout while two busy-loop node
 * processes of ours keep both cores busy, each run's output piped to a log of its own.
 *
 *   node bench/under-load.mjs <checkout> [--runs 10] [--spinners 2] [--logs <dir>] [--hang-minutes 45]
 *
 * Per run it prints the tests, passed, failed, cancelled and skipped counts (from the spec reporter's summary), the
 * names of the failing tests, CPU (user + sys of npm test and its children), wall time, the load average seen
 * during the run (sampled every 10 s), and whether the run was a hang: a test or a test process stopped by the
 * runner's timeout (test/run.mjs), or npm test still running after --hang-minutes, when this script kills it.
 * Exit status 1 if any run failed or hung.
 *
 * The spinners run at normal priority and end with this script whatever happens: killed on its exit and on
 * SIGINT/SIGTERM/SIGHUP, and each also checks its parent and exits when this script is gone (a SIGKILL).
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const checkout = args.find((arg, at) => !arg.startsWith('--') && !args[at - 1]?.startsWith('--'));
if (!checkout) {
  console.error(
    'usage: node bench/under-load.mjs <checkout> [--runs 10] [--spinners 2] [--logs <dir>] [--hang-minutes 45]',
  );
  process.exit(2);
}
const runs = Number(option('--runs', 10));
const spinnerCount = Number(option('--spinners', 2));
const hangMs = Number(option('--hang-minutes', 45)) * 60_000;
const logs = path.resolve(option('--logs', path.join(os.tmpdir(), `gymnos-under-load-${process.pid}`)));
mkdirSync(logs, { recursive: true });

// A spinner looks at its parent every ~10^7 iterations (a few ms of CPU) and leaves when it has been re-parented.
const SPIN =
  'const parent = process.ppid; ' +
  'for (;;) { for (let i = 0; i < 1e7; i++); if (process.ppid !== parent) process.exit(0); }';
const spinners = Array.from({ length: spinnerCount }, () => spawn(process.execPath, ['-e', SPIN], { stdio: 'ignore' }));
let current; // the running npm test, a process group of its own
function stopAll() {
  for (const spinner of spinners) spinner.kill('SIGKILL');
  if (current && current.exitCode === null && current.signalCode === null) killGroup(current, 'SIGKILL');
}
function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch (error) {
    if (error.code !== 'ESRCH') throw error;
  }
}
process.on('exit', stopAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    stopAll();
    process.exit(128 + os.constants.signals[signal]);
  });
}

const loadAverage = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
/** CPU seconds (user + sys) of this process's children that have ended and been waited for. */
function childrenCpu() {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100; // cutime, cstime (fields 16, 17), in USER_HZ ticks
}
const minutes = (ms) => {
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
};

/** The spec reporter's summary and its list of failing tests. */
function summarize(log) {
  const count = (name) => Number(log.match(new RegExp(`^ℹ ${name} (\\d+)$`, 'm'))?.[1] ?? NaN);
  const failingAt = log.lastIndexOf('✖ failing tests:');
  const failing =
    failingAt < 0
      ? []
      : [...log.slice(failingAt).matchAll(/^\s*✖ (.+?) \([\d.]+m?s\)/gm)].map((match) => match[1]).filter(unique);
  const timedOut = /test timed out after \d+ms|timed out after \d+ms/.test(log);
  return {
    tests: count('tests'),
    pass: count('pass'),
    fail: count('fail'),
    cancelled: count('cancelled'),
    skipped: count('skipped'),
    failing,
    timedOut,
  };
}
function unique(value, index, all) {
  return all.indexOf(value) === index;
}

function runOnce(index) {
  return new Promise((resolve) => {
    const logPath = path.join(logs, `run-${String(index).padStart(2, '0')}.log`);
    const out = createWriteStream(logPath);
    let log = '';
    const started = Date.now();
    const cpuBefore = childrenCpu();
    const loads = [loadAverage()];
    const sampler = setInterval(() => loads.push(loadAverage()), 10_000);
    const env = { ...process.env };
    delete env.CI; // as a user runs it: the python reader checks may skip
    current = spawn('npm', ['test'], { cwd: checkout, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    for (const stream of [current.stdout, current.stderr]) {
      stream.on('data', (chunk) => {
        out.write(chunk);
        log += chunk;
      });
    }
    let killedAsHang = false;
    const watchdog = setTimeout(() => {
      killedAsHang = true;
      killGroup(current, 'SIGKILL');
    }, hangMs);
    current.on('close', (code, signal) => {
      clearTimeout(watchdog);
      clearInterval(sampler);
      out.end();
      const summary = summarize(log);
      resolve({
        index,
        code,
        signal,
        ...summary,
        hang: killedAsHang || summary.timedOut,
        wallMs: Date.now() - started,
        cpuS: childrenCpu() - cpuBefore,
        loadMin: Math.min(...loads),
        loadMax: Math.max(...loads),
        logPath,
      });
    });
  });
}

console.log(`# ${runs} runs of npm test in ${path.resolve(checkout)}, ${spinnerCount} spinners, logs in ${logs}`);
const results = [];
for (let index = 1; index <= runs; index++) {
  const result = await runOnce(index);
  results.push(result);
  const clean = result.code === 0 && !result.hang;
  const counts = ['tests', 'pass', 'fail', 'cancelled', 'skipped'].map((name) => `${name} ${result[name]}`).join(' ');
  const load = `${result.loadMin.toFixed(1)} to ${result.loadMax.toFixed(1)}`;
  console.log(
    `run ${index}: ${clean ? 'clean' : 'FAILED'} exit ${result.code ?? result.signal} | ${counts} | ` +
      `hang ${result.hang ? 'YES' : 'no'} | cpu ${result.cpuS.toFixed(0)} s ` +
      `wall ${minutes(result.wallMs)} | load ${load}`,
  );
  for (const name of result.failing) console.log(`  failing: ${name}`);
}
const bad = results.filter((result) => result.code !== 0 || result.hang);
const walls = results.map((result) => result.wallMs);
const loads = [...results.map((result) => result.loadMin), ...results.map((result) => result.loadMax)];
console.log(
  `# ${results.length - bad.length} of ${results.length} clean; ` +
    `wall ${minutes(Math.min(...walls))} to ${minutes(Math.max(...walls))}; ` +
    `load ${Math.min(...loads).toFixed(1)} to ${Math.max(...loads).toFixed(1)}`,
);
stopAll(); // the spinners' handles would keep this process alive
process.exitCode = bad.length > 0 ? 1 : 0;
