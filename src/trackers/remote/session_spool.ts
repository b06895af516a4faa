/**
 * The spool of one delivery session (spool.ts is the spool itself): opened and locked before anything is sent; a
 * sibling directory when another live session holds it (the same run id and logdir twice at once), or another
 * run's spool is there; broken when it cannot be used, undelivered data then staying in memory (said once, and in
 * every warning that says where the data is). `openSession` decides, from what the spool holds, whether this
 * session resumes an earlier one of the run (session mode) or delivers a spool as it is (`redeliver`).
 */
import { errorMessage, GymnosError, isGymnosError } from '../../errors.js';
import type { DeliveryCore } from './delivery_core.js';
import type { ArtifactRecord, BatchRecord } from './records.js';
import { Spool } from './spool.js';
import type { RunMeta } from './spool.js';

type Warn = (code: string, message: string) => void;

export class SessionSpool {
  #spool: Spool;
  readonly #maxBytes: number;
  readonly #maxQueueItems: number;
  readonly #warn: Warn;
  /** Why the spool cannot be used; undelivered data then stays in memory. */
  #broken: string | undefined;
  /** The spool is open and locked by this session, so log calls and the exit may write to it. */
  #open = false;

  constructor(dir: string, maxBytes: number, maxQueueItems: number, warn: Warn) {
    this.#spool = new Spool(dir, maxBytes);
    this.#maxBytes = maxBytes;
    this.#maxQueueItems = maxQueueItems;
    this.#warn = warn;
  }

  /** The spool itself (a sibling's once switched). */
  get store(): Spool {
    return this.#spool;
  }

  get dir(): string {
    return this.#spool.dir;
  }

  get broken(): string | undefined {
    return this.#broken;
  }

  /** Open and locked by this session: log calls and the exit may write to it. */
  get open(): boolean {
    return this.#open;
  }

  /** Records wait in the spool to be sent by this session (a broken spool's are left for a later delivery). */
  get pending(): boolean {
    return !this.#broken && this.#spool.hasPending;
  }

  /**
   * Records wait in the spool, whether this session can still send them or not: a spool that broke after records
   * were written to it (the disk filled) keeps those for `gymnos sync`, and the report counts them as undelivered.
   */
  get holdsRecords(): boolean {
    return this.#spool.hasPending;
  }

  /**
   * Opens and locks the spool. In `redeliver` mode a failure is thrown (`*_SPOOL_BUSY`...); in a session, a spool
   * another live session holds is replaced by a sibling, and any other failure breaks the spool.
   */
  async lock(mode: 'session' | 'redeliver'): Promise<void> {
    try {
      await this.#spool.open();
      this.#open = true;
    } catch (error) {
      const busy = isGymnosError(error) && error.code === 'MLFLOW_SPOOL_BUSY';
      if (mode === 'redeliver') throw error;
      // Another live session writes this spool (the same run id and logdir twice at once): use a sibling.
      if (!busy || !(await this.useSibling(`${this.#spool.dir} is in use by another process`))) this.break(error);
    }
  }

  /** Switches to a fresh sibling of the spool directory; false (spool broken) when that fails too. */
  async useSibling(reason: string): Promise<boolean> {
    await this.#spool.close();
    const sibling = `${this.#spool.dir}-${process.pid}-${Date.now().toString(36)}`;
    this.#warn('SPOOL_BUSY', `${reason}; this session spools to ${sibling}`);
    this.#spool = new Spool(sibling, this.#maxBytes);
    try {
      await this.#spool.open();
      this.#open = true;
      return true;
    } catch (error) {
      this.break(error);
      return false;
    }
  }

  /** The spool cannot be used: said once; what cannot be sent stays in memory from now on. */
  break(error: unknown): void {
    if (this.#broken) return;
    this.#open = false;
    this.#broken = errorMessage(error);
    this.#warn(
      'SPOOL_UNAVAILABLE',
      `cannot write the spool ${this.#spool.dir} (${this.#broken}): what the server has not taken is kept in ` +
        `memory only (at most ${this.#maxQueueItems} items, more are dropped) and lost if the process ends ` +
        'first; give spoolDir a writable directory',
    );
  }

