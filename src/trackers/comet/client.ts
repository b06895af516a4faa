/**
 * A minimal Comet client on Node's `fetch` (remote/http.ts): the REST API v2 endpoints the comet tracker needs
 * (documented: https://comet.com/docs/v2/api-and-sdk/rest-api/write-endpoints/, and as Comet's Java and R clients
 * call them) and the two batch endpoints Comet's Python client sends metrics and parameters through
 * (`clientlib/batch/logger/experiment/metric|parameter`: up to 1 000 values a request, gzip). One attempt per call,
 * `Authorization: <API key>`; retrying is the caller's business.
 */
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { requestJson } from '../remote/http.js';
import type { HttpRequest } from '../remote/http.js';
import type { CometServer } from './settings.js';

const gzipAsync = promisify(gzip);

/** A metric value as Comet's batch endpoint takes it (non-finite values as strings, as Comet's clients send them). */
export interface CometMetricValue {
  metricName: string;
  metricValue: number | string;
  step: number;
  timestamp: number;
}

export interface CometParameterValue {
  parameterName: string;
  parameterValue: string;
  timestamp: number;
}

/** One point of a metric as `experiment/metrics/get-metric` returns it. */
export interface CometMetricPoint {
  metricName?: string;
  metricValue: number | string;
  step?: number | null;
  timestamp: number;
}

export interface CometExperimentSummary {
  experimentKey: string;
  experimentName?: string | null;
  startTimeMillis?: number | null;
}

export interface CallOptions {
  signal?: AbortSignal | undefined;
  timeoutMs: number;
}

/** What an upload sends besides its bytes (the query of `write/experiment/upload-asset`). */
export interface AssetUpload {
  fileName: string;
  /** `asset`, `image` or `figure`. */
  type: string;
  contentType: string;
}

const hasString = (key: string) => (answer: Record<string, unknown>) => typeof answer[key] === 'string';
const errorMessage = (answer: Record<string, unknown>) => (typeof answer.msg === 'string' ? answer.msg : undefined);

export class CometClient {
  readonly server: CometServer;
  readonly #headers: Record<string, string>;

  constructor(server: CometServer, apiKey: string) {
    this.server = server;
    this.#headers = { Authorization: apiKey, 'User-Agent': 'gymnos-comet' };
  }

