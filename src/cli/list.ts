/**
 * `gymnos list trackers`: the registered trackers and whether each resolves to a Tracker class. In a project,
 * the built-in trackers and the project's, each with where it comes from.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isGymnosError } from '../errors.js';
import { loadCatalogEntry, shadowError } from '../registry/load.js';
import { displayPath, requireProjectRoot } from '../util/package_root.js';
import { readCatalog } from '../registry/project.js';
import { sourceModulePath } from '../registry/resolve.js';
import { resolveTsxLoader } from '../util/tsx_loader.js';
import type { CatalogEntry, TrackerCatalog, TrackerSource } from '../registry/project.js';
import { EXIT } from './exit_codes.js';
import type { JsonDocument } from './failure.js';
import { GYMNOS_VERSION } from './version.js';
import { chalk, printJson, printLine } from './output.js';
import { escaped, quoted } from '../util/display_text.js';
import { gymnosCommand } from '../util/package_manager.js';

const CREATE_ONE = 'create-new tracker --name my_tracker';

interface ListedTracker {
  name: string;
  /** Where it is registered: with gymnos ('builtin') or in the project's var/trackers.json. */
  source: TrackerSource;
  target: string;
  /** The file it resolved to: relative to the project when inside it, else absolute. */
  file: string | null;
  resolves: boolean;
  error: string | null;
}

interface TrackerListing {
  /** The project's registry, relative to the project. */
  registry: string;
  /** True in a project (the built-ins beside its own trackers), false in the gymnos package itself. */
  project: boolean;
  trackers: ListedTracker[];
}

/**
 * A project's TypeScript trackers resolve the way its tests load them, under tsx: when the project has tsx,
 * it is registered (as `node --import tsx` does), so an unbuilt TypeScript tracker is not reported unresolved.
 * When the project's tsx is there but fails to register, what failed is returned: the trackers it would have
 * imported are reported with it, not as "not built".
 */
async function registerProjectTypeScriptLoader(catalog: TrackerCatalog): Promise<LoaderFailure | undefined> {
  const project = catalog.project;
  if (!project) return undefined;
  const hasTypeScript = [...catalog.entries.values()].some(
    (item) =>
      item.source === 'project' && existsSync(path.join(project.root, 'src', sourceModulePath(item.entry.module))),
  );
  const loader = hasTypeScript ? resolveTsxLoader(project.root) : undefined;
  if (!loader) return undefined;
  try {
    await import(loader);
    return undefined;
  } catch (error) {
    return { file: displayPath(fileURLToPath(loader), project.root), error: error as Error };
  }
}

/** The project's tsx, found but not registered: its file and the error importing it threw. */
interface LoaderFailure {
  file: string;
  error: Error;
}

/** Why a tracker did not resolve: when it needed the project's tsx, which failed to load, what failed. */
function resolutionError(error: unknown, item: CatalogEntry, loaderFailure: LoaderFailure | undefined): string {
  if (!loaderFailure || !isGymnosError(error) || error.code !== 'TRACKER_NOT_BUILT') return (error as Error).message;
  const { entry, registry } = item;
  const source = path.join('src', sourceModulePath(entry.module));
  const why = loaderFailure.error.message.split('\n')[0];
  return (
    `tracker ${quoted(entry.name)} (${displayPath(registry.file)}:${entry.line}): importing ${source} needs the ` +
    `project's tsx (${loaderFailure.file}), which failed to load: ${why}; reinstall the project's dependencies`
  );
}

async function listTrackers(root: string): Promise<TrackerListing> {
  const catalog = readCatalog({ root });
  const resolved = new Map<string, ListedTracker>();
  const resolve = async (name: string, item: CatalogEntry, loaderFailure?: LoaderFailure) => {
    const listed = { name, source: item.source, target: item.entry.target };
    try {
      const { file } = await loadCatalogEntry(catalog, item);
      resolved.set(name, { ...listed, file: displayPath(file, root), resolves: true, error: null });
    } catch (error) {
      resolved.set(name, {
        ...listed,
        file: null,
        resolves: false,
        error: resolutionError(error, item, loaderFailure),
      });
    }
  };
  // The built-ins first: once tsx is registered, every import goes through its hooks thread, and the built-ins'
  // modules (gymnos's own JavaScript) gain nothing from it but a round trip per module.
  for (const [name, item] of catalog.entries) if (item.source === 'builtin') await resolve(name, item);
  const own = catalog.project?.registry ?? catalog.builtin.registry;
  // An entry with a problem (a name that is not snake_case) is listed once, below, with the problem.
  const withProblem = new Set(own.problems.map((problem) => problem.name));
  const listed = [...catalog.entries].filter(([name, item]) => item.source === 'builtin' || !withProblem.has(name));
  const loaderFailure = await registerProjectTypeScriptLoader(catalog);
  for (const [name, item] of listed) if (item.source !== 'builtin') await resolve(name, item, loaderFailure);
  const trackers = listed.map(([name]) => resolved.get(name)!);
  for (const shadow of catalog.shadows.values()) {
    const target = own.entries.get(shadow.name)?.target ?? '';
    const error = shadowError(shadow).message;
    trackers.push({ name: shadow.name, source: 'project', target, file: null, resolves: false, error });
  }
  for (const problem of own.problems) {
    if (catalog.shadows.has(problem.name)) continue;
    const source = catalog.project ? 'project' : 'builtin';
    trackers.push({ name: problem.name, source, target: '', file: null, resolves: false, error: problem.message });
  }
  return { registry: path.relative(root, own.file), project: catalog.project !== undefined, trackers };
}

function printTrackers(trackers: ListedTracker[], width: number, indent = ''): void {
  for (const tracker of trackers) {
    const status = tracker.resolves ? chalk.green('ok') : chalk.red('unresolved');
    const detail = tracker.resolves ? chalk.dim(tracker.file ?? '') : tracker.error;
    printLine(`${indent}${escaped(tracker.name).padEnd(width)}  ${status}  ${detail}`);
  }
}

export async function runList(options: { json?: boolean; cwd?: string }, document: JsonDocument): Promise<number> {
  document.fields = { registry: null, project: null, trackers: [] };
  const root = requireProjectRoot(options.cwd);
  const result = await listTrackers(root);
  const ok = result.trackers.every((tracker) => tracker.resolves);
  const exitCode = ok ? EXIT.ok : EXIT.failure;
  if (options.json) {
    // `ok` is false when a tracker does not resolve (exit 1); `error` is for a list that could not be made.
    printJson({ ok, ...result, error: null });
    return exitCode;
  }
  const builtin = result.trackers.filter((tracker) => tracker.source === 'builtin');
  const project = result.trackers.filter((tracker) => tracker.source === 'project');
  if (!result.project) {
    if (result.trackers.length === 0) {
      printLine(`No trackers registered in ${result.registry}. Create one: ${gymnosCommand(root, CREATE_ONE)}`);
      return exitCode;
    }
    printTrackers(result.trackers, Math.max(...result.trackers.map((tracker) => escaped(tracker.name).length)));
    return exitCode;
  }
  const width = Math.max(...result.trackers.map((tracker) => escaped(tracker.name).length));
  printLine(chalk.bold(`Built-in (gymnos ${GYMNOS_VERSION}):`));
  printTrackers(builtin, width, '  ');
  printLine(chalk.bold(`Project (${result.registry}):`));
  if (project.length === 0) printLine(`  none yet; create one: ${gymnosCommand(root, CREATE_ONE)}`);
  printTrackers(project, width, '  ');
  return exitCode;
}
