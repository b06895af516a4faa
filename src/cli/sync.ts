/**
 * `gymnos sync <logdir>`: delivers every spool of a remote tracker (mlflow, comet, wandb) under a logdir (what runs
 * could not send while the server was down, or sent nothing offline), one line per run. The work is in
 * trackers/remote/sync.ts
 * with each backend's part (trackers/<backend>/sync.ts); this file parses flags, prints, and turns
 * SIGINT/SIGTERM into a clean stop: the request in flight is finished and accounted for, the spools keep the
 * rest, and the exit status is 130 or 143.
 */
import path from 'node:path';
import { GymnosError } from '../errors.js';
import { redactCredentials } from '../util/redact.js';
import { COMET_SYNC_BACKEND } from '../trackers/comet/sync.js';
import { checkSyncInputs, MLFLOW_SYNC_BACKEND } from '../trackers/mlflow/sync.js';
import { WANDB_SYNC_BACKEND } from '../trackers/wandb/sync.js';
import type { DeliveryCounts } from '../trackers/remote/records.js';
import { countsText, plural } from '../trackers/remote/end_report.js';
import { syncLogdir } from '../trackers/remote/sync.js';
import type { SyncBackend, SyncedRun } from '../trackers/remote/sync.js';
import { EXIT } from './exit_codes.js';
import type { JsonDocument } from './failure.js';
import { printError, printJson, printLine } from './output.js';
import { gymnosCommand } from '../util/package_manager.js';

export interface SyncCliOptions {
  trackingUri?: string;
  timeout?: string;
  requestTimeout?: string;
  json?: boolean;
}

const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/** The backends whose spools `gymnos sync` delivers, by the name a spool's run.json records. */
const BACKENDS: Readonly<Record<string, SyncBackend>> = {
  mlflow: MLFLOW_SYNC_BACKEND,
  comet: COMET_SYNC_BACKEND,
  wandb: WANDB_SYNC_BACKEND,
};
type StopSignal = keyof typeof SIGNAL_EXIT;

