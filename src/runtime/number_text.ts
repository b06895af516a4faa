/**
 * How a finite float64 is written to a text file so that every reader reads the same value: JavaScript's
 * shortest round-trip digits, in the form each reader parses best.
 *
 * - Integral values of 2^53 or more are written in exponent form (`1e+20`, not `100000000000000000000`): as a
 *   plain integer, pandas rejects the file ("Value is too big") or wraps it through uint64, and Python's json
 *   reads an int where the value was a float.
 * - Negative zero is `-0.0`: `String(-0)` is `0`, and a reader cannot tell it was ever negative.
 * - A value below 1 with more than six significant digits is written in exponent form (`6.551540484651924e-4`,
 *   not `0.0006551540484651924`): pandas' default parsers lose digits after leading zeros (thousands of units in
 *   the last place for read_csv, millions for read_json), and are within two to seven units on the exponent form.
 *   Short values (`0.5`, `0.001`) stay as they are: pandas reads them exactly.
 *
 * Bit-exact round trips hold for `JSON.parse`, Python's `json` and `float()`, and for pandas with
 * `read_json(..., precise_float=True)` or `read_csv(..., float_precision="round_trip")` (subnormals excepted:
 * pandas' precise JSON parser refuses them); docs/trackers/jsonl.md and csv.md say the same for users.
 */

const EXACT_INTEGER_LIMIT = 2 ** 53;
const SHORT_DIGITS = 6;

/** The text of a finite number (callers handle NaN and ±Infinity, whose spelling is the format's). */
export function finiteNumberText(value: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0';
  if (value >= EXACT_INTEGER_LIMIT || value <= -EXACT_INTEGER_LIMIT) {
    return Number.isInteger(value) ? value.toExponential() : String(value);
  }
  // JSON.stringify writes a finite number as String does (ECMAScript's Number::toString), and on V8 faster: it
  // skips the number-string cache (170 against 290 ns for a float32 loss, measured on Node 20).
  if (value >= 1 || value <= -1) return JSON.stringify(value);
  // A fraction. toExponential() writes the same shortest round-trip digits as String, as `d.ddde-k` (one digit:
  // `de-k`): the digits are the characters before the `e`, less the sign and the point. More than six, that is
  // the text; six or fewer, String's (`0.00ddd`, or that same exponent form below 1e-6). One conversion where
  // the decimal text and then the exponent form would take two: this runs for most logged losses and accuracies.
  const exponential = value.toExponential();
  const digits = exponential.indexOf('e') - (value < 0 ? 2 : 1);
  return digits > SHORT_DIGITS ? exponential : JSON.stringify(value);
}

/** True when `finiteNumberText` may differ from `String(value)`: a cheap test for stringifyJson's replacer. */
export function needsNumberText(value: number): boolean {
  return value < 1 ? value > -1 || value <= -EXACT_INTEGER_LIMIT : value >= EXACT_INTEGER_LIMIT;
}
