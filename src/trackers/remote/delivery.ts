/**
 * The delivery of a remote tracker, whatever its backend: the memory queue (queue.ts), the on-disk spool and its
 * lock (spool.ts, session_spool.ts), the retry policy (retry_policy.ts), the request timeouts (request_timeouts.ts)
 * and the ledger (ledger.ts), put together around a backend's protocol (protocol.ts), which alone speaks to the
 * server. Its states and their transitions, and what a round does in each, are in states.ts: read that first.
 *
 * Log calls only append to the memory queue. Delivery rounds run one at a time (a promise chain); a round asks the
 * state what to do (`roundAction`): send, one request at a time (request_step.ts: the run created first, the
 * spool's records before the memory queue's, the run status last), move the memory queue to the spool
 * (to_spool.ts), or nothing. The protocol's result decides what happens next (outcomes.ts): delivered, the records
 * are forgotten; refused, they are dropped and reported, never retried; retryable, the round stops, the memory queue
 * moves to the spool and the policy says when to try again; stopped (an unknown run, refused credentials), nothing
 * more is sent this session and everything left stays in the spool. An error the protocol does not expect is a
 * bug: it is warned about as one and handled like a retryable failure, so the data stays queued or spooled; it is
 * never counted as refused. `flush`, `end` and `deliverSpool` deliver until done or a deadline (drain.ts).
 */
import { cancelFlushAtExit, flushAtExit } from '../../runtime/exit_flush.js';
import type { SyncFlushable } from '../../runtime/exit_flush.js';
import type { ProcessEnding } from '../../runtime/process_end.js';
import { DeliveryCore } from './delivery_core.js';
import type { DeliveryOptions } from './delivery_core.js';
import { deliveryReport } from './delivery_report.js';
import { drain, settleWithin } from './drain.js';
import type { DrainOptions } from './drain.js';
import type { DeliveryReport, RejectedKind } from './ledger.js';
import { DeliveryOutcomes } from './outcomes.js';
import type { ArtifactRecord, BatchRecord, DataRecord, RunStatus } from './records.js';
import { sendNext } from './request_step.js';
import type { StepOutcome } from './request_step.js';
import { openSession } from './session_spool.js';
import type { RunMeta } from './spool.js';
import { roundAction } from './states.js';
import type { DeliveryState } from './states.js';
import { overflow, spill, spoolAtExit, spoolNow } from './to_spool.js';

export type { DeliveryOptions } from './delivery_core.js';

const MAX_REQUESTS_PER_ROUND = 64;
/** A round starts as soon as this many data records wait (a full batch for most backends). */
const KICK_EVERY = 1000;

export class RemoteDelivery<
  Meta extends RunMeta = RunMeta,
  Data extends BatchRecord = DataRecord,
