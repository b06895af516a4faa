/**
 * Nested params as key paths: `{ optimizer: { name: 'adam', lr: 1e-3 } }` is `optimizer.name` and `optimizer.lr`,
 * the names filters, `--group-by`, table columns and the report's axes use. Arrays and empty objects are values
 * (`layers` = `[64,32]`). Pure, with no Node import: the report page bundles it.
 */
import { defineName } from '../runtime/name_table.js';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Every leaf of `params` by its key path, in key order; a key that holds a dot itself is kept as it is. */
export function flattenParams(params: Record<string, unknown>): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  const visit = (value: unknown, prefix: string) => {
    if (isPlainObject(value) && Object.keys(value).length > 0) {
      for (const key of Object.keys(value)) visit(value[key], prefix === '' ? key : `${prefix}.${key}`);
    } else if (!Object.prototype.hasOwnProperty.call(flat, prefix)) {
      defineName(flat, prefix, value); // a key path named __proto__ is a plain key here, not the prototype
    }
  };
  for (const key of Object.keys(params)) visit(params[key], key);
  return flat;
}

/** `record[key]` when it is the record's own (never a prototype's `constructor` or `__proto__`). */
export function ownValue(record: Record<string, unknown>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

/** A param by its key (`optimizer`, an object) or key path (`optimizer.lr`); undefined when the run has none. */
export function paramAt(params: Record<string, unknown>, key: string): unknown {
  if (Object.prototype.hasOwnProperty.call(params, key)) return params[key];
  let current: unknown = params;
  for (const part of key.split('.')) {
    if (!isPlainObject(current) || !Object.prototype.hasOwnProperty.call(current, part)) return undefined;
    current = current[part];
  }
  return current;
}

/** Same JSON value: params compare by content (`[64,32]` equals `[64,32]`). */
export function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'object' && typeof b === 'object' && JSON.stringify(a) === JSON.stringify(b));
}

/**
 * The key paths of a set of runs' params, split into those whose value differs between the runs (a key some runs
 * lack differs) and those all runs share.
 */
export function splitKeyPaths(flatParams: readonly Record<string, unknown>[]): { differing: string[]; same: string[] } {
  const keys = [...new Set(flatParams.flatMap((params) => Object.keys(params)))].sort();
  const differing: string[] = [];
  const same: string[] = [];
  for (const key of keys) {
    const first = flatParams[0]![key];
    const differs = flatParams.some(
      (params) => !Object.prototype.hasOwnProperty.call(params, key) || !sameValue(params[key], first),
    );
    (differs && flatParams.length > 1 ? differing : same).push(key);
  }
  return { differing, same };
}
