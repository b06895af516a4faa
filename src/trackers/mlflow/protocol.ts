/**
 * MLflow's protocol for the remote delivery layer (trackers/remote/): how a run is created (the experiment found or
 * created, then `runs/create`), how many records one `runs/log-batch` takes (limits.ts), and how batches, artifacts
 * and statuses are sent and their answers read (sender.ts, client.ts). The spool's run.json holds MLflow's ids of
 * the run beside the layer's fields (MlflowRunMeta).
 */
import type { CreateRunResult, DataResult, Doubt, RemoteProtocol, SendResult } from '../remote/protocol.js';
import type { ArtifactRecord, DataRecord, RunStatus } from '../remote/records.js';
import type { RunMeta } from '../remote/spool.js';
import type { MlflowRestClient } from './client.js';
import { MLFLOW_BATCH_LIMITS, takeBatch } from './limits.js';
import type { BatchLimits } from './limits.js';
import { MlflowSender } from './sender.js';

/** A spool's run.json for MLflow: the layer's fields and MLflow's names and ids of the run. */
export interface MlflowRunMeta extends RunMeta {
  experimentName: string;
  experimentId?: string;
  mlflowRunId?: string;
  artifactUri?: string;
}

/** The fields of run.json a resumed session takes from the spool: the same MLflow run. */
export const MLFLOW_RUN_FIELDS = ['experimentId', 'mlflowRunId', 'artifactUri'] as const;

export class MlflowProtocol implements RemoteProtocol<MlflowRunMeta> {
  readonly name = 'MLflow';
  readonly #sender: MlflowSender;
  readonly #limits: BatchLimits;

  constructor(client: MlflowRestClient, signal: AbortSignal, limits: BatchLimits = MLFLOW_BATCH_LIMITS) {
    this.#sender = new MlflowSender(client, signal);
    this.#limits = limits;
  }

  get baseUrl(): string {
    return this.#sender.baseUrl;
  }

  get timeouts() {
    return this.#sender.timeouts;
  }

  runIdOf(meta: MlflowRunMeta): string | undefined {
    return meta.mlflowRunId;
  }

  async createRun(meta: MlflowRunMeta, tags: Record<string, string>): Promise<CreateRunResult> {
    const result = await this.#sender.createRun({
      experimentName: meta.experimentName,
      experimentId: meta.experimentId,
      runName: meta.runName,
      startTime: meta.startTime,
      tags,
    });
    if (result.kind === 'retryable') {
      if (result.experimentId) meta.experimentId = result.experimentId; // found: not looked up again
      return { kind: 'retryable', error: result.error, retryAfterMs: result.retryAfterMs };
    }
    if (result.kind === 'stopped') return result;
    meta.experimentId = result.experimentId;
    meta.mlflowRunId = result.run.run_id;
    if (result.run.artifact_uri) meta.artifactUri = result.run.artifact_uri;
    return { kind: 'delivered' };
  }

  takeBatch(meta: MlflowRunMeta, records: readonly DataRecord[]): number {
    return takeBatch(meta.mlflowRunId!, records, this.#limits);
  }

  sendBatch(meta: MlflowRunMeta, records: readonly DataRecord[], options: { doubt?: Doubt }): Promise<DataResult> {
    return this.#sender.sendData(meta.mlflowRunId!, records, options);
  }

  sendFile(meta: MlflowRunMeta, record: ArtifactRecord): Promise<SendResult> {
    return this.#sender.sendArtifact(meta.artifactUri, record);
  }

  sendStatus(meta: MlflowRunMeta, status: RunStatus, endTime: number | undefined): Promise<SendResult> {
    return this.#sender.sendStatus(meta.mlflowRunId!, status, endTime);
  }

  reportFields(meta: MlflowRunMeta): { experimentId: string | undefined } {
    return { experimentId: meta.experimentId };
  }
}
