/**
 * Images and figures: a row per name, the runs that logged it side by side (the runs the page shows). Pictures
 * are data URIs; Vega-Lite and Plotly specs are drawn as SVG for the common simple cases (one view of lines,
 * bars or points), anything else shown as its JSON.
 */
import { formatNumber } from '../../runs/number_format.js';
import type { ReportMedia } from '../report_data.js';
import type { PageContext } from './context.js';
import { colorOf, el, svgEl, swatch } from './dom.js';
import type { Model } from './model.js';

interface Trace {
  name: string;
  type: 'line' | 'bar' | 'point';
  xs: unknown[];
  ys: unknown[];
}

const MARKS: Record<string, Trace['type']> = {
  line: 'line',
  area: 'line',
  trail: 'line',
  bar: 'bar',
  point: 'point',
  circle: 'point',
  square: 'point',
  tick: 'point',
};

type Spec = Record<string, unknown>;

function vegaLiteTraces(spec: Spec): Trace[] | null {
  const markSpec = spec.mark as string | { type?: string } | undefined;
  const mark = typeof markSpec === 'string' ? markSpec : markSpec?.type;
  const values = (spec.data as { values?: unknown } | undefined)?.values;
  const encoding = (spec.encoding ?? {}) as Record<string, { field?: string } | undefined>;
  const xField = encoding.x?.field;
  const yField = encoding.y?.field;
  if (!mark || !Object.prototype.hasOwnProperty.call(MARKS, mark) || !Array.isArray(values) || !xField || !yField) {
    return null;
  }
  const groupField = encoding.color?.field;
  const groups = new Map<string, Trace>();
  for (const row of values as Record<string, unknown>[]) {
    const key = groupField ? String(row[groupField]) : '';
    let trace = groups.get(key);
    if (!trace) {
      trace = { name: key, type: MARKS[mark]!, xs: [], ys: [] };
      groups.set(key, trace);
    }
    trace.xs.push(row[xField]);
    trace.ys.push(row[yField]);
  }
  return [...groups.values()];
}

function plotlyTraces(spec: Spec): Trace[] | null {
  if (!Array.isArray(spec.data)) return null;
  const traces: Trace[] = [];
  for (const [i, trace] of (spec.data as Record<string, unknown>[]).entries()) {
    const type = (trace.type as string | undefined) ?? 'scatter';
    if ((type !== 'scatter' && type !== 'scattergl' && type !== 'bar') || !Array.isArray(trace.y)) return null;
    const ys = trace.y as unknown[];
    const xs = Array.isArray(trace.x) ? (trace.x as unknown[]) : ys.map((_, j) => j);
    const mode = (trace.mode as string | undefined) ?? (ys.length > 20 ? 'lines' : 'lines+markers');
    const drawn = type === 'bar' ? 'bar' : mode.includes('lines') ? 'line' : 'point';
    traces.push({ name: typeof trace.name === 'string' ? trace.name : `trace ${i}`, type: drawn, xs, ys });
  }
  return traces;
}

function titleOf(spec: Spec, format: string): string {
  const title = format === 'plotly' ? (spec.layout as Spec | undefined)?.title : spec.title;
  if (typeof title === 'string') return title;
  const text = (title as { text?: unknown } | undefined)?.text;
  return typeof text === 'string' ? text : '';
}

