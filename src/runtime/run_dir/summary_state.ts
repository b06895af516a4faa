/**
 * The state a run's summary is built in: by a reader streaming the files (runs/summary.ts), and by the jsonl
 * tracker while it logs (runtime/run_summary.ts). Plain data, below both, so the tracker loads none of the readers.
 */
import { defineName, nameTable, toNameTable } from '../name_table.js';
import type { EndStatus, RunFileKind } from './types.js';

export interface MetricSummary {
  points: number;
  firstStep: number;
  lastStep: number;
  /** The value at the last point logged (in file order). */
  last: number;
  lastTime: number;
  /** The least and greatest values (NaN aside) with their steps; null when every value was NaN. */
  min: number | null;
  minStep: number | null;
  max: number | null;
  maxStep: number | null;
  /** Points whose value is NaN (kept in `points`, out of min and max). */
  nan: number;
}

/** While reading: where each kept value's exact text is, when it was parsed approximately (else -1). */
export interface TrackedMetric extends MetricSummary {
  lastAt: number;
  minAt: number;
  maxAt: number;
}

/** What a summary holds while a run is read: plain data, so a cache can keep it and resume from it. */
export interface SummaryState {
  metrics: Record<string, TrackedMetric>;
  params: Record<string, unknown>;
  tags: Record<string, string>;
  files: Record<RunFileKind, number>;
  /** Epoch milliseconds of the first and last event; null before any. */
  start: number | null;
  end: number | null;
  ended: EndStatus | null;
  points: number;
  /** Lines (records) a reader could not use, and the first of them (`line 12, not JSON (...)`). */
  skipped: number;
  firstSkipped: string | null;
}

/** A new state; its tables keyed by names have no prototype (runtime/name_table.ts). */
export function emptySummaryState(): SummaryState {
  return {
    metrics: nameTable(),
    params: nameTable(),
    tags: nameTable(),
    files: { asset: 0, image: 0, figure: 0 },
    start: null,
    end: null,
    ended: null,
    points: 0,
    skipped: 0,
    firstSkipped: null,
  };
}

/** A state read back (a sidecar, a cache entry, a worker's answer), its name tables without a prototype again. */
export function restoredSummaryState(state: SummaryState): SummaryState {
  return {
    ...state,
    metrics: toNameTable(state.metrics),
    params: toNameTable(state.params),
    tags: toNameTable(state.tags),
    // A summary saved before these were counted (a jsonl tracker's own never skips a line).
    skipped: state.skipped ?? 0,
    firstSkipped: state.firstSkipped ?? null,
  };
}

/**
 * The record of metric `name` in `metrics`, made with no point when it has none: an own property whatever the name
 * (for a metric named __proto__, `metrics[name]` on a plain object is Object.prototype, which points would then be
 * counted on, in every object of the process).
 */
export function metricOf(metrics: Record<string, TrackedMetric>, name: string): TrackedMetric {
  if (Object.prototype.hasOwnProperty.call(metrics, name)) return metrics[name]!;
  const metric: TrackedMetric = {
    points: 0,
    firstStep: Number.NaN, // set by the first point
    lastStep: 0,
    last: 0,
    lastTime: 0,
    min: null,
    minStep: null,
    max: null,
    maxStep: null,
    nan: 0,
    lastAt: -1,
    minAt: -1,
    maxAt: -1,
  };
  defineName(metrics, name, metric);
  return metric;
}

/**
 * The exact value of a point a reader parsed approximately, from its text at byte `at` of the file (the jsonl
 * reader's ExactValues); `at` -1: `value` is exact.
 */
export type ExactValue = (value: number, at: number) => number;

const ALREADY_EXACT: ExactValue = (value) => value;

/** Relative distance within which an approximate value may be on either side of the kept best. */
const NEAR = 1e-15;

/**
 * `value` (exact, or approximate at `at`) if it beats the kept min (or max), exactly, else undefined: two exact
 * values, or two far apart, compare as they are; near ties are read exactly, and the kept best becomes exact.
 */
function beats(metric: TrackedMetric, value: number, at: number, which: 'min' | 'max', exact: ExactValue) {
  const best = metric[which]!;
  const bestAt = which === 'min' ? metric.minAt : metric.maxAt;
  if ((at < 0 && bestAt < 0) || Math.abs(value - best) > NEAR * Math.max(Math.abs(value), Math.abs(best))) {
    return (which === 'min' ? value < best : value > best) ? value : undefined;
  }
  const exactValue = exact(value, at);
  const exactBest = exact(best, bestAt);
  if (which === 'min') {
    metric.min = exactBest;
    metric.minAt = -1;
  } else {
    metric.max = exactBest;
    metric.maxAt = -1;
  }
  return (which === 'min' ? exactValue < exactBest : exactValue > exactBest) ? exactValue : undefined;
}

