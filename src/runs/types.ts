/**
 * What the run readers report. Each file tracker's reader (jsonl, csv, tensorboard) streams a run's files and
 * calls a `RunVisitor` once per event, so a summary or a report is built in one pass with bounded memory.
 */
import type { EndStatus, ResumeAt, RunFile } from '../runtime/run_dir/types.js';

export type RunStatus = EndStatus | 'running-or-crashed' | 'unknown';

export interface RunVisitor {
  /**
   * One scalar: `time` in milliseconds since the epoch. The hot path. `exactAt` is -1 when `value` is exact;
   * otherwise `value` is within a few units in the last place of the logged number, whose text starts at that
   * byte offset of `ReadReport.exactFile` (see `ExactValues`): jsonl values of 16 and 17 significant digits
   * are parsed this way, so only the few values a summary keeps are parsed exactly.
   */
  metric(name: string, step: number, value: number, time: number, exactAt: number): void;
  param?(name: string, value: unknown): void;
  tag?(key: string, value: string): void;
  file?(file: RunFile): void;
  /** The run's end, as the files record it (jsonl status line, tensorboard hparams session end). */
  status?(status: EndStatus, time: number): void;
  /** Any event, metric or not, with its time: for the run's start and last activity. */
  time?(time: number): void;
  /** A line (a record, for tensorboard) the reader cannot use, by its number, and why; reading goes on. */
  skip?(line: number, why: string): void;
}

/** What a reader saw besides the events: how far the file was whole, and what it skipped. */
export interface ReadReport {
  /** For line-based files (jsonl, csv): the bytes and lines of whole lines read, from the file's start. */
  consumed?: ResumeAt;
  /** True when the file ended in a partial line or record (a crash, or a write in progress): it was skipped. */
  truncatedTail: boolean;
  /** Problems that stopped or limited the reading (a corrupt record), one line each. */
  warnings: string[];
  /** The file `exactAt` offsets point into. */
  exactFile?: string;
  /** For tensorboard: true once an hparams session start was seen (a run that can record its end). */
  sessionStarted?: boolean;
}
