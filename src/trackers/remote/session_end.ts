/**
 * A remote tracker's `end()`, the same for every backend: the final status queued behind everything else, delivery
 * for at most `endTimeoutMs` (a server that does not answer said at once, not after the wait), the delivery closed
 * (what is left moved to the spool), and one warning on what could not be delivered and how to deliver it later.
 */
import type { RemoteDelivery } from './delivery.js';
import { describeOffline, describeProblems, problemCode } from './end_report.js';
import type { DeliveryReport } from './ledger.js';
import type { BatchRecord, DataRecord } from './records.js';
import type { RunMeta } from './spool.js';
import { gymnosCommand } from '../../util/package_manager.js';

/** A wait shorter than this is not announced. */
export const NOTICEABLE_WAIT_MS = 2_000;

export interface SessionEnd {
  /** `end(error)` was given an error: the run is FAILED. */
  failed: boolean;
  endTimeoutMs: number;
  /** The logdir given to `start`, for the `gymnos sync` command. */
  logdir: string;
  /** The server as messages name it: `the MLflow server http://…`. */
  server: string;
  /** The backend's warning codes' start (`GYMNOS_MLFLOW`). */
  warningPrefix: string;
  /** The static delivery of a spool (`MlflowTracker.deliverSpool(dir)`). */
  deliverSpoolCall: string;
  /** The session sent nothing by design (the backend's offline mode): its end says where the run waits. */
  offline?: boolean;
  warn: (code: string, message: string) => void;
}

export async function endSession<
  Meta extends RunMeta,
  Report extends DeliveryReport,
  Data extends BatchRecord = DataRecord,
>(delivery: RemoteDelivery<Meta, Data> & { report(): Promise<Report> }, end: SessionEnd): Promise<Report> {
  delivery.setStatus(end.failed ? 'FAILED' : 'FINISHED', Date.now());
  const deadline = Date.now() + end.endTimeoutMs;
  // In the words of the package manager of the project the training runs in (`pnpm exec gymnos sync logs`).
  const syncCommand = gymnosCommand(process.cwd(), `sync ${end.logdir}`);
  // Where what the server does not take ends up: the spool, or nowhere when the spool cannot be written.
  const leftThen = () =>
    delivery.spoolError === undefined
      ? `then stays in ${delivery.spoolDir} for \`${syncCommand}\``
      : `is lost: the spool ${delivery.spoolDir} cannot be written (${delivery.spoolError})`;
  // With the server unreachable, said at once, not after endTimeoutMs of silence.
  const waiting = (error: string) =>
    end.warn(
      `${end.warningPrefix}_WAITING`,
      `end(): ${end.server} does not answer (${error}); waiting up to ` +
        `${Math.round(end.endTimeoutMs / 1000)} s for it to take what is left; what it does not take ${leftThen()}`,
    );
  if (!end.offline) {
    await delivery.drain(deadline, end.endTimeoutMs >= NOTICEABLE_WAIT_MS ? { onOutage: waiting } : {});
  }
  await delivery.close();
  const report = (await delivery.report()) as Report;
  const wording = { endTimeoutMs: end.endTimeoutMs, syncCommand, deliverSpoolCall: end.deliverSpoolCall };
  if (end.offline && !report.spoolError) {
    end.warn(`${end.warningPrefix}_OFFLINE`, describeOffline(report, wording));
    return report;
  }
  const problem = describeProblems(report, wording);
  if (problem) end.warn(problemCode(report, end.warningPrefix), problem);
  return report;
}
