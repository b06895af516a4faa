/**
 * `gymnos sync`'s work, for every backend: find every spool under a logdir and deliver each with its backend's
 * `deliverSpool` (the `backend` its run.json names; `mlflow` when it names none, as the first backend's spools
 * did), one at a time, saying for each run what was delivered, that it was already in sync, or why it failed.
 *
 * Idempotent by construction: a spool consumes its queue from the front (its cursor moves past each request
 * the server took, and a request in doubt is asked about before it is sent again) and records the run's id and
 * pending status in run.json, so a second sync finds nothing to send, and an interrupted one resumes where the
 * first stopped. A spool locked by a live process (a run still logging, another sync) is left to it, untouched;
 * a lock left by a killed process is taken over (util/file_lock.ts).
 */
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { GymnosError, isGymnosError } from '../../errors.js';
import { redactCredentials } from '../../util/redact.js';
import { NOTICEABLE_WAIT_MS } from './session_end.js';
import type { DeliveryReport, RejectedItem } from './ledger.js';
import type { DeliveryCounts } from './records.js';
import type { RunMeta } from './spool.js';

/** What a backend gives `gymnos sync`: how to deliver one of its spools, and where it goes. */
export interface SyncBackend {
  /** The URI a spool is delivered to: the one given, the backend's environment variable, the one recorded. */
  targetUri(meta: RunMeta | undefined, trackingUri: string | undefined): string;
  /** The backend's id of the run its spool recorded (undefined before the run was created). */
  runIdOf(meta: RunMeta | undefined): string | undefined;
  /** The report may carry the backend's own facts of the run (MLflow's `experimentId`). */
  deliverSpool(spoolDir: string, options: SpoolDeliveryOptions): Promise<DeliveryReport & { experimentId?: string }>;
}

/** What the sync asks of one spool's delivery. */
export interface SpoolDeliveryOptions {
  trackingUri?: string;
  timeoutMs: number;
  requestTimeoutMs?: number;
  retryBaseMs?: number;
  signal?: AbortSignal;
  onWarning: (code: string, message: string) => void;
  onOutage?: (error: string) => void;
}

/**
 * - `delivered`: everything the spool held reached the server;
 * - `in-sync`: there was nothing to send (an earlier sync or the run itself delivered it all);
 * - `incomplete`: delivered, but the server refused some items for good (listed in `rejected`);
 * - `failed`: something is left in the spool (the server did not answer, refused the credentials, lost the run);
 * - `busy`: another live process holds the spool;
 * - `skipped`: not tried, the sync was interrupted first.
 */
export type SyncStatus = 'delivered' | 'in-sync' | 'incomplete' | 'failed' | 'busy' | 'skipped';

export interface SyncedRun {
  /** The gymnos run id the spool was written for. */
  runId: string;
  spoolDir: string;
  status: SyncStatus;
  /** The backend that delivered it (run.json's `backend`). */
  backend: string;
  /** Where it was delivered (without credentials). */
  trackingUri: string;
  /** MLflow's experiment id (other backends: null). */
  experimentId: string | null;
  /** The backend's id of the run: MLflow's run id, Comet's experiment key, W&B's run id. */
  backendRunId: string | null;
  /**
   * @deprecated `backendRunId` under the name `--json` gave it when only MLflow runs were synced (docs/cli.md
   * promised it, whatever the backend); kept for scripts that read it.
   */
  mlflowRunId: string | null;
  delivered: DeliveryCounts & { status: string | null };
  /** Left in the spool for a later sync. */
  undelivered: DeliveryCounts & { status: string | null };
  rejected: RejectedItem[];
  rejectedCount: number;
  /**
   * The run's process was killed before it ended its session (SIGKILL, an OOM kill: no end(), no exit handler):
   * its MLflow run was set KILLED.
   */
  killed: boolean;
  /** Why the run is not (entirely) delivered. */
  error: string | null;
  /** What the delivery warned about that `status` and `error` do not already say (a refusal, a bug). */
  warnings: string[];
}

