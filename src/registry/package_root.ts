import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** True when `dir` holds the gymnos package (the repository or an install): its package.json says "gymnos". */
export function isGymnosPackage(dir: string): boolean {
  try {
    return (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown }).name === 'gymnos';
  } catch {
    return false;
  }
}

/** The nearest directory at or above `start` that holds a package.json (as npm finds a project), or undefined. */
export function findPackageRoot(start: string): string | undefined {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/**
 * The directory of the gymnos package this code runs from. Found by walking up from this module, so it is
 * right from the TypeScript sources (src/), the compiled output (dist/) and the bundled CLI alike.
 */
export function gymnosRoot(): string {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (isGymnosPackage(dir)) return (cached = dir);
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('gymnos: cannot find the package root above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** 'src' when this code runs from the TypeScript sources (under tsx), 'dist' when it runs compiled. */
export function runningFrom(): 'src' | 'dist' {
  const relative = path.relative(gymnosRoot(), fileURLToPath(import.meta.url));
  return relative.split(path.sep)[0] === 'src' ? 'src' : 'dist';
}

/** A path as a user would type it: relative to `from` (the current directory) when inside it, else absolute. */
export function displayPath(file: string, from = process.cwd()): string {
  const relative = path.relative(from, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}
