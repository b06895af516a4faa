/**
 * The report's data block: what `gymnos report` embeds in the page (page_data.ts writes it) and the page's script
 * reads (page/). Series travel as columns of bytes (runtime/run_dir/column_codec.ts): steps and times as varints of
 * their differences, values as float32, which is what a chart draws; the exact last, min and max of every metric
 * travel as JSON numbers beside them. No path of the machine is in it: runs by id, logdirs by label.
 *
 * Types only and one pure helper: the page bundles this module.
 */
import type { ColumnKind } from '../runtime/run_dir/column_codec.js';
import type { Mode } from '../runs/sweep.js';

export const REPORT_DATA_FORMAT = 2;

import type { PictureFormat } from '../runs/media_format.js';

export type { PictureFormat };

/** A figure or image ready for the page: a data URI for pictures, the parsed spec for charts. */
export type ReportMedia =
  | { kind: 'image' | 'figure'; name: string; format: PictureFormat; dataUri: string }
  | { kind: 'figure'; name: string; format: 'vega-lite' | 'plotly'; spec: unknown };

/** A metric's exact summary, as the run's files give it (NaN and ±Infinity as the strings JSON needs). */
export interface ReportMetric {
  points: number;
  firstStep: number;
  lastStep: number;
  last: number;
  min: number | null;
  minStep: number | null;
  max: number | null;
  maxStep: number | null;
  nan: number;
}

export interface ReportRunData {
  id: string;
  trackers: string[];
  status: string;
  /** Epoch milliseconds; null for a run with no event. */
  start: number | null;
  end: number | null;
  durationMs: number | null;
  points: number;
  /** As logged: nested objects stay nested (the page shows them as key paths). */
  params: Record<string, unknown>;
  tags: Record<string, string>;
  metrics: Record<string, ReportMetric>;
  media: ReportMedia[];
  /** Media left out and read problems, one line each, with no path of the machine. */
  notes: string[];
}

/** A base64 column (column_codec.ts): its encoding and its bytes. */
export type ReportColumn = [ColumnKind, string];

/** One metric's drawn points for every run that logged it, run after run. */
export interface ReportSeries {
  /** Indices into `runs`, one per run that logged the metric. */
  runs: number[];
  /** Points drawn per run, in the same order; the columns hold them one run after another. */
  counts: number[];
  /** Finite points each run logged, before downsampling. */
  totals: number[];
  steps: ReportColumn;
  /** Milliseconds since the run's start. */
  times: ReportColumn;
  values: ReportColumn;
}

export interface ReportData {
  format: typeof REPORT_DATA_FORMAT;
  title: string;
  generated: number;
  /** The logdirs as labels (discover.ts's logdirLabels), never absolute paths. */
  logdirs: string[];
  metrics: string[];
  runs: ReportRunData[];
  series: Record<string, ReportSeries>;
}

/** What "best" means for a metric when the reader has not said: higher for accuracy-like names, else lower. */
export function defaultMode(metric: string): Mode {
  return /acc|auc|f1|precision|recall|score|reward|return|map\b|iou|bleu|rouge|r2\b/i.test(metric) ? 'max' : 'min';
}
