/**
 * The one way to find a package: the nearest directory at or above a start that holds a package.json (as npm
 * finds a project). Used for the project a command or `load` works on, and for the gymnos package this code
 * runs from, whose own checkout gets one rule of its own (`isGymnosRepository`).
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GymnosError } from '../errors.js';

/** The nearest directory at or above `start` that holds a package.json, or undefined. */
export function findPackageRoot(start: string): string | undefined {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

let cachedGymnosRoot: string | undefined;

/**
 * The directory of the gymnos package this code runs from: the package around this module, so it is right from
 * the TypeScript sources (src/), the compiled output (dist/) and the bundled CLI (dist/cli-bundle/) alike.
 */
export function gymnosRoot(): string {
  cachedGymnosRoot ??= findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));
  if (cachedGymnosRoot === undefined) {
    throw new Error(`gymnos: no package.json above ${fileURLToPath(import.meta.url)}`);
  }
  return cachedGymnosRoot;
}

/**
 * True when `dir` is the gymnos repository itself (a checkout, or a copy of one), where trackers import the
 * base class by relative path, the registry holds the built-ins and `init` has nothing to do. Its name alone does
 * not say so: a user's own package may be named "gymnos". It is gymnos's sources that do: a package named
 * gymnos holding src/trackers/tracker.ts and src/index.ts, the files generated trackers then import.
 */
export function isGymnosRepository(dir: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown };
    if (manifest.name !== 'gymnos') return false;
  } catch {
    return false;
  }
  return ['src/trackers/tracker.ts', 'src/index.ts'].every((file) => existsSync(path.join(dir, file)));
}

/** True when `a` and `b` are the same directory (through symlinks); false when either is not there. */
export function samePath(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch (error) {
    if (['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '')) return false;
    throw error;
  }
}

/**
 * The project a command works on: `--cwd` or the current directory, then up to the nearest package.json, so
 * commands work from any subdirectory. None is a usage error saying what to do.
 */
export function requireProjectRoot(cwd: string | undefined): string {
  const start = path.resolve(cwd ?? process.cwd());
  if (!existsSync(start)) {
    throw new GymnosError('CWD_MISSING', `--cwd ${start} does not exist`, { details: { path: start } });
  }
  const root = findPackageRoot(start);
  if (root !== undefined) return root;
  throw new GymnosError(
    'NO_PROJECT',
    `no package.json in ${start} or above it; run gymnos inside your project or pass --cwd <dir>`,
    { details: { path: start } },
  );
}

/** A path as a user would type it: relative to `from` (the current directory) when inside it, else absolute. */
export function displayPath(file: string, from = process.cwd()): string {
  const relative = path.relative(from, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}
