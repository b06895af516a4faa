/**
 * `gymnos report` in a real browser: Debian's headless Chromium, driven by playwright-core, opens the file the
 * real bin wrote and checks what a reader sees: no console error and no request leaving the file, one chart
 * per metric with one series per run that logged it, the params that differ marked in the run table, the
 * figures drawn, and smoothing, log scale and the x axis changing the charts.
 *
 * Chromium comes from the system (`apt-get install chromium`; .ci/run installs it), never downloaded. In CI
 * (CI=true) a missing Chromium fails; elsewhere the test skips with one line saying what to install.
 * UPDATE_SCREENSHOTS=1 saves the page to docs/report.png, the screenshot docs/report.md shows.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { JsonlTracker } from '../../src/trackers/jsonl.js';
import { TensorboardTracker } from '../../src/trackers/tensorboard.js';
import { CHROMIUM_FLAGS } from '../helpers/chromium.mjs';
import { gymnos, REPO } from '../helpers/project.js';

const CHROMIUM = process.env.GYMNOS_CHROMIUM ?? '/usr/bin/chromium';
const MISSING = `Chromium is not installed at ${CHROMIUM}: apt-get update && apt-get install -y chromium`;

// A tiny PNG, logged as a figure and as an image file.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==',
  'base64',
);

interface ChartState {
  metric: string;
  series: number;
  labels: string[];
  distr: number;
  time: boolean;
  ys: (number | null)[][];
  canvas: string;
  /** Pixels of the canvas in a colour (the series; the grid and axes are grey). */
  coloured: number;
}

let root: string;
let context: BrowserContext | undefined;
let page: Page;
const problems: string[] = [];

before(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'gymnos-report-browser-'));
  const logdir = path.join(root, 'logs');
  const image = path.join(root, 'sample.png');
  writeFileSync(image, PNG);
  const runs = [
    { id: 'sweep/lr-0.1', tracker: new JsonlTracker(), params: { lr: 0.1, optimizer: 'adam', batch: 64 } },
    { id: 'sweep/lr-0.01', tracker: new JsonlTracker(), params: { lr: 0.01, optimizer: 'adam', batch: 64 } },
    { id: 'tb/sgd', tracker: new TensorboardTracker(), params: { lr: 0.01, optimizer: 'sgd', batch: 64 } },
  ];
  for (const [index, run] of runs.entries()) {
    await run.tracker.start(run.id, logdir);
    run.tracker.logParams(run.params);
    run.tracker.logTag('team', 'vision');
    for (let step = 0; step <= 3000; step++) {
      // noisy enough that smoothing visibly changes the line
      run.tracker.logMetric('train/loss', Math.exp(-step / (500 * (index + 1))) + 0.2 * Math.sin(step * 7.1), step);
      if (step % 100 === 0) run.tracker.logMetric('val/acc', 1 - Math.exp(-step / 800) * 0.9, step);
    }
    if (index === 0) run.tracker.logMetric('only/one-run', 1, 0);
    run.tracker.logFigure('confusion', PNG);
    run.tracker.logImage('samples', image);
    if (index < 2) {
      run.tracker.logFigure('per-class', {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        mark: 'bar',
        data: { values: ['cat', 'dog', 'bird'].map((c, i) => ({ c, acc: 0.9 - i / 10 })) },
        encoding: { x: { field: 'c', type: 'nominal' }, y: { field: 'acc', type: 'quantitative' } },
      });
      run.tracker.logFigure('schedule', { data: [{ type: 'scatter', mode: 'lines', x: [0, 1, 2], y: [3, 2, 1] }] });
      run.tracker.logFigure(
        'roc',
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><path d="M0 40L40 0" stroke="teal"/></svg>',
      );
    }
    await run.tracker.end();
  }
  const written = gymnos(['report', 'logs', '-o', 'report.html', '--title', 'lr sweep'], { cwd: root });
  assert.equal(written.status, 0, written.stderr);

  if (!existsSync(CHROMIUM)) return;
  const { chromium } = await import('playwright-core');
  context = await chromium.launchPersistentContext(mkdtempSync(path.join(os.tmpdir(), 'gymnos-chromium-')), {
    executablePath: CHROMIUM,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1200, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('requestfailed', (request) => problems.push(`failed request: ${request.url()}`));
  page.on('request', (request) => {
    if (!/^(file|data):/.test(request.url())) problems.push(`request leaving the file: ${request.url()}`);
  });
  await page.goto(pathToFileURL(path.join(root, 'report.html')).href);
  await page.waitForFunction(
    () => (globalThis as unknown as { gymnosReport?: { ready: boolean } }).gymnosReport?.ready,
  );
});

after(async () => {
  await context?.close();
  rmSync(root, { recursive: true, force: true });
});

