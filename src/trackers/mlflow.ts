/**
 * The `mlflow` tracker: logs to an MLflow tracking server over its REST API 2.0.
 *
 * Training must never die because tracking did. Log calls only queue (they never wait and never throw for
 * a server problem); a background sender batches the queue into `runs/log-batch` requests within MLflow's
 * limits and uploads artifacts through the server's `mlflow-artifacts` endpoints. When the server is down,
 * slow or answering 5xx, requests are retried with exponential backoff and jitter and what cannot be sent
 * yet is spooled on disk (bounded), then delivered when the server answers again, by this process or a
 * later one (`MlflowTracker.deliverSpool`). `start` does not fail either: the MLflow run is created as soon
 * as the server can be reached. `end` sends the run status (FINISHED, or FAILED when given an error), waits
 * at most `endTimeoutMs`, then warns about (and reports in `endReport`) what it could not deliver.
 * See docs/trackers/mlflow.md.
 */
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { GymnosError } from '../errors.js';
import { redactCredentials } from '../util/redact.js';
import { displayUri, MlflowRestClient } from './mlflow/client.js';
import { MLFLOW_CONNECTION_PARAMS } from './mlflow/connection_params.js';
import { MlflowDelivery } from './mlflow/delivery.js';
import type { MlflowDeliveryReport } from './mlflow/delivery.js';
import {
  MAX_KEY_LENGTH,
  MAX_PARAM_VALUE_LENGTH,
  MAX_TAG_VALUE_LENGTH,
  codePointLength,
  paramToString,
  sanitizeKey,
  truncateCodePoints,
} from './mlflow/limits.js';
import { artifactPath, figureRecord, fileRecord } from './remote/artifacts.js';
import { deliverSpoolWith } from './remote/deliver_spool.js';
import { wireDouble } from './remote/records.js';
import { endSession } from './remote/session_end.js';
import { REMOTE_DEFAULTS } from './remote/session_params.js';
import type { RemoteRequestParams, RemoteSessionParams, SpoolDeliveryParams } from './remote/session_params.js';
import { Spool } from './remote/spool.js';
import type { MlflowRunMeta as SpoolMeta } from './mlflow/protocol.js';
import { booleanParam, numberParam, refuseExistingRun } from '../runtime/tracker_params.js';
import { Tracker } from './tracker.js';
import type { Figure, ParamValue, TrackerOptions } from './tracker.js';

export type { MlflowDeliveryReport, DeliveryCounts, RejectedItem } from './mlflow/delivery.js';

/** How to reach the server (shared by the tracker and `deliverSpool`). */
export interface MlflowConnectionParams extends RemoteRequestParams {
  /** `http(s)://host:port[/prefix]` of the tracking server. Default: the MLFLOW_TRACKING_URI environment variable. */
  trackingUri?: string;
  /** Sent as `Authorization: Bearer <token>`. Default: MLFLOW_TRACKING_TOKEN. */
  token?: string;
  /** Basic auth when there is no token. Default: MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD. */
  username?: string;
  password?: string;
}

/**
 * The spool (`spoolDir`: `<logdir>/<runId>/mlflow-spool`), `resume` (the same MLflow run, set back to RUNNING), the
 * queue, the timers and the waits are every remote tracker's (RemoteSessionParams).
 */
export interface MlflowTrackerParams extends TrackerOptions, MlflowConnectionParams, RemoteSessionParams {
  /** Experiment to log into, created when missing. Default: MLFLOW_EXPERIMENT_NAME, else `Default`. */
  experimentName?: string;
  /** The MLflow run name. Default: the run id given to `start`. */
  runName?: string;
  /** Param values are truncated to this many characters (with a warning). Default 6000 (MLflow >= 2; 500 before). */
  maxParamValueLength?: number;
  /** Tag values are truncated to this many characters (with a warning). Default 8000. */
  maxTagValueLength?: number;
}

export interface DeliverSpoolOptions extends MlflowConnectionParams, SpoolDeliveryParams {}

const DEFAULTS = {
  ...REMOTE_DEFAULTS,
  maxParamValueLength: MAX_PARAM_VALUE_LENGTH,
  maxTagValueLength: MAX_TAG_VALUE_LENGTH,
};

type NumericParam = keyof typeof DEFAULTS;

const MAX_RENAME_WARNINGS = 10;

