/**
 * The memory queue moved to the spool, in order after what is already there: by a round that cannot send (`spill`),
 * by a log call that finds the queue full (`overflow`, synchronously, so that memory stays bounded), and at the end
 * of the process without `end()` (`spoolAtExit`, synchronously, with the run's final status). A batch in flight or
 * in doubt goes with its doubt, for whoever delivers the spool next to ask about; what the spool has no room for is
 * counted as dropped and said once.
 */
import type { ProcessEnding } from '../../runtime/process_end.js';
import type { DeliveryCore } from './delivery_core.js';
import type { ArtifactRecord, BatchRecord } from './records.js';
import { SpoolAppendError } from './spool.js';
import type { RunMeta } from './spool.js';

type Core = DeliveryCore<RunMeta, BatchRecord>;

/**
 * Moves the memory queue to the spool. Only what was written (or refused for lack of room, and counted as dropped)
 * is forgotten. Then run.json, if the run's description changed.
 */
export async function spill(core: Core): Promise<void> {
  if (core.queue.size > 0 && !core.spool.broken) {
    const snapshot = core.queue.snapshot();
    try {
      const inDoubt = core.memoryDoubtLength(snapshot.records);
      core.stamp(snapshot.records);
      // Synchronous from the snapshot to its forget: a flush or a log call spooling meanwhile would write the same
      // records twice and then forget newer ones.
      const { refused } = core.spool.store.appendSync(snapshot.records, {
        compact: true,
        inDoubt,
        settleBy: core.memoryDoubt?.settleBy,
      });
      core.queue.forget(snapshot);
      core.memoryDoubt = undefined;
      dropRefused(core, refused);
    } catch (error) {
      // What reached the spool before the failure is kept there (and reported as undelivered), not in memory too.
      core.queue.forgetFirst(snapshot, writtenBefore(error));
      core.spool.break(error);
    }
  }
  await core.saveMeta();
}

/**
 * Moves the memory queue (but the records a send in flight holds) and `extra` to the spool, synchronously, outside
 * the rounds (a log call whose queue is full, a flush during an outage): false when the spool is not this session's
 * to write. When the spool cannot be written it breaks: what fits goes back to memory, the rest is dropped (counted).
 */
export function spoolNow(core: Core, extra?: BatchRecord | ArtifactRecord): boolean {
  if (!core.spool.open || core.closed) return false;
  const records = core.queue.takeBeyond(core.inFlight.data, core.inFlight.artifacts);
  if (extra) records.push(extra);
  try {
    const inDoubt = core.memoryDoubtLength(records);
    const settleBy = core.memoryDoubt?.settleBy;
    core.stamp(records);
    dropRefused(core, core.spool.store.appendSync(records, { inDoubt, settleBy }).refused);
    if (inDoubt) core.memoryDoubt = undefined;
    // What the records were given (their positions) is in run.json before anything else is spooled.
    if (core.protocol.stamp) core.spool.store.writeMetaSync(core.meta);
  } catch (error) {
    core.spool.break(error);
    // What reached the spool before the failure stays there; the rest goes back to memory while it fits.
    for (const moved of records.slice(writtenBefore(error))) {
      if (!core.queue.push(moved)) core.ledger.countDropped(moved);
    }
  }
  return true;
}

/**
 * A log call found the memory queue full: what it holds and the record go to the spool (`spoolNow`), so that memory
 * stays bounded; nothing is dropped unless the disk takes no more, which is counted and said once.
 */
export function overflow(core: Core, record: BatchRecord | ArtifactRecord): void {
  if (spoolNow(core, record)) return;
  core.ledger.countDropped(record);
  const broken = core.spool.broken;
  core.warnOnce(
    'queue full',
    'QUEUE_FULL',
    `more than ${core.options.maxQueueItems} items wait in memory and the spool cannot take them` +
      `${broken ? ` (${broken})` : ''}; further items are dropped until the queue drains`,
  );
}

/**
 * The process is ending without `end()` (exit, an uncaught error, SIGINT or SIGTERM): everything in memory goes to
 * the spool, synchronously, with the run's description, for the next session or `gymnos sync`.
 */
export function spoolAtExit(core: Core, ending: ProcessEnding): void {
  if (!core.spool.open || core.closed) return;
  // The session ends here, without end(): the run's final status is how the process ends, as MLflow's own client
  // sets it at exit (a signal: KILLED; an uncaught error: FAILED; a plain exit: FINISHED).
  if (core.meta.session === 'open') {
    const status = ending.signal ? 'KILLED' : ending.exitCode ? 'FAILED' : 'FINISHED';
    core.setStatus(status, Date.now());
  }
  const snapshot = core.queue.snapshot();
  // A batch in flight (its answer will never be read) or whose answer was lost is asked about before it is sent
  // again, by whoever delivers the spool next.
  const inDoubt = core.inFlight.data || core.memoryDoubtLength(snapshot.records);
  const settleBy = core.inFlight.data ? Date.now() + core.protocol.timeouts.currentMs : core.memoryDoubt?.settleBy;
  try {
    core.stamp(snapshot.records);
    dropRefused(core, core.spool.store.appendSync(snapshot.records, { inDoubt, settleBy }).refused);
    core.queue.forget(snapshot);
    core.spool.store.writeMetaSync(core.meta);
  } catch {
    // The process is ending and the disk refuses: nothing more can be done.
  }
}

/** How many records an append that failed had written to the spool (0 unless it failed partway). */
function writtenBefore(error: unknown): number {
  return error instanceof SpoolAppendError ? error.written : 0;
}

/** Counts (and warns once about) the records the spool had no room for. */
function dropRefused(core: Core, refused: readonly (BatchRecord | ArtifactRecord)[]): void {
  if (refused.length === 0) return;
  core.protocol.unstamp?.(core.meta, refused);
  for (const record of refused) core.ledger.countDropped(record);
  core.warnOnce(
    'spool full',
    'SPOOL_FULL',
    `the spool ${core.spool.dir} reached maxSpoolBytes (${core.options.maxSpoolBytes} bytes); ` +
      'newer data is dropped until the server takes some',
  );
}
