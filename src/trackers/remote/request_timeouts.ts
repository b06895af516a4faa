/**
 * How long one request may take, adapted to what the server needs. A fixed bound fails forever on a request the
 * server needs longer for (MLflow taking a batch again on a run of tens of thousands of points spends its time
 * looking for duplicates): after a timeout the next attempt gets twice as long, up to `maxMs`; answers keep the
 * bound at three times the slowest recent one, never under the configured `baseMs`. Pure: the caller measures.
 */

/** Answers remembered for the bound. */
const RECENT_ANSWERS = 20;
/** The bound is this many times the slowest recent answer. */
const HEADROOM = 3;
/** The longest a request may be given, unless the configured bound is longer. */
const MAX_REQUEST_TIMEOUT_MS = 300_000;

export class RequestTimeouts {
  readonly baseMs: number;
  readonly maxMs: number;
  readonly #recent: number[] = [];
  /** Set by a timeout: the bound of the next attempts until an answer comes. */
  #escalatedMs: number | undefined;
  /** The bound the last request made through `run` was given. */
  lastBoundMs = 0;

  constructor(baseMs: number, maxMs = Math.max(baseMs, MAX_REQUEST_TIMEOUT_MS)) {
    this.baseMs = baseMs;
    this.maxMs = maxMs;
  }

  /** The bound of the next request. */
  get currentMs(): number {
    const measured = this.#recent.length > 0 ? HEADROOM * Math.max(...this.#recent) : 0;
    return Math.ceil(Math.min(this.maxMs, Math.max(this.baseMs, measured, this.#escalatedMs ?? 0)));
  }

  /** True when the last request timed out at `maxMs` already: waiting longer is not offered. */
  get exhausted(): boolean {
    return this.#escalatedMs !== undefined && this.#escalatedMs >= this.maxMs;
  }

  /** A request was answered (whatever the answer) after `elapsedMs`. */
  answered(elapsedMs: number): void {
    this.#recent.push(elapsedMs);
    if (this.#recent.length > RECENT_ANSWERS) this.#recent.shift();
    this.#escalatedMs = undefined;
  }

  /**
   * Makes one request under the current bound and learns from its outcome: an answer (whatever it says) and a
   * failed request the server answered teach the bound, a timeout doubles it. `failure` gives the facts of a failed
   * request (undefined for anything else, a bug, which is rethrown as it is).
   */
  async run<T>(
    request: (timeoutMs: number) => Promise<T>,
    failure: (error: unknown) => { timedOut: boolean; status: number | undefined } | undefined,
  ): Promise<T> {
    const timeoutMs = this.currentMs;
    this.lastBoundMs = timeoutMs;
    const started = performance.now();
    try {
      const result = await request(timeoutMs);
      this.answered(performance.now() - started);
      return result;
    } catch (error) {
      const facts = failure(error);
      if (facts?.timedOut) this.timedOut(timeoutMs);
      else if (facts?.status !== undefined) this.answered(performance.now() - started);
      throw error;
    }
  }

  /** A request given `timeoutMs` got no answer in time: the next one gets twice as long. */
  timedOut(timeoutMs: number): void {
    this.#escalatedMs = Math.min(this.maxMs, Math.max(this.#escalatedMs ?? 0, 2 * timeoutMs));
  }
}
