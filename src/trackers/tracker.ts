/**
 * The Tracker base class: one interface for every experiment tracker.
 *
 * A plugin subclasses `Tracker` and overrides the hooks it supports; every hook is optional and a no-op by
 * default. The base class owns the contract so that no plugin has to re-implement it:
 *
 * - the lifecycle: `start` once, then `log*` calls, then `end` (idempotent, flushes first);
 * - log calls before `start` or after `end` are ignored with a one-time `GymnosWarning` (training goes on);
 * - argument checks (a metric that is not a number is a TypeError naming it; NaN and ±Infinity pass);
 * - steps: an explicit step wins, otherwise a per-metric counter kept by each tracker supplies one;
 * - rank zero only: on other ranks of a distributed job every hook is skipped unless `rankZeroOnly: false`.
 *
 * How the contract holds whatever way a hook is written: the constructor gives every instance its hooks and
 * bulk helpers as own, non-configurable accessors. Reading one returns the guard; the guard calls the plugin's
 * implementation, looked up at call time. So a hook written as a method (or patched onto the prototype later)
 * is guarded, and one assigned (`this.logTag = ...` in a constructor, or later) is stored as the instance's
 * implementation by the accessor's setter and guarded too. A class field (`logTag = (k, v) => ...`) would
 * redefine the property, which JavaScript refuses for a non-configurable one: the object is not built and the
 * error names the hook. A Proxy would accept class fields as well, but it slows every property access of every
 * plugin (by over 100 ns a log call, measured on Node 20).
 */
import { toJsonValue } from '../runtime/json_value.js';
import { describeFigure } from '../runtime/figure.js';
import type { Figure } from '../runtime/figure.js';
import { nonZeroRank } from '../runtime/rank.js';
import { generateRunId } from '../runtime/run_id.js';

export type { Figure, DescribedFigure, PlotlySpec, VegaLiteSpec } from '../runtime/figure.js';
export { describeFigure } from '../runtime/figure.js';

/** A parameter value: anything JSON can carry. */
export type ParamValue = string | number | boolean | null | readonly ParamValue[] | { [key: string]: ParamValue };

/** A tag value; numbers and booleans are converted to strings before they reach the hook. */
export type TagValue = string | number | boolean;

/** Options every tracker accepts (plugins extend this interface with their own parameters). */
export interface TrackerOptions {
  /** Skip every hook on ranks other than zero of a distributed job (RANK, LOCAL_RANK, SLURM_PROCID). Default true. */
  rankZeroOnly?: boolean;
}

/** Options of the bulk helpers. */
export interface BulkOptions {
  /** Prepended to every name, joined with `/` (the separator TensorBoard groups by). */
  prefix?: string;
  /** Step for every scalar metric (lists are always logged at steps 0..n-1). */
  step?: number;
}

export type TrackerState = 'idle' | 'started' | 'ended';

/**
 * The Tracker class of every copy of this module loaded in the process (a project and gymnos may each load one),
 * shared through the global object: `isTrackerClass` looks for one of them on a class's prototype chain.
 */
const TRACKER_BASES = ((globalThis as Record<symbol, unknown>)[Symbol.for('gymnos.trackerBases')] ??=
  new WeakSet<object>()) as WeakSet<object>;

const LOG_HOOKS = ['logTag', 'logAsset', 'logImage', 'logFigure', 'logMetric', 'logParam'] as const;
type LogHook = (typeof LOG_HOOKS)[number];
/** The log hooks but logMetric, whose guard is written apart (it runs per metric and batch). */
const OTHER_LOG_HOOKS = LOG_HOOKS.filter((hook) => hook !== 'logMetric') as Exclude<LogHook, 'logMetric'>[];
type OtherLogHook = (typeof OTHER_LOG_HOOKS)[number];
/** Every hook a plugin may implement, however it writes it. */
const TRACKER_HOOKS = ['start', ...LOG_HOOKS, 'flush', 'end'] as const;
export type TrackerHook = (typeof TRACKER_HOOKS)[number];
/** The bulk helpers call the hooks; a plugin overrides the hook, never the helper. */
const BULK_HELPERS = { logMetrics: 'logMetric', logParams: 'logParam', logTags: 'logTag' } as const;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- hooks are called with their own checked arguments
type AnyHook = (...args: any[]) => unknown;

export class Tracker {
  static {
    TRACKER_BASES.add(this);
  }