/** "3 metrics, 1 param and the FINISHED status": the counts that are not 0. */
function countsSentence(counts: DeliveryCounts & { status: string | null }): string {
  const parts = countsText(counts);
  if (counts.status) parts.push(`the ${counts.status} status`);
  if (parts.length === 0) return 'the run itself';
  return parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

const isEmpty = (counts: DeliveryCounts & { status: string | null }) =>
  counts.metrics + counts.params + counts.tags + counts.artifacts === 0 && !counts.status;

/** The run as its line names it: its gymnos run id, and its spool when that is not the default place. */
function runLabel(run: SyncedRun, logdir: string): string {
  const spool = path.relative(path.resolve(logdir), run.spoolDir);
  const id = JSON.stringify(run.runId).slice(1, -1); // control characters shown escaped
  return spool === path.join(run.runId, `${run.backend}-spool`) ? id : `${id} (${spool})`;
}

function lineOf(run: SyncedRun, logdir: string): string {
  const label = runLabel(run, logdir);
  const where = `${run.trackingUri}${run.backendRunId ? ` run ${run.backendRunId}` : ''}`;
  switch (run.status) {
    case 'delivered':
      return `${label}: delivered ${countsSentence(run.delivered)} to ${where}${killedNote(run)}`;
    case 'in-sync':
      return `${label}: already in sync with ${where}`;
    case 'incomplete':
      return (
        `${label}: delivered ${countsSentence(run.delivered)} to ${where}; the server refused ${run.rejectedCount} ` +
        `for good (first: ${run.rejected[0]?.key}: ${run.rejected[0]?.reason})`
      );
    case 'busy':
      return `${label}: not delivered: the spool is ${run.error}; sync it once that process ends`;
    case 'skipped':
      return `${label}: not tried (interrupted); its spool is kept`;
    case 'failed':
      return (
        `${label}: failed: ${run.error}` +
        (isEmpty(run.delivered) ? '' : `; delivered ${countsSentence(run.delivered)}`) +
        `; the spool is kept${isEmpty(run.undelivered) ? '' : ` (${countsSentence(run.undelivered)})`} in ` +
        (path.relative(process.cwd(), run.spoolDir) || '.')
      );
  }
}

/** Said of a run whose process was killed before it could end its run. */
function killedNote(run: SyncedRun): string {
  return run.killed ? ' (its process was killed before it ended the run: marked KILLED)' : '';
}

/** A number of seconds above 0 given to `flag`, in milliseconds; `fallback` when not given. */
function secondsOption(flag: string, option: string | undefined, fallback: number | undefined): number | undefined {
  if (option === undefined) return fallback;
  const seconds = Number(option);
  if (option.trim() === '' || !Number.isFinite(seconds) || seconds <= 0) {
    throw new GymnosError('SYNC_BAD_TIMEOUT', `${flag} ${option}: give a number of seconds above 0 (e.g. 60)`);
  }
  return seconds * 1000;
}

export async function runSync(logdir: string, options: SyncCliOptions, document: JsonDocument): Promise<number> {
  const trackingUri = options.trackingUri;
  // What is printed of the URI never holds its credentials (they are used, not shown).
  const shownUri = trackingUri === undefined ? null : redactCredentials(trackingUri);
  document.fields = { logdir, trackingUri: shownUri, runs: [] };
  const timeout = secondsOption('--timeout', options.timeout, 30_000)!;
  const requestTimeout = secondsOption('--request-timeout', options.requestTimeout, undefined);
  await checkSyncInputs(logdir, trackingUri);

  // A first SIGINT/SIGTERM stops after the request in flight; a second one ends the process at once (each
  // request already moved the spool's offset, so nothing is sent twice).
  const controller = new AbortController();
  let received: StopSignal | undefined;
  const onSignal = (signal: StopSignal) => {
    if (received) process.exit(SIGNAL_EXIT[received]);
    received = signal;
    if (!options.json) printError(`${signal}: stopping after the request in flight…`);
    controller.abort();
  };
  const listeners = (['SIGINT', 'SIGTERM'] as const).map((signal) => {
    const listener = () => onSignal(signal);
    process.on(signal, listener);
    return [signal, listener] as const;
  });
  let runs: SyncedRun[];
  try {
    runs = await syncLogdir(logdir, BACKENDS, {
      ...(trackingUri ? { trackingUri } : {}),
      timeoutMs: timeout,
      ...(requestTimeout ? { requestTimeoutMs: requestTimeout } : {}),
      signal: controller.signal,
      onWaiting: (runId, spoolDir, message) => printError(`${JSON.stringify(runId).slice(1, -1)}: ${message}`),
      onRun: (run) => {
        if (options.json) return;
        printLine(lineOf(run, logdir));
        for (const warning of run.warnings) printError(`${runLabel(run, logdir)}: ${warning}`);
      },
    });
  } finally {
    for (const [signal, listener] of listeners) process.removeListener(signal, listener);
  }

  const notDelivered = runs.filter((run) => !['delivered', 'in-sync'].includes(run.status));
  const code = received ? SIGNAL_EXIT[received] : notDelivered.length > 0 ? EXIT.failure : EXIT.ok;
  if (options.json) {
    printJson({ ok: code === EXIT.ok, logdir, trackingUri: shownUri, interrupted: received ?? null, runs });
  } else if (runs.length === 0) {
    printLine(`nothing to sync: no spool of ${Object.keys(BACKENDS).join(' or ')} under ${logdir}`);
  }
  if (received) {
    printError(
      `interrupted by ${received}: ${notDelivered.length} of ${plural(runs.length, 'run')} not delivered; ` +
        `their spools are kept: run ${gymnosCommand(process.cwd(), 'sync')} again to resume`,
    );
  } else if (notDelivered.length > 0) {
    printError(
      `${notDelivered.length} of ${plural(runs.length, 'run')} could not be delivered; their spools are kept: ` +
        `run ${gymnosCommand(process.cwd(), 'sync')} again once the server answers`,
    );
  }
  return code;
}
