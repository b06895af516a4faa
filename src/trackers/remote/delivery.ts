/**
 * The delivery of a remote tracker, whatever its backend: the memory queue (queue.ts), the on-disk spool and its
 * lock (spool.ts), the retry policy (retry_policy.ts), the request timeouts (request_timeouts.ts) and the ledger
 * (ledger.ts), put together around a backend's protocol (protocol.ts), which alone speaks to the server. This
 * module decides the order of things and keeps the accounts; its states and their transitions are in states.ts.
 *
 * Log calls only append to the memory queue. Delivery rounds run one at a time (a promise chain): each
 * creates the run if it does not exist yet, then sends the spool's records (older) before the memory
 * queue's, one request at a time, the run status last. The protocol's result decides what happens next:
 * delivered, the records are forgotten; refused, they are dropped and reported, never retried; retryable, the
 * round stops, the memory queue moves to the spool and the policy says when to try again; stopped (an unknown
 * run, refused credentials), nothing more is sent this session and everything left stays in the spool. An
 * error the protocol does not expect is a bug: it is warned about as one and handled like a retryable failure,
 * so the data stays queued or spooled; it is never counted as refused.
 */
import { errorMessage, isGymnosError, GymnosError } from '../../errors.js';
import { cancelFlushAtExit, flushAtExit } from '../../runtime/exit_flush.js';
import type { SyncFlushable } from '../../runtime/exit_flush.js';
import type { ProcessEnding } from '../../runtime/process_end.js';
import { DeliveryLedger } from './ledger.js';
import type { DeliveryReport, RejectedKind } from './ledger.js';
import type { DataResult, Doubt, RemoteProtocol, SendResult } from './protocol.js';
import { MemoryQueue } from './queue.js';
import { countRecord, valuesOf } from './records.js';
import type { ArtifactRecord, BatchRecord, DataRecord, DeliveryCounts, QueueRecord, RunStatus } from './records.js';
import { RetryPolicy } from './retry_policy.js';
import { Spool } from './spool.js';
import type { RunMeta } from './spool.js';
import { roundAction, transition } from './states.js';
import type { DeliveryEvent, DeliveryState } from './states.js';

export interface DeliveryOptions<Meta extends RunMeta = RunMeta, Data extends BatchRecord = DataRecord> {
  /** The backend's protocol, given the signal that aborts a request in flight when the delivery closes. */
  protocol: (signal: AbortSignal) => RemoteProtocol<Meta, Data>;
  /** The start of the backend's warning codes (`GYMNOS_MLFLOW`): `<prefix>_UNAVAILABLE`... */
  warningPrefix: string;
  /** The backend's name in messages (`mlflow`). */
  name: string;
  spoolDir: string;
  maxSpoolBytes: number;
  /** The run's description; in `session` mode a `run.json` found in the spool for the same run adds its ids. */
  meta: Meta;
  /** The backend's fields of the meta that a resumed session takes from the spool (the run's ids). */
  resumedFields?: readonly string[];
  /**
   * `session`: a tracker's run; a spool left by an earlier session of the same run id is resumed (same
   * run, its leftovers delivered first, the status set back to RUNNING).
   * `redeliver`: deliver an existing spool as it is (`deliverSpool`, `gymnos sync`).
   */
  mode: 'session' | 'redeliver';
  /**
   * The backend's offline mode (`session` only): nothing is sent, everything goes to the spool for `gymnos sync`
   * (state `offline`).
   */
  offline?: boolean;
  retryBaseMs: number;
  retryMaxMs: number;
  maxQueueItems: number;
  /** Tags set when the run is created. */
  runTags: Record<string, string>;
  warn: (code: string, message: string) => void;
}

/** Why a request did not go through: try again later, or stop for this session. */
type Failure =
  | { kind: 'retryable'; error: string; retryAfterMs: number | undefined; internal?: true; waiting?: true }
  | { kind: 'stopped'; reason: string };

/** What one step of a round did: sent something, found nothing to send, or failed. */
type StepOutcome = 'progress' | 'idle' | Failure;

const MAX_REQUESTS_PER_ROUND = 64;
/** A round starts as soon as this many data records wait (a full batch for most backends). */
const KICK_EVERY = 1000;
/** Spooled records read (parsed) for one request: more than a batch of any backend holds. */
const WINDOW_RECORDS = 2_000;
const MAX_DRAIN_ROUNDS = 100_000;
const MAX_OUTAGE_WARNINGS = 5;
/**
 * How often a request whose answer was lost is asked about while the server may still be carrying it out: from
 * 200 ms, twice as long each time, at most every 3.2 s (a question can cost the server a read of a long history).
 */
const DOUBT_POLL_MS = 200;
const MAX_DOUBT_POLL_MS = 3_200;

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
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.catch(() => undefined),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms)))),
  ]);
  clearTimeout(timer);
}

/** The doubt a batch's failure leaves: its answer was lost before anything of it was settled. */
function doubtOf(result: DataResult<BatchRecord>): Doubt | undefined {
  const failure = result.failure;
  return failure?.kind === 'retryable' && result.settled === 0 ? failure.inDoubt : undefined;
}

