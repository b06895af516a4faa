/** `gymnos list trackers`: the registered trackers and whether each resolves to a Tracker class. */
import path from 'node:path';
import { GymnosError } from '../registry/errors.js';
import { loadTrackerClass } from '../registry/load.js';
import { readRegistry } from '../registry/registry.js';
import { CliError, EXIT } from './exit_codes.js';
import { chalk, findProjectRoot, printJson, printLine } from './output.js';

export interface ListedTracker {
  name: string;
  target: string;
  /** The file it resolved to, relative to the project. */
  file: string | null;
  resolves: boolean;
  error: string | null;
}

export async function listTrackers(root: string): Promise<{ registry: string; trackers: ListedTracker[] }> {
  let registry;
  try {
    registry = readRegistry(root);
  } catch (error) {
    if (error instanceof GymnosError) throw new CliError(EXIT.usage, error.code, error.message);
    throw error;
  }
  const trackers: ListedTracker[] = [];
  for (const entry of registry.entries.values()) {
    try {
      const { file } = await loadTrackerClass(entry.name, { root });
      trackers.push({
        name: entry.name,
        target: entry.target,
        file: path.relative(root, file),
        resolves: true,
        error: null,
      });
    } catch (error) {
      trackers.push({
        name: entry.name,
        target: entry.target,
        file: null,
        resolves: false,
        error: (error as Error).message,
      });
    }
  }
  for (const problem of registry.problems) {
    trackers.push({ name: problem.name, target: '', file: null, resolves: false, error: problem.message });
  }
  return { registry: path.relative(root, registry.file), trackers };
}

export async function runList(options: { json?: boolean; cwd?: string }): Promise<number> {
  const root = findProjectRoot(options.cwd);
  const result = await listTrackers(root);
  const exitCode = result.trackers.every((tracker) => tracker.resolves) ? EXIT.ok : EXIT.failure;
  if (options.json) {
    printJson(result);
    return exitCode;
  }
  if (result.trackers.length === 0) {
    printLine(`No trackers registered in ${result.registry}. Create one: gymnos create-new tracker --name my_tracker`);
    return exitCode;
  }
  const width = Math.max(...result.trackers.map((tracker) => tracker.name.length));
  for (const tracker of result.trackers) {
    const status = tracker.resolves ? chalk.green('ok') : chalk.red('unresolved');
    const detail = tracker.resolves ? chalk.dim(tracker.file ?? '') : tracker.error;
    printLine(`${tracker.name.padEnd(width)}  ${status}  ${detail}`);
  }
  return exitCode;
}
