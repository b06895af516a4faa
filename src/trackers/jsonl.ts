/**
 * The `jsonl` tracker, gymnos's embedded default: one directory per run, `<logdir>/<runId>/`, holding an
 * append-only `events.jsonl` (one JSON object a line: time, step, kind, name, value), `params.json`,
 * `tags.json`, and copies of the logged assets, images and figures. See docs/trackers/jsonl.md.
 *
 * Log calls build a line by string concatenation and append it to an in-memory buffer; the buffer is written
 * in one chunk when it is full, on a timer, on `flush()` and on `end()` (see runtime/buffered_file.ts).
 * JSON has no NaN: a non-finite metric value is written as the string "NaN", "Infinity" or "-Infinity", and
 * every other value is a number, so a reader can tell. `readJsonlEvents` decodes them back.
 */
import { constants, createReadStream } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LineFileTracker } from './line_file_tracker.js';
import type { LineFileTrackerParams } from './line_file_tracker.js';
import { describeFigure } from './tracker.js';
import type { Figure, ParamValue } from './tracker.js';
import { DISCARD_LINES, safeFileName, stringifyJson } from '../runtime/buffered_file.js';
import type { FileRun, LineSink } from '../runtime/buffered_file.js';
import { finiteNumberText } from '../runtime/number_text.js';
import { RunSummaryWriter } from '../runtime/run_summary.js';
import type { MetricRecord } from '../runtime/run_summary.js';

/** The jsonl tracker's parameters (`resume`: append to a run whose `events.jsonl` exists). */
export type JsonlTrackerParams = LineFileTrackerParams;

/** One line of `events.jsonl`, as `readJsonlEvents` returns it (non-finite metric values decoded). */
export type JsonlEvent =
  | { time: number; step: number; kind: 'metric'; name: string; value: number }
  | { time: number; step: null; kind: 'param'; name: string; value: ParamValue }
  | { time: number; step: null; kind: 'tag'; name: string; value: string }
  /** `value` is the path of the copy, relative to the run directory, with `/` separators. */
  | { time: number; step: null; kind: 'asset' | 'image' | 'figure'; name: string; value: string }
  /**
   * The last line of a run that ended: `name` "run", `value` "finished", "failed", or "incomplete" (lines were
   * lost: the disk had no room for them).
   */
  | { time: number; step: null; kind: 'status'; name: string; value: 'finished' | 'failed' | 'incomplete' };

export type JsonlEventKind = JsonlEvent['kind'];

/** Metric names whose line prefix is cached; beyond this many distinct names, prefixes are built per call. */
const MAX_CACHED_NAMES = 10_000;

type FileKind = 'asset' | 'image' | 'figure';

export class JsonlTracker extends LineFileTracker {
  #run: FileRun | undefined;
  #events: LineSink = DISCARD_LINES;
  /** What summary.json will hold (runtime/run_summary.ts). */
  #summary = new RunSummaryWriter();
  /**
   * Per metric name: `,"kind":"metric","name":<json>,"value":` (the part of the line that never changes) and
   * its summary record, found with one lookup.
   */
  readonly #metrics = new Map<string, { middle: string; record: MetricRecord }>();
  #headTime = -1;
  #head = '';
  /** File writes in flight; `flush()` waits for them. */
  readonly #pending = new Set<Promise<void>>();
  /** Per sub-directory: true once it exists, or the promise that creates it. */
  readonly #dirs = new Map<string, true | Promise<unknown>>();
  /** Per `dir/stem.ext`: how many files were given that name, for the `_1`, `_2` suffixes. */
  readonly #fileCounts = new Map<string, number>();

  constructor(params: JsonlTrackerParams = {}) {
    super('jsonl', params);
  }

  /** Creates `events.jsonl` (exclusively: a run that exists is RUN_EXISTS, unless resumed). */
  override start(runId: string, logdir: string): void {
    const run = this.openRun(runId, logdir, { name: 'events.jsonl', unit: 'lines' });
    this.#summary.resume(run.dir, run.data.file.size);
    this.#events = run.data;
    // A process that ends without end() still leaves a summary of what it wrote.
    run.afterExitWrite = () => this.#saveSummary();
    this.#run = run;
  }

