/**
 * What the line-file trackers (jsonl, csv) share: their options, checked once (the flush period, the buffer, what
 * is held while the disk is full, resume), and their run: the directory, the append-only data file created
 * exclusively, params.json and tags.json (runtime/buffered_file.ts's FileRun). Each adds its own lines.
 */
import { Tracker } from './tracker.js';
import type { TrackerOptions } from './tracker.js';
import { FileRun, lineFileParams } from '../runtime/buffered_file.js';
import type { DataFileSpec } from '../runtime/buffered_file.js';

export interface LineFileTrackerParams extends TrackerOptions {
  /** Period of the background flush, in milliseconds; 0 turns the timer off. Default 1000. */
  flushIntervalMs?: number;
  /** The buffer is written out when it holds this much text (UTF-16 units, = bytes for ASCII). Default 256 KiB. */
  maxBufferBytes?: number;
  /**
   * While the disk refuses writes (full), what was logged is kept in memory up to this many bytes and written
   * once it has room; beyond, lines are dropped and the run ends incomplete. Default 64 MiB.
   */
  maxHeldBytes?: number;
  /** Append to a run whose data file exists; without it, `start` refuses such a run id. Default false. */
  resume?: boolean;
}

export abstract class LineFileTracker extends Tracker {
  readonly flushIntervalMs: number;
  readonly maxBufferBytes: number;
  readonly maxHeldBytes: number;
  readonly resume: boolean;
  readonly #label: string;
  #fileRun: FileRun | undefined;

  /** `label` names the tracker in errors and warnings (`jsonl`, `csv`). */
  constructor(label: string, params: LineFileTrackerParams) {
    super(params);
    this.#label = label;
    ({
      flushIntervalMs: this.flushIntervalMs,
      maxBufferBytes: this.maxBufferBytes,
      maxHeldBytes: this.maxHeldBytes,
      resume: this.resume,
    } = lineFileParams(label, params));
  }

  /** `<logdir>/<runId>` once started. */
  get runDir(): string | undefined {
    return this.#fileRun?.dir;
  }

  /** Creates the run's directory and its data file (exclusively: a run that exists is RUN_EXISTS, unless resumed). */
  protected openRun(runId: string, logdir: string, dataFile: DataFileSpec): FileRun {
    this.#fileRun = new FileRun(this.#label, logdir, runId, this, dataFile);
    return this.#fileRun;
  }
}
