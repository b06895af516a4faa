/**
 * The checks every built-in tracker applies to what it is given, so that the same mistake gets the same
 * answer from every backend: one numeric-parameter check, and one rule for where a run id may point.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { GymnosError } from '../errors.js';
import { quoted } from '../util/display_text.js';
import { makeDirectorySync } from '../util/make_directory.js';

export interface NumberParamBounds {
  /** The smallest value allowed. */
  min: number;
  /** True when `min` itself is not allowed (a period of 0 ms that would spin, a queue of 0 items). */
  exclusive?: boolean;
}

/**
 * A numeric tracker parameter: `fallback` when it is undefined, else a finite number within `bounds`, or a
 * TypeError naming the tracker (`label`), the parameter and the value given.
 */
export function numberParam(
  label: string,
  name: string,
  value: unknown,
  fallback: number,
  bounds: NumberParamBounds,
): number {
  if (value === undefined) return fallback;
  const { min, exclusive = false } = bounds;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (exclusive && value === min)) {
    throw new TypeError(
      `${label}: ${name} must be a number ${exclusive ? '>' : '>='} ${min}, got ${describeValue(value)}`,
    );
  }
  return value;
}

/** A boolean tracker parameter: false when undefined, else a boolean, or a TypeError naming the tracker. */
export function booleanParam(label: string, name: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean')
    throw new TypeError(`${label}: ${name} must be true or false, got ${describeValue(value)}`);
  return value;
}

function describeValue(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value) ?? String(value);
}

/** The longest file name most file systems take, in bytes: a longer run id segment cannot be a directory. */
const MAX_NAME_BYTES = 255;

/**
 * `<logdir>/<runId>`; a run id may name a nested directory but never one outside `logdir`, nor `.` segments, nor
 * hold a NUL or a segment longer than a file name can be (a TypeError naming the tracker, as for any bad argument).
 */
export function runDirectory(label: string, logdir: string, runId: string): string {
  const bad = (why: string) => new TypeError(`${label}: start(): runId ${quoted(runId.slice(0, 300))} ${why}`);
  if (path.isAbsolute(runId) || runId.split(/[\\/]/).some((segment) => segment === '..' || segment === '.')) {
    throw bad('must be a relative name without "." or ".." segments');
  }
  if (runId.includes('\0') || logdir.includes('\0')) throw bad(`or logdir ${quoted(logdir)} holds a NUL character`);
  if (runId.split(/[\\/]/).some((segment) => Buffer.byteLength(segment) > MAX_NAME_BYTES)) {
    throw bad(`has a segment longer than ${MAX_NAME_BYTES} bytes, which no directory name can be`);
  }
  return path.join(logdir, runId);
}

/**
 * Creates a run directory and its parents. An error of the file system (a logdir that is a file or a device, a
 * read-only or full disk, no permission, a directory under /proc) is a GymnosError LOGDIR_UNUSABLE naming the
 * tracker and the directory, in one line.
 */
export function makeRunDirectory(label: string, dir: string): void {
  try {
    makeDirectorySync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    throw new GymnosError(
      'LOGDIR_UNUSABLE',
      `${label}: cannot create the run directory ${dir}: ${(error as Error).message}; start the run in a logdir ` +
        'you can write to',
      { kind: 'failure', details: { dir, code, tracker: label }, cause: error },
    );
  }
}

/** The GymnosError (kind conflict, code RUN_EXISTS) of a start whose run `dir` already holds this tracker's run. */
export function runExistsError(label: string, dir: string, runId: string): GymnosError {
  return new GymnosError(
    'RUN_EXISTS',
    `${label}: run ${quoted(runId)} already exists (${dir}); pass resume: true to append to it, ` +
      'or start another run id',
    { kind: 'conflict', details: { dir, runId, tracker: label } },
  );
}

/**
 * RUN_EXISTS (see runExistsError) when `dir` already holds this tracker's run and `resume` is not set. A check
 * only: a tracker that must be sure creates its files exclusively, or checks and creates under a lock.
 */
export function refuseExistingRun(
  label: string,
  dir: string,
  runId: string,
  options: { existing: (dir: string) => boolean; resume: boolean },
): void {
  if (options.resume || !existsSync(dir) || !options.existing(dir)) return;
  throw runExistsError(label, dir, runId);
}
