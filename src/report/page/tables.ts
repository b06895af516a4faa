/**
 * The page's tables: the best runs by the metric the page ranks by (and, when grouping, the groups by their
 * mean), and every run with its params side by side, the ones that differ first and marked, nested params as
 * columns of key paths that open and close. Tables scroll within the page, their header and run column held.
 */
import { formatColumn, formatDuration, formatNumber, formatUtcTime, formatValue } from '../../runs/number_format.js';
import { flattenParams, ownValue } from '../../runs/param_paths.js';
import { compareBest, groupStats } from '../../runs/sweep.js';
import type { GroupModel, PageContext } from './context.js';
import { el, swatch, whenIdle } from './dom.js';
import type { Model, ParamModel, RunModel } from './model.js';

const BEST_ROWS = 10;

/** An object param shown closed: its key paths and values, `name=sgd, momentum=0.9`. */
function closedText(value: unknown): string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return formatValue(value);
  return Object.entries(flattenParams(value as Record<string, unknown>))
    .map(([key, inner]) => `${key}=${formatValue(inner)}`)
    .join(', ');
}

/** A param cell: its value as the page writes values, the exact JSON on hover. */
function paramCell(value: unknown, differs: boolean, key: string, closed = false): HTMLTableCellElement {
  const text = value === undefined ? '' : closed ? closedText(value) : formatValue(value);
  return el('td', {
    class: differs ? 'param differs' : 'param',
    text,
    title: value === undefined ? 'not logged' : `${key} = ${JSON.stringify(value) ?? String(value)}`,
    attrs: { 'data-key': key },
  });
}

export interface DrawnBest {
  rows: { run: string; value: number }[];
  groups: { label: string; count: number; mean: number | null }[];
}

export class BestRuns {
  readonly #root: HTMLElement;
  #showAll = false;
  #drawn: DrawnBest = { rows: [], groups: [] };

  constructor(root: HTMLElement) {
    this.#root = root;
  }

  get drawn(): DrawnBest {
    return this.#drawn;
  }

