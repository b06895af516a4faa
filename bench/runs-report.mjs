#!/usr/bin/env node
// Scale benchmark of `gymnos runs` and `gymnos report` (issues 12 and 20): a sweep of R runs × M metrics × S steps
// logged with the real JsonlTracker (so each run's summary.json is what the tracker writes; params lr, batch,
// dropout, optimizer and seed vary) into a temporary directory (one child process per core logs a share of the
// runs), then, with the trackers' summaries and again without them (crashed runs, files from elsewhere:
// summary.json moved aside):
//   1. `gymnos runs <dir> --metric metric_0` under /usr/bin/time -v: wall, user+sys CPU, peak RSS, with an empty
//      reader cache (cold) and again (warm);
//   2. `gymnos report <dir> -o report.html` the same, and the file's size;
//   3. the report opened in Debian's headless Chromium (playwright-core): time from navigation to the page's
//      interactive flag (the controls live), to its ready flag (every chart drawn); then a redraw after moving the
//      smoothing slider, after typing a filter that keeps a quarter of the runs, and after grouping by a param:
//      each as the wall time from the event to the next frame painted, and the main thread's CPU time over it
//      (from Chromium's trace: what an idle machine would take, whatever the load).
// With --baseline <checkout>, the same report steps and page (smoothing only: it has no filter or groups) for
// another gymnos checkout, built, on the same data: the report before the sweep view, side by side.
// Usage: npm run build && node bench/runs-report.mjs [--runs 500] [--metrics 20] [--steps 10000]
//        [--dir <path>] [--keep] [--no-summary | --summary-only] [--baseline <checkout>]
//   --keep: reuse the data in --dir if it was generated with the same sizes (and keep it afterwards);
//   --no-summary: only the figures without summaries; --summary-only: only those with them.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CHROMIUM_FLAGS } from '../test/helpers/chromium.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'gymnos.js');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : args[at + 1];
};
const runs = Number(option('runs', 500));
const metrics = Number(option('metrics', 20));
const steps = Number(option('steps', 10_000));
const baseline = option('baseline', undefined);
const dir = path.resolve(option('dir', path.join(os.tmpdir(), 'gymnos-bench-runs')));
const keep = args.includes('--keep');
const logdir = path.join(dir, 'logs');
const marker = path.join(dir, 'sizes.json');
const sizes = JSON.stringify({ runs, metrics, steps, writer: 'JsonlTracker', params: 'sweep' });
const SIDECAR = 'summary.json';
const HIDDEN = 'summary.json.bench-hidden';

const runId = (index) => `sweep/run-${String(index).padStart(3, '0')}`;

/** Logs runs `from` to `to` (exclusive) with the built JsonlTracker: the child's work (`--log-runs from,to`). */
async function logRuns(from, to) {
  const { JsonlTracker } = await import(pathToFileURL(path.join(root, 'dist', 'index.js')).href);
  const names = Array.from({ length: metrics }, (_, m) => `metric_${m}`);
  for (let index = from; index < to; index++) {
    const tracker = new JsonlTracker({ flushIntervalMs: 0, maxBufferBytes: 1 << 20 });
    tracker.start(runId(index), logdir);
    const lr = 10 ** -(1 + (index % 4));
    tracker.logParams({
      lr,
      batch: [32, 64, 128, 256][Math.floor(index / 4) % 4],
      dropout: [0, 0.1, 0.3][index % 3],
      optimizer: index % 2 ? 'adam' : 'sgd',
      seed: index,
    });
    const level = new Float64Array(metrics).fill(1);
    for (let step = 0; step < steps; step++) {
      for (let m = 0; m < metrics; m++) {
        // a noisy decay, printed as JavaScript prints doubles (up to 17 significant digits)
        level[m] = level[m] * (1 - lr / 1000) + (Math.random() - 0.5) * 0.01;
        tracker.logMetric(names[m], m === 0 ? level[m] : level[m] * (m + 1) + Math.random() * 0.01, step);
      }
    }
    await tracker.end();
  }
}

