/**
 * The report page's script (bundled into the page by bin/report_page.cjs): reads the data block, builds the
 * controls and sections, and redraws them from one state, which the URL's fragment keeps. Tested in Chromium by
 * test/e2e/report_browser.test.ts; `window.gymnosReport` exposes what is drawn, for it and for the benchmark.
 */
import type { ReportData } from '../report_data.js';
import { defaultMode } from '../report_data.js';
import { MetricCharts } from './charts.js';
import { groupsOf } from './context.js';
import type { PageContext } from './context.js';
import { el, select } from './dom.js';
import { MediaSection } from './media.js';
import { Model } from './model.js';
import { ParallelCoordinates, paramAxes } from './parallel.js';
import { Scatter } from './scatter.js';
import { select as selectRuns } from './selection.js';
import { OBJECTIVE_AXIS, defaultState, readState, writeState } from './state.js';
import type { Band, Brush, ViewState, XAxis } from './state.js';
import { BestRuns, RunTable } from './tables.js';

function byId<T extends HTMLElement>(id: string): T {
  return document.getElementById(id) as T;
}

const data = JSON.parse(byId('gymnos-data').textContent!) as ReportData;
const model = new Model(data);
const firstLoss = model.metrics.find((metric) => /loss/i.test(metric)) ?? model.metrics[0] ?? '';
const axes = paramAxes(model.params);
const defaults = defaultState(
  firstLoss,
  defaultMode(firstLoss),
  (axes.find((axis) => axis.kind !== 'category') ?? axes[0])?.key ?? '',
);
const known = {
  metrics: model.metrics,
  params: [...model.params.map((param) => param.key), ...new Set(model.params.flatMap((param) => param.parent ?? []))],
};
let state: ViewState = readState(location.hash, defaults, known);

// ---- controls ----
const filter = el('input', {
  attrs: {
    id: 'filter',
    type: 'search',
    spellcheck: 'false',
    autocomplete: 'off',
    placeholder: 'lr<0.01 optimizer=adam status=finished tag.team=vision sweep/',
    'aria-label': 'filter the runs',
  },
});
const filterCount = el('span', { attrs: { id: 'filter-count' } });
const filterClear = el('button', { text: 'clear', attrs: { id: 'filter-clear', type: 'button' } });
const problems = el('div', { class: 'problems', attrs: { id: 'filter-problems', role: 'status' } });
const brushes = el('div', { class: 'chips', attrs: { id: 'brushes' } });
const groupAdd = select(
  'group-add',
  [['', 'group by…'], ...model.params.map((param) => [param.key, param.key] as const)],
  '',
);
const groupChips = el('span', { class: 'chips', attrs: { id: 'groups' } });
const band = select(
  'band',
  [
    ['minmax', 'min–max'],
    ['std', '± std'],
    ['none', 'none'],
  ],
  state.band,
);
const smoothing = el('input', { attrs: { id: 'smoothing', type: 'range', min: '0', max: '0.999', step: '0.001' } });
const smoothingValue = el('output', { attrs: { id: 'smoothing-value' } });
const logScale = el('input', { attrs: { id: 'log-scale', type: 'checkbox' } });
const xAxis = select(
  'x-axis',
  [
    ['step', 'step'],
    ['relative', 'relative time'],
    ['wall', 'wall time'],
  ],
  state.axis,
);
byId('controls').append(
  el('div', { class: 'row' }, [
    el('label', { text: 'Filter ', attrs: { for: 'filter' } }),
    filter,
    filterCount,
    filterClear,
  ]),
  problems,
  brushes,
  el('div', { class: 'row' }, [
    el('label', {}, [groupAdd]),
    groupChips,
    el('label', { text: 'band ' }, [band]),
    el('label', { text: 'Smoothing ' }, [smoothing, smoothingValue]),
    el('label', {}, [logScale, document.createTextNode(' log scale')]),
    el('label', { text: 'x axis ' }, [xAxis]),
  ]),
);

