/**
 * Numbers as a person reads them, the same in `gymnos runs` and in the report page (which bundles this module):
 * the shortest digits that read back as the value, with the noise of float arithmetic below a double's 15
 * significant decimal digits left out (`10 ** -4` is 0.00009999999999999999, shown `1e-4`), in exponent form
 * below 1e-3 and from 1e15 on, where plain digits are a row of zeros. The exact value stays in `--json` and in
 * the page's data (and its hover titles).
 *
 * Drawn values are float32 (the page's data keeps 7 significant digits): `formatFloat32` shows the shortest
 * digits that read back as the same float32, so a drawn 1e-4 is `1e-4`, not `0.00009999999747378752`.
 *
 * Pure, with no Node import: the report page bundles it.
 */

/** A double's decimal precision: any decimal of 15 significant digits survives a round trip through it. */
const DOUBLE_DIGITS = 15;

/** `1e+21` → `1e21`: the plus sign says nothing. */
function exponentText(value: number): string {
  return value.toExponential().replace('e+', 'e');
}

/** The shortest decimal that reads back as the float32 `single`. */
function shortestFloat32(single: number): number {
  for (let digits = 1; digits < 9; digits++) {
    const shorter = Number(single.toPrecision(digits));
    if (Math.fround(shorter) === single) return shorter;
  }
  return Number(single.toPrecision(9));
}

/**
 * The text of `value`: NaN, Infinity and -Infinity spelled as JSON files of runs spell them. A fraction that is
 * exactly a float32 (TensorBoard's scalars, a tfjs tensor's values) is shown with the digits that identify that
 * float32: 0.15 logged as float32 is the double 0.15000000596046448, and is shown `0.15`.
 */
export function formatNumber(value: number): string {
  if (value !== value || value === Infinity || value === -Infinity) return String(value);
  if (value === 0) return '0';
  const shown =
    !Number.isInteger(value) && Math.fround(value) === value
      ? shortestFloat32(value)
      : Number(value.toPrecision(DOUBLE_DIGITS));
  return inNotation(shown);
}

/** Plain digits, or exponent form where plain digits would be a row of zeros. */
function inNotation(shown: number): string {
  const magnitude = Math.abs(shown);
  return magnitude < 1e-3 || magnitude >= 1e15 ? exponentText(shown) : String(shown);
}

/** A drawn value (the page keeps float32s), or one computed from them: at float32 precision. */
export function formatFloat32(value: number): string {
  const single = Math.fround(value);
  if (single !== single || single === Infinity || single === -Infinity || single === 0) return formatNumber(single);
  return inNotation(shortestFloat32(single));
}
/** Significant digits a table column starts from: enough to read a metric, few enough to scan a column. */
const COLUMN_DIGITS = 5;

/**
 * A column of measured values (a metric's last or best per run), each rounded to the fewest significant digits,
 * at least 5, that keep the column's distinct values distinct, then written as `formatNumber` writes it: two runs
 * never read the same unless their values are, and a column of noisy doubles is not 17 digits wide. The exact
 * values stay in `--json` and in the report's hover titles.
 */
export function formatColumn(values: readonly (number | null)[]): string[] {
  const numbers = [...new Set(values.filter((value): value is number => value !== null && Number.isFinite(value)))];
  let digits = COLUMN_DIGITS;
  for (; digits < DOUBLE_DIGITS; digits++) {
    const texts = new Set(numbers.map((value) => value.toPrecision(digits)));
    if (texts.size === numbers.length) break;
  }
  return values.map((value) =>
    value === null ? '-' : Number.isFinite(value) ? formatNumber(Number(value.toPrecision(digits))) : String(value),
  );
}

/** A duration as a person reads it: `4.2s`, `12s`, `3m07s`, `2h05m`; `-` for none. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '-';
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(Math.floor(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** A time as the report writes it, the same on every machine: `2026-12-07 15:04:05 UTC`; `-` for none. */
export function formatUtcTime(ms: number | null): string {
  if (ms === null) return '-';
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

/** A param's value as a table cell: numbers as above, strings as they are, anything else as compact JSON. */
export function formatValue(value: unknown): string {
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string') return value;
  if (value === undefined) return '';
  return JSON.stringify(value, (_key, inner: unknown) =>
    typeof inner === 'number' && Number.isFinite(inner) ? Number(inner.toPrecision(DOUBLE_DIGITS)) : inner,
  );
}