function warn(code: string, message: string): void {
  process.emitWarning(redactCredentials(`MlflowTracker: ${message}`), { type: 'GymnosWarning', code });
}

/** Every numeric parameter of this tracker is a positive number (of ms, bytes or items). */
function numeric(params: Record<string, unknown>, name: NumericParam): number {
  return numberParam('MlflowTracker', name, params[name], DEFAULTS[name], { min: 0, exclusive: true });
}

function connection(params: MlflowConnectionParams): { client: MlflowRestClient; trackingUri: string } {
  const env = process.env;
  const trackingUri = params.trackingUri ?? env.MLFLOW_TRACKING_URI;
  if (!trackingUri) {
    throw new GymnosError(
      'MLFLOW_NO_TRACKING_URI',
      'MlflowTracker: no tracking server: pass trackingUri (e.g. http://127.0.0.1:5000) or set MLFLOW_TRACKING_URI',
    );
  }
  const requestTimeoutMs = numeric(params as Record<string, unknown>, 'requestTimeoutMs');
  let client: MlflowRestClient;
  try {
    client = new MlflowRestClient({
      trackingUri,
      token: params.token ?? env.MLFLOW_TRACKING_TOKEN,
      username: params.username ?? env.MLFLOW_TRACKING_USERNAME,
      password: params.password ?? env.MLFLOW_TRACKING_PASSWORD,
      requestTimeoutMs,
    });
  } catch (error) {
    throw new GymnosError(
      'MLFLOW_BAD_TRACKING_URI',
      redactCredentials(
        `MlflowTracker: trackingUri ${JSON.stringify(trackingUri)} is not usable: ${(error as Error).message}; ` +
          'give the http(s) URL of an MLflow tracking server',
      ),
    );
  }
  return { client, trackingUri: displayUri(trackingUri) };
}

/** MLflow's artifact path of a user-given name: its safe characters only. */
function mlflowArtifactPath(prefix: string, name: string, extension: string): string {
  return artifactPath(prefix, name, extension, (segment) => segment.replace(/[^\p{L}\p{N}_.\- ]/gu, '_'));
}

export class MlflowTracker extends Tracker {
  readonly #params: MlflowTrackerParams;
  readonly #client: MlflowRestClient;
  readonly #trackingUri: string;
  readonly #numbers: Record<NumericParam, number>;
  #delivery: MlflowDelivery | undefined;
  /** The logdir given to `start`, for the `gymnos sync` hint. */
  #logdir = '.';
  readonly #loggedParams = new Map<string, string>();
  readonly #renamed = new Set<string>();
  /** What `end` could and could not deliver; set once `end` has settled. */
  endReport: MlflowDeliveryReport | undefined;

