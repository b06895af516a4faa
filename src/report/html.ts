/**
 * The report as one self-contained HTML file: uPlot's script and stylesheet inlined (the copy the build puts in
 * dist/vendor/uplot/, so a production install needs no uplot package; from the sources, the installed one), the
 * runs' data as one JSON block, and the page's script (src/report/page/, bundled by the build). No request leaves
 * the file, so it opens from disk, offline, and can be mailed or archived as is.
 *
 * What a run or a user names (run ids, metric, param and tag names and values, image names) reaches the page only
 * inside the JSON block, where `<`, `>` and `&` are written as `\u003c` escapes, and the page's script puts it in
 * the document as text. The one exception is the title, escaped here. A Content-Security-Policy allows the page's
 * own scripts and styles (by hash), pictures as data URIs, and nothing else: no request, no inline handler.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { BuildOptions, BuildResult } from 'esbuild';
import { formatUtcTime } from '../runs/number_format.js';
import { gymnosRoot } from '../util/package_root.js';
import { PAGE_STYLE } from './page_style.js';
import type { ReportData } from './report_data.js';

const requireFromHere = createRequire(import.meta.url);

/** uPlot's minified build and stylesheet: the build's copy, else (running from the sources) the dev install. */
function uplotAssets(): { script: string; style: string } {
  const dist = (file: string) => {
    const vendored = path.join(gymnosRoot(), 'dist', 'vendor', 'uplot', file);
    return readFileSync(existsSync(vendored) ? vendored : requireFromHere.resolve(`uplot/dist/${file}`), 'utf8');
  };
  return { script: dist('uPlot.iife.min.js'), style: dist('uPlot.min.css') };
}

let pageScript: string | undefined;

/**
 * The page's script: the build's bundle; running from the sources (gymnos's own tests), bundled now with the
 * build's options, so a test never reads a stale build.
 */
function pageScriptText(): string {
  if (pageScript !== undefined) return pageScript;
  const root = gymnosRoot();
  if (import.meta.url.endsWith('.ts')) {
    const { pageBuildOptions } = requireFromHere(path.join(root, 'bin', 'report_page.cjs')) as {
      pageBuildOptions(root: string): BuildOptions;
    };
    const esbuild = requireFromHere('esbuild') as { buildSync(options: BuildOptions): BuildResult };
    const built = esbuild.buildSync({ ...pageBuildOptions(root), write: false });
    pageScript = built.outputFiles![0]!.text;
  } else {
    pageScript = readFileSync(path.join(root, 'dist', 'vendor', 'report-page.js'), 'utf8');
  }
  return pageScript;
}

/** JSON has no NaN or Infinity: the page receives them as the strings "NaN", "Infinity", "-Infinity". */
function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

/**
 * The data as the text of a `<script type="application/json">`: `<`, `>` and `&` (which JSON has only inside
 * strings) as escapes, so no name can close the element or open a comment; U+2028 and U+2029 too.
 */
function dataBlockText(data: ReportData): string {
  return JSON.stringify(data, jsonReplacer).replace(
    /[<>&\u2028\u2029]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Script text that cannot end its element early: no `</script`, no `<!--`. */
function scriptSafe(text: string): string {
  return text.replace(/<(?=\/script|!--)/gi, '\\u003c');
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!,
  );
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * What the page allows: its own scripts and styles (by their hashes), pictures as data URIs; no request, no inline
 * handler, no other base or form target.
 */
function contentSecurityPolicy(scripts: readonly string[], styles: readonly string[]): string {
  return [
    "default-src 'none'",
    `script-src ${scripts.map(sha256).join(' ')}`,
    `style-src ${styles.map(sha256).join(' ')}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** The page's sections, empty: the page's script fills them from the data block. */
const SECTIONS = `<section id="controls" class="controls" aria-label="what the page shows"></section>
<section id="best-section">
<h2>Best runs</h2>
<div id="objective" class="objective"></div>
<div id="best"></div>
</section>
<section id="sweep-section">
<h2>Params against <span id="sweep-metric"></span></h2>
<div class="sweep">
<div id="parallel" class="parallel-wrap"></div>
<div class="scatter-wrap"><div id="scatter-controls"></div><div id="scatter"></div></div>
</div>
</section>
<section id="runs-section">
<h2>Runs</h2>
<div id="runs-controls"></div>
<div class="table-wrap tall"><table id="runs" class="runs"></table></div>
</section>
<section id="metrics-section">
<h2>Metrics</h2>
<div id="charts"></div>
</section>
<section id="media-section">
<h2>Images and figures</h2>
<div id="media"></div>
</section>`;

export function renderReportHtml(data: ReportData): string {
  const uplot = uplotAssets();
  const scripts = [scriptSafe(uplot.script), scriptSafe(pageScriptText())];
  const styles = [uplot.style, PAGE_STYLE];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(scripts, styles)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="gymnos report">
<title>${escapeHtml(data.title)}</title>
<style>${styles[0]}</style>
<style>${styles[1]}</style>
</head>
<body>
<header>
<h1>${escapeHtml(data.title)}</h1>
<p class="meta">${plural(data.runs.length, 'run')}, ${plural(data.metrics.length, 'metric')} · generated
${formatUtcTime(data.generated)}</p>
</header>
${SECTIONS}
<script type="application/json" id="gymnos-data">${dataBlockText(data)}</script>
<script>${scripts[0]}</script>
<script>${scripts[1]}</script>
</body>
</html>
`;
}
