/**
 * The text a file tracker writes for a finite number (src/runtime/number_text.ts): the shortest round-trip digits,
 * in exponent form where a reader would lose digits or read an integer, and `needsNumberText` true wherever that
 * text may differ from `String(value)` (the trackers skip the work elsewhere).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { finiteNumberText, needsNumberText } from '../../src/runtime/number_text.js';

const LIMIT = 2 ** 53;

describe('finiteNumberText', () => {
  it('writes zero as 0 and negative zero as -0.0', () => {
    assert.equal(finiteNumberText(0), '0');
    assert.equal(finiteNumberText(-0), '-0.0');
  });

  it('writes integral values from 2^53 on, either sign, in exponent form; below 2^53 as plain integers', () => {
    assert.equal(finiteNumberText(LIMIT), '9.007199254740992e+15');
    assert.equal(finiteNumberText(-LIMIT), '-9.007199254740992e+15');
    assert.equal(finiteNumberText(LIMIT - 1), '9007199254740991');
    assert.equal(finiteNumberText(-(LIMIT - 1)), '-9007199254740991');
    assert.equal(finiteNumberText(1e21), '1e+21');
    assert.equal(finiteNumberText(1e300), '1e+300');
  });

  it('keeps values of magnitude 1 or more as String gives them, however many digits', () => {
    for (const value of [1, -1, 1.5, 123.4567891, -123.4567891, 1234567.123456789]) {
      assert.equal(finiteNumberText(value), String(value), String(value));
    }
  });

  it('writes a fraction with more than six significant digits in exponent form, either sign', () => {
    assert.equal(finiteNumberText(0.1234567), '1.234567e-1');
    assert.equal(finiteNumberText(-0.1234567), '-1.234567e-1');
    assert.equal(finiteNumberText(0.1000001), '1.000001e-1'); // zeros after the first digit are significant
    assert.equal(finiteNumberText(0.9999999), '9.999999e-1'); // and nines are digits
    assert.equal(finiteNumberText(6.551540484651924e-4), '6.551540484651924e-4');
    assert.equal(finiteNumberText(0.1 + 0.2), '3.0000000000000004e-1');
  });

  it('keeps a fraction of six significant digits or fewer as it is: leading zeros do not count', () => {
    for (const value of [0.5, -0.5, 0.001, 0.123456, -0.123456, 0.0001234, -0.0001234, 0.000123456, 1e-7, 1.25e-7]) {
      assert.equal(finiteNumberText(value), String(value), String(value));
    }
  });

  it('reads back as the same value, bit for bit', () => {
    for (let i = 0; i < 2000; i++) {
      const value = (Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 40 - 20);
      const text = finiteNumberText(value);
      assert.ok(Object.is(Number(text === '-0.0' ? '-0' : text), value), `${value} → ${text}`);
    }
  });
});

/** The rule as first written, two conversions: String's text, its significant digits counted, then toExponential. */
function textByTheRule(value: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0';
  if (value >= LIMIT || value <= -LIMIT) return Number.isInteger(value) ? value.toExponential() : String(value);
  const text = String(value);
  if (value >= 1 || value <= -1) return text;
  const digits = text
    .split('e')[0]!
    .replace(/[^0-9]/g, '')
    .replace(/^0+/, '').length;
  return digits > 6 ? value.toExponential() : text;
}

describe('finiteNumberText, against the rule written out', () => {
  it('gives the same text at the edges: 1e-6 and below, subnormals, six and seven digits, either sign', () => {
    const edges = [
      1e-6,
      1e-6 * (1 - Number.EPSILON),
      1.5e-7,
      1.234567e-7,
      1.2345678e-7,
      0.999999,
      0.9999999,
      0.000001234567,
    ];
    const extremes = [Number.MIN_VALUE, 2.2250738585072014e-308, 1 - Number.EPSILON / 2, Math.fround(0.1)];
    for (const value of [...edges, ...extremes]) {
      assert.equal(finiteNumberText(value), textByTheRule(value), String(value));
      assert.equal(finiteNumberText(-value), textByTheRule(-value), String(-value));
    }
  });

  it('gives the same text for random float32 values (what tfjs logs), float64 values and short decimals', () => {
    const bits = new Uint32Array(2);
    const asDouble = new Float64Array(bits.buffer);
    for (let i = 0; i < 20_000; i++) {
      const magnitude = 10 ** Math.floor(Math.random() * 30 - 24);
      bits[0] = Math.random() * 2 ** 32;
      bits[1] = Math.random() * 2 ** 32;
      for (const value of [
        Math.fround((Math.random() - 0.5) * magnitude),
        (Math.random() - 0.5) * magnitude,
        Number((Math.random() - 0.5).toFixed(1 + (i % 8))) * magnitude,
        asDouble[0]!,
      ]) {
        if (Number.isFinite(value)) assert.equal(finiteNumberText(value), textByTheRule(value), String(value));
      }
    }
  });
});

describe('needsNumberText', () => {
  it('is true exactly where finiteNumberText may differ from String: |value| < 1, and |value| >= 2^53', () => {
    for (const value of [0, -0, 0.5, -0.5, 0.999, -0.999, LIMIT, -LIMIT, 1e300, -1e300]) {
      assert.equal(needsNumberText(value), true, String(value));
    }
    for (const value of [1, -1, 2, -2, 123.456, -123.456, LIMIT - 1, -(LIMIT - 1)]) {
      assert.equal(needsNumberText(value), false, String(value));
    }
  });

  it('where it is false, finiteNumberText is String(value)', () => {
    for (let i = 0; i < 2000; i++) {
      const value = (Math.random() - 0.5) * 10 ** Math.floor(Math.random() * 40 - 20);
      if (!needsNumberText(value)) assert.equal(finiteNumberText(value), String(value), String(value));
    }
  });
});
