/**
 * `trackerCallback(trackers, options)`: a TensorFlow.js callback that logs `model.fit` and `model.fitDataset`
 * to gymnos trackers. See docs/tfjs.md.
 *
 * The callback is a plain object (tfjs's `CustomCallbackArgs`): tfjs wraps it in a `CustomCallback` and calls
 * its functions as methods of that wrapper, whose `params` tfjs has set; the model comes from the `model` option.
 * Put after tfjs's own callbacks (`[tf.callbacks.earlyStopping(), callback]`), it is used as one of them: tfjs
 * then calls `setParams`, `setModel` and every hook on it directly, with logs that may still hold `Scalar`s.
 *
 * The training loop never waits on I/O: metrics go to the trackers' buffered log calls, checkpoint files are
 * written in the background, and scalars the logs still hold are read asynchronously. A checkpoint holds training
 * only while tfjs copies the weights. Train begin waits for the topology file (before the first epoch, so that a
 * fit that throws leaves no write behind); train end waits for everything, then flushes the trackers, or ends
 * them if the callback started them.
 */
import os from 'node:os';
import path from 'node:path';
import { isTrackerClass } from '../trackers/tracker.js';
import type { ParamValue, Tracker } from '../trackers/tracker.js';
import { checkpointFiles, improves, loadWithSaveHandler, monitorMode, snapshotModel } from './checkpoint.js';
import type { MonitorMode, WithSaveHandler } from './checkpoint.js';
import {
  BATCH_LOG_KEYS,
  batchMetricName,
  epochMetricName,
  LEARNING_RATE_NAME,
  MetricNames,
  prefixed,
} from './metric_names.js';
import { RunFiles, warnNotSaved } from './run_files.js';
import { learningRate, modelParams, trainingParams } from './run_params.js';
import type { ScalarLike, TfjsLogs, TfjsModelLike, TfjsTrainingParams } from './tfjs_types.js';

export interface CheckpointOptions {
  /** The log key whose improvement saves the weights (`val_loss`, `val_acc`, `loss`...). */
  monitor: string;
  /** `min`, `max`, or `auto` (the default: `max` for accuracy-like names, as Keras decides). */
  mode?: MonitorMode | 'auto';
}

export interface TrackerCallbackOptions {
  /** The model being trained: its optimizer, loss, layers, topology, learning rate and checkpoints are logged. */
  model?: TfjsModelLike;
  /** `'epoch'` (the default), `'batch'`, or every N batches: when batch metrics are logged too. */
  updateFreq?: 'epoch' | 'batch' | number;
  /** Put before every metric, param and asset name, joined with `/` (`-` in asset names). */
  prefix?: string;
  /** Log the run's params and the model's topology at train begin. Default true. */
  logParams?: boolean;
  /** Log the weights at the end of training (`true`), or each time a monitored metric improves. */
  checkpoint?: boolean | CheckpointOptions;
  /** The arguments given to `fit`, for what tfjs does not pass to callbacks (`validationSplit`, `shuffle`). */
  fitArgs?: Readonly<Record<string, unknown>>;
  /** Where the run goes when the callback starts the trackers. Default `logs`. */
  logdir?: string;
  /** The run id when the callback starts the trackers; default: a new one (`generateRunId`). */
  runId?: string;
  /** Where the topology and checkpoints are written before they are logged; default `<tmpdir>/gymnos-tfjs`. */
  filesDir?: string;
}

/**
 * What `trackerCallback` returns: pass it as `callbacks` to `model.fit` or `model.fitDataset`, alone, in a list of
 * callback objects, or after tfjs's own callbacks.
 */
export interface TrackerCallback {
  onTrainBegin(logs?: TfjsLogs): Promise<void>;
  onEpochBegin(epoch: number, logs?: TfjsLogs): Promise<void>;
  onEpochEnd(epoch: number, logs?: TfjsLogs): Promise<void>;
  /** Present only when batches are logged, or when tfjs calls the hooks itself: tfjs reads each batch's logs for it. */
  readonly onBatchBegin?: (batch: number, logs?: TfjsLogs) => void;
  readonly onBatchEnd?: (batch: number, logs?: TfjsLogs) => void;
  onTrainEnd(logs?: TfjsLogs): Promise<void>;
  /** Called by tfjs when the callback is used as one of its own (after tfjs's callbacks in a list). */
  setParams(params: TfjsTrainingParams): void;
  setModel(model: TfjsModelLike): void;
}