  /** Where undelivered data waits: the spool, or memory when the spool cannot be used. */
  keptWhere(verb: string): string {
    if (!this.#broken) return `${verb} ${this.#spool.dir}`;
    return (
      `kept in memory only (at most ${this.#maxQueueItems} items; the spool ${this.#spool.dir} cannot be ` +
      `written: ${this.#broken}), lost if the process ends first`
    );
  }

  /** Moves the cursor past what the server took. */
  async advance(offset: number): Promise<void> {
    try {
      await this.#spool.advance(offset);
    } catch (error) {
      this.break(error);
    }
  }

  /** Writes run.json; false when it was not written (only the holder of the spool writes it). */
  async writeMeta(meta: RunMeta): Promise<boolean> {
    if (this.#broken || !this.#open) return false;
    try {
      await this.#spool.writeMeta(meta);
      return true;
    } catch (error) {
      this.break(error);
      return false;
    }
  }

  async close(): Promise<void> {
    await this.#spool.close();
  }
}

/**
 * Opens the session's spool and reads what it holds: in `redeliver` mode, the run to deliver (none: a GymnosError
 * *_SPOOL_NOT_FOUND; a session that never ended: its process was killed); in a session, an earlier session of the
 * same run, resumed (its ids, its start time, its status set back to RUNNING), or another run's spool, left alone.
 */
export async function openSession<Meta extends RunMeta, Data extends BatchRecord>(
  core: DeliveryCore<Meta, Data>,
): Promise<void> {
  const { mode } = core.options;
  const spool = core.spool;
  await spool.lock(mode);
  if (spool.broken) return;
  let existing = await spool.store.readMeta<Meta>();
  if (mode === 'redeliver') {
    if (!existing) {
      await spool.close();
      throw new GymnosError('MLFLOW_SPOOL_NOT_FOUND', `${spool.dir} holds no spool of a run (run.json)`, {
        details: { spoolDir: spool.dir },
      });
    }
    core.meta = { ...existing, trackingUri: core.meta.trackingUri };
    if (existing.session === 'open') {
      // Its session never ended and nobody holds the spool: its process was killed outright.
      core.setStatus('KILLED', await spool.store.lastWriteTime());
      core.meta.session = 'killed';
    }
  } else {
    if (existing && existing.gymnosRunId !== core.meta.gymnosRunId) {
      // A spoolDir shared by two runs: never deliver one run's leftovers to another.
      const reason = `${spool.dir} holds the spool of run "${existing.gymnosRunId}"`;
      if (spool.store.hasPending && !(await spool.useSibling(reason))) return;
      existing = undefined;
    }
    if (existing) resume(core, existing);
  }
  if (core.protocol.resumeAfter && spool.open) {
    // Positions the spool's records hold (W&B's history lines) are not given again.
    const last = await spool.store.lastPending();
    if (last) core.protocol.resumeAfter(core.meta, last as Data | ArtifactRecord);
  }
  core.metaChanged();
  await core.saveMeta();
}

/** The same run as the spool's: its start time and the backend's ids of it. */
function resume<Meta extends RunMeta>(core: DeliveryCore<Meta, BatchRecord>, existing: Meta): void {
  const ids = Object.fromEntries(
    (core.options.resumedFields ?? []).flatMap((field) => {
      const value = (existing as unknown as Record<string, unknown>)[field];
      return value === undefined ? [] : [[field, value]];
    }),
  );
  core.meta = { ...core.meta, startTime: existing.startTime, ...ids };
  // The earlier session's final status no longer holds: the run goes on, unless this session already ended (end()
  // while the spool was opened): its own final status stands.
  if (core.runId && !core.meta.pendingStatus) core.meta.pendingStatus = { status: 'RUNNING' };
}
