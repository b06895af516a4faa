/**
 * The mlflow sender: one request at a time to the tracking server, each answered by an explicit result, so
 * that what the server said decides what happens to the data, and nothing else does:
 *
 * - `delivered`: the server took it;
 * - `retryable`: no answer, a timeout, 408, 429 or 5xx: keep the data and try again later;
 * - `refused`: a 4xx about this item (or a file that cannot be read): drop it and report why, never retry;
 * - `stopped`: an unknown run or refused credentials: nothing more of this run can succeed this session.
 *
 * A batch whose answer was lost (a timeout, a reset connection, an answer that is not MLflow's) may have been
 * carried out: it is marked `inDoubt`, and before it is sent again the server is asked whether its metrics are
 * there (the history of its last metric: MLflow writes a batch's metrics in one transaction). Each request gets
 * the time the server has been needing (request_timeouts.ts), more after a timeout.
 *
 * Only a failed request or a check made here becomes a result. Anything else thrown (a bug) propagates to
 * the caller, which must not mistake it for a refusal.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isGymnosError } from '../../errors.js';
import { MLFLOW_ARTIFACT_ROOT_UNSUPPORTED, MlflowRestClient, requestFailure } from './client.js';
import type { CallOptions, MetricPoint, MlflowRunInfo } from './client.js';
import { unreadableReason, uploadBody } from '../remote/files.js';
import { sendIsolatingRefusals } from '../remote/halving.js';
import { retryableFailure } from '../remote/protocol.js';
import type { DataResult, Doubt, SendFailure, SendResult } from '../remote/protocol.js';
import { wireDouble } from '../remote/records.js';
import type { ArtifactRecord, DataRecord, MetricRecord, RunStatus } from '../remote/records.js';
import { RequestTimeouts } from '../remote/request_timeouts.js';

export interface RunToCreate {
  experimentName: string;
  /** Known once an earlier attempt found or created the experiment. */
  experimentId: string | undefined;
  runName: string;
  startTime: number;
  tags: Record<string, string>;
}

export type CreateRunResult =
  | { kind: 'delivered'; experimentId: string; run: MlflowRunInfo }
  | { kind: 'retryable'; error: string; retryAfterMs: number | undefined; experimentId: string | undefined }
  | { kind: 'stopped'; reason: string };

const DELIVERED = { kind: 'delivered' } as const;

/**
 * What a failed request means; rethrows anything that is not a failed request. `stopOn` lists the statuses
 * after which no later request of the run can succeed.
 */
function failureOf(error: unknown, stopOn: readonly number[], what: string, doubt?: Doubt): SendFailure {
  const failure = requestFailure(error);
  if (!failure) throw error;
  const message = (error as Error).message;
  if (failure.retryable) return retryableFailure(message, failure, doubt);
  if (
    (failure.status !== undefined && stopOn.includes(failure.status)) ||
    (stopOn.includes(404) && failure.errorCode === 'RESOURCE_DOES_NOT_EXIST')
  ) {
    return { kind: 'stopped', reason: `${what}: ${message}` };
  }
  return { kind: 'refused', reason: message };
}

/** An unknown run (404, RESOURCE_DOES_NOT_EXIST) or refused credentials end the run's delivery. */
const RUN_GONE = [401, 403, 404];
/** For an upload, a 404 is about the artifact's path; only credentials end the run's delivery. */
const CREDENTIALS_REFUSED = [401, 403];

export class MlflowSender {
  readonly #client: MlflowRestClient;
  readonly #signal: AbortSignal;
  readonly timeouts: RequestTimeouts;

  /** `signal` aborts a request in flight (the tracker is closing). */
  constructor(client: MlflowRestClient, signal: AbortSignal, timeouts = new RequestTimeouts(client.requestTimeoutMs)) {
    this.#client = client;
    this.#signal = signal;
    this.timeouts = timeouts;
  }

  get baseUrl(): string {
    return this.#client.baseUrl;
  }

