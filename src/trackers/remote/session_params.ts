/**
 * The parameters every remote tracker takes for its delivery, whatever its backend: the request bounds and backoff,
 * the spool and the memory queue, the timers and the waits of `start`, `flush` and `end`; and the options of a
 * spool's later delivery (`<Backend>Tracker.deliverSpool`). Each backend's params type extends these.
 */

/** How each request is bounded and retried (also when a spool is delivered later). */
export interface RemoteRequestParams {
  /** First bound of one HTTP request; it adapts to what the server needs. Default 10 000 ms. */
  requestTimeoutMs?: number;
  /** First retry delay after a failure; doubles each failure (with jitter). Default 500 ms. */
  retryBaseMs?: number;
  /** Longest retry delay. Default 30 000 ms. */
  retryMaxMs?: number;
}

/** A tracker's session: its spool, its memory queue, its timer and how long each call waits. */
export interface RemoteSessionParams {
  /** Where undelivered data waits. Default: `<logdir>/<runId>/<backend>-spool`. */
  spoolDir?: string;
  /**
   * Continue the run of an earlier session of this run id (its spool's `run.json`): the same run on the server,
   * its leftovers delivered first. Without it, `start` refuses such a run id. Default false.
   */
  resume?: boolean;
  /** Bound of the spool (queued records plus spooled figure files). Default 256 MiB. */
  maxSpoolBytes?: number;
  /** Bound of the memory queue; beyond it what is queued goes to the spool on disk. Default 100 000 items. */
  maxQueueItems?: number;
  /** How often the background sender sends what is queued. Default 1 000 ms. */
  flushIntervalMs?: number;
  /** How long `start` waits for the server before going on without it. Default 5 000 ms. */
  startTimeoutMs?: number;
  /** How long `flush` waits for delivery. Default 30 000 ms. */
  flushTimeoutMs?: number;
  /** How long `end` waits for delivery before reporting what is left. Default 30 000 ms. */
  endTimeoutMs?: number;
}

/** The names of RemoteSessionParams, for `load`'s check of each remote tracker's keys (registry/params.ts). */
export const REMOTE_SESSION_PARAMS = [
  'spoolDir',
  'resume',
  'maxSpoolBytes',
  'maxQueueItems',
  'flushIntervalMs',
  'startTimeoutMs',
  'flushTimeoutMs',
  'endTimeoutMs',
] as const satisfies readonly (keyof RemoteSessionParams)[];

/** How a spool left by an earlier session is delivered (`deliverSpool`, `gymnos sync`). */
export interface SpoolDeliveryParams {
  /** How long to go on without progress before giving up (what is left stays in the spool). Default 30 000 ms. */
  timeoutMs?: number;
  /**
   * Stops the delivery early (`gymnos sync` on SIGINT or SIGTERM): no new request starts, the one in flight is
   * waited for (at most `requestTimeoutMs`) and accounted for, and what is left stays in the spool.
   */
  signal?: AbortSignal;
  /** Receives the delivery's warnings instead of `process.emitWarning` (`gymnos sync` words its own). */
  onWarning?: (code: string, message: string) => void;
  /** Called once, at once, when the server does not answer, with the error, before the delivery waits for it. */
  onOutage?: (error: string) => void;
}

/** The defaults of the numeric parameters above. */
export const REMOTE_DEFAULTS = {
  requestTimeoutMs: 10_000,
  retryBaseMs: 500,
  retryMaxMs: 30_000,
  maxSpoolBytes: 256 * 1024 * 1024,
  maxQueueItems: 100_000,
  flushIntervalMs: 1_000,
  startTimeoutMs: 5_000,
  flushTimeoutMs: 30_000,
  endTimeoutMs: 30_000,
};