/**
 * One point of a metric, in file order: its count, last value and NaNs, or its min and max with their steps. The
 * one update of both sides: the jsonl tracker's while it logs (exact values) and the readers' (`at`, `exact`: jsonl
 * values of 16 or 17 digits are parsed approximately, only the ones a summary keeps exactly). The hot path of both.
 */
export function trackPoint(
  metric: TrackedMetric,
  step: number,
  value: number,
  time: number,
  at = -1,
  exact: ExactValue = ALREADY_EXACT,
): void {
  if (metric.points++ === 0) metric.firstStep = step;
  metric.lastStep = step;
  metric.last = value;
  metric.lastAt = at;
  metric.lastTime = time;
  if (value !== value) {
    metric.nan++;
  } else if (metric.min === null) {
    metric.min = metric.max = value;
    metric.minStep = metric.maxStep = step;
    metric.minAt = metric.maxAt = at;
  } else {
    // Cheap bounds first: most points are neither a new min nor a new max.
    if (value <= metric.min * (metric.min > 0 ? 1 + NEAR : 1 - NEAR)) {
      const lower = beats(metric, value, at, 'min', exact);
      if (lower !== undefined) {
        metric.min = lower;
        metric.minStep = step;
        metric.minAt = lower === value ? at : -1;
      }
    }
    if (value >= metric.max! * (metric.max! > 0 ? 1 - NEAR : 1 + NEAR)) {
      const higher = beats(metric, value, at, 'max', exact);
      if (higher !== undefined) {
        metric.max = higher;
        metric.maxStep = step;
        metric.maxAt = higher === value ? at : -1;
      }
    }
  }
}

const isCount = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 0;
const isNumber = (value: unknown): value is number => typeof value === 'number';
const isTable = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
const END_STATUSES: readonly unknown[] = ['finished', 'failed', 'incomplete', null];

/** A metric's summary as a reader (or the jsonl tracker) makes it: counts that add up, a min at most the max. */
function isPlausibleMetric(metric: unknown): boolean {
  if (!isTable(metric)) return false;
  const { points, nan, firstStep, lastStep, last, lastTime, min, max, minStep, maxStep } = metric;
  if (!isCount(points) || points === 0 || !isCount(nan) || nan > points) return false;
  if (![firstStep, lastStep, last, lastTime].every(isNumber)) return false;
  if ((min === null) !== (nan === points) || (max === null) !== (nan === points)) return false;
  if (min === null) return minStep === null && maxStep === null;
  return isNumber(min) && isNumber(max) && min <= max && isNumber(minStep) && isNumber(maxStep);
}

/**
 * Whether a saved state (a sidecar, a cache entry) is one a reader could have made: a file whose edges match but
 * whose summary was edited, or written by something else, is read in full instead of trusted.
 */
export function isPlausibleState(state: unknown): state is SummaryState {
  if (!isTable(state)) return false;
  const { metrics, params, tags, files, start, end, ended, points, skipped } = state;
  if (!isTable(metrics) || !isTable(params) || !isTable(tags) || !isTable(files) || !isCount(points)) return false;
  if (![files.asset, files.image, files.figure].every(isCount)) return false;
  if (!(start === null || isNumber(start)) || !(end === null || isNumber(end))) return false;
  if (start !== null && end !== null && start > end) return false;
  if (!END_STATUSES.includes(ended) || !(skipped === undefined || isCount(skipped))) return false;
  if (!Object.values(tags).every((value) => typeof value === 'string')) return false;
  let sum = 0;
  for (const metric of Object.values(metrics)) {
    if (!isPlausibleMetric(metric)) return false;
    sum += (metric as MetricSummary).points;
  }
  return sum === points;
}

/** A saved summary may be as large as this whatever it covers: a small file is cheap to read either way. */
const SMALL_SUMMARY_BYTES = 1024 * 1024;

/**
 * Whether a state is worth saving as JSON beside `bytes` of the events it covers, judged without writing the JSON
 * (a million metric names make 200 MB of it; a metric's summary takes at least 100 bytes): a summary larger than
 * its events (and than a megabyte) saves a reader nothing, since reading the events costs no more.
 */
export function worthSaving(state: SummaryState, bytes: number): boolean {
  const limit = summaryLimit(bytes);
  let names = 0;
  for (const _name in state.metrics) if (++names * 100 > limit) return false;
  return true;
}

/** The most a saved summary of `bytes` of events is worth reading (see worthSaving). */
export function summaryLimit(bytes: number): number {
  return Math.max(bytes, SMALL_SUMMARY_BYTES);
}
