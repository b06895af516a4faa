/**
 * The `csv` tracker: the scalars of a run as one long-format `metrics.csv` (`step,name,value,timestamp`, one
 * row per logged value) that pandas, R and spreadsheets read as is, plus `params.json` and `tags.json`, in
 * `<logdir>/<runId>/`. See docs/trackers/csv.md.
 *
 * Long format is what keeps the file append-only: a new metric name is a new value in the `name` column, not
 * a new column, so nothing already written is ever rewritten (a wide CSV must rewrite its header). Values
 * are written with JavaScript's number formatting: NaN and ±Infinity as `NaN`, `Infinity`, `-Infinity`,
 * which pandas (`read_csv`), Python's `float()` and JavaScript's `Number()` all parse. Names are quoted per
 * RFC 4180 when they contain a comma, a double quote, a CR or an LF. Assets, images and figures are not
 * kept (as in PyTorch Lightning's CSVLogger); pair it with `jsonl` in a TrackerList for those.
 */
import { Tracker } from './tracker.js';
import type { ParamValue, TrackerOptions } from './tracker.js';
import { DISCARD_LINES, FileRun, lineFileParams, stringifyJson } from '../runtime/buffered_file.js';
import type { LineSink } from '../runtime/buffered_file.js';
import { finiteNumberText, needsNumberText } from '../runtime/number_text.js';

export interface CsvTrackerParams extends TrackerOptions {
  /** Period of the background flush, in milliseconds; 0 turns the timer off. Default 1000. */
  flushIntervalMs?: number;
  /** The buffer is written out when it holds this much text (UTF-16 units, = bytes for ASCII). Default 256 KiB. */
  maxBufferBytes?: number;
  /**
   * While the disk refuses writes (full), what was logged is kept in memory up to this many bytes and written
   * once it has room; beyond, lines are dropped and the run ends incomplete. Default 64 MiB.
   */
  maxHeldBytes?: number;
  /** Append to a run whose `metrics.csv` exists; without it, `start` refuses such a run id. Default false. */
  resume?: boolean;
}

/** The header row of metrics.csv. */
export const CSV_HEADER = 'step,name,value,timestamp';

/** Metric names whose quoted form is cached; beyond this many distinct names, names are quoted per call. */
const MAX_CACHED_NAMES = 10_000;

/** A CSV field per RFC 4180: quoted, with doubled quotes, when it holds a comma, a quote, a CR or an LF. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
}

export class CsvTracker extends Tracker {
  readonly flushIntervalMs: number;
  readonly maxBufferBytes: number;
  readonly maxHeldBytes: number;
  readonly resume: boolean;
  #run: FileRun | undefined;
  #metrics: LineSink = DISCARD_LINES;
  /** Per metric name: `,<name field>,`, the part of the row that never changes. */
  readonly #nameFields = new Map<string, string>();
  /** `,<timestamp>\n`, rebuilt only when the clock moves (many rows share a millisecond). */
  #tailTime = -1;
  #tail = '';

  constructor(params: CsvTrackerParams = {}) {
    super(params);
    ({
      flushIntervalMs: this.flushIntervalMs,
      maxBufferBytes: this.maxBufferBytes,
      maxHeldBytes: this.maxHeldBytes,
      resume: this.resume,
    } = lineFileParams('csv', params));
  }

  /** `<logdir>/<runId>` once started. */
  get runDir(): string | undefined {
    return this.#run?.dir;
  }

  /** Creates `metrics.csv` with its header (exclusively: a run that exists is RUN_EXISTS, unless resumed). */
  override start(runId: string, logdir: string): void {
    this.#run = new FileRun('csv', logdir, runId, this, { name: 'metrics.csv', unit: 'rows', header: CSV_HEADER });
    this.#metrics = this.#run.data;
  }

  override logMetric(name: string, value: number, step = 0): void {
    let field = this.#nameFields.get(name);
    if (field === undefined) {
      field = ',' + csvField(name) + ',';
      if (this.#nameFields.size < MAX_CACHED_NAMES) this.#nameFields.set(name, field);
    }
    const now = Date.now();
    if (now !== this.#tailTime) {
      this.#tailTime = now;
      this.#tail = ',' + now + '\n';
    }
    // NaN and ±Infinity as "NaN", "Infinity", "-Infinity", which pandas and python's float() read.
    this.#metrics.append(step + field + (needsNumberText(value) ? finiteNumberText(value) : value) + this.#tail);
  }

  override logParam(name: string, value: ParamValue): void {
    this.#run?.params.set(name, JSON.parse(stringifyJson(value))); // a snapshot, NaN/Infinity as strings
  }

  override logTag(key: string, value: string): void {
    this.#run?.tags.set(key, value);
  }

  override flush(): void {
    this.#run?.writeOut();
  }

  override end(): void {
    this.#run?.close();
  }
}
