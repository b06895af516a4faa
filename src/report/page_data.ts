/**
 * The runs a report collected, as the page's data block (report_data.ts): each metric's drawn points as byte
 * columns, the exact summaries as JSON, and every text that could hold a path of this machine (a warning, a file
 * that could not be read) with the run's directory written as the run's id and each logdir as its label.
 */
import path from 'node:path';
import { encodeFloatColumn, encodeIntegerColumn } from '../runtime/run_dir/column_codec.js';
import type { EncodedColumn } from '../runtime/run_dir/column_codec.js';
import type { ReportRun } from './collect.js';
import { REPORT_DATA_FORMAT } from './report_data.js';
import type { ReportColumn, ReportData, ReportMetric, ReportRunData, ReportSeries } from './report_data.js';

export interface ReportHeading {
  title: string;
  generated: number;
  /** The logdirs as given, and their labels (discover.ts's logdirLabels), in the same order. */
  logdirs: readonly string[];
  labels: readonly string[];
}

function column(encoded: EncodedColumn): ReportColumn {
  return [
    encoded.kind,
    Buffer.from(encoded.bytes.buffer, encoded.bytes.byteOffset, encoded.bytes.byteLength).toString('base64'),
  ];
}

/** `text` with the machine's paths replaced: the run's directory by its id, a logdir by its label. */
function withoutPaths(text: string, run: ReportRun, heading: ReportHeading): string {
  let clean = text.split(run.summary.dir).join(run.summary.id);
  heading.logdirs.forEach((logdir, i) => {
    clean = clean.split(path.resolve(logdir)).join(heading.labels[i]!);
  });
  return clean;
}

function seriesOf(runs: readonly ReportRun[], metric: string): ReportSeries {
  const indices: number[] = [];
  const counts: number[] = [];
  const totals: number[] = [];
  const steps: number[] = [];
  const times: number[] = [];
  const values: number[] = [];
  runs.forEach((run, index) => {
    const sampled = run.series[metric];
    if (!sampled || sampled.values.length === 0) return;
    const start = run.summary.start ?? 0;
    indices.push(index);
    counts.push(sampled.values.length);
    totals.push(sampled.total);
    for (let i = 0; i < sampled.values.length; i++) {
      steps.push(sampled.steps[i]!);
      times.push(Math.round(sampled.times[i]! - start));
      values.push(sampled.values[i]!);
    }
  });
  return {
    runs: indices,
    counts,
    totals,
    steps: column(encodeIntegerColumn(steps)),
    times: column(encodeIntegerColumn(times)),
    values: column(encodeFloatColumn(values, 'f')),
  };
}

function runData(run: ReportRun, heading: ReportHeading): ReportRunData {
  const { summary } = run;
  const metrics: Record<string, ReportMetric> = {};
  for (const [name, metric] of Object.entries(summary.metrics)) {
    const { points, firstStep, lastStep, last, min, minStep, max, maxStep, nan } = metric;
    Object.defineProperty(metrics, name, {
      value: { points, firstStep, lastStep, last, min, minStep, max, maxStep, nan },
      enumerable: true,
    });
  }
  const notes = [
    ...(summary.truncatedTail ? ['the last line or record was cut short; read up to it'] : []),
    ...summary.warnings,
    ...run.skippedMedia,
  ].map((note) => withoutPaths(note, run, heading));
  return {
    id: summary.id,
    trackers: summary.trackers,
    status: summary.status,
    start: summary.start,
    end: summary.end,
    durationMs: summary.durationMs,
    points: summary.points,
    params: summary.params,
    tags: summary.tags,
    metrics,
    media: run.media,
    notes,
  };
}

export function buildReportData(runs: readonly ReportRun[], heading: ReportHeading): ReportData {
  const metrics = [...new Set(runs.flatMap((run) => Object.keys(run.series)))].sort();
  const series: Record<string, ReportSeries> = {};
  for (const metric of metrics)
    Object.defineProperty(series, metric, { value: seriesOf(runs, metric), enumerable: true });
  return {
    format: REPORT_DATA_FORMAT,
    title: heading.title,
    generated: heading.generated,
    logdirs: [...heading.labels],
    metrics,
    runs: runs.map((run) => runData(run, heading)),
    series,
  };
}