interface Checkpointing {
  /** Save when this log key improves; undefined: save at the end of training only. */
  monitor: string | undefined;
  mode: MonitorMode;
}

interface Settings {
  model: TfjsModelLike | undefined;
  /** Log batch metrics every this many batches; undefined: epochs only. */
  batchEvery: number | undefined;
  prefix: string | undefined;
  logParams: boolean;
  checkpoint: Checkpointing | undefined;
  fitArgs: Readonly<Record<string, unknown>> | undefined;
  logdir: string;
  runId: string | undefined;
  filesDir: string;
}

/** What is known of a run across its `fit` calls, and across the callbacks made for the same trackers. */
interface RunProgress {
  nextEpoch: number;
  nextBatch: number;
  fits: number;
  paramNames: Set<string>;
  models: WeakSet<object>;
  files: RunFiles | undefined;
}

const RUNS = new WeakMap<Tracker, RunProgress>();

/** An epoch's values by log key: a number, or the read of a scalar (undefined if it failed). */
type LoggedValues = Map<string, number | Promise<number | undefined>>;

function progressOf(trackers: Tracker): RunProgress {
  let progress = RUNS.get(trackers);
  if (!progress) {
    progress = { nextEpoch: 0, nextBatch: 0, fits: 0, paramNames: new Set(), models: new WeakSet(), files: undefined };
    RUNS.set(trackers, progress);
  }
  return progress;
}

/** One `fit` call. */
interface Fit {
  /** 1 for the run's first fit, 2 for the next... */
  index: number;
  startedRun: boolean;
  /** Whether files may be written: the trackers are started and log on this rank. */
  writesFiles: boolean;
  /** Added to tfjs's epoch index to continue the run's epochs; set at the fit's first epoch. */
  epochOffset: number | undefined;
  lastStep: number | undefined;
  checkpointStep: number | undefined;
  paramsPrefix: string | undefined;
  /** tfjs did not say at train begin (fitDataset): logged at the first epoch. */
  initialEpochUnknown: boolean;
}

function describeValue(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : typeof value === 'object' ? 'an object' : String(value);
}

function checkSettings(options: TrackerCallbackOptions): Settings {
  const fail = (what: string, value: unknown) => {
    throw new TypeError(`trackerCallback(): ${what}, got ${describeValue(value)}`);
  };
  const { updateFreq = 'epoch', checkpoint, prefix, logdir = 'logs', runId, filesDir, model, fitArgs } = options;
  let batchEvery: number | undefined;
  if (updateFreq === 'batch') batchEvery = 1;
  else if (typeof updateFreq === 'number' && Number.isSafeInteger(updateFreq) && updateFreq > 0)
    batchEvery = updateFreq;
  else if (updateFreq !== 'epoch') fail("updateFreq must be 'epoch', 'batch' or a positive integer", updateFreq);
  let checkpointing: Checkpointing | undefined;
  if (checkpoint === true) checkpointing = { monitor: undefined, mode: 'min' };
  else if (typeof checkpoint === 'object' && checkpoint !== null) {
    const { monitor, mode = 'auto' } = checkpoint;
    if (typeof monitor !== 'string' || monitor === '')
      fail('checkpoint.monitor must be a log key such as "val_loss"', monitor);
    if (!['min', 'max', 'auto'].includes(mode)) fail("checkpoint.mode must be 'min', 'max' or 'auto'", mode);
    checkpointing = { monitor, mode: monitorMode(monitor, mode) };
  } else if (checkpoint !== undefined && checkpoint !== false)
    fail('checkpoint must be true, false or { monitor }', checkpoint);
  for (const [name, value] of Object.entries({ prefix, logdir, runId, filesDir })) {
    if (value !== undefined && typeof value !== 'string') fail(`${name} must be a string`, value);
  }
  for (const [name, value] of Object.entries({ model, fitArgs })) {
    if (value !== undefined && (typeof value !== 'object' || value === null)) fail(`${name} must be an object`, value);
  }
  if (options.logParams !== undefined && typeof options.logParams !== 'boolean') {
    fail('logParams must be true or false', options.logParams);
  }
  return {
    model,
    batchEvery,
    prefix: prefix || undefined,
    logParams: options.logParams ?? true,
    checkpoint: checkpointing,
    fitArgs,
    logdir,
    runId,
    filesDir: filesDir ?? path.join(os.tmpdir(), 'gymnos-tfjs'),
  };
}

function isScalar(value: unknown): value is ScalarLike {
  return typeof value === 'object' && value !== null && typeof (value as ScalarLike).data === 'function';
}

