/**
 * What a remote tracker hands its delivery, whatever the backend: metrics, params and tags (sent in batches) and
 * artifacts (uploaded one at a time), the run statuses, and the counts kept of each kind. A backend encodes them
 * its own way (trackers/<backend>/); the queue, the spool and the ledger only carry and count them.
 */

/** A metric value as JSON carries it: protobuf's JSON mapping (MLflow, W&B) spells non-finite doubles as strings. */
export type WireDouble = number | 'NaN' | 'Infinity' | '-Infinity';

export function wireDouble(value: number): WireDouble {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return 'Infinity';
  if (value === Number.NEGATIVE_INFINITY) return '-Infinity';
  return value;
}

export interface MetricRecord {
  t: 'metric';
  key: string;
  value: WireDouble;
  /** Milliseconds since the epoch, when the metric was logged. */
  timestamp: number;
  step: number;
}

export interface ParamRecord {
  t: 'param';
  key: string;
  value: string;
}

export interface TagRecord {
  t: 'tag';
  key: string;
  value: string;
}

/** The records that go out in batches. */
export type DataRecord = MetricRecord | ParamRecord | TagRecord;

/** An artifact waiting for upload. In memory it may carry bytes; on disk it always names a file. */
export interface ArtifactRecord {
  t: 'artifact';
  /** Path inside the run's artifacts, `/`-separated. */
  path: string;
  contentType: string;
  file?: string;
  /** The file belongs to the spool (spooled figure bytes) and is deleted once uploaded. */
  owned?: boolean;
  /** Memory only: bytes to upload (figures). */
  bytes?: Uint8Array;
}

export type QueueRecord = DataRecord | ArtifactRecord;

/** A run's status, the states every backend's runs go through. */
export type RunStatus = 'RUNNING' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface DeliveryCounts {
  metrics: number;
  params: number;
  tags: number;
  artifacts: number;
}

const COUNT_FIELD: Record<QueueRecord['t'], keyof DeliveryCounts> = {
  metric: 'metrics',
  param: 'params',
  tag: 'tags',
  artifact: 'artifacts',
};

export function zeroCounts(): DeliveryCounts {
  return { metrics: 0, params: 0, tags: 0, artifacts: 0 };
}

/** Adds one record of `record`'s kind to `counts`. */
export function countRecord(counts: DeliveryCounts, record: Pick<QueueRecord, 't'>, by = 1): void {
  counts[COUNT_FIELD[record.t]] += by;
}
