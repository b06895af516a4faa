/**
 * What a request's outcome leads to, and the counts drain.ts reads to tell a server that answers from one that does
 * not: an answer resets the backoff (event `answered`); a failure a retry may help backs off and says the outage
 * once (`failed`, `GYMNOS_<BACKEND>_UNAVAILABLE`); a wait that is not a failure (the backend's own pace, a request in
 * doubt being asked about) defers the next request without an outage; a stop ends delivery for the session
 * (`refused`, `GYMNOS_<BACKEND>_DELIVERY_STOPPED`); an error nobody expected is a bug, said once and retried.
 */
import { errorMessage } from '../../errors.js';
import type { DeliveryCore } from './delivery_core.js';
import type { Failure } from './request_step.js';
import type { BatchRecord } from './records.js';
import { RetryPolicy } from './retry_policy.js';
import type { RunMeta } from './spool.js';

const MAX_OUTAGE_WARNINGS = 5;
/**
 * How often a request whose answer was lost is asked about while the server may still be carrying it out: from
 * 200 ms, twice as long each time, at most every 3.2 s (a question can cost the server a read of a long history).
 */
const DOUBT_POLL_MS = 200;
const MAX_DOUBT_POLL_MS = 3_200;

export class DeliveryOutcomes {
  readonly #core: DeliveryCore<RunMeta, BatchRecord>;
  readonly policy: RetryPolicy;
  /** Requests the server took. */
  progress = 0;
  /** Questions about requests in doubt the server answered: it is alive, though nothing moved yet. */
  questionsAnswered = 0;
  /** Waits the backend's own pace asked for (its rate limits): no outage, so no reason to give up. */
  pacedWaits = 0;
  lastError: string | undefined;
  /** Why nothing more of this run can be sent this session (state `stopped`). */
  stoppedReason: string | undefined;
  /** Questions asked about the request in doubt so far (they come further apart). */
  #doubtPolls = 0;
  #outageWarnings = 0;

  constructor(core: DeliveryCore<RunMeta, BatchRecord>) {
    this.#core = core;
    this.policy = new RetryPolicy({ baseMs: core.options.retryBaseMs, maxMs: core.options.retryMaxMs });
  }

  /**
   * The server took a request; false when it asked for a pause (its rate-limit headers), which the next request
   * waits for, without a failure: the round ends.
   */
  answered(): boolean {
    this.progress += 1;
    this.#doubtPolls = 0;
    this.policy.succeeded();
    this.#core.on('answered');
    if (this.#core.paceMs <= 0) return true;
    this.policy.pauseUntil(Date.now() + this.#core.paceMs);
    this.#core.paceMs = 0;
    return false;
  }

  /** A failure a retry may help with is backed off; a stop ends delivery for the session. */
  failed(failure: Failure): void {
    const core = this.#core;
    if (failure.kind === 'stopped') {
      this.lastError = failure.reason;
      this.stoppedReason = failure.reason;
      core.on('refused');
      core.warn(
        'DELIVERY_STOPPED',
        `${failure.reason}; nothing more is sent this session, undelivered data is ${core.spool.keptWhere('kept in')}`,
      );
      return;
    }
    if (failure.waiting) {
      this.#waited(failure.retryAfterMs);
      return;
    }
    this.lastError = failure.error;
    if (core.closed) return;
    this.policy.failed(Date.now(), failure.retryAfterMs);
    // A wait the server asked for (Retry-After, a 429's rate-limit reset) holds for a flush or an end too: asked
    // again sooner, it would only refuse again.
    if (failure.retryAfterMs !== undefined) {
      this.policy.pauseUntil(Date.now() + Math.min(failure.retryAfterMs, core.options.retryMaxMs));
    }
    core.on('failed');
    if (!failure.internal && this.policy.failures === 1 && this.#outageWarnings < MAX_OUTAGE_WARNINGS) {
      this.#outageWarnings += 1;
      core.warn(
        'UNAVAILABLE',
        `${core.protocol.name} server ${core.protocol.baseUrl} unavailable: ${failure.error}; training goes on, ` +
          `data is ${core.spool.keptWhere('spooled to')}; it is sent when the server answers again`,
      );
    }
  }

  /**
   * Not an outage: the server answers (it was asked about a request whose answer was lost: ask again soon), or the
   * backend's own pace says to wait (its rate limits: `retryAfterMs`) before the next request.
   */
  #waited(retryAfterMs: number | undefined): void {
    this.policy.succeeded();
    if (retryAfterMs !== undefined) {
      // The backend's pace: a wait of its own, neither a question to the server nor a silence of it.
      this.pacedWaits += 1;
      this.policy.deferTo(Date.now() + retryAfterMs);
    } else {
      this.#doubtPolls += 1;
      this.questionsAnswered += 1;
      const poll = Math.min(MAX_DOUBT_POLL_MS, DOUBT_POLL_MS * 2 ** (this.#doubtPolls - 1));
      this.policy.deferTo(Date.now() + poll);
    }
    this.#core.on('answered');
  }

  /** A bug (in the sender, the spool, the delivery): said once, with what to do; the data is kept and retried. */
  internalError(error: unknown): Failure {
    const core = this.#core;
    const message = `internal error in the ${core.options.name} delivery: ${errorMessage(error)}`;
    core.warnOnce(
      'internal',
      'INTERNAL_ERROR',
      `${message}; the data is kept (queued or spooled) and retried. This is a bug in gymnos: please report it ` +
        `with this stack: ${error instanceof Error ? error.stack : String(error)}`,
    );
    return { kind: 'retryable', error: message, retryAfterMs: undefined, internal: true };
  }
}
