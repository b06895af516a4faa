/**
 * The mlflow sender: one request at a time to the tracking server, each answered by an explicit result, so
 * that what the server said decides what happens to the data, and nothing else does:
 *
 * - `delivered`: the server took it;
 * - `retryable`: no answer, a timeout, 408, 429 or 5xx: keep the data and try again later;
 * - `refused`: a 4xx about this item (or a file that cannot be read): drop it and report why, never retry;
 * - `stopped`: an unknown run or refused credentials: nothing more of this run can succeed this session.
 *
 * Only a failed request or a check made here becomes a result. Anything else thrown (a bug) propagates to
 * the caller, which must not mistake it for a refusal.
 */
import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isGymnosError } from '../../errors.js';
import { MLFLOW_ARTIFACT_ROOT_UNSUPPORTED, requestFailure } from './client.js';
import type { MlflowRestClient, MlflowRunInfo, RunStatus } from './client.js';
import type { DataRecord } from './limits.js';
import type { ArtifactRecord } from './spool.js';

export type SendResult =
  | { kind: 'delivered' }
  | { kind: 'retryable'; error: string; retryAfterMs: number | undefined }
  | { kind: 'refused'; reason: string }
  | { kind: 'stopped'; reason: string };

/** Failures, for the results that say why. */
export type SendFailure = Exclude<SendResult, { kind: 'delivered' }>;

/** A log-batch outcome: how many records from the front were settled, and which of them were refused. */
export interface DataResult {
  /** Records from the front of the batch that were delivered or refused: the caller forgets exactly these. */
  settled: number;
  refused: { record: DataRecord; reason: string }[];
  /** Why the rest of the batch was not settled (a retry can help, or the run takes nothing more). */
  failure?: Extract<SendResult, { kind: 'retryable' | 'stopped' }>;
}

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
function failureOf(error: unknown, stopOn: readonly number[], what: string): SendFailure {
  const failure = requestFailure(error);
  if (!failure) throw error;
  const message = (error as Error).message;
  if (failure.retryable) return { kind: 'retryable', error: message, retryAfterMs: failure.retryAfterMs };
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

  /** `signal` aborts a request in flight (the tracker is closing). */
  constructor(client: MlflowRestClient, signal: AbortSignal) {
    this.#client = client;
    this.#signal = signal;
  }

  get baseUrl(): string {
    return this.#client.baseUrl;
  }

  /** Finds or creates the experiment, then creates the run. A refusal stops the run's delivery. */
  async createRun(run: RunToCreate): Promise<CreateRunResult> {
    let experimentId = run.experimentId;
    try {
      experimentId ??= await this.#client.ensureExperiment(run.experimentName, this.#signal);
      const info = await this.#client.createRun(
        { experimentId, runName: run.runName, startTime: run.startTime, tags: run.tags },
        this.#signal,
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
   * run), saying how many records from the front were settled before it.
   */
  async sendData(runId: string, records: readonly DataRecord[]): Promise<DataResult> {
    const result: DataResult = { settled: 0, refused: [] };
    await this.#sendHalving(runId, records, result);
    return result;
  }

  async #sendHalving(runId: string, records: readonly DataRecord[], result: DataResult): Promise<void> {
    let failure: SendFailure;
    try {
      await this.#client.logBatch(runId, records, this.#signal);
      result.settled += records.length;
      return;
    } catch (error) {
      failure = failureOf(error, RUN_GONE, "MLflow refused the run's data");
    }
    if (failure.kind !== 'refused') {
      result.failure = failure;
      return;
    }
    if (records.length === 1) {
      result.refused.push({ record: records[0]!, reason: failure.reason });
      result.settled += 1;
      return;
    }
    const half = Math.ceil(records.length / 2);
    await this.#sendHalving(runId, records.slice(0, half), result);
    if (!result.failure) await this.#sendHalving(runId, records.slice(half), result);
  }

  /**
   * Uploads one artifact from its bytes or its file. A run without an artifact root the client can write, or
   * a file that is not there (or not a regular file), is refused: retrying would not help.
   */
  async sendArtifact(artifactUri: string | undefined, record: ArtifactRecord): Promise<SendResult> {
    if (!artifactUri) return { kind: 'refused', reason: 'the MLflow run has no artifact root' };
    try {
      this.#client.artifactRootUrl(artifactUri);
    } catch (error) {
      if (isGymnosError(error) && error.code === MLFLOW_ARTIFACT_ROOT_UNSUPPORTED) {
        return { kind: 'refused', reason: error.message };
      }
      throw error;
    }
    let body: Uint8Array | Blob;
    if (record.bytes) body = record.bytes;
    else {
      // A directory or a vanished file would fail while the body streams, which looks like a network error
      // and would be retried forever: check first.
      const unreadable = await unreadableReason(record.file);
      if (unreadable) return { kind: 'refused', reason: `cannot read ${record.file}: ${unreadable}` };
      try {
        body = await openAsBlob(record.file!, { type: record.contentType });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === undefined) throw error;
        return { kind: 'refused', reason: `cannot read ${record.file}: ${code}` }; // gone since the check
      }
    }
    try {
      await this.#client.uploadArtifact(artifactUri, record.path, body, record.contentType, this.#signal);
      return DELIVERED;
    } catch (error) {
      return failureOf(error, CREDENTIALS_REFUSED, 'MLflow refused the credentials');
    }
  }

  /** Sets the run's status (and end time). */
  async sendStatus(runId: string, status: RunStatus, endTime: number | undefined): Promise<SendResult> {
    try {
      await this.#client.updateRun(runId, status, endTime, this.#signal);
      return DELIVERED;
    } catch (error) {
      return failureOf(error, RUN_GONE, 'MLflow refused the run status');
    }
  }
}

/** Why `file` cannot be uploaded (an errno code, or "not a regular file"), or undefined when it can. */
async function unreadableReason(file: string | undefined): Promise<string | undefined> {
  if (file === undefined) return 'no file';
  try {
    return (await stat(file)).isFile() ? undefined : 'not a regular file';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    return code;
  }
}
