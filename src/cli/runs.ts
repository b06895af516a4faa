/**
 * `gymnos runs [logdir...]`: one row per run found under the logdirs (jsonl, csv, tensorboard), or per group of
 * runs (`--group-by lr`), with the last and best value of each metric asked for in its own direction
 * (`--metric loss:min --metric acc:max`), the params that differ as columns, conditions (`--where 'lr<0.01'`),
 * sorting, `--top`, `--json`, and a text chart per `--plot` metric. The work is in src/runs/; this file parses
 * flags and prints.
 */
import { GymnosError } from '../errors.js';
import type { SkippedRun } from '../runs/discover.js';
import type { ListedRun, SeenKeys } from '../runs/list.js';
import { formatColumn, formatDuration, formatValue } from '../runs/number_format.js';
import { flattenParams, paramAt } from '../runs/param_paths.js';
import { listRuns } from '../runs/parallel.js';
import type { RunSummary } from '../runs/summary.js';
import { defaultCacheDir } from '../runs/summary_cache.js';
import {
  bestOf,
  compareBest,
  compareParamValues,
  differingParams,
  groupRuns,
  groupStats,
  parseMetricSpec,
} from '../runs/sweep.js';
import type { MetricSpec, Mode, RunGroup } from '../runs/sweep.js';
import { checkConditionKeys, parseWhere, unknownNameError } from '../runs/query.js';
import { renderChart } from '../runs/terminal_chart.js';
import { escapeControls } from '../util/display_text.js';
import { isTerminal, writeStdout } from './stdio.js';
import { EXIT } from './exit_codes.js';
import type { JsonDocument } from './failure.js';
import { printError, printJson, printLine } from './output.js';

export interface RunsOptions {
  metric?: string[];
  mode?: string;
  sort?: string;
  desc?: boolean;
  top?: string;
  groupBy?: string[];
  params?: string;
  run?: string;
  where?: string[];
  plot?: string[];
  json?: boolean;
  /** commander's --no-cache */
  cache?: boolean;
}

const RUN_SORT_KEYS = ['id', 'start', 'duration', 'status', 'points'];

/** What to sort by: a column of the run table, a metric's best in a direction, a param, or a group's size. */
type SortKey =
  | { kind: 'run'; key: string }
  | { kind: 'metric'; spec: MetricSpec }
  | { kind: 'param'; key: string }
  | { kind: 'group' }
  | { kind: 'count' };

function formatTime(ms: number | null): string {
  if (ms === null) return '-';
  const date = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

function byNumber<T>(value: (item: T) => number | null): (a: T, b: T) => number {
  return (a, b) => compareBest(value(a), value(b), 'min');
}

function compareRuns(sort: SortKey): (a: RunSummary, b: RunSummary) => number {
  switch (sort.kind) {
    case 'metric':
      return (a, b) => compareBest(bestOf(a, sort.spec).value, bestOf(b, sort.spec).value, sort.spec.mode);
    case 'param':
      return (a, b) => compareParamValues(paramAt(a.params, sort.key), paramAt(b.params, sort.key));
    case 'count':
    case 'group':
      return byNumber((run) => run.start);
    case 'run':
      switch (sort.key) {
        case 'id':
          return (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
        case 'status':
          return (a, b) => a.status.localeCompare(b.status);
        case 'duration':
          return byNumber((run) => run.durationMs);
        case 'points':
          return byNumber((run) => run.points);
        default:
          return byNumber((run) => run.start);
      }
  }
}

function compareGroups(
  sort: SortKey,
  keys: readonly string[],
): (a: RunGroup<RunSummary>, b: RunGroup<RunSummary>) => number {
  switch (sort.kind) {
    case 'metric':
      return (a, b) =>
        compareBest(groupStats(a.runs, sort.spec).mean, groupStats(b.runs, sort.spec).mean, sort.spec.mode);
    case 'count':
      return (a, b) => b.runs.length - a.runs.length;
    case 'param':
      return (a, b) => compareParamValues(a.values[sort.key], b.values[sort.key]);
    case 'run':
      return () => 0; // groupRuns' order: by the group-by values
    case 'group':
      return (a, b) => {
        for (const key of keys) {
          const order = compareParamValues(a.values[key], b.values[key]);
          if (order !== 0) return order;
        }
        return 0;
      };
  }
}

/** Aligned rows: text columns (`left`) to the left, numbers to the right. */
function table(cells: string[][], left: (column: number) => boolean): string[] {
  // Run ids, metric and param names and values come from files: their control characters are shown, not acted on.
  const rows = cells.map((row) => row.map(escapeControls));
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) =>
    row
      .map((text, column) => (left(column) ? text.padEnd(widths[column]!) : text.padStart(widths[column]!)))
      .join('  ')
      .trimEnd(),
  );
}