  update(context: PageContext): void {
    const { state, selection, groups } = context;
    const ranked = selection.runs
      .filter((run) => selection.objective[run.index] !== null)
      .sort((a, b) => compareBest(selection.objective[a.index]!, selection.objective[b.index]!, state.mode));
    const parts: HTMLElement[] = [];
    this.#drawn = { rows: [], groups: [] };
    if (groups) parts.push(this.#groupTable(context, groups));
    parts.push(this.#runTable(context, this.#showAll ? ranked : ranked.slice(0, BEST_ROWS)));
    if (ranked.length === 0) {
      parts.push(el('p', { class: 'empty', text: `No run the filter shows logged ${state.metric}.` }));
    }
    if (ranked.length > BEST_ROWS) parts.push(this.#moreButton(context, ranked.length));
    this.#root.replaceChildren(...parts);
  }

  /** The groups ranked by their mean of the objective, each with its spread and its best run. */
  #groupTable({ state }: PageContext, groups: readonly GroupModel[]): HTMLElement {
    const spec = { name: state.metric, mode: state.mode };
    const ranked = groups
      .map((group) => ({
        group,
        stats: groupStats(
          state.value === 'last'
            ? group.members.map((run) => lastAsBest(run, state.metric))
            : group.members.map((run) => run.data),
          spec,
        ),
      }))
      .sort((a, b) => compareBest(a.stats.mean, b.stats.mean, state.mode));
    const [mean, std, best] = [
      formatColumn(ranked.map(({ stats }) => stats.mean)),
      formatColumn(ranked.map(({ stats }) => stats.std)),
      formatColumn(ranked.map(({ stats }) => stats.best?.value ?? null)),
    ];
    const head = el(
      'tr',
      {},
      ['', 'group', 'runs', 'mean', 'std', 'best', 'best run'].map((text) => el('th', { text })),
    );
    const rows = ranked.map(({ group, stats }, i) =>
      el('tr', { attrs: { 'data-group': group.label } }, [
        el('td', {}, [swatch(group.color)]),
        el('td', { text: group.label }),
        el('td', { class: 'num', text: `${stats.count}/${group.members.length}` }),
        el('td', { class: 'num', title: String(stats.mean), text: mean[i]! }),
        el('td', { class: 'num', title: String(stats.std), text: std[i]! }),
        el('td', { class: 'num', title: String(stats.best?.value), text: best[i]! }),
        el('td', { class: 'run-id', text: stats.best?.run ?? '-' }),
      ]),
    );
    this.#drawn.groups = ranked.map(({ group, stats }) => ({
      label: group.label,
      count: group.members.length,
      mean: stats.mean,
    }));
    return el('div', { class: 'table-wrap' }, [
      el('table', { class: 'groups' }, [el('thead', {}, [head]), el('tbody', {}, rows)]),
    ]);
  }

  /** The runs shown, best first: the objective, the step it was reached at, and the params that differ. */
  #runTable({ model, state, selection }: PageContext, shown: readonly RunModel[]): HTMLElement {
    const params = model.params.filter((param) => param.differs).slice(0, 12);
    const values = formatColumn(shown.map((run) => selection.objective[run.index]!));
    const valueHead = `${state.metric} ${state.value === 'last' ? 'last' : state.mode}`;
    const head = el('tr', {}, [
      el('th', { text: '#' }),
      el('th'),
      el('th', { text: 'run' }),
      el('th', { text: valueHead }),
      el('th', { text: 'step' }),
      el('th', { text: 'status' }),
      ...params.map((param) => el('th', { class: 'param', text: param.key })),
    ]);
    const rows = shown.map((run, i) => {
      const metric = run.data.metrics[state.metric]!;
      const step = state.value === 'last' ? metric.lastStep : state.mode === 'min' ? metric.minStep : metric.maxStep;
      return el('tr', { attrs: { 'data-run': run.data.id } }, [
        el('td', { class: 'num', text: String(i + 1) }),
        el('td', {}, [swatch(run.color)]),
        el('td', { class: 'run-id', text: run.data.id }),
        el('td', { class: 'num best-value', title: String(selection.objective[run.index]), text: values[i]! }),
        el('td', { class: 'num', text: step === null ? '' : formatNumber(step) }),
        el('td', { class: `status ${run.data.status}`, text: run.data.status }),
        ...params.map((param) => paramCell(ownValue(run.flat, param.key), false, param.key)),
      ]);
    });
    this.#drawn.rows = shown.map((run) => ({ run: run.data.id, value: selection.objective[run.index]! }));
    const table = el('table', { class: 'best' }, [el('thead', {}, [head]), el('tbody', {}, rows)]);
    return el('div', { class: 'table-wrap' }, [table]);
  }

  /** Shows every ranked run, or the best few again. */
  #moreButton(context: PageContext, count: number): HTMLElement {
    const more = el('button', {
      class: 'more',
      text: this.#showAll ? `show the best ${BEST_ROWS}` : `show all ${count} runs`,
      attrs: { type: 'button' },
    });
    more.addEventListener('click', () => {
      this.#showAll = !this.#showAll;
      this.update(context);
    });
    return more;
  }
}

/** A run whose "best" is its last value: groups ranked by what the runs ended at. */
function lastAsBest(run: RunModel, metric: string): RunModel['data'] {
  const summary = Object.prototype.hasOwnProperty.call(run.data.metrics, metric) ? run.data.metrics[metric] : undefined;
  if (summary === undefined) return run.data;
  const last = Number.isNaN(summary.last) ? null : summary.last;
  return {
    ...run.data,
    metrics: {
      ...run.data.metrics,
      [metric]: { ...summary, min: last, max: last, minStep: summary.lastStep, maxStep: summary.lastStep },
    },
  };
}

/** A column of the run table: a param's key path, or an object param shown closed, as one compact column. */
type ParamColumn =
  { kind: 'leaf'; param: ParamModel; opener?: string } | { kind: 'closed'; parent: string; differs: boolean };

export class RunTable {
  readonly #root: HTMLElement;
  readonly #model: Model;
  readonly #onToggle: (parent: string) => void;
  readonly #rows = new Map<number, HTMLTableRowElement>();
  #shape = '';
  /** Which runs the rows should show, and whether they do. */
  #visible: readonly boolean[] = [];
  #applied = true;
  /** On screen (as the observer last said): rows shown or hidden at once, else when the browser is idle. */
  #near = false;
  /** Called when the rows show what the last update asked for. */
  onApplied: () => void = () => {};

