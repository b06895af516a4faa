/**
 * Which registries `load` reads: the built-in trackers (gymnos's own var/trackers.json) and, beside them, the
 * registry of the project gymnos is used in.
 *
 * The project is `options.root` when given, else the nearest directory at or above process.cwd() that holds a
 * package.json (the rule npm and the CLI use), so a project's tests can call plain `load('my_tracker')`. A
 * project without var/trackers.json adds no trackers. In the gymnos repository itself (isGymnosRepository) there
 * is one registry, read as a whole, as before projects had their own.
 */
import path from 'node:path';
import { BUILTIN_TRACKERS, builtinTrackerModule, isBuiltinTracker } from './builtins.js';
import type { BuiltinTrackerName } from './builtins.js';
import { findPackageRoot, gymnosRoot, isGymnosRepository } from '../util/package_root.js';
import { readRegistry, REGISTRY_PATH } from './registry.js';
import type { Registry, RegistryEntry } from './registry.js';

/** Where a tracker is registered: among gymnos's built-ins, or in the project. */
export type TrackerSource = 'builtin' | 'project';

export interface CatalogEntry {
  entry: RegistryEntry;
  source: TrackerSource;
  /** The package the entry's module path is relative to. */
  root: string;
  registry: Registry;
}

export interface TrackerCatalog {
  /** gymnos's registry (in the gymnos package itself: the registry of `root`). */
  builtin: { root: string; registry: Registry };
  /** The project's registry, or undefined in the gymnos package itself. */
  project: { root: string; registry: Registry } | undefined;
  /** Where discovery looked when no project was found (for the unknown-name message). */
  searchedFrom: string | undefined;
  /** Every name `load` can resolve, built-ins first, in registry order. */
  entries: Map<string, CatalogEntry>;
  /** Project entries named like a built-in tracker (valid or not): refused, never loaded in its place. */
  shadows: Map<string, ShadowingEntry>;
}

export interface ShadowingEntry {
  name: string;
  /** 1-based line of its key in the project's registry. */
  line: number;
  registry: Registry;
}

/** Reads the registries `load` sees for `root` (see the module comment for the rule). */
export function readCatalog(options: { root?: string } = {}): TrackerCatalog {
  const discovered = options.root === undefined ? findPackageRoot(process.cwd()) : path.resolve(options.root);
  const entries = new Map<string, CatalogEntry>();
  const shadows = new Map<string, ShadowingEntry>();
  if (discovered === undefined || isGymnosRepository(discovered)) {
    // Discovery in a gymnos checkout means the gymnos this code runs from; an explicit root is taken as given.
    const root = options.root === undefined ? gymnosRoot() : discovered!;
    const registry = readRegistry(root);
    for (const entry of registry.entries.values()) {
      const source = isBuiltinTracker(entry.name) ? 'builtin' : 'project';
      entries.set(entry.name, { entry, source, root, registry });
    }
    return {
      builtin: { root, registry },
      project: undefined,
      searchedFrom: discovered === undefined ? process.cwd() : undefined,
      entries,
      shadows,
    };
  }
  const builtinRoot = gymnosRoot();
  // Only what gymnos ships (its table): trackers generated in a gymnos checkout are that checkout's.
  const builtinRegistry = builtinTable(builtinRoot);
  for (const entry of builtinRegistry.entries.values()) {
    entries.set(entry.name, { entry, source: 'builtin', root: builtinRoot, registry: builtinRegistry });
  }
  const registry = readRegistry(discovered);
  for (const entry of registry.entries.values()) {
    if (isBuiltinTracker(entry.name)) shadows.set(entry.name, { name: entry.name, line: entry.line, registry });
    else entries.set(entry.name, { entry, source: 'project', root: discovered, registry });
  }
  for (const problem of registry.problems) {
    if (isBuiltinTracker(problem.name) && !shadows.has(problem.name)) {
      shadows.set(problem.name, { name: problem.name, line: problem.line, registry });
    }
  }
  return {
    builtin: { root: builtinRoot, registry: builtinRegistry },
    project: { root: discovered, registry },
    searchedFrom: undefined,
    entries,
    shadows,
  };
}

/** The built-in table as a registry (what a project sees of gymnos's trackers; nothing to read). */
function builtinTable(root: string): Registry {
  const entries = new Map<string, RegistryEntry>();
  for (const [name, { exportName }] of Object.entries(BUILTIN_TRACKERS)) {
    const module = builtinTrackerModule(name as BuiltinTrackerName);
    entries.set(name, { name, target: `${module}#${exportName}`, module, exportName, line: 0, column: 0 });
  }
  return { file: path.join(root, REGISTRY_PATH), text: '', entries, problems: [] };
}
