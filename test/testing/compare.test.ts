/**
 * The conformance kit's comparisons (src/testing/compare.ts), its measure of blocking (blocked_time.ts) and its
 * deadline on each call (settlesWithin), in process: what passes, what fails, and what each failure says.
 * test/testing/kit.test.ts runs whole trackers through the kit; these pin the rules it applies.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import { blockingMeasure, measureBlocking, measureCpuTime, runQueueWaitOf } from '../../src/testing/blocked_time.js';
import { settlesWithin } from '../../src/testing/checks.js';
import { assertFiles, assertMetrics, assertParams, assertTags } from '../../src/testing/compare.js';
import { PLOTLY_FIGURE, TINY_PNG, TINY_SVG, VEGA_LITE_SPEC } from '../../src/testing/index.js';
import { ASSET_CONTENT, logEverything, logSeries } from '../../src/testing/logged.js';
import type { Metric } from '../../src/testing/logged.js';
import { Tracker } from '../../src/trackers/tracker.js';

/** The message of the AssertionError `body` throws. */
function failure(body: () => void): string {
  try {
    body();
  } catch (error) {
    assert.ok(error instanceof assert.AssertionError, String(error));
    return error.message;
  }
  assert.fail('expected an assertion to fail');
}

describe('assertMetrics', () => {
  const logged = [
    { name: 'loss', step: 0, value: 1 / 3 },
    { name: 'loss', step: 1, value: Number.NaN },
  ];

  it('passes the exact float64 values at their steps, extra metrics and repeated points allowed', () => {
    assertMetrics(
      [
        { name: 'loss', step: 0, value: 0.5 },
        { name: 'loss', step: 0, value: 1 / 3 },
        { name: 'loss', step: 1, value: Number.NaN },
        { name: 'system/cpu', step: 0, value: 12 },
      ],
      logged,
      false,
    );
  });

  it('fails a rounded value, saying what the backend has, unless kept as float32 and it is that float32', () => {
    const rounded = [
      { name: 'loss', step: 0, value: Math.fround(1 / 3) },
      { name: 'loss', step: 1, value: Number.NaN },
    ];
    const message = failure(() => assertMetrics(rounded, logged, false));
    assert.match(message, /^1 of 2 metrics logged are not in the backend as logged \(compared as the exact float64/);
    assert.match(message, /'loss@0=0\.3333333333333333 \(the backend has 0\.3333333432674408\)'/);
    assertMetrics(rounded, logged, true);
    const threeDecimals = [{ ...rounded[0]!, value: 0.333 }, rounded[1]!];
    assert.match(
      failure(() => assertMetrics(threeDecimals, logged, true)),
      /\(compared as float32\)/,
    );
  });

  it('fails a point at another step or under another name as missing, and a NaN lost', () => {
    const message = failure(() =>
      assertMetrics(
        [
          { name: 'loss', step: 2, value: 1 / 3 },
          { name: 'lost', step: 0, value: 1 / 3 },
          { name: 'loss', step: 1, value: 0 },
        ],
        logged,
        false,
      ),
    );
    assert.match(message, /^2 of 2 metrics/);
    assert.match(message, /'loss@0=0\.3333333333333333 \(missing\)'/);
    assert.match(message, /'loss@1=NaN \(the backend has 0\)'/);
  });

  it('lists eight differences in full', () => {
    const eight = Array.from({ length: 8 }, (_, step) => ({ name: 'series', step, value: step }));
    const message = failure(() => assertMetrics([{ name: 'series', step: 0, value: -1 }], eight, false));
    assert.match(message, /'series@0=0 \(the backend has -1\)'/);
    assert.match(message, /'series@7=7 \(missing\)'\n\+ \]/);
    assert.doesNotMatch(message, /more/);
  });

  it('says every value the backend has at the step, separated by commas', () => {
    const message = failure(() =>
      assertMetrics(
        [
          { name: 'loss', step: 0, value: 1 },
          { name: 'loss', step: 0, value: 2 },
        ],
        [{ name: 'loss', step: 0, value: 3 }],
        false,
      ),
    );
    assert.match(message, /'loss@0=3 \(the backend has 1, 2\)'/);
  });

  it('lists the first eight differences and counts the rest', () => {
    const many = Array.from({ length: 11 }, (_, step) => ({ name: 'series', step, value: step }));
    const message = failure(() => assertMetrics([], many, false));
    assert.match(message, /^11 of 11 metrics/);
    assert.match(message, /'series@7=7 \(missing\)',\n\+ {3}'\.\.\. and 3 more'/);
    assert.doesNotMatch(message, /series@8/);
  });

  it('fails a read-back without a metrics array', () => {
    assert.match(
      failure(() => assertMetrics(undefined, logged, false)),
      /readBack returned no metrics array/,
    );
  });
});

