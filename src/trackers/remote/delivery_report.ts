/**
 * Where a delivery stands, in the report every backend gives (ledger.ts `DeliveryReport`): what was logged,
 * delivered, refused and dropped, what is undelivered (the memory queue and the spool, read from disk), whether the
 * run is complete, and why it stopped if it did.
 */
import type { DeliveryCore } from './delivery_core.js';
import type { DeliveryReport } from './ledger.js';
import type { DeliveryOutcomes } from './outcomes.js';
import { countRecord } from './records.js';
import type { BatchRecord, DeliveryCounts, QueueRecord } from './records.js';
import type { RunMeta } from './spool.js';

const total = (counts: DeliveryCounts) => counts.metrics + counts.params + counts.tags + counts.artifacts;

export async function deliveryReport(
  core: DeliveryCore<RunMeta, BatchRecord>,
  outcomes: DeliveryOutcomes,
): Promise<DeliveryReport> {
  const { ledger, meta, spool } = core;
  const undelivered = { ...core.queue.counts(), status: meta.pendingStatus?.status };
  // What the spool holds counts even when the spool broke later on: it was written before, and stays for a sync.
  if (spool.holdsRecords) {
    const counts = await spool.store.countPending().catch(() => undefined);
    if (counts)
      for (const [kind, count] of Object.entries(counts)) countRecord(undelivered, { t: kind } as QueueRecord, count);
  }
  const complete =
    total(undelivered) === 0 &&
    total(ledger.dropped) === 0 &&
    ledger.rejectedCount === 0 &&
    undelivered.status === undefined &&
    core.runId !== undefined;
  return {
    trackingUri: core.protocol.baseUrl,
    ...core.protocol.reportFields?.(meta),
    runId: core.runId,
    complete,
    logged: { ...ledger.logged },
    delivered: { ...ledger.delivered },
    undelivered,
    rejected: ledger.rejected,
    rejectedCount: ledger.rejectedCount,
    refused: { ...ledger.refused },
    ...(meta.session === 'killed' ? { killed: true } : {}),
    dropped: { ...ledger.dropped },
    spoolDir: spool.dir,
    spoolError: spool.broken,
    lastError: outcomes.lastError,
    ...(outcomes.stoppedReason ? { stoppedReason: outcomes.stoppedReason } : {}),
  };
}