export async function runRuns(logdirs: string[], options: RunsOptions, document: JsonDocument): Promise<number> {
  // On a failure, the shell prints this with ok: false and the error (failure.ts).
  document.fields = { logdirs, mode: options.mode ?? 'min', runs: [] };
  return listAndPrint(logdirs, options);
}

interface Plan {
  mode: Mode;
  metrics: MetricSpec[];
  sort: SortKey;
  top: number | undefined;
  groupBy: string[];
}

/** The flags that need no run to be checked: usage errors before any file is read. */
function plan(options: RunsOptions): Plan {
  const mode = (options.mode ?? 'min') as Mode;
  const metrics = (options.metric ?? []).map((text) => parseMetricSpec(text, mode));
  let top: number | undefined;
  if (options.top !== undefined) {
    top = Number(options.top);
    if (!Number.isInteger(top) || top < 1) {
      throw new GymnosError('TOP_INVALID', `--top ${options.top}: expected a whole number of rows, 1 or more`);
    }
  }
  const groupBy = (options.groupBy ?? []).flatMap((keys) => keys.split(',')).map((key) => key.trim());
  if (groupBy.some((key) => key === '')) {
    throw new GymnosError('GROUP_BY_INVALID', `--group-by ${options.groupBy!.join(',')}: a param key is empty`);
  }
  const sortText = options.sort ?? (groupBy.length > 0 ? 'group' : 'start');
  let sort: SortKey;
  if (RUN_SORT_KEYS.includes(sortText)) sort = { kind: 'run', key: sortText };
  else if (sortText === 'group' && groupBy.length > 0) sort = { kind: 'group' };
  else if (sortText === 'runs' && groupBy.length > 0) sort = { kind: 'count' };
  else {
    // A metric (its mode from --metric when shown there) or a param: told apart once the runs are read.
    const spec = parseMetricSpec(sortText, mode);
    const shown = metrics.find((metric) => metric.name === spec.name);
    sort = { kind: 'metric', spec: /:(min|max)$/.test(sortText) || !shown ? spec : shown };
  }
  return { mode, metrics, sort, top, groupBy };
}

/** Checks every metric and param the flags name against what the runs have; a typo is exit 2 with a suggestion. */
function checkNames(runs: readonly RunSummary[], seen: SeenKeys, options: RunsOptions, flags: Plan): Plan {
  // Looked up run by run; every name is gathered only for a did-you-mean (a run may log a million names).
  const logged = (name: string) => runs.some((run) => Object.hasOwn(run.metrics, name));
  const metricNames = () => new Set(runs.flatMap((run) => Object.keys(run.metrics)));
  for (const spec of [...flags.metrics, ...(options.plot ?? []).map((name) => ({ name }))]) {
    if (!logged(spec.name)) throw unknownNameError('METRIC_UNKNOWN', 'metric', spec.name, metricNames());
  }
  for (const key of flags.groupBy) {
    if (!seen.params.has(key)) throw unknownNameError('PARAM_UNKNOWN', '--group-by: param', key, seen.params);
  }
  let sort = flags.sort;
  if (sort.kind === 'metric' && !logged(sort.spec.name)) {
    if (seen.params.has(sort.spec.name)) sort = { kind: 'param', key: sort.spec.name };
    else {
      throw unknownNameError('SORT_UNKNOWN', '--sort: metric or param', sort.spec.name, [
        ...metricNames(),
        ...seen.params,
      ]);
    }
  }
  const metrics =
    sort.kind === 'metric' && !flags.metrics.some((metric) => metric.name === sort.spec.name)
      ? [...flags.metrics, sort.spec] // sorted by it: shown too
      : flags.metrics;
  return { ...flags, sort, metrics };
}

