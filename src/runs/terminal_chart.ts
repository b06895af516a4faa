/**
 * A line chart drawn with text: on a terminal, Braille dots (2×4 per character) with a colour per run; in a
 * file or a pipe, plain ASCII with a marker character per run, so logs and CI output stay readable.
 */
import type { SampledSeries } from '../runtime/run_dir/downsample.js';
import { formatNumber } from './number_format.js';

export interface ChartSeries {
  label: string;
  series: SampledSeries;
}

export interface ChartOptions {
  title: string;
  width?: number;
  height?: number;
  /** Braille and ANSI colours (a terminal); otherwise ASCII markers. */
  rich: boolean;
}

const COLORS = [36, 33, 35, 32, 34, 31, 96, 93, 95, 92];
const MARKERS = ['*', '+', 'o', 'x', '#', '@', '%', '&', '=', '~'];
// Braille dot bits by [row][column] within a character cell (Unicode's dot numbering).
const BRAILLE_BITS = [
  [0x01, 0x08],
  [0x02, 0x10],
  [0x04, 0x20],
  [0x40, 0x80],
];

export function renderChart(lines: readonly ChartSeries[], options: ChartOptions): string {
  const width = options.width ?? 60;
  const height = options.height ?? 12;
  const drawn = lines.filter((line) => line.series.values.length > 0);
  if (drawn.length === 0) return `${options.title}: no finite values to draw\n`;
  let xMin = Infinity;
  let xMax = -Infinity;
  let yMin = Infinity;
  let yMax = -Infinity;
  for (const { series } of drawn) {
    for (let i = 0; i < series.values.length; i++) {
      xMin = Math.min(xMin, series.steps[i]!);
      xMax = Math.max(xMax, series.steps[i]!);
      yMin = Math.min(yMin, series.values[i]!);
      yMax = Math.max(yMax, series.values[i]!);
    }
  }
  if (xMax === xMin) xMax = xMin + 1;
  if (yMax === yMin) yMax = yMin + 1;
  const dotsX = options.rich ? width * 2 : width;
  const dotsY = options.rich ? height * 4 : height;
  const bits = new Uint8Array(width * height);
  const owner = new Int16Array(width * height).fill(-1);
  const plot = (x: number, y: number, run: number) => {
    const column = options.rich ? x >> 1 : x;
    const row = options.rich ? y >> 2 : y;
    const cell = row * width + column;
    if (options.rich) bits[cell]! |= BRAILLE_BITS[y & 3]![x & 1]!;
    owner[cell] = run;
  };
  drawn.forEach(({ series }, run) => {
    let previous: [number, number] | undefined;
    for (let i = 0; i < series.values.length; i++) {
      const x = Math.round(((series.steps[i]! - xMin) / (xMax - xMin)) * (dotsX - 1));
      const y = dotsY - 1 - Math.round(((series.values[i]! - yMin) / (yMax - yMin)) * (dotsY - 1));
      if (previous) {
        // Join consecutive points so a sparse series still reads as a line.
        const steps = Math.max(Math.abs(x - previous[0]), Math.abs(y - previous[1]), 1);
        for (let s = 1; s <= steps; s++) {
          plot(
            Math.round(previous[0] + ((x - previous[0]) * s) / steps),
            Math.round(previous[1] + ((y - previous[1]) * s) / steps),
            run,
          );
        }
      } else plot(x, y, run);
      previous = [x, y];
    }
  });
  const top = formatNumber(yMax);
  const bottom = formatNumber(yMin);
  const labelWidth = Math.max(top.length, bottom.length);
  const out: string[] = [options.title];
  for (let row = 0; row < height; row++) {
    const label = row === 0 ? top : row === height - 1 ? bottom : '';
    let text = '';
    for (let column = 0; column < width; column++) {
      const cell = row * width + column;
      const run = owner[cell]!;
      if (run < 0) text += ' ';
      else if (options.rich) {
        text += `\u001b[${COLORS[run % COLORS.length]}m${String.fromCharCode(0x2800 + bits[cell]!)}\u001b[0m`;
      } else text += MARKERS[run % MARKERS.length];
    }
    out.push(`${label.padStart(labelWidth)} │${text}`);
  }
  out.push(`${' '.repeat(labelWidth)} └${'─'.repeat(width)}`);
  const xLeft = `step ${formatNumber(xMin)}`;
  const xRight = formatNumber(xMax);
  out.push(`${' '.repeat(labelWidth + 2)}${xLeft}${xRight.padStart(Math.max(width - xLeft.length, 1))}`);
  drawn.forEach(({ label }, run) => {
    const key = options.rich
      ? `\u001b[${COLORS[run % COLORS.length]}m━━\u001b[0m`
      : `${MARKERS[run % MARKERS.length]!.repeat(2)}`;
    out.push(`${' '.repeat(labelWidth + 2)}${key} ${label}`);
  });
  return out.join('\n') + '\n';
}
