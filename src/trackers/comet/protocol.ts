/**
 * Comet's protocol for the remote delivery layer (trackers/remote/): how the experiment is created and set up, how
 * many queued records one request takes, how each is sent and its answer read, all paced within Comet's documented
 * rate limits (limits.ts) so that a run at full speed never breaches them: a request the limits do not allow yet is
 * not made, and the delivery waits for it without calling it an outage (the records wait in the spool meanwhile).
 *
 * What each record becomes (docs/trackers/comet.md says it for users):
 * - metrics: up to 1 000 consecutive values in one `clientlib/batch/logger/experiment/metric` request (the way
 *   Comet's Python client sends them), or one `write/experiment/metric` each (`endpoints: 'rest'`, or once the
 *   batch endpoint answered 404); a request whose answer was lost is asked about (`experiment/metrics/get-metric`)
 *   before it is sent again, so that no value is stored twice;
 * - params: batches of `clientlib/batch/logger/experiment/parameter` (or `write/experiment/parameter`); sending one
 *   again is harmless (a parameter is set, not appended);
 * - tags (`logTag(key, value)`): Comet "others", `write/experiment/log-other`, set again harmlessly;
 * - artifacts: `write/experiment/upload-asset` with `overwrite=true`: `assets/<name>` as type `asset`,
 *   `images/<name>` and PNG/SVG `figures/<name>` as type `image`, figure specs (JSON) as assets;
 * - the status: the other `gymnos.status` and `write/experiment/set-start-end-time`.
 *
 * The experiment is created with `write/experiment/create`, which is not idempotent: when its answer is lost, the
 * next attempt first looks for it among the project's experiments (by name, created since) before creating again.
 */
import { uploadBody } from '../remote/files.js';
import { sendIsolatingRefusals } from '../remote/halving.js';
import { httpFailure } from '../remote/http.js';
import { RateBudget, waitForAll } from '../remote/pacer.js';
import type { SpentEntry } from '../remote/pacer.js';
import type {
  CreateRunResult,
  DataResult,
  Doubt,
  RemoteProtocol,
  SendFailure,
  SendResult,
} from '../remote/protocol.js';
import { retryableFailure } from '../remote/protocol.js';
import type { ArtifactRecord, DataRecord, MetricRecord, RunStatus } from '../remote/records.js';
import { RequestTimeouts } from '../remote/request_timeouts.js';
import type { RunMeta } from '../remote/spool.js';
import type { CallOptions, CometClient, CometMetricValue, CometParameterValue } from './client.js';
import { COMET_RATE_LIMITS, MAX_ASSET_BYTES, MAX_BATCH_BYTES, MAX_BATCH_VALUES, rateLimit } from './limits.js';
import type { CometRateLimits, CometRateLimitsParam } from './limits.js';

/** A spool's run.json for Comet: the layer's fields and Comet's names and ids of the experiment. */
export interface CometRunMeta extends RunMeta {
  workspace: string;
  projectName: string;
  experimentName: string;
  /** Comet tags (plain strings) added when the experiment is set up. */
  cometTags: string[];
  experimentKey?: string;
  /** The experiment's page, as Comet answered its creation. */
  link?: string;
  /** The experiment is set up (start time, others, tags): data may go to it. */
  ready?: true;
  /** A creation whose answer was lost, sent at this time: the project is searched before creating again. */
  createdInDoubtAt?: number;
  /** `rest` once Comet's batch endpoints answered 404: one value a request, through the documented REST API. */
  endpoints?: 'batch' | 'rest';
}

/** The fields of run.json a resumed session takes from the spool: the same experiment. */
export const COMET_RUN_FIELDS = ['experimentKey', 'link', 'ready', 'createdInDoubtAt', 'endpoints'] as const;

/** An experiment found by name is the one a lost creation made if it started at most this long before it was sent. */
const CREATION_CLOCK_SKEW_MS = 5 * 60_000;

