/**
 * A minimal MLflow REST API 2.0 client on Node's global `fetch`: the handful of endpoints the `mlflow` tracker
 * needs, one attempt per call, every call bounded by a timeout. Retrying is the caller's business; errors
 * say whether a retry can help (`retryable`): network errors, timeouts, 408, 429 and 5xx can, other 4xx can not.
 */
import { GymnosError, isGymnosError } from '../../errors.js';
import type { DataRecord } from './limits.js';
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

/** The code of an error answer from the server (`details.status` says which). */
export const MLFLOW_HTTP_ERROR = 'MLFLOW_HTTP_ERROR';
/** The code of a request that got no answer: connection refused or reset, DNS, timeout, abort. */
export const MLFLOW_NETWORK_ERROR = 'MLFLOW_NETWORK_ERROR';

/** The code of a run whose artifact root is not served over HTTP by the tracking server. */
export const MLFLOW_ARTIFACT_ROOT_UNSUPPORTED = 'MLFLOW_ARTIFACT_ROOT_UNSUPPORTED';

/** What a failed request carries in its GymnosError's `details`. */
export interface MlflowRequestFailure {
  /** The API endpoint, e.g. `runs/log-batch`. */
  endpoint: string;
  /** The HTTP status; undefined when no answer came. */
  status: number | undefined;
  /** MLflow's `error_code` (`INVALID_PARAMETER_VALUE`, `RESOURCE_DOES_NOT_EXIST`...), when the body had one. */
  errorCode: string | undefined;
  /** True when a retry can help: no answer, 408, 429 or 5xx. */
  retryable: boolean;
  /** From a `Retry-After` header, in milliseconds. */
  retryAfterMs: number | undefined;
}

function httpError(
  endpoint: string,
  status: number,
  errorCode: string | undefined,
  detail: string,
  retryAfterMs: number | undefined,
): GymnosError {
  const failure: MlflowRequestFailure = {
    endpoint,
    status,
    errorCode,
    retryable: status === 408 || status === 429 || status >= 500,
    retryAfterMs,
  };
  const message = `${endpoint}: HTTP ${status}${errorCode ? ` ${errorCode}` : ''}${detail ? `: ${detail}` : ''}`;
  return new GymnosError(MLFLOW_HTTP_ERROR, message, { kind: 'failure', details: { ...failure } });
}

function networkError(endpoint: string, cause: unknown): GymnosError {
  const failure: MlflowRequestFailure = {
    endpoint,
    status: undefined,
    errorCode: undefined,
    retryable: true,
    retryAfterMs: undefined,
  };
  return new GymnosError(MLFLOW_NETWORK_ERROR, `${endpoint}: ${describeNetworkError(cause)}`, {
    kind: 'failure',
    details: { ...failure },
    cause,
  });
}

/** The facts of a failed MLflow request, or undefined when `error` is anything else (a bug, for one). */
export function requestFailure(error: unknown): MlflowRequestFailure | undefined {
  if (!isGymnosError(error) || (error.code !== MLFLOW_HTTP_ERROR && error.code !== MLFLOW_NETWORK_ERROR)) {
    return undefined;
  }
  return error.details as unknown as MlflowRequestFailure;
}

export function isRetryable(error: unknown): boolean {
  return requestFailure(error)?.retryable === true;
}

