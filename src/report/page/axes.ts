/**
 * Axes whose labels fit: tick values written as numbers are written everywhere on the page (`1e-4` on a log axis,
 * not `0`), a y axis as wide as its widest label (a loss of 1234567890 is not cut), and x ticks spaced by the
 * width of theirs.
 */
import type uPlotType from 'uplot';
import { formatNumber } from '../../runs/number_format.js';

/** uPlot's axis font, for measuring. */
const FONT = "12px system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
let measurer: CanvasRenderingContext2D | null | undefined;

function textWidth(text: string): number {
  if (measurer === undefined) {
    measurer = document.createElement('canvas').getContext('2d');
    if (measurer) measurer.font = FONT;
  }
  return measurer ? measurer.measureText(text).width : text.length * 7;
}

/** Tick labels: numbers as the page writes them (the float noise of tick arithmetic dropped). */
export function tickValues(_u: uPlotType, splits: number[]): string[] {
  return splits.map((split) => (split === null ? '' : formatNumber(split)));
}

/** A y axis' width: its widest label, the ticks and the gap. */
export function axisSize(_u: uPlotType, values: string[] | null): number {
  const widest = Math.max(0, ...(values ?? []).map((value) => textWidth(value ?? '')));
  return Math.ceil(widest) + 10 + 5 + 6;
}

/** The space between x ticks: room for the widest of its labels. */
export function xTickSpace(_u: uPlotType, _axis: number, min: number, max: number): number {
  const widest = Math.max(textWidth(formatNumber(min)), textWidth(formatNumber(max)));
  return Math.max(50, Math.ceil(widest) + 24);
}