/** Traces as one SVG chart, numbers or category strings on x. */
function drawTraces(title: string, traces: Trace[]): SVGSVGElement {
  const [width, height, left, right, bottom] = [420, 280, 56, 12, 36];
  const top = title ? 28 : 12;
  const svg = svgEl('svg', { width, height, viewBox: `0 0 ${width} ${height}`, class: 'spec-chart' });
  const numericX = traces.every((trace) => trace.xs.every((x) => typeof x === 'number'));
  const categories: string[] = [];
  if (!numericX) {
    for (const trace of traces)
      for (const x of trace.xs) if (!categories.includes(String(x))) categories.push(String(x));
  }
  const xOf = (x: unknown) => (numericX ? (x as number) : categories.indexOf(String(x)));
  const xs = traces.flatMap((trace) => trace.xs.map(xOf));
  const ys = [0, ...traces.flatMap((trace) => trace.ys.map(Number))];
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  if (traces.some((trace) => trace.type === 'bar') || !numericX) [x0, x1] = [x0 - 0.5, x1 + 0.5];
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  const y0 = Math.min(...ys);
  const y1 = Math.max(...ys) === y0 ? y0 + 1 : Math.max(...ys);
  const px = (x: unknown) => left + ((xOf(x) - x0) / (x1 - x0)) * (width - left - right);
  const py = (y: number) => top + (1 - (y - y0) / (y1 - y0)) * (height - top - bottom);
  const text = (x: number, y: number, anchor: string, className: string, content: string) =>
    svg.appendChild(svgEl('text', { x, y, 'text-anchor': anchor, class: className }, content));
  if (title) text(width / 2, 18, 'middle', 'spec-title', title);
  svg.appendChild(svgEl('line', { x1: left, y1: py(y0), x2: width - right, y2: py(y0), class: 'axis' }));
  svg.appendChild(svgEl('line', { x1: left, y1: top, x2: left, y2: height - bottom, class: 'axis' }));
  for (const y of [y0, (y0 + y1) / 2, y1]) text(left - 4, py(y) + 4, 'end', 'tick', formatNumber(y));
  const xTicks: unknown[] = numericX ? [x0, (x0 + x1) / 2, x1] : categories;
  for (const x of xTicks)
    text(px(x), height - bottom + 14, 'middle', 'tick', numericX ? formatNumber(x as number) : String(x));
  const bars = traces.filter((trace) => trace.type === 'bar');
  traces.forEach((trace, t) => {
    const stroke = colorOf(t);
    if (trace.type === 'bar') {
      const slot = (((width - left - right) / (x1 - x0)) * 0.8) / bars.length;
      const b = bars.indexOf(trace);
      trace.xs.forEach((x, i) => {
        const y = Number(trace.ys[i]);
        svg.appendChild(
          svgEl('rect', {
            x: px(x) - (slot * bars.length) / 2 + b * slot,
            y: Math.min(py(y), py(0)),
            width: Math.max(slot - 1, 1),
            height: Math.abs(py(0) - py(y)),
            fill: stroke,
            class: 'mark',
          }),
        );
      });
    } else if (trace.type === 'line') {
      const order = trace.xs.map((_, i) => i).sort((a, b) => xOf(trace.xs[a]) - xOf(trace.xs[b]));
      const points = order.map((i) => `${px(trace.xs[i])},${py(Number(trace.ys[i]))}`).join(' ');
      svg.appendChild(svgEl('polyline', { fill: 'none', stroke, 'stroke-width': 2, class: 'mark', points }));
    } else {
      trace.xs.forEach((x, i) => {
        svg.appendChild(svgEl('circle', { cx: px(x), cy: py(Number(trace.ys[i])), r: 3, fill: stroke, class: 'mark' }));
      });
    }
  });
  if (traces.length > 1) {
    traces.forEach((trace, t) => {
      svg.appendChild(
        svgEl(
          'text',
          { x: width - right, y: top + 12 * (t + 1), 'text-anchor': 'end', fill: colorOf(t), class: 'tick' },
          trace.name,
        ),
      );
    });
  }
  return svg;
}

function mediaBody(media: ReportMedia, alt: string): Element {
  if ('dataUri' in media) return el('img', { class: 'picture', attrs: { src: media.dataUri, alt } });
  const spec = (media.spec ?? {}) as Spec;
  const traces = media.format === 'vega-lite' ? vegaLiteTraces(spec) : plotlyTraces(spec);
  if (traces && traces.length > 0) return drawTraces(titleOf(spec, media.format), traces);
  return el('div', { class: 'unsupported' }, [
    el('p', {
      text:
        `This ${media.format} spec is beyond what the report draws ` +
        '(single-view line, bar and point charts); its JSON:',
    }),
    el('pre', { text: JSON.stringify(media.spec, null, 2).slice(0, 4000) }),
  ]);
}

export class MediaSection {
  readonly #cards: { run: number; card: HTMLElement }[] = [];

  constructor(root: HTMLElement, model: Model) {
    const names: string[] = [];
    for (const run of model.runs)
      for (const media of run.data.media) if (!names.includes(media.name)) names.push(media.name);
    for (const name of names) {
      const cards: HTMLElement[] = [];
      for (const run of model.runs) {
        for (const media of run.data.media) {
          if (media.name !== name) continue;
          const card = el(
            'figure',
            { class: `media ${media.format}`, attrs: { 'data-format': media.format, 'data-run': run.data.id } },
            [
              mediaBody(media, `${name} of ${run.data.id}`),
              el('figcaption', {}, [
                swatch(run.color),
                el('span', { text: ` ${run.data.id} \u00b7 ${media.kind}, ${media.format}` }),
              ]),
            ],
          );
          cards.push(card);
          this.#cards.push({ run: run.index, card });
        }
      }
      root.appendChild(
        el('div', { class: 'media-row', attrs: { 'data-name': name } }, [
          el('h3', { text: name }),
          el('div', { class: 'cards' }, cards),
        ]),
      );
    }
    const notes = model.runs.flatMap((run) =>
      run.data.notes.map((note) => el('li', { text: `${run.data.id}: ${note}` })),
    );
    if (notes.length > 0) root.appendChild(el('ul', { class: 'notes' }, notes));
    if (names.length === 0) root.appendChild(el('p', { class: 'empty', text: 'No run logged images or figures.' }));
  }

  update(context: PageContext): void {
    for (const { run, card } of this.#cards) card.hidden = !context.selection.visible[run];
  }
}
