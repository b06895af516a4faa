/**
 * Trackers benchmark: scalars per second from `logMetric` to a closed file, and peak memory while logging
 * millions of scalars, for the file trackers (`jsonl`, `tensorboard`), side by side with tensorboardX's
 * `add_scalar` where Python and tensorboardX are installed.
 *
 *   node --import tsx bench/trackers.ts [--scalars 2000000] [--memory 10000000] [--python-scalars 100000]
 *                                       [--only tensorboard]
 *
 * The side-by-side with tensorboardX is like for like: both log the same `--python-scalars` scalars (the same four
 * series and steps), both after a warm-up run, both the median of the same number of runs; the ratio comes from
 * that comparison only, never from gymnos's larger `--scalars` runs.
 *
 * Every measurement runs in its own child process, so one tracker's heap, JIT state or peak RSS never
 * colours another's. Memory is the child's peak resident set (`process.resourceUsage().maxRSS`) after
 * logging N scalars and ending the run, at N = memory/10 and N = memory: a bounded tracker shows the same
 * peak at both.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tracker } from '../src/trackers/tracker.js';

/** The python with tensorboardX: GYMNOS_PYTHON, else the .venv-test of `npm run test:python`, else python3. */
const VENV_PYTHON = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '.venv-test', 'bin', 'python');

const TRACKERS: Record<string, { module: string; exportName: string }> = {
  jsonl: { module: '../src/trackers/jsonl.js', exportName: 'JsonlTracker' },
  tensorboard: { module: '../src/trackers/tensorboard.js', exportName: 'TensorboardTracker' },
};

/** Four series, as a training loop logs them; the step advances every four scalars. */
const NAMES = ['train/loss', 'train/accuracy', 'val/loss', 'lr'];

const THIS_FILE = fileURLToPath(import.meta.url);
/** Timed runs per tracker, after one warm-up run; the median is reported. */
const RUNS = 5;

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

function stringOption(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

async function trackerClass(name: string): Promise<new () => Tracker> {
  const { module, exportName } = TRACKERS[name]!;
  // A computed specifier: a tracker another branch has not landed yet is reported as absent, not a type error.
  const specifier: string = module;
  const loaded = (await import(specifier)) as Record<string, new () => Tracker>;
  const Class = loaded[exportName];
  if (!Class) throw new Error(`${module} does not export ${exportName}`);
  return Class;
}

function dirSize(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += statSync(path.join(entry.parentPath, entry.name)).size;
  }
  return total;
}

/** Logs `count` scalars through a fresh tracker and ends it; returns the seconds from first call to closed file. */
async function logScalars(Class: new () => Tracker, count: number, logdir: string, runId: string): Promise<number> {
  const tracker = new Class();
  await tracker.start(runId, logdir);
  const started = performance.now();
  for (let i = 0; i < count; i++) tracker.logMetric(NAMES[i & 3]!, i * 1e-6, i >> 2);
  await tracker.end();
  return (performance.now() - started) / 1000;
}

/** Child: `--child <tracker> --mode throughput|memory --count N`; prints one JSON line. */
async function child(name: string, mode: string, count: number): Promise<void> {
  const Class = await trackerClass(name);
  const logdir = mkdtempSync(path.join(os.tmpdir(), `gymnos-bench-${name}-`));
  try {
    if (mode === 'throughput') {
      await logScalars(Class, count, logdir, 'warmup'); // lets the JIT reach its optimised code first
      rmSync(path.join(logdir, 'warmup'), { recursive: true, force: true });
      const seconds: number[] = [];
      let bytes = 0;
      for (let run = 0; run < RUNS; run++) {
        seconds.push(await logScalars(Class, count, logdir, `run-${run}`));
        if (run === 0) bytes = dirSize(path.join(logdir, 'run-0'));
        rmSync(path.join(logdir, `run-${run}`), { recursive: true, force: true });
      }
      seconds.sort((a, b) => a - b);
      const median = seconds[RUNS >> 1]!;
      console.log(JSON.stringify({ scalarsPerSecond: count / median, bytesPerScalar: bytes / count }));
    } else {
      const rssBefore = process.memoryUsage().rss;
      await logScalars(Class, count, logdir, 'memory');
      console.log(JSON.stringify({ rssBefore, peakRss: process.resourceUsage().maxRSS * 1024 }));
    }
  } finally {
    rmSync(logdir, { recursive: true, force: true });
  }
}

function runChild(args: string[]): Record<string, number> | { error: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', THIS_FILE, '--child', ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (result.status !== 0) {
    const lines = (result.stderr || result.stdout).trim().split('\n');
    return { error: lines.find((line) => /Error/.test(line)) ?? lines.pop() ?? `exit ${result.status}` };
  }
  return JSON.parse(result.stdout.trim().split('\n').pop()!) as Record<string, number>;
}

// As logScalars and child(): a warm-up run, then RUNS timed runs, each into a fresh directory; the median.
const TENSORBOARDX = `
import os, sys, shutil, tempfile, time
import tensorboardX
from tensorboardX import SummaryWriter
count, runs = int(sys.argv[1]), int(sys.argv[2])
names = ['train/loss', 'train/accuracy', 'val/loss', 'lr']
logdir = tempfile.mkdtemp(prefix='gymnos-bench-tensorboardX-')
def log(run):
    writer = SummaryWriter(os.path.join(logdir, run))
    started = time.perf_counter()
    for i in range(count):
        writer.add_scalar(names[i & 3], i * 1e-6, i >> 2)
    writer.close()
    return time.perf_counter() - started
try:
    log('warmup')
    seconds = sorted(log('run-%d' % run) for run in range(runs))
    print(tensorboardX.__version__, count / seconds[runs // 2])
finally:
    shutil.rmtree(logdir, ignore_errors=True)
`;

