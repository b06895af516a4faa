/**
 * One uPlot chart per metric: every selected run as a series (uPlot's mode 2: each run keeps its own x values),
 * or, when grouping, each group as its mean with a band (its min and max, or ± one standard deviation) on a
 * common grid. Hovering shows every drawn series' value at the cursor's x, sorted, with its colour. Charts are
 * drawn when they come near the screen, then the rest one at a time, so a report of many runs and metrics
 * answers at once; a change of the filter or the groups redraws the charts on screen first.
 */
import type uPlotType from 'uplot';
import { formatColumn, formatFloat32, formatNumber } from '../../runs/number_format.js';
import { compareBest } from '../../runs/sweep.js';
import { defaultMode } from '../report_data.js';
import { axisSize, tickValues, xTickSpace } from './axes.js';
import type { GroupModel, PageContext } from './context.js';
import { el, swatch, translucent, whenIdle } from './dom.js';
import type { RunSeries } from './model.js';
import { aggregate, gridFor, nearestIndex, smooth } from './series_math.js';
import type { MemberSeries } from './series_math.js';

const HEIGHT = 280;
/** Points of a group's line. */
const GRID_POINTS = 300;
/** Rows of a hover box; with more series, the ones nearest the cursor. */
const HOVER_ROWS = 20;
/** Rows of a metric's table before "show all". */
const TABLE_ROWS = 10;
/**
 * Runs in a chart from which their lines are 1 px wide, not 1.5: a dense chart stays legible, and a 1 px line is
 * drawn by the rasterizer's hairline path, which a browser without a GPU takes at a fraction of the cost (500
 * runs in view: about 180 ms of main thread down to 10 ms a redraw in headless Chromium).
 */
const THIN_FROM = 50;

/** What a drawn chart holds, for the page's readers (and its browser test). */
export interface DrawnChart {
  metric: string;
  mode: 'runs' | 'groups';
  /** The series' labels in drawing order: run ids, or group labels with their size. */
  labels: string[];
  /** Run indices of the series (runs), or of each group's members (groups). */
  runs: number[][];
  plot: uPlotType | null;
}

interface Section {
  metric: string;
  root: HTMLElement;
  chart: HTMLDivElement;
  table: HTMLTableElement;
  more: HTMLButtonElement;
  showAll: boolean;
  near: boolean;
  /** The version of the page state it was drawn for (-1: never). */
  version: number;
  drawn: DrawnChart;
}

interface HoverRow {
  label: string;
  color: string;
  value: number;
  step: number;
  detail: string;
}

function chartWidth(measured: number): number {
  return Math.max(320, Math.min(measured || 800, 1100));
}

/**
 * A series' points as the x axis and the smoothing show them: in x order (they are, but for steps logged out of
 * order), without what a log axis cannot show. The hot path of a redraw: plain loops, no copy that is not needed.
 */
function pointsOf(series: RunSeries, context: PageContext): { xs: number[]; ys: number[]; steps: number[] } {
  const { state, model } = context;
  const start = model.runs[series.run]!.data.start ?? 0;
  const n = series.values.length;
  const source = state.axis === 'step' ? series.steps : series.times;
  const [scale, offset] = state.axis === 'step' ? [1, 0] : state.axis === 'relative' ? [1000, 0] : [1000, start];
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = source[i]! >= source[i - 1]!;
  const order = sorted
    ? undefined
    : Array.from({ length: n }, (_, i) => i).sort((a, b) => source[a]! - source[b]! || a - b);
  const at = (k: number) => (order === undefined ? k : order[k]!);
  const values = order === undefined ? series.values : order.map((i) => series.values[i]!);
  const smoothed = state.smoothing > 0 ? smooth(values, state.smoothing) : values;
  const xs: number[] = [];
  const ys: number[] = [];
  const steps: number[] = [];
  for (let k = 0; k < n; k++) {
    const y = smoothed[k]!;
    if (state.log && !(y > 0)) continue;
    const i = at(k);
    xs.push((offset + source[i]!) / scale);
    ys.push(y);
    steps.push(series.steps[i]!);
  }
  return { xs, ys, steps };
}

function baseOptions(context: PageContext, width: number): uPlotType.Options {
  const { state } = context;
  const label = state.axis === 'step' ? 'step' : state.axis === 'relative' ? 'seconds since start' : 'wall time';
  return {
    width,
    height: HEIGHT,
    legend: { show: false },
    cursor: { drag: { x: true, y: false }, points: { show: false } },
    scales: {
      // A metric logged once has one x: widen the range so the point has room to be drawn.
      x: { time: state.axis === 'wall', range: (_u, min, max) => (min === max ? [min - 1, max + 1] : [min, max]) },
      y: state.log ? { distr: 3 } : { distr: 1 },
    },
    axes: [
      state.axis === 'wall' ? { label } : { label, values: tickValues, space: xTickSpace },
      { values: tickValues, size: axisSize },
    ],
    series: [{}],
  };
}