export interface SyncOptions {
  /** Overrides the backend's environment variable (MLFLOW_TRACKING_URI) and the URI each spool recorded. */
  trackingUri?: string;
  /** How long one run may go without progress (a server that does not answer). Default 30 000 ms. */
  timeoutMs?: number;
  /** The first bound of one request; it grows after a timeout (request_timeouts.ts). Default 10 000 ms. */
  requestTimeoutMs?: number;
  retryBaseMs?: number;
  /** Stops after the request in flight (SIGINT, SIGTERM); runs not reached are `skipped`. */
  signal?: AbortSignal;
  /** Called as each run is settled, for output as it goes. */
  onRun?: (run: SyncedRun) => void;
  /** Called at once when a run's server does not answer, before the sync waits for it (`timeoutMs`). */
  onWaiting?: (runId: string, spoolDir: string, message: string) => void;
}

/** Warnings (by the end of their code) that a run's status and error already say (the spool's failure too). */
const SAID_BY_STATUS = /_(UNAVAILABLE|DELIVERY_STOPPED)$/;

/** The backend of spools whose run.json names none: the first one's. */
const DEFAULT_BACKEND = 'mlflow';

const SKIPPED_DIRECTORIES = new Set(['node_modules', '.git']);

function isRunMeta(value: unknown): value is RunMeta {
  const meta = value as Partial<RunMeta> | null;
  return (
    typeof meta === 'object' &&
    meta !== null &&
    meta.version === 1 &&
    typeof meta.trackingUri === 'string' &&
    typeof meta.gymnosRunId === 'string' &&
    typeof meta.startTime === 'number'
  );
}

/**
 * What makes a directory no spool of ours while the walk looks: it, or its run.json, gone meanwhile, not what its
 * name says, or unreadable. Anything else (a disk's EIO) is thrown for the command to report: a spool is never
 * skipped in silence because its disk failed.
 */
const NOT_A_SPOOL_CODES: ReadonlySet<string> = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM', 'ELOOP']);

const isNotASpool = (error: unknown) => NOT_A_SPOOL_CODES.has((error as NodeJS.ErrnoException).code ?? '');

/**
 * What the walk throws for a file system error it does not expect: one line naming the file and the error, exit 1,
 * not an internal error (the disk failed, not gymnos). An error without a code (a bug) is thrown as it is.
 */
function unexpected(file: string, error: unknown): unknown {
  const { code } = error as NodeJS.ErrnoException;
  if (typeof code !== 'string') return error;
  return new GymnosError('SPOOL_UNREADABLE', `${file}: cannot read it (${code})`, {
    kind: 'failure',
    hint: 'check the disk, then run gymnos sync again',
    details: { file, errorCode: code },
    cause: error,
  });
}

/** A spool's run.json, or undefined when `dir` holds none: no run.json, not JSON, or not a spool's shape. */
async function readMeta(dir: string): Promise<RunMeta | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(dir, 'run.json'), 'utf8');
  } catch (error) {
    if (isNotASpool(error)) return undefined;
    throw unexpected(path.join(dir, 'run.json'), error);
  }
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch (error) {
    if (error instanceof SyntaxError) return undefined; // a file of that name that is not a spool's
    throw error;
  }
  return isRunMeta(meta) ? meta : undefined;
}

/**
 * The spool directories under `logdir` (a directory holding a spool's `run.json`), sorted; the walk does not
 * follow symbolic links nor enter a spool, node_modules or .git.
 */
async function findSpools(logdir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isNotASpool(error)) return; // vanished or unreadable: nothing of ours to deliver there
      throw unexpected(dir, error);
    }
    if (entries.some((entry) => entry.isFile() && entry.name === 'run.json') && (await readMeta(dir))) {
      found.push(dir);
      return;
    }
    for (const entry of entries) {
      if (!entry.isDirectory() || SKIPPED_DIRECTORIES.has(entry.name) || entry.name.endsWith('.lock')) continue;
      await walk(path.join(dir, entry.name));
    }
  };
  await walk(path.resolve(logdir));
  return found.sort();
}

