/**
 * When a remote delivery may try again after a failure: exponential backoff with jitter, capped, and never
 * sooner than a server's `Retry-After`. Pure: the clock and the random source are the caller's, so the policy
 * is tested without timers or a network.
 */

export interface RetryPolicyOptions {
  /** Delay after the first failure; doubles with each further one. */
  baseMs: number;
  /** Longest delay, `Retry-After` included. */
  maxMs: number;
  /** A number in [0, 1); default Math.random. */
  random?: () => number;
}

/**
 * The delay before attempt `failures + 1`: `baseMs * 2^(failures-1)` capped at `maxMs`, scaled by a jitter in
 * [0.5, 1) so that many clients cut off together do not come back in step; at least `retryAfterMs` (capped).
 */
function backoffDelay(failures: number, options: RetryPolicyOptions, retryAfterMs?: number): number {
  const random = options.random ?? Math.random;
  const exponential = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, failures - 1));
  const delay = exponential * (0.5 + random() * 0.5);
  return retryAfterMs === undefined ? delay : Math.max(delay, Math.min(retryAfterMs, options.maxMs));
}

/** The backoff state of one sender: consecutive failures and when the next attempt may start. */
export class RetryPolicy {
  readonly #options: RetryPolicyOptions;
  #failures = 0;
  #nextAttemptAt = 0;
  /** A pause the server asked for on an answer it took (its rate limit): not lifted by `attemptNow`. */
  #pausedUntil = 0;

  constructor(options: RetryPolicyOptions) {
    this.#options = options;
  }

  /** Consecutive failures since the last success (0: the server answers). */
  get failures(): number {
    return this.#failures;
  }

  /** Milliseconds since the epoch before which no attempt should start. */
  get nextAttemptAt(): number {
    return Math.max(this.#nextAttemptAt, this.#pausedUntil);
  }

  /** True when an attempt may start at `now`. */
  mayAttempt(now: number): boolean {
    return now >= this.nextAttemptAt;
  }

  /** Records a failure a retry can help with, at `now`; returns the delay chosen before the next attempt. */
  failed(now: number, retryAfterMs?: number): number {
    this.#failures += 1;
    const delay = backoffDelay(this.#failures, this.#options, retryAfterMs);
    this.#nextAttemptAt = now + delay;
    return delay;
  }

  /** A request went through: the next failure starts from `baseMs` again. */
  succeeded(): void {
    this.#failures = 0;
  }

  /** No attempt before `time` (ms since the epoch), failures or not. */
  deferTo(time: number): void {
    this.#nextAttemptAt = time;
  }

  /** No attempt before `time`, which the server asked for while taking requests: `attemptNow` keeps it. */
  pauseUntil(time: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, time);
  }

  /**
   * An explicit flush or end tries at once, whatever the backoff said (the failure count is kept), but not within a
   * pause the server asked for (`pauseUntil`): its next answer would be a 429.
   */
  attemptNow(): void {
    this.#nextAttemptAt = 0;
  }
}
