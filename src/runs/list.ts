/**
 * `gymnos runs` as a library: discover the runs under logdirs, keep those the filters select, and summarize
 * each in one streaming pass, sampling the metrics to plot on the way.
 */
import type { RunLocation, SkippedRun } from './discover.js';
import { isGymnosError } from '../errors.js';
import { discoverRuns } from './discover.js';
import { SeriesSampler } from '../runtime/run_dir/downsample.js';
import type { SampledSeries } from '../runtime/run_dir/downsample.js';
import { readRunJsonObject } from '../runtime/run_dir/run_files.js';
import { nameTable, toNameTable } from '../runtime/name_table.js';
import { parseWhere, runIdMatcher } from './query.js';
import { knownKeys, matchesAll } from './run_filter.js';
import type { Condition } from './run_filter.js';
import { readSidecar, readSidecarSamples } from '../runtime/run_dir/sidecar.js';
import { summarizeRun } from './summary.js';
import type { RunSummary, SummaryState, SummaryStore } from './summary.js';
import type { RunVisitor } from './types.js';
import type { ResumeAt, RunFile } from '../runtime/run_dir/types.js';

export interface RunSelection {
  logdirs: readonly string[];
  /** See ListRunsOptions.onSkip: a directory under a logdir that cannot be read. */
  onSkip?: ((skipped: SkippedRun) => void) | undefined;
  /** A glob or /regex/ on run ids. */
  run?: string | undefined;
  /** Conditions on params, status, tracker, tags (`lr<0.01`, run_filter.ts), all of which must hold. */
  where?: readonly string[] | undefined;
}

/** The param and tag keys of every run a listing looked at, matching or not: what a condition could have named. */
export interface SeenKeys {
  params: Set<string>;
  tags: Set<string>;
}

export interface ListRunsOptions extends RunSelection {
  /** Metrics to sample for charts, and how many points each. */
  sample?: { metrics: readonly string[] | 'all'; points: number; buckets?: number };
  /** Keep the images and figures each run logged: the last one of each kind and name. */
  media?: boolean;
  /** A cache of summaries (used when nothing is sampled): a listing reads only what was appended since. */
  cache?: SummaryStore;
  /** False: ignore the summaries jsonl trackers write beside their runs (sidecar.ts) and read every file. */
  sidecars?: boolean;
  /** Filled with the keys of every run looked at (for a did-you-mean on a condition no run can meet). */
  seen?: SeenKeys;
  /**
   * Told of each run whose files cannot be read (unreadable, invalid, refused: see run_files.ts), which the listing
   * then leaves out; without it, such a run is an error that ends the listing.
   */
  onSkip?: (skipped: SkippedRun) => void;
}

export interface ListedRun {
  summary: RunSummary;
  /** Per sampled metric name. */
  series: Record<string, SampledSeries>;
  /** With `media`: the last image and figure of each name, in the order first logged. */
  media: RunFile[];
}

/** The runs under `logdirs` that the id pattern selects, before reading them (usage errors come first). */
export function selectRunLocations(selection: RunSelection): {
  locations: RunLocation[];
  conditions: Condition[];
} {
  const matchesId = selection.run === undefined ? () => true : runIdMatcher(selection.run);
  const conditions = parseWhere(selection.where ?? []);
  const locations = discoverRuns(selection.logdirs, selection.onSkip).filter((location) => matchesId(location.id));
  return { locations, conditions };
}

/**
 * Cheap early out: jsonl and csv keep their params in params.json, read before the events are, so conditions on
 * params and the run id are answered before them (status, tags and the rest after).
 */
export function mayMatch(location: RunLocation, conditions: readonly Condition[], seen?: SeenKeys): boolean {
  if (conditions.length === 0 || location.trackers[0] === 'tensorboard') return true;
  const early = conditions.filter(({ field }) => field.kind === 'param' || field.kind === 'run');
  const params = readRunJsonObject(location.dir, 'params.json');
  const matches = matchesAll({ id: location.id, trackers: location.trackers, status: '', tags: {}, params }, early);
  if (!matches && seen !== undefined) {
    noteKeys(seen, { params, tags: readRunJsonObject(location.dir, 'tags.json') as Record<string, string> });
  }
  return matches;
}

/**
 * What is wrong with a run whose reading threw `error`, when it is the run's files (a GymnosError of kind failure:
 * invalid, refused; or the file system's error: unreadable), else undefined (a bug, which is no run's fault).
 */
export function runProblem(location: RunLocation, error: unknown): SkippedRun | undefined {
  const { id, dir } = location;
  if (isGymnosError(error))
    return error.kind === 'failure' ? { id, dir, code: error.code, message: error.message } : undefined;
  const system = error as NodeJS.ErrnoException;
  if (typeof system?.code === 'string' && typeof system.syscall === 'string') {
    return { id, dir, code: system.code, message: system.message };
  }
  return undefined;
}

