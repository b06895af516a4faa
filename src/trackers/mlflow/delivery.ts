/**
 * Delivery of what the `mlflow` tracker logs: an in-memory queue, a background sender, retries with
 * exponential backoff and jitter, and the on-disk spool for what cannot be sent yet.
 *
 * Log calls only append to the memory queue. Delivery rounds run one at a time (a promise chain): each
 * creates the MLflow run if it does not exist yet, then sends the spool's records (older) before the
 * memory queue's, one request at a time, the run status last. When a request fails in a way a retry can
 * help (network error, timeout, 408, 429, 5xx), the round stops, the memory queue is appended to the spool
 * and the next attempt waits `retryBaseMs * 2^(failures-1)` (capped at `retryMaxMs`, at least a
 * `Retry-After`), with jitter. Other 4xx answers are final: a refused batch is split in halves until the
 * records the server refuses are found and reported; an unknown run or refused credentials stop delivery
 * for the session and leave everything in the spool.
 */
import { existsSync, openAsBlob } from 'node:fs';
import { stat, utimes } from 'node:fs/promises';
import { lockFile } from '../../util/file_lock.js';
import { isRetryable, MlflowApiError } from './client.js';
import type { MlflowRestClient, RunStatus } from './client.js';
import { MLFLOW_BATCH_LIMITS, takeBatch } from './limits.js';
import type { BatchLimits, DataRecord } from './limits.js';
import { Spool } from './spool.js';
import type { ArtifactRecord, QueueRecord, SpoolMeta } from './spool.js';

export interface DeliveryCounts {
  metrics: number;
  params: number;
  tags: number;
  artifacts: number;
}

export type RejectedKind = 'metric' | 'param' | 'tag' | 'artifact' | 'status' | 'run';

export interface RejectedItem {
  kind: RejectedKind;
  /** The metric, param or tag key, the artifact path, or the status. */
  key: string;
  reason: string;
}

/** What happened to everything a tracker (or `MlflowTracker.deliverSpool`) was given. */
export interface MlflowDeliveryReport {
  trackingUri: string;
  experimentId: string | undefined;
  /** The MLflow run id, once the run exists on the server. */
  runId: string | undefined;
  /** True when nothing is left to deliver: every record was delivered or refused, and the status was sent. */
  complete: boolean;
  delivered: DeliveryCounts;
  /** Not delivered yet: kept in the spool for a later delivery. `status` is a run status not sent yet. */
  undelivered: DeliveryCounts & { status: RunStatus | undefined };
  /** Refused for good (by the server's 4xx answers or by the client's checks); never retried. First 100. */
  rejected: RejectedItem[];
  rejectedCount: number;
  /** Lost because the spool was full (`maxSpoolBytes`) or the memory queue was (`maxQueueItems`). */
  dropped: DeliveryCounts;
  spoolDir: string;
  /** Why the spool could not be used (undelivered data then only lived in memory). */
  spoolError: string | undefined;
  /** The last delivery error, if any. */
  lastError: string | undefined;
}

export interface DeliveryOptions {
  client: MlflowRestClient;
  spoolDir: string;
  maxSpoolBytes: number;
  /** The run's description; in `resume` mode a `run.json` found in the spool for the same run wins. */
  meta: SpoolMeta;
  /**
   * `session`: a tracker's run; a spool left by an earlier session of the same run id is resumed (same
   * MLflow run, its leftovers delivered first, the status set back to RUNNING).
   * `redeliver`: deliver an existing spool as it is (`MlflowTracker.deliverSpool`).
   */
  mode: 'session' | 'redeliver';
  retryBaseMs: number;
  retryMaxMs: number;
  maxQueueItems: number;
  /** Tags set when the run is created. */
  runTags: Record<string, string>;
  limits?: BatchLimits;
  warn: (code: string, message: string) => void;
}

/** The run cannot take anything more this session (unknown run, refused credentials, wrong endpoint). */
class FatalDeliveryError extends Error {}

