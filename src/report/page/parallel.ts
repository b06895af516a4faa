/**
 * Parallel coordinates: an axis per swept param and a last one for the metric the page ranks by, a line per run
 * coloured by that metric (the better, the brighter). Dragging along an axis brushes a range (or the categories
 * in it); the brushes filter the runs everywhere on the page, and a click on an axis clears its brush. The
 * axes keep their scales while runs are filtered, so brushes stay where they were drawn.
 */
import { formatNumber } from '../../runs/number_format.js';
import { ownValue } from '../../runs/param_paths.js';
import type { PageContext } from './context.js';
import { el, svgEl } from './dom.js';
import type { ParamModel } from './model.js';
import { categoryOf } from './selection.js';
import { OBJECTIVE_AXIS } from './state.js';
import type { Brush } from './state.js';

const HEIGHT = 330;
const TOP = 46;
const BOTTOM = 34;
/** Where a run without the value is drawn: below its axis. */
const MISSING_GAP = 16;
/** The y of a position on an axis (0 bottom, 1 top), or below the axis for a run without a value. */
function yOf(t: number | undefined): number {
  return t === undefined ? HEIGHT - BOTTOM + MISSING_GAP : TOP + (1 - t) * (HEIGHT - TOP - BOTTOM);
}

/** Text axes with more categories than this are left out (ids, hashes: nothing to read across runs). */
const MAX_CATEGORIES = 40;
/** Axes at most, the params that differ first. */
const MAX_AXES = 14;

const COLORS = ['#440154', '#3b528b', '#21918c', '#5ec962', '#fde725'];

/** Viridis, from 0 (worst) to 1 (best). */
function ramp(t: number): string {
  const at = Math.max(0, Math.min(1, t)) * (COLORS.length - 1);
  const i = Math.min(Math.floor(at), COLORS.length - 2);
  const [a, b] = [COLORS[i]!, COLORS[i + 1]!].map((hex) => [1, 3, 5].map((k) => parseInt(hex.slice(k, k + 2), 16)));
  const mix = a!.map((channel, k) => Math.round(channel + (b![k]! - channel) * (at - i)));
  return `rgb(${mix.join(', ')})`;
}

/** An axis: how a value maps to [0, 1] (bottom to top), and its ticks. */
export interface AxisScale {
  key: string;
  label: string;
  kind: 'number' | 'log' | 'category';
  categories: string[];
  low: number;
  high: number;
  /** 0..1 for a value, or undefined for a run without one. */
  position(value: unknown): number | undefined;
  /** The values between two positions (brushing): a range of numbers, or the categories inside. */
  brushFor(from: number, to: number): Brush;
  ticks(): { at: number; text: string }[];
}

export function numberScale(key: string, label: string, values: readonly number[], log: boolean): AxisScale {
  const map = (value: number) => (log ? Math.log10(value) : value);
  let low = Math.min(...values.map(map));
  let high = Math.max(...values.map(map));
  if (!Number.isFinite(low)) [low, high] = [0, 1];
  if (low === high) [low, high] = [low - 1, high + 1];
  const position = (value: unknown) =>
    typeof value === 'number' && Number.isFinite(value) && (!log || value > 0)
      ? (map(value) - low) / (high - low)
      : undefined;
  const valueAt = (t: number) => (log ? 10 ** (low + t * (high - low)) : low + t * (high - low));
  return {
    key,
    label,
    kind: log ? 'log' : 'number',
    categories: [],
    low,
    high,
    position,
    brushFor: (from, to) => ({ kind: 'range', low: valueAt(Math.min(from, to)), high: valueAt(Math.max(from, to)) }),
    ticks: () => {
      // A sweep's few values are its ticks (32, 64, 128, 256; 1e-4, 3e-4, 0.001); else five along the axis.
      const distinct = [...new Set(values)].filter((value) => position(value) !== undefined);
      if (distinct.length <= 8) return distinct.map((value) => ({ at: position(value)!, text: formatNumber(value) }));
      const count = 5;
      return Array.from({ length: count }, (_, i) => {
        const t = i / (count - 1);
        return { at: t, text: formatNumber(Number(valueAt(t).toPrecision(3))) };
      });
    },
  };
}

function categoryScale(key: string, label: string, categories: string[]): AxisScale {
  const position = (value: unknown) => {
    if (value === undefined) return undefined;
    const index = categories.indexOf(categoryOf(value));
    return categories.length === 1 ? 0.5 : index / (categories.length - 1);
  };
  return {
    key,
    label,
    kind: 'category',
    categories,
    low: 0,
    high: 1,
    position,
    brushFor: (from, to) => ({
      kind: 'set',
      values: categories.filter((category) => {
        const at = position(category)!;
        return at >= Math.min(from, to) && at <= Math.max(from, to);
      }),
    }),
    ticks: () => categories.map((category) => ({ at: position(category)!, text: category })),
  };
}

