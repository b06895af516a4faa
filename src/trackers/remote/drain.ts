/**
 * Delivering until nothing is pending or a deadline passes (`flush`, `end`, `deliverSpool`): rounds one after
 * another, as the state allows (states.ts `roundAction`), waiting between them for the backoff or the backend's pace.
 * Bounded in time by the deadline and in rounds by a fixed count.
 */
import { roundAction } from './states.js';
import type { DeliveryState } from './states.js';
import type { DeliveryOutcomes } from './outcomes.js';

const MAX_DRAIN_ROUNDS = 100_000;

export interface DrainOptions {
  /**
   * The deadline moves on with each answer of the server: give up only after `idleMs` without one (`deliverSpool`:
   * a big spool takes its time, a server that takes nothing does not).
   */
  idleMs?: number;
  /**
   * Stop at the first failed attempt, the data then safe in the spool (`flush()` during an outage already known: it
   * does not wait for a server that is down).
   */
  untilFailure?: boolean;
  /**
   * Stop as soon as the next request must wait (a failure, or the backend's rate limits), the data then safe in the
   * spool (a `flush()` that does not wait for a rate limit: the timer delivers the rest).
   */
  untilDeferred?: boolean;
  /** Called once, at once, when an attempt finds the server not answering, with the error. */
  onOutage?: (error: string) => void;
}

/** What drain needs of a delivery. */
export interface Drainable {
  pending(): boolean;
  state(): DeliveryState;
  readonly outcomes: DeliveryOutcomes;
  /** Settles when the round in progress (if any) has. */
  settled(ms: number): Promise<void>;
  round(): Promise<void>;
  /** Aborted by `stop`: a wait between rounds ends at once. */
  readonly stopping: AbortSignal;
}

/** Waits `ms` on a timer that keeps the process alive (callers await it), or until `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Settles when `promise` does or after `ms`, whichever comes first; never rejects. */
export async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.catch(() => undefined),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms)))),
  ]);
  clearTimeout(timer);
}

/** Delivers until nothing is pending or `deadline` (ms since the epoch) passes; true when everything was delivered. */
export async function drain(delivery: Drainable, deadline: number, options: DrainOptions = {}): Promise<boolean> {
  const { idleMs, untilFailure = false, untilDeferred = false } = options;
  const outcomes = delivery.outcomes;
  const policy = outcomes.policy;
  let onOutage = options.onOutage;
  const outage = () => {
    if (!onOutage || policy.failures === 0 || !delivery.pending()) return;
    onOutage(outcomes.lastError ?? 'no answer');
    onOutage = undefined; // once
  };
  await delivery.settled(deadline - Date.now());
  policy.attemptNow(); // an explicit flush or end tries at once
  for (let round = 0; round < MAX_DRAIN_ROUNDS; round += 1) {
    if (!delivery.pending() || roundAction(delivery.state(), true) !== 'send') break;
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    const before = outcomes.progress;
    const questionsBefore = outcomes.questionsAnswered;
    const pacedBefore = outcomes.pacedWaits;
    await settleWithin(delivery.round(), remaining);
    outage(); // found by this attempt: said at once
    // A server that answers (a request, or a question about one in doubt) is not a server that does not; nor is a
    // wait the backend's rate limits ask for.
    const alive =
      outcomes.progress > before || outcomes.questionsAnswered > questionsBefore || outcomes.pacedWaits > pacedBefore;
    if (idleMs !== undefined && alive) deadline = Math.max(deadline, Date.now() + idleMs);
    if (!delivery.pending() || delivery.state() === 'stopped') break;
    if (untilFailure && policy.failures > 0) break;
    const backoff = policy.nextAttemptAt - Date.now();
    if (untilDeferred && backoff > 0) break;
    const wait = backoff > 0 ? backoff : outcomes.progress === before ? 10 : 0;
    if (wait > 0) await sleep(Math.min(wait, deadline - Date.now()), delivery.stopping);
  }
  return !delivery.pending();
}
