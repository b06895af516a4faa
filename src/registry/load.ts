/**
 * `load(name, params)`: a new instance of a registered tracker, built-in or the project's.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { explainConstructionError, isTrackerClass } from '../trackers/tracker.js';
import type { Tracker } from '../trackers/tracker.js';
import { closestName } from '../util/closest.js';
import { GymnosError } from '../errors.js';
import { displayPath } from '../util/package_root.js';
import { readCatalog } from './project.js';
import type { CatalogEntry, ShadowingEntry, TrackerCatalog, TrackerSource } from './project.js';
import type { Registry } from './registry.js';
import { missingModuleError, projectModuleFiles } from './resolve.js';
import { builtinTrackerFile, isBuiltinTracker, loadBuiltinTracker } from './builtins.js';
import type { BuiltinTrackerName } from './builtins.js';
import { warnUnknownParams } from './params.js';
import type { TrackerParamsOf } from './params.js';
import { escaped, quoted } from '../util/display_text.js';
import { packageManagerOf } from '../util/package_manager.js';

export interface LoadOptions {
  /**
   * The project whose `var/trackers.json` is loaded beside the built-in trackers. Default: the nearest
   * directory at or above `process.cwd()` that holds a package.json. The gymnos package itself (a package.json
   * named "gymnos") has one registry, its own.
   */
  root?: string;
}

export interface LoadedTrackerClass {
  Class: new (params?: object) => Tracker;
  /** The registry the tracker is registered in. */
  registry: Registry;
  /** The module imported. */
  file: string;
  source: TrackerSource;
  /** The package the module belongs to (gymnos, or the project). */
  root: string;
}

/** Node's errors for a .ts file it cannot run by itself: there is no TypeScript loader (or it cannot strip it). */
const NO_TYPESCRIPT_LOADER = new Set([
  'ERR_UNKNOWN_FILE_EXTENSION',
  'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX',
  'ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING',
]);

/** The class registered under `name`. Throws a GymnosError saying what is wrong and where. */
export async function loadTrackerClass(name: string, options: LoadOptions = {}): Promise<LoadedTrackerClass> {
  return loadFromCatalog(readCatalog(options), name);
}

/** The same, from registries already read (`gymnos list` reads them once for every tracker). */
async function loadFromCatalog(catalog: TrackerCatalog, name: string): Promise<LoadedTrackerClass> {
  const shadow = catalog.shadows.get(name);
  if (shadow) throw shadowError(shadow);
  const item = catalog.entries.get(name);
  if (!item) throw unknownTrackerError(catalog, name);
  return loadCatalogEntry(catalog, item);
}

/** The class of one entry of the catalog (a built-in resolves even while a project entry shadows its name). */
export async function loadCatalogEntry(catalog: TrackerCatalog, item: CatalogEntry): Promise<LoadedTrackerClass> {
  const { entry, registry, root } = item;
  const name = entry.name;
  if (item.source === 'builtin' && isBuiltinTracker(name)) return loadBuiltin(item, name);
  const { module, file } = await importPackageModule(item);
  const Class = exportOf(module, entry.exportName);
  if (!isTrackerClass(Class)) {
    const what = Class === undefined ? 'does not export' : 'exports something other than a Tracker subclass as';
    // A mistyped export (#MyTrackr): the Tracker class the module does export under a close name.
    const guess = Class === undefined ? closestName(entry.exportName, trackerExportsOf(module)) : undefined;
    const registryFile = path.relative(root, registry.file);
    const fix = guess
      ? `did you mean ${quoted(guess)}? (${quoted(`${entry.module}#${guess}`)} in ${registryFile})`
      : 'export a class that extends Tracker under that name';
    throw new GymnosError(
      'TRACKER_EXPORT_INVALID',
      `tracker ${quoted(name)} (${path.relative(root, registry.file)}:${entry.line}): ` +
        `${path.relative(root, file)} ${what} "${entry.exportName}"; ${fix}`,
      { details: { name, file, export: entry.exportName, ...(guess ? { closest: guess } : {}) } },
    );
  }
  return { Class, registry, file, source: item.source, root };
}

/**
 * A new instance of the tracker registered under `name`, constructed with `params`: typed by name through
 * `TrackerParamsMap` (params.ts), so an unknown or misspelled param of a known tracker is a type error.
 */
export async function load<Name extends string>(
  name: Name,
  params: TrackerParamsOf<Name> = {} as TrackerParamsOf<Name>,
  options: LoadOptions = {},
): Promise<Tracker> {
  // Wrong arguments are the caller's bug: a TypeError saying what was expected, before anything is read.
  if (typeof name !== 'string' || name === '') {
    throw new TypeError(`load(): name must be a registered tracker's name (a string), got ${typeName(name)}`);
  }
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw new TypeError(`load("${name}"): params must be an object of parameters, got ${typeName(params)}`);
  }
  const { Class, source } = await loadTrackerClass(name, options);
  if (source === 'builtin') warnUnknownParams(name, params);
  try {
    return new Class(params);
  } catch (error) {
    throw explainConstructionError(error, Class.name);
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? 'an empty string' : typeof value;
}

