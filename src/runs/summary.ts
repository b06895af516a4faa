/**
 * One run's summary from one streaming pass over its files: status, start, duration, metrics with their
 * points, last and best values, params, tags and logged files. Memory holds a few numbers per metric name,
 * never the points.
 */
import { readCsvRun } from './csv_reader.js';
import type { RunLocation, RunTracker } from './discover.js';
import { readJsonlRun } from './jsonl_reader.js';
import { readTensorboardRun } from './tfevents_reader.js';
import type { ReadReport, RunFileKind, RunStatus, RunVisitor } from './types.js';

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

export interface RunSummary {
  id: string;
  dir: string;
  logdir: string;
  /** Every file tracker that wrote the run directory. */
  trackers: RunTracker[];
  /** The one the summary was read from. */
  source: RunTracker;
  status: RunStatus;
  /** Epoch milliseconds of the first and last event; null for a run with no event. */
  start: number | null;
  end: number | null;
  durationMs: number | null;
  metrics: Record<string, MetricSummary>;
  points: number;
  params: Record<string, unknown>;
  tags: Record<string, string>;
  files: Record<RunFileKind, number>;
  /** True when the last line or record was cut short (a crash, or a write in progress) and skipped. */
  truncatedTail: boolean;
  warnings: string[];
}

/** Streams a run's files (from its preferred tracker) into `visitor`. */
export function readRun(location: RunLocation, visitor: RunVisitor): ReadReport & { source: RunTracker } {
  const source = location.trackers[0]!;
  const report =
    source === 'jsonl'
      ? readJsonlRun(location.dir, visitor)
      : source === 'tensorboard'
        ? readTensorboardRun(location.dir, visitor)
        : readCsvRun(location.dir, visitor);
  return { ...report, source };
}

/** What the files show: an end record says finished or failed; a tracker that can record one but did not. */
function statusOf(source: RunTracker, ended: 'finished' | 'failed' | undefined, report: ReadReport): RunStatus {
  if (ended) return ended;
  if (source === 'jsonl') return 'running-or-crashed';
  // tensorboard records the end in the hparams session, which only runs that logged params have.
  if (source === 'tensorboard' && report.sessionStarted) return 'running-or-crashed';
  return 'unknown';
}

/** `also`: a visitor that sees every event too (a sampler for charts), in the same pass. */
export function summarizeRun(location: RunLocation, also?: RunVisitor): RunSummary {
  const metrics = new Map<string, MetricSummary>();
  const params: Record<string, unknown> = {};
  const tags: Record<string, string> = {};
  const files: Record<RunFileKind, number> = { asset: 0, image: 0, figure: 0 };
  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  let ended: 'finished' | 'failed' | undefined;
  let points = 0;
  // The previous metric's record: consecutive points of one name need no Map lookup.
  let lastName = '';
  let lastMetric: MetricSummary | undefined;
  const visitor: RunVisitor = {
    metric(name, step, value, time) {
      points++;
      let metric = name === lastName ? lastMetric : metrics.get(name);
      if (metric === undefined) {
        metric = {
          points: 0,
          firstStep: step,
          lastStep: step,
          last: value,
          lastTime: time,
          nan: 0,
          min: null,
          minStep: null,
          max: null,
          maxStep: null,
        };
        metrics.set(name, metric);
      }
      lastName = name;
      lastMetric = metric;
      also?.metric(name, step, value, time);
      metric.points++;
      metric.lastStep = step;
      metric.last = value;
      metric.lastTime = time;
      if (value !== value) metric.nan++;
      else {
        if (metric.min === null || value < metric.min) {
          metric.min = value;
          metric.minStep = step;
        }
        if (metric.max === null || value > metric.max) {
          metric.max = value;
          metric.maxStep = step;
        }
      }
    },
    param(name, value) {
      params[name] = value;
    },
    tag(key, value) {
      tags[key] = value;
    },
    file(file) {
      files[file.kind]++;
      also?.file?.(file);
    },
    status(status) {
      ended = status;
    },
    time(time) {
      if (time < start) start = time;
      if (time > end) end = time;
    },
  };
  const report = readRun(location, visitor);
  const hasTime = Number.isFinite(start);
  return {
    id: location.id,
    dir: location.dir,
    logdir: location.logdir,
    trackers: location.trackers,
    source: report.source,
    status: statusOf(report.source, ended, report),
    start: hasTime ? start : null,
    end: hasTime ? end : null,
    durationMs: hasTime ? end - start : null,
    metrics: Object.fromEntries([...metrics].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    points,
    params,
    tags,
    files,
    truncatedTail: report.truncatedTail,
    warnings: report.warnings,
  };
}
