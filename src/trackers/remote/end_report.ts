/**
 * What a remote tracker's `end()` says about its delivery, in the same words for every backend: what could not be
 * delivered and where it waits (the spool, and the `gymnos sync` command that delivers it), what was dropped, what
 * was refused, and the warning code of the worst of it. Built from the delivery's report (ledger.ts) only.
 */
import type { DeliveryReport } from './ledger.js';
import type { DeliveryCounts } from './records.js';

export function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** "3 metrics", "1 param"...: the counts that are not 0. */
export function countsText(counts: DeliveryCounts): string[] {
  return [
    counts.metrics ? plural(counts.metrics, 'metric') : '',
    counts.params ? plural(counts.params, 'param') : '',
    counts.tags ? plural(counts.tags, 'tag') : '',
    counts.artifacts ? plural(counts.artifacts, 'artifact') : '',
  ].filter(Boolean);
}

/** How the end's sentence names the backend and the way to deliver what is left. */
export interface EndReportWording {
  /** How long `end()` waited, in milliseconds. */
  endTimeoutMs: number;
  /** The command that delivers the spool, in the project's package manager's words: `npx gymnos sync logs`. */
  syncCommand: string;
  /** The static delivery of a spool, named after the sync command (`MlflowTracker.deliverSpool(dir)`). */
  deliverSpoolCall: string;
}

/** What is left to deliver, as words ("the run itself", "3 metrics", "the FINISHED status"). */
function undeliveredParts(report: DeliveryReport): string[] {
  const left = countsText(report.undelivered);
  if (report.undelivered.status) left.push(`the ${report.undelivered.status} status`);
  if (!report.runId) left.unshift('the run itself');
  return left;
}

/** The spool's sentence: where what is left waits, and how to deliver it. */
function keptWhere(report: DeliveryReport, wording: EndReportWording): string {
  const sync = `deliver them later with \`${wording.syncCommand}\` (or ${wording.deliverSpoolCall})`;
  if (!report.spoolError) return `; they are kept in ${report.spoolDir}: ${sync}`;
  // The report is read after close(): what is left then is what the spool took before it failed (the rest of
  // memory is counted as dropped); before close(), memory's part would be lost with the process.
  return countsText(report.undelivered).length > 0
    ? `; the records were written to ${report.spoolDir} before it failed (${report.spoolError}): ${sync}`
    : `; they could not be spooled (${report.spoolError}) and are lost when the process exits`;
}

/** One sentence on what `end` could not deliver, or undefined when everything went through. */
export function describeProblems(report: DeliveryReport, wording: EndReportWording): string | undefined {
  const parts: string[] = [];
  const left = undeliveredParts(report);
  if (left.length > 0) {
    parts.push(
      `could not deliver ${left.join(', ')} to ${report.trackingUri} within ${wording.endTimeoutMs} ms` +
        (report.lastError ? ` (last error: ${report.lastError})` : '') +
        keptWhere(report, wording),
    );
  }
  const dropped = countsText(report.dropped);
  if (dropped.length > 0) {
    const why = report.spoolError
      ? `the spool ${report.spoolDir} could not be written: ${report.spoolError}; give spoolDir a writable directory`
      : 'the spool was full or could not be written';
    parts.push(`dropped ${dropped.join(', ')} (${why})`);
  }
  if (report.rejectedCount > 0) parts.push(`the server or the client refused ${plural(report.rejectedCount, 'item')}`);
  return parts.length > 0 ? parts.join('; ') : undefined;
}

/** The sentence of an offline session's end: everything waits in the spool, by design. */
export function describeOffline(report: DeliveryReport, wording: EndReportWording): string {
  const left = undeliveredParts(report).filter((part) => part !== 'the run itself');
  return (
    `offline: nothing was sent; the run${left.length > 0 ? ` (${left.join(', ')})` : ''} is kept in ` +
    `${report.spoolDir}: deliver it with \`${wording.syncCommand}\` (or ${wording.deliverSpoolCall})`
  );
}

/** The warning code of the end's summary: what is worst about it (`<prefix>_UNDELIVERED`, `_LOST`, `_REJECTED`). */
export function problemCode(report: DeliveryReport, prefix: string): string {
  const left = Object.values(report.undelivered).some(Boolean) || !report.runId;
  if (left) return `${prefix}_UNDELIVERED`;
  return Object.values(report.dropped).some(Boolean) ? `${prefix}_LOST` : `${prefix}_REJECTED`;
}
