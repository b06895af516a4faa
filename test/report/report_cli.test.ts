/**
 * `gymnos report` through the real bin: one self-contained file (uPlot inlined, nothing fetched), the runs'
 * exact values in its data, long series downsampled with their spikes kept, names that could break out of a
 * <script> kept inside it, and the documented exits for no runs and bad output paths.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { largestTriangleThreeBuckets, SeriesSampler } from '../../src/runtime/run_dir/downsample.js';
import { JsonlTracker } from '../../src/trackers/jsonl.js';
import { gymnos } from '../helpers/project.js';
import { drawnSeries, embeddedData } from '../helpers/report_data.js';

let root: string;
const LONG = 50_000;

before(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'gymnos-report-'));
  for (const [id, lr] of [
    ['a', 0.1],
    ['b', 0.01],
  ] as const) {
    const tracker = new JsonlTracker();
    await tracker.start(id, path.join(root, 'logs'));
    tracker.logParams({ lr });
    for (let step = 0; step < LONG; step++) {
      // a smooth decay with one spike, which downsampling must keep
      tracker.logMetric('loss', step === 31_337 ? 50 : 1 / (1 + step * lr), step);
    }
    tracker.logMetric('</script><script>alert(1)</script>', 1, 0);
    await tracker.end();
  }
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('gymnos report', () => {
  it('writes one self-contained file with the runs, exact values and downsampled series', () => {
    const result = gymnos(['report', 'logs', '-o', 'out.html', '--json'], { cwd: root });
    assert.equal(result.status, 0, result.stderr);
    const summary = JSON.parse(result.stdout) as { runs: number; metrics: number; bytes: number };
    assert.deepEqual([summary.runs, summary.metrics], [2, 2]);
    const html = readFileSync(path.join(root, 'out.html'), 'utf8');
    assert.equal(Buffer.byteLength(html), summary.bytes);
    // self-contained: uPlot inlined, no external script, stylesheet, image or fetch
    assert.ok(html.includes('uPlot'), 'uPlot is inlined');
    assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|<img[^>]+src="http/i);
    assert.doesNotMatch(html, /(src|href)="https?:/i);
    const data = embeddedData(html);
    assert.deepEqual(data.metrics, ['</script><script>alert(1)</script>', 'loss']);
    assert.deepEqual(data.runs[0]!.params, { lr: 0.1 });
    const loss = drawnSeries(data, 'loss');
    assert.equal(loss.length, 2);
    for (const series of loss) {
      assert.equal(series.total, LONG);
      assert.ok(series.values.length <= 2000 && series.values.length >= 100, `${series.values.length} points drawn`);
      assert.ok(series.values.includes(50), 'the spike survives downsampling');
      assert.equal(series.steps[0], 0);
      assert.equal(series.steps.at(-1), LONG - 1);
      assert.ok(
        series.times.every((time) => time >= 0 && time < 60_000),
        "times since the run's start",
      );
    }
    // drawn values are float32; the tables keep the exact ones
    assert.equal(loss[1]!.values.at(-1), Math.fround(1 / (1 + (LONG - 1) * 0.01)));
    assert.equal(data.runs[1]!.metrics.loss!.last, 1 / (1 + (LONG - 1) * 0.01));
    assert.equal(data.runs[1]!.metrics.loss!.max, 50);
  });

  it('writes nothing and exits 1 when no run is found, 2 for a bad output directory or a param no run has', () => {
    const none = gymnos(['report', 'logs', '--run', 'zzz*', '-o', 'none.html'], { cwd: root });
    assert.equal(none.status, 1);
    assert.equal(none.stderr, 'gymnos: no run under logs matches the filters; nothing written\n');
    assert.equal(existsSync(path.join(root, 'none.html')), false);
    const badDir = gymnos(['report', 'logs', '-o', 'missing/out.html'], { cwd: root });
    assert.equal(badDir.status, 2);
    assert.match(badDir.stderr, /^gymnos: -o missing\/out\.html: the directory .* does not exist\n$/);
    const typo = gymnos(['report', 'logs', '--where', 'lrr<0.1', '-o', 'typo.html'], { cwd: root });
    assert.equal(typo.status, 2);
    assert.equal(typo.stderr, 'gymnos: --where lrr<0.1: param lrr: no run listed has it; did you mean lr?\n');
    assert.equal(existsSync(path.join(root, 'typo.html')), false);
    const noLogdir = gymnos(['report'], { cwd: path.join(root, 'logs') });
    assert.equal(noLogdir.status, 2);
    assert.equal(noLogdir.stderr, 'gymnos: ./logs is not a directory; pass the logdir your runs were logged to\n');
  });
});

describe('downsampling', () => {
  it('keeps memory to its buckets and the extremes of every stretch', () => {
    const sampler = new SeriesSampler(64);
    for (let i = 0; i < 100_000; i++) sampler.add(i, i === 77_777 ? -5 : Math.sin(i / 1000), i * 10);
    const series = sampler.finish(100);
    assert.equal(series.total, 100_000);
    assert.equal(series.values.length, 100);
    assert.ok(series.values.includes(-5));
    assert.deepEqual([series.steps[0], series.steps.at(-1)], [0, 99_999]);
    assert.deepEqual(series.times.slice(0, 1), [0]);
    assert.ok(
      series.steps.every((step, i) => i === 0 || step > series.steps[i - 1]!),
      'in order',
    );
  });

  it('LTTB keeps the first, the last and the peaks', () => {
    const xs = Array.from({ length: 1000 }, (_, i) => i);
    const ys = xs.map((x) => (x === 500 ? 100 : 0));
    const chosen = largestTriangleThreeBuckets(xs, ys, 10);
    assert.equal(chosen.length, 10);
    assert.deepEqual([chosen[0], chosen.at(-1)], [0, 999]);
    assert.ok(chosen.includes(500));
    assert.deepEqual(largestTriangleThreeBuckets([1, 2], [3, 4], 10), [0, 1]);
  });
});
