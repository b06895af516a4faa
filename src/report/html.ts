/**
 * The report as one self-contained HTML file: uPlot's script and stylesheet inlined (the copy the build puts in
 * dist/vendor/uplot/, so a production install needs no uplot package; from the sources, the installed one), the
 * runs' data as one JSON block, and the page script. No request leaves the file, so it opens from disk, offline,
 * and can be mailed or archived as is.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { gymnosRoot } from '../util/package_root.js';
import type { ReportRun } from './collect.js';
import { PAGE_SCRIPT } from './page_script.js';
import { PAGE_STYLE } from './page_style.js';

const requireFromHere = createRequire(import.meta.url);

export interface ReportDocument {
  title: string;
  generated: number;
  logdirs: readonly string[];
}

/** uPlot's minified build and stylesheet: the build's copy, else (running from the sources) the dev install. */
function uplotAssets(): { script: string; style: string } {
  const dist = (file: string) => {
    const vendored = path.join(gymnosRoot(), 'dist', 'vendor', 'uplot', file);
    return readFileSync(existsSync(vendored) ? vendored : requireFromHere.resolve(`uplot/dist/${file}`), 'utf8');
  };
  return { script: dist('uPlot.iife.min.js'), style: dist('uPlot.min.css') };
}

/** JSON has no NaN or Infinity: the page receives them as the strings "NaN", "Infinity", "-Infinity". */
function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

/** Drawn values keep 7 significant digits (the tables keep the exact ones); times are relative milliseconds. */
function compactSeries(values: readonly number[]): number[] {
  return values.map((value) => Number(value.toPrecision(7)));
}

function keyValues(runs: readonly ReportRun[]): { differing: string[]; same: string[] } {
  const keys = [...new Set(runs.flatMap((run) => Object.keys(run.summary.params)))].sort();
  const differing: string[] = [];
  const same: string[] = [];
  for (const key of keys) {
    const values = new Set(runs.map((run) => JSON.stringify(run.summary.params[key] ?? null)));
    const missing = runs.some((run) => !(key in run.summary.params));
    (values.size > 1 || (missing && runs.length > 1) ? differing : same).push(key);
  }
  return { differing, same };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Text safe inside a <script> element: no `</script`, no `<!--`. */
function scriptSafe(text: string): string {
  return text.replace(/<(?=\/script|!--)/gi, '\\u003c');
}

export function renderReportHtml(runs: readonly ReportRun[], document: ReportDocument): string {
  const metrics = [...new Set(runs.flatMap((run) => Object.keys(run.series)))].sort();
  const series: Record<string, unknown[]> = {};
  for (const metric of metrics) {
    series[metric] = [];
    runs.forEach((run, index) => {
      const sampled = run.series[metric];
      if (!sampled || sampled.values.length === 0) return;
      const start = run.summary.start ?? 0;
      series[metric]!.push({
        run: index,
        steps: sampled.steps,
        values: compactSeries(sampled.values),
        times: sampled.times.map((time) => Math.round(time - start)),
        total: sampled.total,
      });
    });
  }
  const data = {
    title: document.title,
    generated: document.generated,
    logdirs: document.logdirs,
    metrics,
    params: keyValues(runs),
    series,
    runs: runs.map((run) => {
      const { dir: _dir, logdir: _logdir, ...summary } = run.summary; // no paths of this machine in the file
      return { ...summary, media: run.media, skippedMedia: run.skippedMedia };
    }),
  };
  const uplot = uplotAssets();
  const escape = (text: string) =>
    text.replace(/[&<>"]/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[char]!);
  const charts = metrics
    .map(
      (metric, index) =>
        `<section class="metric" data-metric="${escape(metric)}"><h3>${escape(metric)}</h3>` +
        `<div class="chart" id="chart-${index}"></div><table class="metric-table" id="metric-table-${index}"></table>` +
        '</section>',
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="gymnos report">
<title>${escape(document.title)}</title>
<style>${uplot.style}</style>
<style>${PAGE_STYLE}</style>
</head>
<body>
<header>
<h1>${escape(document.title)}</h1>
<p class="meta">${plural(runs.length, 'run')}, ${plural(metrics.length, 'metric')}
· generated ${new Date(document.generated)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC')}</p>
</header>
<section id="controls" class="controls">
<label>Smoothing <input type="range" id="smoothing" min="0" max="0.999" step="0.001" value="0">
<output id="smoothing-value">0.000</output></label>
<label><input type="checkbox" id="log-scale"> Log scale</label>
<label>X axis <select id="x-axis"><option value="step">step</option><option value="relative">relative time</option>
<option value="wall">wall time</option></select></label>
</section>
<h2>Runs</h2>
<label class="toggle"><input type="checkbox" id="only-differing"> Only the params that differ</label>
<div class="table-wrap"><table id="runs" class="runs"></table></div>
<h2>Metrics</h2>
<div id="charts">
${charts || '<p class="empty">No run logged metrics.</p>'}
</div>
<h2>Images and figures</h2>
<div id="media"></div>
<script type="application/json" id="gymnos-data">${scriptSafe(JSON.stringify(data, jsonReplacer))}</script>
<script>${scriptSafe(uplot.script)}</script>
<script>${scriptSafe(PAGE_SCRIPT)}</script>
</body>
</html>
`;
}