  /** One client call under the current timeout, whose outcome teaches the timeouts. */
  #timed<T>(call: (options: CallOptions) => Promise<T>): Promise<T> {
    return this.timeouts.run((timeoutMs) => call({ signal: this.#signal, timeoutMs }), requestFailure);
  }

  /** Finds or creates the experiment, then creates the run. A refusal stops the run's delivery. */
  async createRun(run: RunToCreate): Promise<CreateRunResult> {
    let experimentId = run.experimentId;
    try {
      experimentId ??= await this.#timed((call) => this.#client.ensureExperiment(run.experimentName, call));
      const created = experimentId;
      const info = await this.#timed((call) =>
        this.#client.createRun(
          { experimentId: created, runName: run.runName, startTime: run.startTime, tags: run.tags },
          call,
        ),
      );
      return { kind: 'delivered', experimentId, run: info };
    } catch (error) {
      const failure = failureOf(error, RUN_GONE, 'creating the MLflow run failed');
      if (failure.kind === 'retryable') return { ...failure, experimentId };
      return {
        kind: 'stopped',
        reason: failure.kind === 'refused' ? `creating the MLflow run failed: ${failure.reason}` : failure.reason,
      };
    }
  }

  /**
   * One log-batch request. A batch the server refuses is split in halves until the refused records are
   * isolated; the others are delivered. Stops at the first failure a retry can help with (or that ends the
   * run), saying how many records from the front were settled before it. `inDoubt`: this batch was sent before
   * and its answer lost: the server is asked first whether it took it.
   */
  async sendData(runId: string, records: readonly DataRecord[], options: { doubt?: Doubt } = {}): Promise<DataResult> {
    const nothing: DataResult = { settled: 0, refused: [] };
    const { doubt } = options;
    if (doubt) {
      const landed = await this.#landed(runId, records);
      if (typeof landed !== 'boolean') return { ...nothing, failure: { ...landed, inDoubt: doubt } };
      if (landed) return this.#landedBatch(runId, records);
      if (Date.now() < doubt.settleBy) {
        // Not there yet, but the server may still be at it: sending it now could do it twice.
        const error = 'waiting for the server to finish a request whose answer was lost';
        return {
          ...nothing,
          failure: { kind: 'retryable', error, retryAfterMs: undefined, inDoubt: doubt, waiting: true },
        };
      }
    }
    const sent = await this.#sendIsolating(runId, records);
    const failure = sent.failure;
    if (failure?.kind === 'retryable' && failure.inDoubt && sent.settled === 0) {
      // Asked at once: a slow server may have finished meanwhile. Otherwise the next attempt asks again.
      if ((await this.#landed(runId, records)) === true) return this.#landedBatch(runId, records);
    }
    return sent;
  }

  /**
   * A batch the server took although its answer was lost: its metrics are there, and so its params (written
   * before them). Its params and tags (written after the metrics) are sent again: MLflow takes identical ones
   * again without harm.
   */
  async #landedBatch(runId: string, records: readonly DataRecord[]): Promise<DataResult> {
    const rest = records.filter((record) => record.t !== 'metric');
    if (rest.length === 0) return { settled: records.length, refused: [] };
    const sent = await this.#sendIsolating(runId, rest);
    if (sent.failure) return { settled: 0, refused: [], failure: { ...sent.failure } };
    return { settled: records.length, refused: sent.refused };
  }

  /**
   * Whether the server has `records`' metrics (the last one of them, found in its metric's history: a batch's
   * metrics are written in one transaction); true when there is no metric (sending params and tags again does
   * no harm), else the failure of the question.
   */
  async #landed(
    runId: string,
    records: readonly DataRecord[],
  ): Promise<boolean | Extract<SendResult, { kind: 'retryable' }>> {
    const last = [...records].reverse().find((record): record is MetricRecord => record.t === 'metric');
    if (!last) return false;
    const isLast = (point: MetricPoint) =>
      point.key === last.key &&
      Number(point.step ?? 0) === last.step &&
      Number(point.timestamp) === last.timestamp &&
      wireValue(point.value) === String(last.value);
    try {
      // Cheap first: the run's latest value of that metric, which it is when steps only grow; else its history.
      const latest = await this.#timed((call) => this.#client.latestMetrics(runId, call));
      if (latest.some(isLast)) return true;
      const history = await this.#timed((call) => this.#client.metricHistory(runId, last.key, call));
      return history.some((point) => isLast({ ...point, key: last.key }));
    } catch (error) {
      const failure = failureOf(error, [], 'asking MLflow for a batch whose answer was lost');
      if (failure.kind === 'retryable') return failure;
      // The server does not say (an old server, a proxy that refuses the question): send it again.
      return false;
    }
  }