/** The param columns: `differing` (default), `all`, `none`, or a comma-separated list of key paths. */
function paramColumns(which: string, runs: readonly RunSummary[], seen: SeenKeys, groupBy: string[]): string[] {
  const shown = (() => {
    if (which === 'none') return [];
    if (which === 'differing') return differingParams(runs);
    if (which === 'all') return [...new Set(runs.flatMap((run) => Object.keys(flattenParams(run.params))))].sort();
    const keys = which.split(',').map((key) => key.trim());
    for (const key of keys)
      if (!seen.params.has(key)) throw unknownNameError('PARAM_UNKNOWN', '--params: param', key, seen.params);
    return keys;
  })();
  return shown.filter((key) => !groupBy.includes(key));
}

async function listAndPrint(logdirArgs: string[], options: RunsOptions): Promise<number> {
  const logdirs = logdirArgs.length > 0 ? logdirArgs : ['./logs'];
  parseWhere(options.where ?? []); // syntax first, before any file is read
  let flags = plan(options);
  const plots = options.plot ?? [];
  const tty = isTerminal(1) && !options.json;
  const sampleMetrics = options.json ? [] : plots;
  const sample = sampleMetrics.length > 0 ? { metrics: sampleMetrics, points: tty ? 240 : 120 } : undefined;
  const cacheDir = options.cache === false ? undefined : defaultCacheDir();
  const seen: SeenKeys = { params: new Set(), tags: new Set() };
  // A run whose files cannot be read is told on stderr and left out; the others are listed.
  const skipped: SkippedRun[] = [];
  const listed: ListedRun[] = await listRuns({
    logdirs,
    run: options.run,
    where: options.where,
    sample,
    cacheDir,
    sidecars: options.cache !== false,
    seen,
    onSkip: (run) => skipped.push(run),
  });
  for (const run of skipped) printError(escapeControls(`${run.id}: ${run.message}; skipped`));
  const all = listed.map((run) => run.summary);
  checkConditionKeys(options.where ?? [], seen);
  if (all.length === 0) {
    if (options.json) printJson({ logdirs, mode: flags.mode, runs: [], skipped });
    printError(noRunsMessage(logdirs, options));
    return EXIT.failure;
  }
  flags = checkNames(all, seen, options, flags);
  const params = paramColumns(options.params ?? 'differing', all, seen, flags.groupBy);
  const direction = options.desc ? -1 : 1;
  const compare = compareRuns(flags.sort);
  const sorted = [...all].sort((a, b) => direction * compare(a, b));
  const groups =
    flags.groupBy.length > 0
      ? groupRuns(sorted, flags.groupBy)
          .sort((a, b) => direction * compareGroups(flags.sort, flags.groupBy)(a, b))
          .slice(0, flags.top)
      : undefined;
  const runs = groups
    ? sorted.filter((run) => groups.some((group) => group.runs.includes(run)))
    : sorted.slice(0, flags.top);

  if (options.json) {
    printJson({ ...(jsonDocument(logdirs, options, flags, params, runs, groups) as object), skipped });
    return EXIT.ok;
  }
  const lines = groups ? groupTable(groups, flags) : runTable(runs, flags, params);
  for (const line of lines) printLine(line);
  for (const run of runs) {
    if (run.truncatedTail) {
      printError(escapeControls(`${run.id}: the last line or record was cut short (a crash?); read up to it`));
    }
    for (const warning of run.warnings) printError(escapeControls(`${run.id}: ${warning}`));
  }
  for (const metric of plots) {
    printLine();
    const drawn = listed
      .filter((run) => runs.includes(run.summary) && run.series[metric] !== undefined)
      .sort((a, b) => runs.indexOf(a.summary) - runs.indexOf(b.summary))
      .map((run) => ({ label: escapeControls(run.summary.id), series: run.series[metric]! }));
    if (drawn.length === 0) printLine(escapeControls(`${metric}: no run listed logged it`));
    else writeStdout(renderChart(drawn, { title: escapeControls(metric), rich: tty }));
  }
  return EXIT.ok;
}