function charts(): Promise<ChartState[]> {
  return page.evaluate(() => {
    type Plot = {
      series: { label: string }[];
      scales: { x: { time: boolean }; y: { distr: number } };
      data: [null, ...(number | null)[][][]];
      ctx: {
        canvas: { toDataURL(): string; width: number; height: number };
      };
    };
    const report = (globalThis as unknown as { gymnosReport: { charts: { metric: string; plot: Plot }[] } })
      .gymnosReport;
    return report.charts.map(({ metric, plot }) => ({
      metric,
      series: plot.series.length - 1,
      labels: plot.series.slice(1).map((series) => series.label),
      distr: plot.scales.y.distr,
      time: plot.scales.x.time,
      ys: plot.data.slice(1).map((table) => (table as (number | null)[][])[1]!),
      canvas: plot.ctx.canvas.toDataURL(),
      coloured: (() => {
        // Read a copy: reading the chart's own canvas back makes Chromium warn on the console.
        type Context = {
          drawImage(image: unknown, x: number, y: number): void;
          getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
        };
        type Canvas = { width: number; height: number; getContext(kind: string, options: object): Context };
        const dom = (globalThis as unknown as { document: { createElement(tag: string): Canvas } }).document;
        const copy = dom.createElement('canvas');
        copy.width = plot.ctx.canvas.width;
        copy.height = plot.ctx.canvas.height;
        const context = copy.getContext('2d', { willReadFrequently: true });
        context.drawImage(plot.ctx.canvas, 0, 0);
        const { data } = context.getImageData(0, 0, copy.width, copy.height);
        let count = 0;
        for (let i = 0; i < data.length; i += 4) {
          const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
          if (Math.max(r, g, b) - Math.min(r, g, b) > 40) count++;
        }
        return count;
      })(),
    }));
  });
}

describe('the report in Chromium', () => {
  it('runs in Chromium, or says what to install', (t) => {
    if (existsSync(CHROMIUM)) return;
    assert.ok(process.env.CI !== 'true', MISSING);
    t.skip(MISSING);
  });

  it('loads with no console error and no request leaving the file', { skip: !existsSync(CHROMIUM) }, () => {
    assert.deepEqual(problems, []);
  });

  it('draws one chart per metric, a series per run that logged it', { skip: !existsSync(CHROMIUM) }, async () => {
    const drawn = await charts();
    assert.deepEqual(
      drawn.map((chart) => [chart.metric, chart.series]),
      [
        ['only/one-run', 1],
        ['train/loss', 3],
        ['val/acc', 3],
      ],
    );
    assert.deepEqual(drawn[1]!.labels, ['sweep/lr-0.01', 'sweep/lr-0.1', 'tb/sgd']);
    for (const chart of drawn)
      assert.ok(
        chart.ys.every((ys) => ys.some((y) => y !== null)),
        chart.metric,
      );
    // the exact values stay in the table even though the chart is downsampled
    const rows = await page.locator('section[data-metric="train/loss"] .metric-table tbody tr').count();
    assert.equal(rows, 3);
  });

  it('marks the params that differ between runs', { skip: !existsSync(CHROMIUM) }, async () => {
    const differing = await page.locator('#runs th.differs').allTextContents();
    assert.deepEqual(differing, ['\u2260 lr', '\u2260 optimizer']);
    const others = await page.locator('#runs th.param:not(.differs)').allTextContents();
    assert.deepEqual(others, ['batch']);
    const cells = await page.locator('#runs tr[data-run="tb/sgd"] td.differs').allTextContents();
    assert.deepEqual(cells, ['0.01', 'sgd']);
    await page.locator('#only-differing').check();
    assert.deepEqual(await page.locator('#runs th.param').allTextContents(), ['\u2260 lr', '\u2260 optimizer']);
    await page.locator('#only-differing').uncheck();
  });

  it(
    'draws the figures: pictures, and Vega-Lite and Plotly specs as charts',
    { skip: !existsSync(CHROMIUM) },
    async () => {
      const loaded = await page.evaluate(() => {
        type Img = { naturalWidth: number };
        const dom = (globalThis as unknown as { document: { querySelectorAll(selector: string): Iterable<Img> } })
          .document;
        return [...dom.querySelectorAll('#media img.picture')].map((img) => img.naturalWidth);
      });
      assert.equal(loaded.length, 3 + 3 + 2); // confusion and samples for 3 runs, the SVG for 2
      assert.ok(
        loaded.every((width) => width > 0),
        `every picture decodes: ${loaded}`,
      );
      assert.equal(await page.locator('figure[data-format="vega-lite"] svg rect.mark').count(), 6);
      assert.equal(await page.locator('figure[data-format="plotly"] svg polyline.mark').count(), 2);
    },
  );

  it('changes the charts with smoothing, log scale and the x axis', { skip: !existsSync(CHROMIUM) }, async () => {
    const before = (await charts())[1]!;
    await page.locator('#smoothing').fill('0.95');
    const smoothed = (await charts())[1]!;
    assert.notDeepEqual(smoothed.ys, before.ys);
    assert.notEqual(smoothed.canvas, before.canvas);
    assert.equal(smoothed.series, 3);
    await page.locator('#log-scale').check();
    const logged = (await charts())[1]!;
    assert.equal(logged.distr, 3);
    assert.notEqual(logged.canvas, smoothed.canvas);
    await page.locator('#x-axis').selectOption('wall');
    assert.equal((await charts())[1]!.time, true);
    await page.locator('#x-axis').selectOption('step');
    await page.locator('#log-scale').uncheck();
    await page.locator('#smoothing').fill('0.6');
    if (process.env.UPDATE_SCREENSHOTS === '1') {
      await page.screenshot({ path: path.join(REPO, 'docs', 'report.png'), fullPage: true });
    }
    assert.deepEqual(problems, []);
  });
});
