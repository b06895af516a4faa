/**
 * What the reader chose on the page (the filter, brushes, groups, the metric ranked by, chart settings), kept in
 * the URL's fragment so that a view can be shared as a link or bookmarked: `report.html#q=lr<0.01&g=optimizer`.
 * Only the choices that differ from the defaults are written. Nothing is read from the fragment but these keys,
 * and each value is checked before it is used.
 */
import type { Mode } from '../../runs/sweep.js';

/** A brush on an axis of the parallel coordinates: a range of numbers, or a set of categories. */
export type Brush = { kind: 'range'; low: number; high: number } | { kind: 'set'; values: string[] };

export type Band = 'minmax' | 'std' | 'none';
export type XAxis = 'step' | 'relative' | 'wall';

export interface ViewState {
  filter: string;
  /** By axis: a param key path, or OBJECTIVE_AXIS. */
  brushes: Map<string, Brush>;
  groupBy: string[];
  band: Band;
  /** The metric the best runs, the parallel coordinates and the scatter rank runs by. */
  metric: string;
  mode: Mode;
  value: 'best' | 'last';
  scatterX: string;
  smoothing: number;
  log: boolean;
  axis: XAxis;
  onlyDiffering: boolean;
  /** Object params shown as their key paths' columns in the run table. */
  expanded: Set<string>;
}

/** The brush key of the parallel coordinates' last axis, the metric's value. */
export const OBJECTIVE_AXIS = '@metric';

const BANDS: readonly Band[] = ['minmax', 'std', 'none'];
const AXES: readonly XAxis[] = ['step', 'relative', 'wall'];

/** `lr:0.001..0.01` and `optimizer:=adam,sgd` (values URI-escaped within), one per brush, `;` between them. */
function brushText(brushes: Map<string, Brush>): string {
  return [...brushes]
    .map(([key, brush]) =>
      brush.kind === 'range'
        ? `${encodeURIComponent(key)}:${brush.low}..${brush.high}`
        : `${encodeURIComponent(key)}:=${brush.values.map(encodeURIComponent).join(',')}`,
    )
    .join(';');
}

function parseBrushes(text: string): Map<string, Brush> {
  const brushes = new Map<string, Brush>();
  for (const part of text.split(';')) {
    const colon = part.indexOf(':');
    if (colon <= 0) continue;
    let key: string;
    try {
      key = decodeURIComponent(part.slice(0, colon));
    } catch {
      continue; // a hand-edited fragment: that brush is dropped
    }
    const rest = part.slice(colon + 1);
    if (rest.startsWith('=')) {
      try {
        brushes.set(key, { kind: 'set', values: rest.slice(1).split(',').map(decodeURIComponent) });
      } catch {
        continue;
      }
    } else {
      const range = /^(.+)\.\.(.+)$/.exec(rest);
      const [low, high] = range ? [Number(range[1]), Number(range[2])] : [NaN, NaN];
      if (Number.isFinite(low) && Number.isFinite(high)) brushes.set(key, { kind: 'range', low, high });
    }
  }
  return brushes;
}

export function defaultState(metric: string, mode: Mode, scatterX: string): ViewState {
  return {
    filter: '',
    brushes: new Map(),
    groupBy: [],
    band: 'minmax',
    metric,
    mode,
    value: 'best',
    scatterX,
    smoothing: 0,
    log: false,
    axis: 'step',
    onlyDiffering: false,
    expanded: new Set(),
  };
}

/** The state a fragment (`#q=...&g=...`) gives, on top of the defaults; metrics and params are checked. */
export function readState(
  hash: string,
  defaults: ViewState,
  known: { metrics: readonly string[]; params: readonly string[] },
): ViewState {
  const state: ViewState = { ...defaults, brushes: new Map(), expanded: new Set() };
  const fields = new URLSearchParams(hash.replace(/^#/, ''));
  const list = (name: string) => (fields.get(name) ?? '').split(',').filter((key) => known.params.includes(key));
  state.filter = fields.get('q') ?? '';
  state.brushes = parseBrushes(fields.get('b') ?? '');
  for (const key of state.brushes.keys()) {
    if (key !== OBJECTIVE_AXIS && !known.params.includes(key)) state.brushes.delete(key);
  }
  state.groupBy = list('g');
  const band = fields.get('band') as Band | null;
  if (band && BANDS.includes(band)) state.band = band;
  const metric = fields.get('m');
  if (metric !== null && known.metrics.includes(metric)) state.metric = metric;
  const mode = fields.get('mode');
  if (mode === 'min' || mode === 'max') state.mode = mode;
  const value = fields.get('v');
  if (value === 'best' || value === 'last') state.value = value;
  const scatterX = fields.get('x');
  if (scatterX !== null && known.params.includes(scatterX)) state.scatterX = scatterX;
  const smoothing = Number(fields.get('s'));
  if (fields.has('s') && smoothing >= 0 && smoothing < 1) state.smoothing = smoothing;
  state.log = fields.get('log') === '1';
  const axis = fields.get('axis') as XAxis | null;
  if (axis && AXES.includes(axis)) state.axis = axis;
  state.onlyDiffering = fields.get('diff') === '1';
  state.expanded = new Set(list('open'));
  return state;
}

/** The fragment of `state`: only what differs from `defaults`. */
export function writeState(state: ViewState, defaults: ViewState): string {
  const fields = new URLSearchParams();
  if (state.filter !== '') fields.set('q', state.filter);
  if (state.brushes.size > 0) fields.set('b', brushText(state.brushes));
  if (state.groupBy.length > 0) fields.set('g', state.groupBy.join(','));
  if (state.band !== defaults.band) fields.set('band', state.band);
  if (state.metric !== defaults.metric) fields.set('m', state.metric);
  if (state.mode !== defaults.mode) fields.set('mode', state.mode);
  if (state.value !== defaults.value) fields.set('v', state.value);
  if (state.scatterX !== defaults.scatterX) fields.set('x', state.scatterX);
  if (state.smoothing !== 0) fields.set('s', String(state.smoothing));
  if (state.log) fields.set('log', '1');
  if (state.axis !== 'step') fields.set('axis', state.axis);
  if (state.onlyDiffering) fields.set('diff', '1');
  if (state.expanded.size > 0) fields.set('open', [...state.expanded].join(','));
  const text = fields.toString();
  return text === '' ? '' : `#${text}`;
}