function isFailure(result: SendResult): result is Extract<SendResult, { kind: 'retryable' | 'stopped' }> {
  return result.kind === 'retryable' || result.kind === 'stopped';
}

export class RemoteDelivery<
  Meta extends RunMeta = RunMeta,
  Data extends BatchRecord = DataRecord,
> implements SyncFlushable {
  readonly #options: DeliveryOptions<Meta, Data>;
  readonly #protocol: RemoteProtocol<Meta, Data>;
  readonly #policy: RetryPolicy;
  readonly #queue: MemoryQueue<Data>;
  #spool: Spool;
  #meta: Meta;
  /** Where the delivery is in its life (states.ts): what a round does, what may come next. */
  #state: DeliveryState = 'opening';
  /**
   * Bumped by every change of `#meta` worth keeping; `run.json` holds version `#savedMetaVersion`. A version,
   * not a dirty flag: a change made while a write is in flight (end() setting the final status meanwhile) must
   * not be marked saved when that write, which serialized the meta before the change, completes.
   */
  #metaVersion = 1;
  #savedMetaVersion = 0;
  #outageWarnings = 0;
  #lastError: string | undefined;
  /** Why nothing more of this run can be sent this session (state `stopped`). */
  #stoppedReason: string | undefined;
  /** Why the spool cannot be used; undelivered data then stays in memory. */
  #spoolBroken: string | undefined;
  #roundQueued = false;
  #progress = 0;
  #chain: Promise<unknown>;
  readonly #ready: Promise<void>;
  #timer: NodeJS.Timeout | undefined;
  readonly #shutdown = new AbortController();
  /** Aborted by `stop`: a wait between rounds ends at once. */
  readonly #stopping = new AbortController();
  readonly #ledger: DeliveryLedger;
  /** Warnings given once per session: a full queue, a full spool, an internal error. */
  readonly #warnedOnce = new Set<string>();
  /** The records at the front of the memory queue that a send in flight holds: never moved meanwhile. */
  readonly #inFlight = { data: 0, artifacts: 0 };
  /** The spool is open and locked by this session, so log calls and the exit may write to it. */
  #spoolOpen = false;
  /** A batch from the memory queue whose answer was lost: its first record and its length (sent again as is). */
  #memoryDoubt: { first: Data; length: number; settleBy: number } | undefined;
  /** A pause the server asked for after the last request it took (its rate-limit headers): no request before. */
  #paceMs = 0;
  /** Questions asked about the request in doubt so far (they come further apart). */
  #doubtPolls = 0;
  /** Questions about requests in doubt the server answered: it is alive, though nothing moved yet. */
  #questionsAnswered = 0;
  /** Waits the backend's own pace asked for (its rate limits): no outage, so no reason to give up. */
  #pacedWaits = 0;

  constructor(options: DeliveryOptions<Meta, Data>) {
    this.#options = options;
    this.#protocol = options.protocol(this.#shutdown.signal);
    this.#policy = new RetryPolicy({ baseMs: options.retryBaseMs, maxMs: options.retryMaxMs });
    this.#queue = new MemoryQueue<Data>(options.maxQueueItems);
    this.#ledger = new DeliveryLedger((code, message) => this.#warn(code, message));
    this.#meta = { ...options.meta };
    this.#spool = new Spool(options.spoolDir, options.maxSpoolBytes);
    // Everything runs after the spool is opened; log calls meanwhile only fill the memory queue.
    this.#ready = this.#prepare().then(() => {
      if (options.offline && options.mode === 'session') {
        this.#on('offline');
        return;
      }
      this.#on('opened');
      if (this.runId) this.#on('created');
    });
    this.#chain = this.#ready.catch(() => undefined);
  }

  /** Settles once the spool is open; rejects (in `redeliver` mode only) when the spool cannot be used. */
  get ready(): Promise<void> {
    return this.#ready;
  }

  /** The backend's id of the run, once it exists on the server. */
  get runId(): string | undefined {
    return this.#protocol.runIdOf(this.#meta);
  }

  /** The run's description as it stands (what run.json holds once saved). */
  get meta(): Readonly<Meta> {
    return this.#meta;
  }

  /** Where the delivery is in its life (states.ts). */
  get state(): DeliveryState {
    return this.#state;
  }

  /** Moves to the state `event` leads to (states.ts); an event the state does not list changes nothing. */
  #on(event: DeliveryEvent): void {
    this.#state = transition(this.#state, event);
  }

  #warn(code: string, message: string): void {
    this.#options.warn(`${this.#options.warningPrefix}_${code}`, message);
  }

  get #closed(): boolean {
    return this.#state === 'closed';
  }

  get spoolDir(): string {
    return this.#spool.dir;
  }

  /** Why the spool cannot be written (undelivered data then lives in memory only); undefined while it can. */
  get spoolError(): string | undefined {
    return this.#spoolBroken;
  }

  get #spoolPending(): boolean {
    return !this.#spoolBroken && this.#spool.hasPending;
  }

  /** True while something waits for delivery (or the run still has to be created). */
  get pending(): boolean {
    return this.#queue.size > 0 || this.#spoolPending || this.#meta.pendingStatus !== undefined || !this.runId;
  }

  async #prepare(): Promise<void> {
    const { mode } = this.#options;
    try {
      await this.#spool.open();
      this.#spoolOpen = true;
    } catch (error) {
      const busy = isGymnosError(error) && error.code === 'MLFLOW_SPOOL_BUSY';
      if (mode === 'redeliver') throw error;
      // Another live session writes this spool (the same run id and logdir twice at once): use a sibling.
      if (!busy || !(await this.#useSiblingSpool(`${this.#spool.dir} is in use by another process`))) {
        this.#breakSpool(error);
        return;
      }
    }
    let existing = await this.#spool.readMeta<Meta>();
    if (mode === 'redeliver') {
      if (!existing) {
        await this.#spool.close();
        throw new GymnosError('MLFLOW_SPOOL_NOT_FOUND', `${this.#spool.dir} holds no spool of a run (run.json)`, {
          details: { spoolDir: this.#spool.dir },
        });
      }
      this.#meta = { ...existing, trackingUri: this.#meta.trackingUri };
      if (existing.session === 'open') {
        // Its session never ended and nobody holds the spool: its process was killed outright.
        this.setStatus('KILLED', await this.#spool.lastWriteTime());
        this.#meta.session = 'killed';
      }
    } else {
      if (existing && existing.gymnosRunId !== this.#meta.gymnosRunId) {
        // A spoolDir shared by two runs: never deliver one run's leftovers to another.
        const reason = `${this.#spool.dir} holds the spool of run "${existing.gymnosRunId}"`;
        if (this.#spool.hasPending && !(await this.#useSiblingSpool(reason))) return;
        existing = undefined;
      }
      if (existing) {
        // The same run: its start time and the backend's ids of it.
        const ids = Object.fromEntries(
          (this.#options.resumedFields ?? []).flatMap((field) => {
            const value = (existing as unknown as Record<string, unknown>)[field];
            return value === undefined ? [] : [[field, value]];
          }),
        );
        this.#meta = { ...this.#meta, startTime: existing.startTime, ...ids };
        // The earlier session's final status no longer holds: the run goes on, unless this session already
        // ended (end() while the spool was opened): its own final status stands.
        if (this.runId && !this.#meta.pendingStatus) this.#meta.pendingStatus = { status: 'RUNNING' };
      }
    }
    if (this.#protocol.resumeAfter && this.#spoolOpen) {
      // Positions the spool's records hold (W&B's history lines) are not given again.
      const last = await this.#spool.lastPending();
      if (last) this.#protocol.resumeAfter(this.#meta, last as Data | ArtifactRecord);
    }
    this.#metaVersion += 1;
    await this.#saveMeta();
    // From now on, an end of the process without end() writes the memory queue to the spool (flushAtExit).
    if (this.#spoolOpen && !this.#closed) flushAtExit(this);
  }

  /** Switches to a fresh sibling of the spool directory; false (spool broken) when that fails too. */
  async #useSiblingSpool(reason: string): Promise<boolean> {
    await this.#spool.close();
    const sibling = `${this.#spool.dir}-${process.pid}-${Date.now().toString(36)}`;
    this.#warn('SPOOL_BUSY', `${reason}; this session spools to ${sibling}`);
    this.#spool = new Spool(sibling, this.#options.maxSpoolBytes);
    try {
      await this.#spool.open();
      this.#spoolOpen = true;
      return true;
    } catch (error) {
      this.#breakSpool(error);
      return false;
    }
  }

  #breakSpool(error: unknown): void {
    if (this.#spoolBroken) return;
    this.#spoolOpen = false;
    this.#spoolBroken = errorMessage(error);
    this.#warn(
      'SPOOL_UNAVAILABLE',
      `cannot write the spool ${this.#spool.dir} (${this.#spoolBroken}): what the server has not taken is kept in ` +
        `memory only (at most ${this.#options.maxQueueItems} items, more are dropped) and lost if the process ends ` +
        'first; give spoolDir a writable directory',
    );
  }

  async #saveMeta(): Promise<void> {
    const version = this.#metaVersion;
    // Only the holder of the spool writes it: a delivery that found it held by another writes nothing there.
    if (version === this.#savedMetaVersion || this.#spoolBroken || !this.#spoolOpen) return;
    try {
      await this.#spool.writeMeta(this.#meta);
      this.#savedMetaVersion = Math.max(this.#savedMetaVersion, version);
    } catch (error) {
      this.#breakSpool(error);
    }
  }

  #warnOnce(key: string, code: string, message: string): void {
    if (this.#warnedOnce.has(key)) return;
    this.#warnedOnce.add(key);
    this.#warn(code, message);
  }

  /**
   * Queues a record; returns at once. When the memory queue holds `maxQueueItems`, what it holds (but the records
   * a send in flight has) and the record go to the spool, synchronously: memory stays bounded and nothing is
   * dropped unless the disk takes no more (the spool is full or cannot be written), which is counted and warned.
   */
  enqueue(record: Data | ArtifactRecord): void {
    this.#ledger.countLogged(record);
    if (!this.#queue.push(record)) {
      this.#overflow(record);
      return;
    }
    if (record.t !== 'artifact' && this.#queue.data.length % KICK_EVERY === 0) this.kick();
  }

  #overflow(record: Data | ArtifactRecord): void {
    if (this.#spoolNow(record)) return;
    this.#ledger.countDropped(record);
    this.#warnOnce(
      'queue full',
      'QUEUE_FULL',
      `more than ${this.#options.maxQueueItems} items wait in memory and the spool cannot take them` +
        `${this.#spoolBroken ? ` (${this.#spoolBroken})` : ''}; further items are dropped until the queue drains`,
    );
  }

  /**
   * Moves the memory queue (but the records a send in flight holds) and `extra` to the spool, synchronously, outside
   * the rounds (a log call whose queue is full, a flush during an outage): false when the spool is not this session's
   * to write. When the spool cannot be written it breaks: what fits goes back to memory, the rest is dropped (counted).
   */
  #spoolNow(extra?: Data | ArtifactRecord): boolean {
    if (!this.#spoolOpen || this.#closed) return false;
    const records = this.#queue.takeBeyond(this.#inFlight.data, this.#inFlight.artifacts);
    if (extra) records.push(extra);
    try {
      const inDoubt = this.#memoryDoubtLength(records);
      const settleBy = this.#memoryDoubt?.settleBy;
      this.#stamp(records);
      this.#dropRefused(this.#spool.appendSync(records, { inDoubt, settleBy }).refused as (Data | ArtifactRecord)[]);
      if (inDoubt) this.#memoryDoubt = undefined;
      // What the records were given (their positions) is in run.json before anything else is spooled.
      if (this.#protocol.stamp) this.#spool.writeMetaSync(this.#meta);
    } catch (error) {
      this.#breakSpool(error);
      for (const moved of records) if (!this.#queue.push(moved)) this.#ledger.countDropped(moved);
    }
    return true;
  }

  /** Gives records what the backend needs them to keep through re-sends (protocol.ts `stamp`), in queue order. */
  #stamp(records: readonly (Data | ArtifactRecord)[]): void {
    if (records.length > 0 && this.#protocol.stamp) {
      this.#protocol.stamp(this.#meta, records);
      this.#metaVersion += 1;
    }
  }

  /** Counts (and warns once about) the records the spool had no room for. */
  #dropRefused(refused: readonly (Data | ArtifactRecord)[]): void {
    if (refused.length > 0) this.#protocol.unstamp?.(this.#meta, refused);
    for (const record of refused) this.#ledger.countDropped(record);
    if (refused.length > 0) {
      this.#warnOnce(
        'spool full',
        'SPOOL_FULL',
        `the spool ${this.#spool.dir} reached maxSpoolBytes (${this.#options.maxSpoolBytes} bytes); ` +
          'newer data is dropped until the server takes some',
      );
    }
  }

  /**
   * The process is ending without `end()` (exit, an uncaught error, SIGINT or SIGTERM): everything in memory
   * goes to the spool, synchronously, with the run's description, for the next session or `gymnos sync`.
   */
  flushAtExit(ending: ProcessEnding = {}): void {
    if (!this.#spoolOpen || this.#closed) return;
    // The session ends here, without end(): the run's final status is how the process ends, as MLflow's own
    // client sets it at exit (a signal: KILLED; an uncaught error: FAILED; a plain exit: FINISHED).
    if (this.#meta.session === 'open') {
      const status = ending.signal ? 'KILLED' : ending.exitCode ? 'FAILED' : 'FINISHED';
      this.setStatus(status, Date.now());
    }
    const snapshot = this.#queue.snapshot();
    // A batch in flight (its answer will never be read) or whose answer was lost is asked about before it is
    // sent again, by whoever delivers the spool next.
    const inDoubt = this.#inFlight.data || this.#memoryDoubtLength(snapshot.records);
    const settleBy = this.#inFlight.data ? Date.now() + this.requestTimeoutMs : this.#memoryDoubt?.settleBy;
    try {
      this.#stamp(snapshot.records);
      this.#dropRefused(
        this.#spool.appendSync(snapshot.records, { inDoubt, settleBy }).refused as (Data | ArtifactRecord)[],
      );
      this.#queue.forget(snapshot);
      this.#spool.writeMetaSync(this.#meta);
    } catch {
      // The process is ending and the disk refuses: nothing more can be done.
    }
  }

  /** The run status to send once everything before it is delivered. */
  setStatus(status: RunStatus, endTime?: number): void {
    this.#meta.pendingStatus = endTime === undefined ? { status } : { status, endTime };
    if (status !== 'RUNNING' && this.#meta.session === 'open') this.#meta.session = 'ended';
    this.#metaVersion += 1;
  }

  /** Counts a record the tracker handled itself (a param re-logged with a new value, refused before sending). */
  countLogged(record: Data | ArtifactRecord): void {
    this.#ledger.countLogged(record);
  }

  /** Records a refusal (of `values` values: a row's metrics): reported at the end, warned about for the first few. */
  reject(kind: RejectedKind, key: string, reason: string, values = 1): void {
    this.#ledger.reject(kind, key, reason, values);
  }

  /** Sends what is queued every `intervalMs`, on a timer that does not keep the process alive. */
  startTimer(intervalMs: number): void {
    this.#timer = setInterval(() => {
      if (this.pending && this.#state !== 'stopped') this.kick();
      else if (this.#queue.size > 0) this.kick(); // after a stop: move the memory queue to the spool
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
    const action = roundAction(this.#state, this.#policy.mayAttempt(Date.now()));
    if (action === 'nothing') return;
    if (action === 'spill') {
      // No request now: keep the memory queue small by moving it to the spool.
      await this.#spill();
      return;
    }
    for (let request = 0; request < MAX_REQUESTS_PER_ROUND && roundAction(this.#state, true) === 'send'; request += 1) {
      let outcome: StepOutcome;
      try {
        outcome = await this.#step();
      } catch (error) {
        outcome = this.#internalError(error);
      }
      if (outcome === 'idle') return;
      if (outcome === 'progress') {
        this.#progress += 1;
        this.#doubtPolls = 0;
        this.#policy.succeeded();
        this.#on('answered');
        if (this.#paceMs > 0) {
          // The server took it and asked for a pause (its rate-limit headers): the next request waits, no failure.
          this.#policy.pauseUntil(Date.now() + this.#paceMs);
          this.#paceMs = 0;
          return;
        }
        continue;
      }
      this.#failed(outcome);
      await this.#spill();
      return;
    }
  }

  /** A failure a retry may help with is backed off; a stop ends delivery for the session. */
  #failed(failure: Failure): void {
    if (failure.kind === 'stopped') {
      this.#lastError = failure.reason;
      this.#stoppedReason = failure.reason;
      this.#on('refused');
      this.#warn(
        'DELIVERY_STOPPED',
        `${failure.reason}; nothing more is sent this session, undelivered data is ${this.#keptWhere('kept in')}`,
      );
      return;
    }
    if (failure.waiting) {
      // Not an outage: the server answers (it was asked about a request whose answer was lost: ask again soon), or
      // the backend's own pace says to wait (its rate limits: retryAfterMs) before the next request.
      this.#policy.succeeded();
      if (failure.retryAfterMs !== undefined) {
        // The backend's pace: a wait of its own, neither a question to the server nor a silence of it.
        this.#pacedWaits += 1;
        this.#policy.deferTo(Date.now() + failure.retryAfterMs);
      } else {
        this.#doubtPolls += 1;
        this.#questionsAnswered += 1;
        const poll = Math.min(MAX_DOUBT_POLL_MS, DOUBT_POLL_MS * 2 ** (this.#doubtPolls - 1));
        this.#policy.deferTo(Date.now() + poll);
      }
      this.#on('answered');
      return;
    }
    this.#lastError = failure.error;
    if (this.#closed) return;
    this.#policy.failed(Date.now(), failure.retryAfterMs);
    // A wait the server asked for (Retry-After, a 429's rate-limit reset) holds for a flush or an end too: asked
    // again sooner, it would only refuse again.
    if (failure.retryAfterMs !== undefined) {
      this.#policy.pauseUntil(Date.now() + Math.min(failure.retryAfterMs, this.#options.retryMaxMs));
    }
    this.#on('failed');
    if (!failure.internal && this.#policy.failures === 1 && this.#outageWarnings < MAX_OUTAGE_WARNINGS) {
      this.#outageWarnings += 1;
      this.#warn(
        'UNAVAILABLE',
        `${this.#protocol.name} server ${this.#protocol.baseUrl} unavailable: ${failure.error}; training goes on, ` +
          `data is ${this.#keptWhere('spooled to')}; it is sent when the server answers again`,
      );
    }
  }

  /** Where undelivered data waits: the spool, or memory when the spool cannot be used. */
  #keptWhere(verb: string): string {
    if (!this.#spoolBroken) return `${verb} ${this.#spool.dir}`;
    return (
      `kept in memory only (at most ${this.#options.maxQueueItems} items; the spool ${this.#spool.dir} cannot be ` +
      `written: ${this.#spoolBroken}), lost if the process ends first`
    );
  }

  /** A bug (in the sender, the spool, this class): said once, with what to do; the data is kept and retried. */
  #internalError(error: unknown): Failure {
    const message = `internal error in the ${this.#options.name} delivery: ${errorMessage(error)}`;
    this.#warnOnce(
      'internal',
      'INTERNAL_ERROR',
      `${message}; the data is kept (queued or spooled) and retried. This is a bug in gymnos: please report it ` +
        `with this stack: ${error instanceof Error ? error.stack : String(error)}`,
    );
    return { kind: 'retryable', error: message, retryAfterMs: undefined, internal: true };
  }

  /** Sends one request's worth. */
  async #step(): Promise<StepOutcome> {
    if (!this.runId) {
      const failure = await this.#createRun();
      if (failure) return failure;
    }
    if (this.#spoolPending) return this.#deliverSpoolWindow();
    const data = this.#queue.data;
    if (data.length > 0) {
      // A batch in doubt is sent again as it was, once the server says it does not have it.
      const inDoubt = this.#memoryDoubtLength(data);
      const batch = data.slice(0, inDoubt || this.#protocol.takeBatch(this.#meta, data));
      const doubt = inDoubt ? this.#memoryDoubt : undefined;
      this.#stamp(batch);
      this.#inFlight.data = batch.length;
      let result;
      try {
        result = await this.#protocol.sendBatch(this.#meta, batch, doubt ? { doubt } : {});
      } finally {
        this.#inFlight.data = 0;
      }
      this.#settleData(batch, result);
      this.#queue.forgetData(result.settled);
      const lost = doubtOf(result);
      this.#memoryDoubt = lost ? { first: batch[0]!, length: batch.length, ...lost } : undefined;
      return result.failure ?? 'progress';
    }
    const artifact = this.#queue.firstArtifact;
    if (artifact) {
      this.#stamp([artifact]);
      this.#inFlight.artifacts = 1;
      let result;
      try {
        result = await this.#sendArtifact(artifact);
      } finally {
        this.#inFlight.artifacts = 0;
      }
      if (result === 'progress') this.#queue.forgetArtifacts(1);
      return result;
    }
    if (this.#meta.pendingStatus) return this.#sendStatus();
    return 'idle';
  }

  /** Creates the run; undefined once it exists, else why not. */
  async #createRun(): Promise<Failure | undefined> {
    // A run created from a spool (a later session, `gymnos sync`) is tagged like a live one.
    const tags = {
      ...(this.#meta.gymnosRunId ? { 'gymnos.run_id': this.#meta.gymnosRunId } : {}),
      ...this.#meta.tags,
      ...this.#options.runTags,
    };
    const result = await this.#protocol.createRun(this.#meta, tags);
    this.#metaVersion += 1; // the protocol may have noted ids of its own (an experiment found) on the way
    if (result.kind === 'stopped') this.reject('run', this.#meta.runName, result.reason);
    if (result.kind !== 'delivered') return result;
    this.#keepPace(result.paceMs);
    // A new run is RUNNING already; only a final status stays pending.
    if (this.#meta.pendingStatus?.status === 'RUNNING') delete this.#meta.pendingStatus;
    this.#on('created');
    await this.#saveMeta();
    return undefined;
  }

  /** Counts what a log-batch delivered and reports what it refused; keeps the pause the server asked for. */
  #settleData(batch: readonly Data[], result: DataResult<Data>): void {
    const refused = new Set(result.refused.map(({ record }) => record));
    for (const record of batch.slice(0, result.settled)) if (!refused.has(record)) this.#ledger.countDelivered(record);
    for (const { record, reason } of result.refused) {
      this.reject(record.t === 'row' ? 'metric' : record.t, record.key, reason, valuesOf(record));
    }
    this.#keepPace(result.paceMs);
  }

  /** A pause the server asked for on an answer it took: the round ends after this request. */
  #keepPace(paceMs: number | undefined): void {
    if (paceMs !== undefined && paceMs > 0) this.#paceMs = Math.max(this.#paceMs, paceMs);
  }

  /** Uploads one artifact; a refused one is reported. Either way a spooled copy of its bytes is deleted. */
  async #sendArtifact(record: ArtifactRecord): Promise<StepOutcome> {
    const result = await this.#protocol.sendFile(this.#meta, record);
    if (isFailure(result)) return result;
    if (result.kind === 'delivered') this.#keepPace(result.paceMs);
    if (result.kind === 'delivered') this.#ledger.delivered.artifacts += 1;
    else this.reject('artifact', record.path, result.reason);
    await this.#spool.release(record).catch(() => undefined);
    return 'progress';
  }

  async #sendStatus(): Promise<StepOutcome> {
    const pending = this.#meta.pendingStatus!;
    const result = await this.#protocol.sendStatus(this.#meta, pending.status, pending.endTime);
    if (isFailure(result)) return result;
    if (result.kind === 'delivered') this.#keepPace(result.paceMs);
    if (result.kind === 'refused') this.reject('status', pending.status, result.reason);
    if (this.#meta.pendingStatus === pending) {
      delete this.#meta.pendingStatus;
      this.#metaVersion += 1;
      await this.#saveMeta();
    }
    return 'progress';
  }

  /** Sends the oldest spooled records: one artifact, or a batch of the data records in front. */
  async #deliverSpoolWindow(): Promise<StepOutcome> {
    let entries;
    try {
      const window = this.#protocol.window ?? { records: WINDOW_RECORDS, bytes: undefined };
      entries = await this.#spool.readWindow(window.records, window.bytes);
    } catch (error) {
      this.#breakSpool(error);
      return 'progress';
    }
    if (entries.length === 0) return 'idle';
    if (!entries[0]!.record) {
      // Unreadable lines (a write cut by a crash): skip them.
      let skip = 0;
      while (skip < entries.length && !entries[skip]!.record) skip += 1;
      await this.#advanceSpool(entries[skip - 1]!.end);
      return 'progress';
    }
    const first = entries[0]!.record;
    if (first.t === 'artifact') {
      const outcome = await this.#sendArtifact(first);
      if (outcome === 'progress') await this.#advanceSpool(entries[0]!.end);
      return outcome;
    }
    // A range in doubt (a request sent whose answer was lost) is sent as it was, once the server says it does
    // not have it; a batch never runs into one.
    const doubt = this.#spool.doubt;
    const inDoubt = doubt !== undefined && doubt.start === this.#spool.offset;
    const start = this.#spool.offset;
    const limit = doubt === undefined ? Infinity : inDoubt ? doubt.end : doubt.start;
    const records: Data[] = [];
    for (const entry of entries) {
      if (!entry.record || entry.record.t === 'artifact' || entry.end > limit) break;
      records.push(entry.record as Data); // the spool holds what this delivery's tracker queued
    }
    const batch = inDoubt ? records : records.slice(0, this.#protocol.takeBatch(this.#meta, records));
    if (batch.length === 0) {
      // The records in doubt are out of reach (a torn line among them): send what follows as usual.
      this.#spool.clearDoubt();
      return 'progress';
    }
    // Written before the request: if this process dies before the answer, the next delivery asks first (and
    // gives the server the time this request may take).
    const end = entries[batch.length - 1]!.end;
    if (!inDoubt) this.#spool.markInDoubt({ start, end, settleBy: Date.now() + 2 * this.requestTimeoutMs });
    const result = await this.#protocol.sendBatch(this.#meta, batch, inDoubt ? { doubt } : {});
    this.#settleData(batch, result);
    if (result.settled > 0) await this.#advanceSpool(entries[result.settled - 1]!.end);
    const lost = doubtOf(result);
    if (lost) this.#spool.markInDoubt({ start, end, ...lost });
    else if (result.failure) this.#spool.clearDoubt();
    return result.failure ?? 'progress';
  }

  /** How many records at the front of `records` are the memory batch in doubt (0: none). */
  #memoryDoubtLength(records: readonly (Data | ArtifactRecord)[]): number {
    const doubt = this.#memoryDoubt;
    return doubt && records[0] === doubt.first && records.length >= doubt.length ? doubt.length : 0;
  }

  async #advanceSpool(offset: number): Promise<void> {
    try {
      await this.#spool.advance(offset);
    } catch (error) {
      this.#breakSpool(error);
    }
  }

  /**
   * Moves the memory queue to the spool (in order, after what is already there). Only what was written (or
   * refused for lack of room, and counted as dropped) is forgotten: records logged during the write stay.
   */
  async #spill(): Promise<void> {
    if (this.#queue.size > 0 && !this.#spoolBroken) {
      const snapshot = this.#queue.snapshot();
      try {
        const inDoubt = this.#memoryDoubtLength(snapshot.records);
        this.#stamp(snapshot.records);
        // Synchronous from the snapshot to its forget: a flush or a log call spooling meanwhile would write the same
        // records twice and then forget newer ones.
        const { refused } = this.#spool.appendSync(snapshot.records, {
          compact: true,
          inDoubt,
          settleBy: this.#memoryDoubt?.settleBy,
        });
        this.#queue.forget(snapshot);
        this.#memoryDoubt = undefined;
        this.#dropRefused(refused as (Data | ArtifactRecord)[]);
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
    return this.runId !== undefined;
  }

  /**
   * Delivers until nothing is pending or `deadline` (ms since the epoch) passes; true when everything was
   * delivered. Bounded in time by the deadline and in rounds by a fixed count. Options:
   * - `idleMs`: the deadline moves on with each answer of the server: give up only after `idleMs` without one
   *   (`deliverSpool`: a big spool takes its time, a server that takes nothing does not);
   * - `untilFailure`: stop at the first failed attempt, the data then safe in the spool (`flush()` during an
   *   outage already known: it does not wait for a server that is down);
   * - `untilDeferred`: stop as soon as the next request must wait (a failure, or the backend's rate limits), the
   *   data then safe in the spool (a `flush()` that does not wait for a rate limit: the timer delivers the rest).
   */
  async drain(
    deadline: number,
    options: {
      idleMs?: number;
      untilFailure?: boolean;
      untilDeferred?: boolean;
      onOutage?: (error: string) => void;
    } = {},
  ): Promise<boolean> {
    const { idleMs, untilFailure = false, untilDeferred = false } = options;
    let onOutage = options.onOutage;
    const outage = () => {
      if (!onOutage || this.#policy.failures === 0 || !this.pending) return;
      onOutage(this.#lastError ?? 'no answer');
      onOutage = undefined; // once
    };
    await settleWithin(this.#chain, deadline - Date.now());
    this.#policy.attemptNow(); // an explicit flush or end tries at once
    for (let round = 0; round < MAX_DRAIN_ROUNDS; round += 1) {
      if (!this.pending || roundAction(this.#state, true) !== 'send') break;
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      const before = this.#progress;
      const questionsBefore = this.#questionsAnswered;
      const pacedBefore = this.#pacedWaits;
      await settleWithin(this.round(), remaining);
      outage(); // found by this attempt: said at once
      // A server that answers (a request, or a question about one in doubt) is not a server that does not; nor is a
      // wait the backend's rate limits ask for.
      const alive =
        this.#progress > before || this.#questionsAnswered > questionsBefore || this.#pacedWaits > pacedBefore;
      if (idleMs !== undefined && alive) deadline = Math.max(deadline, Date.now() + idleMs);
      if (!this.pending || this.#state === 'stopped') break;
      if (untilFailure && this.#policy.failures > 0) break;
      const backoff = this.#policy.nextAttemptAt - Date.now();
      if (untilDeferred && backoff > 0) break;
      const wait = backoff > 0 ? backoff : this.#progress === before ? 10 : 0;
      if (wait > 0) await sleep(Math.min(wait, deadline - Date.now()), this.#stopping.signal);
    }
    return !this.pending;
  }

  /**
   * A tracker's `flush()`. While the server answers, delivers until `deadline` (`drain`). During an outage already
   * known (the last attempt failed), no request is waited for: what waits in memory is written to the spool at once,
   * one attempt starts in the background (a server back is found at once) and the flush returns; the background
   * sender delivers the spool when the server answers again (a per-epoch flush must not stall on a server that is
   * down, nor on one that takes connections and never answers). Only when the spool cannot be written does the flush
   * wait for its one attempt (`untilFailure`): the server is then the only place the data can go.
   * `untilDeferred`: see `drain`.
   */
  async flush(deadline: number, options: { untilDeferred?: boolean } = {}): Promise<void> {
    if (this.outage && this.#spoolNow() && !this.#spoolBroken) {
      this.#policy.attemptNow();
      this.kick();
      return;
    }
    await this.drain(deadline, { ...options, untilFailure: this.outage });
  }

  /** True while the last attempt failed with no answer or a retryable one: an outage is known. */
  get outage(): boolean {
    return this.#policy.failures > 0;
  }

  /** The bound the next request gets (adapted to the server: request_timeouts.ts). */
  get requestTimeoutMs(): number {
    return this.#protocol.timeouts.currentMs;
  }

  /** True when a request got no answer even within the longest timeout offered. */
  get timeoutsExhausted(): boolean {
    return this.#protocol.timeouts.exhausted;
  }

  /**
   * Starts no new request (an interrupted `gymnos sync`): the request in flight, if any, is waited for at most
   * `graceMs` and accounted for (the spool's offset moves past what the server took), so that a later delivery
   * resumes exactly where this one stopped. `close` then aborts whatever is still in flight.
   */
  async stop(graceMs: number): Promise<void> {
    this.#on('stop');
    this.#stopping.abort();
    await settleWithin(this.#chain, graceMs);
  }

  /** Stops the sender: aborts a request in flight, moves the memory queue to the spool, releases the lock. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#on('close');
    cancelFlushAtExit(this);
    clearInterval(this.#timer);
    this.#shutdown.abort();
    await this.#exclusive(() => this.#spill()).catch(() => undefined);
    if (this.#spoolBroken) {
      // Neither delivered nor kept anywhere once the process ends: counted as dropped, not as waiting.
      const left = this.#queue.snapshot();
      for (const record of left.records) this.#ledger.countDropped(record);
      this.#queue.forget(left);
    }
    await this.#spool.close();
  }

  /** Where delivery stands; undelivered counts include the spool (read from disk). */
  async report(): Promise<DeliveryReport> {
    const undelivered = { ...this.#queue.counts(), status: this.#meta.pendingStatus?.status };
    if (this.#spoolPending) {
      const counts = await this.#spool.countPending().catch(() => undefined);
      if (counts)
        for (const [kind, count] of Object.entries(counts)) countRecord(undelivered, { t: kind } as QueueRecord, count);
    }
    const total = (counts: DeliveryCounts) => counts.metrics + counts.params + counts.tags + counts.artifacts;
    const complete =
      total(undelivered) === 0 &&
      total(this.#ledger.dropped) === 0 &&
      this.#ledger.rejectedCount === 0 &&
      undelivered.status === undefined &&
      this.runId !== undefined;
    return {
      trackingUri: this.#protocol.baseUrl,
      ...this.#protocol.reportFields?.(this.#meta),
      runId: this.runId,
      complete,
      logged: { ...this.#ledger.logged },
      delivered: { ...this.#ledger.delivered },
      undelivered,
      rejected: this.#ledger.rejected,
      rejectedCount: this.#ledger.rejectedCount,
      refused: { ...this.#ledger.refused },
      ...(this.#meta.session === 'killed' ? { killed: true } : {}),
      dropped: { ...this.#ledger.dropped },
      spoolDir: this.#spool.dir,
      spoolError: this.#spoolBroken,
      lastError: this.#lastError,
      ...(this.#stoppedReason ? { stoppedReason: this.#stoppedReason } : {}),
    };
  }
}