  #state: TrackerState = 'idle';
  #runId: string | undefined;
  #ending: Promise<void> | undefined;
  /** True while the plugin's own end() runs: a `this.flush()` there reaches its flush hook (see the guard). */
  #endRunning = false;
  readonly #active: boolean;
  readonly #nextStep = new Map<string, number>();
  readonly #warned = new Set<string>();

  constructor(options: TrackerOptions = {}) {
    this.#active = options.rankZeroOnly === false || nonZeroRank() === undefined;
    this.#guardHooks();
  }

  /** Where the tracker is in its lifecycle. */
  get state(): TrackerState {
    return this.#state;
  }

  /** The id of the run once started: the one given to `start`, or the one generated for it. */
  get runId(): string | undefined {
    return this.#runId;
  }

  /** False on a non-zero rank with `rankZeroOnly` on: every hook is then skipped. */
  get active(): boolean {
    return this.#active;
  }

  /**
   * Called once before any log call; may be async. `logdir` is where file-based trackers write. Called with
   * `undefined` as the run id, the tracker gets a new sortable one (`generateRunId`), which `runId` then gives.
   */
  start(runId: string | undefined, logdir: string): void | Promise<void> {
    void runId;
    void logdir;
  }

  /** Logs a key/value tag of the run. */
  logTag(key: string, value: string): void {
    void key;
    void value;
  }

  /** Logs any file (a checkpoint, a config) under `name`. */
  logAsset(name: string, filePath: string): void {
    void name;
    void filePath;
  }

  /** Logs an image file (PNG, JPEG...) under `name`. */
  logImage(name: string, filePath: string): void {
    void name;
    void filePath;
  }

  /** Logs a figure: PNG or SVG bytes, SVG markup, or a Vega-Lite / Plotly spec (see `describeFigure`). */
  logFigure(name: string, figure: Figure): void {
    void name;
    void figure;
  }

  /** Logs one scalar. The hook always receives a step: the caller's, or the tracker's next one for `name`. */
  logMetric(name: string, value: number, step?: number): void {
    void name;
    void value;
    void step;
  }

  /** Logs a hyper-parameter of the run. */
  logParam(name: string, value: ParamValue): void {
    void name;
    void value;
  }

  /** Pushes buffered data to the backend; may be async. */
  flush(): void | Promise<void> {}

  /**
   * Ends the run; may be async. `error`, when given, says the run failed (backends that record a status use
   * it). Calling `end` again returns the same promise and does nothing more.
   */
  end(error?: unknown): void | Promise<void> {
    void error;
  }

  /** Logs several metrics. An array (or typed array) value is logged at steps 0..n-1, as the original did. */
  logMetrics(
    metrics: Readonly<Record<string, number | readonly number[] | ArrayLike<number>>>,
    options: BulkOptions = {},
  ) {
    requireRecord('logMetrics', 'metrics', metrics);
    for (const [key, value] of Object.entries(metrics)) {
      const name = prefixed(options.prefix, key);
      if (Array.isArray(value) || isNumericTypedArray(value)) {
        Array.from(value as ArrayLike<number>).forEach((item, step) => this.logMetric(name, item, step));
      } else {
        this.logMetric(name, value as number, options.step);
      }
    }
  }

  /** Logs several parameters. */
  logParams(params: Readonly<Record<string, ParamValue>>, options: Pick<BulkOptions, 'prefix'> = {}) {
    requireRecord('logParams', 'params', params);
    for (const [key, value] of Object.entries(params)) this.logParam(prefixed(options.prefix, key), value);
  }

  /** Logs several tags. */
  logTags(tags: Readonly<Record<string, TagValue>>, options: Pick<BulkOptions, 'prefix'> = {}) {
    requireRecord('logTags', 'tags', tags);
    for (const [key, value] of Object.entries(tags)) this.logTag(prefixed(options.prefix, key), value as string);
  }