const metricSelect = select(
  'metric',
  model.metrics.map((metric) => [metric, metric] as const),
  state.metric,
);
const modeSelect = select(
  'mode',
  [
    ['min', 'lowest'],
    ['max', 'highest'],
  ],
  state.mode,
);
const valueSelect = select(
  'value',
  [
    ['best', 'best value'],
    ['last', 'last value'],
  ],
  state.value,
);
byId('objective').append(
  el('label', { text: 'Rank by ' }, [metricSelect]),
  el('label', { text: ' best is the ' }, [modeSelect]),
  el('label', { text: ' of each run\u2019s ' }, [valueSelect]),
);
const scatterX = select(
  'scatter-x',
  axes.map((axis) => [axis.key, axis.key] as const),
  state.scatterX,
);
byId('scatter-controls').append(el('label', { text: 'x: ' }, [scatterX]));
const onlyDiffering = el('input', { attrs: { id: 'only-differing', type: 'checkbox' } });
byId('runs-controls').append(
  el('label', { class: 'toggle' }, [onlyDiffering, document.createTextNode(' only the params that differ')]),
);

// ---- sections ----
const best = new BestRuns(byId('best'));
const parallel = new ParallelCoordinates(byId('parallel'), (key, brush) =>
  change((next) => setBrush(next, key, brush)),
);
const scatter = new Scatter(byId('scatter'));
const runTable = new RunTable(byId('runs'), model, (parent) =>
  change((next) => {
    next.expanded = new Set(next.expanded);
    if (!next.expanded.delete(parent)) next.expanded.add(parent);
  }),
);
const charts = new MetricCharts(byId('charts'), model.metrics);
const media = new MediaSection(byId('media'), model);

function setBrush(next: ViewState, key: string, brush: Brush | undefined): void {
  next.brushes = new Map(next.brushes);
  if (brush === undefined || (brush.kind === 'set' && brush.values.length === 0)) next.brushes.delete(key);
  else next.brushes.set(key, brush);
}

function syncControls(): void {
  if (filter.value !== state.filter) filter.value = state.filter;
  band.value = state.band;
  smoothing.value = String(state.smoothing);
  smoothingValue.textContent = state.smoothing.toFixed(3);
  logScale.checked = state.log;
  xAxis.value = state.axis;
  metricSelect.value = state.metric;
  modeSelect.value = state.mode;
  valueSelect.value = state.value;
  scatterX.value = state.scatterX;
  onlyDiffering.checked = state.onlyDiffering;
  groupChips.replaceChildren(
    ...state.groupBy.map((key) => {
      const remove = el('button', {
        class: 'chip',
        text: `${key} \u00d7`,
        title: `stop grouping by ${key}`,
        attrs: { type: 'button', 'data-key': key },
      });
      remove.addEventListener('click', () =>
        change((next) => (next.groupBy = next.groupBy.filter((other) => other !== key))),
      );
      return remove;
    }),
  );
  brushes.replaceChildren(
    ...[...state.brushes].map(([key, brush]) => {
      const name = key === OBJECTIVE_AXIS ? state.metric : key;
      const range =
        brush.kind === 'range'
          ? `${brush.low.toPrecision(4)} \u2026 ${brush.high.toPrecision(4)}`
          : brush.values.join(', ');
      const remove = el('button', {
        class: 'chip',
        text: `${name}: ${range} \u00d7`,
        title: 'clear this brush',
        attrs: { type: 'button', 'data-key': key },
      });
      remove.addEventListener('click', () => change((next) => setBrush(next, key, undefined)));
      return remove;
    }),
  );
}

function context(): PageContext {
  const selection = selectRuns(model, state);
  return { model, state, selection, groups: groupsOf(selection, state.groupBy) };
}

/** Redraws every section from the state, and keeps the state in the URL. */
function render(): void {
  const page = context();
  syncControls();
  filterCount.textContent = `${page.selection.runs.length} of ${model.runs.length} runs`;
  problems.replaceChildren(...page.selection.problems.map((problem) => el('div', { text: problem })));
  byId('sweep-metric').textContent = state.metric;
  best.update(page);
  parallel.update(page);
  scatter.update(page);
  runTable.update(page);
  media.update(page);
  charts.update(page);
  keepInUrl();
}