/** The refusal of a project entry named like a built-in tracker (`gymnos list` shows it too). */
export function shadowError({ name, line, registry }: ShadowingEntry): GymnosError {
  return new GymnosError(
    'TRACKER_SHADOWS_BUILTIN',
    `${displayPath(registry.file)}:${line}: ${quoted(name)} is the name of a built-in tracker, which a project ` +
      `tracker may not take; rename this entry (e.g. "my_${name}")`,
  );
}

function unknownTrackerError(catalog: TrackerCatalog, name: string): GymnosError {
  for (const registry of [catalog.project?.registry, catalog.builtin.registry]) {
    const problem = registry?.problems.find((p) => p.name === name);
    if (problem)
      return new GymnosError('TRACKER_ENTRY_INVALID', `${registry!.file}:${problem.line}: ${problem.message}`);
  }
  const names = [...catalog.entries.keys()];
  const suggestion = closestName(name, names);
  const list = (items: string[]) => (items.length ? items.map(escaped).join(', ') : '(none)');
  let registered: string;
  if (catalog.project) {
    const bySource = (source: TrackerSource) => names.filter((n) => catalog.entries.get(n)!.source === source);
    const { root, registry } = catalog.project;
    registered =
      `Built-in: ${list(bySource('builtin'))}; ` +
      (registry.text === ''
        ? `project ${displayPath(root)}: none (it has no var/trackers.json)`
        : `project (${displayPath(registry.file)}): ${list(bySource('project'))}`);
  } else {
    registered = `Registered: ${list(names)}`;
    if (catalog.searchedFrom)
      registered += ` (no package.json at or above ${catalog.searchedFrom}: no project trackers)`;
  }
  return new GymnosError(
    'TRACKER_NOT_FOUND',
    `unknown tracker ${quoted(name)}.` + (suggestion ? ` Did you mean ${quoted(suggestion)}?` : '') + ` ${registered}`,
  );
}

/**
 * A named export of an imported module. A CommonJS module (a .ts or .js file in a package without
 * `"type": "module"`) comes to `import()` as a namespace whose named exports are whatever Node's static scan of
 * its source found: none at all for what tsx compiles, while `require` sees them all. Its `module.exports` is
 * always the default export, so the name is looked up there too: `load` and `gymnos list` then find the class
 * whatever the loader or the module type, exactly as the project's own `require` does.
 */
function exportOf(module: Record<string, unknown>, name: string): unknown {
  if (module[name] !== undefined) return module[name];
  const exports = module.default;
  return typeof exports === 'object' && exports !== null ? (exports as Record<string, unknown>)[name] : undefined;
}

/** The names a module exports Tracker classes under (a CommonJS module's `module.exports` included). */
function trackerExportsOf(module: Record<string, unknown>): string[] {
  const exports = typeof module.default === 'object' && module.default !== null ? module.default : {};
  const names = new Set([...Object.keys(module), ...Object.keys(exports)]);
  return [...names].filter((exported) => isTrackerClass(exportOf(module, exported)));
}

async function importFile(file: string): Promise<Record<string, unknown>> {
  return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
}

function importFailed({ entry, root }: CatalogEntry, file: string, error: unknown): GymnosError {
  return new GymnosError(
    'TRACKER_IMPORT_FAILED',
    `tracker ${quoted(entry.name)}: importing ${path.relative(root, file)} failed: ${(error as Error).message}`,
    { cause: error },
  );
}

/** A built-in tracker, through gymnos's table: its module is imported relative to the table itself. */
async function loadBuiltin(item: CatalogEntry, name: BuiltinTrackerName): Promise<LoadedTrackerClass> {
  const file = builtinTrackerFile(name);
  try {
    return {
      Class: await loadBuiltinTracker(name),
      registry: item.registry,
      file,
      source: 'builtin',
      root: item.root,
    };
  } catch (error) {
    throw importFailed(item, file, error);
  }
}

/**
 * A module of a package's own registry (a project's, or one generated in the gymnos repository): its TypeScript
 * source when Node can import it (under tsx, or any TS loader), else its build, else a JavaScript source.
 * Importing the source is the test of whether a loader is there.
 */
async function importPackageModule(item: CatalogEntry) {
  const { entry, registry, root } = item;
  const { source, fallbacks, candidates } = projectModuleFiles(root, entry, registry.file);
  let noLoader: unknown;
  if (source) {
    try {
      return { module: await importFile(source), file: source };
    } catch (error) {
      if (!NO_TYPESCRIPT_LOADER.has((error as NodeJS.ErrnoException)?.code ?? ''))
        throw importFailed(item, source, error);
      noLoader = error;
    }
  }
  const [fallback] = fallbacks;
  if (fallback) {
    try {
      return { module: await importFile(fallback), file: fallback };
    } catch (error) {
      throw importFailed(item, fallback, error);
    }
  }
  if (source) {
    throw new GymnosError(
      'TRACKER_NOT_BUILT',
      `tracker ${quoted(entry.name)} (${displayPath(registry.file)}:${entry.line}): Node cannot import ` +
        `${path.relative(root, source)} without a TypeScript loader, and ${path.relative(root, candidates[1]!)} ` +
        `is not built; run under tsx (\`node --import tsx\`, or \`tsx\`) or build the project ` +
        `(\`${packageManagerOf(root).run('build')}\`)`,
      { cause: noLoader },
    );
  }
  throw missingModuleError(root, entry, registry, candidates);
}
