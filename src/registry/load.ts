/**
 * `load(name, params)`: a new instance of a registered tracker.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { closest, distance } from 'fastest-levenshtein';
import { isTrackerClass } from '../trackers/tracker.js';
import type { Tracker } from '../trackers/tracker.js';
import { GymnosError } from './errors.js';
import { gymnosRoot } from './package_root.js';
import { readRegistry } from './registry.js';
import type { Registry } from './registry.js';
import { missingModuleError, resolveEntryModule } from './resolve.js';

export interface LoadOptions {
  /** The package whose `var/trackers.json` to read; default: the gymnos package itself. */
  root?: string;
}

/** The closest registered name, if it is close enough to be what the user meant. */
export function closestName(name: string, names: readonly string[]): string | undefined {
  if (names.length === 0) return undefined;
  const best = closest(name, names as string[]);
  return distance(name, best) <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** The class registered under `name`. Throws a GymnosError saying what is wrong and where. */
export async function loadTrackerClass(
  name: string,
  options: LoadOptions = {},
): Promise<{ Class: new (params?: object) => Tracker; registry: Registry; file: string }> {
  const root = options.root ?? gymnosRoot();
  const registry = readRegistry(root);
  const entry = registry.entries.get(name);
  if (!entry) {
    const problem = registry.problems.find((p) => p.name === name);
    if (problem) throw new GymnosError('TRACKER_ENTRY_INVALID', `${registry.file}:${problem.line}: ${problem.message}`);
    const names = [...registry.entries.keys()];
    const suggestion = closestName(name, names);
    throw new GymnosError(
      'TRACKER_NOT_FOUND',
      `unknown tracker "${name}".` +
        (suggestion ? ` Did you mean "${suggestion}"?` : '') +
        ` Registered: ${names.length ? names.join(', ') : '(none)'}`,
    );
  }
  const { file, candidates } = resolveEntryModule(root, entry, registry.file);
  if (!file) throw missingModuleError(root, entry, registry, candidates);
  let module: Record<string, unknown>;
  try {
    module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new GymnosError(
      'TRACKER_IMPORT_FAILED',
      `tracker "${name}": importing ${path.relative(root, file)} failed: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const Class = module[entry.exportName];
  if (!isTrackerClass(Class)) {
    const what = Class === undefined ? 'does not export' : 'exports something other than a Tracker subclass as';
    throw new GymnosError(
      'TRACKER_EXPORT_INVALID',
      `tracker "${name}" (${path.relative(root, registry.file)}:${entry.line}): ${path.relative(root, file)} ${what} ` +
        `"${entry.exportName}"; export a class that extends Tracker under that name`,
    );
  }
  return { Class, registry, file };
}

/** A new instance of the tracker registered under `name`, constructed with `params`. */
export async function load(name: string, params: object = {}, options: LoadOptions = {}): Promise<Tracker> {
  const { Class } = await loadTrackerClass(name, options);
  return new Class(params);
}
