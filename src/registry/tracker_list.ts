/**
 * The public TrackerList: the fan-out list of trackers/tracker_list.ts, plus `fromSpecs` and `fromEnv`, which
 * build its trackers from registered names. It lives here, above both, so that the trackers never import the registry.
 */
import { TrackerList as TrackerFanOut } from '../trackers/tracker_list.js';
import type { TrackerListOptions } from '../trackers/tracker_list.js';
import { trackerSpecsFromEnv } from './env_specs.js';
import { load } from './load.js';
import type { LoadOptions } from './load.js';
import { readCatalog } from './project.js';
import { redactCredentials } from '../util/redact.js';

/** `{ type: 'memory', ...params }`: a registered tracker's name and its parameters. */
export type TrackerSpec = { type: string } & Record<string, unknown>;

export class TrackerList extends TrackerFanOut {
  /**
   * Builds each tracker with `load(type, params, { root })`: the built-in trackers and those of the project at
   * `root` (default: the project around process.cwd(); see `load`).
   */
  static async fromSpecs(
    specs: readonly TrackerSpec[],
    options: TrackerListOptions & LoadOptions = {},
  ): Promise<TrackerList> {
    if (!Array.isArray(specs)) {
      throw new TypeError(
        `TrackerList.fromSpecs(): specs must be an array of { type, ...params }, got ${typeof specs}`,
      );
    }
    const trackers = [];
    for (const [index, spec] of specs.entries()) {
      if (spec === null || typeof spec !== 'object' || typeof spec.type !== 'string') {
        throw new TypeError(
          `TrackerList.fromSpecs(): specs[${index}] must be { type: '<tracker name>', ...params }, ` +
            redactCredentials(`got ${JSON.stringify(spec) ?? String(spec)}`),
        );
      }
      const { type, ...params } = spec;
      trackers.push(await load(type, params, { root: options.root }));
    }
    return new TrackerList(trackers, options);
  }

  /**
   * The trackers `GYMNOS_TRACKERS` names (see registry/env_specs.ts), else `fallback` (default: jsonl). Unknown
   * names are one error listing the registered ones (built-in and the project's).
   */
  static async fromEnv(
    options: TrackerListOptions & LoadOptions & { env?: NodeJS.ProcessEnv; fallback?: TrackerSpec[] } = {},
  ): Promise<TrackerList> {
    const known = readCatalog({ root: options.root }).entries.keys();
    const specs = trackerSpecsFromEnv(options.env ?? process.env, known) ?? options.fallback ?? [{ type: 'jsonl' }];
    return TrackerList.fromSpecs(specs, options);
  }
}
