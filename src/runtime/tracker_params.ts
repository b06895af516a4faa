/**
 * The checks every built-in tracker applies to what it is given, so that the same mistake gets the same
 * answer from every backend: one numeric-parameter check, and one rule for where a run id may point.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { GymnosError } from '../errors.js';

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

/** `<logdir>/<runId>`; a run id may name a nested directory but never one outside `logdir`, nor `.` segments. */
export function runDirectory(label: string, logdir: string, runId: string): string {
  if (path.isAbsolute(runId) || runId.split(/[\\/]/).some((segment) => segment === '..' || segment === '.')) {
    throw new TypeError(
      `${label}: start(): runId ${JSON.stringify(runId)} must be a relative name without "." or ".." segments`,
    );
  }
  return path.join(logdir, runId);
}

/**
 * A GymnosError (kind conflict, code RUN_EXISTS) when `dir` already holds this tracker's run and `resume` is not
 * set, naming the directory and the two ways out.
 */
export function refuseExistingRun(
  label: string,
  dir: string,
  runId: string,
  options: { existing: (dir: string) => boolean; resume: boolean },
): void {
  if (options.resume || !existsSync(dir) || !options.existing(dir)) return;
  throw new GymnosError(
    'RUN_EXISTS',
    `${label}: run ${JSON.stringify(runId)} already exists (${dir}); pass resume: true to append to it, ` +
      'or start another run id',
    { kind: 'conflict', details: { dir, runId, tracker: label } },
  );
}