let urlTimer: ReturnType<typeof setTimeout> | undefined;

/** The state into the URL's fragment, once the changes pause (a history entry is replaced, none added). */
function keepInUrl(): void {
  clearTimeout(urlTimer);
  urlTimer = setTimeout(() => {
    const fragment = writeState(state, defaults);
    if (fragment !== location.hash && !(fragment === '' && location.hash === '')) {
      history.replaceState(null, '', fragment === '' ? location.pathname + location.search : fragment);
    }
  }, 150);
}

function change(edit: (next: ViewState) => void): void {
  const next: ViewState = { ...state };
  edit(next);
  state = next;
  chartsDrawn = false;
  api.ready = false; // until every chart is drawn again, and the run table's rows shown
  render();
}

filter.addEventListener('input', () => change((next) => (next.filter = filter.value)));
filterClear.addEventListener('click', () => change((next) => ((next.filter = ''), (next.brushes = new Map()))));
groupAdd.addEventListener('change', () => {
  const key = groupAdd.value;
  groupAdd.value = '';
  if (key && !state.groupBy.includes(key)) change((next) => (next.groupBy = [...next.groupBy, key]));
});
band.addEventListener('change', () => change((next) => (next.band = band.value as Band)));
smoothing.addEventListener('input', () => change((next) => (next.smoothing = Number(smoothing.value))));
logScale.addEventListener('change', () => change((next) => (next.log = logScale.checked)));
xAxis.addEventListener('change', () => change((next) => (next.axis = xAxis.value as XAxis)));
metricSelect.addEventListener('change', () =>
  change((next) => {
    next.metric = metricSelect.value;
    next.mode = defaultMode(next.metric);
    setBrush(next, OBJECTIVE_AXIS, undefined); // its scale is another metric's
  }),
);
modeSelect.addEventListener('change', () => change((next) => (next.mode = modeSelect.value as ViewState['mode'])));
valueSelect.addEventListener('change', () =>
  change((next) => {
    next.value = valueSelect.value as ViewState['value'];
    setBrush(next, OBJECTIVE_AXIS, undefined);
  }),
);
scatterX.addEventListener('change', () => change((next) => (next.scatterX = scatterX.value)));
onlyDiffering.addEventListener('change', () => change((next) => (next.onlyDiffering = onlyDiffering.checked)));
window.addEventListener('hashchange', () =>
  change((next) => Object.assign(next, readState(location.hash, defaults, known))),
);
let resizing: ReturnType<typeof setTimeout> | undefined;
window.addEventListener('resize', () => {
  clearTimeout(resizing);
  resizing = setTimeout(() => {
    charts.resize();
    parallel.resize();
    change(() => undefined); // the parallel coordinates drawn to the new width
  }, 100);
});

interface GymnosReport {
  /**
   * Every chart drawn for the current state, and the run table's rows shown (false from a change until the last
   * chart is redrawn).
   */
  ready: boolean;
  interactive: boolean;
  readonly charts: ReturnType<MetricCharts['drawn']['slice']>;
  readonly parallel: ParallelCoordinates['drawn'];
  readonly scatter: Scatter['drawn'];
  readonly best: BestRuns['drawn'];
  /** The ids of the runs the page shows. */
  readonly visible: string[];
  readonly state: ViewState;
}

const api: GymnosReport = {
  ready: false,
  interactive: false,
  get charts() {
    return charts.drawn;
  },
  get parallel() {
    return parallel.drawn;
  },
  get scatter() {
    return scatter.drawn;
  },
  get best() {
    return best.drawn;
  },
  get visible() {
    return context().selection.runs.map((run) => run.data.id);
  },
  get state() {
    return state;
  },
};
(window as unknown as { gymnosReport: GymnosReport }).gymnosReport = api;
let chartsDrawn = false;
const updateReady = () => {
  api.ready = chartsDrawn && runTable.applied;
};
charts.onAllDrawn = () => {
  chartsDrawn = true;
  updateReady();
};
runTable.onApplied = updateReady;
render();
api.interactive = true;