  constructor(params: MlflowTrackerParams = {}) {
    super(params);
    booleanParam('MlflowTracker', 'resume', params.resume);
    this.#params = { ...params };
    const { client, trackingUri } = connection(params);
    this.#client = client;
    this.#trackingUri = trackingUri;
    this.#numbers = Object.fromEntries(
      (Object.keys(DEFAULTS) as NumericParam[]).map((name) => [name, numeric(params as Record<string, unknown>, name)]),
    ) as Record<NumericParam, number>;
  }

  /** The MLflow run id, once the run exists on the server. */
  get mlflowRunId(): string | undefined {
    return this.#delivery?.runId;
  }

  /** Where undelivered data is spooled (known after `start`). */
  get spoolDir(): string | undefined {
    return this.#delivery?.spoolDir;
  }

  /** Where delivery stands now (undefined before `start`). */
  async deliveryReport(): Promise<MlflowDeliveryReport | undefined> {
    return this.#delivery?.report();
  }

  /**
   * `MlflowTracker.deliverSpool` with this tracker's connection parameters, for trackers obtained with
   * `load('mlflow', params)`; the tracker does not need to be started.
   */
  deliverSpool(spoolDir: string, options: Pick<DeliverSpoolOptions, 'timeoutMs'> = {}): Promise<MlflowDeliveryReport> {
    const connectionParams: DeliverSpoolOptions = {};
    for (const name of MLFLOW_CONNECTION_PARAMS) {
      if (this.#params[name] !== undefined) Object.assign(connectionParams, { [name]: this.#params[name] });
    }
    return MlflowTracker.deliverSpool(spoolDir, { ...connectionParams, ...options });
  }

  override async start(runId: string, logdir: string): Promise<void> {
    const spoolDir = path.resolve(this.#params.spoolDir ?? path.join(logdir, runId, 'mlflow-spool'));
    // A spool that names a run (run.json) is an earlier session of this run id: continuing it means the same
    // MLflow run, set back to RUNNING, and is done only when asked.
    refuseExistingRun('MlflowTracker', spoolDir, runId, {
      existing: (dir) => existsSync(path.join(dir, 'run.json')),
      resume: this.#params.resume === true,
    });
    const startTime = Date.now();
    this.#logdir = logdir;
    const meta: SpoolMeta = {
      version: 1,
      trackingUri: this.#trackingUri,
      experimentName: this.#params.experimentName ?? process.env.MLFLOW_EXPERIMENT_NAME ?? 'Default',
      runName: this.#params.runName ?? runId,
      gymnosRunId: runId,
      startTime,
      session: 'open',
      tags: { 'gymnos.run_id': runId, ...sourceTags() },
    };
    const delivery = new MlflowDelivery({
      client: this.#client,
      spoolDir,
      maxSpoolBytes: this.#numbers.maxSpoolBytes,
      meta,
      mode: 'session',
      retryBaseMs: this.#numbers.retryBaseMs,
      retryMaxMs: this.#numbers.retryMaxMs,
      maxQueueItems: this.#numbers.maxQueueItems,
      runTags: { 'gymnos.run_id': runId },
      warn,
    });
    this.#delivery = delivery;
    delivery.startTimer(this.#numbers.flushIntervalMs);
    // One attempt to create the run now, so that the run exists when start settles; if the server does not
    // answer in time, the run is created by the background sender when it does.
    await delivery.connect(Date.now() + this.#numbers.startTimeoutMs);
  }

  /** Sanitizes a metric, param or tag key, warning (for the first few) when it changes. */
  #key(kind: string, name: string): string {
    const key = sanitizeKey(name, MAX_KEY_LENGTH);
    if (key !== name && !this.#renamed.has(name) && this.#renamed.size < MAX_RENAME_WARNINGS) {
      this.#renamed.add(name);
      warn(
        'GYMNOS_MLFLOW_KEY_RENAMED',
        `${kind} "${name}" is logged as "${key}": MLflow keys are at most ${MAX_KEY_LENGTH} characters of ` +
          'letters, digits, _ - . : space and /, with no empty, . or .. segments',
      );
    }
    return key;
  }

  #truncate(kind: string, key: string, value: string, limit: number): string {
    if (value.length <= limit || codePointLength(value) <= limit) return value;
    warn(
      'GYMNOS_MLFLOW_TRUNCATED',
      `${kind} "${key}" is ${codePointLength(value)} characters long; MLflow keeps at most ${limit}, ` +
        'so it is truncated',
    );
    return truncateCodePoints(value, limit);
  }

  override logMetric(name: string, value: number, step = 0): void {
    const key = this.#key('metric', name);
    this.#delivery?.enqueue({ t: 'metric', key, value: wireDouble(value), timestamp: Date.now(), step });
  }

  override logParam(name: string, value: ParamValue): void {
    const key = this.#key('param', name);
    const text = this.#truncate('param', key, paramToString(value), this.#numbers.maxParamValueLength);
    const previous = this.#loggedParams.get(key);
    if (previous === text) return; // MLflow accepts an identical param again; there is nothing to send
    if (previous !== undefined) {
      // Logged, and refused here: counted as both, so that the report's counts add up.
      this.#delivery?.countLogged({ t: 'param', key, value: text });
      this.#delivery?.reject(
        'param',
        key,
        `MLflow params cannot change: it was logged as ${JSON.stringify(previous)}, ` +
          `the new value ${JSON.stringify(text.slice(0, 100))} is not sent (log it as a metric or a tag)`,
      );
      return;
    }
    this.#loggedParams.set(key, text);
    this.#delivery?.enqueue({ t: 'param', key, value: text });
  }

  override logTag(name: string, value: string): void {
    const key = this.#key('tag', name);
    this.#delivery?.enqueue({
      t: 'tag',
      key,
      value: this.#truncate('tag', key, value, this.#numbers.maxTagValueLength),
    });
  }

  /** Uploaded as `<name><ext>` from the file's path when the sender gets to it: keep the file until `end`. */
  override logAsset(name: string, filePath: string): void {
    this.#delivery?.enqueue(fileRecord(filePath, (extension) => mlflowArtifactPath('', name, extension)));
  }

  /** Uploaded as `images/<name><ext>`. */
  override logImage(name: string, filePath: string): void {
    this.#delivery?.enqueue(fileRecord(filePath, (extension) => mlflowArtifactPath('images', name, extension)));
  }

  /** Uploaded as `figures/<name>.png|.svg|.vl.json|.plotly.json`; the bytes are taken now. */
  override logFigure(name: string, figure: Figure): void {
    this.#delivery?.enqueue(figureRecord(name, figure, (extension) => mlflowArtifactPath('figures', name, extension)));
  }

  /**
   * Sends what is queued and waits for it, at most `flushTimeoutMs`. During an outage already known, writes it to the
   * spool (on disk) and returns at once: the background sender delivers it. Never throws for a server problem.
   */
  override async flush(): Promise<void> {
    // Within `end`, the base class flushes first: `end` does its own bounded wait.
    if (this.state === 'ended' || !this.#delivery) return;
    // During an outage already known, the data is written to the spool and flush returns (RemoteDelivery.flush).
    await this.#delivery.flush(Date.now() + this.#numbers.flushTimeoutMs);
  }

  override async end(error?: unknown): Promise<void> {
    const delivery = this.#delivery;
    if (!delivery) return;
    this.endReport = await endSession(delivery, {
      failed: error !== undefined && error !== null,
      endTimeoutMs: this.#numbers.endTimeoutMs,
      logdir: this.#logdir,
      server: `the MLflow server ${this.#trackingUri}`,
      warningPrefix: 'GYMNOS_MLFLOW',
      deliverSpoolCall: 'MlflowTracker.deliverSpool(dir)',
      warn,
    });
  }

  /**
   * Delivers a spool left by an earlier session (the server was down when it ended): creates the run if it
   * never was, sends the records in order and the final status. Resolves with the report; what could not be
   * delivered within `timeoutMs` stays in the spool. Throws a GymnosError when `spoolDir` holds no spool or
   * another process is using it.
   */
  static async deliverSpool(spoolDir: string, options: DeliverSpoolOptions = {}): Promise<MlflowDeliveryReport> {
    // Without a URI (parameter or MLFLOW_TRACKING_URI), use the one the spool was written for.
    const recorded =
      options.trackingUri ?? process.env.MLFLOW_TRACKING_URI ?? (await readSpoolMeta(spoolDir))?.trackingUri;
    const { client, trackingUri } = connection({ ...options, ...(recorded ? { trackingUri: recorded } : {}) });
    const numbers = Object.fromEntries(
      (['retryBaseMs', 'retryMaxMs'] as const).map((name) => [name, numeric(options as Record<string, unknown>, name)]),
    ) as Record<'retryBaseMs' | 'retryMaxMs', number>;
    const timeoutMs = options.timeoutMs ?? DEFAULTS.endTimeoutMs;
    const delivery = new MlflowDelivery({
      client,
      spoolDir: path.resolve(spoolDir),
      maxSpoolBytes: Number.MAX_SAFE_INTEGER,
      meta: { version: 1, trackingUri, experimentName: '', runName: '', gymnosRunId: '', startTime: Date.now() },
      mode: 'redeliver',
      retryBaseMs: numbers.retryBaseMs,
      retryMaxMs: numbers.retryMaxMs,
      maxQueueItems: DEFAULTS.maxQueueItems,
      runTags: {},
      warn: options.onWarning ?? warn,
    });
    return deliverSpoolWith(delivery, { timeoutMs, signal: options.signal, onOutage: options.onOutage });
  }
}

/**
 * The tags MLflow's own client sets on a run, so that its UI's User and Source columns are filled: who runs the
 * training (getpass.getuser()'s order) and which script, a local one.
 */
function sourceTags(): Record<string, string> {
  const env = process.env;
  let user = env.LOGNAME || env.USER || env.LNAME || env.USERNAME;
  if (!user) {
    try {
      user = userInfo().username;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === undefined) throw error;
      user = 'unknown'; // no passwd entry (a container's arbitrary uid)
    }
  }
  const script = process.argv[1];
  return {
    'mlflow.user': user,
    'mlflow.source.name': script ? path.resolve(script) : process.argv0,
    'mlflow.source.type': 'LOCAL',
  };
}

function readSpoolMeta(spoolDir: string): Promise<SpoolMeta | undefined> {
  return new Spool(path.resolve(spoolDir), 0).readMeta();
}
