/** The conformance kit's public types: what a plugin's test gives the kit, and what its read-back returns. */
import type { Tracker } from '../trackers/tracker.js';

export interface ConformanceContext<T extends Tracker> {
  tracker: T;
  /** The directory given to `start` as `logdir`. */
  logdir: string;
  /** The run id given to `start`. */
  runId: string;
}

/**
 * A file the backend holds: the path of the stored copy (the kit reads its bytes), or its name as the backend
 * keeps it with the content read back (bytes, text, or for a Vega-Lite or Plotly figure its spec as an object or
 * its JSON text). A file is the one logged under `name` when its last path segment is `name` or starts with
 * `name.` (`figures/png.png` is the figure `png`).
 */
export type BackendFile = string | { name: string; content: Uint8Array | string | object };

/**
 * What the backend holds for the run, as the plugin reads it back. Leave out a kind the backend does not
 * record (a metrics-only backend returns only `metrics`): the kit then does not check it. A kind returned is
 * checked in full: every value, every batch, every file's content.
 */
export interface BackendRecord {
  metrics?: ReadonlyArray<{ name: string; step: number; value: number }>;
  /** Values as the backend keeps them: the JSON value, or its JSON text (backends that store strings). */
  params?: Readonly<Record<string, unknown>>;
  tags?: Readonly<Record<string, string>>;
  /** The assets, images and figures the backend received, with their content (see BackendFile). */
  files?: readonly BackendFile[];
}

export interface ConformanceOptions<T extends Tracker> {
  /** Reads back what reached the backend once the run has ended; see BackendRecord. */
  readBack?: (context: ConformanceContext<T>) => BackendRecord | Promise<BackendRecord>;
  /** A backend that cannot store NaN or ±Infinity: the kit then does not log them in the read-back run. */
  finiteOnly?: boolean;
  /**
   * A backend that keeps metric values as 32-bit floats (TensorBoard's scalars): values are compared as float32.
   * Otherwise every value must come back as the exact float64 logged.
   */
  float32?: boolean;
  /** Extra checks once the full lifecycle has ended, e.g. on files the backend wrote. */
  afterLifecycle?: (context: ConformanceContext<T>) => void | Promise<void>;
  /**
   * How long each call the kit awaits may take to settle, in milliseconds (default 10 000): the factory, `start`,
   * `flush`, `end`, `readBack` and `afterLifecycle`. One that does not fails its check, naming it.
   */
  timeout?: number;
  /**
   * A log call that blocks the event loop longer than this (default 50 ms) waits on I/O or computes in the
   * caller's thread: the kit fails it. Blocked time is the call's wall time less the time its thread waited for
   * a CPU, so a loaded machine does not count (see docs/api.md).
   */
  maxLogCallMs?: number;
}