async function generate() {
  if (keep && existsSync(marker) && readFileSync(marker, 'utf8') === sizes) {
    console.log(`reusing ${logdir}`);
    return;
  }
  if (!existsSync(path.join(root, 'dist', 'index.js'))) throw new Error('run `npm run build` first');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(logdir, { recursive: true });
  const started = Date.now();
  const children = Math.max(1, Math.min(os.availableParallelism(), runs));
  const shares = Array.from({ length: children }, (_, i) => [
    Math.floor((i * runs) / children),
    Math.floor(((i + 1) * runs) / children),
  ]);
  await Promise.all(
    shares.map(
      ([from, to]) =>
        new Promise((resolve, reject) => {
          const child = spawn(
            process.execPath,
            [fileURLToPath(import.meta.url), ...args, '--log-runs', `${from},${to}`],
            {
              stdio: 'inherit',
            },
          );
          child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`logging runs ${from}-${to} failed`))));
        }),
    ),
  );
  writeFileSync(marker, sizes);
  console.log(
    `logged ${runs} runs × ${metrics} metrics × ${steps} steps with JsonlTracker in ` +
      `${((Date.now() - started) / 1000).toFixed(0)} s (${children} processes)`,
  );
}

function du(target) {
  let total = 0;
  const walk = (file) => {
    const stat = statSync(file);
    if (stat.isDirectory()) for (const name of readdirSync(file)) walk(path.join(file, name));
    else total += stat.size;
  };
  walk(target);
  return total;
}

const cacheDir = path.join(dir, 'summary-cache');

/** Runs the CLI (`cli`: a gymnos bin) under GNU time: wall seconds, user+sys seconds, peak RSS in MiB. */
function timed(cliArgs, cli = bin) {
  const result = spawnSync('/usr/bin/time', ['-v', process.execPath, cli, ...cliArgs], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', GYMNOS_CACHE_DIR: cacheDir },
    maxBuffer: 64 << 20,
  });
  if (result.status !== 0) throw new Error(`gymnos ${cliArgs.join(' ')} exited ${result.status}: ${result.stderr}`);
  const field = (label) => {
    const match = new RegExp(`${label}: (.*)`).exec(result.stderr);
    return match ? match[1].trim() : '';
  };
  const [, minutes, seconds] = /(?:(\d+):)?([\d.]+)$/.exec(
    field('Elapsed \\(wall clock\\) time \\(h:mm:ss or m:ss\\)'),
  );
  return {
    wall: Number(minutes ?? 0) * 60 + Number(seconds),
    cpu: Number(field('User time \\(seconds\\)')) + Number(field('System time \\(seconds\\)')),
    rssMiB: Number(field('Maximum resident set size \\(kbytes\\)')) / 1024,
    stdout: result.stdout,
  };
}

/**
 * `action` run in the page (a function's source, given `performance.mark`ed bounds): the wall time from its start
 * to the next frame painted, and the main thread's CPU time between the marks, from Chromium's trace.
 */
async function timedAction(context, page, action) {
  await context.browser().startTracing(page, {
    categories: ['devtools.timeline', 'blink.user_timing', 'disabled-by-default-devtools.timeline'],
  });
  const wall = await page.evaluate(async (source) => {
    performance.mark('bench-start');
    const started = performance.now();
    new Function(source)(); // the bench's own code (the page's policy does not apply to the driver)
    await new Promise((resolve) => globalThis.requestAnimationFrame(() => setTimeout(resolve, 0)));
    const took = performance.now() - started;
    performance.mark('bench-end');
    return took;
  }, action);
  const trace = JSON.parse((await context.browser().stopTracing()).toString());
  const mark = (name) => trace.traceEvents.find((event) => event.name === name);
  const [start, end] = [mark('bench-start'), mark('bench-end')];
  // The renderer's main thread: where the marks were made.
  const cpuMs = trace.traceEvents
    .filter(
      (event) => event.name === 'RunTask' && event.ph === 'X' && event.tid === start?.tid && event.pid === start?.pid,
    )
    .filter((event) => event.ts + (event.dur ?? 0) >= start.ts && event.ts <= end.ts)
    .reduce((sum, event) => sum + (event.tdur ?? 0) / 1000, 0);
  return { wall, cpuMs };
}