/** `read()` of one run; a run whose files are the problem goes to `onSkip` (when given) and gives undefined. */
export function guardRun<T>(location: RunLocation, onSkip: ListRunsOptions['onSkip'], read: () => T): T | undefined {
  try {
    return read();
  } catch (error) {
    const problem = onSkip && runProblem(location, error);
    if (!problem) throw error;
    onSkip(problem);
    return undefined;
  }
}

/** Adds a run's param key paths and tag keys to `seen`. */
function noteKeys(seen: SeenKeys, run: { params: Record<string, unknown>; tags: Record<string, string> }): void {
  const known = knownKeys([run]);
  for (const key of known.params) seen.params.add(key);
  for (const key of known.tags) seen.tags.add(key);
}

/** The summary's final test: every condition (a run read in full is noted in `seen` too). */
export function matchesSummary(summary: RunSummary, conditions: readonly Condition[], seen?: SeenKeys): boolean {
  if (seen !== undefined) noteKeys(seen, summary);
  return matchesAll(summary, conditions);
}

/** What one run gives a listing or a report: its summary, the samples asked for, its media. */
export function readListedRun(location: RunLocation, options: Omit<ListRunsOptions, keyof RunSelection>): ListedRun {
  const samplers = new Map<string, SeriesSampler>();
  const media = new Map<string, RunFile>();
  const wanted = options.sample?.metrics;
  const names = wanted === undefined || wanted === 'all' ? undefined : new Set(wanted);
  const also: RunVisitor = {
    metric(name, step, value, time) {
      if (wanted === undefined) return; // approximate values (see RunVisitor) are exact enough to draw
      let series = samplers.get(name);
      if (series === undefined) {
        if (names && !names.has(name)) return;
        series = new SeriesSampler(options.sample!.buckets);
        samplers.set(name, series);
      }
      series.add(step, value, time);
    },
    file(file) {
      if (!options.media || file.kind === 'asset') return;
      media.set(`${file.kind}/${file.name}`, file); // a later file of the same name replaces it, in its place
    },
  };
  const sampling = wanted !== undefined || options.media === true;
  const seed = sidecarSeed(location, options, samplers, media);
  const summary = summarizeRun(location, sampling ? also : undefined, options.cache, seed);
  const series = nameTable<SampledSeries>();
  for (const [name, values] of samplers) series[name] = values.finish(options.sample!.points);
  return { summary, series, media: [...media.values()] };
}

/**
 * The state a jsonl run's sidecar gives, with the samplers and media it holds put in place; undefined when there
 * is no valid sidecar, or when it lacks the samples asked for (then the file is read in full).
 */
function sidecarSeed(
  location: RunLocation,
  options: Omit<ListRunsOptions, keyof RunSelection>,
  samplers: Map<string, SeriesSampler>,
  media: Map<string, RunFile>,
): { state: SummaryState; resume: ResumeAt } | undefined {
  if (location.trackers[0] !== 'jsonl' || options.sidecars === false) return undefined;
  const sidecar = readSidecar(location.dir);
  if (sidecar === undefined) return undefined;
  const wanted = options.sample?.metrics;
  if (wanted !== undefined) {
    const samples = readSidecarSamples(location.dir, sidecar);
    if (samples === undefined) return undefined;
    const names = wanted === 'all' ? Object.keys(sidecar.state.metrics) : wanted;
    for (const name of names) {
      if (!(name in sidecar.state.metrics)) continue; // a metric the run never logged
      const snapshot = samples[name];
      const sampler =
        snapshot && snapshot.buckets === new SeriesSampler(options.sample!.buckets).buckets
          ? SeriesSampler.restore(snapshot)
          : undefined;
      if (sampler === undefined) {
        samplers.clear();
        return undefined;
      }
      samplers.set(name, sampler);
    }
  }
  if (options.media) for (const file of sidecar.media) media.set(`${file.kind}/${file.name}`, file);
  return { state: sidecar.state, resume: sidecar.resume };
}

/**
 * A run as a worker thread answered it: a structured clone gives its tables keyed by names Object.prototype
 * again, which they must not have (runtime/name_table.ts).
 */
export function restoredListedRun(listed: ListedRun): ListedRun {
  const { summary } = listed;
  return {
    ...listed,
    summary: {
      ...summary,
      metrics: toNameTable(summary.metrics),
      params: toNameTable(summary.params),
      tags: toNameTable(summary.tags),
    },
    series: toNameTable(listed.series),
  };
}
