/**
 * `gymnos report` in a real browser: Debian's headless Chromium, driven by playwright-core, opens the file the
 * real bin wrote and checks what a reader sees and what is drawn (the data behind each chart, not only that no
 * error was logged): one chart per metric with a series per run, the params that differ marked and nested ones
 * opening into key paths, numbers as people read them (`1e-4`, log axes labelled, wide values not cut), the
 * figures drawn, smoothing, log scale and the x axis; the sweep view: the filter (kept in the URL, so a view can
 * be shared), groups drawn as their mean and band, brushing an axis of the parallel coordinates, hover values,
 * the best runs and the scatter. A report made from hostile names runs no script and keeps its markup, with its
 * Content-Security-Policy and without it. A 100-run sweep is drawn and its screenshot kept as an artifact
 * (test-artifacts/report-sweep-100.png, or GYMNOS_TEST_ARTIFACTS).
 *
 * Chromium comes from the system (`apt-get install chromium`; .ci/run installs it), never downloaded. In CI
 * (CI=true) a missing Chromium fails; elsewhere the test skips with one line saying what to install.
 * UPDATE_SCREENSHOTS=1 saves the 100-run sweep's first screens to docs/report.png, the picture docs/report.md shows.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { formatFloat32 } from '../../src/runs/number_format.js';
import { JsonlTracker } from '../../src/trackers/jsonl.js';
import { TensorboardTracker } from '../../src/trackers/tensorboard.js';
import { CHROMIUM_FLAGS } from '../helpers/chromium.mjs';
import { HOSTILE, logHostileRuns } from '../helpers/hostile_runs.js';
import { gymnos, REPO } from '../helpers/project.js';

const CHROMIUM = process.env.GYMNOS_CHROMIUM ?? '/usr/bin/chromium';
const MISSING = `Chromium is not installed at ${CHROMIUM}: apt-get update && apt-get install -y chromium`;
const HAVE = existsSync(CHROMIUM);
const ARTIFACTS = process.env.GYMNOS_TEST_ARTIFACTS ?? path.join(REPO, 'test-artifacts');

// A tiny PNG, logged as a figure and as an image file.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==',
  'base64',
);

let root: string;
let browser: Browser | undefined;
let context: BrowserContext;
let page: Page;
let reportUrl: string;
const problems: string[] = [];

/** Watches a page for console errors, page errors and any request that leaves the file. */
function watch(target: Page, into: string[]): void {
  target.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') into.push(`console: ${message.text()}`);
  });
  target.on('pageerror', (error) => into.push(`page error: ${error.message}`));
  target.on('requestfailed', (request) => into.push(`failed request: ${request.url()}`));
  target.on('request', (request) => {
    if (!/^(file|data):/.test(request.url())) into.push(`request leaving the file: ${request.url()}`);
  });
}

async function open(target: Page, url: string): Promise<void> {
  await target.goto(url);
  await target.waitForFunction(
    () => (globalThis as unknown as { gymnosReport?: { ready: boolean } }).gymnosReport?.ready,
  );
}

/** Waits for the charts to be drawn for the page's state (after a control changed it). */
function settle(target: Page = page): Promise<unknown> {
  return target.waitForFunction(
    () => (globalThis as unknown as { gymnosReport: { ready: boolean } }).gymnosReport.ready,
  );
}

/**
 * Moves the mouse over a chart at `fraction` of its width and waits for its hover box. The chart is scrolled to
 * first; sections off screen are laid out only when they come near (content-visibility), which can move it while
 * it is scrolled to: the box is measured again, and the move made again, until the hover box shows.
 */
async function hoverOver(target: Page, section: string, fraction: number) {
  const over = target.locator(`${section} .u-over`);
  const hover = target.locator(`${section} .hover`);
  for (let attempt = 0; ; attempt++) {
    await over.scrollIntoViewIfNeeded();
    const box = (await over.boundingBox())!;
    await target.mouse.move(box.x + box.width * fraction, box.y + box.height / 2);
    try {
      await hover.waitFor({ state: 'visible', timeout: 2000 });
      return hover;
    } catch (error) {
      if (attempt === 4) throw error;
    }
  }
}