  #call(
    endpoint: string,
    url: string,
    init: Pick<HttpRequest, 'method' | 'body' | 'check' | 'emptyIsAnswer'> & { headers?: Record<string, string> },
    call: CallOptions,
  ): Promise<Record<string, unknown>> {
    return requestJson({
      backend: 'Comet',
      endpoint,
      url,
      method: init.method,
      headers: { ...this.#headers, ...init.headers },
      ...(init.body === undefined ? {} : { body: init.body }),
      timeoutMs: call.timeoutMs,
      signal: call.signal,
      ...(init.check ? { check: init.check } : {}),
      ...(init.emptyIsAnswer ? { emptyIsAnswer: true } : {}),
      errorMessage,
    });
  }

  #write(endpoint: string, body: unknown, call: CallOptions, check?: (answer: Record<string, unknown>) => boolean) {
    return this.#call(
      `write/${endpoint}`,
      `${this.server.restUrl}write/${endpoint}`,
      {
        method: 'POST',
        body: JSON.stringify(body),
        headers: { 'Content-Type': 'application/json' },
        ...(check ? { check } : {}),
      },
      call,
    );
  }

  #read(
    endpoint: string,
    query: Record<string, string>,
    call: CallOptions,
    check: (a: Record<string, unknown>) => boolean,
  ) {
    const search = new URLSearchParams(query).toString();
    return this.#call(endpoint, `${this.server.restUrl}${endpoint}?${search}`, { method: 'GET', check }, call);
  }

  /** Sends one batch to a clientlib batch endpoint, gzipped as Comet's Python client sends it. */
  async #batch(kind: 'metric' | 'parameter', experimentKey: string, values: readonly object[], call: CallOptions) {
    const body = await gzipAsync(JSON.stringify({ experimentKey, values }));
    await this.#call(
      `batch/logger/experiment/${kind}`,
      `${this.server.clientlibUrl}batch/logger/experiment/${kind}`,
      {
        method: 'POST',
        body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
        headers: { 'Content-Type': 'application/json;charset=utf-8', 'Content-Encoding': 'gzip' },
        emptyIsAnswer: true,
      },
      call,
    );
  }

  async createExperiment(
    experiment: { workspaceName: string; projectName: string; experimentName: string },
    call: CallOptions,
  ): Promise<{ experimentKey: string; link: string | undefined }> {
    const answer = await this.#write('experiment/create', experiment, call, hasString('experimentKey'));
    return {
      experimentKey: answer.experimentKey as string,
      link: typeof answer.link === 'string' ? answer.link : undefined,
    };
  }

  /** The experiments of a project (to find one whose creation's answer was lost). */
  async listExperiments(
    workspaceName: string,
    projectName: string,
    call: CallOptions,
  ): Promise<CometExperimentSummary[]> {
    const answer = await this.#read('experiments', { workspaceName, projectName }, call, (body) =>
      Array.isArray(body.experiments),
    );
    return (answer.experiments as unknown[]).filter(
      (experiment): experiment is CometExperimentSummary =>
        typeof (experiment as CometExperimentSummary | null)?.experimentKey === 'string',
    );
  }

  /** Every point of metric `metricName` of an experiment. */
  async metricPoints(experimentKey: string, metricName: string, call: CallOptions): Promise<CometMetricPoint[]> {
    const answer = await this.#read(
      'experiment/metrics/get-metric',
      { experimentKey, metricName },
      call,
      (body) => body.metrics === undefined || Array.isArray(body.metrics),
    );
    return (answer.metrics as CometMetricPoint[] | undefined) ?? [];
  }

  logMetricsBatch(experimentKey: string, values: readonly CometMetricValue[], call: CallOptions): Promise<void> {
    return this.#batch('metric', experimentKey, values, call);
  }

  logParametersBatch(experimentKey: string, values: readonly CometParameterValue[], call: CallOptions): Promise<void> {
    return this.#batch('parameter', experimentKey, values, call);
  }

  async logMetric(experimentKey: string, value: CometMetricValue, call: CallOptions): Promise<void> {
    await this.#write('experiment/metric', { experimentKey, ...value }, call);
  }

  async logParameter(experimentKey: string, value: CometParameterValue, call: CallOptions): Promise<void> {
    await this.#write('experiment/parameter', { experimentKey, ...value }, call);
  }

  async addTags(experimentKey: string, addedTags: readonly string[], call: CallOptions): Promise<void> {
    await this.#write('experiment/tags', { experimentKey, addedTags }, call);
  }

  async logOther(experimentKey: string, key: string, value: string, timestamp: number, call: CallOptions) {
    await this.#write('experiment/log-other', { experimentKey, key, value, timestamp }, call);
  }

  async setStartEndTime(
    experimentKey: string,
    times: { startTimeMillis: number; endTimeMillis?: number | undefined },
    call: CallOptions,
  ): Promise<void> {
    const { startTimeMillis, endTimeMillis } = times;
    await this.#write(
      'experiment/set-start-end-time',
      { experimentKey, startTimeMillis, ...(endTimeMillis === undefined ? {} : { endTimeMillis }) },
      call,
    );
  }

  /** `write/experiment/upload-asset`: multipart part `file`, the rest in the query; overwrite: a retry is harmless. */
  async uploadAsset(experimentKey: string, asset: AssetUpload, bytes: Blob, call: CallOptions): Promise<void> {
    const query = new URLSearchParams({ experimentKey, fileName: asset.fileName, type: asset.type, overwrite: 'true' });
    const form = new FormData();
    form.append('file', bytes.type ? bytes : new Blob([bytes], { type: asset.contentType }), asset.fileName);
    await this.#call(
      'write/experiment/upload-asset',
      `${this.server.restUrl}write/experiment/upload-asset?${query.toString()}`,
      { method: 'POST', body: form },
      call,
    );
  }
}