/** Checks the logdir before anything is read or sent: a usage error (exit 2) when it is not usable. */
export async function checkLogdir(logdir: string): Promise<void> {
  const stats = await stat(logdir).catch(() => undefined);
  if (!stats) {
    throw new GymnosError('LOGDIR_NOT_FOUND', `${logdir} does not exist; give the logdir your runs were logged to`, {
      details: { logdir },
    });
  }
  if (!stats.isDirectory()) {
    throw new GymnosError(
      'LOGDIR_NOT_A_DIRECTORY',
      `${logdir} is not a directory; give the logdir your runs were logged to`,
      { details: { logdir } },
    );
  }
}

const zero = (): DeliveryCounts & { status: string | null } => ({
  metrics: 0,
  params: 0,
  tags: 0,
  artifacts: 0,
  status: null,
});

const total = (counts: DeliveryCounts) => counts.metrics + counts.params + counts.tags + counts.artifacts;

function settled(
  spoolDir: string,
  meta: RunMeta | undefined,
  backend: SyncBackend,
  report: DeliveryReport & { experimentId?: string },
): SyncedRun {
  // The status to send: KILLED for a run whose process was killed before its end, found so by this delivery (its
  // session still open), which sets it over the status the run left (a resumed run's RUNNING); else the one the run
  // left. A later sync finds the session `killed` and KILLED sent already.
  const markedKilled = report.killed === true && meta?.session === 'open';
  const pending = markedKilled ? 'KILLED' : meta?.pendingStatus?.status;
  const statusSent = pending !== undefined && report.undelivered.status === undefined;
  const delivered = { ...report.delivered, status: statusSent ? pending : null };
  const undelivered = { ...report.undelivered, status: report.undelivered.status ?? null };
  const left = total(undelivered) > 0 || undelivered.status !== null || !report.runId;
  const sentNothing = total(delivered) === 0 && delivered.status === null && backend.runIdOf(meta) !== undefined;
  let status: SyncStatus;
  if (left) status = 'failed';
  else if (report.rejectedCount > 0) status = 'incomplete';
  else status = sentNothing ? 'in-sync' : 'delivered';
  let error: string | null = null;
  if (left && report.stoppedReason) error = report.stoppedReason;
  else if (left && report.spoolError) {
    // Its cursor could not move past what the server took (a full disk): the delivery stops reading, the server is
    // not to blame (its warning, GYMNOS_*_SPOOL_UNAVAILABLE, is left out: said here).
    error = `its spool could not be written (${report.spoolError}); make it writable, then run gymnos sync again`;
  } else if (left && report.lastError && /timed out/.test(report.lastError)) {
    error =
      `${report.trackingUri} did not answer in time (${report.lastError}); a server that needs longer per ` +
      'request can be given it with --request-timeout <seconds>';
  } else if (left) error = `${report.trackingUri} did not take it in time (${report.lastError ?? 'no answer'})`;
  else if (report.rejectedCount > 0) error = `the server refused ${report.rejectedCount} item(s)`;
  return {
    runId: meta?.gymnosRunId ?? path.basename(spoolDir),
    spoolDir,
    status,
    killed: markedKilled || (report.killed === true && meta?.pendingStatus?.status === 'KILLED'),
    backend: meta?.backend ?? DEFAULT_BACKEND,
    trackingUri: report.trackingUri,
    experimentId: report.experimentId ?? null,
    backendRunId: report.runId ?? null,
    mlflowRunId: report.runId ?? null,
    delivered,
    undelivered,
    rejected: report.rejected,
    rejectedCount: report.rejectedCount,
    error,
    warnings: [],
  };
}

/** A URI as reports show it: without credentials nor a trailing slash. */
function withoutCredentials(uri: string): string {
  return redactCredentials(uri).replace(/\/+$/, '');
}