/** An asset name: the prefix, made file-name safe, before the name. */
function assetStem(prefix: string | undefined, name: string): string {
  const stem = prefix ? `${prefix}-${name}` : name;
  return stem.replace(/[^A-Za-z0-9._-]+/g, '-');
}

/** The work behind one callback: what each hook does, with the run's progress and the fit's state. */
class TrainingLog {
  readonly #trackers: Tracker;
  readonly #settings: Settings;
  readonly #epochNames: MetricNames;
  readonly #batchNames: MetricNames;
  /** Background work (scalar reads, file writes) the end of training waits for. */
  readonly #pending = new Set<Promise<void>>();
  /** The last file write, settled: the next waits for it, so assets and the checkpoint tag follow the epochs. */
  #lastWrite: Promise<void> = Promise.resolve();
  #fit: Fit | undefined;
  #progress: RunProgress;
  #withSaveHandler: WithSaveHandler | undefined;
  #best: number | undefined;
  #warnedMonitor = false;
  /** The model tfjs gave through `setModel`, when the callback is used as one of tfjs's own. */
  modelFromFit: TfjsModelLike | undefined;
  /** The params tfjs gave through `setParams`, likewise. */
  paramsFromFit: TfjsTrainingParams | undefined;

  constructor(trackers: Tracker, settings: Settings) {
    this.#trackers = trackers;
    this.#settings = settings;
    this.#epochNames = new MetricNames(settings.prefix, epochMetricName);
    this.#batchNames = new MetricNames(settings.prefix, batchMetricName);
    this.#progress = progressOf(trackers);
  }

  get logsBatches(): boolean {
    return this.#settings.batchEvery !== undefined;
  }

