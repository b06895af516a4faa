/**
 * The one check of a param value: is it a JSON value, and what exactly is the JSON it stands for. The base
 * Tracker runs it once per `logParam`, so every backend receives the same plain copy (or the caller gets the
 * same TypeError from every backend) instead of each backend's JSON.stringify failing its own way.
 *
 * The copy follows JSON.stringify's rules (a `toJSON` is called, `undefined` and functions inside an object are
 * left out and inside an array become null, a Map is `{}`), and says what is wrong where JSON.stringify would
 * throw or return nothing: a BigInt, a cycle, a `toJSON` that returns undefined, a value nested so deep that
 * readers refuse it. It walks with its own stack, so no nesting overflows the call stack, and it keeps a key
 * named `__proto__` as a key.
 */
import { defineName } from './name_table.js';

/** Deeper than this, Python's json (recursion limit 1000) and most readers refuse the document. */
export const MAX_JSON_DEPTH = 500;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** What is wrong and where, thrown inside the walk and turned into the TypeError that names the param. */
class NotJson extends Error {}

function describeKind(value: unknown): string {
  if (typeof value === 'bigint') {
    return `a BigInt (${value}n), which JSON cannot hold; convert it with Number() or String()`;
  }
  if (typeof value === 'function') return 'a function, which JSON cannot hold';
  if (typeof value === 'symbol') return 'a symbol, which JSON cannot hold';
  return 'undefined, which JSON cannot hold';
}

/** `value` after toJSON, as JSON.stringify sees it; `key` is what toJSON is given. */
function resolve(value: unknown, key: string): unknown {
  if (value !== null && (typeof value === 'object' || typeof value === 'bigint')) {
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return (toJSON as (key: string) => unknown).call(value, key);
  }
  // Boxed primitives, as JSON.stringify unboxes them.
  if (value instanceof Number || value instanceof String || value instanceof Boolean) return value.valueOf();
  return value;
}

/**
 * The JSON value `value` stands for, as a fresh plain copy; throws a TypeError naming `label` (e.g.
 * `logParam("optimizer")`) and the path of what is wrong.
 */
export function toJsonValue(label: string, value: unknown): JsonValue {
  try {
    const top = resolve(value, '');
    if (top === undefined || typeof top === 'function' || typeof top === 'symbol' || typeof top === 'bigint') {
      throw new NotJson(
        top === undefined && value !== undefined
          ? 'its toJSON() returned undefined, which JSON cannot hold'
          : `the value is ${describeKind(top)}`,
      );
    }
    return copy(top);
  } catch (error) {
    if (error instanceof NotJson) throw new TypeError(`${label}: ${error.message}`, { cause: error });
    throw error;
  }
}

interface Frame {
  source: object;
  target: JsonValue[] | Record<string, JsonValue>;
  keys: string[];
  index: number;
  path: string;
}

function pathOf(parent: string, key: string, isArray: boolean): string {
  if (isArray) return `${parent}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

function copy(root: unknown): JsonValue {
  if (root === null || typeof root !== 'object') return root as JsonValue;
  const open = new Set<object>();
  const stack: Frame[] = [];
  const enter = (source: object, path: string): JsonValue[] | Record<string, JsonValue> => {
    if (open.has(source))
      throw new NotJson(`${path || 'the value'} refers back to itself (a cycle): JSON has no cycles`);
    if (stack.length >= MAX_JSON_DEPTH) {
      throw new NotJson(`nested more than ${MAX_JSON_DEPTH} levels deep at ${path}; flatten it`);
    }
    open.add(source);
    const isArray = Array.isArray(source);
    const target: JsonValue[] | Record<string, JsonValue> = isArray ? [] : {};
    stack.push({ source, target, keys: isArray ? [] : Object.keys(source), index: 0, path });
    return target;
  };
  const result = enter(root, '');
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const isArray = Array.isArray(frame.source);
    const length = isArray ? (frame.source as unknown[]).length : frame.keys.length;
    if (frame.index >= length) {
      open.delete(frame.source);
      stack.pop();
      continue;
    }
    const key = isArray ? String(frame.index) : frame.keys[frame.index]!;
    frame.index += 1;
    const path = pathOf(frame.path, key, isArray);
    const item = resolve((frame.source as Record<string, unknown>)[key], key);
    let child: JsonValue | undefined;
    if (typeof item === 'bigint') throw new NotJson(`${path} is ${describeKind(item)}`);
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') {
      // As JSON.stringify: left out of an object, null in an array.
      if (!isArray) continue;
      child = null;
    } else if (item !== null && typeof item === 'object') {
      child = enter(item, path);
    } else {
      child = item as JsonValue;
    }
    if (isArray) (frame.target as JsonValue[]).push(child);
    else defineName(frame.target as Record<string, JsonValue>, key, child);
  }
  return result;
}

/**
 * True when `value` (parsed JSON: plain objects, arrays, primitives) nests deeper than `limit` levels. It walks
 * with its own stack: JSON.parse reads any depth, but JSON.stringify, a structured clone and every recursive walk
 * overflow the call stack on a value some hundred thousand levels deep.
 */
export function exceedsJsonDepth(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth >= limit) return true;
    for (const child of Object.values(item))
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}
