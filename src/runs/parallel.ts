/**
 * Reading many runs on every core: the selected runs are shared out among worker threads, each reading whole
 * runs (a run is one stream, read start to end). The worker is this very module: loaded in a worker thread
 * with the flag below in its data, it serves runs instead (so the CLI's one-file bundles need no extra entry).
 * Small listings stay on the main thread, where starting workers would cost more than it saves.
 */
import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { GymnosError, isGymnosError } from '../errors.js';
import type { RunLocation, SkippedRun } from './discover.js';
import {
  guardRun,
  matchesSummary,
  mayMatch,
  readListedRun,
  restoredListedRun,
  runProblem,
  selectRunLocations,
} from './list.js';
import type { ListedRun, ListRunsOptions } from './list.js';
import { SAMPLES_NAME, SIDECAR_NAME } from '../runtime/run_dir/sidecar.js';
import { SummaryCache } from './summary_cache.js';
import { eventFiles } from '../runtime/event_files.js';

const WORKER_FLAG = 'gymnosRunReader';
/** Below this much data, the runs are read on the main thread. */
const PARALLEL_MIN_BYTES = 64 * 1024 * 1024;

export interface ParallelListOptions extends Omit<ListRunsOptions, 'cache'> {
  /** Worker threads at most (default: the available cores). */
  threads?: number;
  /** A summary cache directory (see summary_cache.ts), or undefined for none. */
  cacheDir?: string;
  /** Below this many bytes of run files, read on the main thread (default 64 MiB). */
  parallelMinBytes?: number;
}

type PerRun = Omit<
  ParallelListOptions,
  'logdirs' | 'run' | 'where' | 'threads' | 'parallelMinBytes' | 'seen' | 'onSkip'
>;

/** A data file gone, not there yet, not a directory, not readable: the read that follows reports the run's problem. */
const UNSIZED_CODES = new Set(['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM', 'ELOOP', 'ENAMETOOLONG']);

/**
 * Roughly what reading a run costs: its data file (a tensorboard run's event files), or for a jsonl run with a
 * summary newer than it, the summary. Other errors are the run's problem (or a bug): thrown.
 */
function dataBytes(location: RunLocation, options: PerRun): number {
  const tracker = location.trackers[0]!;
  try {
    // A run may have several event files, one per writer.
    if (tracker === 'tensorboard') return eventFiles(location.dir).reduce((sum, file) => sum + statSync(file).size, 0);
    const name = tracker === 'jsonl' ? 'events.jsonl' : 'metrics.csv';
    if (name === 'events.jsonl' && options.sidecars !== false) {
      const data = statSync(path.join(location.dir, name));
      const summary = statSync(path.join(location.dir, options.sample ? SAMPLES_NAME : SIDECAR_NAME), {
        throwIfNoEntry: false,
      });
      return summary && summary.mtimeMs >= data.mtimeMs ? summary.size : data.size;
    }
    return statSync(path.join(location.dir, name)).size;
  } catch (error) {
    if (UNSIZED_CODES.has((error as NodeJS.ErrnoException).code ?? '')) return 0;
    throw error;
  }
}

function readOne(location: RunLocation, options: PerRun): ListedRun {
  const cache = options.cacheDir === undefined ? undefined : new SummaryCache(options.cacheDir);
  return readListedRun(location, { sample: options.sample, media: options.media, cache, sidecars: options.sidecars });
}

/** Every selected run, read on up to `threads` threads, in discovery order, filtered by params. */
export async function listRuns(options: ParallelListOptions): Promise<ListedRun[]> {
  const { locations, conditions } = selectRunLocations(options);
  const { onSkip } = options;
  const candidates = locations.filter((location) =>
    guardRun(location, onSkip, () => mayMatch(location, conditions, options.seen)),
  );
  const perRun: PerRun = {
    sample: options.sample,
    media: options.media,
    cacheDir: options.cacheDir,
    sidecars: options.sidecars,
  };
  // A run that cannot even be sized is skipped as its read would be (onSkip), or its error thrown.
  let total = 0;
  const sized = candidates.filter((location) => {
    const bytes = guardRun(location, onSkip, () => dataBytes(location, perRun));
    total += bytes ?? 0;
    return bytes !== undefined;
  });
  const threads = Math.min(options.threads ?? os.availableParallelism(), sized.length);
  const results =
    threads <= 1 || total < (options.parallelMinBytes ?? PARALLEL_MIN_BYTES)
      ? sized.map((location) => guardRun(location, onSkip, () => readOne(location, perRun)))
      : await readInWorkers(sized, perRun, threads, onSkip);
  return results.filter(
    (listed): listed is ListedRun => listed !== undefined && matchesSummary(listed.summary, conditions, options.seen),
  );
}

