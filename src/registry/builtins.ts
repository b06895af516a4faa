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

interface BuiltinTracker {
  /** The registry module path, relative to src/ (or dist/). */
  module: string;
  exportName: string;
  /** Imports the module and returns its exported class. */
  load: () => Promise<new (params?: object) => Tracker>;
}

export const BUILTIN_TRACKERS = {
  memory: {
    module: 'trackers/memory.js',
    exportName: 'MemoryTracker',
    load: async () => (await import('../trackers/memory.js')).MemoryTracker,
  },
  tensorboard: {
    module: 'trackers/tensorboard.js',
    exportName: 'TensorboardTracker',
    load: async () => (await import('../trackers/tensorboard.js')).TensorboardTracker,
  },
  mlflow: {
    module: 'trackers/mlflow.js',
    exportName: 'MlflowTracker',
    load: async () => (await import('../trackers/mlflow.js')).MlflowTracker,
  },
  jsonl: {
    module: 'trackers/jsonl.js',
    exportName: 'JsonlTracker',
    load: async () => (await import('../trackers/jsonl.js')).JsonlTracker,
  },
  csv: {
    module: 'trackers/csv.js',
    exportName: 'CsvTracker',
    load: async () => (await import('../trackers/csv.js')).CsvTracker,
  },
} as const satisfies Record<string, BuiltinTracker>;

export type BuiltinTrackerName = keyof typeof BUILTIN_TRACKERS;

export function isBuiltinTracker(name: string): name is BuiltinTrackerName {
  return Object.hasOwn(BUILTIN_TRACKERS, name);
}

/** The file a built-in's loader imports (the .ts source when gymnos runs from its sources). */
export function builtinTrackerFile(name: BuiltinTrackerName): string {
  const module = BUILTIN_TRACKERS[name].module;
  const fromSources = import.meta.url.endsWith('.ts');
  return fileURLToPath(new URL(`../${fromSources ? module.replace(/\.js$/, '.ts') : module}`, import.meta.url));
}