  override logMetric(name: string, value: number, step = 0): void {
    let metric = this.#metrics.get(name);
    if (metric === undefined) {
      metric = {
        middle: ',"kind":"metric","name":' + JSON.stringify(name) + ',"value":',
        record: this.#summary.record(name),
      };
      if (this.#metrics.size < MAX_CACHED_NAMES) this.#metrics.set(name, metric);
    }
    // Many calls fall in the same millisecond: the line's head is rebuilt only when the clock moves.
    const now = Date.now();
    if (now !== this.#headTime) {
      this.#headTime = now;
      this.#head = '{"time":' + now + ',"step":';
    }
    // value - value is 0 exactly when value is finite; NaN and ±Infinity become "NaN", "Infinity", "-Infinity".
    const text = value - value !== 0 ? '"' + value + '"' : finiteNumberText(value);
    this.#events.append(this.#head + step + metric.middle + text + '}\n');
    this.#summary.point(metric.record, step, value, now);
  }

  override logParam(name: string, value: ParamValue): void {
    const json = stringifyJson(value);
    const snapshot: unknown = JSON.parse(json); // the caller may mutate its object later
    this.#run?.params.set(name, snapshot);
    const time = Date.now();
    this.#events.append(eventLine(time, 'param', name, json));
    this.#summary.param(name, snapshot, time);
  }

  override logTag(key: string, value: string): void {
    this.#run?.tags.set(key, value);
    const time = Date.now();
    this.#events.append(eventLine(time, 'tag', key, JSON.stringify(value)));
    this.#summary.tag(key, value, time);
  }

  override logAsset(name: string, filePath: string): void {
    this.#storeFile('asset', name, path.extname(filePath), (target) =>
      copyFile(filePath, target, constants.COPYFILE_EXCL),
    );
  }

  override logImage(name: string, filePath: string): void {
    this.#storeFile('image', name, path.extname(filePath), (target) =>
      copyFile(filePath, target, constants.COPYFILE_EXCL),
    );
  }

  override logFigure(name: string, figure: Figure): void {
    const described = describeFigure(name, figure);
    // Serialised now (CPU only): the caller may reuse its array or mutate its spec after the call.
    const data = 'spec' in described ? stringifyJson(described.spec, 2) + '\n' : Buffer.from(described.bytes);
    this.#storeFile('figure', name, '.' + described.extension, (target) => writeFile(target, data, { flag: 'wx' }));
  }

  /** Waits for file copies in flight, then writes the buffer and the changed params/tags. */
  override async flush(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
    this.#run?.writeOut();
  }

  /**
   * Appends the run's status line and closes the files (the base class has flushed just before): `finished`,
   * `failed` when given an error, `incomplete` when lines were lost to a disk without room (end() then throws
   * RUN_INCOMPLETE saying how many).
   */
  override end(error?: unknown): void {
    const run = this.#run;
    if (!run) return;
    const time = Date.now();
    const status = error !== undefined ? 'failed' : run.data.file.lostRecords > 0 ? 'incomplete' : 'finished';
    this.#events.append(eventLine(time, 'status', 'run', '"' + status + '"'));
    this.#summary.status(status, time);
    try {
      run.close();
    } finally {
      this.#saveSummary();
    }
  }

  /** summary.json for every line on disk; none when a line is not (readers then read the file). */
  #saveSummary(): void {
    const run = this.#run;
    if (!run) return;
    const file = run.data;
    try {
      if (file.file.lostRecords > 0 || file.pendingLines > 0) this.#summary.invalidate();
      this.#summary.save(run.dir, file.file.size);
    } catch (error) {
      process.emitWarning(`jsonl: ${run.dir}/summary.json was not written: ${(error as Error).message}`, {
        type: 'GymnosWarning',
        code: 'GYMNOS_WRITE_FAILED',
      });
    }
  }

  /**
   * Writes a file of the run in the background and appends its event once the file is complete, so every
   * path in events.jsonl exists. The write starts at the call (the libuv thread pool copies while training
   * goes on); an existing file is never overwritten: the name takes a `_1`, `_2`... suffix instead.
   */
  #storeFile(kind: FileKind, name: string, extension: string, write: (target: string) => Promise<unknown>): void {
    if (!this.#run) return;
    const time = Date.now();
    const dir = kind + 's';
    const stem = safeFileName(name);
    const runDir = this.#run.dir;
    const store = async () => {
      for (;;) {
        const key = `${dir}/${stem}${extension}`;
        const count = this.#fileCounts.get(key) ?? 0;
        this.#fileCounts.set(key, count + 1);
        const relative = `${dir}/${count === 0 ? stem : `${stem}_${count}`}${extension}`;
        try {
          await write(path.join(runDir, relative));
          this.#events.append(eventLine(time, kind, name, JSON.stringify(relative)));
          this.#summary.file(kind, name, relative, time);
          return;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
      }
    };
    const ready = this.#dirs.get(dir);
    const task = (ready === true ? store() : this.#makeDir(runDir, dir).then(store)).catch((error: unknown) => {
      process.emitWarning(`jsonl: ${kind} "${name}" was not saved: ${(error as Error).message ?? String(error)}`, {
        type: 'GymnosWarning',
        code: 'GYMNOS_FILE_NOT_SAVED',
      });
    });
    this.#pending.add(task);
    void task.finally(() => this.#pending.delete(task));
  }

  #makeDir(runDir: string, dir: string): Promise<unknown> {
    let making = this.#dirs.get(dir);
    if (!(making instanceof Promise)) {
      making = mkdir(path.join(runDir, dir), { recursive: true }).then(() => this.#dirs.set(dir, true));
      this.#dirs.set(dir, making);
    }
    return making;
  }
}

