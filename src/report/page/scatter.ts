/**
 * One param against the metric the page ranks by: a dot per run the page shows (in its group's colour when
 * grouping), numbers on a linear or log axis, text params as categories. Hovering a dot names the run.
 */
import { formatNumber } from '../../runs/number_format.js';
import { ownValue } from '../../runs/param_paths.js';
import type { PageContext } from './context.js';
import { el, svgEl } from './dom.js';
import { numberScale, paramAxes } from './parallel.js';
import type { AxisScale } from './parallel.js';
import { categoryOf } from './selection.js';

const WIDTH = 520;
const HEIGHT = 320;
const [LEFT, RIGHT, TOP, BOTTOM] = [64, 16, 14, 40];

export interface DrawnScatter {
  x: string;
  points: { run: string; x: unknown; y: number }[];
}

export class Scatter {
  readonly #root: HTMLElement;
  #drawn: DrawnScatter = { x: '', points: [] };

  constructor(root: HTMLElement) {
    this.#root = root;
  }

  get drawn(): DrawnScatter {
    return this.#drawn;
  }

  update(context: PageContext): void {
    const { model, state, selection, groups } = context;
    const xAxis = paramAxes(model.params).find((axis) => axis.key === state.scatterX);
    if (xAxis === undefined) {
      this.#root.replaceChildren(el('p', { class: 'empty', text: 'No param differs between the runs.' }));
      this.#drawn = { x: state.scatterX, points: [] };
      return;
    }
    const shown = selection.runs.filter((run) => selection.objective[run.index] !== null);
    const yValues = shown.map((run) => selection.objective[run.index]!);
    const yAxis = numberScale('y', state.metric, yValues.length > 0 ? yValues : [0, 1], false);
    const px = (t: number) => LEFT + t * (WIDTH - LEFT - RIGHT);
    const py = (t: number) => TOP + (1 - t) * (HEIGHT - TOP - BOTTOM);
    const svg = svgEl('svg', { width: WIDTH, height: HEIGHT, viewBox: `0 0 ${WIDTH} ${HEIGHT}`, class: 'scatter' });
    svg.appendChild(svgEl('line', { x1: LEFT, x2: WIDTH - RIGHT, y1: py(0), y2: py(0), class: 'axis-line' }));
    svg.appendChild(svgEl('line', { x1: LEFT, x2: LEFT, y1: py(0), y2: py(1), class: 'axis-line' }));
    this.#ticks(svg, xAxis, (t, text) =>
      svgEl('text', { x: px(t), y: HEIGHT - BOTTOM + 16, 'text-anchor': 'middle', class: 'tick' }, text),
    );
    this.#ticks(svg, yAxis, (t, text) =>
      svgEl('text', { x: LEFT - 6, y: py(t) + 4, 'text-anchor': 'end', class: 'tick' }, text),
    );
    svg.appendChild(
      svgEl(
        'text',
        { x: (LEFT + WIDTH - RIGHT) / 2, y: HEIGHT - 6, 'text-anchor': 'middle', class: 'axis-label' },
        xAxis.label,
      ),
    );
    const colorOf = new Map<number, string>();
    for (const group of groups ?? []) for (const run of group.members) colorOf.set(run.index, group.color);
    const points: DrawnScatter['points'] = [];
    shown.forEach((run, i) => {
      const x = ownValue(run.flat, xAxis.key);
      const tx = xAxis.position(x);
      if (tx === undefined) return;
      const y = yValues[i]!;
      const dot = svgEl('circle', {
        cx: px(tx).toFixed(1),
        cy: py(yAxis.position(y)!).toFixed(1),
        r: 4,
        class: 'dot',
        'data-run': run.data.id,
      });
      dot.style.fill = colorOf.get(run.index) ?? run.color;
      dot.appendChild(
        svgEl(
          'title',
          {},
          [
            run.data.id,
            `${xAxis.key} = ${typeof x === 'number' ? formatNumber(x) : categoryOf(x)}`,
            `${state.metric} = ${formatNumber(y)}`,
          ].join('\n'),
        ),
      );
      svg.appendChild(dot);
      points.push({ run: run.data.id, x, y });
    });
    this.#root.replaceChildren(svg);
    this.#drawn = { x: xAxis.key, points };
  }

  #ticks(svg: SVGSVGElement, axis: AxisScale, make: (t: number, text: string) => SVGTextElement): void {
    const ticks = axis.ticks();
    const every = Math.ceil(ticks.length / 8);
    ticks.forEach((tick, i) => {
      if (i % every === 0)
        svg.appendChild(make(tick.at, tick.text.length > 12 ? `${tick.text.slice(0, 11)}…` : tick.text));
    });
  }
}