const DELIVERED = { kind: 'delivered' } as const;

/** The Comet "other" that holds the run's status (Comet's REST API has no status of its own but the end time). */
const STATUS_OTHER = 'gymnos.status';

/** What an artifact's path (`assets/…`, `images/…`, `figures/…`) is uploaded as. */
function assetOf(record: ArtifactRecord): { fileName: string; type: string } {
  const [prefix = '', ...rest] = record.path.split('/');
  const fileName = rest.join('/') || record.path;
  if (prefix === 'images') return { fileName, type: 'image' };
  if (prefix === 'figures') return { fileName, type: /^image\//.test(record.contentType) ? 'image' : 'asset' };
  return { fileName, type: 'asset' };
}

/** A metric as Comet's endpoints take it. */
function metricValue(record: MetricRecord): CometMetricValue {
  return { metricName: record.key, metricValue: record.value, step: record.step, timestamp: record.timestamp };
}

/** The JSON length of a record in a batch, roughly (keys, values and the fields around them). */
function recordBytes(record: DataRecord): number {
  return record.key.length + (record.t === 'metric' ? 24 : record.value.length) + 96;
}

export interface CometProtocolOptions {
  limits?: CometRateLimitsParam;
  /** `rest`: only the documented one-value endpoints (no clientlib batch endpoint). Default `batch`. */
  endpoints?: 'batch' | 'rest';
  warn: (code: string, message: string) => void;
}

export class CometProtocol implements RemoteProtocol<CometRunMeta> {
  readonly name = 'Comet';
  readonly timeouts: RequestTimeouts;
  readonly #client: CometClient;
  readonly #signal: AbortSignal;
  readonly #endpoints: 'batch' | 'rest';
  readonly #warn: (code: string, message: string) => void;
  readonly #budgets: Record<keyof CometRateLimits, RateBudget>;
  /** What the request being made spent of the budgets: counted from its answer once it has one. */
  #unanswered: [RateBudget, SpentEntry][] = [];

  constructor(client: CometClient, signal: AbortSignal, requestTimeoutMs: number, options: CometProtocolOptions) {
    this.#client = client;
    this.#signal = signal;
    this.timeouts = new RequestTimeouts(requestTimeoutMs);
    this.#endpoints = options.endpoints ?? 'batch';
    this.#warn = options.warn;
    const limits = { ...COMET_RATE_LIMITS, ...options.limits };
    this.#budgets = {
      metricsPerMinute: new RateBudget(rateLimit('metricsPerMinute', limits.metricsPerMinute)),
      paramsPerMinute: new RateBudget(rateLimit('paramsPerMinute', limits.paramsPerMinute)),
      othersPerMinute: new RateBudget(rateLimit('othersPerMinute', limits.othersPerMinute)),
      restRequestsPerHour: new RateBudget(rateLimit('restRequestsPerHour', limits.restRequestsPerHour)),
    };
  }

  get baseUrl(): string {
    return this.#client.server.root;
  }

  runIdOf(meta: CometRunMeta): string | undefined {
    return meta.ready ? meta.experimentKey : undefined;
  }

  reportFields(meta: CometRunMeta): { experimentKey: string | undefined; link: string | undefined } {
    return { experimentKey: meta.experimentKey, link: meta.link };
  }

  /** One call under the current timeout, whose outcome teaches the timeouts. */
  #timed<T>(call: (options: CallOptions) => Promise<T>): Promise<T> {
    return this.timeouts
      .run((timeoutMs) => call({ signal: this.#signal, timeoutMs }), httpFailure)
      .finally(() => {
        const now = Date.now();
        for (const [budget, entry] of this.#unanswered) budget.answered(entry, now);
        this.#unanswered = [];
      });
  }

  /**
   * Spends the budgets a request takes, or says how long to wait for them (`waiting`: not a failure, no request
   * made). Each item: a budget and the units the request spends of it.
   */
  #pace(items: [keyof CometRateLimits, number][]): SendFailure | undefined {
    const now = Date.now();
    const budgets = items.map(([name, units]) => [this.#budgets[name], units] as [RateBudget, number]);
    const wait = waitForAll(budgets, now);
    if (wait > 0) {
      const names = items.map(([name]) => name).join(', ');
      return {
        kind: 'retryable',
        error: `waiting ${Math.ceil(wait)} ms for Comet's rate limits (${names})`,
        retryAfterMs: wait,
        waiting: true,
      };
    }
    for (const [budget, units] of budgets) this.#unanswered.push([budget, budget.spend(units, now)]);
    return undefined;
  }

  /** A REST request's pace: the key's hourly requests and the experiment's per-minute "everything else". */
  #paceRest(): SendFailure | undefined {
    return this.#pace([
      ['restRequestsPerHour', 1],
      ['othersPerMinute', 1],
    ]);
  }

  /**
   * What a failed request means; rethrows anything that is not a failed request (a bug). Refused credentials, a
   * payment needed or an experiment that is gone (404 on a REST write) end the run's delivery; a 429 also empties
   * the budgets until the server's reset.
   */
  #failureOf(error: unknown, what: string, doubt?: Doubt): SendFailure {
    const failure = httpFailure(error);
    if (!failure) throw error;
    const message = (error as Error).message;
    if (failure.status === 429) {
      const until = Date.now() + (failure.retryAfterMs ?? 60_000);
      for (const budget of Object.values(this.#budgets)) budget.exhaust(until);
    }
    if (failure.retryable) return retryableFailure(message, failure, doubt);
    if (failure.status === 401 || failure.status === 403) {
      return { kind: 'stopped', reason: `Comet refused the API key (${what}): ${message}` };
    }
    if (failure.status === 402) return { kind: 'stopped', reason: `Comet asks for payment (${what}): ${message}` };
    if (failure.status === 404) return { kind: 'stopped', reason: `${what}: ${message}` };
    return { kind: 'refused', reason: message };
  }

  /** Creates the experiment (or finds what a creation whose answer was lost made), then sets it up. */
  async createRun(meta: CometRunMeta, tags: Record<string, string>): Promise<CreateRunResult> {
    if (!meta.experimentKey && meta.createdInDoubtAt !== undefined) {
      const found = await this.#findLostCreation(meta);
      if (found !== undefined) return found;
    }
    if (!meta.experimentKey) {
      const paced = this.#paceRest();
      if (paced) return paced as CreateRunResult;
      const sentAt = Date.now();
      try {
        const created = await this.#timed((call) =>
          this.#client.createExperiment(
            { workspaceName: meta.workspace, projectName: meta.projectName, experimentName: meta.experimentName },
            call,
          ),
        );
        meta.experimentKey = created.experimentKey;
        if (created.link) meta.link = created.link;
        delete meta.createdInDoubtAt;
      } catch (error) {
        const failure = this.#failureOf(error, 'creating the Comet experiment', { settleBy: sentAt });
        if (failure.kind === 'retryable' && failure.inDoubt) meta.createdInDoubtAt ??= sentAt;
        if (failure.kind === 'refused')
          return { kind: 'stopped', reason: `creating the Comet experiment failed: ${failure.reason}` };
        return withoutDoubt(failure);
      }
    }
    const setup = await this.#setUp(meta, tags);
    if (setup) return setup;
    meta.ready = true;
    return DELIVERED;
  }

  /** The experiment a creation whose answer was lost made, if the project has it; undefined to create again. */
  async #findLostCreation(meta: CometRunMeta): Promise<CreateRunResult | undefined> {
    const paced = this.#paceRest();
    if (paced) return paced as CreateRunResult;
    try {
      const experiments = await this.#timed((call) =>
        this.#client.listExperiments(meta.workspace, meta.projectName, call),
      );
      const since = meta.createdInDoubtAt! - CREATION_CLOCK_SKEW_MS;
      const candidates = experiments
        .filter((experiment) => experiment.experimentName === meta.experimentName)
        .filter((experiment) => (experiment.startTimeMillis ?? since) >= since)
        .sort((a, b) => (b.startTimeMillis ?? 0) - (a.startTimeMillis ?? 0));
      if (candidates[0]) meta.experimentKey = candidates[0].experimentKey;
      else if (Date.now() < meta.createdInDoubtAt! + 2 * this.timeouts.currentMs) {
        // Not there yet, but the server may still be creating it: creating again now could make two.
        const error = 'waiting for Comet to finish creating an experiment whose answer was lost';
        return { kind: 'retryable', error, retryAfterMs: undefined, waiting: true };
      }
      delete meta.createdInDoubtAt;
      return undefined;
    } catch (error) {
      const failure = this.#failureOf(error, 'looking for the Comet experiment');
      if (failure.kind === 'refused') return undefined; // the project cannot be listed: create again
      return withoutDoubt(failure);
    }
  }

  /** The experiment's start time, the run's tags as others, the Comet tags: each idempotent, redone on a retry. */
  async #setUp(meta: CometRunMeta, tags: Record<string, string>): Promise<CreateRunResult | undefined> {
    const key = meta.experimentKey!;
    const steps: [string, (call: CallOptions) => Promise<void>][] = [
      [
        'setting its start time',
        (call) => this.#client.setStartEndTime(key, { startTimeMillis: meta.startTime }, call),
      ],
      ...Object.entries(tags).map(([name, value]): [string, (call: CallOptions) => Promise<void>] => [
        `logging the other "${name}"`,
        (call) => this.#client.logOther(key, name, value, meta.startTime, call),
      ]),
      ...(meta.cometTags.length > 0
        ? [
            ['adding its tags', (call: CallOptions) => this.#client.addTags(key, meta.cometTags, call)] as [
              string,
              (call: CallOptions) => Promise<void>,
            ],
          ]
        : []),
    ];
    for (const [what, step] of steps) {
      const result = await this.#rest(what, step);
      if (result.kind === 'refused')
        return { kind: 'stopped', reason: `setting up the Comet experiment failed: ${result.reason}` };
      if (result.kind !== 'delivered') return withoutDoubt(result);
    }
    return undefined;
  }

  /** One REST request, paced, answered as a result. */
  async #rest(what: string, request: (call: CallOptions) => Promise<void>): Promise<SendResult> {
    const paced = this.#paceRest();
    if (paced) return paced;
    try {
      await this.#timed(request);
      return DELIVERED;
    } catch (error) {
      return this.#failureOf(error, what);
    }
  }

  #restOnly(meta: CometRunMeta): boolean {
    return this.#endpoints === 'rest' || meta.endpoints === 'rest';
  }

  takeBatch(meta: CometRunMeta, records: readonly DataRecord[]): number {
    const kind = records[0]!.t;
    if (kind === 'tag' || this.#restOnly(meta)) return 1;
    const budget = this.#budgets[kind === 'metric' ? 'metricsPerMinute' : 'paramsPerMinute'];
    const most = Math.min(MAX_BATCH_VALUES, budget.capacity, records.length);
    let count = 0;
    let bytes = 0;
    while (count < most && records[count]!.t === kind) {
      bytes += recordBytes(records[count]!);
      if (count > 0 && bytes > MAX_BATCH_BYTES) break;
      count += 1;
    }
    return count;
  }

  async sendBatch(meta: CometRunMeta, records: readonly DataRecord[], options: { doubt?: Doubt }): Promise<DataResult> {
    const kind = records[0]!.t;
    if (kind === 'tag') {
      // One other a request (takeBatch): `logTag(key, value)` as Comet's `log_other(key, value)`.
      return sendIsolatingRefusals(records, ([record]) =>
        this.#rest(`logging the other "${record!.key}"`, (call) =>
          this.#client.logOther(
            meta.experimentKey!,
            record!.key,
            record!.t === 'tag' ? record!.value : '',
            Date.now(),
            call,
          ),
        ),
      );
    }
    if (kind === 'param') return sendIsolatingRefusals(records, (part) => this.#sendParams(meta, part));
    return this.#sendMetrics(meta, records as readonly MetricRecord[], options.doubt);
  }

  async #sendParams(meta: CometRunMeta, records: readonly DataRecord[]): Promise<SendResult> {
    const key = meta.experimentKey!;
    const values: CometParameterValue[] = records.map((record) => ({
      parameterName: record.key,
      parameterValue: record.t === 'param' ? record.value : '',
      timestamp: Date.now(),
    }));
    if (this.#restOnly(meta)) {
      const paced = this.#pace([
        ['restRequestsPerHour', 1],
        ['paramsPerMinute', 1],
      ]);
      if (paced) return paced;
      return this.#attempt('logging a Comet parameter', (call) => this.#client.logParameter(key, values[0]!, call));
    }
    const paced = this.#pace([['paramsPerMinute', values.length]]);
    if (paced) return paced;
    return this.#batchAttempt(meta, 'parameter', (call) => this.#client.logParametersBatch(key, values, call));
  }

  /** One request whose failure is a result. */
  async #attempt(what: string, request: (call: CallOptions) => Promise<void>, doubt?: Doubt): Promise<SendResult> {
    try {
      await this.#timed(request);
      return DELIVERED;
    } catch (error) {
      return this.#failureOf(error, what, doubt);
    }
  }

  /**
   * A request to a clientlib batch endpoint; a 404 or 405 means the server has none (an install without them): the
   * session goes on with the documented one-value endpoints, said once.
   */
  async #batchAttempt(
    meta: CometRunMeta,
    kind: 'metric' | 'parameter',
    request: (call: CallOptions) => Promise<void>,
    doubt?: Doubt,
  ): Promise<SendResult> {
    try {
      await this.#timed(request);
      return DELIVERED;
    } catch (error) {
      const failure = httpFailure(error);
      if (failure?.status === 404 || failure?.status === 405) {
        meta.endpoints = 'rest';
        this.#warn(
          'GYMNOS_COMET_NO_BATCH_ENDPOINT',
          `Comet's batch endpoint for ${kind}s answered HTTP ${failure.status}: values go one a request through the ` +
            `documented REST API from now on, paced to its limit of requests an hour`,
        );
        return { kind: 'retryable', error: (error as Error).message, retryAfterMs: 0, waiting: true };
      }
      return this.#failureOf(error, `logging Comet ${kind}s`, doubt);
    }
  }

  async #sendMetrics(
    meta: CometRunMeta,
    records: readonly MetricRecord[],
    doubt: Doubt | undefined,
  ): Promise<DataResult> {
    const nothing: DataResult = { settled: 0, refused: [] };
    if (doubt) {
      const landed = await this.#landed(meta, records);
      if (typeof landed !== 'boolean') return { ...nothing, failure: { ...landed, inDoubt: doubt } };
      if (landed) return { settled: records.length, refused: [] };
      if (Date.now() < doubt.settleBy) {
        // Not there yet, but the server may still be at it: sending it now could store it twice.
        const error = 'waiting for Comet to finish a request whose answer was lost';
        return {
          ...nothing,
          failure: { kind: 'retryable', error, retryAfterMs: undefined, inDoubt: doubt, waiting: true },
        };
      }
    }
    const result = await sendIsolatingRefusals(records, (part) =>
      this.#sendMetricPart(meta, part as readonly MetricRecord[]),
    );
    const failure = result.failure;
    if (failure?.kind === 'retryable' && failure.inDoubt && result.settled === 0) {
      // Asked at once: a slow server may have finished meanwhile. Otherwise the next attempt asks again.
      if ((await this.#landed(meta, records)) === true) return { settled: records.length, refused: [] };
    }
    return result;
  }

  async #sendMetricPart(meta: CometRunMeta, records: readonly MetricRecord[]): Promise<SendResult> {
    const key = meta.experimentKey!;
    const values = records.map(metricValue);
    // A lost answer: the server may go on with the request for about as long as it was given.
    const doubt = () => ({ settleBy: Date.now() + this.timeouts.lastBoundMs });
    if (this.#restOnly(meta)) {
      const paced = this.#pace([
        ['restRequestsPerHour', 1],
        ['metricsPerMinute', 1],
      ]);
      if (paced) return paced;
      return this.#attempt('logging a Comet metric', (call) => this.#client.logMetric(key, values[0]!, call), doubt());
    }
    const paced = this.#pace([['metricsPerMinute', values.length]]);
    if (paced) return paced;
    return this.#batchAttempt(meta, 'metric', (call) => this.#client.logMetricsBatch(key, values, call), doubt());
  }

  /**
   * Whether Comet holds `records`' last metric (name, step, timestamp and value): a batch is stored as a whole,
   * so its last value says whether it landed. Else the failure of the question (a question Comet refuses: false,
   * the batch is sent again).
   */
  async #landed(
    meta: CometRunMeta,
    records: readonly MetricRecord[],
  ): Promise<boolean | Extract<SendResult, { kind: 'retryable' }>> {
    const last = records.at(-1)!;
    const paced = this.#paceRest();
    if (paced) return paced as Extract<SendResult, { kind: 'retryable' }>;
    try {
      const points = await this.#timed((call) => this.#client.metricPoints(meta.experimentKey!, last.key, call));
      return points.some(
        (point) =>
          Number(point.step ?? 0) === last.step &&
          Number(point.timestamp) === last.timestamp &&
          sameValue(point.metricValue, last.value),
      );
    } catch (error) {
      const failure = this.#failureOf(error, 'asking Comet for a batch whose answer was lost');
      return failure.kind === 'retryable' ? withoutDoubt(failure) : false;
    }
  }

  /** Uploads one artifact; a file that cannot be read or is over Comet's upload limit is refused, not retried. */
  async sendFile(meta: CometRunMeta, record: ArtifactRecord): Promise<SendResult> {
    const body = await uploadBody(record, { bytes: MAX_ASSET_BYTES, name: "Comet's upload limit" });
    if (!(body instanceof Blob)) return { kind: 'refused', reason: body.refused };
    const upload = { ...assetOf(record), contentType: record.contentType };
    return this.#rest(`uploading ${record.path}`, (call) =>
      this.#client.uploadAsset(meta.experimentKey!, upload, body, call),
    );
  }

  /** The status as the other `gymnos.status`, and the end time (for a final status). */
  async sendStatus(meta: CometRunMeta, status: RunStatus, endTime: number | undefined): Promise<SendResult> {
    const key = meta.experimentKey!;
    const other = await this.#rest('setting the status', (call) =>
      this.#client.logOther(key, STATUS_OTHER, status, endTime ?? Date.now(), call),
    );
    if (other.kind !== 'delivered' || status === 'RUNNING') return other;
    return this.#rest('setting the end time', (call) =>
      this.#client.setStartEndTime(
        key,
        { startTimeMillis: meta.startTime, endTimeMillis: endTime ?? Date.now() },
        call,
      ),
    );
  }
}

/** Two metric values as numbers (Comet may answer a value as a string), NaN equal to NaN. */
function sameValue(a: number | string, b: number | string): boolean {
  const [x, y] = [Number(a), Number(b)];
  return x === y || (Number.isNaN(x) && Number.isNaN(y));
}

/** A failure of a request that is safe to send again (or whose doubt is kept elsewhere). */
function withoutDoubt<T extends SendFailure>(failure: T): T {
  if (failure.kind !== 'retryable' || !failure.inDoubt) return failure;
  const { inDoubt: _inDoubt, ...rest } = failure;
  return rest as T;
}
