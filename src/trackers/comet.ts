/**
 * The `comet` tracker: logs to Comet (comet.com, or a self-hosted Comet) over its REST API v2 and the batch
 * endpoints Comet's Python client uses, with Node's `fetch` (Comet has no Node SDK for experiments).
 *
 * Training never dies because tracking did, and nothing is lost or sent twice: log calls only queue; the remote
 * delivery layer (trackers/remote/) sends in the background, paced within Comet's documented rate limits (a run
 * logging faster than they allow waits in the spool, on disk, never on the floor), retries with backoff through
 * outages, and keeps what it could not send in a bounded spool that a later session or `gymnos sync` delivers.
 * `start` needs a workspace (Comet's REST API cannot default it) and, unless offline, an API key: each missing one
 * is a GymnosError naming the variable. Offline (`offline: true` or COMET_START_ONLINE=0), nothing is sent: the run
 * waits in its spool for `gymnos sync`. See docs/trackers/comet.md.
 */
import { booleanParam, numberParam } from '../runtime/tracker_params.js';
import { CometClient } from './comet/client.js';
import { CometDelivery } from './comet/delivery.js';
import type { CometDeliveryReport } from './comet/delivery.js';
import { COMET_RATE_LIMITS, RATE_LIMIT_KEYS } from './comet/limits.js';
import type { CometRateLimits, CometRateLimitsParam } from './comet/limits.js';
import type { CometRunMeta } from './comet/protocol.js';
import { COMET_CONNECTION_PARAMS } from './comet/connection_params.js';
import { COMET_SPECS, cometServer, missingSetting, readCometSettings } from './comet/settings.js';
import type { CometConnectionParams, CometSettings } from './comet/settings.js';
import { artifactPath, figureRecord, fileRecord } from './remote/artifacts.js';
import { wireDouble } from './remote/records.js';
import type { DataRecord } from './remote/records.js';
import { numericParams, readSpoolMeta, redeliverSpool, RemoteTracker } from './remote/remote_tracker.js';
import type { RemoteBackend } from './remote/remote_tracker.js';
import { REMOTE_DEFAULTS } from './remote/session_params.js';
import type { RemoteSessionParams, SpoolDeliveryParams } from './remote/session_params.js';
import type { Figure, ParamValue, TrackerOptions } from './tracker.js';

export type { CometDeliveryReport } from './comet/delivery.js';
export type { CometRateLimits, CometRateLimitsParam } from './comet/limits.js';
export type { CometConnectionParams } from './comet/settings.js';

/**
 * The spool (`spoolDir`: `<logdir>/<runId>/comet-spool`), `resume` (the same Comet experiment), the queue, the timers
 * and the waits are every remote tracker's (RemoteSessionParams); `flush` never waits for the rate limits (what waits
 * for them is in the spool by then).
 */
export interface CometTrackerParams extends TrackerOptions, CometConnectionParams, RemoteSessionParams {
  /** The workspace (required). Default: COMET_WORKSPACE, then `.comet.config`'s workspace. */
  workspace?: string;
  /**
   * The project, created when missing. Default: COMET_PROJECT_NAME, then `.comet.config`'s project_name, then
   * `general`.
   */
  projectName?: string;
  /** The experiment's name. Default: the run id given to `start`. */
  experimentName?: string;
  /** Comet tags (plain strings) of the experiment; `logTag(key, value)` pairs are Comet "others". */
  tags?: string[];
  /** Send nothing: the run waits in its spool for `gymnos sync`. Default: COMET_START_ONLINE=0, else false. */
  offline?: boolean;
  /**
   * `batch` (default): metrics and parameters go 1 000 to a request through the batch endpoints Comet's Python
   * client uses; `rest`: one value a request through the documented REST API only.
   */
  endpoints?: 'batch' | 'rest';
  /**
   * Comet's documented rate limits, which the tracker paces itself by; lower them for an API key shared by several
   * runs. A number is per the documented window (a minute; an hour for `restRequestsPerHour`), `{ limit, windowMs }`
   * any window.
   */
  rateLimits?: CometRateLimitsParam;
}

export interface DeliverCometSpoolOptions extends CometConnectionParams, SpoolDeliveryParams {}

/** `flush()` does not wait for Comet's rate limits: what waits for them is in the spool by then. */
const COMET: RemoteBackend<typeof REMOTE_DEFAULTS> = {
  label: 'CometTracker',
  name: 'comet',
  defaults: REMOTE_DEFAULTS,
  flushStopsAtPace: true,
};

