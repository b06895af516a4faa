/**
 * MLflow's request limits, and what the client does to stay within them: key sanitizing, value truncation,
 * and chunking queued metrics, params and tags into `runs/log-batch` requests.
 *
 * The numbers are MLflow's own, from `mlflow/utils/validation.py` (MLflow 2.x/3.x) and the REST API
 * reference of `runs/log-batch` ("A single JSON-serialized API request may be up to 1 MB in size and contain:
 * no more than 1000 metrics, params, and tags in total; up to 1000 metrics; up to 100 params; up to 100 tags").
 * Older servers used a 500-character param value limit (MAX_PARAM_VAL_LENGTH before 2.x) and 5000 for tag
 * values; `maxParamValueLength` / `maxTagValueLength` let a user target them.
 */

/** `MAX_METRICS_PER_BATCH`. */
const MAX_METRICS_PER_BATCH = 1000;
/** `MAX_PARAMS_TAGS_PER_BATCH`, for params and for tags separately. */
const MAX_PARAMS_PER_BATCH = 100;
const MAX_TAGS_PER_BATCH = 100;
/** `MAX_ENTITIES_PER_BATCH`: metrics + params + tags in one request. */
const MAX_ENTITIES_PER_BATCH = 1000;
/** `MAX_BATCH_LOG_REQUEST_SIZE = int(1e6)`: bytes of the JSON request body. */
const MAX_BATCH_LOG_REQUEST_SIZE = 1_000_000;
/** `MAX_PARAM_VAL_LENGTH = 6000` (MLflow >= 2.0; 500 before). */
export const MAX_PARAM_VALUE_LENGTH = 6000;
/** `MAX_TAG_VAL_LENGTH = 8000` (run tags; experiment and registry tags stay at 5000). */
export const MAX_TAG_VALUE_LENGTH = 8000;
/** `MAX_ENTITY_KEY_LENGTH = 250`: metric, param and tag keys. */
export const MAX_KEY_LENGTH = 250;

import type { DataRecord } from '../remote/records.js';

export interface BatchLimits {
  metrics: number;
  params: number;
  tags: number;
  entities: number;
  bytes: number;
}

export const MLFLOW_BATCH_LIMITS: Readonly<BatchLimits> = {
  metrics: MAX_METRICS_PER_BATCH,
  params: MAX_PARAMS_PER_BATCH,
  tags: MAX_TAGS_PER_BATCH,
  entities: MAX_ENTITIES_PER_BATCH,
  bytes: MAX_BATCH_LOG_REQUEST_SIZE,
};

/** Characters MLflow accepts in metric, param and tag names (its `^[/\w.\- :]*$`, `\w` being Unicode-aware). */
const NAME_CHARACTER = /[\p{L}\p{N}\p{Mn}\p{Pc}/.\- :]/u;

/**
 * A key MLflow accepts: disallowed characters become `_`, empty, `.` and `..` path segments are dropped
 * (MLflow rejects names that `posixpath.normpath` would change), and the length is capped.
 */
export function sanitizeKey(key: string, maxLength = MAX_KEY_LENGTH): string {
  const characters = Array.from(key, (char) => (NAME_CHARACTER.test(char) ? char : '_')).join('');
  const normalize = (text: string) => {
    const joined = text
      .split('/')
      .filter((segment) => segment !== '' && segment !== '.' && segment !== '..')
      .join('/');
    return joined.startsWith('..') ? `_${joined}` : joined;
  };
  let result = normalize(characters);
  if (result.length > maxLength && codePointLength(result) > maxLength)
    result = normalize(truncateCodePoints(result, maxLength));
  return result === '' ? '_' : result;
}

/** Length in Unicode code points, which is what MLflow (Python `len`) measures. */
export function codePointLength(text: string): number {
  return Array.from(text).length;
}

/** The first `limit` code points of `text` (never splits a surrogate pair). */
export function truncateCodePoints(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let out = '';
  let count = 0;
  for (const char of text) {
    if (count === limit) break;
    out += char;
    count += 1;
  }
  return out;
}

/** A param value as MLflow stores it: strings as they are, anything else as JSON. */
export function paramToString(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function recordJson(record: DataRecord): string {
  if (record.t === 'metric') {
    return JSON.stringify({ key: record.key, value: record.value, timestamp: record.timestamp, step: record.step });
  }
  return JSON.stringify({ key: record.key, value: record.value });
}

/** The `runs/log-batch` request body for `records`. */
export function logBatchBody(runId: string, records: readonly DataRecord[]): string {
  const parts: Record<DataRecord['t'], string[]> = { metric: [], param: [], tag: [] };
  for (const record of records) parts[record.t].push(recordJson(record));
  return (
    `{"run_id":${JSON.stringify(runId)},"metrics":[${parts.metric.join(',')}],` +
    `"params":[${parts.param.join(',')}],"tags":[${parts.tag.join(',')}]}`
  );
}

/**
 * How many of `records` (from the start) fit in one `runs/log-batch` request. Always at least one, so a
 * caller always makes progress; a record that alone breaks a limit is sent alone and the server judges it.
 * A param key seen twice ends the batch too: MLflow rejects duplicate param keys within one request.
 */
export function takeBatch(
  runId: string,
  records: readonly DataRecord[],
  limits: BatchLimits = MLFLOW_BATCH_LIMITS,
  start = 0,
): number {
  const envelope = Buffer.byteLength(logBatchBody(runId, []));
  const count = { metric: 0, param: 0, tag: 0 };
  const max = { metric: limits.metrics, param: limits.params, tag: limits.tags };
  const paramKeys = new Set<string>();
  let bytes = envelope;
  let taken = 0;
  for (let index = start; index < records.length; index += 1) {
    const record = records[index]!;
    if (taken === limits.entities) break;
    if (count[record.t] === max[record.t]) break;
    if (record.t === 'param' && paramKeys.has(record.key)) break;
    // Each record adds its JSON and, except the first of its array, a comma.
    const added = Buffer.byteLength(recordJson(record)) + (count[record.t] > 0 ? 1 : 0);
    if (taken > 0 && bytes + added > limits.bytes) break;
    bytes += added;
    count[record.t] += 1;
    if (record.t === 'param') paramKeys.add(record.key);
    taken += 1;
  }
  return Math.max(taken, Math.min(1, records.length - start));
}
