#!/usr/bin/env node
// Scale benchmark of `gymnos runs` and `gymnos report` (issue 12): R runs × M metrics × S steps of jsonl,
// generated streaming into a temporary directory (8.5 GB at the default 100 × 10 × 100 000), then
//   1. `gymnos runs <dir> --metric metric_0` under /usr/bin/time -v: wall, user+sys CPU, peak RSS;
//   2. `gymnos report <dir> -o report.html` the same, and the file's size;
//   3. the report opened in Debian's headless Chromium (playwright-core): time from navigation to the page's
//      ready flag (every chart drawn, controls live), and to a redraw after moving the smoothing slider.
// Usage: npm run build && node bench/runs-report.mjs [--runs 100] [--metrics 10] [--steps 100000]
//        [--dir <path>] [--keep]   (--keep: reuse the data in --dir if it was generated with the same sizes)
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
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
const runs = Number(option('runs', 100));
const metrics = Number(option('metrics', 10));
const steps = Number(option('steps', 100_000));
const dir = path.resolve(option('dir', path.join(os.tmpdir(), 'gymnos-bench-runs')));
const keep = args.includes('--keep');
const logdir = path.join(dir, 'logs');
const marker = path.join(dir, 'sizes.json');
const sizes = JSON.stringify({ runs, metrics, steps });

/** One run's events.jsonl, written in 4 MiB chunks: memory stays flat however long the run. */
function writeRun(index) {
  const runDir = path.join(logdir, `sweep/run-${String(index).padStart(3, '0')}`);
  mkdirSync(runDir, { recursive: true });
  const lr = 10 ** -(1 + (index % 4));
  writeFileSync(path.join(runDir, 'params.json'), JSON.stringify({ lr, seed: index, optimizer: 'adam' }, null, 2));
  const fd = openSync(path.join(runDir, 'events.jsonl'), 'w');
  let time = 1_764_000_000_000 + index * 3_600_000;
  let chunk = `{"time":${time},"step":null,"kind":"param","name":"lr","value":${lr}}\n`;
  const level = new Float64Array(metrics).fill(1);
  for (let step = 0; step < steps; step++) {
    if (step % 4 === 0) time += 1; // about 4 steps a millisecond
    for (let m = 0; m < metrics; m++) {
      // a noisy decay, printed as JavaScript prints doubles (up to 17 significant digits)
      level[m] = level[m] * (1 - lr / 1000) + (Math.random() - 0.5) * 0.01;
      const value = m === 0 ? level[m] : level[m] * (m + 1) + Math.random() * 0.01;
      chunk += `{"time":${time},"step":${step},"kind":"metric","name":"metric_${m}","value":${value}}\n`;
    }
    if (chunk.length > 4 << 20) {
      writeSync(fd, chunk);
      chunk = '';
    }
  }
  chunk += `{"time":${time},"step":null,"kind":"status","name":"run","value":"finished"}\n`;
  writeSync(fd, chunk);
  closeSync(fd);
}

function generate() {
  if (keep && existsSync(marker) && readFileSync(marker, 'utf8') === sizes) {
    console.log(`reusing ${logdir}`);
    return;
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(logdir, { recursive: true });
  const started = Date.now();
  for (let index = 0; index < runs; index++) writeRun(index);
  writeFileSync(marker, sizes);
  console.log(
    `generated ${runs} runs × ${metrics} metrics × ${steps} steps in ${((Date.now() - started) / 1000).toFixed(0)} s`,
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

function figures({ wall, cpu, rssMiB }) {
  return `wall ${wall.toFixed(1)} s, user+sys ${cpu.toFixed(1)} s, peak RSS ${rssMiB.toFixed(0)} MiB`;
}

/** Runs the CLI under GNU time: wall seconds, user+sys seconds, peak RSS in MiB. */
function timed(cliArgs) {
  const result = spawnSync('/usr/bin/time', ['-v', process.execPath, bin, ...cliArgs], {
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

async function browserTimes(file) {
  const chromium = process.env.GYMNOS_CHROMIUM ?? '/usr/bin/chromium';
  if (!existsSync(chromium)) return { skipped: `no Chromium at ${chromium} (apt-get install -y chromium)` };
  const { chromium: driver } = await import('playwright-core');
  const userDataDir = path.join(dir, 'chromium-profile');
  rmSync(userDataDir, { recursive: true, force: true });
  const context = await driver.launchPersistentContext(userDataDir, {
    executablePath: chromium,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1200, height: 900 },
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const started = performance.now();
    await page.goto(pathToFileURL(file).href, { waitUntil: 'commit' });
    await page.waitForFunction(() => globalThis.gymnosReport?.ready, null, { timeout: 120_000, polling: 20 });
    const interactive = performance.now() - started;
    const redraw = await page.evaluate(() => {
      const slider = globalThis.document.getElementById('smoothing');
      const t = performance.now();
      slider.value = '0.9';
      slider.dispatchEvent(new Event('input'));
      return performance.now() - t;
    });
    const charts = await page.evaluate(() => globalThis.gymnosReport.charts.length);
    return { interactive, redraw, charts, errors };
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}

generate();
const dataBytes = du(logdir);
console.log(`data: ${(dataBytes / 1e9).toFixed(2)} GB in ${logdir}`);
console.log(
  `machine: ${os.cpus().length} CPUs, load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}, node ${process.version}`,
);
// Cold: an empty summary cache, every byte read. Warm: the same listing again, answered from the cache.
rmSync(cacheDir, { recursive: true, force: true });
for (const label of ['cold', 'warm']) {
  const listed = timed(['runs', logdir, '--metric', 'metric_0']);
  const count = listed.stdout.trim().split('\n').length - 1;
  console.log(`gymnos runs (${label}): ${figures(listed)}, ${count} runs listed`);
}
const report = path.join(dir, 'report.html');
const written = timed(['report', logdir, '-o', report]);
const reportBytes = statSync(report).size;
console.log(`gymnos report: ${figures(written)}, file ${(reportBytes / 1e6).toFixed(1)} MB`);
const page = await browserTimes(report);
if (page.skipped) console.log(`browser: skipped, ${page.skipped}`);
else {
  const errors = page.errors.length ? `, errors: ${page.errors.join('; ')}` : '';
  const redraw = `smoothing redraw ${page.redraw.toFixed(0)} ms`;
  console.log(
    `Chromium: interactive in ${(page.interactive / 1000).toFixed(2)} s (${page.charts} charts), ${redraw}${errors}`,
  );
}
console.log(
  `load average after: ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
if (!keep) rmSync(dir, { recursive: true, force: true });
