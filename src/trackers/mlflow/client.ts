/**
 * A minimal MLflow REST API 2.0 client on the remote layer's requests (remote/http.ts): the handful of endpoints the
 * `mlflow` tracker needs, one attempt per call, every call bounded by a timeout. Retrying is the caller's business;
 * errors say whether a retry can help (`retryable`): network errors, timeouts, 408, 429 and 5xx can, other 4xx can
 * not. An answer counts only when it is the JSON the API documents for that endpoint, and errors say whether the
 * answer was lost after the request may have reached the server (`answerLost`), as http.ts says for every backend;
 * this client adds MLflow's own `error_code` (`requestFailure`).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GymnosError } from '../../errors.js';
import { redactCredentials } from '../../util/redact.js';
import { httpFailure, requestJson } from '../remote/http.js';
import type { HttpFailure, HttpRequest } from '../remote/http.js';
import type { DataRecord, RunStatus } from '../remote/records.js';
import { logBatchBody } from './limits.js';

export interface MlflowClientOptions {
  /** `http(s)://host[:port][/prefix]`; credentials in the URL are used as basic auth and never shown. */
  trackingUri: string;
  /** Sent as `Authorization: Bearer <token>` (MLflow's MLFLOW_TRACKING_TOKEN). */
  token?: string | undefined;
  /** Basic auth (MLflow's MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD), when no token is given. */
  username?: string | undefined;
  password?: string | undefined;
  /** Upper bound of one HTTP request, in milliseconds. */
  requestTimeoutMs: number;
}

/** The code of a run whose artifact root is not served over HTTP by the tracking server. */
export const MLFLOW_ARTIFACT_ROOT_UNSUPPORTED = 'MLFLOW_ARTIFACT_ROOT_UNSUPPORTED';

/** What a failed request carries (http.ts), with MLflow's own error code. */
export interface MlflowRequestFailure extends HttpFailure {
  /** MLflow's `error_code` (`INVALID_PARAMETER_VALUE`, `RESOURCE_DOES_NOT_EXIST`...), when the answer had one. */
  errorCode: string | undefined;
}

/** The facts of a failed MLflow request, or undefined when `error` is anything else (a bug, for one). */
export function requestFailure(error: unknown): MlflowRequestFailure | undefined {
  const failure = httpFailure(error);
  if (!failure) return undefined;
  const code = (failure.body as { error_code?: unknown } | undefined)?.error_code;
  return { ...failure, errorCode: typeof code === 'string' ? code : undefined };
}

/** MLflow's words in an error answer: `RESOURCE_DOES_NOT_EXIST: Run 'x' not found`. */
function mlflowErrorMessage(answer: Record<string, unknown>): string | undefined {
  const code = typeof answer.error_code === 'string' ? answer.error_code : undefined;
  const message = typeof answer.message === 'string' ? answer.message : undefined;
  return code && message ? `${code}: ${message}` : (message ?? code);
}

export interface MlflowExperiment {
  experiment_id: string;
  name: string;
  lifecycle_stage?: string;
}

export interface MlflowRunInfo {
  run_id: string;
  experiment_id: string;
  artifact_uri?: string;
  status?: string;
}

/** One value of a metric's history as `metrics/get-history` returns it (non-finite values as strings). */
export interface MetricPoint {
  key: string;
  value: number | string;
  timestamp: number | string;
  step?: number | string;
}

/** Pages of a metric's history read at most (a page is up to 25 000 values on MLflow's SQL store). */
const MAX_HISTORY_PAGES = 1_000;

/**
 * The tracking URI requests go to and reports show: without credentials, query or fragment, nor a trailing slash
 * (so it is safe to print and to store).
 */
export function displayUri(trackingUri: string): string {
  const url = new URL(trackingUri);
  url.search = '';
  url.hash = '';
  return redactCredentials(url.toString()).replace(/\/+$/, '');
}

/** What a JSON answer must hold: true when it is the documented answer of its endpoint. */
type AnswerCheck = (body: Record<string, unknown>) => boolean;

const ANY_OBJECT: AnswerCheck = () => true;

/** Per call: abort with `signal`, and a timeout other than the client's (the delivery adapts it to the server). */
export interface CallOptions {
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
}

export class MlflowRestClient {
  /** Base URL without credentials, no trailing slash. */
  readonly baseUrl: string;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;

