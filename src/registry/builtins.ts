/**
 * The trackers gymnos ships: the one list of them, each with the module that holds it and how to import it.
 * Their names are never free for `create-new` (not even with --force), and a project tracker may not shadow them.
 *
 * Each loader imports its module relative to this one, which is right from the sources (src/, under tsx), the
 * compiled package (dist/) and the bundled CLI (dist/cli-bundle/, where bin/build.mjs leaves these imports as
 * they are): no guess between src/ and dist/. The gymnos repository's var/trackers.json registers them too (its
 * lint checks that every tracker class is registered; a test checks that the two agree).
 */
import { fileURLToPath } from 'node:url';
import type { Tracker } from '../trackers/tracker.js';

interface BuiltinTracker<Module> {
  /** The class's name among the module's exports. */
  exportName: keyof Module & string;
  /** Imports the module, `trackers/<name>.js`. */
  load: () => Promise<Module>;
}

/** A table entry, typed so that `exportName` is one of the module's exports. */
function builtin<Module>(exportName: keyof Module & string, load: () => Promise<Module>): BuiltinTracker<Module> {
  return { exportName, load };
}

export const BUILTIN_TRACKERS = {
  memory: builtin('MemoryTracker', () => import('../trackers/memory.js')),
  tensorboard: builtin('TensorboardTracker', () => import('../trackers/tensorboard.js')),
  mlflow: builtin('MlflowTracker', () => import('../trackers/mlflow.js')),
  comet: builtin('CometTracker', () => import('../trackers/comet.js')),
  wandb: builtin('WandbTracker', () => import('../trackers/wandb.js')),
  jsonl: builtin('JsonlTracker', () => import('../trackers/jsonl.js')),
  csv: builtin('CsvTracker', () => import('../trackers/csv.js')),
};

export type BuiltinTrackerName = keyof typeof BUILTIN_TRACKERS;

export function isBuiltinTracker(name: string): name is BuiltinTrackerName {
  return Object.hasOwn(BUILTIN_TRACKERS, name);
}

/** The registry module path of a built-in, relative to src/ (or dist/): `trackers/<name>.js`. */
export function builtinTrackerModule(name: BuiltinTrackerName): string {
  return `trackers/${name}.js`;
}

/** The file a built-in's loader imports (the .ts source when gymnos runs from its sources). */
export function builtinTrackerFile(name: BuiltinTrackerName): string {
  const extension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  return fileURLToPath(new URL(`../trackers/${name}.${extension}`, import.meta.url));
}

/** The class of a built-in tracker. */
export async function loadBuiltinTracker(name: BuiltinTrackerName): Promise<new (params?: object) => Tracker> {
  const { exportName, load }: { exportName: string; load: () => Promise<object> } = BUILTIN_TRACKERS[name];
  const module = (await load()) as Record<string, unknown>;
  return module[exportName] as new (params?: object) => Tracker;
}
