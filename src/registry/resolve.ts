/**
 * From a registry entry to the file that holds its class, refusing anything that points outside the
 * package, and saying precisely what is wrong when the file is not there.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { GymnosError } from './errors.js';
import type { Registry, RegistryEntry } from './registry.js';
import { runningFrom } from './package_root.js';

export interface ResolvedModule {
  /** The file to import, or undefined when none exists. */
  file: string | undefined;
  /** The files that were looked for, in order (for the error message). */
  candidates: string[];
}

/** The entry's module path, checked to stay inside the package (no absolute path, URL or `..`). */
function insideModulePath(entry: RegistryEntry, registryFile: string): string {
  const relative = entry.module.replace(/\\/g, '/');
  const escapes =
    path.isAbsolute(relative) || /^[a-z][a-z0-9+.-]*:/i.test(relative) || relative.split('/').includes('..');
  if (escapes) {
    throw new GymnosError(
      'TRACKER_OUTSIDE_PACKAGE',
      `${registryFile}:${entry.line}: "${entry.name}" points to "${entry.module}", outside the package; ` +
        'use a path relative to src/, e.g. "trackers/<name>.js"',
    );
  }
  return relative;
}

/** `trackers/x.js` -> `trackers/x.ts` (and .mjs -> .mts, .cjs -> .cts). */
export function sourceModulePath(relative: string): string {
  return relative.replace(/\.(m|c)?js$/, '.$1ts');
}

/**
 * The files an entry of the gymnos package may live in under `root`: from TypeScript sources (src/, under a
 * TS loader such as tsx) the .ts file first, then the build; from the build (dist/) the compiled .js only,
 * since Node cannot import .ts by itself.
 */
export function resolveEntryModule(root: string, entry: RegistryEntry, registryFile: string): ResolvedModule {
  const relative = insideModulePath(entry, registryFile);
  const js = path.join(root, 'dist', relative);
  const ts = path.join(root, 'src', sourceModulePath(relative));
  const candidates = runningFrom() === 'src' ? [ts, js] : [js];
  return { file: candidates.find((file) => existsSync(file)), candidates };
}

export interface ProjectModuleFiles {
  /** src/<module>.ts: imported first, which works under a TypeScript loader (tsx) and fails without one. */
  source: string | undefined;
  /** The other files, in order: the build (dist/<module>.js), then a JavaScript source (src/<module>.js). */
  fallbacks: string[];
  /** Every file looked for, in order (for the error message). */
  candidates: string[];
}

/**
 * The files a project's entry may live in. The project's own build state decides, not how gymnos runs: an
 * installed gymnos runs from dist/ while the project's tests run its TypeScript under tsx.
 */
export function projectModuleFiles(root: string, entry: RegistryEntry, registryFile: string): ProjectModuleFiles {
  const relative = insideModulePath(entry, registryFile);
  const ts = path.join(root, 'src', sourceModulePath(relative));
  const others = [path.join(root, 'dist', relative), path.join(root, 'src', relative)].filter((file) => file !== ts);
  return {
    source: /\.[cm]?ts$/.test(ts) && existsSync(ts) ? ts : undefined,
    fallbacks: others.filter((file) => existsSync(file)),
    candidates: [ts, ...others],
  };
}

export function missingModuleError(root: string, entry: RegistryEntry, registry: Registry, candidates: string[]) {
  const shown = candidates.map((file) => path.relative(root, file)).join(' or ');
  const source = path.join(root, 'src', sourceModulePath(entry.module));
  const hint =
    runningFrom() === 'dist' && existsSync(source)
      ? `${path.relative(root, source)} exists but is not built: run \`npm run build\``
      : `create the module or remove the entry from ${path.relative(root, registry.file)}`;
  return new GymnosError(
    'TRACKER_MODULE_MISSING',
    `tracker "${entry.name}" (${path.relative(root, registry.file)}:${entry.line}) ` +
      `points to ${shown}, which does not exist; ${hint}`,
  );
}