async function browserTimes(file, sweep) {
  const chromium = process.env.GYMNOS_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(chromium)) return { skipped: `no Chromium at ${chromium} (apt-get install -y chromium)` };
  const { chromium: driver } = await import('playwright-core');
  const browser = await driver.launch({ executablePath: chromium, args: CHROMIUM_FLAGS });
  try {
    // The driver evaluates code of its own in the page: not subject to the report's Content-Security-Policy.
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, bypassCSP: true });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const started = performance.now();
    await page.goto(pathToFileURL(file).href, { waitUntil: 'commit' });
    // interactive: the controls live (and what is on screen drawn); ready: every chart and figure drawn.
    await page.waitForFunction(() => globalThis.gymnosReport?.interactive, null, { timeout: 300_000, polling: 10 });
    const interactive = performance.now() - started;
    await page.waitForFunction(() => globalThis.gymnosReport?.ready, null, { timeout: 600_000, polling: 10 });
    const ready = performance.now() - started;
    const charts = await page.evaluate(() => globalThis.gymnosReport.charts.length);
    const input = (id, value, type) =>
      `const e = document.getElementById(${JSON.stringify(id)}); e.value = ${JSON.stringify(value)}; ` +
      `e.dispatchEvent(new Event(${JSON.stringify(type)}));`;
    const redraws = { smoothing: await timedAction(context, page, input('smoothing', '0.9', 'input')) };
    if (sweep) {
      await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 200)));
      await timedAction(context, page, input('smoothing', '0', 'input'));
      // lr is 0.1, 0.01, 0.001 or 0.0001, a quarter of the runs each
      redraws.filter = await timedAction(context, page, input('filter', 'lr<0.0005', 'input'));
      redraws.visible = await page.evaluate(() => globalThis.gymnosReport.visible.length);
      redraws.unfilter = await timedAction(context, page, input('filter', '', 'input'));
      redraws.group = await timedAction(context, page, input('group-add', 'lr', 'change'));
      // The same with the charts on screen: those near it are redrawn at once, the others when the page is idle.
      const ready = () => page.waitForFunction(() => globalThis.gymnosReport.ready, null, { timeout: 600_000 });
      await ready();
      await page.evaluate(() => globalThis.document.querySelector('#groups button').click()); // ungrouped
      await ready();
      await page.evaluate(() => globalThis.document.getElementById('charts').scrollIntoView());
      await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 500)));
      await ready();
      redraws.chartsFilter = await timedAction(context, page, input('filter', 'lr<0.0005', 'input'));
      await ready();
      redraws.chartsUnfilter = await timedAction(context, page, input('filter', '', 'input'));
      await ready();
      redraws.chartsGroup = await timedAction(context, page, input('group-add', 'lr', 'change'));
    }
    return { interactive, ready, charts, redraws, errors };
  } finally {
    await browser.close();
  }
}

/** Moves every run's summary.json aside (`hide`) or back. */
function hideSidecars(hide) {
  const walk = (current) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const file = path.join(current, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (hide && entry.name === SIDECAR) renameSync(file, path.join(current, HIDDEN));
      else if (!hide && entry.name === HIDDEN) renameSync(file, path.join(current, SIDECAR));
    }
  };
  walk(logdir);
}

