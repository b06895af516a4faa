/**
 * A backend's documented rate limits, kept on the client side ("12 000 metric values a minute", "15 000 requests an
 * hour"), so that a protocol asks before each request whether its limits allow it now, and how long to wait if not
 * (the delivery then waits without calling it an outage: `waiting` in protocol.ts).
 *
 * Each limit is a sliding window of what was spent (one entry per request, with its units): a client that never
 * has more than `limit` units in any `windowMs` also keeps a server's fixed windows (a calendar minute) and its
 * sliding ones, which a token bucket allowing a full burst would not. An entry stays a little longer than the window
 * (5 %, at most a second): a request reaches the server some time after it was counted here. Once the request is
 * answered its entry counts from the answer (`answered`): the server took it before then, so however long the
 * request took (a loaded machine, a slow network: more than the margin), it leaves this window no sooner than the
 * server's. A server's own answer (a 429 with its reset headers) blocks the budget until then. Pure: the caller gives
 * the clock.
 */

export interface RateLimit {
  /** How many units (requests, values) the limit allows in any window. */
  limit: number;
  windowMs: number;
}

/** What one request spent of a budget: [the time it counts from, its units]. */
export type SpentEntry = [number, number];

export class RateBudget {
  readonly limit: number;
  readonly windowMs: number;
  /** How long an entry counts: the window and a margin for the time a request takes to reach the server. */
  readonly #countedMs: number;
  /** What was spent within the window, oldest first. */
  readonly #spent: SpentEntry[] = [];
  #inWindow = 0;
  /** Nothing before this time (a server said so). */
  #blockedUntil = 0;

  constructor(limit: RateLimit) {
    if (!(limit.limit >= 1) || !(limit.windowMs > 0)) {
      throw new RangeError('a rate limit needs a limit of at least 1 and a window');
    }
    this.limit = Math.floor(limit.limit);
    this.windowMs = limit.windowMs;
    this.#countedMs = limit.windowMs + Math.min(1000, limit.windowMs * 0.05);
  }

  /** The most units one request may spend. */
  get capacity(): number {
    return this.limit;
  }

  #expire(now: number): void {
    while (this.#spent.length > 0 && this.#spent[0]![0] <= now - this.#countedMs) {
      this.#inWindow -= this.#spent.shift()![1];
    }
  }

  /** How long to wait before `units` (at most `capacity`) may go (0: now). */
  waitFor(units: number, now = Date.now()): number {
    this.#expire(now);
    const blocked = Math.max(0, this.#blockedUntil - now);
    let excess = this.#inWindow + Math.min(units, this.limit) - this.limit;
    if (excess <= 0) return blocked;
    // The oldest entries leave the window one after another: wait for enough of them.
    for (const [time, spent] of this.#spent) {
      excess -= spent;
      if (excess <= 0) return Math.max(blocked, time + this.#countedMs - now + 1);
    }
    return Math.max(blocked, this.#countedMs);
  }

  /** Spends `units` (a request is being sent); returns the entry, for `answered`. */
  spend(units: number, now = Date.now()): SpentEntry {
    this.#expire(now);
    const entry: SpentEntry = [now, units];
    this.#spent.push(entry);
    this.#inWindow += units;
    return entry;
  }

  /** The request of `entry` was answered (or given up on) at `now`: it counts from then. */
  answered(entry: SpentEntry, now = Date.now()): void {
    if (now <= entry[0]) return;
    entry[0] = now;
    // Requests are answered in the order they were sent, mostly: the window stays oldest first either way.
    this.#spent.sort((a, b) => a[0] - b[0]);
  }

  /** The server refused for its limit: nothing until `until`. */
  exhaust(until: number): void {
    this.#blockedUntil = Math.max(this.#blockedUntil, until);
  }
}

/** The longest of the waits several budgets ask for the same request. */
export function waitForAll(budgets: readonly [RateBudget, number][], now = Date.now()): number {
  return Math.max(0, ...budgets.map(([budget, units]) => budget.waitFor(units, now)));
}