/** Comet's default project, where comet_ml logs an experiment given none. */
export const DEFAULT_PROJECT = 'general';

function checkedRateLimits(value: unknown): CometRateLimitsParam {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`CometTracker: rateLimits must be an object (${RATE_LIMIT_KEYS.join(', ')})`);
  }
  const limits: CometRateLimitsParam = {};
  for (const [name, limit] of Object.entries(value)) {
    if (!(RATE_LIMIT_KEYS as string[]).includes(name)) {
      throw new TypeError(`CometTracker: rateLimits.${name} is not a rate limit (${RATE_LIMIT_KEYS.join(', ')})`);
    }
    const key = name as keyof CometRateLimits;
    const label = `rateLimits.${name}`;
    const atLeastOne = { min: 1 };
    limits[key] =
      typeof limit === 'object' && limit !== null
        ? {
            limit: numberParam('CometTracker', `${label}.limit`, (limit as { limit?: unknown }).limit, NaN, atLeastOne),
            windowMs: numberParam(
              'CometTracker',
              `${label}.windowMs`,
              (limit as { windowMs?: unknown }).windowMs,
              NaN,
              {
                min: 0,
                exclusive: true,
              },
            ),
          }
        : numberParam('CometTracker', label, limit, COMET_RATE_LIMITS[key], atLeastOne);
  }
  return limits;
}

function checkedTags(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((tag) => typeof tag !== 'string' || tag === '')) {
    throw new TypeError(`CometTracker: tags must be a list of non-empty strings, got ${JSON.stringify(value)}`);
  }
  return [...new Set(value as string[])];
}

function checkedEndpoints(value: unknown): 'batch' | 'rest' {
  if (value === undefined) return 'batch';
  if (value !== 'batch' && value !== 'rest') {
    throw new TypeError(`CometTracker: endpoints must be 'batch' or 'rest', got ${JSON.stringify(value)}`);
  }
  return value;
}

export class CometTracker extends RemoteTracker<CometRunMeta, CometDeliveryReport, DataRecord> {
  readonly #params: CometTrackerParams;
  readonly #settings: CometSettings;
  readonly #rateLimits: CometRateLimitsParam;
  readonly #cometTags: string[];
  readonly #endpoints: 'batch' | 'rest';
  readonly #offline: boolean;

  constructor(params: CometTrackerParams = {}) {
    super(params, COMET);
    this.#params = { ...params };
    this.#rateLimits = checkedRateLimits(params.rateLimits);
    this.#cometTags = checkedTags(params.tags);
    this.#endpoints = checkedEndpoints(params.endpoints);
    this.#settings = readCometSettings(params);
    this.#offline =
      params.offline === undefined
        ? this.#settings.offlineFromEnv
        : booleanParam('CometTracker', 'offline', params.offline);
  }

  /** Comet's key of the experiment, once it exists on the server. */
  get experimentKey(): string | undefined {
    return this.delivery?.runId;
  }

  /** True when the tracker sends nothing (offline mode): the run waits in its spool for `gymnos sync`. */
  get offline(): boolean {
    return this.#offline;
  }

