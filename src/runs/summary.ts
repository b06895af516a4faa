/**
 * One run's summary from one streaming pass over its files: status, start, duration, metrics with their
 * points, last and best values, params, tags and logged files. Memory holds a few numbers per metric name,
 * never the points.
 */
import path from 'node:path';
import { readCsvRun } from './csv_reader.js';
import type { RunLocation, RunTracker } from './discover.js';
import { ExactValues, readJsonlRun } from './jsonl_reader.js';
import { readTensorboardRun } from './tfevents_reader.js';
import { emptySummaryState, metricOf, restoredSummaryState, trackPoint } from '../runtime/run_dir/summary_state.js';
import { defineName, nameTable } from '../runtime/name_table.js';
import type { ExactValue, MetricSummary, SummaryState, TrackedMetric } from '../runtime/run_dir/summary_state.js';
import type { ReadReport, RunStatus, RunVisitor } from './types.js';
import type { EndStatus, ResumeAt, RunFileKind } from '../runtime/run_dir/types.js';

export type { MetricSummary, SummaryState, TrackedMetric } from '../runtime/run_dir/summary_state.js';

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

/** Streams a run's files from `source` (its preferred tracker) into `visitor`, line-based ones from `resume` on. */
function readSource(source: RunTracker, dir: string, visitor: RunVisitor, resume?: ResumeAt): ReadReport {
  if (source === 'jsonl') return readJsonlRun(dir, visitor, resume);
  if (source === 'tensorboard') return readTensorboardRun(dir, visitor);
  return readCsvRun(dir, visitor, resume);
}

/** The warning of the lines or records a reader skipped, from the state that counts them. */
function skippedWarning(source: RunTracker, state: SummaryState): string[] {
  if (state.skipped === 0) return [];
  const what = source === 'tensorboard' ? 'records' : 'lines';
  const file = source === 'jsonl' ? 'events.jsonl' : source === 'csv' ? 'metrics.csv' : 'the event files';
  return [`${file}: ${state.skipped} ${what} skipped, not what gymnos reads (the first: ${state.firstSkipped})`];
}

/** What the files show: an end record says finished or failed; a tracker that can record one but did not. */
function statusOf(source: RunTracker, ended: EndStatus | undefined, report: ReadReport): RunStatus {
  if (ended) return ended;
  if (source === 'jsonl') return 'running-or-crashed';
  // tensorboard records the end in the hparams session, which only runs that logged params have.
  if (source === 'tensorboard' && report.sessionStarted) return 'running-or-crashed';
  return 'unknown';
}

/**
 * The metrics as a summary gives them, by name: the values kept as approximations read exactly now (a handful
 * per metric, read in one pass over the file when there are many), without the offsets.
 */
function finalMetrics(metrics: Record<string, TrackedMetric>, exactValues: ExactValues): Record<string, MetricSummary> {
  const names = Object.keys(metrics).sort();
  const offsets: number[] = [];
  for (const name of names) {
    const { lastAt, minAt, maxAt } = metrics[name]!;
    if (lastAt >= 0) offsets.push(lastAt);
    if (minAt >= 0) offsets.push(minAt);
    if (maxAt >= 0) offsets.push(maxAt);
  }
  exactValues.prefetch(Float64Array.from(offsets));
  const exact = (value: number, at: number) => (at < 0 ? value : exactValues.at(at));
  const table = nameTable<MetricSummary>();
  for (const name of names) {
    const metric = metrics[name]!;
    table[name] = {
      points: metric.points,
      firstStep: metric.firstStep,
      lastStep: metric.lastStep,
      last: exact(metric.last, metric.lastAt),
      lastTime: metric.lastTime,
      min: metric.min === null ? null : exact(metric.min, metric.minAt),
      minStep: metric.minStep,
      max: metric.max === null ? null : exact(metric.max, metric.maxAt),
      maxStep: metric.maxStep,
      nan: metric.nan,
    };
  }
  return table;
}

/** A cache of summaries: `load` gives a state and where to resume reading, `save` keeps one. */
export interface SummaryStore {
  load(location: RunLocation): { state: SummaryState; resume: ResumeAt } | undefined;
  save(location: RunLocation, state: SummaryState, consumed: ResumeAt): void;
}

/**
 * The visitor that builds `state` from a run's events; `also` sees every metric and file too, `exact` reads the
 * exact value of an approximately parsed one.
 */
function summaryVisitor(source: RunTracker, state: SummaryState, exact: ExactValue, also?: RunVisitor): RunVisitor {
  const metrics = state.metrics;
  // The previous metric's record: consecutive points of one name need no lookup.
  let lastName = '';
  let lastMetric: TrackedMetric | undefined;
  return {
    metric(name, step, value, time, at) {
      state.points++;
      state.ended = null; // points after an end record: the run was resumed and has not ended again
      const metric = name === lastName && lastMetric ? lastMetric : metricOf(metrics, name);
      lastName = name;
      lastMetric = metric;
      also?.metric(name, step, value, time, at);
      trackPoint(metric, step, value, time, at, exact);
    },
    param(name, value) {
      defineName(state.params, name, value);
    },
    tag(key, value) {
      defineName(state.tags, key, value);
    },
    file(file) {
      state.files[file.kind]++;
      also?.file?.(file);
    },
    status(status) {
      state.ended = status;
    },
    time(time) {
      if (state.start === null || time < state.start) state.start = time;
      if (state.end === null || time > state.end) state.end = time;
    },
    skip(line, why) {
      if (state.skipped++ === 0) state.firstSkipped = `${source === 'tensorboard' ? 'record' : 'line'} ${line}, ${why}`;
    },
  };
}

/**
 * One pass over a run. `also`: a visitor that sees every event too (a sampler for charts). `store`: a cache of
 * summaries for jsonl and csv runs (append-only files), resumed from where the last read stopped. `seed`: a
 * state to go on from, valid up to `resume` (a jsonl run's sidecar, see sidecar.ts); `also` has seen it too.
 */
export function summarizeRun(
  location: RunLocation,
  also?: RunVisitor,
  store?: SummaryStore,
  seed?: { state: SummaryState; resume: ResumeAt },
): RunSummary {
  const source = location.trackers[0]!;
  const cacheable = store !== undefined && also === undefined && source !== 'tensorboard';
  const stored = cacheable ? store.load(location) : undefined;
  // A tracker's sidecar (`seed`) or the reader's cache: whichever covers more of the file.
  const cached = seed && (stored === undefined || seed.resume.offset >= stored.resume.offset) ? seed : stored;
  const state = cached ? restoredSummaryState(cached.state) : emptySummaryState();
  const exactValues = new ExactValues(path.join(location.dir, 'events.jsonl'));
  const exact = (value: number, at: number) => (at < 0 ? value : exactValues.at(at));
  const visitor = summaryVisitor(source, state, exact, also);
  try {
    const report = readSource(source, location.dir, visitor, cached?.resume);
    if (cacheable && report.consumed) store.save(location, state, report.consumed);
    return {
      id: location.id,
      dir: location.dir,
      logdir: location.logdir,
      trackers: location.trackers,
      source,
      status: statusOf(source, state.ended ?? undefined, report),
      start: state.start,
      end: state.end,
      durationMs: state.start === null || state.end === null ? null : state.end - state.start,
      metrics: finalMetrics(state.metrics, exactValues),
      points: state.points,
      params: state.params,
      tags: state.tags,
      files: state.files,
      truncatedTail: report.truncatedTail,
      warnings: [...report.warnings, ...skippedWarning(source, state)],
    };
  } finally {
    exactValues.close();
  }
}
