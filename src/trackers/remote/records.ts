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

/** The records that go out in batches, one value each (MLflow's, Comet's). */
export type DataRecord = MetricRecord | ParamRecord | TagRecord;

/** A value of a history row: a metric, or the reference of a file uploaded beside it (a W&B image). */
export type RowValue = WireDouble | Record<string, unknown>;

/**
 * A history row: the values logged at one step, sent as one unit at a position of the run's history that is
 * given to the row once (`line`, by the protocol's `stamp`) and kept through any re-send, so that a replay writes
 * the same line again instead of a new one (W&B's file_stream offsets). Counted as its `metrics` metric values.
 */
export interface RowRecord {
  t: 'row';
  /** How reports name it: `step 12`. */
  key: string;
  step: number;
  /** Milliseconds since the epoch, when the row's first value was logged. */
  timestamp: number;
  values: Record<string, RowValue>;
  /** How many of `values` are metrics (the rest are file references, counted as their artifacts). */
  metrics: number;
  /** The row's line in the run's history, relative to the run's first line this spool wrote; set once. */
  line?: number;
}

/** Any record that goes out in batches. */
export type BatchRecord = DataRecord | RowRecord;

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

export type QueueRecord = BatchRecord | ArtifactRecord;

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
  row: 'metrics',
  artifact: 'artifacts',
};

export function zeroCounts(): DeliveryCounts {
  return { metrics: 0, params: 0, tags: 0, artifacts: 0 };
}

/** How many values a record stands for: one, or a row's metrics. */
export function valuesOf(record: Pick<QueueRecord, 't'> & { metrics?: unknown }): number {
  return record.t === 'row' ? Number(record.metrics) || 0 : 1;
}

/** Adds `by` records of `record`'s kind to `counts` (a row adds its metrics). */
export function countRecord(
  counts: DeliveryCounts,
  record: Pick<QueueRecord, 't'> & { metrics?: unknown },
  by = 1,
): void {
  counts[COUNT_FIELD[record.t]] += by * valuesOf(record);
}