  /** `CometTracker.deliverSpool` with this tracker's connection parameters; the tracker need not be started. */
  deliverSpool(
    spoolDir: string,
    options: Pick<DeliverCometSpoolOptions, 'timeoutMs'> = {},
  ): Promise<CometDeliveryReport> {
    const connection: DeliverCometSpoolOptions = {};
    for (const name of COMET_CONNECTION_PARAMS) {
      if (this.#params[name] !== undefined) Object.assign(connection, { [name]: this.#params[name] });
    }
    return CometTracker.deliverSpool(spoolDir, { ...connection, ...options });
  }

  override async start(runId: string, logdir: string): Promise<void> {
    const settings = this.#settings;
    if (!settings.workspace) throw missingSetting('workspace', 'workspace', COMET_SPECS.workspace, settings);
    if (!settings.apiKey && !this.#offline) throw missingSetting('API key', 'apiKey', COMET_SPECS.apiKey, settings);
    const spoolDir = this.sessionSpoolDir(runId, logdir);
    const meta: CometRunMeta = {
      version: 1,
      backend: 'comet',
      trackingUri: settings.server.root,
      workspace: settings.workspace.value,
      projectName: settings.projectName?.value ?? DEFAULT_PROJECT,
      experimentName: this.#params.experimentName ?? runId,
      cometTags: this.#cometTags,
      runName: this.#params.experimentName ?? runId,
      gymnosRunId: runId,
      startTime: Date.now(),
      session: 'open',
      tags: { 'gymnos.run_id': runId },
    };
    const delivery = new CometDelivery({
      ...this.sessionOptions(spoolDir, meta, { 'gymnos.run_id': runId }),
      // Offline without a key: a client that is never called (the session sends nothing).
      client: new CometClient(settings.server, settings.apiKey?.value ?? ''),
      requestTimeoutMs: this.numbers.requestTimeoutMs,
      limits: this.#rateLimits,
      endpoints: this.#endpoints,
      offline: this.#offline,
    });
    this.openSession(delivery, { server: `Comet (${settings.server.root})`, offline: this.#offline });
    await this.connect();
  }

  override logMetric(name: string, value: number, step = 0): void {
    this.delivery?.enqueue({ t: 'metric', key: name, value: wireDouble(value), timestamp: Date.now(), step });
  }

  /** Strings as they are; other values as their JSON text (Comet's Java client sends every value as a string). */
  override logParam(name: string, value: ParamValue): void {
    this.delivery?.enqueue({
      t: 'param',
      key: name,
      value: typeof value === 'string' ? value : JSON.stringify(value),
    });
  }

  /** A Comet "other" (`log_other(key, value)`); Comet tags proper are the `tags` parameter. */
  override logTag(name: string, value: string): void {
    this.delivery?.enqueue({ t: 'tag', key: name, value });
  }

  /** Uploaded as the asset `<name><ext>` from the file's path when the sender gets to it: keep the file until `end`. */
  override logAsset(name: string, filePath: string): void {
    this.delivery?.enqueue(fileRecord(filePath, (extension) => artifactPath('assets', name, extension)));
  }

  /** Uploaded as the image `<name><ext>`. */
  override logImage(name: string, filePath: string): void {
    this.delivery?.enqueue(fileRecord(filePath, (extension) => artifactPath('images', name, extension)));
  }

  /** PNG and SVG as the image `<name>.png|.svg`; Vega-Lite, Plotly specs: the asset `<name>.vl.json|.plotly.json`. */
  override logFigure(name: string, figure: Figure): void {
    this.delivery?.enqueue(figureRecord(name, figure, (extension) => artifactPath('figures', name, extension)));
  }

  /**
   * Delivers a spool left by an earlier session (offline, or Comet unreachable when it ended): creates the
   * experiment if it never was, sends the records in order and the final status, paced within Comet's limits.
   * The API key comes from the options or COMET_API_KEY / `.comet.config` (a spool never holds it); the server is
   * the options' `url`, COMET_URL_OVERRIDE or `.comet.config`'s, else the one the spool was written for. Resolves
   * with the report; what could not be delivered within `timeoutMs` (without progress) stays in the spool. Throws a
   * GymnosError when there is no API key, `spoolDir` holds no spool, or another process is using it.
   */
  static async deliverSpool(spoolDir: string, options: DeliverCometSpoolOptions = {}): Promise<CometDeliveryReport> {
    const recorded = await readSpoolMeta<CometRunMeta>(spoolDir);
    const settings = readCometSettings(options);
    // The server configured now wins; else the one the spool was written for.
    const server =
      settings.serverSource || !recorded
        ? settings.server
        : cometServer({ value: recorded.trackingUri, source: `${spoolDir}/run.json` });
    if (!settings.apiKey) throw missingSetting('API key', 'apiKey', COMET_SPECS.apiKey, settings);
    const apiKey = settings.apiKey.value;
    const { requestTimeoutMs } = numericParams(COMET.label, options, REMOTE_DEFAULTS, ['requestTimeoutMs']);
    return redeliverSpool(spoolDir, options, COMET, (common) => {
      const meta: CometRunMeta = {
        version: 1,
        backend: 'comet',
        trackingUri: server.root,
        workspace: '',
        projectName: '',
        experimentName: '',
        cometTags: [],
        runName: '',
        gymnosRunId: '',
        startTime: Date.now(),
      };
      return new CometDelivery({ client: new CometClient(server, apiKey), requestTimeoutMs, meta, ...common });
    });
  }
}