describe('the values the kit logs', () => {
  /** Every metric the kit logs in a read-back run (everything, and the series), as a faithful backend holds them. */
  async function loggedByTheKit(): Promise<Metric[]> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gymnos-kit-values-'));
    try {
      const files = { asset: path.join(dir, 'config.json'), image: path.join(dir, 'sample.png') };
      writeFileSync(files.asset, ASSET_CONTENT);
      writeFileSync(files.image, TINY_PNG);
      const tracker = new (class extends Tracker {})();
      await tracker.start('values', dir);
      const metrics = logEverything(tracker, files, false).metrics;
      metrics.push(...(await logSeries(tracker)));
      await tracker.end();
      return metrics;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // The ways a backend keeps less than the float64 it was given, as we have met them or can name them. Each of
  // the kit's values is one that some of these lose; which value catches which is not the point (several catch
  // each): that every way is caught is.
  const LOSSY: Array<[string, (value: number) => number]> = [
    ['float32', Math.fround],
    ['3 decimals (a CSV written with toFixed(3))', (value) => Number(value.toFixed(3))],
    ['6 decimals', (value) => Number(value.toFixed(6))],
    ['a DECIMAL column of 10 decimals', (value) => Number(value.toFixed(10))],
    ["6 significant digits (printf's %g)", (value) => Number(value.toPrecision(6))],
    ['15 significant digits (%.15g, a double through some SQL drivers)', (value) => Number(value.toPrecision(15))],
    ['16 significant digits (%.16g)', (value) => Number(value.toPrecision(16))],
    ['the text cut to 12 characters (a fixed-width column)', (value) => Number(String(value).slice(0, 12))],
    ['subnormals flushed to zero', (value) => (Math.abs(value) < 2 ** -1022 ? 0 : value)],
    [
      'the range of float32 (larger values become infinite)',
      (value) => (Math.abs(value) > 3.4e38 ? value * 1e300 : value),
    ],
    ['integers past 2^31 wrapped to 32 bits', (value) => (Number.isSafeInteger(value) ? value | 0 : value)],
  ];

  it('catch every way we know of keeping less than the float64 logged', async () => {
    const logged = await loggedByTheKit();
    for (const [how, lossy] of LOSSY) {
      const held = logged.map((metric) => ({ ...metric, value: lossy(metric.value) }));
      assert.throws(() => assertMetrics(held, logged, false), /not in the backend as logged/, how);
    }
    assertMetrics(logged, logged, false);
  });
});

describe('assertParams and assertTags', () => {
  const params = { lr: 0.001, layers: [64, 32], name: 'adam', dropout: null };

  it('pass the JSON values, or their JSON text, and a string as itself', () => {
    assertParams({ lr: 0.001, layers: [64, 32], name: 'adam', dropout: null }, params);
    assertParams({ lr: '0.001', layers: '[64,32]', name: 'adam', dropout: 'null' }, params);
  });

  it('fail a value kept by its key only, saying both values, and a missing key', () => {
    const message = failure(() => assertParams({ lr: 0.001, layers: '64,32', name: 'ADAM' }, params));
    assert.match(message, /^params logged but not in the backend with their values/);
    assert.match(message, /'layers: the backend has "64,32", logged \[64,32\]'/);
    assert.match(message, /'name: the backend has "ADAM", logged "adam"'/);
    assert.match(message, /'dropout: missing'/);
    // A string param is kept as itself: its JSON text is another string.
    assert.match(
      failure(() => assertParams({ name: '"adam"' }, { name: 'adam' })),
      /'name: the backend has/,
    );
  });

  it('do not take an inherited property for a param or a tag', () => {
    assert.match(
      failure(() => assertParams({}, { toString: 'x' })),
      /'toString: missing'/,
    );
    assert.match(
      failure(() => assertTags({}, { constructor: 'x' })),
      /'constructor: missing'/,
    );
  });

  it('tags: each logged tag with its value; others may be there', () => {
    assertTags({ team: 'vision', 'mlflow.user': 'me' }, { team: 'vision' });
    const message = failure(() => assertTags({ team: 'Vision' }, { team: 'vision', seed: '42' }));
    assert.match(message, /^tags logged but not in the backend with their values/);
    assert.match(message, /'team: the backend has "Vision", logged "vision"'/);
    assert.match(message, /'seed: missing'/);
  });
});

describe('the figures the kit exports', () => {
  // Plugin authors log these in their own tests (docs/api.md): they must be figures a backend or a viewer can draw.
  it('are a Vega-Lite v5 chart of its own data, a Plotly trace of equal x and y with a title, an SVG, a PNG', () => {
    assert.match(VEGA_LITE_SPEC.$schema, /^https:\/\/vega\.github\.io\/schema\/vega-lite\/v5\.json$/);
    assert.ok(['line', 'point', 'bar', 'area'].includes(VEGA_LITE_SPEC.mark), VEGA_LITE_SPEC.mark);
    const rows = VEGA_LITE_SPEC.data.values as Record<string, unknown>[];
    assert.ok(rows.length > 0, 'data to draw');
    for (const channel of Object.values(VEGA_LITE_SPEC.encoding)) {
      assert.ok(['quantitative', 'temporal', 'ordinal', 'nominal'].includes(channel.type), channel.type);
      assert.ok(
        rows.every((row) => typeof row[channel.field] === 'number'),
        `every row has its ${channel.field}`,
      );
    }
    assert.deepEqual(Object.keys(VEGA_LITE_SPEC.encoding).sort(), ['x', 'y']);
    const [trace, ...others] = PLOTLY_FIGURE.data;
    assert.deepEqual(others, []);
    assert.ok(['scatter', 'bar'].includes(trace!.type), trace!.type);
    assert.ok(trace!.x.length > 0 && trace!.x.length === trace!.y.length, 'points to draw');
    assert.ok(PLOTLY_FIGURE.layout.title.length > 0, 'a title');
    assert.match(TINY_SVG, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>.*<\/svg>$/);
    assert.deepEqual([...TINY_PNG.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });
});

describe('assertFiles', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gymnos-kit-compare-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const stored = (name: string, content: string | Uint8Array) => {
    writeFileSync(path.join(dir, name), content);
    return path.join(dir, name);
  };
  const logged = [
    { name: 'png', content: TINY_PNG },
    { name: 'plotly', content: PLOTLY_FIGURE },
  ];

  it('passes stored copies by path, and contents given as bytes, text or the spec', () => {
    assertFiles([stored('png.png', TINY_PNG), stored('plotly.plotly.json', JSON.stringify(PLOTLY_FIGURE))], logged);
    assertFiles(
      [
        { name: 'figures/png.png', content: new Uint8Array(TINY_PNG) },
        { name: 'plotly', content: PLOTLY_FIGURE },
      ],
      logged,
    );
    assertFiles(
      [
        { name: 'png', content: TINY_PNG },
        { name: 'plotly', content: JSON.stringify(PLOTLY_FIGURE, null, 2) },
      ],
      logged,
    );
    assertFiles([{ name: 'text', content: 'hello' }], [{ name: 'text', content: Buffer.from('hello') }]);
  });

  it('matches a file by its last path segment, or what starts it before a dot: sample.png is not png', () => {
    const message = failure(() =>
      assertFiles(
        [
          { name: 'images/sample.png', content: TINY_PNG },
          { name: 'png/other', content: TINY_PNG },
          { name: 'plotly', content: PLOTLY_FIGURE },
        ],
        logged,
      ),
    );
    assert.match(
      message,
      /^files logged but not in the backend as logged \(it has: images\/sample\.png, png\/other, plotly\)/,
    );
    assert.match(message, /'png: missing'/);
    assertFiles([{ name: 'C:\\run\\png.png', content: TINY_PNG }], [logged[0]!]);
  });

  it('fails an empty or different copy, giving both sizes, and a spec that is not the one logged', () => {
    const message = failure(() =>
      assertFiles([stored('png.png', ''), { name: 'plotly.json', content: '{"data": []}' }], logged),
    );
    assert.match(message, /'png: the content differs \(the backend has 0 bytes; logged 70 bytes\)'/);
    assert.match(message, /'plotly: the content differs \(the backend has 12 bytes; logged an object\)'/);
    assert.match(
      failure(() => assertFiles([{ name: 'png', content: { bytes: 1 } }], [logged[0]!])),
      /'png: the content differs \(the backend has an object; logged 70 bytes\)'/,
    );
    assert.match(
      failure(() => assertFiles([{ name: 'plotly', content: 'not json' }], [logged[1]!])),
      /'plotly: the content differs/,
    );
  });

  it('takes a directory, or a path through a file, for no content', () => {
    mkdirSync(path.join(dir, 'as-directory', 'png'), { recursive: true });
    const throughFile = path.join(stored('plain', 'x'), 'png');
    for (const entry of [path.join(dir, 'as-directory', 'png'), throughFile]) {
      assert.match(
        failure(() => assertFiles([entry], logged.slice(0, 1))),
        /'png: no content/,
      );
    }
  });

  it('throws what reading a stored copy fails with otherwise (a symlink loop): that is not "no content"', () => {
    const loop = path.join(dir, 'looped', 'png.png');
    mkdirSync(path.dirname(loop));
    symlinkSync(loop, loop);
    assert.throws(() => assertFiles([loop], logged.slice(0, 1)), { code: 'ELOOP' });
  });

  it('lists the sizes of every candidate that differs, and the names the backend has, with commas', () => {
    const message = failure(() =>
      assertFiles(
        [
          { name: 'png', content: 'a' },
          { name: 'figures/png.png', content: 'bc' },
        ],
        logged.slice(0, 1),
      ),
    );
    assert.match(message, /\(it has: png, figures\/png\.png\)/);
    assert.match(message, /'png: the content differs \(the backend has 1 bytes, 2 bytes; logged 70 bytes\)'/);
  });

  it('says the content differs when one candidate has none and another differs, naming paths as given', () => {
    const missing = path.join(dir, 'nowhere', 'png.png');
    const message = failure(() => assertFiles([missing, { name: 'png', content: 'a' }], logged.slice(0, 1)));
    assert.ok(message.includes(`(it has: ${missing}, png)`), message);
    assert.match(message, /'png: the content differs \(the backend has 1 bytes; logged 70 bytes\)'/);
  });

  it('fails a name without content: a path that holds no file', () => {
    const message = failure(() =>
      assertFiles([path.join(dir, 'png.png.missing', 'png.png'), dir + '/png'], logged.slice(0, 1)),
    );
    assert.match(message, /'png: no content \(give \{ name, content \} or the path of the stored copy\)'/);
    // One candidate with the content is enough.
    assertFiles([path.join(dir, 'nothing', 'png'), stored('png', TINY_PNG)], logged.slice(0, 1));
  });

  it('says what the backend has when it has nothing', () => {
    assert.match(
      failure(() => assertFiles([], logged)),
      /\(it has: nothing\)/,
    );
  });
});

describe('measureBlocking', () => {
  it('returns the call result and counts a sleep as blocking, a quick call as not', () => {
    // A loaded machine can blur either way what the kernel counts as waiting for a CPU: a sleep is compared by
    // the most of three tries, a quick call (below) by the least of five.
    const slept = Array.from({ length: 3 }, () =>
      measureBlocking(() => {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 80);
        return 'done';
      }),
    );
    assert.deepEqual(
      slept.map((call) => call.result),
      ['done', 'done', 'done'],
    );
    const most = Math.max(...slept.map((call) => call.blockedMs));
    if (blockingMeasure() === 'wall time less run-queue wait') assert.ok(most >= 75, String(most));
    const quick = Array.from({ length: 5 }, () => measureBlocking(() => 42));
    assert.deepEqual(
      quick.map((call) => call.result),
      [42, 42, 42, 42, 42],
    );
    const least = Math.min(...quick.map((call) => call.blockedMs));
    assert.ok(least >= 0 && least < 25, String(least));
  });

  it('counts computing as blocking', () => {
    const { blockedMs } = measureBlocking(() => {
      const started = process.cpuUsage();
      while (process.cpuUsage(started).user < 60_000) {
        // busy for 60 ms of CPU time
      }
    });
    assert.ok(blockedMs >= 55, String(blockedMs));
  });

  it('falls back, where the kernel says nothing, to CPU time: user and system, in milliseconds', () => {
    const measured = measureCpuTime(() => {
      const started = process.cpuUsage();
      while (process.cpuUsage(started).user < 40_000) {
        // busy for 40 ms of CPU time
      }
      return 'done';
    });
    assert.equal(measured.result, 'done');
    assert.ok(measured.blockedMs >= 40 && measured.blockedMs < 5_000, String(measured.blockedMs));
    const slept = measureCpuTime(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60));
    assert.ok(slept.blockedMs < 50, `a sleep uses no CPU: ${slept.blockedMs}`);
  });

  it("reads the run-queue wait from schedstat's second field", () => {
    assert.equal(runQueueWaitOf('44546 55042 1\n'), 55042);
    assert.equal(runQueueWaitOf('1 2 3'), 2);
    assert.equal(runQueueWaitOf(''), undefined);
  });

  it('is measured, on Linux, as wall time less the wait for a CPU', () => {
    if (process.platform === 'linux') assert.equal(blockingMeasure(), 'wall time less run-queue wait');
  });

  type BlockedTime = typeof import('../../src/testing/blocked_time.js');
  let instances = 0;
  /**
   * Runs `body` with a fresh instance of blocked_time.ts (which asks the kernel once) on a machine whose
   * schedstat read fails with `code`.
   */
  async function withoutSchedstat(code: string, body: (module: BlockedTime) => void): Promise<void> {
    const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
    const readFileSync = fs.readFileSync;
    fs.readFileSync = ((file: unknown, ...rest: unknown[]) => {
      if (file === '/proc/thread-self/schedstat') throw Object.assign(new Error(`${code}: ${file}`), { code });
      return (readFileSync as (...args: unknown[]) => unknown)(file, ...rest);
    }) as typeof fs.readFileSync;
    syncBuiltinESMExports();
    try {
      instances += 1;
      const source = path.join(import.meta.dirname, '../../src/testing/blocked_time.ts');
      body((await import(`${pathToFileURL(source).href}?${code}-${instances}`)) as BlockedTime);
    } finally {
      fs.readFileSync = readFileSync;
      syncBuiltinESMExports();
    }
  }

  it('without schedstat (not Linux, or schedstats off), measures CPU time: computing, not sleeping', async () => {
    await withoutSchedstat('ENOENT', (kit) => {
      assert.equal(kit.blockingMeasure(), 'CPU time');
      const computing = kit.measureBlocking(() => {
        const started = process.cpuUsage();
        while (process.cpuUsage(started).user < 40_000) {
          // busy for 40 ms of CPU time
        }
        return 'done';
      });
      assert.equal(computing.result, 'done');
      assert.ok(computing.blockedMs >= 40, String(computing.blockedMs));
      const slept = kit.measureBlocking(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60));
      assert.ok(slept.blockedMs < 50, `a sleep uses no CPU: ${slept.blockedMs}`);
    });
  });

  it('a schedstat there but unreadable (EIO, EACCES) is said, not taken for a kernel without one', async () => {
    for (const code of ['EIO', 'EACCES']) {
      await withoutSchedstat(code, (kit) => assert.throws(() => kit.blockingMeasure(), new RegExp(code)));
    }
  });

  it("does not count the time the thread waited for a CPU: a loaded machine's wait is not blocking", (t) => {
    if (blockingMeasure() !== 'wall time less run-queue wait') return t.skip('no schedstat here');
    // The kernel's count of the thread's run-queue wait, as if the call had waited 5 s for a CPU.
    const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
    const readFileSync = fs.readFileSync;
    let reads = 0;
    fs.readFileSync = ((file: unknown, ...rest: unknown[]) =>
      file === '/proc/thread-self/schedstat'
        ? `1000 ${reads++ === 0 ? 0 : 5e9} 7\n`
        : (readFileSync as (...args: unknown[]) => unknown)(file, ...rest)) as typeof fs.readFileSync;
    syncBuiltinESMExports();
    try {
      assert.equal(measureBlocking(() => 1).blockedMs, 0);
    } finally {
      fs.readFileSync = readFileSync;
      syncBuiltinESMExports();
    }
  });
});

describe('settlesWithin', () => {
  it("leaves no timer behind once the call settled: a run's process is not held up to the timeout", async () => {
    const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
    const before = timers();
    assert.equal(await settlesWithin('t', 'end()', Promise.resolve(7), 5_000), 7);
    assert.equal(await settlesWithin('t', 'flush()', 8, 5_000), 8);
    await assert.rejects(settlesWithin('t', 'start()', Promise.reject(new Error('refused')), 5_000), /refused/);
    assert.equal(timers(), before);
  });

  it('names the call that does not settle, and the time it had', async () => {
    await assert.rejects(settlesWithin('t', 'end()', new Promise(() => {}), 20), {
      name: 'AssertionError',
      message: 't: end() did not settle within 20 ms; it hangs (a promise that never settles?)',
    });
  });
});