  /** `onToggle`: an object param's columns were opened or closed (the page keeps that in its state). */
  constructor(root: HTMLElement, model: Model, onToggle: (parent: string) => void) {
    this.#root = root;
    this.#model = model;
    this.#onToggle = onToggle;
    if (typeof IntersectionObserver === 'function') {
      new IntersectionObserver((entries) => {
        this.#near = entries.some((entry) => entry.isIntersecting);
        if (this.#near) this.#apply();
      }).observe(root);
    } else {
      this.#near = true;
    }
  }

  /** Whether the rows show the runs of the last update. */
  get applied(): boolean {
    return this.#applied;
  }

  #columns(context: PageContext): ParamColumn[] {
    const { state } = context;
    const params = this.#model.params.filter((param) => param.differs || !state.onlyDiffering);
    const columns: ParamColumn[] = [];
    const placed = new Set<string>();
    for (const param of params) {
      if (param.parent === undefined) {
        columns.push({ kind: 'leaf', param });
      } else if (state.expanded.has(param.parent)) {
        columns.push({ kind: 'leaf', param, ...(placed.has(param.parent) ? {} : { opener: param.parent }) });
        placed.add(param.parent);
      } else if (!placed.has(param.parent)) {
        placed.add(param.parent);
        const differs = params.some((other) => other.parent === param.parent && other.differs);
        columns.push({ kind: 'closed', parent: param.parent, differs });
      }
    }
    return columns;
  }

  update(context: PageContext): void {
    const columns = this.#columns(context);
    const shape = JSON.stringify(
      columns.map((column) => (column.kind === 'leaf' ? column.param.key : `>${column.parent}`)),
    );
    const rebuilt = shape !== this.#shape;
    if (rebuilt) this.#build(columns);
    this.#shape = shape;
    this.#visible = context.selection.visible;
    this.#applied = false;
    // Showing or hiding 500 rows lays the whole table out again: off screen, that waits for an idle moment.
    if (rebuilt || this.#near) this.#apply();
    else whenIdle(() => this.#apply());
  }

  #apply(): void {
    if (this.#applied) return;
    for (const [index, row] of this.#rows) row.hidden = !this.#visible[index];
    this.#applied = true;
    this.onApplied();
  }

  #build(columns: readonly ParamColumn[]): void {
    const toggle = (parent: string, open: boolean) => {
      const button = el('button', {
        class: 'toggle-params',
        text: `${open ? '\u25be' : '\u25b8'} ${parent}`,
        title: open ? `show ${parent} as one column` : `show each key of ${parent} as a column`,
        attrs: { type: 'button', 'data-param': parent },
      });
      button.addEventListener('click', () => this.#onToggle(parent));
      return button;
    };
    const paramHeads = columns.map((column) => {
      if (column.kind === 'closed') {
        return el('th', { class: column.differs ? 'param differs' : 'param' }, [toggle(column.parent, false)]);
      }
      const { param } = column;
      const mark = param.differs ? '\u2260 ' : '';
      const th = el('th', {
        class: param.differs ? 'param differs' : 'param',
        title: param.differs ? 'differs between runs' : 'the same in every run',
      });
      if (column.opener !== undefined) th.append(toggle(column.opener, true), el('br'));
      th.append(mark + param.key);
      return th;
    });
    const head = el('tr', {}, [
      el('th', { class: 'sticky-1' }),
      el('th', { class: 'sticky-2', text: 'run' }),
      ...['tracker', 'status', 'start', 'duration', 'points', 'tags'].map((text) => el('th', { text })),
      ...paramHeads,
    ]);
    this.#rows.clear();
    const body = this.#model.runs.map((run) => {
      const tags = Object.entries(run.data.tags)
        .map(([key, value]) => `${key}=${value}`)
        .join(', ');
      const row = el('tr', { attrs: { 'data-run': run.data.id } }, [
        el('td', { class: 'sticky-1' }, [swatch(run.color)]),
        el('td', { class: 'sticky-2 run-id', text: run.data.id }),
        el('td', { text: run.data.trackers.join('+') }),
        el('td', { class: `status ${run.data.status}`, text: run.data.status }),
        el('td', { text: formatUtcTime(run.data.start) }),
        el('td', { class: 'num', text: formatDuration(run.data.durationMs) }),
        el('td', { class: 'num', text: String(run.data.points) }),
        el('td', { class: 'tags', text: tags }),
        ...columns.map((column) =>
          column.kind === 'closed'
            ? paramCell(ownValue(run.data.params, column.parent), column.differs, column.parent, true)
            : paramCell(ownValue(run.flat, column.param.key), column.param.differs, column.param.key),
        ),
      ]);
      this.#rows.set(run.index, row);
      return row;
    });
    this.#root.replaceChildren(el('thead', {}, [head]), el('tbody', {}, body));
  }
}