  /** One log-batch request, a refused one split until the refused records are found (remote/halving.ts). */
  #sendIsolating(runId: string, records: readonly DataRecord[]): Promise<DataResult> {
    return sendIsolatingRefusals(records, async (part) => {
      try {
        await this.#timed((call) => this.#client.logBatch(runId, part, call));
        return DELIVERED;
      } catch (error) {
        // A lost answer: the server may go on with the request for about as long as it was given.
        return failureOf(error, RUN_GONE, "MLflow refused the run's data", {
          settleBy: Date.now() + this.timeouts.lastBoundMs,
        });
      }
    });
  }

  /**
   * Uploads one artifact from its bytes or its file. A run without an artifact root the client can write, or
   * a file that is not there (or not a regular file), is refused: retrying would not help.
   */
  async sendArtifact(artifactUri: string | undefined, record: ArtifactRecord): Promise<SendResult> {
    if (!artifactUri) return { kind: 'refused', reason: 'the MLflow run has no artifact root' };
    const localDir = MlflowRestClient.localArtifactDir(artifactUri);
    if (localDir !== undefined) return writeLocalArtifact(localDir, record);
    try {
      this.#client.artifactRootUrl(artifactUri);
    } catch (error) {
      if (isGymnosError(error) && error.code === MLFLOW_ARTIFACT_ROOT_UNSUPPORTED) {
        return { kind: 'refused', reason: error.message };
      }
      throw error;
    }
    const body = await uploadBody(record);
    if (!(body instanceof Blob)) return { kind: 'refused', reason: body.refused };
    try {
      await this.#timed((call) =>
        this.#client.uploadArtifact(artifactUri, record.path, body, record.contentType, call),
      );
      return DELIVERED;
    } catch (error) {
      return failureOf(error, CREDENTIALS_REFUSED, 'MLflow refused the credentials');
    }
  }

  /** Sets the run's status (and end time). */
  async sendStatus(runId: string, status: RunStatus, endTime: number | undefined): Promise<SendResult> {
    try {
      await this.#timed((call) => this.#client.updateRun(runId, status, endTime, call));
      return DELIVERED;
    } catch (error) {
      return failureOf(error, RUN_GONE, 'MLflow refused the run status');
    }
  }
}

/** A metric value of a history as the wire spells it, to compare with a record's. */
function wireValue(value: number | string): string {
  return typeof value === 'number' ? String(wireDouble(value)) : value;
}

/**
 * Writes an artifact under a local artifact root (`mlflow server --default-artifact-root <dir>`), as MLflow's
 * Python client does: the server only names the directory. Refused, with the fix named, when this machine cannot
 * write there (the root is a path of the server's machine).
 */
async function writeLocalArtifact(root: string, record: ArtifactRecord): Promise<SendResult> {
  const target = path.join(root, ...record.path.split('/'));
  try {
    await mkdir(path.dirname(target), { recursive: true });
    if (record.bytes) await writeFile(target, record.bytes);
    else if (record.file === undefined) return { kind: 'refused', reason: 'no file' };
    else await copyFile(record.file, target);
    return DELIVERED;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    if (record.file !== undefined && !record.bytes && (await unreadableReason(record.file))) {
      return { kind: 'refused', reason: `cannot read ${record.file}: ${await unreadableReason(record.file)}` };
    }
    return {
      kind: 'refused',
      reason:
        `the run's artifact root ${root} is a local path that this process cannot write (${code}); start ` +
        '`mlflow server` with --artifacts-destination <dir> instead of --default-artifact-root, so that it ' +
        'serves artifacts (mlflow-artifacts:/) to every client, or log from a machine that shares that path',
    };
  }
}