function describeNetworkError(cause: unknown): string {
  const error = cause as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (error?.name === 'TimeoutError') return 'timed out';
  if (error?.name === 'AbortError') return 'aborted';
  const inner = error?.cause;
  return inner?.message || inner?.code || error?.message || String(cause);
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

export type RunStatus = 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED';

/** The tracking URI without credentials or a trailing slash, safe to print and to store. */
export function displayUri(trackingUri: string): string {
  const url = new URL(trackingUri);
  url.username = '';
  url.password = '';
  return url.toString().replace(/\/+$/, '');
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

export class MlflowRestClient {
  /** Base URL without credentials, no trailing slash. */
  readonly baseUrl: string;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;

  constructor(options: MlflowClientOptions) {
    const url = new URL(options.trackingUri);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`tracking URI must be http:// or https://, got ${url.protocol}`);
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

  /**
   * One request; resolves with the parsed JSON body of a 2xx answer, throws a GymnosError (MLFLOW_HTTP_ERROR or
   * MLFLOW_NETWORK_ERROR) otherwise.
   */
  async #request(
    endpoint: string,
    url: string,
    init: { method: string; body?: string | Uint8Array | Blob; contentType?: string },
    signal?: AbortSignal,
  ): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const headers = { ...this.#headers, ...(init.contentType ? { 'Content-Type': init.contentType } : {}) };
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method: init.method,
        headers,
        body: init.body ?? null,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      text = await response.text();
    } catch (error) {
      throw networkError(endpoint, error);
    }
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const body = json as { error_code?: unknown; message?: unknown } | undefined;
      const errorCode = typeof body?.error_code === 'string' ? body.error_code : undefined;
      const detail = typeof body?.message === 'string' ? body.message : text.slice(0, 200).trim();
      const retryAfter = parseRetryAfter(response.headers.get('retry-after'));
      throw httpError(endpoint, response.status, errorCode, detail, retryAfter);
    }
    return json ?? {};
  }

  #api(endpoint: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    return this.#request(
      endpoint,
      `${this.baseUrl}/api/2.0/mlflow/${endpoint}`,
      { method: 'POST', body: payload, contentType: 'application/json' },
      signal,
    );
  }

  /** The experiment called `name`, or undefined when there is none. */
  async getExperimentByName(name: string, signal?: AbortSignal): Promise<MlflowExperiment | undefined> {
    const query = new URLSearchParams({ experiment_name: name }).toString();
    try {
      const body = (await this.#request(
        'experiments/get-by-name',
        `${this.baseUrl}/api/2.0/mlflow/experiments/get-by-name?${query}`,
        { method: 'GET' },
        signal,
      )) as { experiment?: MlflowExperiment };
      return body.experiment;
    } catch (error) {
      if (requestFailure(error)?.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
      throw error;
    }
  }

  /** The id of the experiment called `name`, created when missing (a concurrent creation is tolerated). */
  async ensureExperiment(name: string, signal?: AbortSignal): Promise<string> {
    const existing = await this.getExperimentByName(name, signal);
    if (existing) return existing.experiment_id;
    try {
      const body = (await this.#api('experiments/create', { name }, signal)) as { experiment_id: string };
      return body.experiment_id;
    } catch (error) {
      if (requestFailure(error)?.errorCode === 'RESOURCE_ALREADY_EXISTS') {
        const raced = await this.getExperimentByName(name, signal);
        if (raced) return raced.experiment_id;
      }
      throw error;
    }
  }

  async createRun(
    options: { experimentId: string; runName: string; startTime: number; tags: Record<string, string> },
    signal?: AbortSignal,
  ): Promise<MlflowRunInfo> {
    const body = (await this.#api(
      'runs/create',
      {
        experiment_id: options.experimentId,
        run_name: options.runName,
        start_time: options.startTime,
        tags: Object.entries(options.tags).map(([key, value]) => ({ key, value })),
      },
      signal,
    )) as { run: { info: MlflowRunInfo & { run_uuid?: string } } };
    const info = body.run.info;
    return { ...info, run_id: info.run_id ?? info.run_uuid };
  }

  async logBatch(runId: string, records: readonly DataRecord[], signal?: AbortSignal): Promise<void> {
    await this.#api('runs/log-batch', logBatchBody(runId, records), signal);
  }

  async updateRun(runId: string, status: RunStatus, endTime: number | undefined, signal?: AbortSignal): Promise<void> {
    await this.#api(
      'runs/update',
      { run_id: runId, status, ...(endTime === undefined ? {} : { end_time: endTime }) },
      signal,
    );
  }

  /**
   * Uploads one artifact the way MLflow's HTTP artifact repository does: `PUT <root>/<path>`, where an
   * `mlflow-artifacts:/<experiment>/<run>/artifacts` root is served by the tracking server under
   * `/api/2.0/mlflow-artifacts/artifacts/`.
   */
  async uploadArtifact(
    artifactUri: string,
    artifactPath: string,
    body: Uint8Array | Blob,
    contentType: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const url = `${this.artifactRootUrl(artifactUri)}/${artifactPath.split('/').map(encodeURIComponent).join('/')}`;
    await this.#request('mlflow-artifacts/artifacts', url, { method: 'PUT', body, contentType }, signal);
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
    throw new GymnosError(
      MLFLOW_ARTIFACT_ROOT_UNSUPPORTED,
      `the run's artifact root ${artifactUri} is not served over HTTP by the tracking server; ` +
        'start `mlflow server` with --serve-artifacts (the default since MLflow 2.0) to upload artifacts',
      { kind: 'failure', details: { artifactUri } },
    );
  }
}
