/**
 * The delivery of a spool left by an earlier session (`<Backend>Tracker.deliverSpool`, `gymnos sync`), the same for
 * every backend: wait for the spool to open (throwing when there is none or another process holds it), deliver until
 * nothing is left or `timeoutMs` passes without progress (a big spool takes the time it needs, a server that takes
 * nothing does not), stop early on `signal` after the request in flight, and always release the spool.
 */
import type { RemoteDelivery } from './delivery.js';
import type { DeliveryReport } from './ledger.js';
import type { BatchRecord, DataRecord } from './records.js';
import type { RunMeta } from './spool.js';

export interface SpoolDeliveryRun {
  /** How long to go on without progress before giving up (what is left stays in the spool). */
  timeoutMs: number;
  /** Stops the delivery early: no new request starts, the one in flight is waited for and accounted for. */
  signal?: AbortSignal | undefined;
  /** Called once, at once, when the server does not answer, with the error, before the delivery waits for it. */
  onOutage?: ((error: string) => void) | undefined;
}

/** Delivers what `delivery` (made in `redeliver` mode) holds; resolves with its report. */
export async function deliverSpoolWith<
  Meta extends RunMeta,
  Report extends DeliveryReport,
  Data extends BatchRecord = DataRecord,
>(delivery: RemoteDelivery<Meta, Data> & { report(): Promise<Report> }, run: SpoolDeliveryRun): Promise<Report> {
  try {
    await delivery.ready; // a GymnosError *_SPOOL_NOT_FOUND or *_SPOOL_BUSY when it cannot be used
  } catch (error) {
    await delivery.close();
    throw error;
  }
  const { signal } = run;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<void>((resolve) => {
    onAbort = () => resolve();
    if (signal?.aborted) resolve();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const drained = delivery.drain(Date.now() + run.timeoutMs, {
      idleMs: run.timeoutMs,
      ...(run.onOutage ? { onOutage: run.onOutage } : {}),
    });
    await Promise.race([drained, aborted]);
    // The request in flight is waited for (its own timeout bounds it) and accounted for, never cut off: an answer
    // cut off is a request whose fate the next delivery must ask about.
    await delivery.stop(delivery.requestTimeoutMs);
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    await delivery.close();
  }
  return delivery.report() as Promise<Report>;
}