/** An expression over the page's `gymnosReport` (as `r`), evaluated in the page. */
function report<T>(expression: string, target: Page = page): Promise<T> {
  return target.evaluate(`(() => { const r = globalThis.gymnosReport; return ${expression}; })()`) as Promise<T>;
}

interface ChartState {
  metric: string;
  mode: 'runs' | 'groups';
  labels: string[];
  distr: number;
  time: boolean;
  /** uPlot's data: mode 2 [null, [xs, ys], ...]; mode 1 [xs, ys, ...]. */
  data: (number | null)[][] | (null | (number | null)[][])[];
  /** The y axis' tick labels and width. */
  yTicks: string[];
  ySize: number;
  canvas: string;
}

function charts(target: Page = page): Promise<ChartState[]> {
  return report(
    `r.charts.filter((c) => c.plot).map((c) => ({ metric: c.metric, mode: c.mode, labels: c.labels,
      distr: c.plot.scales.y.distr, time: c.plot.scales.x.time, data: c.plot.data,
      yTicks: (c.plot.axes[1]._values || []).map(String), ySize: c.plot.axes[1]._size,
      canvas: c.plot.ctx.canvas.toDataURL() }))`,
    target,
  );
}

async function chart(metric: string): Promise<ChartState> {
  await settle();
  return (await charts()).find((candidate) => candidate.metric === metric)!;
}

/** The drawn y values of each series of a chart in runs mode. */
function seriesYs(state: ChartState): number[][] {
  return (state.data as (null | number[][])[]).slice(1).map((table) => table![1]!);
}

before(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'gymnos-report-browser-'));
  const logdir = path.join(root, 'logs');
  const image = path.join(root, 'sample.png');
  writeFileSync(image, PNG);
  const runs = [
    { id: 'sweep/lr-0.1', tracker: new JsonlTracker(), lr: 0.1, optimizer: 'adam', layers: 2 },
    { id: 'sweep/lr-0.01', tracker: new JsonlTracker(), lr: 0.01, optimizer: 'adam', layers: 4 },
    { id: 'tb/sgd', tracker: new TensorboardTracker(), lr: 0.01, optimizer: 'sgd', layers: 4 },
  ];
  for (const [index, run] of runs.entries()) {
    await run.tracker.start(run.id, logdir);
    run.tracker.logParams({
      lr: run.lr,
      optimizer: run.optimizer,
      batch: 64,
      wd: 10 ** -4, // 0.00009999999999999999: shown 1e-4
      // nested params: TensorBoard's hparams hold only scalars (an object would be its JSON text)
      ...(run.tracker instanceof JsonlTracker ? { model: { layers: run.layers, act: 'relu' } } : {}),
    });
    run.tracker.logTag('team', 'vision');
    for (let step = 0; step <= 3000; step++) {
      // noisy enough that smoothing visibly changes the line
      run.tracker.logMetric('train/loss', Math.exp(-step / (500 * (index + 1))) + 0.2 * Math.sin(step * 7.1), step);
      if (step % 100 === 0) {
        run.tracker.logMetric('val/acc', 1 - Math.exp(-step / 800) * 0.9 - index / 20, step);
        run.tracker.logMetric('tiny/grad', 1e-5 * 10 ** (step / 1500) * (index + 1), step); // 1e-5 to 3e-3
        run.tracker.logMetric('big/tokens', 1_234_567_890 + step * 1000 * (index + 1), step);
      }
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
  reportUrl = pathToFileURL(path.join(root, 'report.html')).href;

  if (!HAVE) return;
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  page = await context.newPage();
  watch(page, problems);
  await open(page, reportUrl);
});

