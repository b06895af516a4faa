/**
 * Numbers as people read them, in the terminal and in the report: the shortest digits that read back as the
 * value, without the noise of float arithmetic, in exponent form where plain digits would be a row of zeros.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatColumn,
  formatDuration,
  formatFloat32,
  formatNumber,
  formatUtcTime,
  formatValue,
} from '../../src/runs/number_format.js';

describe('formatNumber', () => {
  it('gives the shortest digits, without float noise, and exponents where zeros would pile up', () => {
    for (const [value, text] of [
      [10 ** -4, '1e-4'], // 0.00009999999999999999
      [1e-4, '1e-4'],
      [0.1 + 0.2, '0.3'],
      [0.001, '0.001'],
      [0.000999, '9.99e-4'],
      [-2.5e-7, '-2.5e-7'],
      [0.5, '0.5'],
      [1234567890, '1234567890'],
      [123456789012345, '123456789012345'],
      [1e21, '1e21'],
      [0.6931471805599453, '0.693147180559945'],
      [0, '0'],
      [-0, '0'],
      [Number.NaN, 'NaN'],
      [-Infinity, '-Infinity'],
    ] as const) {
      assert.equal(formatNumber(value), text, String(value));
    }
  });

  it('shows a float32 fraction (TensorBoard, tfjs) by the digits of that float32', () => {
    assert.equal(formatNumber(Math.fround(0.15)), '0.15'); // the double 0.15000000596046448
    assert.equal(formatNumber(123456792), '123456792'); // an integer is shown whole, float32 or not
  });

  it('keeps the exact digits a value needs: different values never read the same', () => {
    for (let i = 0; i < 2000; i++) {
      const value = (Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 30 - 15);
      const text = formatNumber(value);
      assert.ok(Math.abs(Number(text) - value) <= Math.abs(value) * 1e-14, `${value} → ${text}`);
    }
  });

  it('formats drawn values at float32 precision', () => {
    assert.equal(formatFloat32(1e-4), '1e-4'); // not 0.00009999999747378752
    assert.equal(formatFloat32(0.6931471805599453), '0.6931472');
    assert.equal(formatFloat32(1 / 3), '0.33333334');
  });

  it('switches to exponent form at 1e15 exactly, and below 1e-3', () => {
    assert.equal(formatNumber(1e15), '1e15');
    assert.equal(formatNumber(-1e15), '-1e15');
    assert.equal(formatNumber(999999999999999), '999999999999999');
    assert.equal(formatNumber(0.001), '0.001');
    assert.equal(formatNumber(0.00099), '9.9e-4');
  });

  it('formats a drawn zero as 0, and a drawn integer by the shortest digits of its float32', () => {
    assert.equal(formatFloat32(0), '0');
    assert.equal(formatFloat32(-0), '0');
    assert.equal(formatFloat32(123456789), '123456790'); // the float32 123456792, shortest
    assert.equal(formatFloat32(Number.NaN), 'NaN');
    assert.equal(formatFloat32(1e39), 'Infinity'); // beyond float32's range
  });

  it('rounds a column to the fewest digits, at least 5, that keep its distinct values apart', () => {
    assert.deepEqual(formatColumn([0.215942317218031, 0.150001355720744, null, 0.150001355720744]), [
      '0.21594',
      '0.15',
      '-',
      '0.15',
    ]);
    assert.deepEqual(formatColumn([0.123456789, 0.123456788, Number.NaN]), ['0.123456789', '0.123456788', 'NaN']);
    assert.deepEqual(formatColumn([10 ** -4, 2e-5]), ['1e-4', '2e-5']);
  });

  it('formats params: numbers as above, text as is, the rest as compact JSON', () => {
    assert.equal(formatValue(10 ** -4), '1e-4');
    assert.equal(formatValue('adam'), 'adam');
    assert.equal(formatValue([64, 32]), '[64,32]');
    assert.equal(formatValue({ lr: 10 ** -4 }), '{"lr":0.0001}');
    assert.equal(formatValue(true), 'true');
    assert.equal(formatValue(undefined), '');
  });

  it('writes durations in the largest units that matter, and times in UTC to the second', () => {
    assert.deepEqual([null, 4210, 12_400, 187_000, 7_500_000].map(formatDuration), [
      '-',
      '4.2s',
      '12s',
      '3m07s',
      '2h05m',
    ]);
    // Each unit from its first whole value: ten seconds lose their tenths, a minute and an hour change units.
    assert.deepEqual([9_949, 10_000, 59_499, 60_000, 3_599_999, 3_600_000].map(formatDuration), [
      '9.9s',
      '10s',
      '59s',
      '1m00s',
      '59m59s',
      '1h00m',
    ]);
    assert.equal(formatUtcTime(Date.UTC(2026, 11, 7, 15, 4, 5, 678)), '2026-12-07 15:04:05 UTC');
    assert.equal(formatUtcTime(null), '-');
  });
});