const rows = [];
const row = (step, measured, note = '') =>
  rows.push([
    step,
    measured ? `${measured.wall.toFixed(1)} s` : '',
    measured ? `${measured.cpu.toFixed(1)} s` : '',
    measured ? `${measured.rssMiB.toFixed(0)} MiB` : '',
    note,
  ]);

const ms = (timing) => `${timing.wall.toFixed(0)} ms (CPU ${timing.cpuMs.toFixed(0)} ms)`;

async function measure(label) {
  // Cold: an empty reader cache. Warm: the same listing again, answered from the cache.
  rmSync(cacheDir, { recursive: true, force: true });
  for (const state of ['cold', 'warm']) {
    const listed = timed(['runs', logdir, '--metric', 'metric_0']);
    const count = listed.stdout.trim().split('\n').length - 1;
    if (count !== runs) throw new Error(`gymnos runs listed ${count} runs, not ${runs}`);
    row(`runs, ${state}, ${label}`, listed, state === 'cold' ? 'target ≤ 10 s' : '');
  }
  for (const [name, cli, sweep] of [
    ['report', bin, true],
    ...(baseline ? [['baseline report', path.join(path.resolve(baseline), 'bin', 'gymnos.js'), false]] : []),
  ]) {
    const report = path.join(dir, `${name.replace(' ', '-')}.html`);
    const written = timed(['report', logdir, '-o', report], cli);
    row(`${name}, ${label}`, written, `file ${(statSync(report).size / 1e6).toFixed(1)} MB (≤ 20 MB)`);
    const page = await browserTimes(report, sweep);
    if (page.skipped) {
      row(`page, ${label}`, undefined, `skipped: ${page.skipped}`);
      continue;
    }
    const errors = page.errors.length ? `; errors: ${page.errors.join('; ')}` : '';
    const { smoothing, filter, unfilter, group, visible, chartsFilter, chartsUnfilter, chartsGroup } = page.redraws;
    row(
      `${name === 'report' ? 'page' : 'baseline page'}, ${label}`,
      undefined,
      `interactive ${(page.interactive / 1000).toFixed(2)} s (≤ 3 s), all ${page.charts} charts drawn ` +
        `${(page.ready / 1000).toFixed(2)} s; redraw after smoothing ${ms(smoothing)}` +
        (filter
          ? `; at the top: a filter (${visible} of ${runs} runs) ${ms(filter)}, clearing it ${ms(unfilter)}, ` +
            `grouping by lr ${ms(group)}; at the charts: the filter ${ms(chartsFilter)}, clearing it ` +
            `${ms(chartsUnfilter)}, grouping ${ms(chartsGroup)} (≤ 200 ms)`
          : '') +
        errors,
    );
  }
}

const logging = args.indexOf('--log-runs');
if (logging !== -1) {
  const [from, to] = args[logging + 1].split(',').map(Number);
  await logRuns(from, to);
  process.exit(0);
}

await generate();
const dataBytes = du(logdir);
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
console.log(`data: ${(dataBytes / 1e9).toFixed(2)} GB in ${logdir}`);
console.log(`machine: ${os.cpus().length} CPUs, load average ${load()}, node ${process.version}`);
try {
  if (!args.includes('--no-summary')) await measure('with summaries');
  if (!args.includes('--summary-only')) {
    hideSidecars(true);
    await measure('without');
  }
} finally {
  hideSidecars(false);
}
const widths = [0, 1, 2, 3].map((i) =>
  Math.max(...[['step', 'wall', 'user+sys', 'peak RSS'][i], ...rows.map((r) => r[i])].map((c) => c.length)),
);
const line = (cells) => cells.map((cell, i) => (i < 4 ? cell.padEnd(widths[i]) : cell)).join('  ');
console.log('');
console.log(line(['step', 'wall', 'user+sys', 'peak RSS', 'notes']));
for (const cells of rows) console.log(line(cells));
console.log(`\nload average after: ${load()}`);
if (!keep) rmSync(dir, { recursive: true, force: true });
