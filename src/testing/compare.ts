/**
 * The conformance kit's comparisons of what the backend holds with what was logged: every metric's exact value
 * (or its float32, for a backend that says it keeps float32), every param's value, every tag, every file's
 * content. Each assertion lists all that differs, not only the first.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import type { Expected, LoggedFile, Metric } from './logged.js';
import type { BackendFile, BackendRecord } from './types.js';

/** How many differences a failure lists before it says how many more there are. */
const SHOWN = 8;

function listed(problems: string[]): string[] {
  return problems.length > SHOWN ? [...problems.slice(0, SHOWN), `... and ${problems.length - SHOWN} more`] : problems;
}

/** Equal as the backend keeps it: the same float64 (NaN for NaN), or with `float32` the same float32. */
function sameNumber(got: number, want: number, float32: boolean): boolean {
  if (Number.isNaN(want)) return Number.isNaN(got);
  return got === want || (float32 && Math.fround(got) === Math.fround(want));
}

/** Asserts every expected metric is in the record (extra ones, like a backend's own system metrics, are fine). */
export function assertMetrics(record: BackendRecord['metrics'], expected: readonly Metric[], float32: boolean): void {
  assert.ok(Array.isArray(record), 'readBack returned no metrics array');
  const held = new Map<string, number[]>();
  for (const got of record) {
    const key = `${got.name}@${got.step}`;
    held.set(key, [...(held.get(key) ?? []), got.value]);
  }
  const problems = expected.flatMap((want) => {
    const values = held.get(`${want.name}@${want.step}`) ?? [];
    if (values.some((value) => sameNumber(value, want.value, float32))) return [];
    const has = values.length === 0 ? 'missing' : `the backend has ${values.join(', ')}`;
    return [`${want.name}@${want.step}=${want.value} (${has})`];
  });
  assert.deepEqual(
    listed(problems),
    [],
    `${problems.length} of ${expected.length} metrics logged are not in the backend as logged` +
      (float32 ? ' (compared as float32)' : ' (compared as the exact float64 logged)'),
  );
}

/** Equal as a backend may keep it: the JSON value itself, or its JSON text, or (for a string) the string. */
function sameParam(got: unknown, want: unknown): boolean {
  if (typeof got === 'string' && got === (typeof want === 'string' ? want : JSON.stringify(want))) return true;
  return isDeepStrictEqual(got, want);
}

/** Asserts every param logged is in the record with its value. */
export function assertParams(record: NonNullable<BackendRecord['params']>, expected: Expected['params']): void {
  const problems = Object.entries(expected).flatMap(([key, want]) => {
    if (!Object.hasOwn(record, key)) return [`${key}: missing`];
    const got = record[key];
    return sameParam(got, want)
      ? []
      : [`${key}: the backend has ${JSON.stringify(got)}, logged ${JSON.stringify(want)}`];
  });
  assert.deepEqual(listed(problems), [], 'params logged but not in the backend with their values');
}

/** Asserts every tag logged is in the record with its value. */
export function assertTags(record: NonNullable<BackendRecord['tags']>, expected: Expected['tags']): void {
  const problems = Object.entries(expected).flatMap(([key, want]) => {
    if (!Object.hasOwn(record, key)) return [`${key}: missing`];
    return record[key] === want ? [] : [`${key}: the backend has ${JSON.stringify(record[key])}, logged "${want}"`];
  });
  assert.deepEqual(listed(problems), [], 'tags logged but not in the backend with their values');
}

/** The file logged under `name`: its last path segment is `name` or starts with `name.`. */
function isNamed(file: BackendFile, name: string): boolean {
  const last = (typeof file === 'string' ? file : file.name).split(/[\\/]/).at(-1)!;
  return last === name || last.startsWith(`${name}.`);
}

/** What the backend holds of `file`: the bytes at its path, or the content read back; undefined for no file. */
function contentOf(file: BackendFile): Uint8Array | string | object | undefined {
  if (typeof file !== 'string') return file.content;
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

/** The same bytes; for a figure given as a spec, the same JSON value (as an object, or as its text). */
function sameContent(got: Uint8Array | string | object, want: LoggedFile['content']): boolean {
  const gotBytes = typeof got === 'string' ? Buffer.from(got) : got instanceof Uint8Array ? got : undefined;
  if (want instanceof Uint8Array) return gotBytes !== undefined && Buffer.from(want).equals(gotBytes);
  if (gotBytes === undefined) return isDeepStrictEqual(got, want);
  return isDeepStrictEqual(parsedJson(Buffer.from(gotBytes).toString('utf8')), want);
}

function sizeOf(content: Uint8Array | string | object): string {
  if (typeof content === 'string') return `${Buffer.byteLength(content)} bytes`;
  return content instanceof Uint8Array ? `${content.byteLength} bytes` : 'an object';
}

/** Asserts every file logged is in the record with the content it was logged with. */
export function assertFiles(record: NonNullable<BackendRecord['files']>, expected: readonly LoggedFile[]): void {
  const problems = expected.flatMap((want) => {
    const candidates = record.filter((file) => isNamed(file, want.name));
    if (candidates.length === 0) return [`${want.name}: missing`];
    const contents = candidates.map(contentOf);
    if (contents.some((content) => content !== undefined && sameContent(content, want.content))) return [];
    if (contents.every((content) => content === undefined)) {
      return [`${want.name}: no content (give { name, content } or the path of the stored copy)`];
    }
    const got = contents.filter((content) => content !== undefined).map(sizeOf);
    return [`${want.name}: the content differs (the backend has ${got.join(', ')}; logged ${sizeOf(want.content)})`];
  });
  const names = record.map((file) => (typeof file === 'string' ? file : file.name)).join(', ') || 'nothing';
  assert.deepEqual(listed(problems), [], `files logged but not in the backend as logged (it has: ${names})`);
}
