/**
 * W&B's protocol for the remote delivery layer (trackers/remote/): the run found (RunResumeStatus) and upserted
 * (UpsertBucket, with its config and tags merged over the server's), history rows and the summary sent over the
 * run's file_stream at explicit line offsets, files through CreateRunFiles and a PUT to the signed URL, and the end
 * as file_stream's `complete` with the exit code, sent last by the layer once everything else is delivered.
 *
 * A history row gets its line once (`stamp`), the first time it is spooled or sent, and keeps it: sending it again
 * (a lost answer, a sync after a kill) writes the same line again, never a new one. Lines are relative to
 * `historyBase`, the history's length on the server when this spool first reached it (0 for a new run, more for a
 * run continued through WANDB_RUN_ID). Config, tags and summary are whole values on W&B (each upsert or summary
 * line replaces the last): the first request of every session reads the server's and merges them in, so that a
 * session that lost its run.json's latest state (a kill) never replaces the server's with less.
 */
import { hostname } from 'node:os';
import { readFile } from 'node:fs/promises';
import { isGymnosError } from '../../errors.js';
import { unreadableReason } from '../remote/files.js';
import { httpFailure } from '../remote/http.js';
import type { CreateRunResult, DataResult, RemoteProtocol, SendFailure, SendResult } from '../remote/protocol.js';
import type { ArtifactRecord, ParamRecord, RowRecord, RunStatus, TagRecord } from '../remote/records.js';
import { RequestTimeouts } from '../remote/request_timeouts.js';
import type { RunMeta } from '../remote/spool.js';
import { WANDB_GRAPHQL_ERROR } from './client.js';
import type { WandbClient } from './client.js';
import { historyLine, rowHead, summaryLine, updatedSummary } from './history.js';

/** What the wandb tracker queues: history rows, params (config) and tags. */
export type WandbRecord = RowRecord | ParamRecord | TagRecord;

/** A spool's run.json for W&B: the layer's fields, the run's names and what W&B holds as whole values. */
export interface WandbRunMeta extends RunMeta {
  entity?: string;
  project: string;
  /** The W&B run id (the run's `name` in W&B's API, in its URL). */
  wandbRunId: string;
  /** The server's id of the run, once upserted. */
  bucketId?: string;
  /** The history's length on the server when this spool first reached it: line 0 of this spool's rows. */
  historyBase?: number;
  /** The next line a row is given (relative to `historyBase`). */
  nextLine: number;
  /** The run's config: every param logged, by key (sent whole: W&B's `{key: {value}}`). */
  config: Record<string, unknown>;
  wandbTags: string[];
  /** The latest value of every key sent (the summary, sent whole with each history request). */
  summary: Record<string, unknown>;
  /** The script that logs (W&B's `program`). */
  program?: string;
}

/** The fields of run.json a resumed session takes from the spool: the same W&B run and its state. */
export const WANDB_RUN_FIELDS = [
  'entity',
  'project',
  'wandbRunId',
  'bucketId',
  'historyBase',
  'nextLine',
  'config',
  'wandbTags',
  'summary',
] as const;

/** file_stream takes about 10 MiB a request; a request stays well under it. */
const MAX_REQUEST_BYTES = 4 * 1024 * 1024;
/** One history line at most 10 MiB less 100 KiB (longer ones W&B drops). */
const MAX_LINE_BYTES = 10 * 1024 * 1024 - 100 * 1024;
const MAX_ROWS_PER_REQUEST = 50_000;
const MAX_CONFIG_RECORDS = 500;
/** The exit code `complete` sends for each final status (KILLED: 128 + SIGKILL's 9). */
const EXIT_CODES: Record<RunStatus, number> = { RUNNING: 0, FINISHED: 0, FAILED: 1, KILLED: 137 };
/** Statuses after which nothing more of the run can go (W&B's client stops on the same, bar 409 and 422). */
const RUN_GONE = new Set([401, 403, 404, 410]);

export interface WandbProtocolOptions {
  /** The shortest time between two requests to the run's file_stream (W&B allows a run 2 a second). */
  minRequestIntervalMs: number;
  /** Said once, when the server answers `stopped` (the run was stopped from W&B's web page). */
  onStopRequested?: () => void;
}

