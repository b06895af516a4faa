/**
 * What src/report/html.ts makes the page of, in process: the page's script bundled from the sources (never a build
 * that may be stale), uPlot from the build's copy (a production install has no uplot package) or else the
 * installed package, script text that cannot end its element, the title as written, NaN and ±Infinity as the page
 * reads them. The first test must stay first: the page's script is bundled once per process.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { renderReportHtml } from '../../src/report/html.js';
import type { ReportData } from '../../src/report/report_data.js';
import { JsonlTracker } from '../../src/trackers/jsonl.js';
import { gymnosInProcess } from '../helpers/in_process.js';
import { embeddedData } from '../helpers/report_data.js';

const require = createRequire(import.meta.url);
const VENDORED = path.join('dist', 'vendor');
const TITLE = `Tom & Jerry's "best" <runs>`;

let root: string;

before(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'gymnos-report-html-'));
  const tracker = new JsonlTracker();
  await tracker.start('run', path.join(root, 'logs'));
  for (const [name, last] of [
    ['loss', Number.NaN],
    ['gain', Number.POSITIVE_INFINITY],
    ['drop', Number.NEGATIVE_INFINITY],
  ] as const) {
    tracker.logMetric(name, 1, 0);
    tracker.logMetric(name, last, 1);
  }
  await tracker.end();
});
after(() => rmSync(root, { recursive: true, force: true }));

/** Runs `body` with files under dist/vendor/ read as `vendored` says (undefined: not there), as html.ts sees them. */
async function withVendored<T>(vendored: (file: string) => string | undefined, body: () => Promise<T>): Promise<T> {
  const { existsSync, readFileSync: read } = fs;
  const isVendored = (file: unknown) => typeof file === 'string' && file.includes(`${path.sep}${VENDORED}${path.sep}`);
  fs.existsSync = (file) => (isVendored(file) ? vendored(String(file)) !== undefined : existsSync(file));
  fs.readFileSync = ((file: string, ...rest: unknown[]) => {
    if (!isVendored(file)) return (read as (...args: unknown[]) => unknown)(file, ...rest);
    const text = vendored(file);
    if (text === undefined) throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
    return text;
  }) as typeof fs.readFileSync;
  syncBuiltinESMExports();
  try {
    return await body();
  } finally {
    fs.existsSync = existsSync;
    fs.readFileSync = read;
    syncBuiltinESMExports();
  }
}

/** The text of each `<tag>` element of the page, in order. */
const elements = (html: string, tag: string) =>
  [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((match) => match[1]!);

let data: ReportData;

describe('the report page', () => {
  it("from the sources, bundles the page's script now: a build's copy, maybe stale, is never read", async () => {
    const stale = '/* the page script of an old build */';
    const result = await withVendored(
      (file) => (file.endsWith('report-page.js') ? stale : undefined),
      () => gymnosInProcess(['report', 'logs', '-o', 'page.html', '--title', TITLE], { cwd: root }),
    );
    assert.equal(result.status, 0, result.stderr);
    const html = readFileSync(path.join(root, 'page.html'), 'utf8');
    assert.ok(!html.includes(stale), 'the page script is the one bundled from src/report/page');
    assert.ok(elements(html, 'script').at(-1)!.length > 1000, 'the bundled page script');
    data = embeddedData(html);
  });

  it('shows the title as written, in the tab and the heading', () => {
    const html = renderReportHtml(data);
    const decode = (text: string) =>
      text.replace(/&(amp|lt|gt|quot|#39);/g, (_, entity: string) => {
        return { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" }[entity]!;
      });
    assert.deepEqual(elements(html, 'title').map(decode), [TITLE]);
    assert.deepEqual(elements(html, 'h1').map(decode), [TITLE]);
    assert.ok(!html.includes(TITLE), 'nowhere as markup');
  });

  it("holds every element the page's script looks up by id, once", () => {
    const html = renderReportHtml(data);
    const pageSources = path.join(import.meta.dirname, '..', '..', 'src', 'report', 'page');
    const ids = new Set(
      readdirSync(pageSources, { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.ts'))
        .flatMap((file) => [
          ...readFileSync(path.join(pageSources, file), 'utf8').matchAll(/\bbyId(?:<[^>]*>)?\('([\w-]+)'\)/g),
        ])
        .map((match) => match[1]!),
    );
    assert.ok(ids.size >= 10, [...ids].join(' '));
    for (const id of ids) assert.equal(html.split(`id="${id}"`).length, 2, `the element #${id}`);
  });

  it('counts the runs and metrics under the title, in words', () => {
    const meta = (runs: number, metrics: number) =>
      /<p class="meta">([^·]*) ·/.exec(
        renderReportHtml({
          ...data,
          runs: Array.from({ length: runs }, () => data.runs[0]!),
          metrics: data.metrics.slice(0, metrics),
        }),
      )?.[1];
    assert.deepEqual(
      [meta(1, 3), meta(2, 1), meta(0, 0)],
      ['1 run, 3 metrics', '2 runs, 1 metric', '0 runs, 0 metrics'],
    );
  });

  it('gives NaN and ±Infinity to the page as the strings it reads them from (JSON has none)', () => {
    const [run] = embeddedData(renderReportHtml(data)).runs;
    const last = (metric: string) => (run!.metrics[metric]!.last as unknown as string).toString();
    assert.deepEqual([last('loss'), last('gain'), last('drop')], ['NaN', 'Infinity', '-Infinity']);
  });

  it("carries the build's copy of uPlot when there is one: a production install has no uplot package", async () => {
    // A copy whose text would end its script element early, or open a comment, if written as it is.
    const script = 'window.uPlotCopy = "</script><!--</SCRIPT>";';
    const html = await withVendored(
      (file) =>
        path.dirname(file).endsWith(path.join(VENDORED, 'uplot'))
          ? { 'uPlot.iife.min.js': script, 'uPlot.min.css': '.copy{}' }[path.basename(file)]
          : undefined,
      async () => renderReportHtml(data),
    );
    assert.ok(html.includes('window.uPlotCopy = "\\u003c/script>\\u003c!--\\u003c/SCRIPT>";'), 'the copy, made safe');
    assert.deepEqual(elements(html, 'style')[0], '.copy{}');
  });

  it("built, reads the page's script from the build's copy: an install has neither esbuild nor bin/", async () => {
    const built = path.join(import.meta.dirname, '..', '..', 'dist', 'report', 'html.js');
    const { renderReportHtml: renderBuilt } = (await import(pathToFileURL(built).href)) as {
      renderReportHtml: typeof renderReportHtml;
    };
    const copy = "/* the build's copy of the page script */";
    const html = await withVendored(
      (file) => (file.endsWith('report-page.js') ? copy : undefined),
      async () => renderBuilt(data),
    );
    assert.equal(elements(html, 'script').at(-1), copy);
  });

  it('carries the installed uplot package without a build', async () => {
    const html = await withVendored(
      () => undefined,
      async () => renderReportHtml(data),
    );
    const style = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
    assert.equal(elements(html, 'style')[0], style);
    const script = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
    assert.ok(html.includes(script.slice(0, 200)), "uPlot's script");
  });
});