> implements SyncFlushable {
  readonly #core: DeliveryCore<Meta, Data>;
  readonly #outcomes: DeliveryOutcomes;
  #roundQueued = false;
  #chain: Promise<unknown>;
  readonly #ready: Promise<void>;
  #timer: NodeJS.Timeout | undefined;
  readonly #shutdown = new AbortController();
  /** Aborted by `stop`: a wait between rounds ends at once. */
  readonly #stopping = new AbortController();

  constructor(options: DeliveryOptions<Meta, Data>) {
    const core = new DeliveryCore(options, this.#shutdown.signal);
    this.#core = core;
    this.#outcomes = new DeliveryOutcomes(core);
    // Everything runs after the spool is opened; log calls meanwhile only fill the memory queue.
    this.#ready = this.#open();
    this.#chain = this.#ready.catch(() => undefined);
  }

  async #open(): Promise<void> {
    const core = this.#core;
    await openSession(core);
    // From now on, an end of the process without end() writes the memory queue to the spool (flushAtExit).
    if (core.spool.open && !core.closed) flushAtExit(this);
    if (core.options.offline && core.options.mode === 'session') {
      core.on('offline');
      return;
    }
    core.on('opened');
    if (core.runId) core.on('created');
  }

  /** Settles once the spool is open; rejects (in `redeliver` mode only) when the spool cannot be used. */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /** The backend's id of the run, once it exists on the server. */
  get runId(): string | undefined {
    return this.#core.runId;
  }

  /** The run's description as it stands (what run.json holds once saved). */
  get meta(): Readonly<Meta> {
    return this.#core.meta;
  }

  /** Where the delivery is in its life (states.ts). */
  get state(): DeliveryState {
    return this.#core.state;
  }

  get spoolDir(): string {
    return this.#core.spool.dir;
  }

  /** Why the spool cannot be written (undelivered data then lives in memory only); undefined while it can. */
  get spoolError(): string | undefined {
    return this.#core.spool.broken;
  }

  /** True while something waits for delivery (or the run still has to be created). */
  get pending(): boolean {
    const core = this.#core;
    return core.queue.size > 0 || core.spool.pending || core.meta.pendingStatus !== undefined || !core.runId;
  }

  /**
   * Queues a record; returns at once. When the memory queue holds `maxQueueItems`, what it holds (but the records
   * a send in flight has) and the record go to the spool, synchronously: memory stays bounded and nothing is
   * dropped unless the disk takes no more (the spool is full or cannot be written), which is counted and warned.
   */
  enqueue(record: Data | ArtifactRecord): void {
    const core = this.#core;
    core.ledger.countLogged(record);
    if (!core.queue.push(record)) {
      overflow(core, record);
      return;
    }
    if (record.t !== 'artifact' && core.queue.data.length % KICK_EVERY === 0) this.kick();
  }

  /**
   * The process is ending without `end()` (exit, an uncaught error, SIGINT or SIGTERM): everything in memory
   * goes to the spool, synchronously, with the run's description, for the next session or `gymnos sync`.
   */
  flushAtExit(ending: ProcessEnding = {}): void {
    spoolAtExit(this.#core, ending);
  }

  /** The run status to send once everything before it is delivered. */
  setStatus(status: RunStatus, endTime?: number): void {
    this.#core.setStatus(status, endTime);
  }

  /** Counts a record the tracker handled itself (a param re-logged with a new value, refused before sending). */
  countLogged(record: Data | ArtifactRecord): void {
    this.#core.ledger.countLogged(record);
  }

  /** Records a refusal (of `values` values: a row's metrics): reported at the end, warned about for the first few. */
  reject(kind: RejectedKind, key: string, reason: string, values = 1): void {
    this.#core.ledger.reject(kind, key, reason, values);
  }

  /** Sends what is queued every `intervalMs`, on a timer that does not keep the process alive. */
  startTimer(intervalMs: number): void {
    this.#timer = setInterval(() => {
      if (this.pending && this.#core.state !== 'stopped') this.kick();
      else if (this.#core.queue.size > 0) this.kick(); // after a stop: move the memory queue to the spool
    }, intervalMs);
    this.#timer.unref();
  }

  /** Starts a delivery round unless one is already waiting. */
  kick(): void {
    if (this.#roundQueued || this.#core.closed) return;
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

  /** What a round does is the state's (states.ts `roundAction`): send, spill or nothing. */
  async #round(): Promise<void> {
    const core = this.#core;
    const outcomes = this.#outcomes;
    const action = roundAction(core.state, outcomes.policy.mayAttempt(Date.now()));
    if (action === 'nothing') return;
    if (action === 'spill') {
      // No request now: keep the memory queue small by moving it to the spool.
      await spill(core);
      return;
    }
    for (let request = 0; request < MAX_REQUESTS_PER_ROUND && roundAction(core.state, true) === 'send'; request += 1) {
      let outcome: StepOutcome;
      try {
        outcome = await sendNext(core);
      } catch (error) {
        outcome = outcomes.internalError(error);
      }
      if (outcome === 'idle') return;
      if (outcome === 'progress') {
        if (outcomes.answered()) continue;
        return; // the server asked for a pause: the next request waits for it
      }
      outcomes.failed(outcome);
      await spill(core);
      return;
    }
  }

  /** One delivery round now (it creates the run), waited for until `deadline`: true when the run exists. */
  async connect(deadline: number): Promise<boolean> {
    await settleWithin(this.#chain, deadline - Date.now());
    await settleWithin(this.round(), deadline - Date.now());
    return this.runId !== undefined;
  }

  /**
   * Delivers until nothing is pending or `deadline` (ms since the epoch) passes; true when everything was
   * delivered (drain.ts: the options).
   */
  drain(deadline: number, options: DrainOptions = {}): Promise<boolean> {
    return drain(
      {
        pending: () => this.pending,
        state: () => this.state,
        outcomes: this.#outcomes,
        settled: (ms) => settleWithin(this.#chain, ms),
        round: () => this.round(),
        stopping: this.#stopping.signal,
      },
      deadline,
      options,
    );
  }

  /**
   * A tracker's `flush()`. While the server answers, delivers until `deadline` (`drain`). During an outage already
   * known (the last attempt failed), no request is waited for: what waits in memory is written to the spool at once,
   * one attempt starts in the background (a server back is found at once) and the flush returns; the background
   * sender delivers the spool when the server answers again (a per-epoch flush must not stall on a server that is
   * down, nor on one that takes connections and never answers). Only when the spool cannot be written does the flush
   * wait for its one attempt (`untilFailure`): the server is then the only place the data can go.
   * `untilDeferred`: see drain.ts.
   */
  async flush(deadline: number, options: { untilDeferred?: boolean } = {}): Promise<void> {
    if (this.outage && spoolNow(this.#core) && !this.#core.spool.broken) {
      this.#outcomes.policy.attemptNow();
      this.kick();
      return;
    }
    await this.drain(deadline, { ...options, untilFailure: this.outage });
  }

  /** True while the last attempt failed with no answer or a retryable one: an outage is known. */
  get outage(): boolean {
    return this.#outcomes.policy.failures > 0;
  }

  /** The bound the next request gets (adapted to the server: request_timeouts.ts). */
  get requestTimeoutMs(): number {
    return this.#core.protocol.timeouts.currentMs;
  }

  /** True when a request got no answer even within the longest timeout offered. */
  get timeoutsExhausted(): boolean {
    return this.#core.protocol.timeouts.exhausted;
  }

  /**
   * Starts no new request (an interrupted `gymnos sync`): the request in flight, if any, is waited for at most
   * `graceMs` and accounted for (the spool's offset moves past what the server took), so that a later delivery
   * resumes exactly where this one stopped. `close` then aborts whatever is still in flight.
   */
  async stop(graceMs: number): Promise<void> {
    this.#core.on('stop');
    this.#stopping.abort();
    await settleWithin(this.#chain, graceMs);
  }

  /** Stops the sender: aborts a request in flight, moves the memory queue to the spool, releases the lock. */
  async close(): Promise<void> {
    const core = this.#core;
    if (core.closed) return;
    core.on('close');
    cancelFlushAtExit(this);
    clearInterval(this.#timer);
    this.#shutdown.abort();
    await this.#exclusive(() => spill(core)).catch(() => undefined);
    if (core.spool.broken) {
      // Neither delivered nor kept anywhere once the process ends: counted as dropped, not as waiting.
      const left = core.queue.snapshot();
      for (const record of left.records) core.ledger.countDropped(record);
      core.queue.forget(left);
    }
    await core.spool.close();
  }

  /** Where delivery stands; undelivered counts include the spool (read from disk). */
  report(): Promise<DeliveryReport> {
    return deliveryReport(this.#core, this.#outcomes);
  }
}
