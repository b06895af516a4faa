/**
 * A sweep's questions over run summaries: the best value of a metric in its own direction (`loss:min`,
 * `acc:max`), runs grouped by params with each group's mean, spread and best, and the params that differ between
 * runs. `gymnos runs` prints these; the report page (which bundles this module) ranks runs and groups with them.
 */
import { flattenParams, paramAt, sameValue, splitKeyPaths } from './param_paths.js';

export type Mode = 'min' | 'max';

/** A metric and the direction its best value is in. */
export interface MetricSpec {
  name: string;
  mode: Mode;
}

/** What a sweep view needs of a run's summary. */
export interface SweepRun {
  id: string;
  params: Record<string, unknown>;
  metrics: Record<string, { min: number | null; minStep: number | null; max: number | null; maxStep: number | null }>;
}

/**
 * `loss`, `loss:min`, `acc:max`: a metric name and its mode (`fallback` when none is given). Any other suffix is
 * part of the name (a metric may be called `eval:loss`); a name no run logged is reported with a did-you-mean.
 */
export function parseMetricSpec(text: string, fallback: Mode): MetricSpec {
  const match = /^(.+):(min|max)$/s.exec(text);
  return match ? { name: match[1]!, mode: match[2] as Mode } : { name: text, mode: fallback };
}

/** A run's best value of a metric in `mode`, and its step; null values when the run lacks it or has no number. */
export function bestOf(run: SweepRun, spec: MetricSpec): { value: number | null; step: number | null } {
  const metric = run.metrics[spec.name];
  if (metric === undefined) return { value: null, step: null };
  return spec.mode === 'min'
    ? { value: metric.min, step: metric.minStep }
    : { value: metric.max, step: metric.maxStep };
}

/** Orders values best first in `mode`, runs without one last. */
export function compareBest(a: number | null, b: number | null, mode: Mode): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  return mode === 'min' ? a - b : b - a;
}

/** Orders param values: numbers by value, before text, before anything else (by its JSON); missing last. */
export function compareParamValues(a: unknown, b: unknown): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const rank = (value: unknown) => (typeof value === 'number' ? 0 : typeof value === 'string' ? 1 : 2);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  const x = typeof a === 'string' ? a : JSON.stringify(a);
  const y = typeof b === 'string' ? b : JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The key paths whose values differ between the runs (a key some runs lack differs), sorted. */
export function differingParams(runs: readonly Pick<SweepRun, 'params'>[]): string[] {
  return splitKeyPaths(runs.map((run) => flattenParams(run.params))).differing;
}

export interface RunGroup<R extends SweepRun = SweepRun> {
  /** The group's value of each key (undefined for runs without it). */
  values: Record<string, unknown>;
  runs: R[];
}

/** Runs grouped by their values of `keys`, groups in the order of those values. */
export function groupRuns<R extends SweepRun>(runs: readonly R[], keys: readonly string[]): RunGroup<R>[] {
  const groups: RunGroup<R>[] = [];
  for (const run of runs) {
    const values = keys.map((key) => paramAt(run.params, key));
    const group = groups.find((candidate) => keys.every((key, i) => sameValue(candidate.values[key], values[i])));
    if (group) group.runs.push(run);
    else {
      const record: Record<string, unknown> = {};
      keys.forEach((key, i) => Object.defineProperty(record, key, { value: values[i], enumerable: true }));
      groups.push({ values: record, runs: [run] });
    }
  }
  return groups.sort((a, b) => {
    for (const key of keys) {
      const order = compareParamValues(a.values[key], b.values[key]);
      if (order !== 0) return order;
    }
    return 0;
  });
}

/** The spread of a group's best values of one metric: how the setting did, and how reliably. */
export interface GroupStats {
  mode: Mode;
  /** Members with a value. */
  count: number;
  mean: number | null;
  /** The population standard deviation (0 for one member). */
  std: number | null;
  min: number | null;
  max: number | null;
  /** The member with the best value. */
  best: { run: string; value: number; step: number | null } | null;
}

export function groupStats(runs: readonly SweepRun[], spec: MetricSpec): GroupStats {
  let best: GroupStats['best'] = null;
  const values: number[] = [];
  for (const run of runs) {
    const { value, step } = bestOf(run, spec);
    if (value === null) continue;
    values.push(value);
    if (best === null || compareBest(value, best.value, spec.mode) < 0) best = { run: run.id, value, step };
  }
  if (values.length === 0) return { mode: spec.mode, count: 0, mean: null, std: null, min: null, max: null, best };
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / values.length;
  return {
    mode: spec.mode,
    count: values.length,
    mean,
    std: Math.sqrt(variance),
    min: Math.min(...values),
    max: Math.max(...values),
    best,
  };
}
