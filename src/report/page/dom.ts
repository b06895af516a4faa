/**
 * DOM helpers of the report page. Every text a run or a user supplies reaches the page through `textContent` or
 * an attribute set through the DOM, never through HTML parsing: a run named `<img onerror=...>` is shown as
 * that text. Colours go through the CSSOM (`style.background`), which the page's Content-Security-Policy allows
 * where a `style` attribute would not be.
 */

type Child = Node | null | undefined | false;

export interface Props {
  class?: string;
  text?: string;
  title?: string;
  attrs?: Record<string, string>;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  children: readonly Child[] = [],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class !== undefined) node.className = props.class;
  if (props.text !== undefined) node.textContent = props.text;
  if (props.title !== undefined) node.title = props.title;
  for (const [key, value] of Object.entries(props.attrs ?? {})) node.setAttribute(key, value);
  for (const child of children) if (child) node.appendChild(child);
  return node;
}

const SVG = 'http://www.w3.org/2000/svg';

export function svgEl<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
  text?: string,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

/** The colour of run or group `index`: a palette of ten, then hues a golden angle apart. */
export function colorOf(index: number): string {
  return index < PALETTE.length ? PALETTE[index]! : `hsl(${((index * 137.508) % 360).toFixed(1)}, 60%, 45%)`;
}

/** A colour's translucent form, for bands: `hsl(...)` and `#rrggbb` alike. */
export function translucent(color: string, alpha: number): string {
  if (color.startsWith('#')) {
    const [r, g, b] = [1, 3, 5].map((at) => parseInt(color.slice(at, at + 2), 16));
    return `rgba(${r}, ${g}, ${b}, ${alpha})`;
  }
  return color.replace(/^hsl\((.*)\)$/, `hsla($1, ${alpha})`);
}

export function swatch(color: string): HTMLSpanElement {
  const node = el('span', { class: 'swatch' });
  node.style.background = color;
  return node;
}

/** A `<select>` of `options` ([value, label]), `selected` chosen. */
export function select(
  id: string,
  options: readonly (readonly [string, string])[],
  selected: string,
): HTMLSelectElement {
  const node = el('select', { attrs: { id } });
  for (const [value, label] of options) {
    const option = el('option', { text: label, attrs: { value } });
    if (value === selected) option.selected = true;
    node.appendChild(option);
  }
  return node;
}

/**
 * `then` when the browser has nothing more pressing: the frame that shows a change painted, and input handled
 * (a browser without idle callbacks: a moment after the next frame).
 */
export function whenIdle(then: () => void): void {
  if (typeof requestIdleCallback === 'function') requestIdleCallback(then, { timeout: 1000 });
  else requestAnimationFrame(() => setTimeout(then, 20));
}