/** What a failed request means; rethrows anything that is not one (a bug). */
function failureOf(error: unknown, what: string): SendFailure {
  if (isGymnosError(error) && error.code === WANDB_GRAPHQL_ERROR) return { kind: 'refused', reason: error.message };
  const failure = httpFailure(error);
  if (!failure) throw error;
  const message = (error as Error).message;
  if (failure.retryable || failure.status === 409) {
    return { kind: 'retryable', error: message, retryAfterMs: failure.retryAfterMs };
  }
  if (failure.status !== undefined && RUN_GONE.has(failure.status)) {
    const why = failure.status === 401 || failure.status === 403 ? 'W&B refused the API key' : what;
    return { kind: 'stopped', reason: `${why}: ${message}` };
  }
  return { kind: 'refused', reason: message };
}

function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A param record's value, back from the JSON text the tracker queued. */
function paramValue(record: ParamRecord): unknown {
  try {
    return JSON.parse(record.value);
  } catch (error) {
    if (error instanceof SyntaxError) return record.value;
    throw error;
  }
}

/** A tag record as W&B's plain-string tags hold it. */
function tagText(record: Pick<TagRecord, 'key' | 'value'>): string {
  return record.value === '' ? record.key : `${record.key}:${record.value}`;
}

export class WandbProtocol implements RemoteProtocol<WandbRunMeta, WandbRecord> {
  readonly name = 'W&B';
  /** A request takes up to MAX_ROWS_PER_REQUEST rows: the spool's window holds that many (spooled rows are bigger). */
  readonly window = { records: MAX_ROWS_PER_REQUEST, bytes: 3 * MAX_REQUEST_BYTES };
  readonly timeouts: RequestTimeouts;
  readonly #client: WandbClient;
  readonly #signal: AbortSignal;
  readonly #options: WandbProtocolOptions;
  /** The run was found and upserted by this session (each session does it once, to merge the server's state). */
  #contacted = false;
  #stopRequested = false;
  /** The run this session reached, for the heartbeat. */
  #reached: { entity: string; project: string; name: string } | undefined;
  /** When the last file_stream request was answered (performance.now()). */
  #lastStreamAt = 0;

  constructor(client: WandbClient, signal: AbortSignal, timeouts: RequestTimeouts, options: WandbProtocolOptions) {
    this.#client = client;
    this.#signal = signal;
    this.timeouts = timeouts;
    this.#options = options;
  }

  get baseUrl(): string {
    return this.#client.baseUrl;
  }

  runIdOf(meta: WandbRunMeta): string | undefined {
    return this.#contacted ? meta.wandbRunId : undefined;
  }

  reportFields(meta: WandbRunMeta): Record<string, unknown> {
    return { entity: meta.entity, project: meta.project, wandbRunId: meta.wandbRunId };
  }

