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
import { wireDouble } from './remote/records.js';
import type { DataRecord } from './remote/records.js';
import {
  numericParams,
  readSpoolMeta,
  redeliverSpool,
  RemoteTracker,
  trackerWarnings,
} from './remote/remote_tracker.js';
import type { RemoteBackend } from './remote/remote_tracker.js';
import { REMOTE_DEFAULTS } from './remote/session_params.js';
import type { RemoteRequestParams, RemoteSessionParams, SpoolDeliveryParams } from './remote/session_params.js';
import type { MlflowRunMeta as SpoolMeta } from './mlflow/protocol.js';
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

const MLFLOW: RemoteBackend<typeof DEFAULTS> = { label: 'MlflowTracker', name: 'mlflow', defaults: DEFAULTS };

const MAX_RENAME_WARNINGS = 10;

const warn = trackerWarnings(MLFLOW.label);

function connection(params: MlflowConnectionParams): { client: MlflowRestClient; trackingUri: string } {
  const env = process.env;
  const trackingUri = params.trackingUri ?? env.MLFLOW_TRACKING_URI;
  if (!trackingUri) {
    throw new GymnosError(
      'MLFLOW_NO_TRACKING_URI',
      'MlflowTracker: no tracking server: pass trackingUri (e.g. http://127.0.0.1:5000) or set MLFLOW_TRACKING_URI',
    );
  }
  const { requestTimeoutMs } = numericParams(MLFLOW.label, params, DEFAULTS, ['requestTimeoutMs']);
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

export class MlflowTracker extends RemoteTracker<SpoolMeta, MlflowDeliveryReport, DataRecord, typeof DEFAULTS> {
  readonly #params: MlflowTrackerParams;
  readonly #client: MlflowRestClient;
  readonly #trackingUri: string;
  readonly #loggedParams = new Map<string, string>();
  readonly #renamed = new Set<string>();

  constructor(params: MlflowTrackerParams = {}) {
    super(params, MLFLOW);
    this.#params = { ...params };
    const { client, trackingUri } = connection(params);
    this.#client = client;
    this.#trackingUri = trackingUri;
  }

  /** The MLflow run id, once the run exists on the server. */
  get mlflowRunId(): string | undefined {
    return this.delivery?.runId;
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
    const spoolDir = this.sessionSpoolDir(runId, logdir);
    const meta: SpoolMeta = {
      version: 1,
      trackingUri: this.#trackingUri,
      experimentName: this.#params.experimentName ?? process.env.MLFLOW_EXPERIMENT_NAME ?? 'Default',
      runName: this.#params.runName ?? runId,
      gymnosRunId: runId,
      startTime: Date.now(),
      session: 'open',
      tags: { 'gymnos.run_id': runId, ...sourceTags() },
    };
    const options = this.sessionOptions(spoolDir, meta, { 'gymnos.run_id': runId });
    this.openSession(new MlflowDelivery({ client: this.#client, ...options }), {
      server: `the MLflow server ${this.#trackingUri}`,
    });
    await this.connect();
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
    this.delivery?.enqueue({ t: 'metric', key, value: wireDouble(value), timestamp: Date.now(), step });
  }

  override logParam(name: string, value: ParamValue): void {
    const key = this.#key('param', name);
    const text = this.#truncate('param', key, paramToString(value), this.numbers.maxParamValueLength);
    const previous = this.#loggedParams.get(key);
    if (previous === text) return; // MLflow accepts an identical param again; there is nothing to send
    if (previous !== undefined) {
      // Logged, and refused here: counted as both, so that the report's counts add up.
      this.delivery?.countLogged({ t: 'param', key, value: text });
      this.delivery?.reject(
        'param',
        key,
        `MLflow params cannot change: it was logged as ${JSON.stringify(previous)}, ` +
          `the new value ${JSON.stringify(text.slice(0, 100))} is not sent (log it as a metric or a tag)`,
      );
      return;
    }
    this.#loggedParams.set(key, text);
    this.delivery?.enqueue({ t: 'param', key, value: text });
  }

  override logTag(name: string, value: string): void {
    const key = this.#key('tag', name);
    this.delivery?.enqueue({
      t: 'tag',
      key,
      value: this.#truncate('tag', key, value, this.numbers.maxTagValueLength),
    });
  }

  /** Uploaded as `<name><ext>` from the file's path when the sender gets to it: keep the file until `end`. */
  override logAsset(name: string, filePath: string): void {
    this.delivery?.enqueue(fileRecord(filePath, (extension) => mlflowArtifactPath('', name, extension)));
  }

  /** Uploaded as `images/<name><ext>`. */
  override logImage(name: string, filePath: string): void {
    this.delivery?.enqueue(fileRecord(filePath, (extension) => mlflowArtifactPath('images', name, extension)));
  }

  /** Uploaded as `figures/<name>.png|.svg|.vl.json|.plotly.json`; the bytes are taken now. */
  override logFigure(name: string, figure: Figure): void {
    this.delivery?.enqueue(figureRecord(name, figure, (extension) => mlflowArtifactPath('figures', name, extension)));
  }

  /**
   * Delivers a spool left by an earlier session (the server was down when it ended): creates the run if it
   * never was, sends the records in order and the final status. Resolves with the report; what could not be
   * delivered within `timeoutMs` stays in the spool. Throws a GymnosError when `spoolDir` holds no spool or
   * another process is using it.
   */
  static async deliverSpool(spoolDir: string, options: DeliverSpoolOptions = {}): Promise<MlflowDeliveryReport> {
    // Without a URI (parameter or MLFLOW_TRACKING_URI, an empty one as unset), use the one the spool was written for.
    const recorded =
      options.trackingUri ??
      (process.env.MLFLOW_TRACKING_URI || undefined) ??
      (await readSpoolMeta<SpoolMeta>(spoolDir))?.trackingUri;
    const { client, trackingUri } = connection({ ...options, ...(recorded ? { trackingUri: recorded } : {}) });
    return redeliverSpool(spoolDir, options, MLFLOW, (common) => {
      const meta: SpoolMeta = {
        version: 1,
        trackingUri,
        experimentName: '',
        runName: '',
        gymnosRunId: '',
        startTime: Date.now(),
      };
      return new MlflowDelivery({ client, meta, ...common });
    });
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
