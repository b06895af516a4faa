/**
 * From a registry entry to the file that holds its class, refusing anything that points outside the
 * package, and saying precisely what is wrong when the file is not there.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { GymnosError } from '../errors.js';
import type { Registry, RegistryEntry } from './registry.js';
import { quoted } from '../util/display_text.js';

/**
 * The entry's module path with forward slashes, or undefined when it would leave the package (an absolute path,
 * a URL or `..`). Shared by `load` and the lint contract rule `gymnos/tracker-module`.
 */
export function moduleInsidePackage(module: string): string | undefined {
  const relative = module.replace(/\\/g, '/');
  const escapes =
    path.isAbsolute(relative) || /^[a-z][a-z0-9+.-]*:/i.test(relative) || relative.split('/').includes('..');
  return escapes ? undefined : relative;
}

/** Why an entry is refused for pointing outside the package (without its location). */
export function outsidePackageMessage(entry: RegistryEntry): string {
  return (
    `${quoted(entry.name)} points to "${entry.module}", outside the package; ` +
    'use a path relative to src/, e.g. "trackers/<name>.js"'
  );
}

/** The entry's module path, checked to stay inside the package. */
function insideModulePath(entry: RegistryEntry, registryFile: string): string {
  const relative = moduleInsidePackage(entry.module);
  if (relative === undefined) {
    throw new GymnosError('TRACKER_OUTSIDE_PACKAGE', `${registryFile}:${entry.line}: ${outsidePackageMessage(entry)}`, {
      details: { file: registryFile, line: entry.line, name: entry.name, module: entry.module },
    });
  }
  return relative;
}

/** `trackers/x.js` -> `trackers/x.ts` (and .mjs -> .mts, .cjs -> .cts). */
export function sourceModulePath(relative: string): string {
  return relative.replace(/\.(m|c)?js$/, '.$1ts');
}

/** The inverse: a source path under src/ as a registry module path, `trackers/x.ts` -> `trackers/x.js`. */
export function registryModulePath(source: string): string {
  return source.replace(/\.(m|c)?ts$/, '.$1js');
}

interface ProjectModuleFiles {
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

/**
 * The entry's module with `.js` added, when it has no extension and that names a module the project has (its
 * TypeScript source, its build or a JavaScript source): what the entry meant, written as NodeNext imports are.
 */
export function moduleWithJs(root: string, module: string): string | undefined {
  if (/\.[cm]?[jt]s$/.test(module)) return undefined;
  const meant = `${module}.js`;
  const files = [
    path.join(root, 'src', sourceModulePath(meant)),
    path.join(root, 'src', meant),
    path.join(root, 'dist', meant),
  ];
  return files.some((file) => existsSync(file)) ? meant : undefined;
}

/** Why an entry whose module lacks `.js` does not resolve, and the entry it means (without its location). */
export function missingJsMessage(entry: RegistryEntry, meant: string): string {
  return `points to "${entry.module}" without .js; add .js: "${meant}#${entry.exportName}"`;
}

export function missingModuleError(root: string, entry: RegistryEntry, registry: Registry, candidates: string[]) {
  const meant = moduleWithJs(root, entry.module);
  if (meant) {
    return new GymnosError(
      'TRACKER_MODULE_MISSING',
      `tracker ${quoted(entry.name)} (${path.relative(root, registry.file)}:${entry.line}) ` +
        missingJsMessage(entry, meant),
      { details: { name: entry.name, file: registry.file, line: entry.line, candidates, module: meant } },
    );
  }
  const shown = candidates.map((file) => path.relative(root, file)).join(' or ');
  return new GymnosError(
    'TRACKER_MODULE_MISSING',
    `tracker ${quoted(entry.name)} (${path.relative(root, registry.file)}:${entry.line}) ` +
      `points to ${shown}, which does not exist; ` +
      `create the module or remove the entry from ${path.relative(root, registry.file)}`,
    { details: { name: entry.name, file: registry.file, line: entry.line, candidates } },
  );
}
