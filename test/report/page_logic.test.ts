/**
 * The report page's arithmetic and state, in Node: smoothing, a group's mean and band on a common grid, the
 * nearest drawn point to a cursor, and the view kept in the URL's fragment (what a shared link restores, and
 * what a hand-edited one cannot break). The page itself is tested in Chromium (test/e2e/report_browser.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregate, gridFor, nearestIndex, smooth } from '../../src/report/page/series_math.js';
import { defaultState, OBJECTIVE_AXIS, readState, writeState } from '../../src/report/page/state.js';

describe('the page arithmetic', () => {
  it('smooths as TensorBoard does, debiased, and leaves a weight of 0 alone', () => {
    assert.deepEqual(smooth([1, 2, 3], 0), [1, 2, 3]);
    const smoothed = smooth([1, 1, 1, 5], 0.5);
    assert.deepEqual(smoothed.slice(0, 3), [1, 1, 1], 'no pull towards zero at the start');
    assert.equal(smoothed[3], (0.875 * 0.5 + 0.5 * 5) / (1 - 0.5 ** 4)); // the average so far, debiased
    assert.ok(Number.isNaN(smooth([1, Number.NaN, 3], 0.9)[1]!), 'a NaN stays where it is');
  });

  it("draws a group as its members' mean, min, max and spread where they have values", () => {
    const members = [
      { xs: [0, 10, 20], ys: [1, 2, 3] },
      { xs: [0, 10], ys: [3, 4] }, // ended at 10
      { xs: [5, 15], ys: [10, 10] }, // started at 5
    ];
    const grid = gridFor(members, 100);
    assert.deepEqual(grid, [0, 5, 10, 15, 20], 'their own xs, when fewer than the points asked for');
    const line = aggregate(members, grid);
    assert.deepEqual(line.count, [2, 3, 3, 2, 1]);
    assert.deepEqual(line.mean, [2, (1.5 + 3.5 + 10) / 3, (2 + 4 + 10) / 3, (2.5 + 10) / 2, 3]);
    assert.deepEqual(line.min, [1, 1.5, 2, 2.5, 3]);
    assert.deepEqual(line.max, [3, 10, 10, 10, 3]);
    assert.equal(line.std[0], 1);
    assert.equal(line.std[4], 0);
    assert.deepEqual(
      gridFor([{ xs: Array.from({ length: 1000 }, (_, i) => i), ys: [] }], 5),
      [0, 249.75, 499.5, 749.25, 999],
    );
    assert.deepEqual(aggregate([], [0, 1]).mean, [null, null], 'no member: no value');
  });

  it('finds the drawn point nearest the cursor', () => {
    const xs = [0, 10, 20, 30];
    assert.deepEqual(
      [-5, 0, 4, 6, 15, 29, 99].map((x) => nearestIndex(xs, x)),
      [0, 0, 0, 1, 1, 3, 3],
    );
    assert.equal(nearestIndex([], 3), -1);
  });
});

describe('the view in the URL', () => {
  const defaults = defaultState('loss', 'min', 'lr');
  const known = { metrics: ['loss', 'val/acc'], params: ['lr', 'optimizer', 'model', 'model.width'] };

  it('round-trips every choice, and writes nothing for the defaults', () => {
    assert.equal(writeState(defaults, defaults), '');
    const state = {
      ...defaults,
      filter: 'lr<0.01 note="two words" & more',
      brushes: new Map([
        ['lr', { kind: 'range' as const, low: 0.001, high: 0.01 }],
        ['optimizer', { kind: 'set' as const, values: ['adam', 'a,b;c'] }],
        [OBJECTIVE_AXIS, { kind: 'range' as const, low: -1.5e-7, high: 3 }],
      ]),
      groupBy: ['optimizer', 'lr'],
      band: 'std' as const,
      metric: 'val/acc',
      mode: 'max' as const,
      value: 'last' as const,
      scatterX: 'model.width',
      smoothing: 0.6,
      log: true,
      axis: 'wall' as const,
      onlyDiffering: true,
      expanded: new Set(['model']),
    };
    const fragment = writeState(state, defaults);
    assert.deepEqual(readState(fragment, defaults, known), state);
  });

  it('drops what a hand-edited fragment gets wrong, and keeps the rest', () => {
    const state = readState(
      '#q=ok&b=lr:abc..1;nope:1..2;%E0%A4%A:1..2;optimizer:=x&g=lr,ghost' +
        '&band=wide&m=nope&mode=median&s=7&axis=up&x=ghost',
      defaults,
      known,
    );
    assert.equal(state.filter, 'ok');
    assert.deepEqual([...state.brushes], [['optimizer', { kind: 'set', values: ['x'] }]]);
    assert.deepEqual(state.groupBy, ['lr']);
    assert.deepEqual(
      [state.band, state.metric, state.mode, state.smoothing, state.axis, state.scatterX],
      [defaults.band, defaults.metric, defaults.mode, defaults.smoothing, defaults.axis, defaults.scatterX],
    );
  });
});