after(async () => {
  await browser?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('the report in Chromium', () => {
  it('runs in Chromium, or says what to install', (t) => {
    if (HAVE) return;
    assert.ok(process.env.CI !== 'true', MISSING);
    t.skip(MISSING);
  });

  it('loads with no console error and no request leaving the file', { skip: !HAVE }, () => {
    assert.deepEqual(problems, []);
  });

  it('draws one chart per metric, a series per run that logged it', { skip: !HAVE }, async () => {
    const drawn = await charts();
    assert.deepEqual(
      drawn.map((state) => [state.metric, state.labels.length]),
      [
        ['big/tokens', 3],
        ['only/one-run', 1],
        ['tiny/grad', 3],
        ['train/loss', 3],
        ['val/acc', 3],
      ],
    );
    const loss = drawn.find((state) => state.metric === 'train/loss')!;
    assert.deepEqual(loss.labels, ['sweep/lr-0.01', 'sweep/lr-0.1', 'tb/sgd']);
    for (const state of drawn)
      assert.ok(
        seriesYs(state).every((ys) => ys.length > 0),
        state.metric,
      );
    // the heading is the metric's name; the exact values stay in the table though the chart is downsampled
    assert.equal(await page.locator('section[data-metric="train/loss"] h3').textContent(), 'train/loss');
    assert.equal(await page.locator('section[data-metric="train/loss"] .metric-table tbody tr').count(), 3);
  });

  it('labels axes so they fit: 1e-5 on a log axis, ten-digit values in full', { skip: !HAVE }, async () => {
    const big = await chart('big/tokens');
    const widest = Math.max(...big.yTicks.map((tick) => tick.length));
    assert.ok(
      big.yTicks.some((tick) => /^12\d{8}$/.test(tick)),
      `ten digits: ${big.yTicks.join(' ')}`,
    );
    assert.ok(big.ySize >= widest * 6, `a y axis of ${big.ySize} px for labels of ${widest} characters`);
    await page.locator('#log-scale').check();
    const tiny = await chart('tiny/grad');
    assert.equal(tiny.distr, 3);
    assert.ok(tiny.yTicks.includes('1e-5') && tiny.yTicks.includes('1e-4'), `log ticks: ${tiny.yTicks.join(' ')}`);
    assert.ok(!tiny.yTicks.includes('0'), 'no tick reads 0 on a log axis');
    await page.locator('#log-scale').uncheck();
  });

  it('marks the params that differ, opens nested ones into key paths, and writes 1e-4', { skip: !HAVE }, async () => {
    const differing = await page.locator('#runs th.param.differs').allTextContents();
    assert.deepEqual(differing, ['\u2260 lr', '\u25b8 model', '\u2260 optimizer']);
    const cells = await page.locator('#runs tr[data-run="sweep/lr-0.01"] td.param').allTextContents();
    assert.deepEqual(cells, ['0.01', 'layers=4, act=relu', 'adam', '64', '1e-4']);
    await page.locator('#runs button.toggle-params[data-param="model"]').click();
    assert.deepEqual(await page.locator('#runs th.param').allTextContents(), [
      '\u2260 lr',
      '\u25be model\u2260 model.act',
      '\u2260 model.layers',
      '\u2260 optimizer',
      'batch',
      'wd',
    ]);
    assert.deepEqual(await page.locator('#runs tr[data-run="sweep/lr-0.01"] td.param').allTextContents(), [
      '0.01',
      'relu',
      '4',
      'adam',
      '64',
      '1e-4',
    ]);
    await page.waitForURL(/#open=model$/); // written once the changes pause
    await page.locator('#only-differing').check();
    assert.deepEqual(await page.locator('#runs th.param').allTextContents(), [
      '\u2260 lr',
      '\u25be model\u2260 model.act',
      '\u2260 model.layers',
      '\u2260 optimizer',
    ]);
    await page.locator('#only-differing').uncheck();
    await page.locator('#runs button.toggle-params[data-param="model"]').click();
    // the table scrolls within the page: its box is no wider than the page's
    const [table, body] = await Promise.all([
      page.locator('#runs-section .table-wrap').boundingBox(),
      page.locator('body').boundingBox(),
    ]);
    assert.ok(table!.width <= body!.width, `${table!.width} px in ${body!.width} px`);
  });

  it('draws the figures: pictures, and Vega-Lite and Plotly specs as charts', { skip: !HAVE }, async () => {
    const widths = await page
      .locator('#media img.picture')
      .evaluateAll((images) => images.map((image) => (image as unknown as { naturalWidth: number }).naturalWidth));
    assert.equal(widths.length, 3 + 3 + 2); // confusion and samples for 3 runs, the SVG for 2
    assert.ok(
      widths.every((width) => width > 0),
      `every picture decodes: ${widths}`,
    );
    assert.equal(await page.locator('figure[data-format="vega-lite"] svg rect.mark').count(), 6);
    assert.equal(await page.locator('figure[data-format="plotly"] svg polyline.mark').count(), 2);
  });

  it('changes the charts with smoothing, log scale and the x axis', { skip: !HAVE }, async () => {
    const before = await chart('train/loss');
    await page.locator('#smoothing').fill('0.95');
    const smoothed = await chart('train/loss');
    assert.notDeepEqual(seriesYs(smoothed), seriesYs(before));
    assert.notEqual(smoothed.canvas, before.canvas);
    assert.equal(smoothed.labels.length, 3);
    await page.locator('#log-scale').check();
    const logged = await chart('train/loss');
    assert.equal(logged.distr, 3);
    assert.notEqual(logged.canvas, smoothed.canvas);
    await page.locator('#x-axis').selectOption('wall');
    assert.equal((await chart('train/loss')).time, true);
    await page.locator('#x-axis').selectOption('step');
    await page.locator('#log-scale').uncheck();
    await page.locator('#smoothing').fill('0');
    assert.deepEqual(problems, []);
  });
});

describe('the sweep view in Chromium', () => {
  it(
    'filters every section by the filter box, keeps it in the URL, and opens a shared view',
    { skip: !HAVE },
    async () => {
      await page.locator('#filter').fill('lr<0.05');
      assert.deepEqual(await report('r.visible'), ['sweep/lr-0.01', 'tb/sgd']);
      assert.deepEqual((await chart('train/loss')).labels, ['sweep/lr-0.01', 'tb/sgd']);
      await settle(); // the run table off screen shows its rows when the page is idle
      assert.equal(await page.locator('#runs tbody tr:not([hidden])').count(), 2);
      const best = await report<{ run: string; value: number }[]>('r.best.rows');
      assert.deepEqual(best.map((row) => row.run).sort(), ['sweep/lr-0.01', 'tb/sgd']);
      assert.deepEqual(
        await page.locator('#best tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-run'))),
        best.map((row) => row.run),
      );
      assert.equal(await page.locator('#filter-count').textContent(), '2 of 3 runs');
      assert.equal(await page.locator('figure[data-run="sweep/lr-0.1"]:visible').count(), 0);
      await page.waitForURL(/#q=lr%3C0\.05$/); // written once the changes pause
      // The link opens the same view.
      const shared = await context.newPage();
      const sharedProblems: string[] = [];
      watch(shared, sharedProblems);
      await open(shared, page.url());
      assert.deepEqual(await report('r.visible', shared), ['sweep/lr-0.01', 'tb/sgd']);
      assert.equal(await shared.locator('#filter').inputValue(), 'lr<0.05');
      await shared.close();
      assert.deepEqual(sharedProblems, []);
      // status, tracker, tags and run ids; a key no run has is named, with the closest one
      await page.locator('#filter').fill('tracker=tensorboard tag.team=vision');
      assert.deepEqual(await report('r.visible'), ['tb/sgd']);
      await page.locator('#filter').fill('sweep/ !status=failed model.layers>=4');
      assert.deepEqual(await report('r.visible'), ['sweep/lr-0.01']);
      await page.locator('#filter').fill('lrr<1');
      assert.equal(
        await page.locator('#filter-problems').textContent(),
        'lrr<1: no run has the param lrr; did you mean lr?',
      );
      assert.deepEqual(await report('r.visible'), ['sweep/lr-0.01', 'sweep/lr-0.1', 'tb/sgd']);
      await page.locator('#filter-clear').click();
      assert.equal(await page.locator('#filter').inputValue(), '');
      await page.waitForURL((url) => url.hash === '');
    },
  );

  it('draws groups as their mean with a band, and their sizes', { skip: !HAVE }, async () => {
    const byRun = await chart('train/loss');
    const member = (id: string) => (byRun.data as (null | number[][])[])[byRun.labels.indexOf(id) + 1]!;
    await page.locator('#group-add').selectOption('optimizer');
    const grouped = await chart('train/loss');
    assert.equal(grouped.mode, 'groups');
    assert.deepEqual(grouped.labels, ['optimizer=adam (n=2)', 'optimizer=sgd (n=1)']);
    // [grid, adam mean, adam high, adam low, sgd mean, sgd high, sgd low]
    const data = grouped.data as (number | null)[][];
    assert.equal(data.length, 7);
    // Each x of the grid: the adam line is the mean of its two runs there (linear between their drawn points),
    // its band their min and max; the sgd line is its one run.
    const at = ([xs, ys]: number[][], x: number) => {
      const i = xs!.findIndex((value) => value >= x);
      if (xs![i] === x) return ys![i]!;
      return ys![i - 1]! + ((ys![i]! - ys![i - 1]!) * (x - xs![i - 1]!)) / (xs![i]! - xs![i - 1]!);
    };
    for (let k = 0; k < data[0]!.length; k += 17) {
      const x = data[0]![k]!;
      const adam = [at(member('sweep/lr-0.1'), x), at(member('sweep/lr-0.01'), x)];
      const close = (a: number | null, b: number) => Math.abs(a! - b) < 1e-6;
      assert.ok(close(data[1]![k]!, (adam[0]! + adam[1]!) / 2), `adam mean at ${x}`);
      assert.ok(close(data[2]![k]!, Math.max(...adam)) && close(data[3]![k]!, Math.min(...adam)), `adam band at ${x}`);
      assert.ok(close(data[4]![k]!, at(member('tb/sgd'), x)), `sgd at ${x}`);
    }
    // The groups ranked by their mean best loss, with their sizes.
    assert.deepEqual(await report('r.best.groups.map((g) => [g.label, g.count])'), [
      ['optimizer=adam', 2],
      ['optimizer=sgd', 1],
    ]);
    await page.locator('#band').selectOption('std');
    const std = (await chart('train/loss')).data as (number | null)[][];
    for (let k = 0; k < std[0]!.length; k += 17) {
      const [mean, high, low] = [std[1]![k]!, std[2]![k]!, std[3]![k]!];
      assert.ok(Math.abs(high - mean - (mean - low)) < 1e-9, 'mean ± std is symmetric');
    }
    await page.waitForURL(/g=optimizer&band=std/); // written once the changes pause
    await page.locator('#groups button[data-key="optimizer"]').click();
    assert.equal((await chart('train/loss')).mode, 'runs');
    await page.locator('#band').selectOption('minmax');
  });

  it('filters every section by brushing an axis of the parallel coordinates', { skip: !HAVE }, async () => {
    // tb/sgd has no model (TensorBoard keeps scalar hparams): model.act differs by it
    assert.deepEqual(await report('r.parallel.axes'), ['lr', 'model.act', 'model.layers', 'optimizer', '@metric']);
    await page.evaluate('scrollTo(0, 0)'); // clear of the sticky controls
    const strip = page.locator('g.axis[data-axis="lr"] rect.brush-strip');
    const box = (await strip.boundingBox())!;
    const x = box.x + box.width / 2;
    // lr is on a log axis from 0.01 (bottom) to 0.1 (top): brushing its top half keeps lr = 0.1
    await page.mouse.move(x, box.y + 2);
    await page.mouse.down();
    await page.mouse.move(x, box.y + box.height * 0.4, { steps: 4 });
    await page.mouse.up();
    assert.deepEqual(await report('r.visible'), ['sweep/lr-0.1']);
    assert.deepEqual((await chart('train/loss')).labels, ['sweep/lr-0.1']);
    assert.deepEqual(await report('r.scatter.points.map((p) => p.run)'), ['sweep/lr-0.1']);
    assert.deepEqual(await report('r.parallel.lines.filter((l) => l.shown).map((l) => l.run)'), ['sweep/lr-0.1']);
    await page.waitForURL(/#b=lr%3A0\.0\d+\.\.0\.1\d*/); // written once the changes pause
    assert.equal(await page.locator('#brushes button').count(), 1);
    // A click on the axis clears its brush.
    await page.mouse.click(x, box.y + box.height / 2);
    assert.deepEqual(await report('r.visible'), ['sweep/lr-0.01', 'sweep/lr-0.1', 'tb/sgd']);
    await page.waitForURL((url) => url.hash === '');
  });

  it('shows every drawn value at the cursor, sorted, with its colour', { skip: !HAVE }, async () => {
    await settle(); // a chart redrawn after the last change would replace what is hovered
    const hover = await hoverOver(page, 'section[data-metric="val/acc"]', 0.37);
    const rows = await hover.locator('.hover-row').evaluateAll((elements) =>
      elements.map((row) => ({
        label: row.getAttribute('data-label')!,
        value: row.querySelector('.hover-value')!.textContent!,
        color: (row.querySelector('.swatch') as unknown as { style: { background: string } }).style.background,
      })),
    );
    // What the chart holds at the cursor's x: each run's nearest drawn point.
    const expected = await report<{ label: string; value: number }[]>(`(() => {
      const c = r.charts.find((c) => c.metric === 'val/acc');
      const u = c.plot;
      const x = u.posToVal(u.cursor.left, 'x');
      return c.labels.map((label, i) => {
        const [xs, ys] = u.data[i + 1];
        let at = 0;
        for (let k = 1; k < xs.length; k++) if (Math.abs(xs[k] - x) < Math.abs(xs[at] - x)) at = k;
        return { label, value: ys[at] };
      });
    })()`);
    expected.sort((a, b) => b.value - a.value);
    assert.deepEqual(
      rows.map((row) => [row.label, row.value]),
      expected.map((row) => [row.label, formatFloat32(row.value)]),
    );
    assert.equal(rows.length, 3);
    assert.equal(new Set(rows.map((row) => row.color)).size, 3, 'a colour per run');
    await page.mouse.move(0, 0);
  });

  it('ranks the best runs by a chosen metric and mode, and plots a param against it', { skip: !HAVE }, async () => {
    const best = await report<{ run: string; value: number }[]>('r.best.rows');
    assert.deepEqual(
      best.map((row) => row.run),
      [...best].sort((a, b) => a.value - b.value).map((row) => row.run),
      'lowest loss first',
    );
    await page.locator('#metric').selectOption('val/acc');
    assert.equal(await page.locator('#mode').inputValue(), 'max', 'accuracy: higher is better');
    const byAcc = await report<{ run: string; value: number }[]>('r.best.rows');
    assert.deepEqual(
      byAcc.map((row) => row.value),
      [...byAcc.map((row) => row.value)].sort((a, b) => b - a),
    );
    assert.equal(byAcc[0]!.run, 'sweep/lr-0.1');
    await page.locator('#value').selectOption('last');
    const last = await report<{ run: string; value: number }[]>('r.best.rows');
    assert.ok(last.every((row, i) => i === 0 || row.value <= last[i - 1]!.value));
    const scatter = await report<{ x: string; points: { run: string; x: unknown; y: number }[] }>('r.scatter');
    assert.equal(scatter.x, 'lr');
    assert.deepEqual(
      scatter.points.map((point) => [point.run, point.x, point.y]).sort(),
      last.map((row) => [row.run, row.run === 'sweep/lr-0.1' ? 0.1 : 0.01, row.value]).sort(),
    );
    await page.waitForURL(/m=val%2Facc&mode=max&v=last/); // written once the changes pause
    await page.locator('#metric').selectOption('train/loss');
    await page.locator('#value').selectOption('best');
    assert.deepEqual(problems, []);
  });
});

describe('a report of hostile names in Chromium', () => {
  let hostileUrl: string;
  before(async () => {
    const dir = path.join(root, 'hostile');
    await logHostileRuns(path.join(dir, 'logs'));
    const written = gymnos(['report', 'logs', '-o', 'hostile.html', '--title', HOSTILE.title], { cwd: dir });
    assert.equal(written.status, 0, written.stderr);
    hostileUrl = pathToFileURL(path.join(dir, 'hostile.html')).href;
  });

  /** Drives every part of the page that shows names: hover, group, brush, nested params. */
  async function exercise(target: Page): Promise<void> {
    await target.locator('#group-add').selectOption({ index: 1 });
    await target.locator('button.toggle-params').first().click();
    await settle(target);
    await hoverOver(target, '#charts > section.metric:first-child', 0.5);
    await target.locator('#filter').fill('sweep');
  }

  async function markupIntact(target: Page): Promise<void> {
    const found = await target.evaluate(() => {
      type Node = { tagName: string; attributes: ArrayLike<{ name: string }>; getAttribute(name: string): string };
      const dom = globalThis as unknown as {
        __pwned?: number;
        document: { querySelectorAll(selector: string): ArrayLike<Node>; title: string };
      };
      const all = Array.from(dom.document.querySelectorAll('*'));
      return {
        pwned: dom.__pwned ?? 0,
        handlers: all.flatMap((node) =>
          Array.from(node.attributes)
            .filter((a) => /^on/i.test(a.name))
            .map((a) => `${node.tagName} ${a.name}`),
        ),
        scripts: dom.document.querySelectorAll('script').length,
        injected: dom.document.querySelectorAll('iframe, img[src="x"], b, i, svg[onload]').length,
        title: dom.document.title,
      };
    });
    assert.deepEqual(found, { pwned: 0, handlers: [], scripts: 3, injected: 0, title: HOSTILE.title });
    assert.equal(await target.locator('h1').textContent(), HOSTILE.title);
    const headings = await target.locator('section.metric h3').allTextContents();
    assert.deepEqual(headings, [...HOSTILE.metrics].sort());
    const ids = await target.locator('#runs td.run-id').allTextContents();
    assert.deepEqual(ids.sort(), [...HOSTILE.runIds].sort());
    const options = await target.locator('#metric option').allTextContents();
    assert.deepEqual(options, [...HOSTILE.metrics].sort());
    const axes = await target.locator('svg.parallel .axis-label title').allTextContents();
    assert.ok(axes.includes(Object.keys(HOSTILE.params)[0]!), `the param's name on its axis: ${axes.join(' | ')}`);
    const tags = await target.locator('#runs td.tags').allTextContents();
    assert.ok(
      tags.every(
        (text) =>
          text ===
          Object.entries(HOSTILE.tags)
            .map(([k, v]) => `${k}=${v}`)
            .join(', '),
      ),
    );
    const captions = await target.locator('#media h3').allTextContents();
    assert.deepEqual(captions, [HOSTILE.figure]);
  }

  it('runs no script and keeps its markup, even without its Content-Security-Policy', { skip: !HAVE }, async () => {
    // Escaping alone: with the policy bypassed, a name put in as HTML would run.
    const unprotected = await browser!.newContext({ viewport: { width: 1200, height: 900 }, bypassCSP: true });
    try {
      const target = await unprotected.newPage();
      const seen: string[] = [];
      watch(target, seen);
      await open(target, hostileUrl);
      await markupIntact(target);
      await exercise(target);
      await markupIntact(target);
      assert.deepEqual(seen, []);
    } finally {
      await unprotected.close();
    }
  });

  it('refuses inline handlers and requests by its policy', { skip: !HAVE }, async () => {
    const target = await context.newPage();
    const seen: string[] = [];
    watch(target, seen);
    await open(target, hostileUrl);
    await markupIntact(target);
    const blocked = await target.evaluate(async () => {
      type Element = { setAttribute(name: string, value: string): void; click(): void; src: string };
      const dom = globalThis as unknown as {
        __clicked?: boolean;
        document: {
          createElement(tag: string): Element;
          body: { append(node: Element): void };
          addEventListener(type: string, listener: (event: { violatedDirective: string }) => void): void;
        };
        fetch(url: string): Promise<unknown>;
      };
      const violations: string[] = [];
      dom.document.addEventListener('securitypolicyviolation', (event) => violations.push(event.violatedDirective));
      const button = dom.document.createElement('button');
      button.setAttribute('onclick', 'window.__clicked = true');
      dom.document.body.append(button);
      button.click();
      const image = dom.document.createElement('img');
      image.src = 'http://127.0.0.1:9/pixel.png';
      dom.document.body.append(image);
      const fetched = await dom.fetch('http://127.0.0.1:9/').then(
        () => 'fetched',
        () => 'refused',
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      return { clicked: dom.__clicked ?? false, fetched, violations: [...new Set(violations)].sort() };
    });
    assert.deepEqual(blocked, {
      clicked: false,
      fetched: 'refused',
      violations: ['connect-src', 'img-src', 'script-src-attr'],
    });
    await target.close();
    assert.ok(
      seen.every((line) => /Content Security Policy|Refused|127\.0\.0\.1:9/.test(line)),
      seen.join('\n'),
    );
  });
});

describe('a 100-run sweep in Chromium', () => {
  it('is drawn, grouped and filtered, and its screenshot kept as an artifact', { skip: !HAVE }, async (t) => {
    const dir = path.join(root, 'sweep');
    const lrs = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2];
    for (let index = 0; index < 100; index++) {
      const lr = lrs[index % 5]!;
      const batch = [32, 64, 128, 256][Math.floor(index / 5) % 4]!;
      const tracker = new JsonlTracker({ flushIntervalMs: 0 });
      tracker.start(`sweep/run-${String(index).padStart(3, '0')}`, path.join(dir, 'logs'));
      tracker.logParams({ lr, batch, seed: index, optimizer: { name: index % 2 ? 'adam' : 'sgd', momentum: 0.9 } });
      const floor = 0.1 + Math.abs(Math.log10(lr) + 2.6) / 4 + 32 / batch / 10;
      for (let step = 0; step < 300; step++) {
        const noise = Math.sin(step * 0.7 + index) * 0.02;
        tracker.logMetric('loss', floor + Math.exp(-step / 60) + noise, step);
        if (step % 10 === 0) tracker.logMetric('val/acc', 1 - floor - Math.exp(-step / 80) / 2 + noise, step);
      }
      await tracker.end();
    }
    const written = gymnos(['report', 'logs', '-o', 'sweep.html', '--title', '100-run lr × batch sweep'], { cwd: dir });
    assert.equal(written.status, 0, written.stderr);
    const sweep = await context.newPage();
    const seen: string[] = [];
    watch(sweep, seen);
    await open(sweep, `${pathToFileURL(path.join(dir, 'sweep.html')).href}#g=lr&q=batch%3E%3D64`);
    assert.equal((await report<string[]>('r.visible', sweep)).length, 75);
    const loss = (await charts(sweep)).find((state) => state.metric === 'loss')!;
    assert.deepEqual(loss.labels, [
      'lr=1e-4 (n=15)',
      'lr=3e-4 (n=15)',
      'lr=0.001 (n=15)',
      'lr=0.003 (n=15)',
      'lr=0.01 (n=15)',
    ]);
    assert.equal((await report<{ label: string }[]>('r.best.groups', sweep))[0]!.label, 'lr=0.003');
    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = path.join(ARTIFACTS, 'report-sweep-100.png');
    // Sections off screen are not rendered (content-visibility), and a full-page shot does not scroll to them:
    // rendered here, so the picture shows the charts too.
    await sweep.evaluate(() => {
      const dom = globalThis as unknown as {
        document: { querySelectorAll(selector: string): ArrayLike<{ style: { contentVisibility: string } }> };
      };
      const sections = dom.document.querySelectorAll('.metric, #runs-section, #media-section');
      for (const section of Array.from(sections)) section.style.contentVisibility = 'visible';
    });
    await settle(sweep);
    await sweep.evaluate('scrollTo(0, 0)'); // the controls held at the top, where they start
    await sweep.screenshot({ path: shot, fullPage: true });
    if (process.env.UPDATE_SCREENSHOTS === '1') {
      // docs/report.md's picture: the page's first screens, the sweep grouped by lr
      await sweep.setViewportSize({ width: 1200, height: 2000 });
      await sweep.screenshot({ path: path.join(REPO, 'docs', 'report.png') });
    }
    t.diagnostic(`the 100-run sweep's screenshot: ${shot}`);
    await sweep.close();
    assert.deepEqual(seen, []);
  });
});