  /**
   * Installs the contract on this instance: one own, non-configurable accessor per hook and bulk helper (see
   * the module comment). The plugin's implementation of a hook is the one assigned to the instance, if any,
   * else the most-derived one on the prototype chain, read at each call.
   */
  #guardHooks(): void {
    // The prototype is read once (a class does not change after `new`), its hooks at every call (patches).
    const prototype = Object.getPrototypeOf(this) as Record<TrackerHook, AnyHook>;
    const assigned: Partial<Record<TrackerHook, AnyHook>> = {};
    const implementation = (hook: TrackerHook): AnyHook => assigned[hook] ?? prototype[hook];
    const guards = this.#guards(implementation);
    for (const hook of TRACKER_HOOKS) {
      const guard = guards[hook];
      Object.defineProperty(this, hook, {
        configurable: false,
        enumerable: false,
        get: () => guard,
        set: (value: unknown) => {
          if (typeof value !== 'function') {
            throw new TypeError(`${this.constructor.name}: ${hook} must be a function, got ${describe(value)}`);
          }
          assigned[hook] = value as AnyHook;
        },
      });
    }
    for (const [helper, hook] of Object.entries(BULK_HELPERS)) {
      const fix = `override ${hook}() instead: ${helper}() calls it for every entry`;
      const method = (Tracker.prototype as unknown as Record<string, AnyHook>)[helper]!;
      if ((this as unknown as Record<string, AnyHook>)[helper] !== method) {
        throw new TypeError(`${this.constructor.name} overrides ${helper}(), a bulk helper; ${fix}`);
      }
      Object.defineProperty(this, helper, {
        configurable: false,
        enumerable: false,
        get: () => method,
        set: () => {
          throw new TypeError(`${this.constructor.name}: ${helper}() is a bulk helper and cannot be replaced; ${fix}`);
        },
      });
    }
  }

  /** The guard of each hook: lifecycle, argument checks, step resolution and rank zero, around `implementation`. */
  #guards(implementation: (hook: TrackerHook) => AnyHook): Record<TrackerHook, AnyHook> {
    const guards = {
      start: (given: string | undefined, logdir: string) => {
        const runId = given === undefined ? generateRunId() : given;
        requireString('start', 'runId', runId);
        requireString('start', 'logdir', logdir);
        if (this.#state !== 'idle') {
          this.#warnOnce('restart', `start() was called on a tracker that is already ${this.#state}; ignored`);
          return undefined;
        }
        this.#state = 'started';
        this.#runId = runId;
        return this.#active ? implementation('start').call(this, runId, logdir) : undefined;
      },
      // Inside its own end() a plugin may still flush what it buffered there (a final event, a closing record):
      // the run is ended for callers, but the hook is reached until the plugin's end() has settled.
      flush: () =>
        (this.#state === 'started' || this.#endRunning) && this.#active
          ? implementation('flush').call(this)
          : undefined,
      end: (error?: unknown) => {
        if (this.#ending) return this.#ending;
        const wasStarted = this.#state === 'started';
        this.#state = 'ended';
        this.#ending =
          wasStarted && this.#active
            ? (async () => {
                // A flush that fails (a full disk) still ends the run: its files are closed, its status written
                // where it can be, and the first error is what end() rejects with.
                let flushFailure: unknown;
                try {
                  await implementation('flush').call(this);
                } catch (failure) {
                  flushFailure = failure ?? new Error('flush() failed');
                }
                this.#endRunning = true;
                try {
                  await implementation('end').call(this, error);
                } finally {
                  this.#endRunning = false;
                }
                if (flushFailure !== undefined) throw flushFailure;
              })()
            : Promise.resolve();
        return this.#ending;
      },
    } as Record<TrackerHook, AnyHook>;
    for (const hook of OTHER_LOG_HOOKS) {
      const check = ARGUMENT_CHECKS[hook];
      guards[hook] = (...args: unknown[]) => {
        if (this.#state !== 'started') {
          this.#ignoredCall(hook);
          return;
        }
        const checked = check(args, this.#nextStep);
        if (this.#active) implementation(hook).apply(this, checked);
      };
    }
    // The training loop's call, per metric and batch: the same contract as the others, written out for its three
    // arguments so that a call allocates nothing (no rest or checked array) and calls the hook from a site of its own.
    guards.logMetric = (name: unknown, value: unknown, step?: unknown) => {
      if (this.#state !== 'started') {
        this.#ignoredCall('logMetric');
        return;
      }
      const resolved = checkMetric(name, value, step, this.#nextStep);
      if (this.#active) implementation('logMetric').call(this, name, value, resolved);
    };
    return guards;
  }

  #ignoredCall(hook: LogHook): void {
    const when = this.#state === 'idle' ? 'before start()' : 'after end()';
    this.#warnOnce(this.#state, `${hook}() was called ${when}; the call is ignored`);
  }

  #warnOnce(key: string, message: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    process.emitWarning(`${this.constructor.name}: ${message} (warned once per tracker)`, {
      type: 'GymnosWarning',
      code: key === 'idle' ? 'GYMNOS_LOG_BEFORE_START' : key === 'ended' ? 'GYMNOS_LOG_AFTER_END' : 'GYMNOS_RESTART',
    });
  }
}

/**
 * What this engine says when a class field redefines a hook's guard: the message of the same operation (a data
 * property defined over a non-configurable accessor, as a class field is) on an object of our own, so that an error
 * is recognized by what the engine does rather than by its wording. Computed on the error path only.
 */
