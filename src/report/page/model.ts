/**
 * The page's model of the data block: runs with their params as key paths, the params a sweep varied (the axes
 * of the parallel coordinates, the choices of group-by and scatter), and each metric's drawn points, decoded
 * from their byte columns the first time a chart needs them.
 */
import { decodeColumn } from '../../runtime/run_dir/column_codec.js';
import { flattenParams, splitKeyPaths } from '../../runs/param_paths.js';
import { compareParamValues } from '../../runs/sweep.js';
import type { ReportColumn, ReportData, ReportMetric, ReportRunData } from '../report_data.js';
import { colorOf } from './dom.js';

export interface RunModel {
  index: number;
  data: ReportRunData;
  /** Params by key path (`optimizer.lr`). */
  flat: Record<string, unknown>;
  color: string;
}

/** A param key path, as the page's controls and axes use it. */
export interface ParamModel {
  key: string;
  /** True when its value is not the same in every run (a run without it differs). */
  differs: boolean;
  /** Every run's value is a number (or absent). */
  numeric: boolean;
  /** Its distinct values, sorted (numbers by value, then text). */
  values: unknown[];
  /** Numbers all above zero spanning a factor of 20 or more: a learning rate, read on a log axis. */
  logScale: boolean;
  /** The top-level param it belongs to, when it is a key path into an object (`optimizer` for `optimizer.lr`). */
  parent: string | undefined;
}

/** One run's drawn points of a metric. */
export interface RunSeries {
  run: number;
  steps: Float64Array | Float32Array;
  /** Milliseconds since the run's start. */
  times: Float64Array | Float32Array;
  values: Float64Array | Float32Array;
  /** Finite points the run logged, before downsampling. */
  total: number;
}

function bytesOf(base64: string): Uint8Array {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

function decode([kind, base64]: ReportColumn, count: number): Float64Array | Float32Array {
  return decodeColumn(kind, bytesOf(base64), count);
}

/** JSON holds NaN and ±Infinity as strings: numbers again. */
function restoreNumbers(metric: ReportMetric): ReportMetric {
  const number = (value: unknown) => (typeof value === 'string' ? Number(value) : value);
  return {
    ...metric,
    last: number(metric.last) as number,
    min: number(metric.min) as number | null,
    max: number(metric.max) as number | null,
  };
}

function isObjectParam(params: Record<string, unknown>, key: string): boolean {
  const value = Object.prototype.hasOwnProperty.call(params, key) ? params[key] : undefined;
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export class Model {
  readonly data: ReportData;
  readonly runs: RunModel[];
  readonly metrics: string[];
  readonly params: ParamModel[];
  readonly #series = new Map<string, RunSeries[]>();

  constructor(data: ReportData) {
    this.data = data;
    this.metrics = data.metrics;
    this.runs = data.runs.map((run, index) => {
      for (const name of Object.keys(run.metrics)) run.metrics[name] = restoreNumbers(run.metrics[name]!);
      return { index, data: run, flat: flattenParams(run.params), color: colorOf(index) };
    });
    const { differing, same } = splitKeyPaths(this.runs.map((run) => run.flat));
    this.params = [...differing, ...same].map((key) => {
      const values: unknown[] = [];
      const seen = new Set<string>();
      let numeric = true;
      for (const run of this.runs) {
        if (!Object.prototype.hasOwnProperty.call(run.flat, key)) continue;
        const value = run.flat[key];
        if (typeof value !== 'number' || !Number.isFinite(value)) numeric = false;
        const id = JSON.stringify(value) ?? String(value);
        if (!seen.has(id)) {
          seen.add(id);
          values.push(value);
        }
      }
      values.sort(compareParamValues);
      const numbers = values as number[];
      const logScale = numeric && numbers.length > 1 && numbers[0]! > 0 && numbers.at(-1)! / numbers[0]! >= 20;
      const head = key.split('.')[0]!;
      const parent = key !== head && this.runs.some((run) => isObjectParam(run.data.params, head)) ? head : undefined;
      return { key, differs: differing.includes(key), numeric, values, logScale, parent };
    });
  }

  /** The runs' drawn points of `metric`, decoded once. */
  series(metric: string): RunSeries[] {
    let decoded = this.#series.get(metric);
    if (decoded === undefined) {
      const encoded = this.data.series[metric]!;
      const total = encoded.counts.reduce((sum, count) => sum + count, 0);
      const steps = decode(encoded.steps, total);
      const times = decode(encoded.times, total);
      const values = decode(encoded.values, total);
      let at = 0;
      decoded = encoded.runs.map((run, i) => {
        const count = encoded.counts[i]!;
        const part = { run, steps: steps.subarray(at, at + count), times: times.subarray(at, at + count) };
        const series = { ...part, values: values.subarray(at, at + count), total: encoded.totals[i]! };
        at += count;
        return series;
      });
      this.#series.set(metric, decoded);
    }
    return decoded;
  }
}