function eventLine(time: number, kind: JsonlEventKind, name: string, valueJson: string): string {
  return (
    '{"time":' +
    time +
    ',"step":null,"kind":"' +
    kind +
    '","name":' +
    JSON.stringify(name) +
    ',"value":' +
    valueJson +
    '}\n'
  );
}

/** The non-finite numbers as events.jsonl writes them. */
const NON_FINITE: Readonly<Record<string, number>> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
};

function decodeEvent(line: string, file: string, lineNumber: number): JsonlEvent {
  let event: { kind?: unknown; value?: unknown };
  try {
    event = JSON.parse(line) as typeof event;
  } catch (error) {
    throw new SyntaxError(`${file}:${lineNumber}: not a JSON line: ${(error as Error).message}`, { cause: error });
  }
  if (event.kind === 'metric' && typeof event.value === 'string') {
    const decoded = NON_FINITE[event.value];
    if (decoded === undefined) {
      throw new SyntaxError(`${file}:${lineNumber}: metric value ${JSON.stringify(event.value)} is not a number`);
    }
    event.value = decoded;
  }
  return event as JsonlEvent;
}

/**
 * Reads the events of an `events.jsonl` file one by one, streaming. A last line without its newline is a write
 * cut short by a crash (or one still in progress) and is skipped; any other line that is not JSON is an error
 * naming the file and line. Non-finite metric values come back as NaN and ±Infinity.
 */
export async function* iterateJsonlEvents(file: string): AsyncGenerator<JsonlEvent> {
  let rest = '';
  let lineNumber = 0;
  for await (const chunk of createReadStream(file, { encoding: 'utf8' })) {
    const text = rest + (chunk as string);
    let start = 0;
    let newline: number;
    while ((newline = text.indexOf('\n', start)) !== -1) {
      lineNumber += 1;
      const line = text.slice(start, newline);
      start = newline + 1;
      if (line.trim() !== '') yield decodeEvent(line, file, lineNumber);
    }
    rest = text.slice(start);
  }
}

/** Every complete event of an `events.jsonl` file (see `iterateJsonlEvents`). */
export async function readJsonlEvents(file: string): Promise<JsonlEvent[]> {
  const events: JsonlEvent[] = [];
  for await (const event of iterateJsonlEvents(file)) events.push(event);
  return events;
}
