/**
 * The files of a run directory as both sides see them: the file trackers that write them (runtime/) and the
 * readers of `gymnos runs` and `gymnos report` (runs/, report/).
 */

/** The files of a run another tool can show: an image (PNG, JPEG…) or a figure (PNG, SVG, Vega-Lite, Plotly). */
export type RunFileKind = 'asset' | 'image' | 'figure';

/** A logged file as a reader found it: on disk (jsonl) or embedded in the event file (tensorboard). */
export interface RunFile {
  kind: RunFileKind;
  name: string;
  /** The path relative to the run directory (jsonl), or null when the bytes are embedded. */
  path: string | null;
  /** Embedded content (tensorboard images and figures), else undefined: read `path` when needed. */
  bytes?: Uint8Array;
  /** For embedded figures logged as text: `svg`, `vega-lite`, `plotly`. */
  format?: string;
  time: number;
}

/** How a run's files say it ended: `incomplete` when it ended but lines or records were lost (a full disk). */
export type EndStatus = 'finished' | 'failed' | 'incomplete';

/** Where to start reading a line-based file again: after the whole lines a previous read consumed. */
export interface ResumeAt {
  offset: number;
  lines: number;
}
