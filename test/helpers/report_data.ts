/**
 * A written report's data block, read back as the page reads it: the JSON of its `gymnos-data` script, and each
 * metric's drawn points decoded from their byte columns.
 */
import assert from 'node:assert/strict';
import { decodeColumn } from '../../src/runtime/run_dir/column_codec.js';
import type { ReportData, ReportColumn } from '../../src/report/report_data.js';

export function embeddedData(html: string): ReportData {
  const match = /<script type="application\/json" id="gymnos-data">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(match, 'the data block');
  return JSON.parse(match[1]!) as ReportData;
}

export interface DecodedSeries {
  run: string;
  steps: number[];
  times: number[];
  values: number[];
  total: number;
}

function column([kind, base64]: ReportColumn, count: number): number[] {
  return [...decodeColumn(kind, Buffer.from(base64, 'base64'), count)];
}

/** The drawn points of `metric`, per run that logged it. */
export function drawnSeries(data: ReportData, metric: string): DecodedSeries[] {
  const series = data.series[metric]!;
  const total = series.counts.reduce((sum, count) => sum + count, 0);
  const [steps, times, values] = [series.steps, series.times, series.values].map((encoded) => column(encoded, total));
  let at = 0;
  return series.runs.map((run, i) => {
    const count = series.counts[i]!;
    const part = (all: number[]) => all!.slice(at, at + count);
    const decoded = {
      run: data.runs[run]!.id,
      steps: part(steps!),
      times: part(times!),
      values: part(values!),
      total: series.totals[i]!,
    };
    at += count;
    return decoded;
  });
}