/** The axes of a sweep: the params that differ (at most MAX_AXES), numbers on number axes, the rest as text. */
export function paramAxes(params: readonly ParamModel[]): AxisScale[] {
  return params
    .filter((param) => param.differs && (param.numeric || param.values.length <= MAX_CATEGORIES))
    .slice(0, MAX_AXES)
    .map((param) =>
      param.numeric
        ? numberScale(param.key, param.key, param.values as number[], param.logScale)
        : categoryScale(param.key, param.key, param.values.map(categoryOf)),
    );
}

export interface DrawnParallel {
  axes: string[];
  /** Per run: its position on each axis (0..1, null without a value), and whether the page shows it. */
  lines: { run: string; positions: (number | null)[]; shown: boolean }[];
}

interface BuiltAxis {
  axis: AxisScale;
  group: SVGGElement;
  x: number;
  brush: SVGRectElement | undefined;
}

export class ParallelCoordinates {
  readonly #root: HTMLElement;
  readonly #onBrush: (key: string, brush: Brush | undefined) => void;
  #drawn: DrawnParallel = { axes: [], lines: [] };
  /** What the lines and axes were built for; a change of the selection or of a brush only restyles them. */
  #shape = '';
  #paths: SVGPathElement[] = [];
  #colors: string[] = [];
  #axes: BuiltAxis[] = [];
  #width: number | undefined;
  /** Per path, whether it is styled as shown (undefined: not styled yet). */
  #styled: (boolean | undefined)[] = [];

  constructor(root: HTMLElement, onBrush: (key: string, brush: Brush | undefined) => void) {
    this.#root = root;
    this.#onBrush = onBrush;
  }

  get drawn(): DrawnParallel {
    return this.#drawn;
  }

  /** The window was resized: the width is measured again at the next update. */
  resize(): void {
    this.#width = undefined;
  }