export class MetricCharts {
  readonly #sections: Section[] = [];
  readonly #observer: IntersectionObserver | undefined;
  #context: PageContext | undefined;
  #version = 0;
  readonly #container: HTMLElement;
  #width: number | undefined;
  /** Called once every chart has been drawn for the first time. */
  onAllDrawn: () => void = () => {};

  constructor(container: HTMLElement, metrics: readonly string[]) {
    this.#container = container;
    if (metrics.length === 0) container.appendChild(el('p', { class: 'empty', text: 'No run logged metrics.' }));
    if (typeof IntersectionObserver === 'function') {
      this.#observer = new IntersectionObserver(
        (entries) => {
          for (const entry of entries) {
            const section = this.#sections.find((candidate) => candidate.root === entry.target);
            if (!section) continue;
            section.near = entry.isIntersecting;
            if (section.near) this.#drawIfStale(section);
          }
        },
        { rootMargin: '0px' }, // those on screen now; the others at idle moments
      );
    }
    for (const metric of metrics) {
      const chart = el('div', { class: 'chart' });
      const table = el('table', { class: 'metric-table' });
      const more = el('button', { class: 'more', attrs: { type: 'button' } });
      const root = el('section', { class: 'metric', attrs: { 'data-metric': metric } }, [
        el('h3', { text: metric }),
        chart,
        el('div', { class: 'table-wrap' }, [table]),
        more,
      ]);
      const section: Section = {
        metric,
        root,
        chart,
        table,
        more,
        showAll: false,
        near: false,
        version: -1,
        drawn: { metric, mode: 'runs', labels: [], runs: [], plot: null },
      };
      more.addEventListener('click', () => {
        section.showAll = !section.showAll;
        this.#renderTable(section);
      });
      container.appendChild(root);
      this.#sections.push(section);
      this.#observer?.observe(root);
    }
  }

  /** The charts as drawn, in page order (a chart not drawn yet has no plot). */
  get drawn(): DrawnChart[] {
    return this.#sections.map((section) => section.drawn);
  }

  /** A new page state: the charts on screen are redrawn now, the others soon after (or when scrolled to). */
  update(context: PageContext): void {
    this.#context = context;
    this.#version++;
    // Those the observer saw near the screen (asking the layout here would force it, after a filter's changes).
    for (const section of this.#sections) if (section.near) this.#drawIfStale(section);
    this.#scheduleBackground();
  }

  resize(): void {
    this.#width = undefined;
    for (const section of this.#sections) section.drawn.plot?.setSize({ width: this.#chartWidth(), height: HEIGHT });
  }

  /**
   * The charts' width, measured once (and after a resize): every chart is as wide as the list of them, and asking
   * the layout for it at each chart drawn after a change would make the browser lay the page out for each.
   */
  #chartWidth(): number {
    this.#width ??= chartWidth(this.#container.clientWidth);
    return this.#width;
  }

  /** The charts off screen, one per idle moment: the page answers between them. */
  #scheduleBackground(): void {
    const version = this.#version;
    const next = () => {
      if (version !== this.#version) return; // a newer change has its own
      const stale = this.#sections.find((section) => section.version !== this.#version);
      if (stale === undefined) {
        this.onAllDrawn();
        return;
      }
      this.#draw(stale);
      whenIdle(next);
    };
    whenIdle(next);
  }

  #drawIfStale(section: Section): void {
    if (this.#context && section.version !== this.#version) this.#draw(section);
  }

  #draw(section: Section): void {
    const context = this.#context!;
    section.version = this.#version;
    section.drawn.plot?.destroy();
    section.chart.replaceChildren();
    section.drawn = context.groups
      ? this.#drawGroups(section, context, context.groups)
      : this.#drawRuns(section, context);
    this.#renderTable(section);
  }

  #empty(section: Section, text: string): void {
    section.chart.appendChild(el('p', { class: 'empty', text }));
  }

  #drawRuns(section: Section, context: PageContext): DrawnChart {
    const { model, selection } = context;
    const entries = model.series(section.metric).filter((series) => selection.visible[series.run]);
    const drawn: DrawnChart = { metric: section.metric, mode: 'runs', labels: [], runs: [], plot: null };
    if (entries.length === 0) {
      this.#empty(section, 'No run the filter shows logged this metric.');
      return drawn;
    }
    const tables = entries.map((series) => pointsOf(series, context));
    const opts = baseOptions(context, this.#chartWidth());
    opts.mode = 2;
    const width = entries.length >= THIN_FROM ? 1 : 1.5;
    for (const series of entries) {
      const run = model.runs[series.run]!;
      const lone = series.values.length <= 1; // a lone point has no line to show it: a dot
      opts.series.push({
        label: run.data.id,
        stroke: run.color,
        width,
        paths: lone ? uPlot.paths.points!() : uPlot.paths.linear!(),
        points: { show: lone, size: 7, width: 1, stroke: run.color, fill: run.color },
      });
      drawn.labels.push(run.data.id);
      drawn.runs.push([series.run]);
    }
    const data = [null, ...tables.map((table) => [table.xs, table.ys])] as unknown as uPlotType.AlignedData;
    const hover = (u: uPlotType): HoverRow[] => {
      const x = u.posToVal(u.cursor.left ?? -1, 'x');
      const rows: HoverRow[] = [];
      tables.forEach((table, i) => {
        const at = nearestIndex(table.xs, x);
        // Outside a run's x range it has no value (a run that ended earlier); a lone point shows everywhere.
        if (at < 0 || (table.xs.length > 1 && (x < table.xs[0]! || x > table.xs.at(-1)!))) return;
        const run = model.runs[entries[i]!.run]!;
        rows.push({ label: run.data.id, color: run.color, value: table.ys[at]!, step: table.steps[at]!, detail: '' });
      });
      return rows;
    };
    drawn.plot = this.#plot(section, opts, data, hover);
    return drawn;
  }

  #drawGroups(section: Section, context: PageContext, groups: readonly GroupModel[]): DrawnChart {
    const { model, state } = context;
    const byRun = new Map(model.series(section.metric).map((series) => [series.run, series]));
    const members = groups.map((group) =>
      group.members.flatMap((run) => {
        const series = byRun.get(run.index);
        return series ? [{ run: run.index, ...pointsOf(series, context) }] : [];
      }),
    );
    const drawn: DrawnChart = { metric: section.metric, mode: 'groups', labels: [], runs: [], plot: null };
    const present = groups.map((_, g) => g).filter((g) => members[g]!.length > 0);
    if (present.length === 0) {
      this.#empty(section, 'No run the filter shows logged this metric.');
      return drawn;
    }
    const all: MemberSeries[] = present.flatMap((g) => members[g]!);
    const grid = gridFor(all, GRID_POINTS);
    const lines = present.map((g) => aggregate(members[g]!, grid));
    const opts = baseOptions(context, this.#chartWidth());
    const data: (number | null)[][] = [grid];
    const bands: uPlotType.Band[] = [];
    const positive = (values: (number | null)[]) => values.map((value) => (state.log && !(value! > 0) ? null : value));
    present.forEach((g, i) => {
      const group = groups[g]!;
      const line = lines[i]!;
      const size = members[g]!.length;
      opts.series.push({ label: `${group.label} (n=${size})`, stroke: group.color, width: 2 });
      data.push(positive(line.mean));
      drawn.labels.push(`${group.label} (n=${size})`);
      drawn.runs.push(members[g]!.map((member) => member.run));
      if (state.band === 'none') return;
      const [high, low] =
        state.band === 'minmax'
          ? [line.max, line.min]
          : [
              line.mean.map((mean, k) => (mean === null ? null : mean + line.std[k]!)),
              line.mean.map((mean, k) => (mean === null ? null : mean - line.std[k]!)),
            ];
      const edge = { stroke: 'transparent', width: 0, points: { show: false } };
      opts.series.push({ ...edge, label: `${group.label} high` }, { ...edge, label: `${group.label} low` });
      data.push(positive(high), positive(low));
      bands.push({ series: [data.length - 2, data.length - 1], fill: translucent(group.color, 0.18) });
    });
    opts.bands = bands;
    const hover = (u: uPlotType): HoverRow[] => {
      const at = nearestIndex(grid, u.posToVal(u.cursor.left ?? -1, 'x'));
      if (at < 0) return [];
      return present.flatMap((g, i) => {
        const line = lines[i]!;
        const mean = line.mean[at];
        if (mean === null || mean === undefined) return [];
        const band =
          state.band === 'std'
            ? ` ± ${formatFloat32(line.std[at]!)}`
            : state.band === 'minmax'
              ? ` [${formatFloat32(line.min[at]!)}, ${formatFloat32(line.max[at]!)}]`
              : '';
        const group = groups[g]!;
        return [
          {
            label: group.label,
            color: group.color,
            value: mean,
            step: grid[at]!,
            detail: `${band} n=${line.count[at]}`,
          },
        ];
      });
    };
    drawn.plot = this.#plot(section, opts, data as uPlotType.AlignedData, hover);
    return drawn;
  }

  /** The chart, with its hover box: every series' value at the cursor's x, highest first. */
  #plot(section: Section, opts: uPlotType.Options, data: uPlotType.AlignedData, rowsAt: (u: uPlotType) => HoverRow[]) {
    const box = el('div', { class: 'hover', attrs: { role: 'status' } });
    box.hidden = true;
    const x = this.#context!.state.axis;
    opts.hooks = {
      setCursor: [
        (u) => {
          if (u.cursor.left === undefined || u.cursor.left < 0) {
            box.hidden = true;
            return;
          }
          const rows = rowsAt(u).sort((a, b) => b.value - a.value);
          if (rows.length === 0) {
            box.hidden = true;
            return;
          }
          const cursorValue = u.posToVal(u.cursor.top ?? 0, 'y');
          let nearest = 0;
          rows.forEach((row, i) => {
            if (Math.abs(row.value - cursorValue) < Math.abs(rows[nearest]!.value - cursorValue)) nearest = i;
          });
          const from = Math.max(0, Math.min(nearest - (HOVER_ROWS >> 1), rows.length - HOVER_ROWS));
          const shown = rows.slice(from, from + HOVER_ROWS);
          const heading =
            x === 'step' ? `step ${formatNumber(rows[0]!.step)}` : `x ${formatNumber(u.posToVal(u.cursor.left, 'x'))}`;
          box.replaceChildren(
            el('div', { class: 'hover-head', text: heading }),
            ...(from > 0 ? [el('div', { class: 'hover-more', text: `${from} more above` })] : []),
            ...shown.map((row, i) =>
              el(
                'div',
                { class: from + i === nearest ? 'hover-row nearest' : 'hover-row', attrs: { 'data-label': row.label } },
                [
                  swatch(row.color),
                  el('span', { class: 'hover-value', text: formatFloat32(row.value) }),
                  el('span', { class: 'hover-label', text: ` ${row.label}${row.detail}` }),
                ],
              ),
            ),
            ...(from + HOVER_ROWS < rows.length
              ? [el('div', { class: 'hover-more', text: `${rows.length - from - HOVER_ROWS} more below` })]
              : []),
          );
          box.hidden = false;
          const left = u.cursor.left + 14;
          const flipped = left + box.offsetWidth > u.over.clientWidth; // no room on the right: on the left
          box.style.left = `${flipped ? u.cursor.left - box.offsetWidth - 14 : left}px`;
          box.style.top = '4px';
        },
      ],
    };
    const plot = new uPlot(opts, data, section.chart);
    plot.over.appendChild(box);
    return plot;
  }

  /** The exact last, min and max of the metric per selected run, best first; ten rows until "show all". */
  #renderTable(section: Section): void {
    const context = this.#context!;
    const { model, selection } = context;
    const mode = defaultMode(section.metric);
    const rows = selection.runs
      .filter((run) => Object.prototype.hasOwnProperty.call(run.data.metrics, section.metric))
      .sort((a, b) => {
        const [x, y] = [a, b].map((run) => run.data.metrics[section.metric]!);
        return compareBest(mode === 'min' ? x!.min : x!.max, mode === 'min' ? y!.min : y!.max, mode);
      });
    const shown = section.showAll ? rows : rows.slice(0, TABLE_ROWS);
    const metrics = shown.map((run) => run.data.metrics[section.metric]!);
    const [last, min, max] = [
      formatColumn(metrics.map((metric) => metric.last)),
      formatColumn(metrics.map((metric) => metric.min)),
      formatColumn(metrics.map((metric) => metric.max)),
    ];
    const drawnCount = new Map(model.series(section.metric).map((series) => [series.run, series.values.length]));
    const at = (step: number | null) => (step === null ? '' : ` @${formatNumber(step)}`);
    const head = el(
      'tr',
      {},
      ['', 'run', 'last', 'min @step', 'max @step', 'points', 'drawn'].map((text) => el('th', { text })),
    );
    const body = shown.map((run, i) => {
      const metric = metrics[i]!;
      return el('tr', { attrs: { 'data-run': run.data.id } }, [
        el('td', {}, [swatch(run.color)]),
        el('td', { class: 'run-id', text: run.data.id }),
        el('td', { class: 'num', title: String(metric.last), text: last[i]! }),
        el('td', { class: 'num', title: String(metric.min), text: min[i]! + at(metric.minStep) }),
        el('td', { class: 'num', title: String(metric.max), text: max[i]! + at(metric.maxStep) }),
        el('td', { class: 'num', text: String(metric.points) }),
        el('td', { class: 'num', text: String(drawnCount.get(run.index) ?? 0) }),
      ]);
    });
    section.table.replaceChildren(el('thead', {}, [head]), el('tbody', {}, body));
    section.more.hidden = rows.length <= TABLE_ROWS;
    section.more.textContent = section.showAll ? `show the first ${TABLE_ROWS}` : `show all ${rows.length} runs`;
  }
}