interface Reply {
  index: number;
  result?: ListedRun;
  /** A run whose files are the problem (see runProblem). */
  skipped?: SkippedRun;
  error?: { code?: string; kind?: string; message: string; details?: Record<string, unknown> };
}

/**
 * A worker running this module. From the TypeScript sources (gymnos's own tests) the test suite's loader, given to
 * node with --import, is inherited by the worker and compiles this module as well; tsx's --import hooks do not
 * reach a worker's entry on Node 20, so under tsx the worker registers tsx before it imports this module.
 */
function startWorker(workerData: Record<string, unknown>): Worker {
  const underTsx = process.execArgv.some((arg) => /[/\\]tsx[/\\]|^(?:--import=)?tsx$/.test(arg));
  if (!import.meta.url.endsWith('.ts') || !underTsx) return new Worker(new URL(import.meta.url), { workerData });
  const code = `import('tsx/esm/api').then((tsx) => (tsx.register(), import(${JSON.stringify(import.meta.url)})))`;
  return new Worker(code, { eval: true, workerData });
}

function readInWorkers(
  locations: RunLocation[],
  perRun: PerRun,
  threads: number,
  onSkip: ParallelListOptions['onSkip'],
): Promise<(ListedRun | undefined)[]> {
  return new Promise((resolve, reject) => {
    const results = new Array<ListedRun | undefined>(locations.length);
    const workers: Worker[] = [];
    let next = 0;
    let done = 0;
    let failed = false;
    const stop = () => workers.forEach((worker) => void worker.terminate());
    const give = (worker: Worker) => {
      if (next < locations.length) {
        const index = next++;
        worker.postMessage({ index, location: locations[index] });
      }
    };
    for (let i = 0; i < threads; i++) {
      const worker = startWorker({ [WORKER_FLAG]: true, perRun });
      workers.push(worker);
      worker.on('message', (reply: Reply) => {
        if (failed) return;
        if (reply.skipped && onSkip) onSkip(reply.skipped);
        else if (reply.skipped)
          reply.error = { code: reply.skipped.code, kind: 'failure', message: reply.skipped.message };
        if (reply.error) {
          failed = true;
          stop();
          const { code, kind, message, details } = reply.error;
          reject(
            code
              ? new GymnosError(code, message, { kind: kind as GymnosError['kind'], details: details ?? {} })
              : new Error(message),
          );
          return;
        }
        if (reply.result) results[reply.index] = restoredListedRun(reply.result);
        done++;
        if (done === locations.length) {
          stop();
          resolve(results);
        } else give(worker);
      });
      worker.on('error', (error) => {
        if (failed) return;
        failed = true;
        stop();
        reject(error);
      });
      give(worker);
    }
  });
}

// In a worker started by readInWorkers: read the runs the main thread sends, one at a time.
const data = workerData as { [WORKER_FLAG]?: boolean; perRun: PerRun } | null;
if (!isMainThread && data?.[WORKER_FLAG] && parentPort) {
  const port = parentPort;
  port.on('message', ({ index, location }: { index: number; location: RunLocation }) => {
    try {
      port.postMessage({ index, result: readOne(location, data.perRun) } satisfies Reply);
    } catch (error) {
      const skipped = runProblem(location, error);
      const reply: Reply = skipped
        ? { index, skipped }
        : isGymnosError(error)
          ? {
              index,
              error: { code: error.code, kind: error.kind, message: error.message, details: { ...error.details } },
            }
          : { index, error: { message: (error as Error)?.message ?? String(error) } };
      port.postMessage(reply);
    }
  });
}