/** The rows of a table given by columns, `left` saying which columns hold text. */
function columnsToLines(header: string[], columns: string[][], left: (column: number) => boolean): string[] {
  const rows = [header, ...columns[0]!.map((_, row) => columns.map((column) => column[row]!))];
  return table(rows, left);
}

function runTable(runs: readonly RunSummary[], flags: Plan, params: readonly string[]): string[] {
  const header = ['run', 'tracker', 'status', 'start', 'duration', 'metrics', 'points', ...params];
  const columns: string[][] = [
    runs.map((run) => run.id),
    runs.map((run) => run.trackers.join('+')),
    runs.map((run) => run.status),
    runs.map((run) => formatTime(run.start)),
    runs.map((run) => formatDuration(run.durationMs)),
    runs.map((run) => String(Object.keys(run.metrics).length)),
    runs.map((run) => String(run.points)),
    ...params.map((key) => runs.map((run) => formatValue(paramAt(run.params, key)) || '-')),
  ];
  for (const spec of flags.metrics) {
    header.push(`${spec.name} last`, `${spec.name} ${spec.mode}`);
    columns.push(formatColumn(runs.map((run) => run.metrics[spec.name]?.last ?? null)));
    columns.push(formatColumn(runs.map((run) => bestOf(run, spec).value)));
  }
  return columnsToLines(header, columns, (column) => column < 4);
}

/** A row per group: its values, its size, and per metric the mean, spread and best of its members' best values. */
function groupTable(groups: readonly RunGroup<RunSummary>[], flags: Plan): string[] {
  const header = [...flags.groupBy, 'runs'];
  const columns: string[][] = [
    ...flags.groupBy.map((key) => groups.map((group) => formatValue(group.values[key]) || '-')),
    groups.map((group) => String(group.runs.length)),
  ];
  for (const spec of flags.metrics) {
    const label = `${spec.name} ${spec.mode}`;
    const stats = groups.map((group) => groupStats(group.runs, spec));
    header.push(`${label} mean`, `${label} std`, `${label} best`, 'best run');
    columns.push(formatColumn(stats.map((stat) => stat.mean)));
    columns.push(formatColumn(stats.map((stat) => stat.std)));
    columns.push(formatColumn(stats.map((stat) => stat.best?.value ?? null)));
    columns.push(stats.map((stat) => stat.best?.run ?? '-'));
  }
  return columnsToLines(header, columns, (column) => column < flags.groupBy.length || header[column] === 'best run');
}

function jsonDocument(
  logdirs: readonly string[],
  options: RunsOptions,
  flags: Plan,
  params: readonly string[],
  runs: readonly RunSummary[],
  groups: readonly RunGroup<RunSummary>[] | undefined,
): unknown {
  const modeOf = (name: string) => flags.metrics.find((metric) => metric.name === name)?.mode ?? flags.mode;
  return withNonFiniteAsStrings({
    logdirs,
    mode: flags.mode,
    metrics: flags.metrics,
    where: options.where ?? [],
    sort:
      flags.sort.kind === 'metric'
        ? { metric: flags.sort.spec.name, mode: flags.sort.spec.mode, descending: options.desc === true }
        : flags.sort.kind === 'param'
          ? { param: flags.sort.key, descending: options.desc === true }
          : {
              key: flags.sort.kind === 'run' ? flags.sort.key : flags.sort.kind === 'count' ? 'runs' : 'group',
              descending: options.desc === true,
            },
    top: flags.top ?? null,
    groupBy: flags.groupBy,
    params,
    runs: runs.map((run) => ({
      ...run,
      best: Object.fromEntries(
        Object.keys(run.metrics).map((name) => {
          const mode = modeOf(name);
          return [name, { mode, ...bestOf(run, { name, mode }) }];
        }),
      ),
    })),
    ...(groups && {
      groups: groups.map((group) => ({
        params: group.values,
        count: group.runs.length,
        runs: group.runs.map((run) => run.id),
        metrics: Object.fromEntries(flags.metrics.map((spec) => [spec.name, groupStats(group.runs, spec)])),
      })),
    }),
  });
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