function runTensorboardX(count: number): { version: string; scalarsPerSecond: number } | { error: string } {
  const python = process.env.GYMNOS_PYTHON ?? (existsSync(VENV_PYTHON) ? VENV_PYTHON : 'python3');
  const probe = spawnSync(python, ['-c', 'import tensorboardX'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    return { error: (probe.error?.message ?? probe.stderr.trim().split('\n').pop() ?? 'unknown').slice(0, 160) };
  }
  const result = spawnSync(python, ['-c', TENSORBOARDX, String(count), String(RUNS)], { encoding: 'utf8' });
  if (result.status !== 0) return { error: result.stderr.trim().split('\n').pop() ?? `exit ${result.status}` };
  const [version, rate] = result.stdout.trim().split(/\s+/);
  return { version: version!, scalarsPerSecond: Number(rate) };
}

const format = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const mib = (bytes: number) => `${format(bytes / 2 ** 20, 1)} MiB`;
const pad = (cells: string[], widths: number[]) =>
  cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');

async function main(): Promise<void> {
  const scalars = option('scalars', 2_000_000);
  const memory = option('memory', 10_000_000);
  const pythonScalars = option('python-scalars', 100_000);
  const only = stringOption('only');
  const names = Object.keys(TRACKERS).filter((name) => !only || name === only);

  console.log(
    `trackers benchmark: node ${process.version}, ${os.platform()} ${os.arch()}, ${os.cpus().length} CPUs ` +
      `(${os.cpus()[0]?.model.trim() ?? 'unknown CPU'})`,
  );
  console.log(
    `\nscalars/s from logMetric to a closed file ` +
      `(median of ${RUNS} runs of ${format(scalars)} scalars, after a warm-up run):`,
  );
  const widths = [40, 14, 11, 13];
  console.log(pad(['tracker', 'scalars/s', 'ns/scalar', 'bytes/scalar'], widths));
  for (const name of names) {
    const result = runChild([name, '--mode', 'throughput', '--count', String(scalars)]);
    if ('error' in result) {
      console.log(pad([name, 'n/a', '', ''], widths) + `  (${result.error})`);
      continue;
    }
    const row = [name, format(result.scalarsPerSecond!), format(1e9 / result.scalarsPerSecond!), ''];
    row[3] = format(result.bytesPerScalar!, 1);
    console.log(pad(row, widths));
  }
  console.log(
    `\nside by side with tensorboardX: the same ${format(pythonScalars)} scalars each ` +
      `(median of ${RUNS} runs, after a warm-up run):`,
  );
  console.log(pad(['writer', 'scalars/s', 'ns/scalar', ''], widths));
  const tbx = runTensorboardX(pythonScalars);
  const ours = names.includes('tensorboard')
    ? runChild(['tensorboard', '--mode', 'throughput', '--count', String(pythonScalars)])
    : undefined;
  if (ours && !('error' in ours)) {
    const rate = ours.scalarsPerSecond!;
    console.log(pad([`gymnos tensorboard`, format(rate), format(1e9 / rate), ''], widths));
  }
  if ('error' in tbx) {
    console.log(`tensorboardX not installable here (${tbx.error}): no side-by-side ratio`);
  } else {
    const label = `tensorboardX ${tbx.version} add_scalar`;
    console.log(pad([label, format(tbx.scalarsPerSecond), format(1e9 / tbx.scalarsPerSecond), ''], widths));
    if (ours && !('error' in ours)) {
      console.log(`gymnos tensorboard / tensorboardX: ${format(ours.scalarsPerSecond! / tbx.scalarsPerSecond, 1)}x`);
    }
  }

  const small = Math.max(1, Math.round(memory / 10));
  console.log(`\npeak RSS (maxRSS of a child process) while logging scalars, then ending the run:`);
  const memoryWidths = [14, 14, 20, 20, 12];
  console.log(
    pad(['tracker', 'RSS at start', `peak, ${format(small)}`, `peak, ${format(memory)}`, 'growth'], memoryWidths),
  );
  for (const name of names) {
    const atSmall = runChild([name, '--mode', 'memory', '--count', String(small)]);
    const atLarge = runChild([name, '--mode', 'memory', '--count', String(memory)]);
    if ('error' in atSmall || 'error' in atLarge) {
      const error = 'error' in atSmall ? atSmall.error : (atLarge as { error: string }).error;
      console.log(pad([name, 'n/a', '', '', ''], memoryWidths) + `  (${error})`);
      continue;
    }
    const growth = atLarge.peakRss! - atSmall.peakRss!;
    console.log(
      pad(
        [
          name,
          mib(atSmall.rssBefore!),
          mib(atSmall.peakRss!),
          mib(atLarge.peakRss!),
          `${growth >= 0 ? '+' : ''}${mib(growth)}`,
        ],
        memoryWidths,
      ),
    );
  }
}

const childIndex = process.argv.indexOf('--child');
if (childIndex >= 0) {
  await child(process.argv[childIndex + 1]!, stringOption('mode')!, option('count', 1_000_000));
} else {
  await main();
}
