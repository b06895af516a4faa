/**
 * TrackerList fans every call out to several trackers, so a pipeline logs once and reaches them all.
 *
 * Failure isolation: one tracker that throws (or whose async hook rejects) never stops the others. Each
 * error is passed to `onError` when one is given; otherwise errors are collected and `end()` rejects with an
 * AggregateError listing them, after every tracker has been ended. Steps are resolved once, by the list, so
 * every tracker records the same step for the same call.
 *
 * Building a list from registered names (`TrackerList.fromSpecs`) is the registry's: see registry/tracker_list.ts,
 * whose subclass is the TrackerList gymnos exports. This layer imports nothing above it.
 */
import { errorMessage } from '../errors.js';
import { generateRunId } from '../runtime/run_id.js';
import { Tracker } from './tracker.js';
import type { Figure, ParamValue, TrackerOptions } from './tracker.js';

/** Where an error came from: the tracker and the hook that threw. */
export interface TrackerErrorContext {
  tracker: Tracker;
  hook: string;
}

export interface TrackerListOptions extends TrackerOptions {
  /** Called with each error a tracker raises; without it, errors are raised from `end()`. */
  onError?: (error: unknown, context: TrackerErrorContext) => void;
}

export class TrackerList extends Tracker {
  readonly trackers: readonly Tracker[];
  /** Errors collected so far (when no `onError` is set). */
  readonly errors: { error: unknown; context: TrackerErrorContext }[] = [];
  readonly #onError: TrackerListOptions['onError'];

  constructor(trackers: Iterable<Tracker>, options: TrackerListOptions = {}) {
    super(options);
    this.trackers = [...trackers];
    this.#onError = options.onError;
  }

  /** Every tracker starts the same run: one id is generated for all when none is given (by the base's guard). */
  override start(runId: string | undefined, logdir: string): Promise<void> {
    const id = runId ?? generateRunId();
    return this.#all('start', (tracker) => tracker.start(id, logdir));
  }

  override logTag(key: string, value: string): void {
    this.#each('logTag', (tracker) => tracker.logTag(key, value));
  }

  override logAsset(name: string, filePath: string): void {
    this.#each('logAsset', (tracker) => tracker.logAsset(name, filePath));
  }

  override logImage(name: string, filePath: string): void {
    this.#each('logImage', (tracker) => tracker.logImage(name, filePath));
  }

  override logFigure(name: string, figure: Figure): void {
    this.#each('logFigure', (tracker) => tracker.logFigure(name, figure));
  }

  /** Written out rather than through #each: it runs per metric and batch, and allocates nothing this way. */
  override logMetric(name: string, value: number, step = 0): void {
    const trackers = this.trackers;
    for (let i = 0; i < trackers.length; i++) {
      const tracker = trackers[i]!;
      try {
        tracker.logMetric(name, value, step);
      } catch (error) {
        this.#report(error, { tracker, hook: 'logMetric' });
      }
    }
  }

  override logParam(name: string, value: ParamValue): void {
    this.#each('logParam', (tracker) => tracker.logParam(name, value));
  }

  override flush(): Promise<void> {
    return this.#all('flush', (tracker) => tracker.flush());
  }

  override async end(error?: unknown): Promise<void> {
    await this.#all('end', (tracker) => tracker.end(error));
    if (this.errors.length > 0) {
      const summary = this.errors.map(({ error, context }) => `${describeTracker(context)}: ${errorMessage(error)}`);
      throw new AggregateError(
        this.errors.map(({ error }) => error),
        `${this.errors.length} tracker error(s): ${summary.join('; ')}`,
      );
    }
  }

  #report(error: unknown, context: TrackerErrorContext): void {
    if (this.#onError) this.#onError(error, context);
    else this.errors.push({ error, context });
  }

  #each(hook: string, call: (tracker: Tracker) => void): void {
    for (const tracker of this.trackers) {
      try {
        call(tracker);
      } catch (error) {
        this.#report(error, { tracker, hook });
      }
    }
  }

  async #all(hook: string, call: (tracker: Tracker) => void | Promise<void>): Promise<void> {
    const results = await Promise.allSettled(
      this.trackers.map(async (tracker) => {
        await call(tracker);
      }),
    );
    results.forEach((result, i) => {
      if (result.status === 'rejected') this.#report(result.reason, { tracker: this.trackers[i]!, hook });
    });
  }
}

function describeTracker({ tracker, hook }: TrackerErrorContext): string {
  return `${tracker.constructor.name}.${hook}`;
}
