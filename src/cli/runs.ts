/**
 * `gymnos runs [logdir...]`: one row per run found under the logdirs (jsonl, csv, tensorboard), with the
 * last and best value of the metrics asked for, filters on run id and params, `--json`, and a text chart per
 * `--plot` metric. The work is in src/runs/; this file parses flags and prints.
 */
import { GymnosError } from '../errors.js';
import { listRuns } from '../runs/parallel.js';
import { defaultCacheDir } from '../runs/summary_cache.js';
import type { ListedRun } from '../runs/list.js';
import type { MetricSummary, RunSummary } from '../runs/summary.js';
import { formatNumber, renderChart } from '../runs/terminal_chart.js';
import { EXIT } from './exit_codes.js';
import type { JsonDocument } from './failure.js';
import { printError, printJson, printLine } from './output.js';
import { isTerminal, writeStdout } from '../util/stdio.js';

export interface RunsOptions {
  metric?: string[];
  mode?: string;
  sort?: string;
  desc?: boolean;
  run?: string;
  where?: string[];
  plot?: string[];
  json?: boolean;
  /** commander's --no-cache */
  cache?: boolean;
}

const SORT_KEYS = ['id', 'start', 'duration', 'status', 'points'];

function usage(code: string, message: string): GymnosError {
  return new GymnosError(code, message);
}

/** The best value of a metric in the chosen direction, and its step. */
export function bestOf(metric: MetricSummary, mode: 'min' | 'max'): { value: number | null; step: number | null } {
  return mode === 'min' ? { value: metric.min, step: metric.minStep } : { value: metric.max, step: metric.maxStep };
}

function formatDuration(ms: number | null): string {
  if (ms === null) return '-';
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(Math.floor(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

function formatTime(ms: number | null): string {
  if (ms === null) return '-';
  const date = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

function compareRuns(key: string, mode: 'min' | 'max'): (a: RunSummary, b: RunSummary) => number {
  const byNumber = (value: (run: RunSummary) => number | null) => (a: RunSummary, b: RunSummary) => {
    const x = value(a);
    const y = value(b);
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1; // runs without it last
    return x - y;
  };
  switch (key) {
    case 'id':
      return (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    case 'status':
      return (a, b) => a.status.localeCompare(b.status);
    case 'start':
      return byNumber((run) => run.start);
    case 'duration':
      return byNumber((run) => run.durationMs);
    case 'points':
      return byNumber((run) => run.points);
    default: {
      // A metric: best first in the --mode direction.
      const sign = mode === 'min' ? 1 : -1;
      const best = byNumber((run) => {
        const metric = run.metrics[key];
        const value = metric ? bestOf(metric, mode).value : null;
        return value === null ? null : sign * value;
      });
      return best;
    }
  }
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) =>
    row
      .map((cell, column) => (column < 4 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd(),
  );
}

export async function runRuns(logdirs: string[], options: RunsOptions, document: JsonDocument): Promise<number> {
  // On a failure, the shell prints this with ok: false and the error (failure.ts).
  document.fields = { logdirs, mode: options.mode ?? 'min', runs: [] };
  return listAndPrint(logdirs, options);
}

async function listAndPrint(logdirArgs: string[], options: RunsOptions): Promise<number> {
  const logdirs = logdirArgs.length > 0 ? logdirArgs : ['./logs'];
  const mode = (options.mode ?? 'min') as 'min' | 'max';
  const metrics = options.metric ?? [];
  const plots = options.plot ?? [];
  const sortKey = options.sort ?? 'start';
  if (!SORT_KEYS.includes(sortKey) && !metrics.includes(sortKey)) {
    throw usage(
      'SORT_INVALID',
      `--sort ${sortKey}: sort by ${SORT_KEYS.join(', ')} or a metric shown with --metric (--metric loss --sort loss)`,
    );
  }
  const tty = isTerminal(1) && !options.json;
  const sampleMetrics = options.json ? [] : plots;
  const sample = sampleMetrics.length > 0 ? { metrics: sampleMetrics, points: tty ? 240 : 120 } : undefined;
  const cacheDir = options.cache === false ? undefined : defaultCacheDir();
  const sidecars = options.cache !== false;
  const listed: ListedRun[] = await listRuns({
    logdirs,
    run: options.run,
    where: options.where,
    sample,
    cacheDir,
    sidecars,
  });
  const compare = compareRuns(sortKey, mode);
  listed.sort((a, b) => (options.desc ? -1 : 1) * compare(a.summary, b.summary));
  const runs = listed.map((run) => run.summary);

  if (options.json) {
    printJson(
      withNonFiniteAsStrings({
        logdirs,
        mode,
        runs: runs.map((run) => ({
          ...run,
          best: Object.fromEntries(Object.entries(run.metrics).map(([name, metric]) => [name, bestOf(metric, mode)])),
        })),
      }),
    );
    if (runs.length === 0) printError(noRunsMessage(logdirs, options));
    return runs.length === 0 ? EXIT.failure : EXIT.ok;
  }
  if (runs.length === 0) {
    printError(noRunsMessage(logdirs, options));
    return EXIT.failure;
  }
  const header = ['run', 'tracker', 'status', 'start', 'duration', 'metrics', 'points'];
  for (const metric of metrics) header.push(`${metric} last`, `${metric} ${mode}`);
  const rows = [header];
  for (const run of runs) {
    const row = [
      run.id,
      run.trackers.join('+'),
      run.status,
      formatTime(run.start),
      formatDuration(run.durationMs),
      String(Object.keys(run.metrics).length),
      String(run.points),
    ];
    for (const name of metrics) {
      const metric = run.metrics[name];
      const best = metric ? bestOf(metric, mode).value : null;
      row.push(metric ? formatNumber(metric.last) : '-', best === null ? '-' : formatNumber(best));
    }
    rows.push(row);
  }
  for (const line of table(rows)) printLine(line);
  for (const run of runs) {
    if (run.truncatedTail) printError(`${run.id}: the last line or record was cut short (a crash?); read up to it`);
    for (const warning of run.warnings) printError(`${run.id}: ${warning}`);
  }
  for (const metric of plots) {
    printLine();
    const lines = listed
      .filter((run) => run.series[metric] !== undefined)
      .map((run) => ({ label: run.summary.id, series: run.series[metric]! }));
    if (lines.length === 0) printLine(`${metric}: no run logged it`);
    else writeStdout(renderChart(lines, { title: metric, rich: tty }));
  }
  return EXIT.ok;
}

/** JSON has no NaN or Infinity: they become "NaN", "Infinity", "-Infinity", as events.jsonl writes them. */
function withNonFiniteAsStrings(document: unknown): unknown {
  return JSON.parse(
    JSON.stringify(document, (_key, value: unknown) =>
      typeof value === 'number' && !Number.isFinite(value) ? String(value) : value,
    ),
  );
}

function noRunsMessage(logdirs: readonly string[], options: RunsOptions): string {
  const filtered = options.run !== undefined || (options.where ?? []).length > 0;
  return filtered
    ? `no run under ${logdirs.join(', ')} matches the filters`
    : `no runs under ${logdirs.join(', ')} (looked for events.jsonl, metrics.csv and events.out.tfevents.* files)`;
}
