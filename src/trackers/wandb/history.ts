/**
 * W&B's history and summary as file_stream carries them: each history row one line of JSON text, `_step` (the
 * gymnos step), `_runtime` (seconds since the run started) and `_timestamp` (Unix seconds) first, then the row's
 * values; the summary one line, the latest value of every key. Non-finite numbers are written bare (`NaN`,
 * `Infinity`, `-Infinity`), as W&B's own clients write them and its server reads them: JSON has no spelling for them.
 */
import type { RowRecord, RowValue } from '../remote/records.js';

const BARE = new Set(['NaN', 'Infinity', '-Infinity']);

/** One value as W&B's JSON has it. */
function encodeValue(value: RowValue | unknown): string {
  if (typeof value === 'string' && BARE.has(value)) return value;
  if (typeof value === 'number' && !Number.isFinite(value))
    return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
  return JSON.stringify(value) ?? 'null';
}

/** An object's JSON text, with its own fields first. */
function encodeObject(head: Record<string, number>, values: Record<string, unknown>): string {
  const parts = Object.entries(head).map(([key, value]) => `${JSON.stringify(key)}:${encodeValue(value)}`);
  for (const [key, value] of Object.entries(values)) parts.push(`${JSON.stringify(key)}:${encodeValue(value)}`);
  return `{${parts.join(',')}}`;
}

/** The fields W&B gives every history row. */
export function rowHead(row: Pick<RowRecord, 'step' | 'timestamp'>, startTime: number): Record<string, number> {
  return {
    _step: row.step,
    _runtime: Math.max(0, (row.timestamp - startTime) / 1000),
    _timestamp: row.timestamp / 1000,
  };
}

/** A row's line of `wandb-history.jsonl`. */
export function historyLine(row: RowRecord, startTime: number): string {
  return encodeObject(rowHead(row, startTime), row.values);
}

/** The line of `wandb-summary.json`. */
export function summaryLine(summary: Record<string, unknown>): string {
  return encodeObject({}, summary);
}

/** `summary` updated with the values of `rows`, in order: the latest value of each key, and the last row's head. */
export function updatedSummary(
  summary: Record<string, unknown>,
  rows: readonly RowRecord[],
  startTime: number,
): Record<string, unknown> {
  const next: Record<string, unknown> = { ...summary };
  for (const row of rows) {
    for (const [key, value] of Object.entries({ ...rowHead(row, startTime), ...row.values })) {
      Object.defineProperty(next, key, { value, enumerable: true, writable: true, configurable: true });
    }
  }
  return next;
}

/**
 * Parses W&B's JSON (a summary, a history line), whose non-finite numbers are bare: they come back as the strings
 * `'NaN'`, `'Infinity'`, `'-Infinity'` (the wire spelling of the delivery's records). Undefined when it is not JSON.
 */
export function parseHistoryJson(text: string): unknown {
  // Bare tokens outside strings become strings: a string is skipped whole by the first alternative.
  const quoted = text.replace(
    /("(?:[^"\\]|\\.)*")|(-?Infinity|NaN)/g,
    (match, string: string | undefined) => string ?? `"${match}"`,
  );
  try {
    return JSON.parse(quoted);
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}
