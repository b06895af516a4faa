#!/usr/bin/env node
// Scale benchmark of `gymnos runs` in metric *names* and line length (issue 23.10): one run of N distinct metric
// names, one point each, written by the real tracker (jsonl: 17-digit values, so the reader's exact re-reads are
// exercised), listed with `gymnos runs <dir>` (the default: the tracker's summary and the reader's cache, empty at
// first) and `--no-cache`, under /usr/bin/time -v: wall, user+sys CPU, peak RSS. Then one run whose middle line
// is a single param of --line-mb megabytes, listed the same way (peak RSS is what matters: the reader skips lines
// over 32 MiB unread).
// Usage: npm run build && node bench/runs-names.mjs [--names 100000,1000000] [--line-mb 200]
//        [--bin <another checkout>/bin/gymnos.js] (the baseline: the same data, another build)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  return at === -1 ? fallback : args[at + 1];
};
const counts = option('names', '100000,1000000').split(',').map(Number);
const lineMb = Number(option('line-mb', 200));
const bin = path.resolve(option('bin', path.join(root, 'bin', 'gymnos.js')));
const dir = mkdtempSync(path.join(os.tmpdir(), 'gymnos-bench-names-'));

/** `gymnos <args>` under /usr/bin/time -v, its cache in a directory of its own: wall s, CPU s, peak MB. */
function measure(commandArgs, cacheDir) {
  const result = spawnSync('/usr/bin/time', ['-v', process.execPath, bin, ...commandArgs], {
    encoding: 'utf8',
    env: { ...process.env, GYMNOS_CACHE_DIR: cacheDir, NO_COLOR: '1' },
    maxBuffer: 1 << 30,
  });
  const field = (name) => result.stderr.match(new RegExp(`${name}: (.*)`))?.[1] ?? '';
  const [minutes, seconds] = field('Elapsed \\(wall clock\\) time \\(h:mm:ss or m:ss\\)').split(':').map(Number);
  return {
    exit: result.status,
    wall: (minutes * 60 + seconds).toFixed(1),
    cpu: (Number(field('User time \\(seconds\\)')) + Number(field('System time \\(seconds\\)'))).toFixed(1),
    peakMb: Math.round(Number(field('Maximum resident set size \\(kbytes\\)')) / 1024),
  };
}

const { JsonlTracker } = await import(pathToFileURL(path.join(root, 'dist', 'index.js')).href);
try {
  console.log(`gymnos runs, one run of N metric names (1 point each), ${bin}`);
  console.log('names      mode        wall s  cpu s  peak MB  exit');
  for (const count of counts) {
    const logdir = path.join(dir, `names-${count}`);
    const tracker = new JsonlTracker({ flushIntervalMs: 0, maxBufferBytes: 1 << 20 });
    tracker.start('run', logdir);
    for (let i = 0; i < count; i++) tracker.logMetric(`layer_${i % 97}/unit_${i}`, i / 7, 0);
    await tracker.end();
    const cache = path.join(dir, `cache-${count}`);
    for (const [mode, extra] of [
      ['default', []],
      ['warm', []],
      ['--no-cache', ['--no-cache']],
    ]) {
      const run = measure(['runs', logdir, ...extra], cache);
      console.log(
        `${String(count).padEnd(10)} ${mode.padEnd(11)} ${run.wall.padStart(6)} ${run.cpu.padStart(6)} ` +
          `${String(run.peakMb).padStart(8)}  ${run.exit}`,
      );
    }
    rmSync(logdir, { recursive: true, force: true });
  }
  // One huge line: a param of lineMb megabytes between two metric lines.
  const logdir = path.join(dir, 'long-line');
  const tracker = new JsonlTracker({ flushIntervalMs: 0 });
  tracker.start('run', logdir);
  tracker.logMetric('loss', 1, 0);
  await tracker.end();
  mkdirSync(path.join(logdir, 'run'), { recursive: true });
  const line = JSON.stringify({ time: 1, step: null, kind: 'param', name: 'huge', value: 'x'.repeat(lineMb << 20) });
  writeFileSync(path.join(logdir, 'run', 'events.jsonl'), `${line}\n`, { flag: 'a' });
  const run = measure(['runs', logdir, '--no-cache'], path.join(dir, 'cache-line'));
  console.log(`\none ${lineMb} MB line: wall ${run.wall} s, cpu ${run.cpu} s, peak ${run.peakMb} MB, exit ${run.exit}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