function redefinitionMessage(hook: string): string | undefined {
  const probe = {};
  Object.defineProperty(probe, hook, { get: () => undefined, set: () => undefined, configurable: false });
  try {
    Object.defineProperty(probe, hook, { value: 0, writable: true, enumerable: true, configurable: true });
  } catch (error) {
    return error instanceof TypeError ? error.message : undefined;
  }
  return undefined;
}

/**
 * The error of building a tracker, explained when a hook was written as a class field: names the hook and the
 * fix (write it as a method). Other errors are returned as they are. `load` and the conformance kit use it.
 */
export function explainConstructionError(error: unknown, className: string): unknown {
  if (!(error instanceof TypeError)) return error;
  const hooks = ['start', 'flush', 'end', ...LOG_HOOKS, ...Object.keys(BULK_HELPERS)];
  const hook = hooks.find((name) => redefinitionMessage(name) === error.message);
  if (hook === undefined) return error;
  return new TypeError(
    `${className}: ${hook} is written as a class field (${hook} = (...) => ...), which the Tracker base class ` +
      `cannot guard; write it as a method instead: ${hook}(...) { ... }`,
    { cause: error },
  );
}

/**
 * True when `value` is a class that extends Tracker: a Tracker class of some copy of gymnos is on its prototype
 * chain. A class that copies Tracker's statics, or has the same methods, is not one.
 */
export function isTrackerClass(value: unknown): value is new (params?: object) => Tracker {
  for (let link = value; typeof link === 'function'; link = Object.getPrototypeOf(link)) {
    if (TRACKER_BASES.has(link)) return true;
  }
  return false;
}

function prefixed(prefix: string | undefined, name: string): string {
  return prefix ? `${prefix}/${name}` : name;
}

function isNumericTypedArray(value: unknown): boolean {
  return ArrayBuffer.isView(value) && !(value instanceof DataView) && !(value instanceof BigInt64Array);
}

function requireString(hook: string, what: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`${hook}(): ${what} must be a non-empty string, got ${describe(value)}`);
  }
}

/** The bulk helpers take an object of name → value: anything else is a TypeError saying so. */
function requireRecord(helper: string, what: string, value: unknown): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`${helper}(): ${what} must be an object of name → value, got ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

type ArgumentCheck = (args: unknown[], nextStep: Map<string, number>) => unknown[];

/**
 * logMetric's checks: a non-empty name, a number (NaN and ±Infinity pass), a step that is a non-negative safe
 * integer or absent. Returns the step the hook receives: the caller's, else the name's next one.
 */
function checkMetric(name: unknown, value: unknown, step: unknown, nextStep: Map<string, number>): number {
  requireString('logMetric', 'name', name);
  if (typeof value !== 'number') {
    throw new TypeError(`logMetric("${name}"): value must be a number, got ${describe(value)}`);
  }
  if (step !== undefined && (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0)) {
    throw new TypeError(`logMetric("${name}"): step must be a non-negative integer, got ${describe(step)}`);
  }
  const resolved = (step as number | undefined) ?? nextStep.get(name) ?? 0;
  nextStep.set(name, resolved + 1);
  return resolved;
}

/** Per hook but logMetric (see checkMetric): validate the arguments and return what the plugin's hook receives. */
const ARGUMENT_CHECKS: Record<OtherLogHook, ArgumentCheck> = {
  logTag([key, value]) {
    requireString('logTag', 'key', key);
    if (!['string', 'number', 'boolean'].includes(typeof value)) {
      throw new TypeError(`logTag("${key}"): value must be a string, number or boolean, got ${describe(value)}`);
    }
    return [key, String(value)];
  },
  logAsset([name, filePath]) {
    requireString('logAsset', 'name', name);
    requireString(`logAsset("${name}")`, 'filePath', filePath);
    return [name, filePath];
  },
  logImage([name, filePath]) {
    requireString('logImage', 'name', name);
    requireString(`logImage("${name}")`, 'filePath', filePath);
    return [name, filePath];
  },
  logFigure([name, figure]) {
    requireString('logFigure', 'name', name);
    describeFigure(name, figure);
    return [name, figure];
  },
  logParam([name, value]) {
    requireString('logParam', 'name', name);
    // One check of the whole value, and a plain copy: every backend gets the same JSON, or the caller the same
    // TypeError, and a later change to the caller's object changes nothing logged.
    return [name, toJsonValue(`logParam("${name}")`, value)];
  },
};
