/**
 * The state a run's summary is built in: by a reader streaming the files (summary.ts), and by the jsonl tracker
 * while it logs (runtime/run_summary.ts). Plain data with no runtime imports, so the tracker loads none of the readers.
 */
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
}

export function emptySummaryState(): SummaryState {
  return {
    metrics: {},
    params: {},
    tags: {},
    files: { asset: 0, image: 0, figure: 0 },
    start: null,
    end: null,
    ended: null,
    points: 0,
  };
}