  update(context: PageContext): void {
    const { state } = context;
    // The width as measured when built (resize() measures it again): reading it here would force a layout.
    this.#width ??= this.#root.clientWidth;
    const shape = JSON.stringify([state.metric, state.mode, state.value, this.#width]);
    if (shape !== this.#shape) this.#build(context);
    this.#shape = shape;
    this.#restyle(context);
  }

  #build(context: PageContext): void {
    const { model, state, selection } = context;
    const axes = paramAxes(model.params);
    const withValue = selection.objective.filter((value): value is number => value !== null);
    this.#paths = [];
    this.#styled = [];
    this.#axes = [];
    if (axes.length === 0) {
      this.#root.replaceChildren(el('p', { class: 'empty', text: 'No param differs between the runs.' }));
      this.#drawn = { axes: [], lines: [] };
      return;
    }
    const objectiveLabel = `${state.metric} (${state.value === 'last' ? 'last' : state.mode})`;
    const objective = numberScale(OBJECTIVE_AXIS, objectiveLabel, withValue, false);
    const all = [...axes, objective];
    const width = Math.max(480, Math.min(this.#width || 1100, 1100));
    const [left, right] = [60, 90];
    const step = (width - left - right) / Math.max(all.length - 1, 1);
    const xOf = (i: number) => left + i * step;
    const svg = svgEl('svg', { width, height: HEIGHT + 8, viewBox: `0 0 ${width} ${HEIGHT + 8}`, class: 'parallel' });
    const [low, high] = [Math.min(...withValue), Math.max(...withValue)];
    const goodness = (value: number) =>
      high === low ? 1 : state.mode === 'min' ? (high - value) / (high - low) : (value - low) / (high - low);
    const layer = svgEl('g', { class: 'lines' });
    const lines: DrawnParallel['lines'] = [];
    this.#colors = [];
    for (const run of model.runs) {
      const value = selection.objective[run.index];
      const positions = all.map((axis) =>
        axis === objective
          ? value === null
            ? undefined
            : objective.position(value)
          : axis.position(ownValue(run.flat, axis.key)),
      );
      const path = svgEl('path', {
        d: positions.map((t, i) => `${i === 0 ? 'M' : 'L'}${xOf(i).toFixed(1)},${yOf(t).toFixed(1)}`).join(''),
        class: 'line',
        'data-run': run.data.id,
      });
      path.appendChild(svgEl('title', {}, `${run.data.id}: ${value === null ? 'no value' : formatNumber(value)}`));
      layer.appendChild(path);
      this.#paths.push(path);
      this.#colors.push(value === null ? '#999' : ramp(goodness(value)));
      lines.push({ run: run.data.id, positions: positions.map((t) => t ?? null), shown: true });
    }
    svg.appendChild(layer);
    all.forEach((axis, i) => {
      const group = this.#axis(axis, xOf(i));
      this.#axes.push({ axis, group, x: xOf(i), brush: undefined });
      svg.appendChild(group);
    });
    this.#root.replaceChildren(svg, this.#legend(state.mode === 'min'));
    this.#drawn = { axes: all.map((axis) => axis.key), lines };
  }

  /**
   * The runs the page shows in colour, the others in faint grey (in their places: moving every path to the top
   * would cost a filter of 500 runs a layout of all of them); the brushes where they are. Only the paths whose
   * state changed are touched.
   */
  #restyle(context: PageContext): void {
    const { selection, state } = context;
    this.#paths.forEach((path, index) => {
      const visible = selection.visible[index]!;
      const line = this.#drawn.lines[index]!;
      if (this.#styled[index] === visible) return;
      path.setAttribute('class', visible ? 'line' : 'line off');
      path.style.stroke = visible ? this.#colors[index]! : '';
      this.#styled[index] = visible;
      line.shown = visible;
    });
    for (const built of this.#axes) {
      built.brush?.remove();
      built.brush = undefined;
      const brush = state.brushes.get(built.axis.key);
      if (brush === undefined) continue;
      const { axis } = built;
      const ends =
        brush.kind === 'range'
          ? [axis.position(brush.low) ?? 0, axis.position(brush.high) ?? 1]
          : brush.values.map((value) => axis.position(value) ?? 0);
      const [y0, y1] = [yOf(Math.max(...ends)), yOf(Math.min(...ends))];
      built.brush = svgEl('rect', {
        x: built.x - 8,
        y: y0 - 3,
        width: 16,
        height: Math.max(6, y1 - y0 + 6),
        class: 'brush',
      });
      built.group.insertBefore(built.brush, built.group.lastChild); // under the strip that takes the drags
    }
  }

  #legend(lowerIsBetter: boolean): HTMLElement {
    const bar = el('span', { class: 'ramp' });
    bar.style.background = `linear-gradient(to right, ${COLORS.join(', ')})`;
    return el('p', { class: 'legend' }, [
      el('span', { text: lowerIsBetter ? 'higher (worse) ' : 'lower (worse) ' }),
      bar,
      el('span', { text: ' better · drag along an axis to brush, click it to clear' }),
    ]);
  }

  #axis(axis: AxisScale, x: number): SVGGElement {
    const group = svgEl('g', { class: 'axis', 'data-axis': axis.key });
    group.appendChild(svgEl('line', { x1: x, x2: x, y1: yOf(1), y2: yOf(0), class: 'axis-line' }));
    const label = axis.label.length > 22 ? `${axis.label.slice(0, 21)}…` : axis.label;
    const title = svgEl('text', { x, y: TOP - 26, 'text-anchor': 'middle', class: 'axis-label' }, label);
    title.appendChild(svgEl('title', {}, axis.label));
    group.appendChild(title);
    const ticks = axis.ticks();
    const every = Math.ceil(ticks.length / 12);
    ticks.forEach((tick, i) => {
      if (i % every !== 0) return;
      const text = tick.text.length > 14 ? `${tick.text.slice(0, 13)}…` : tick.text;
      group.appendChild(svgEl('text', { x: x - 6, y: yOf(tick.at) + 4, 'text-anchor': 'end', class: 'tick' }, text));
    });
    // The strip a drag along the axis brushes (the group's last child).
    const strip = svgEl('rect', {
      x: x - 14,
      y: yOf(1) - 6,
      width: 28,
      height: yOf(0) - yOf(1) + 12,
      class: 'brush-strip',
    });
    const toT = (clientY: number) => {
      const box = strip.ownerSVGElement!.getBoundingClientRect();
      return Math.max(0, Math.min(1, 1 - (clientY - box.top - TOP) / (HEIGHT - TOP - BOTTOM)));
    };
    let start: number | undefined;
    let startY = 0;
    const live = svgEl('rect', { x: x - 8, width: 16, class: 'brush live' });
    strip.addEventListener('pointerdown', (event) => {
      start = toT(event.clientY);
      startY = event.clientY;
      strip.setPointerCapture(event.pointerId);
      group.insertBefore(live, strip);
      event.preventDefault();
    });
    strip.addEventListener('pointermove', (event) => {
      if (start === undefined) return;
      const top = strip.ownerSVGElement!.getBoundingClientRect().top;
      live.setAttribute('y', String(Math.min(startY, event.clientY) - top));
      live.setAttribute('height', String(Math.abs(event.clientY - startY)));
    });
    strip.addEventListener('pointerup', (event) => {
      if (start === undefined) return;
      const moved = Math.abs(event.clientY - startY) >= 3;
      const from = start;
      start = undefined;
      live.remove();
      this.#onBrush(axis.key, moved ? axis.brushFor(from, toT(event.clientY)) : undefined);
    });
    group.appendChild(strip);
    return group;
  }
}
