/**
 * What the conformance kit logs, and what a faithful backend then holds: one of everything the contract allows,
 * values that only an exact float64 keeps, and (in the read-back run) a series long enough to take several
 * batches of any backend that sends in batches, with a flush in the middle.
 */
import type { Tracker } from '../trackers/tracker.js';

/** A valid 1x1 PNG, for logImage and logFigure. */
export const TINY_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

export const TINY_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4"/></svg>';

export const VEGA_LITE_SPEC = {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  data: { values: [{ x: 1, y: 2 }] },
  mark: 'line',
  encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
};

export const PLOTLY_FIGURE = { data: [{ x: [1, 2], y: [3, 4], type: 'scatter' }], layout: { title: 'loss' } };

/** The content of the asset the kit logs (a config file). */
export const ASSET_CONTENT = '{"lr": 0.001}\n';

/** The files the kit logs, written afresh for each test. */
export interface Files {
  asset: string;
  image: string;
}

export interface Metric {
  name: string;
  step: number;
  value: number;
}

/** A file as the kit logged it: its bytes, or (a Vega-Lite or Plotly figure) its spec. */
export interface LoggedFile {
  name: string;
  content: Uint8Array | object;
}

export interface Expected {
  metrics: Metric[];
  params: Record<string, unknown>;
  tags: Record<string, string>;
  files: LoggedFile[];
}

/**
 * Values a backend keeps only if it keeps the float64 it was given: a rounding to a few decimals, to a
 * fixed-point text or to float32 changes each of them.
 */
const PRECISE_VALUES = [
  0.1 + 0.2,
  1 / 3,
  -Math.PI * 1e-9,
  123456.78901234567,
  2 ** 53 - 1,
  1e300,
  -Number.MIN_VALUE,
  2 / 3,
];

/** Points in the read-back run's series: over twice MLflow's 1000 metrics a request, the largest batch we know. */
const SERIES_LENGTH = 2500;

/** The series' value at `step`: magnitudes from 1e-3 to 1e3, every one using its whole mantissa. */
function seriesValue(step: number): number {
  return Math.sin(step + 0.5) * 10 ** ((step % 7) - 3);
}

/** Logs one of everything the contract allows; returns what a faithful backend then holds. */
export function logEverything(tracker: Tracker, files: Files, finiteOnly: boolean): Expected {
  tracker.logAsset('config', files.asset);
  tracker.logImage('sample', files.image);
  tracker.logFigure('png', TINY_PNG);
  tracker.logFigure('svg', TINY_SVG);
  tracker.logFigure('vega', VEGA_LITE_SPEC);
  tracker.logFigure('plotly', PLOTLY_FIGURE);
  return {
    metrics: logMetrics(tracker, finiteOnly),
    params: logParams(tracker),
    tags: logTags(tracker),
    files: [
      { name: 'config', content: Buffer.from(ASSET_CONTENT) },
      { name: 'sample', content: TINY_PNG },
      { name: 'png', content: TINY_PNG },
      { name: 'svg', content: Buffer.from(TINY_SVG) },
      { name: 'vega', content: VEGA_LITE_SPEC },
      { name: 'plotly', content: PLOTLY_FIGURE },
    ],
  };
}

function logMetrics(tracker: Tracker, finiteOnly: boolean): Metric[] {
  tracker.logMetric('loss', 0.5);
  tracker.logMetric('loss', 0.25, 10);
  tracker.logMetric('loss', 0.125);
  const metrics = [
    { name: 'loss', step: 0, value: 0.5 },
    { name: 'loss', step: 10, value: 0.25 },
    { name: 'loss', step: 11, value: 0.125 },
  ];
  PRECISE_VALUES.forEach((value, step) => {
    tracker.logMetric('precise', value);
    metrics.push({ name: 'precise', step, value });
  });
  if (!finiteOnly) {
    tracker.logMetric('nan', Number.NaN);
    tracker.logMetric('inf', Number.POSITIVE_INFINITY);
    tracker.logMetric('ninf', Number.NEGATIVE_INFINITY);
    metrics.push(
      { name: 'nan', step: 0, value: Number.NaN },
      { name: 'inf', step: 0, value: Number.POSITIVE_INFINITY },
      { name: 'ninf', step: 0, value: Number.NEGATIVE_INFINITY },
    );
  }
  tracker.logMetrics({ accuracy: 0.9, curve: [1, 2, 3] }, { prefix: 'val', step: 3 });
  metrics.push(
    { name: 'val/accuracy', step: 3, value: 0.9 },
    { name: 'val/curve', step: 0, value: 1 },
    { name: 'val/curve', step: 1, value: 2 },
    { name: 'val/curve', step: 2, value: 3 },
  );
  return metrics;
}

function logParams(tracker: Tracker): Record<string, unknown> {
  tracker.logParam('lr', 0.001);
  tracker.logParam('momentum', 1 / 3);
  tracker.logParam('layers', [64, 32]);
  tracker.logParam('optimizer', { name: 'adam', beta: 0.9 });
  tracker.logParam('schedule', 'cosine');
  tracker.logParams({ epochs: 10, dropout: null, shuffle: true }, { prefix: 'train' });
  return {
    lr: 0.001,
    momentum: 1 / 3,
    layers: [64, 32],
    optimizer: { name: 'adam', beta: 0.9 },
    schedule: 'cosine',
    'train/epochs': 10,
    'train/dropout': null,
    'train/shuffle': true,
  };
}

function logTags(tracker: Tracker): Record<string, string> {
  tracker.logTag('team', 'vision');
  tracker.logTags({ owner: 'me', seed: 42 });
  return { team: 'vision', owner: 'me', seed: '42' };
}

/**
 * Logs the series `series` at steps 0..SERIES_LENGTH-1, flushing half way (so a tracker that sends only what its
 * first flush held loses the rest); returns its points.
 */
export async function logSeries(tracker: Tracker): Promise<Metric[]> {
  const points = Array.from({ length: SERIES_LENGTH }, (_, step) => ({
    name: 'series',
    step,
    value: seriesValue(step),
  }));
  const half = SERIES_LENGTH / 2;
  for (const point of points.slice(0, half)) tracker.logMetric(point.name, point.value, point.step);
  await tracker.flush();
  for (const point of points.slice(half)) tracker.logMetric(point.name, point.value, point.step);
  return points;
}