/** Thrown by `prepare` in `redeliver` mode when the spool cannot be used. */
export class SpoolUnavailableError extends Error {
  readonly code: 'MLFLOW_SPOOL_NOT_FOUND' | 'MLFLOW_SPOOL_BUSY';
  constructor(code: SpoolUnavailableError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

const MAX_REQUESTS_PER_ROUND = 64;
/** A spool lock older than this was left by a killed process (proper-lockfile's default, which this replaced). */
const SPOOL_LOCK_STALE_MS = 60_000;
const MAX_DRAIN_ROUNDS = 100_000;
const MAX_REJECTIONS_LISTED = 100;
const MAX_REJECTION_WARNINGS = 10;
const MAX_OUTAGE_WARNINGS = 5;

function zeroCounts(): DeliveryCounts {
  return { metrics: 0, params: 0, tags: 0, artifacts: 0 };
}

const COUNT_FIELD: Record<QueueRecord['t'], keyof DeliveryCounts> = {
  metric: 'metrics',
  param: 'params',
  tag: 'tags',
  artifact: 'artifacts',
};

/** Waits `ms` on a timer that keeps the process alive (callers await it). */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Settles when `promise` does or after `ms`, whichever comes first; never rejects. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.catch(() => undefined),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms)))),
  ]);
  clearTimeout(timer);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** 401, 403 and 404 (or MLflow's RESOURCE_DOES_NOT_EXIST) mean no later request of this run can succeed. */
function isFatal(error: unknown): boolean {
  return (
    error instanceof MlflowApiError &&
    (error.status === 401 ||
      error.status === 403 ||
      error.status === 404 ||
      error.errorCode === 'RESOURCE_DOES_NOT_EXIST')
  );
}

export class MlflowDelivery {
  readonly #options: DeliveryOptions;
  readonly #client: MlflowRestClient;
  readonly #limits: BatchLimits;
  #spool: Spool;
  #meta: SpoolMeta;
  #metaDirty = true;
  #data: DataRecord[] = [];
  #artifacts: ArtifactRecord[] = [];
  #failures = 0;
  #nextAttemptAt = 0;
  #outageWarnings = 0;
  #lastError: string | undefined;
  #fatal: string | undefined;
  /** Why the spool cannot be used; undelivered data then stays in memory. */
  #spoolBroken: string | undefined;
  #closed = false;
  #roundQueued = false;
  #progress = 0;
  #chain: Promise<unknown>;
  readonly #ready: Promise<void>;
  #timer: NodeJS.Timeout | undefined;
  #releaseLock: (() => Promise<void>) | undefined;
  readonly #shutdown = new AbortController();
  readonly #delivered = zeroCounts();
  readonly #dropped = zeroCounts();
  readonly #rejected: RejectedItem[] = [];
  #rejectedCount = 0;
  #queueFullWarned = false;
  #spoolFullWarned = false;

  constructor(options: DeliveryOptions) {
    this.#options = options;
    this.#client = options.client;
    this.#limits = options.limits ?? MLFLOW_BATCH_LIMITS;
    this.#meta = { ...options.meta };
    this.#spool = new Spool(options.spoolDir, options.maxSpoolBytes);
    // Everything runs after the spool is opened; log calls meanwhile only fill the memory queue.
    this.#ready = this.#prepare();
    this.#chain = this.#ready.catch(() => undefined);
  }

  /** Settles once the spool is open; rejects (in `redeliver` mode only) when the spool cannot be used. */
  get ready(): Promise<void> {
    return this.#ready;
  }

  get runId(): string | undefined {
    return this.#meta.mlflowRunId;
  }

  get spoolDir(): string {
    return this.#spool.dir;
  }

  get #queued(): number {
    return this.#data.length + this.#artifacts.length;
  }

  get #spoolPending(): boolean {
    return !this.#spoolBroken && this.#spool.hasPending;
  }

  /** True while something waits for delivery (or the run still has to be created). */
  get pending(): boolean {
    return this.#queued > 0 || this.#spoolPending || this.#meta.pendingStatus !== undefined || !this.#meta.mlflowRunId;
  }

  async #prepare(): Promise<void> {
    const { mode } = this.#options;
    try {
      await this.#openSpool();
    } catch (error) {
      // The lock directory exists: another process holds the spool (any other failure: the spool is unusable).
      const busy = existsSync(`${this.#spool.dir}.lock`);
      if (mode === 'redeliver') {
        if (!busy) throw error;
        throw new SpoolUnavailableError(
          'MLFLOW_SPOOL_BUSY',
          `${this.#spool.dir} is in use by another process (a run still logging, or another delivery)`,
        );
      }
      // Another live session writes this spool (the same run id and logdir twice at once): use a sibling.
      if (!busy || !(await this.#useSiblingSpool(`${this.#spool.dir} is in use by another process`))) {
        this.#breakSpool(error);
        return;
      }
    }
    let existing = await this.#spool.readMeta();
    if (mode === 'redeliver') {
      if (!existing) {
        await this.#unlock();
        throw new SpoolUnavailableError(
          'MLFLOW_SPOOL_NOT_FOUND',
          `${this.#spool.dir} holds no MLflow spool (run.json)`,
        );
      }
      this.#meta = { ...existing, trackingUri: this.#meta.trackingUri };
    } else {
      if (existing && existing.gymnosRunId !== this.#meta.gymnosRunId) {
        // A spoolDir shared by two runs: never deliver one run's leftovers to another.
        const reason = `${this.#spool.dir} holds the spool of run "${existing.gymnosRunId}"`;
        if (this.#spool.hasPending && !(await this.#useSiblingSpool(reason))) return;
        existing = undefined;
      }
      if (existing) {
        this.#meta = {
          ...this.#meta,
          startTime: existing.startTime,
          ...(existing.experimentId ? { experimentId: existing.experimentId } : {}),
          ...(existing.mlflowRunId ? { mlflowRunId: existing.mlflowRunId, artifactUri: existing.artifactUri } : {}),
        };
        // The earlier session's final status no longer holds: the run goes on.
        if (this.#meta.mlflowRunId) this.#meta.pendingStatus = { status: 'RUNNING' };
      }
    }
    this.#metaDirty = true;
    await this.#saveMeta();
  }

  async #openSpool(): Promise<void> {
    await this.#spool.open();
    this.#releaseLock = await this.#lock(this.#spool.dir);
  }

  /** Switches to a fresh sibling of the spool directory; false (spool broken) when that fails too. */
  async #useSiblingSpool(reason: string): Promise<boolean> {
    await this.#unlock();
    const sibling = `${this.#spool.dir}-${process.pid}-${Date.now().toString(36)}`;
    this.#options.warn('GYMNOS_MLFLOW_SPOOL_BUSY', `${reason}; this session spools to ${sibling}`);
    this.#spool = new Spool(sibling, this.#options.maxSpoolBytes);
    try {
      await this.#openSpool();
      return true;
    } catch (error) {
      this.#breakSpool(error);
      return false;
    }
  }

  /**
   * The spool is held for the whole session: another process that finds it held does not wait (timeoutMs 0)
   * but spools elsewhere; a lock left by a killed process is taken over once stale.
   */
  async #lock(dir: string): Promise<() => Promise<void>> {
    const release = await lockFile(dir, { staleMs: SPOOL_LOCK_STALE_MS, timeoutMs: 0 });
    // Held for hours, unlike the registry's: its mtime is kept fresh so that it never looks stale while held.
    const refresh = setInterval(() => {
      const now = new Date();
      utimes(`${dir}.lock`, now, now).catch(() => undefined);
    }, SPOOL_LOCK_STALE_MS / 4);
    refresh.unref();
    return async () => {
      clearInterval(refresh);
      await release();
    };
  }

  async #unlock(): Promise<void> {
    const release = this.#releaseLock;
    this.#releaseLock = undefined;
    await release?.().catch(() => undefined);
  }

  #breakSpool(error: unknown): void {
    if (this.#spoolBroken) return;
    this.#spoolBroken = messageOf(error);
    this.#options.warn(
      'GYMNOS_MLFLOW_SPOOL_UNAVAILABLE',
      `cannot use the spool ${this.#spool.dir} (${this.#spoolBroken}); data that cannot be sent stays in ` +
        `memory (at most ${this.#options.maxQueueItems} items)`,
    );
  }

  async #saveMeta(): Promise<void> {
    if (!this.#metaDirty || this.#spoolBroken) return;
    try {
      await this.#spool.writeMeta(this.#meta);
      this.#metaDirty = false;
    } catch (error) {
      this.#breakSpool(error);
    }
  }

  /** Queues a record; returns at once. Beyond `maxQueueItems` the record is dropped (and counted). */
  enqueue(record: QueueRecord): void {
    if (this.#queued >= this.#options.maxQueueItems) {
      this.#dropped[COUNT_FIELD[record.t]] += 1;
      if (!this.#queueFullWarned) {
        this.#queueFullWarned = true;
        this.#options.warn(
          'GYMNOS_MLFLOW_QUEUE_FULL',
          `more than ${this.#options.maxQueueItems} items wait in memory; further items are dropped until ` +
            'the queue drains (raise maxQueueItems, or log less often)',
        );
      }
      return;
    }
    if (record.t === 'artifact') this.#artifacts.push(record);
    else {
      this.#data.push(record);
      if (this.#data.length % this.#limits.metrics === 0) this.kick();
    }
  }

  /** The run status to send once everything before it is delivered. */
  setStatus(status: RunStatus, endTime?: number): void {
    this.#meta.pendingStatus = endTime === undefined ? { status } : { status, endTime };
    this.#metaDirty = true;
  }

  /** Records a refusal: reported at the end, warned about for the first few. */
  reject(kind: RejectedKind, key: string, reason: string): void {
    this.#rejectedCount += 1;
    if (this.#rejected.length < MAX_REJECTIONS_LISTED) this.#rejected.push({ kind, key, reason });
    if (this.#rejectedCount <= MAX_REJECTION_WARNINGS) {
      const more = this.#rejectedCount === MAX_REJECTION_WARNINGS ? ' (further refusals are only counted)' : '';
      this.#options.warn('GYMNOS_MLFLOW_REJECTED', `${kind} "${key}" was not logged: ${reason}${more}`);
    }
  }

  /** Sends what is queued every `intervalMs`, on a timer that does not keep the process alive. */
  startTimer(intervalMs: number): void {
    this.#timer = setInterval(() => {
      if (this.pending && !this.#fatal) this.kick();
      else if (this.#queued > 0) this.kick(); // after a fatal error: move the memory queue to the spool
    }, intervalMs);
    this.#timer.unref();
  }

  /** Starts a delivery round unless one is already waiting. */
  kick(): void {
    if (this.#roundQueued || this.#closed) return;
    this.#roundQueued = true;
    void this.round().finally(() => {
      this.#roundQueued = false;
    });
  }

  /** One delivery round (exclusive): sends what it can, up to 64 requests, or spools when it cannot. */
  round(): Promise<void> {
    return this.#exclusive(() => this.#round());
  }

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(task, task);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #round(): Promise<void> {
    if (this.#closed) return;
    if (this.#fatal || Date.now() < this.#nextAttemptAt) {
      // No request now: keep the memory queue small by moving it to the spool.
      if (this.#fatal || this.#failures > 0) await this.#spill();
      return;
    }
    try {
      for (let request = 0; request < MAX_REQUESTS_PER_ROUND && !this.#closed; request += 1) {
        if (!(await this.#step())) break;
        this.#progress += 1;
        this.#failures = 0;
      }
    } catch (error) {
      this.#lastError = messageOf(error);
      if (error instanceof FatalDeliveryError) {
        this.#fatal = error.message;
        this.#options.warn(
          'GYMNOS_MLFLOW_DELIVERY_STOPPED',
          `${error.message}; nothing more is sent this session, undelivered data is kept in ${this.#spool.dir}`,
        );
      } else if (!this.#closed) {
        this.#failures += 1;
        const exponential = Math.min(this.#options.retryMaxMs, this.#options.retryBaseMs * 2 ** (this.#failures - 1));
        let delay = exponential * (0.5 + Math.random() * 0.5);
        const retryAfter = (error as { retryAfterMs?: number }).retryAfterMs;
        if (retryAfter !== undefined) delay = Math.max(delay, Math.min(retryAfter, this.#options.retryMaxMs));
        this.#nextAttemptAt = Date.now() + delay;
        if (this.#failures === 1 && this.#outageWarnings < MAX_OUTAGE_WARNINGS) {
          this.#outageWarnings += 1;
          const detail = isRetryable(error) ? '' : ' (unexpected error)';
          this.#options.warn(
            'GYMNOS_MLFLOW_UNAVAILABLE',
            `MLflow server ${this.#client.baseUrl} unavailable${detail}: ${this.#lastError}; training goes on, ` +
              `data is spooled to ${this.#spool.dir} and sent when the server answers again`,
          );
        }
      }
      await this.#spill();
    }
  }

  /** Sends one request's worth; false when nothing is left. */
  async #step(): Promise<boolean> {
    if (!this.#meta.mlflowRunId) await this.#createRun();
    if (this.#spoolPending) return this.#deliverSpoolWindow();
    if (this.#data.length > 0) {
      const count = takeBatch(this.#meta.mlflowRunId!, this.#data, this.#limits);
      await this.#sendData(this.#data.slice(0, count));
      this.#data.splice(0, count);
      return true;
    }
    if (this.#artifacts.length > 0) {
      await this.#sendArtifact(this.#artifacts[0]!);
      this.#artifacts.shift();
      return true;
    }
    if (this.#meta.pendingStatus) {
      await this.#sendStatus();
      return true;
    }
    return false;
  }

  async #createRun(): Promise<void> {
    const signal = this.#shutdown.signal;
    try {
      this.#meta.experimentId ??= await this.#client.ensureExperiment(this.#meta.experimentName, signal);
      const info = await this.#client.createRun(
        {
          experimentId: this.#meta.experimentId,
          runName: this.#meta.runName,
          startTime: this.#meta.startTime,
          tags: this.#options.runTags,
        },
        signal,
      );
      this.#meta.mlflowRunId = info.run_id;
      if (info.artifact_uri) this.#meta.artifactUri = info.artifact_uri;
      // A new run is RUNNING already; only a final status stays pending.
      if (this.#meta.pendingStatus?.status === 'RUNNING') delete this.#meta.pendingStatus;
      this.#metaDirty = true;
    } catch (error) {
      if (isRetryable(error) || !(error instanceof MlflowApiError)) throw error;
      this.reject('run', this.#meta.runName, error.message);
      throw new FatalDeliveryError(`creating the MLflow run failed: ${error.message}`);
    }
    await this.#saveMeta();
  }

  async #deliverSpoolWindow(): Promise<boolean> {
    let entries;
    try {
      entries = await this.#spool.readWindow();
    } catch (error) {
      this.#breakSpool(error);
      return true;
    }
    if (entries.length === 0) return false;
    if (!entries[0]!.record) {
      // Unreadable lines (a write cut by a crash): skip them.
      let skip = 0;
      while (skip < entries.length && !entries[skip]!.record) skip += 1;
      await this.#spool.advance(entries[skip - 1]!.end);
      return true;
    }
    const first = entries[0]!.record;
    if (first.t === 'artifact') {
      await this.#sendArtifact(first);
      await this.#spool.advance(entries[0]!.end);
      return true;
    }
    const records: DataRecord[] = [];
    for (const entry of entries) {
      if (!entry.record || entry.record.t === 'artifact') break;
      records.push(entry.record);
    }
    const count = takeBatch(this.#meta.mlflowRunId!, records, this.#limits);
    await this.#sendData(records.slice(0, count));
    await this.#spool.advance(entries[count - 1]!.end);
    return true;
  }

  /** One log-batch request; a refused batch is halved until the refused records are isolated. */
  async #sendData(records: readonly DataRecord[]): Promise<void> {
    try {
      await this.#client.logBatch(this.#meta.mlflowRunId!, records, this.#shutdown.signal);
      for (const record of records) this.#delivered[COUNT_FIELD[record.t]] += 1;
    } catch (error) {
      if (isRetryable(error) || !(error instanceof MlflowApiError)) throw error;
      if (isFatal(error)) throw new FatalDeliveryError(`MLflow refused the run's data: ${error.message}`);
      if (records.length > 1) {
        const half = Math.ceil(records.length / 2);
        await this.#sendData(records.slice(0, half));
        await this.#sendData(records.slice(half));
        return;
      }
      this.reject(records[0]!.t, records[0]!.key, error.message);
    }
  }

  async #sendArtifact(record: ArtifactRecord): Promise<void> {
    try {
      if (!this.#meta.artifactUri) throw new TypeError('the MLflow run has no artifact root');
      let body: Uint8Array | Blob;
      if (record.bytes) body = record.bytes;
      else {
        try {
          // A directory or a vanished file would fail while the body streams, which looks like a network
          // error and would be retried forever: check first.
          if (!(await stat(record.file!)).isFile()) throw Object.assign(new Error(), { code: 'not a regular file' });
          body = await openAsBlob(record.file!, { type: record.contentType });
        } catch (error) {
          const reason = (error as NodeJS.ErrnoException).code ?? error;
          throw new TypeError(`cannot read ${record.file}: ${reason}`, { cause: error });
        }
      }
      await this.#client.uploadArtifact(
        this.#meta.artifactUri,
        record.path,
        body,
        record.contentType,
        this.#shutdown.signal,
      );
      this.#delivered.artifacts += 1;
    } catch (error) {
      if (error instanceof TypeError) this.reject('artifact', record.path, error.message);
      else if (isRetryable(error) || !(error instanceof MlflowApiError)) throw error;
      else if (error.status === 401 || error.status === 403) {
        throw new FatalDeliveryError(`MLflow refused the credentials: ${error.message}`);
      } else this.reject('artifact', record.path, error.message);
    }
    await this.#spool.release(record).catch(() => undefined);
  }

  async #sendStatus(): Promise<void> {
    const pending = this.#meta.pendingStatus!;
    try {
      await this.#client.updateRun(this.#meta.mlflowRunId!, pending.status, pending.endTime, this.#shutdown.signal);
    } catch (error) {
      if (isRetryable(error) || !(error instanceof MlflowApiError)) throw error;
      if (isFatal(error)) throw new FatalDeliveryError(`MLflow refused the run status: ${error.message}`);
      this.reject('status', pending.status, error.message);
    }
    if (this.#meta.pendingStatus === pending) {
      delete this.#meta.pendingStatus;
      this.#metaDirty = true;
      await this.#saveMeta();
    }
  }

  /** Moves the memory queue to the spool (in order, after what is already there). */
  async #spill(): Promise<void> {
    if (this.#queued > 0 && !this.#spoolBroken) {
      const records: QueueRecord[] = [...this.#data, ...this.#artifacts];
      try {
        const { refused } = await this.#spool.append(records);
        this.#data = [];
        this.#artifacts = [];
        for (const record of refused) this.#dropped[COUNT_FIELD[record.t]] += 1;
        if (refused.length > 0 && !this.#spoolFullWarned) {
          this.#spoolFullWarned = true;
          this.#options.warn(
            'GYMNOS_MLFLOW_SPOOL_FULL',
            `the spool ${this.#spool.dir} reached maxSpoolBytes (${this.#options.maxSpoolBytes} bytes); ` +
              'newer data is dropped until the server takes some',
          );
        }
      } catch (error) {
        this.#breakSpool(error);
      }
    }
    await this.#saveMeta();
  }

  /** One delivery round now (it creates the run), waited for until `deadline`: true when the run exists. */
  async connect(deadline: number): Promise<boolean> {
    await settleWithin(this.#chain, deadline - Date.now());
    await settleWithin(this.round(), deadline - Date.now());
    return this.#meta.mlflowRunId !== undefined;
  }

  /**
   * Delivers until nothing is pending or `deadline` (ms since the epoch) passes; true when everything was
   * delivered. Bounded in time by the deadline and in rounds by a fixed count.
   */
  async drain(deadline: number): Promise<boolean> {
    await settleWithin(this.#chain, deadline - Date.now());
    this.#nextAttemptAt = 0; // an explicit flush or end tries at once
    for (let round = 0; round < MAX_DRAIN_ROUNDS; round += 1) {
      if (!this.pending || this.#fatal || this.#closed) break;
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      const before = this.#progress;
      await settleWithin(this.round(), remaining);
      if (!this.pending || this.#fatal) break;
      const backoff = this.#nextAttemptAt - Date.now();
      const wait = backoff > 0 ? backoff : this.#progress === before ? 10 : 0;
      if (wait > 0) await sleep(Math.min(wait, deadline - Date.now()));
    }
    return !this.pending;
  }

  /** Stops the sender: aborts a request in flight, moves the memory queue to the spool, releases the lock. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#shutdown.abort();
    await this.#exclusive(() => this.#spill()).catch(() => undefined);
    await this.#unlock();
  }

  /** Where delivery stands; undelivered counts include the spool (read from disk). */
  async report(): Promise<MlflowDeliveryReport> {
    const undelivered = { ...zeroCounts(), status: this.#meta.pendingStatus?.status };
    if (this.#spoolPending) {
      const counts = await this.#spool.countPending().catch(() => undefined);
      if (counts)
        for (const [kind, count] of Object.entries(counts)) undelivered[COUNT_FIELD[kind as QueueRecord['t']]] += count;
    }
    for (const record of [...this.#data, ...this.#artifacts]) undelivered[COUNT_FIELD[record.t]] += 1;
    const complete =
      undelivered.metrics + undelivered.params + undelivered.tags + undelivered.artifacts === 0 &&
      undelivered.status === undefined &&
      this.#meta.mlflowRunId !== undefined;
    return {
      trackingUri: this.#client.baseUrl,
      experimentId: this.#meta.experimentId,
      runId: this.#meta.mlflowRunId,
      complete,
      delivered: { ...this.#delivered },
      undelivered,
      rejected: [...this.#rejected],
      rejectedCount: this.#rejectedCount,
      dropped: { ...this.#dropped },
      spoolDir: this.#spool.dir,
      spoolError: this.#spoolBroken,
      lastError: this.#lastError,
    };
  }
}
