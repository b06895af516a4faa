/**
 * What the parts of a remote delivery share, in one object that delivery.ts builds and hands to each part: the
 * backend's protocol, the memory queue, the ledger, the run's description (and its saving to run.json), this
 * session's spool, where the delivery is in its life (states.ts), the memory batch a request holds or whose answer
 * was lost, and the warnings. The parts, each a module: session_spool.ts (the spool of this session: opened, a
 * sibling when it is busy, or broken), request_step.ts (one request's worth), outcomes.ts (what an answer or a
 * failure leads to), to_spool.ts (the memory queue moved to disk), drain.ts (delivering until done or a deadline),
 * delivery_report.ts (the report).
 */
import { DeliveryLedger } from './ledger.js';
import type { RemoteProtocol } from './protocol.js';
import { MemoryQueue } from './queue.js';
import type { ArtifactRecord, BatchRecord, DataRecord, RunStatus } from './records.js';
import { SessionSpool } from './session_spool.js';
import type { RunMeta } from './spool.js';
import { transition } from './states.js';
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

/** A batch from the memory queue whose answer was lost: its first record and its length (sent again as is). */
interface MemoryDoubt<Data> {
  first: Data;
  length: number;
  settleBy: number;
}

export class DeliveryCore<Meta extends RunMeta = RunMeta, Data extends BatchRecord = DataRecord> {
  readonly options: DeliveryOptions<Meta, Data>;
  readonly protocol: RemoteProtocol<Meta, Data>;
  readonly queue: MemoryQueue<Data>;
  readonly ledger: DeliveryLedger;
  readonly spool: SessionSpool;
  /** The run's description as it stands; run.json holds it once saved (`saveMeta`). */
  meta: Meta;
  /** Where the delivery is in its life (states.ts): what a round does, what may come next. */
  state: DeliveryState = 'opening';
  /** The records at the front of the memory queue that a send in flight holds: never moved meanwhile. */
  readonly inFlight = { data: 0, artifacts: 0 };
  memoryDoubt: MemoryDoubt<Data> | undefined;
  /** A pause the server asked for after the last request it took (its rate-limit headers): no request before. */
  paceMs = 0;
  /**
   * Bumped by every change of `meta` worth keeping; run.json holds version `#savedMetaVersion`. A version, not a
   * dirty flag: a change made while a write is in flight (end() setting the final status meanwhile) must not be
   * marked saved when that write, which serialized the meta before the change, completes.
   */
  #metaVersion = 1;
  #savedMetaVersion = 0;
  /** Warnings given once per session: a full queue, a full spool, an internal error. */
  readonly #warnedOnce = new Set<string>();

  constructor(options: DeliveryOptions<Meta, Data>, signal: AbortSignal) {
    this.options = options;
    this.protocol = options.protocol(signal);
    this.queue = new MemoryQueue<Data>(options.maxQueueItems);
    this.ledger = new DeliveryLedger((code, message) => this.warn(code, message));
    this.meta = { ...options.meta };
    this.spool = new SessionSpool(options.spoolDir, options.maxSpoolBytes, options.maxQueueItems, (code, message) =>
      this.warn(code, message),
    );
  }

  /** The backend's id of the run, once it exists on the server. */
  get runId(): string | undefined {
    return this.protocol.runIdOf(this.meta);
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /** Moves to the state `event` leads to (states.ts); an event the state does not list changes nothing. */
  on(event: DeliveryEvent): void {
    this.state = transition(this.state, event);
  }

  warn(code: string, message: string): void {
    this.options.warn(`${this.options.warningPrefix}_${code}`, message);
  }

  warnOnce(key: string, code: string, message: string): void {
    if (this.#warnedOnce.has(key)) return;
    this.#warnedOnce.add(key);
    this.warn(code, message);
  }

  /** The run's description changed in a way worth keeping in run.json. */
  metaChanged(): void {
    this.#metaVersion += 1;
  }

  /** Writes run.json if the description changed since it was last written (the holder of the spool only). */
  async saveMeta(): Promise<void> {
    const version = this.#metaVersion;
    if (version === this.#savedMetaVersion) return;
    if (await this.spool.writeMeta(this.meta)) this.#savedMetaVersion = Math.max(this.#savedMetaVersion, version);
  }

  /** The run status to send once everything before it is delivered. */
  setStatus(status: RunStatus, endTime?: number): void {
    this.meta.pendingStatus = endTime === undefined ? { status } : { status, endTime };
    if (status !== 'RUNNING' && this.meta.session === 'open') this.meta.session = 'ended';
    this.metaChanged();
  }

  /** Gives records what the backend needs them to keep through re-sends (protocol.ts `stamp`), in queue order. */
  stamp(records: readonly (Data | ArtifactRecord)[]): void {
    if (records.length > 0 && this.protocol.stamp) {
      this.protocol.stamp(this.meta, records);
      this.metaChanged();
    }
  }

  /** How many records at the front of `records` are the memory batch in doubt (0: none). */
  memoryDoubtLength(records: readonly (Data | ArtifactRecord)[]): number {
    const doubt = this.memoryDoubt;
    return doubt && records[0] === doubt.first && records.length >= doubt.length ? doubt.length : 0;
  }

  /** A pause the server asked for on an answer it took: the round ends after this request. */
  keepPace(paceMs: number | undefined): void {
    if (paceMs !== undefined && paceMs > 0) this.paceMs = Math.max(this.paceMs, paceMs);
  }
}