  /** One client call under the current timeout, whose outcome teaches the timeouts. */
  #timed<T>(call: (options: { signal: AbortSignal; timeoutMs: number }) => Promise<T>): Promise<T> {
    return this.timeouts.run((timeoutMs) => call({ signal: this.#signal, timeoutMs }), httpFailure);
  }

  #run(meta: WandbRunMeta) {
    return { entity: meta.entity!, project: meta.project, name: meta.wandbRunId };
  }

  /** The shortest pause before the next request: the client's own pace, or longer when the server asks. */
  #pace(asked: number | undefined): number {
    return Math.max(this.#options.minRequestIntervalMs, asked ?? 0);
  }

  async createRun(meta: WandbRunMeta): Promise<CreateRunResult> {
    try {
      if (!meta.entity) {
        const entity = await this.#timed((call) => this.#client.viewerEntity(call));
        if (!entity) {
          return { kind: 'stopped', reason: 'W&B names no default entity for this API key: set WANDB_ENTITY' };
        }
        meta.entity = entity;
      }
      const found = await this.#timed((call) =>
        this.#client.findRun(meta.entity!, meta.project, meta.wandbRunId, call),
      );
      const serverLines = found?.historyLineCount ?? 0;
      meta.historyBase ??= serverLines;
      // Lines the server holds past what this spool knows it gave (a run.json older than the last request) are
      // never given again.
      meta.nextLine = Math.max(meta.nextLine, serverLines - meta.historyBase);
      if (found) {
        meta.config = { ...found.config, ...meta.config };
        meta.wandbTags = [...new Set([...found.tags, ...meta.wandbTags])];
        meta.summary = { ...found.summary, ...meta.summary };
      }
      const upserted = await this.#timed((call) =>
        this.#client.upsertRun(
          {
            id: found?.id,
            name: meta.wandbRunId,
            project: meta.project,
            entity: meta.entity!,
            displayName: meta.runName,
            config: meta.config,
            tags: meta.wandbTags,
            host: hostname(),
            program: meta.program,
          },
          call,
        ),
      );
      meta.bucketId = upserted.value;
      this.#contacted = true;
      this.#reached = this.#run(meta);
      return { kind: 'delivered', paceMs: upserted.paceMs };
    } catch (error) {
      const failure = failureOf(error, `the W&B run ${meta.wandbRunId} cannot be created`);
      // A refused creation ends the session's delivery (the data stays in the spool).
      return failure.kind === 'refused' ? { kind: 'stopped', reason: failure.reason } : failure;
    }
  }

  /** Rows with lines that follow each other, or params and tags: what one request takes. */
  takeBatch(meta: WandbRunMeta, records: readonly WandbRecord[]): number {
    const first = records[0]!;
    if (first.t !== 'row') {
      let taken = 0;
      while (taken < records.length && taken < MAX_CONFIG_RECORDS && records[taken]!.t !== 'row') taken += 1;
      return taken;
    }
    let bytes = 0;
    let taken = 0;
    for (const record of records) {
      if (record.t !== 'row' || taken === MAX_ROWS_PER_REQUEST) break;
      const expected = first.line === undefined ? undefined : first.line + taken;
      if (record.line !== expected) break;
      bytes += estimateRowBytes(record);
      if (taken > 0 && bytes > MAX_REQUEST_BYTES) break;
      taken += 1;
    }
    return Math.max(1, taken);
  }

  stamp(meta: WandbRunMeta, records: readonly (WandbRecord | ArtifactRecord)[]): void {
    for (const record of records) {
      if (record.t === 'row' && record.line === undefined) record.line = meta.nextLine++;
    }
  }

  unstamp(meta: WandbRunMeta, records: readonly (WandbRecord | ArtifactRecord)[]): void {
    const lines = records.flatMap((record) => (record.t === 'row' && record.line !== undefined ? [record.line] : []));
    // The spool refuses a suffix of what was just stamped: its lines are the last given, free again.
    if (lines.length > 0) meta.nextLine = Math.min(meta.nextLine, ...lines);
  }

  resumeAfter(meta: WandbRunMeta, last: WandbRecord | ArtifactRecord): void {
    if (last.t === 'row' && last.line !== undefined) meta.nextLine = Math.max(meta.nextLine, last.line + 1);
  }

  async sendBatch(meta: WandbRunMeta, records: readonly WandbRecord[]): Promise<DataResult<WandbRecord>> {
    return records[0]!.t === 'row'
      ? this.#sendRows(meta, records as readonly RowRecord[])
      : this.#sendConfig(meta, records as readonly (ParamRecord | TagRecord)[]);
  }

  async #sendRows(meta: WandbRunMeta, rows: readonly RowRecord[]): Promise<DataResult<WandbRecord>> {
    this.stamp(meta, rows);
    const refused: DataResult<WandbRecord>['refused'] = [];
    const lines = rows.map((row) => {
      const line = historyLine(row, meta.startTime);
      if (Buffer.byteLength(line) <= MAX_LINE_BYTES) return line;
      // Too long for W&B: its line holds only the row's step, so that the lines after it keep their places.
      refused.push({ record: row, reason: `a history row of ${Buffer.byteLength(line)} bytes, over W&B's limit` });
      return JSON.stringify(rowHead(row, meta.startTime));
    });
    const summary = updatedSummary(
      meta.summary,
      rows.filter((row) => !refused.some((item) => item.record === row)),
      meta.startTime,
    );
    const body =
      `{"files":{"wandb-history.jsonl":{"offset":${meta.historyBase! + rows[0]!.line!},"content":` +
      `${JSON.stringify(lines)}},"wandb-summary.json":{"offset":0,"content":` +
      `${JSON.stringify([summaryLine(summary)])}}}}`;
    try {
      const answer = await this.#timed((call) => this.#client.fileStream(this.#run(meta), body, call));
      this.#noteStop(answer.value);
      meta.summary = summary;
      return { settled: rows.length, refused, paceMs: this.#pace(answer.paceMs) };
    } catch (error) {
      const failure = failureOf(error, `the W&B run ${meta.wandbRunId} takes no more data`);
      if (failure.kind !== 'refused') return { settled: 0, refused: [], failure };
      // The server refused the request itself: each row is reported, never retried.
      return { settled: rows.length, refused: rows.map((record) => ({ record, reason: failure.reason })) };
    }
  }

  async #sendConfig(
    meta: WandbRunMeta,
    records: readonly (ParamRecord | TagRecord)[],
  ): Promise<DataResult<WandbRecord>> {
    const config = { ...meta.config };
    const tags = new Set(meta.wandbTags);
    for (const record of records) {
      if (record.t === 'param') setOwn(config, record.key, paramValue(record));
      else tags.add(tagText(record));
    }
    try {
      const upserted = await this.#timed((call) =>
        this.#client.upsertRun(
          {
            id: meta.bucketId,
            name: meta.wandbRunId,
            project: meta.project,
            entity: meta.entity!,
            displayName: meta.runName,
            config,
            tags: [...tags],
          },
          call,
        ),
      );
      meta.config = config;
      meta.wandbTags = [...tags];
      return { settled: records.length, refused: [], paceMs: upserted.paceMs };
    } catch (error) {
      const failure = failureOf(error, `the W&B run ${meta.wandbRunId} takes no more data`);
      if (failure.kind !== 'refused') return { settled: 0, refused: [], failure };
      return { settled: records.length, refused: records.map((record) => ({ record, reason: failure.reason })) };
    }
  }

  /** Uploads a run file: its signed URL, the bytes, then file_stream's `uploaded` so that W&B lists it. */
  async sendFile(meta: WandbRunMeta, record: ArtifactRecord): Promise<SendResult> {
    let body: Uint8Array;
    if (record.bytes) body = record.bytes;
    else {
      const unreadable = await unreadableReason(record.file);
      if (unreadable)
        return { kind: 'refused', reason: `${record.file ?? record.path} cannot be read (${unreadable})` };
      body = new Uint8Array(await readFile(record.file!));
    }
    try {
      const target = await this.#timed((call) => this.#client.createRunFile(this.#run(meta), record.path, call));
      const headers = { 'Content-Type': record.contentType, ...target.headers };
      await this.#timed((call) => this.#client.upload(target.uploadUrl, headers, body, call));
      const answer = await this.#timed((call) =>
        this.#client.fileStream(this.#run(meta), JSON.stringify({ uploaded: [record.path] }), call),
      );
      this.#noteStop(answer.value);
      return { kind: 'delivered', paceMs: this.#pace(answer.paceMs) };
    } catch (error) {
      return failureOf(error, `the W&B run ${meta.wandbRunId} takes no more files`);
    }
  }

  /** RUNNING needs nothing; the end is file_stream's `complete` with the exit code. */
  async sendStatus(meta: WandbRunMeta, status: RunStatus): Promise<SendResult> {
    if (status === 'RUNNING') return { kind: 'delivered' };
    try {
      const body = JSON.stringify({ complete: true, exitcode: EXIT_CODES[status] });
      const answer = await this.#timed((call) => this.#client.fileStream(this.#run(meta), body, call));
      return { kind: 'delivered', paceMs: this.#pace(answer.paceMs) };
    } catch (error) {
      return failureOf(error, `the W&B run ${meta.wandbRunId} cannot be ended`);
    }
  }

  /**
   * An empty file_stream request when none was made for `idleMs` (W&B marks a run whose requests stop as crashed);
   * false when none was due or the run was not reached. A failure is the caller's to ignore: data requests retry.
   */
  async heartbeat(idleMs: number): Promise<boolean> {
    const run = this.#reached;
    if (!run || performance.now() - this.#lastStreamAt < idleMs) return false;
    this.#lastStreamAt = performance.now();
    const answer = await this.#client.fileStream(run, '{}', {
      signal: this.#signal,
      timeoutMs: this.timeouts.currentMs,
    });
    this.#noteStop(answer.value);
    return true;
  }

  #noteStop(answer: Record<string, unknown>): void {
    this.#lastStreamAt = performance.now();
    if (answer.stopped === true && !this.#stopRequested) {
      this.#stopRequested = true;
      this.#options.onStopRequested?.();
    }
  }
}

/** About the bytes of a row's line, without encoding it. */
function estimateRowBytes(row: RowRecord): number {
  let bytes = 80;
  for (const [key, value] of Object.entries(row.values)) {
    bytes += key.length + 4 + (typeof value === 'object' ? JSON.stringify(value).length : 24);
  }
  return bytes;
}
