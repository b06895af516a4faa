/**
 * The accounts of one remote delivery: what was delivered, refused (with the reason) and dropped, and the
 * report built from them. Kept apart from the delivery's moving parts so that every count has one owner.
 */
import { countRecord, zeroCounts } from './records.js';
import type { DeliveryCounts, QueueRecord, RunStatus } from './records.js';

export type RejectedKind = 'metric' | 'param' | 'tag' | 'artifact' | 'status' | 'run';

export interface RejectedItem {
  kind: RejectedKind;
  /** The metric, param or tag key, the artifact path, or the status. */
  key: string;
  reason: string;
}

/** What happened to everything a tracker (or a spool's delivery) was given. */
export interface DeliveryReport {
  trackingUri: string;
  /** The backend's id of the run, once the run exists on the server. */
  runId: string | undefined;
  /**
   * True only when everything arrived: nothing is left to deliver, nothing was dropped or refused, and the
   * status was sent.
   */
  complete: boolean;
  /**
   * What this session's log calls handed over. For a new run, `logged` = `delivered` + `undelivered` +
   * `dropped` + `refused`, kind by kind (a resumed run also delivers an earlier session's leftovers).
   */
  logged: DeliveryCounts;
  delivered: DeliveryCounts;
  /** Not delivered yet: kept in the spool for a later delivery. `status` is a run status not sent yet. */
  undelivered: DeliveryCounts & { status: RunStatus | undefined };
  /** Refused for good (by the server's 4xx answers or by the client's checks); never retried. First 100. */
  rejected: RejectedItem[];
  rejectedCount: number;
  /** The refused records, kind by kind (a refused status or run is in `rejectedCount` only). */
  refused: DeliveryCounts;
  /**
   * The spool's process was killed before its session ended (no end(), no exit handler: SIGKILL, an OOM kill):
   * its run was set KILLED.
   */
  killed?: true;
  /** Lost because the disk took no more: the spool was full (`maxSpoolBytes`) or could not be written. */
  dropped: DeliveryCounts;
  spoolDir: string;
  /** Why the spool could not be used (undelivered data then only lived in memory). */
  spoolError: string | undefined;
  /** The last delivery error, if any. */
  lastError: string | undefined;
  /**
   * Why delivery stopped for good this session (an unknown run, refused credentials), as opposed to a server
   * that did not answer in time (retryable: `lastError` only).
   */
  stoppedReason?: string;
}

const MAX_REJECTIONS_LISTED = 100;
const MAX_REJECTION_WARNINGS = 10;

export class DeliveryLedger {
  readonly logged = zeroCounts();
  readonly delivered = zeroCounts();
  /** Lost because the spool or the memory queue was full. */
  readonly dropped = zeroCounts();
  readonly refused = zeroCounts();
  readonly #rejected: RejectedItem[] = [];
  #rejectedCount = 0;
  readonly #warn: (code: string, message: string) => void;

  constructor(warn: (code: string, message: string) => void) {
    this.#warn = warn;
  }

  /** The first refusals (at most 100). */
  get rejected(): RejectedItem[] {
    return [...this.#rejected];
  }

  get rejectedCount(): number {
    return this.#rejectedCount;
  }

  countLogged(record: QueueRecord): void {
    countRecord(this.logged, record);
  }

  countDelivered(record: QueueRecord): void {
    countRecord(this.delivered, record);
  }

  countDropped(record: QueueRecord): void {
    countRecord(this.dropped, record);
  }

  /**
   * Records a refusal (of `values` values: a history row's metrics): reported at the end, warned about for the
   * first few.
   */
  reject(kind: RejectedKind, key: string, reason: string, values = 1): void {
    this.#rejectedCount += 1;
    if (kind !== 'status' && kind !== 'run') countRecord(this.refused, { t: kind } as QueueRecord, values);
    if (this.#rejected.length < MAX_REJECTIONS_LISTED) this.#rejected.push({ kind, key, reason });
    if (this.#rejectedCount <= MAX_REJECTION_WARNINGS) {
      const more = this.#rejectedCount === MAX_REJECTION_WARNINGS ? ' (further refusals are only counted)' : '';
      this.#warn('REJECTED', `${kind} "${key}" was not logged: ${reason}${more}`);
    }
  }
}
