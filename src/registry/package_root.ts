import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The directory of the gymnos package this code runs from. Found by walking up from this module, so it is
 * right from the TypeScript sources (src/), the compiled output (dist/) and the bundled CLI alike.
 */
export function gymnosRoot(): string {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'gymnos') return (cached = dir);
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

/** A path as a user would type it: relative to the current directory when inside it, else absolute. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}
