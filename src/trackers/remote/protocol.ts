/**
 * What a remote backend supplies to the delivery layer: its protocol, and nothing else. The delivery
 * (delivery.ts) owns the queue, the spool, the retries, the ledger and `gymnos sync`; a backend says how to create
 * its run, how many queued records make one request, how to send a batch, a file and a status, and what its
 * server answered, as one of the explicit results below. A later backend (Comet, W&B) implements this interface
 * and gets every guarantee of the layer: see docs/architecture.md.
 */
import type { RequestTimeouts } from './request_timeouts.js';
import type { ArtifactRecord, BatchRecord, DataRecord, RunStatus } from './records.js';
import type { RunMeta } from './spool.js';

/** What the server said about one request. Only a failed request or a check of the backend becomes a result. */
export type SendResult =
  | {
      kind: 'delivered';
      /**
       * The server asks for a pause before the next request although it took this one (its rate-limit headers on a
       * success, or the backend's own pace): no request starts before it is over, and it is no failure.
       */
      paceMs?: number;
    }
  | {
      kind: 'retryable';
      error: string;
      retryAfterMs: number | undefined;
      /** The request may have been carried out: ask before sending it again (see `Doubt`). */
      inDoubt?: Doubt;
      /**
       * Not a failure: a request in doubt that the server may still be carrying out is waited for, or the backend's
       * own pace (its documented rate limits) says to wait `retryAfterMs` before this request. No request was made
       * for it, no outage is reported, and the memory queue moves to the spool meanwhile.
       */
      waiting?: true;
    }
  | { kind: 'refused'; reason: string }
  | { kind: 'stopped'; reason: string };

/**
 * A request whose answer was lost: until `settleBy` (ms since the epoch) the server may still be carrying it out,
 * so a "not there" is not final before then.
 */
export interface Doubt {
  settleBy: number;
}

/** Failures, for the results that say why. */
export type SendFailure = Exclude<SendResult, { kind: 'delivered' }>;

/**
 * The result of a failed request a retry can help with: in doubt (`doubt` given) when its answer was lost after it
 * may have been carried out.
 */
export function retryableFailure(
  error: string,
  facts: { retryAfterMs: number | undefined; answerLost: boolean },
  doubt?: Doubt,
): Extract<SendResult, { kind: 'retryable' }> {
  return {
    kind: 'retryable',
    error,
    retryAfterMs: facts.retryAfterMs,
    ...(facts.answerLost && doubt ? { inDoubt: doubt } : {}),
  };
}

/** A batch's outcome: how many records from the front were settled, and which of them were refused. */
export interface DataResult<Data extends BatchRecord = DataRecord> {
  /** Records from the front of the batch that were delivered or refused: the caller forgets exactly these. */
  settled: number;
  refused: { record: Data; reason: string }[];
  /** Why the rest of the batch was not settled (a retry can help, or the run takes nothing more). */
  failure?: Extract<SendResult, { kind: 'retryable' | 'stopped' }>;
  /** As a delivered result's: a pause the server asks for before the next request. */
  paceMs?: number;
}

/** A run creation's outcome; `delivered` has filled in the backend's ids in the meta. */
export type CreateRunResult = Exclude<SendResult, { kind: 'refused' }>;

/**
 * One backend's protocol. Every method is one request's worth (or a check), answered by a result; anything it
 * throws is a bug, which the delivery reports as one and handles like a retryable failure.
 */
export interface RemoteProtocol<Meta extends RunMeta = RunMeta, Data extends BatchRecord = DataRecord> {
  /** The backend's name in messages (`MLflow`). */
  readonly name: string;
  /** Where requests go, without credentials (for messages and reports). */
  readonly baseUrl: string;
  /** The bound of each request, adapted to the server. */
  readonly timeouts: RequestTimeouts;
  /**
   * How much of the spool one request can take, when it is more than the layer reads by default (2 000 records, 2
   * MB): W&B's file_stream takes tens of thousands of history rows in a request, and a run is allowed 2 a second.
   */
  readonly window?: { records: number; bytes: number };
  /** The backend's id of the run, once it exists on the server. */
  runIdOf(meta: Meta): string | undefined;
  /** Creates the run (or finds what an earlier attempt made), writing the backend's ids into `meta`. */
  createRun(meta: Meta, tags: Record<string, string>): Promise<CreateRunResult>;
  /** How many of `records` (from the front) go in one request: at least one. */
  takeBatch(meta: Meta, records: readonly Data[]): number;
  /**
   * Sends one batch. `doubt`: this batch was sent before and its answer lost: the backend asks its server whether
   * it was carried out before sending it again (or sends it again if its server takes a batch twice without harm).
   */
  sendBatch(meta: Meta, records: readonly Data[], options: { doubt?: Doubt }): Promise<DataResult<Data>>;
  /** Uploads one file. */
  sendFile(meta: Meta, record: ArtifactRecord): Promise<SendResult>;
  /** Sets the run's status (and end time). */
  sendStatus(meta: Meta, status: RunStatus, endTime: number | undefined): Promise<SendResult>;
  /** The backend's own facts of the run for the report (MLflow's experiment id). */
  reportFields?(meta: Meta): Record<string, unknown>;
  /**
   * For a backend whose records carry positions of their own (W&B's history lines): gives `records` (in queue
   * order) what a later send must repeat identically, before they are first spooled or sent; records that have it
   * already keep theirs. Synchronous: it runs within a log call whose queue is full, and at the exit.
   */
  stamp?(meta: Meta, records: readonly (Data | ArtifactRecord)[]): void;
  /** `records`, stamped, were not kept (the spool had no room): what they were given is free again. */
  unstamp?(meta: Meta, records: readonly (Data | ArtifactRecord)[]): void;
  /** The spool was opened holding `last` as its newest record: positions given later must follow it. */
  resumeAfter?(meta: Meta, last: Data | ArtifactRecord): void;
}
