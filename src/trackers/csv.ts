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
import { LineFileTracker } from './line_file_tracker.js';
import type { LineFileTrackerParams } from './line_file_tracker.js';
import type { ParamValue } from './tracker.js';
import { DISCARD_LINES, stringifyJson } from '../runtime/buffered_file.js';
import type { FileRun, LineSink } from '../runtime/buffered_file.js';
import { finiteNumberText } from '../runtime/number_text.js';

/** The csv tracker's parameters (`resume`: append to a run whose `metrics.csv` exists). */
export type CsvTrackerParams = LineFileTrackerParams;

/** The header row of metrics.csv. */
export const CSV_HEADER = 'step,name,value,timestamp';

/** Metric names whose quoted form is cached; beyond this many distinct names, names are quoted per call. */
const MAX_CACHED_NAMES = 10_000;

/** A CSV field per RFC 4180: quoted, with doubled quotes, when it holds a comma, a quote, a CR or an LF. */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
}

export class CsvTracker extends LineFileTracker {
  #run: FileRun | undefined;
  #metrics: LineSink = DISCARD_LINES;
  /** Per metric name: `,<name field>,`, the part of the row that never changes. */
  readonly #nameFields = new Map<string, string>();
  /** `,<timestamp>\n`, rebuilt only when the clock moves (many rows share a millisecond). */
  #tailTime = -1;
  #tail = '';

  constructor(params: CsvTrackerParams = {}) {
    super('csv', params);
  }

  /** Creates `metrics.csv` with its header (exclusively: a run that exists is RUN_EXISTS, unless resumed). */
  override start(runId: string, logdir: string): void {
    this.#run = this.openRun(runId, logdir, { name: 'metrics.csv', unit: 'rows', header: CSV_HEADER });
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
    this.#metrics.append(step + field + (value - value !== 0 ? String(value) : finiteNumberText(value)) + this.#tail);
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