function unsettled(
  spoolDir: string,
  meta: RunMeta | undefined,
  backend: SyncBackend | undefined,
  options: SyncOptions,
  status: SyncStatus,
  error: string | null,
): SyncedRun {
  const recorded = meta as { experimentId?: unknown } | undefined;
  return {
    runId: meta?.gymnosRunId ?? path.basename(spoolDir),
    spoolDir,
    status,
    backend: meta?.backend ?? DEFAULT_BACKEND,
    trackingUri: withoutCredentials(backend?.targetUri(meta, options.trackingUri) ?? meta?.trackingUri ?? ''),
    experimentId: typeof recorded?.experimentId === 'string' ? recorded.experimentId : null,
    backendRunId: backend?.runIdOf(meta) ?? null,
    mlflowRunId: backend?.runIdOf(meta) ?? null,
    killed: false,
    delivered: zero(),
    undelivered: zero(),
    rejected: [],
    rejectedCount: 0,
    error,
    warnings: [],
  };
}

/** Delivers every spool under `logdir`, in path order, each with the backend its run.json names. */
export async function syncLogdir(
  logdir: string,
  backends: Readonly<Record<string, SyncBackend>>,
  options: SyncOptions = {},
): Promise<SyncedRun[]> {
  const runs: SyncedRun[] = [];
  const done = (run: SyncedRun) => {
    runs.push(run);
    options.onRun?.(run);
  };
  // A server that did not answer for one run is not waited for again, run after run: the others stay spooled.
  const unreachable = new Map<string, string>();
  for (const spoolDir of await findSpools(logdir)) {
    const meta = await readMeta(spoolDir);
    const name = meta?.backend ?? DEFAULT_BACKEND;
    const backend = Object.hasOwn(backends, name) ? backends[name] : undefined;
    if (!backend) {
      const known = Object.keys(backends).join(', ');
      done(unsettled(spoolDir, meta, backend, options, 'failed', `its backend "${name}" is not one of ${known}`));
      continue;
    }
    if (options.signal?.aborted) {
      done(unsettled(spoolDir, meta, backend, options, 'skipped', 'interrupted before this run'));
      continue;
    }
    const uri = withoutCredentials(backend.targetUri(meta, options.trackingUri));
    if (unreachable.has(uri)) {
      done(unsettled(spoolDir, meta, backend, options, 'failed', `not tried: ${unreachable.get(uri)}`));
      continue;
    }
    const warnings: string[] = [];
    try {
      const runId = meta?.gymnosRunId ?? path.basename(spoolDir);
      const waitS = Math.round((options.timeoutMs ?? 30_000) / 1000);
      const report = await backend.deliverSpool(spoolDir, {
        onWarning: (code, message) => {
          if (!SAID_BY_STATUS.test(code)) warnings.push(message.replace(/^\w+Tracker: /, ''));
        },
        // A wait long enough to notice is announced at once, not after it.
        ...((options.timeoutMs ?? 30_000) >= NOTICEABLE_WAIT_MS && {
          onOutage: (error: string) =>
            options.onWaiting?.(
              runId,
              spoolDir,
              `${uri} does not answer (${error}); retrying for up to ${waitS} s without progress (Ctrl-C stops)`,
            ),
        }),
        ...(options.trackingUri ? { trackingUri: options.trackingUri } : {}),
        timeoutMs: options.timeoutMs ?? 30_000,
        ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
        ...(options.retryBaseMs ? { retryBaseMs: options.retryBaseMs } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const run = { ...settled(spoolDir, meta, backend, report), warnings };
      const noAnswer =
        run.status === 'failed' && total(run.delivered) === 0 && !report.stoppedReason && !options.signal?.aborted;
      if (noAnswer) unreachable.set(uri, `${uri} did not answer for run ${JSON.stringify(run.runId)}`);
      done(run);
    } catch (error) {
      if (!isGymnosError(error)) throw error;
      const busy = error.code === 'MLFLOW_SPOOL_BUSY';
      const pid = busy ? (error.details.pid as number | undefined) : undefined;
      const why = busy
        ? `in use by another process${pid ? ` (pid ${pid})` : ''} (a run still logging, or another sync)`
        : error.message.replace(/^\w+Tracker: /, '');
      done(unsettled(spoolDir, meta, backend, options, busy ? 'busy' : 'failed', why));
    }
  }
  return runs;
}