  get #model(): TfjsModelLike | undefined {
    return this.#settings.model ?? this.modelFromFit;
  }

  async trainBegin(params: TfjsTrainingParams | undefined): Promise<void> {
    const trackers = this.#trackers;
    let startedRun = false;
    if (trackers.state === 'idle') {
      await trackers.start(this.#settings.runId, this.#settings.logdir);
      startedRun = true;
    }
    const progress = (this.#progress = progressOf(trackers));
    progress.fits += 1;
    const writesFiles = trackers.state === 'started' && trackers.active;
    if (writesFiles && progress.files === undefined) {
      progress.files = new RunFiles(this.#settings.filesDir, trackers.runId!);
    }
    const fit = (this.#fit = this.#newFit(progress.fits, startedRun, writesFiles));
    this.#best = undefined;
    if (this.#settings.logParams) await this.#logRunParams(fit, params ?? this.paramsFromFit);
    if (this.#settings.checkpoint && writesFiles && this.#model?.save) {
      this.#withSaveHandler ??= await loadWithSaveHandler();
    }
  }

  async epochBegin(epoch: number): Promise<void> {
    const fit = this.#currentFit();
    if (fit.epochOffset !== undefined) return;
    fit.epochOffset = Math.max(0, this.#progress.nextEpoch - epoch);
    if (fit.initialEpochUnknown) this.#trackers.logParam(prefixed(fit.paramsPrefix, 'initialEpoch'), epoch);
  }

  async epochEnd(epoch: number, logs: TfjsLogs | undefined): Promise<void> {
    const fit = this.#currentFit();
    fit.epochOffset ??= Math.max(0, this.#progress.nextEpoch - epoch);
    const step = epoch + fit.epochOffset;
    this.#progress.nextEpoch = Math.max(this.#progress.nextEpoch, step + 1);
    fit.lastStep = step;
    const values: LoggedValues = new Map();
    this.#log(logs, this.#epochNames, step, values);
    const rate = learningRate(this.#model?.optimizer);
    if (rate !== undefined) this.#trackers.logMetric(prefixed(this.#settings.prefix, LEARNING_RATE_NAME), rate, step);
    const monitor = this.#settings.checkpoint?.monitor;
    if (monitor === undefined) return;
    const value = await values.get(monitor);
    if (value === undefined) {
      this.#warnMonitorMissing(monitor, logs);
    } else if (improves(value, this.#best, this.#settings.checkpoint!.mode)) {
      this.#best = value;
      await this.#saveCheckpoint(fit, step);
    }
  }

  batchEnd(logs: TfjsLogs | undefined): void {
    const every = this.#settings.batchEvery;
    if (every === undefined) return;
    const step = this.#progress.nextBatch++;
    if (step % every === 0) this.#log(logs, this.#batchNames, step);
  }

  async trainEnd(): Promise<void> {
    const fit = this.#currentFit();
    const checkpoint = this.#settings.checkpoint;
    if (checkpoint && checkpoint.monitor === undefined && fit.lastStep !== undefined) {
      await this.#saveCheckpoint(fit, fit.lastStep);
    }
    await this.#settled();
    this.#fit = undefined;
    if (fit.startedRun) await this.#trackers.end();
    else if (this.#trackers.state === 'started') await this.#trackers.flush();
  }

  /** The fit under way; hooks called without `onTrainBegin` (a custom loop) log into a fit of their own. */
  #currentFit(): Fit {
    return (this.#fit ??= this.#newFit(0, false, false));
  }

  #newFit(index: number, startedRun: boolean, writesFiles: boolean): Fit {
    return {
      index,
      startedRun,
      writesFiles,
      epochOffset: undefined,
      lastStep: undefined,
      checkpointStep: undefined,
      paramsPrefix: this.#settings.prefix,
      initialEpochUnknown: false,
    };
  }

  /**
   * Logs every metric of `logs` at `step`, the numbers at once and the scalars once read (in the background);
   * puts each value (or its read) in `values` when given, for the checkpoint's monitor.
   */
  #log(logs: TfjsLogs | undefined, names: MetricNames, step: number, values?: LoggedValues): void {
    if (!logs) return;
    let scalars: [string, ScalarLike][] | undefined;
    for (const key of Object.keys(logs)) {
      if (BATCH_LOG_KEYS.has(key)) continue;
      const value = logs[key];
      if (typeof value === 'number') {
        this.#trackers.logMetric(names.of(key), value, step);
        values?.set(key, value);
      } else if (isScalar(value)) {
        (scalars ??= []).push([key, value]);
      }
    }
    if (scalars) {
      // Started now: tfjs disposes the batch's scalars once the hook returns (a read in flight keeps its data).
      const read = Promise.all(scalars.map(([, scalar]) => scalar.data()));
      const logged = read.then((data) => {
        scalars.forEach(([key], index) => this.#trackers.logMetric(names.of(key), data[index]![0]!, step));
      });
      scalars.forEach(([key], index) =>
        values?.set(
          key,
          read.then(
            (data) => data[index]![0]!,
            () => undefined,
          ),
        ),
      );
      this.#background(logged, (error) =>
        process.emitWarning(`gymnos/tfjs: the metrics of step ${step} could not be read: ${(error as Error).message}`, {
          type: 'GymnosWarning',
          code: 'GYMNOS_TFJS_UNREAD',
        }),
      );
    }
  }

  /** The params, and the model's topology (written before training starts: no write is left to a failed fit). */
  async #logRunParams(fit: Fit, params: TfjsTrainingParams | undefined): Promise<void> {
    const model = this.#model;
    const run: Record<string, ParamValue> = {
      ...trainingParams(params, this.#settings.fitArgs),
      ...(model ? modelParams(model) : {}),
    };
    fit.initialEpochUnknown = !('initialEpoch' in run);
    // A later fit of the run (fine-tuning) logs its params under `fit2/`...: MLflow refuses a param that changes.
    const names = Object.keys(run).map((name) => prefixed(this.#settings.prefix, name));
    if (names.some((name) => this.#progress.paramNames.has(name))) {
      fit.paramsPrefix = prefixed(this.#settings.prefix, `fit${fit.index}`);
    }
    for (const name of Object.keys(run)) this.#progress.paramNames.add(prefixed(fit.paramsPrefix, name));
    if (fit.initialEpochUnknown) this.#progress.paramNames.add(prefixed(fit.paramsPrefix, 'initialEpoch'));
    this.#trackers.logParams(run, { prefix: fit.paramsPrefix });
    if (model && typeof model.toJSON === 'function' && fit.writesFiles && !this.#progress.models.has(model)) {
      this.#progress.models.add(model);
      const topology = JSON.stringify(model.toJSON(null, false));
      const name = this.#progress.files!.reserve(assetStem(this.#settings.prefix, 'model-topology'));
      this.#writeAssets('the model topology', [{ name, fileName: `${name}.json`, data: topology }]);
      await this.#settled();
    }
  }

  async #saveCheckpoint(fit: Fit, step: number): Promise<void> {
    const model = this.#model;
    const files = this.#progress.files;
    if (!fit.writesFiles || !files || !model?.save || !this.#withSaveHandler || fit.checkpointStep === step) return;
    fit.checkpointStep = step;
    const artifacts = await snapshotModel(model as Required<Pick<TfjsModelLike, 'save'>>, this.#withSaveHandler);
    const stem = files.reserve(assetStem(this.#settings.prefix, `checkpoint-epoch-${step}`));
    const [json, weights] = checkpointFiles(stem, artifacts);
    this.#writeAssets(
      `checkpoint ${stem}`,
      [
        { name: stem, ...json },
        { name: `${stem}.weights`, ...weights },
      ],
      () => this.#trackers.logTag(prefixed(this.#settings.prefix, 'checkpoint'), stem),
    );
  }

  /**
   * Writes files in the background, then logs each as an asset named `name`. One write after another: written side
   * by side, a large early checkpoint finished after a later one, was logged after it, and its tag then named a
   * checkpoint that was no longer the best.
   */
  #writeAssets(
    what: string,
    assets: readonly { name: string; fileName: string; data: string | Uint8Array | readonly Uint8Array[] }[],
    then?: () => void,
  ): void {
    const files = this.#progress.files!;
    const written = this.#lastWrite
      .then(() => files.write(assets))
      .then((paths) => {
        assets.forEach(({ name }, index) => this.#trackers.logAsset(name, paths[index]!));
        then?.();
      });
    this.#lastWrite = this.#background(written, (error) => warnNotSaved(what, error));
  }

  async #settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  /** Runs `task` in the background (train end waits for it); returns it settled, its error given to `onError`. */
  #background(task: Promise<void>, onError: (error: unknown) => void): Promise<void> {
    const settled = task.catch(onError);
    this.#pending.add(settled);
    void settled.finally(() => this.#pending.delete(settled));
    return settled;
  }

  #warnMonitorMissing(monitor: string, logs: TfjsLogs | undefined): void {
    if (this.#warnedMonitor) return;
    this.#warnedMonitor = true;
    const keys = Object.keys(logs ?? {}).join(', ') || 'none';
    process.emitWarning(
      `gymnos/tfjs: checkpoint.monitor "${monitor}" is not in the epoch logs (they have: ${keys}); ` +
        'no checkpoint is saved for it (a val_ metric needs validation data)',
      { type: 'GymnosWarning', code: 'GYMNOS_TFJS_MONITOR' },
    );
  }
}

/**
 * A callback for `model.fit(x, y, { callbacks })` and `model.fitDataset(dataset, { callbacks })` that logs the
 * training to `trackers` (a tracker or a `TrackerList`): epoch metrics (and batch metrics with `updateFreq`),
 * the run's params and the model's topology at train begin, the learning rate per epoch, and checkpoints.
 * Starts the trackers at train begin if they are not started, and ends them at train end only if it started them.
 */
export function trackerCallback(trackers: Tracker, options: TrackerCallbackOptions = {}): TrackerCallback {
  if (!isTrackerClass((trackers as { constructor?: unknown } | null | undefined)?.constructor)) {
    throw new TypeError(
      `trackerCallback(): trackers must be a gymnos Tracker or TrackerList, got ${describeValue(trackers)}`,
    );
  }
  if (typeof options !== 'object' || options === null)
    throw new TypeError('trackerCallback(): options must be an object');
  const training = new TrainingLog(trackers, checkSettings(options));
  /** tfjs calls `setParams` only on a callback it uses as its own: the hooks are then called directly. */
  let direct = false;
  const batchEnd = (_batch: number, logs?: TfjsLogs) => training.batchEnd(logs);
  const ignore = () => {};
  return {
    setParams(params: TfjsTrainingParams) {
      direct = true;
      training.paramsFromFit = params;
    },
    setModel(model: TfjsModelLike) {
      training.modelFromFit = model;
    },
    // Called by tfjs's CustomCallback as its own method: `this` is the wrapper, whose params tfjs has set.
    onTrainBegin(this: unknown) {
      const params = (this as { params?: TfjsTrainingParams } | undefined)?.params;
      return training.trainBegin(params);
    },
    onEpochBegin: (epoch: number) => training.epochBegin(epoch),
    onEpochEnd: (epoch: number, logs?: TfjsLogs) => training.epochEnd(epoch, logs),
    onTrainEnd: () => {
      direct = false;
      return training.trainEnd();
    },
    // Without batch logging, no onBatchEnd: tfjs's wrapper would read every batch's logs to pass them on.
    get onBatchBegin() {
      return direct ? ignore : undefined;
    },
    get onBatchEnd() {
      return direct || training.logsBatches ? batchEnd : undefined;
    },
  };
}
