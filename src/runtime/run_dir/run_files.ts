/**
 * How the readers open a run's files, whoever wrote them (a logdir received from someone else is data, not code):
 *
 * - only a file that resolves inside the run directory, symlinks included: a `params.json` linked to a secret, or
 *   a figure event whose path is absolute or climbs out with `..`, would otherwise end up in `runs --json` or in a
 *   report someone shares;
 * - only a regular file: a FIFO named `params.json` would block the reading forever (it is opened non-blocking and
 *   refused), a directory named like a file is not one;
 * - only as much as a reader can hold: a file larger than its limit is refused, not read.
 *
 * What is refused is a GymnosError RUN_FILE_INVALID naming the file relative to the run (the listing reports the
 * run and skips it); what is absent is `undefined`.
 */
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { GymnosError } from '../../errors.js';
import { MAX_JSON_DEPTH, exceedsJsonDepth } from '../json_value.js';
import { defineName } from '../name_table.js';

/** The most a JSON document of a run (params.json, tags.json) may hold. */
const MAX_JSON_FILE_BYTES = 64 * 1024 * 1024;

/** RUN_FILE_INVALID: `<file>: <what>`; `details.reason` is `what` alone, for a page that names no path. */
export function runFileError(dir: string, relative: string, what: string, cause?: unknown): GymnosError {
  const file = path.join(dir, relative);
  return new GymnosError('RUN_FILE_INVALID', `${file}: ${what}`, {
    kind: 'failure',
    details: { file, relative, reason: what },
    cause,
  });
}

/** True when `target` is `dir` or under it (both absolute and normalized). */
function isInside(dir: string, target: string): boolean {
  const relative = path.relative(dir, target);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/** An open run file: its descriptor (the caller closes it) and its size. */
export interface RunFileHandle {
  fd: number;
  size: number;
}

/**
 * Opens `relative` (a path with `/`, from the run directory) for reading, or undefined when there is no such
 * file. Throws RUN_FILE_INVALID when it would resolve outside the run directory or is not a regular file.
 */
export function openRunFile(dir: string, relative: string): RunFileHandle | undefined {
  const target = path.resolve(dir, relative);
  if (path.isAbsolute(relative) || !isInside(path.resolve(dir), target)) {
    throw runFileError(dir, relative, 'is outside the run directory; not read');
  }
  let real: string;
  try {
    real = realpathSync(target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw runFileError(dir, relative, `cannot be read (${code ?? (error as Error).message})`, error);
  }
  if (!isInside(realpathSync(dir), real)) {
    throw runFileError(dir, relative, 'links outside the run directory; not read');
  }
  let fd: number;
  try {
    // Non-blocking: opening a FIFO for reading would otherwise wait for a writer, forever.
    fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw runFileError(dir, relative, `cannot be read (${code ?? (error as Error).message})`, error);
  }
  const stat = fstatSync(fd);
  if (!stat.isFile()) {
    closeSync(fd);
    throw runFileError(dir, relative, 'is not a regular file; not read');
  }
  return { fd, size: stat.size };
}

/** The bytes of `relative` (see openRunFile), refused when larger than `maxBytes`; undefined when absent. */
export function readRunFile(dir: string, relative: string, maxBytes: number): Buffer | undefined {
  const handle = openRunFile(dir, relative);
  if (handle === undefined) return undefined;
  try {
    if (handle.size > maxBytes) {
      throw runFileError(dir, relative, `is larger than ${Math.round(maxBytes / 1024 / 1024)} MiB; not read`);
    }
    const bytes = Buffer.allocUnsafe(handle.size);
    let read = 0;
    while (read < bytes.length) {
      const got = readSync(handle.fd, bytes, read, bytes.length - read, read);
      if (got === 0) break;
      read += got;
    }
    return bytes.subarray(0, read);
  } finally {
    closeSync(handle.fd);
  }
}

/**
 * `params.json` or `tags.json` of a run: `{}` when absent; a file that is not a JSON object, or that a reader
 * may not open (see openRunFile), is RUN_FILE_INVALID. The object has no prototype, so that a key named
 * `__proto__` or `constructor` is a key like any other, and a value nested deeper than any reader takes is
 * replaced by a note saying so.
 */
export function readRunJsonObject(dir: string, name: string): Record<string, unknown> {
  const bytes = readRunFile(dir, name, MAX_JSON_FILE_BYTES);
  if (bytes === undefined) return Object.create(null) as Record<string, unknown>;
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw runFileError(dir, name, `is not valid JSON: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw runFileError(dir, name, 'is not a JSON object');
  }
  const object = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of Object.entries(parsed)) {
    defineName(object, key, readableJson(value));
  }
  return object;
}

/** A value read from a run's JSON, or a note in its place when it is nested too deep to print or compare. */
export function readableJson(value: unknown): unknown {
  return exceedsJsonDepth(value, MAX_JSON_DEPTH)
    ? `(a value nested deeper than ${MAX_JSON_DEPTH} levels; not shown)`
    : value;
}