  constructor(options: MlflowClientOptions) {
    const url = new URL(options.trackingUri);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`it must start with http:// or https://`);
    }
    const username = options.username ?? (url.username ? decodeURIComponent(url.username) : undefined);
    const password = options.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
    this.baseUrl = displayUri(options.trackingUri);
    this.#timeoutMs = options.requestTimeoutMs;
    this.#headers = { 'User-Agent': 'gymnos-mlflow' };
    if (options.token) this.#headers.Authorization = `Bearer ${options.token}`;
    else if (username !== undefined) {
      this.#headers.Authorization = `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}`;
    }
  }

  /** The timeout a call gets unless it says otherwise. */
  get requestTimeoutMs(): number {
    return this.#timeoutMs;
  }

  /**
   * One request; resolves with the JSON object of a 2xx answer that `check` accepts, throws a GymnosError
   * (http.ts: REMOTE_HTTP_ERROR or REMOTE_NETWORK_ERROR, whose failure `requestFailure` reads) otherwise.
   */
  #request(
    endpoint: string,
    url: string,
    init: { method: HttpRequest['method']; body?: string | Uint8Array | Blob; contentType?: string },
    call: CallOptions,
    check: AnswerCheck,
  ): Promise<Record<string, unknown>> {
    return requestJson({
      backend: 'MLflow',
      endpoint,
      url,
      method: init.method,
      headers: { ...this.#headers, ...(init.contentType ? { 'Content-Type': init.contentType } : {}) },
      ...(init.body === undefined ? {} : { body: init.body }),
      timeoutMs: call.timeoutMs ?? this.#timeoutMs,
      signal: call.signal,
      check,
      errorMessage: mlflowErrorMessage,
    });
  }

  #api(endpoint: string, body: unknown, call: CallOptions, check: AnswerCheck = ANY_OBJECT) {
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    return this.#request(
      endpoint,
      `${this.baseUrl}/api/2.0/mlflow/${endpoint}`,
      { method: 'POST', body: payload, contentType: 'application/json' },
      call,
      check,
    );
  }

  #get(endpoint: string, query: Record<string, string>, call: CallOptions, check: AnswerCheck) {
    const search = new URLSearchParams(query).toString();
    return this.#request(
      endpoint,
      `${this.baseUrl}/api/2.0/mlflow/${endpoint}?${search}`,
      { method: 'GET' },
      call,
      check,
    );
  }

  /** The experiment called `name`, or undefined when there is none. */
  async getExperimentByName(name: string, call: CallOptions = {}): Promise<MlflowExperiment | undefined> {
    try {
      const body = await this.#get('experiments/get-by-name', { experiment_name: name }, call, (answer) =>
        hasString(answer.experiment, 'experiment_id'),
      );
      return body.experiment as MlflowExperiment;
    } catch (error) {
      if (requestFailure(error)?.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw error;
    }
  }

  /** The id of the experiment called `name`, created when missing (a concurrent creation is tolerated). */
  async ensureExperiment(name: string, call: CallOptions = {}): Promise<string> {
    const existing = await this.getExperimentByName(name, call);
    if (existing) return existing.experiment_id;
    try {
      const body = await this.#api('experiments/create', { name }, call, (answer) =>
        hasString(answer, 'experiment_id'),
      );
      return body.experiment_id as string;
    } catch (error) {
      if (requestFailure(error)?.errorCode === 'RESOURCE_ALREADY_EXISTS') {
        const raced = await this.getExperimentByName(name, call);
        if (raced) return raced.experiment_id;
      }
      throw error;
    }
  }

  async createRun(
    options: { experimentId: string; runName: string; startTime: number; tags: Record<string, string> },
    call: CallOptions = {},
  ): Promise<MlflowRunInfo> {
    const body = await this.#api(
      'runs/create',
      {
        experiment_id: options.experimentId,
        run_name: options.runName,
        start_time: options.startTime,
        tags: Object.entries(options.tags).map(([key, value]) => ({ key, value })),
      },
      call,
      (answer) => runInfoOf(answer.run) !== undefined,
    );
    return runInfoOf(body.run)!;
  }

  /** The latest value of each metric of a run (`runs/get`: by step, then timestamp, as MLflow keeps them). */
  async latestMetrics(runId: string, call: CallOptions = {}): Promise<MetricPoint[]> {
    const body = await this.#get('runs/get', { run_id: runId }, call, (answer) => runInfoOf(answer.run) !== undefined);
    const metrics = (body.run as { data?: { metrics?: unknown } }).data?.metrics;
    return Array.isArray(metrics) ? (metrics as MetricPoint[]) : [];
  }

  /** Every value of metric `key` of a run (`metrics/get-history`, all pages). */
  async metricHistory(runId: string, key: string, call: CallOptions = {}): Promise<MetricPoint[]> {
    const points: MetricPoint[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_HISTORY_PAGES; page += 1) {
      const query = { run_id: runId, metric_key: key, ...(pageToken ? { page_token: pageToken } : {}) };
      const body = await this.#get('metrics/get-history', query, call, (answer) =>
        answer.metrics === undefined ? true : Array.isArray(answer.metrics),
      );
      for (const point of (body.metrics as MetricPoint[] | undefined) ?? []) points.push(point);
      pageToken = typeof body.next_page_token === 'string' && body.next_page_token ? body.next_page_token : undefined;
      if (!pageToken) break;
    }
    return points;
  }

  async logBatch(runId: string, records: readonly DataRecord[], call: CallOptions = {}): Promise<void> {
    await this.#api('runs/log-batch', logBatchBody(runId, records), call);
  }

  async updateRun(runId: string, status: RunStatus, endTime: number | undefined, call: CallOptions = {}) {
    await this.#api(
      'runs/update',
      { run_id: runId, status, ...(endTime === undefined ? {} : { end_time: endTime }) },
      call,
    );
  }

  /**
   * Uploads one artifact the way MLflow's HTTP artifact repository does: `PUT <root>/<path>`, where an
   * `mlflow-artifacts:/<experiment>/<run>/artifacts` root is served by the tracking server under
   * `/api/2.0/mlflow-artifacts/artifacts/` (which answers MLflow's JSON; another HTTP root may answer anything
   * but a web page).
   */
  async uploadArtifact(
    artifactUri: string,
    artifactPath: string,
    body: Uint8Array | Blob,
    contentType: string,
    call: CallOptions = {},
  ): Promise<void> {
    const url = `${this.artifactRootUrl(artifactUri)}/${artifactPath.split('/').map(encodeURIComponent).join('/')}`;
    const init = { method: 'PUT' as const, body, contentType };
    if (artifactUri.startsWith('mlflow-artifacts:')) {
      await this.#request('mlflow-artifacts/artifacts', url, init, call, ANY_OBJECT);
      return;
    }
    try {
      await this.#request('artifacts', url, init, call, ANY_OBJECT);
    } catch (error) {
      // Another HTTP artifact server may answer a 2xx with no JSON: taken, unless it was a web page.
      const failure = httpFailure(error);
      if (failure?.status === undefined || failure.status >= 300 || failure.notTheApi) throw error;
    }
  }

  /**
   * The HTTP URL artifacts of a run are PUT under; a root the client cannot write is a GymnosError
   * MLFLOW_ARTIFACT_ROOT_UNSUPPORTED.
   */
  artifactRootUrl(artifactUri: string): string {
    if (artifactUri.startsWith('mlflow-artifacts:')) {
      // mlflow-artifacts:/0/<run>/artifacts, or with an authority (mlflow-artifacts://host:port/0/...): the
      // path is what matters; the server is the tracking server either way.
      const rest = artifactUri.slice('mlflow-artifacts:'.length);
      const pathPart = rest.startsWith('//') ? rest.slice(2).replace(/^[^/]*/, '') : rest;
      const segments = pathPart.split('/').filter(Boolean).map(encodeURIComponent);
      return `${this.baseUrl}/api/2.0/mlflow-artifacts/artifacts/${segments.join('/')}`;
    }
    if (/^https?:\/\//.test(artifactUri)) return artifactUri.replace(/\/+$/, '');
    // The server's root: the run's, less `/<experiment>/<run>/artifacts`.
    const serverRoot = artifactUri.replace(/\/\d+\/[0-9a-f]+\/artifacts\/?$/, '') || '<uri>';
    throw new GymnosError(
      MLFLOW_ARTIFACT_ROOT_UNSUPPORTED,
      `the run's artifact root ${artifactUri} is not served over HTTP by the tracking server, and this client ` +
        'writes only to HTTP roots and local paths; start `mlflow server` with --artifacts-destination ' +
        `${serverRoot} instead of --default-artifact-root, so that it serves artifacts (mlflow-artifacts:/) to ` +
        'every client',
      { kind: 'failure', details: { artifactUri } },
    );
  }

  /**
   * The directory of this machine a run's artifacts go to, when its root is a local path (`/…` or `file://…`,
   * from `mlflow server --default-artifact-root <dir>`): the Python client writes there itself. Undefined for
   * any other root.
   */
  static localArtifactDir(artifactUri: string): string | undefined {
    if (artifactUri.startsWith('file:')) {
      try {
        return fileURLToPath(artifactUri);
      } catch (error) {
        if (error instanceof TypeError) return undefined; // file://host/…: another machine's
        throw error;
      }
    }
    return path.isAbsolute(artifactUri) && !/^[a-z][a-z0-9+.-]*:/i.test(artifactUri) ? artifactUri : undefined;
  }
}

function hasString(value: unknown, key: string): boolean {
  return typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)[key] === 'string';
}

/** `run.info` of a runs/create or runs/get answer, with its id (run_id, or run_uuid on old servers). */
function runInfoOf(run: unknown): MlflowRunInfo | undefined {
  const info = (run as { info?: MlflowRunInfo & { run_uuid?: unknown } } | undefined)?.info;
  if (typeof info !== 'object' || info === null) return undefined;
  const runId = typeof info.run_id === 'string' ? info.run_id : info.run_uuid;
  return typeof runId === 'string' ? { ...info, run_id: runId } : undefined;
}
