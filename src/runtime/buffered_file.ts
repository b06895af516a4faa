/**
 * What the line-file trackers (`jsonl`, `csv`) share: the run directory with its one append-only data file behind
 * an in-memory buffer, JSON documents rewritten atomically, a flush timer that never keeps the process alive, and
 * the exit hook that writes what is still buffered when the process ends without `end()`.
 *
 * Log calls only append to a string (V8 concatenates ropes, so appending is cheap and allocates nothing but the
 * line). The buffer is written as one chunk (runtime/append_file.ts: synchronous, whole lines, a failed write
 * leaves the file as it was and keeps its lines for the next) when it reaches its size limit, on the timer, on
 * `flush()` and on `end()`. Every chunk ends with a newline, so a crash in the middle of a write can only cut the
 * last line short.
 */
import { finiteNumberText, needsNumberText } from './number_text.js';
import { fstatSync, readFileSync, readSync } from 'node:fs';
import path from 'node:path';
import { AppendOnlyFile, DEFAULT_MAX_HELD_BYTES, WriteFailureReport } from './append_file.js';
import { cancelFlushAtExit, flushAtExit } from './exit_flush.js';
import type { SyncFlushable } from './exit_flush.js';
import { booleanParam, makeRunDirectory, numberParam, runDirectory, runExistsError } from './tracker_params.js';
import { writeFileAtomicSync } from '../util/atomic_write.js';
import { removeFile } from '../util/remove_file.js';
import { defineName } from './name_table.js';

/** Default size at which a buffer is written out: 256 KiB of text (larger buffers promote more garbage). */
const DEFAULT_MAX_BUFFER_BYTES = 1 << 18;

/** Default period of the flush timer. */
const DEFAULT_FLUSH_INTERVAL_MS = 1000;

/** Where a tracker appends its lines. */
export interface LineSink {
  append(text: string): void;
}

/**
 * The sink of a tracker whose `start` failed (the base class counts it as started, so log calls still reach
 * the hooks): lines are dropped instead of every log call throwing a TypeError; `start` has reported why.
 */
export const DISCARD_LINES: LineSink = { append() {} };

/** An append-only text file: `append` buffers whole lines, the buffer is written when it reaches its limit. */
class BufferedAppendFile implements LineSink {
  readonly file: AppendOnlyFile;
  #buffer = '';
  /** Lines in the buffer. */
  #lines = 0;
  readonly #limit: number;
  readonly #onBackgroundError: (error: unknown) => void;

  /**
   * Opens `path`: a new file (`exclusive`; EEXIST if it is there) or one to append to, after cutting a
   * half-written last line. `maxBufferBytes` counts UTF-16 code units of buffered text (bytes for ASCII).
   * `onBackgroundError`: a write of a full buffer failed (log calls never throw).
   */
  constructor(
    path: string,
    options: {
      exclusive: boolean;
      maxBufferBytes: number;
      maxHeldBytes: number;
      onBackgroundError: (error: unknown) => void;
    },
  ) {
    this.file = new AppendOnlyFile(path, { exclusive: options.exclusive, maxHeldBytes: options.maxHeldBytes });
    this.#limit = options.maxBufferBytes;
    this.#onBackgroundError = options.onBackgroundError;
    try {
      if (!options.exclusive) this.file.truncate(wholeLinesLength(this.file.fd!));
    } catch (error) {
      this.file.close();
      throw error;
    }
  }

  /** Lines logged that are not in the file: still buffered, or held after a failed write. */
  get pendingLines(): number {
    return this.#lines + this.file.heldRecords;
  }

  /** Buffers `text` (one whole line, ending in a newline); writes the buffer out once it is full. */
  append(text: string): void {
    this.#buffer += text;
    this.#lines++;
    if (this.#buffer.length >= this.#limit) {
      try {
        this.#write(false);
      } catch (error) {
        this.#onBackgroundError(error);
      }
    }
  }

  /** Writes what is buffered or held; throws when the disk does not take it (the lines stay held). */
  flushSync(): void {
    this.#write(true);
  }

  /** Writes what it can and closes the file (idempotent); lines still unwritten are lost (`file.lostRecords`). */
  close(): void {
    try {
      this.flushSync();
    } finally {
      this.file.close();
    }
  }

  #write(retry: boolean): void {
    if (this.#lines === 0) {
      this.file.writeHeld();
      return;
    }
    const chunk = Buffer.from(this.#buffer, 'utf8');
    const lines = this.#lines;
    this.#buffer = '';
    this.#lines = 0;
    this.file.append(chunk, lines, retry);
  }
}

/**
 * The length of a file's whole lines: a run resumed after a crash may end in a half-written line, and appending
 * to it would glue the next line onto it and break the file in the middle.
 */
function wholeLinesLength(fd: number): number {
  const size = fstatSync(fd).size;
  const block = Buffer.alloc(Math.min(size, 1 << 16));
  let end = size;
  while (end > 0) {
    const length = Math.min(block.length, end);
    readSync(fd, block, 0, length, end - length);
    const newline = block.lastIndexOf(0x0a, length - 1);
    if (newline !== -1) return end - length + newline + 1;
    end -= length;
  }
  return 0;
}

// Numbers whose JSON text must differ from JSON.stringify's are passed through the replacer as marked strings,
// then unquoted: the marker holds a NUL, which JSON.stringify always escapes inside a real string.
const NUMBER_MARK = '\u0000gymnos-number:';
const MARKED_NUMBER = /"\\u0000gymnos-number:([^"]*)"/g;

/**
 * `JSON.stringify` that keeps NaN and ±Infinity as the strings "NaN", "Infinity", "-Infinity", and writes every
 * other number so that all readers read it back the same (`finiteNumberText`: `-0.0`, `1e+20`).
 */
export function stringifyJson(value: unknown, indent?: number): string {
  let marked = false;
  const text = JSON.stringify(
    value,
    (_key, item: unknown) => {
      if (typeof item !== 'number') return item;
      if (!Number.isFinite(item)) return String(item);
      if (!needsNumberText(item) || (item === 0 && !Object.is(item, -0))) return item;
      marked = true;
      return NUMBER_MARK + finiteNumberText(item);
    },
    indent,
  );
  return marked ? text.replace(MARKED_NUMBER, '$1') : text;
}

/** A JSON object kept in memory and written to its file (atomically) when it changed. */
class JsonObjectFile {
  readonly path: string;
  readonly values: Record<string, unknown>;
  #dirty = false;

  constructor(path: string, initial: Record<string, unknown> = {}) {
    this.path = path;
    this.values = initial;
  }

  set(key: string, value: unknown): void {
    defineName(this.values, key, value);
    this.#dirty = true;
  }

  /** Rewrites the file if anything changed since the last write (a failed write is tried again next time). */
  flushSync(): void {
    if (!this.#dirty) return;
    writeFileAtomicSync(this.path, stringifyJson(this.values, 2) + '\n');
    this.#dirty = false;
  }
}

/** A repeating timer that does not keep the process alive; `intervalMs` 0 means no timer. */
function startFlushTimer(intervalMs: number, flush: () => void): NodeJS.Timeout | undefined {
  if (intervalMs === 0) return undefined;
  const timer = setInterval(flush, Math.min(intervalMs, 2 ** 31 - 1));
  timer.unref();
  return timer;
}

/** The most bytes a stem from `safeFileName` takes: a file system allows 255, and a suffix and extension follow. */
const MAX_STEM_BYTES = 100;

/**
 * A file name derived from a user-given name: letters and digits of any script (with their combining marks),
 * `.`, `_` and `-` are kept, every other run of characters (including `/`) becomes `_`; no leading dot, at most
 * MAX_STEM_BYTES bytes of UTF-8, cut between characters.
 */
export function safeFileName(name: string): string {
  const safe = name.replace(/[^\p{L}\p{M}\p{N}._-]+/gu, '_').replace(/^\./, '_');
  let stem = '';
  let bytes = 0;
  for (const character of safe) {
    bytes += Buffer.byteLength(character);
    if (bytes > MAX_STEM_BYTES) break;
    stem += character;
  }
  return stem === '' ? '_' : stem;
}

/** The parameters of a line-file tracker (jsonl, csv), checked. */
export interface LineFileParams {
  readonly flushIntervalMs: number;
  readonly maxBufferBytes: number;
  readonly maxHeldBytes: number;
  readonly resume: boolean;
}

/** The parameters of `LineFileParams` as given to tracker `label`, checked, with their defaults. */
export function lineFileParams(
  label: string,
  params: { flushIntervalMs?: unknown; maxBufferBytes?: unknown; maxHeldBytes?: unknown; resume?: unknown },
): LineFileParams {
  const { flushIntervalMs, maxBufferBytes, maxHeldBytes, resume } = params;
  return {
    flushIntervalMs: numberParam(label, 'flushIntervalMs', flushIntervalMs, DEFAULT_FLUSH_INTERVAL_MS, { min: 0 }),
    maxBufferBytes: numberParam(label, 'maxBufferBytes', maxBufferBytes, DEFAULT_MAX_BUFFER_BYTES, { min: 0 }),
    maxHeldBytes: numberParam(label, 'maxHeldBytes', maxHeldBytes, DEFAULT_MAX_HELD_BYTES, { min: 0 }),
    resume: booleanParam(label, 'resume', resume),
  };
}

/** The run's append-only file, in the run directory. */
export interface DataFileSpec {
  /** `events.jsonl`, `metrics.csv`. */
  name: string;
  /** What it holds, in messages: `lines`, `rows`. */
  unit: string;
  /** Written when the file is created (the csv header), so that a run killed at once still has it. */
  header?: string;
}

/**
 * The directory of one run, `<logdir>/<runId>`, with its append-only data file, `params.json` and `tags.json`, the
 * flush timer and the exit hook. A new run creates its data file exclusively, so a second process starting the
 * same run id gets RUN_EXISTS and writes nothing. A write that fails (a full disk) keeps the lines for the next
 * one, as append_file.ts describes: warned about, thrown by `flush()` while they cannot be written, and the lines
 * that never were reported by `close()` as RUN_INCOMPLETE. Log calls never throw.
 */
export class FileRun implements SyncFlushable {
  readonly dir: string;
  readonly data: BufferedAppendFile;
  readonly params: JsonObjectFile;
  readonly tags: JsonObjectFile;
  readonly #report: WriteFailureReport;
  readonly #timer: NodeJS.Timeout | undefined;
  #closed = false;

  /** Called after a successful write at process end (a tracker's summary of what is on disk). */
  afterExitWrite: (() => void) | undefined;

  /** Creates the run directory and the data file and starts the timer. `label` names the tracker. */
  constructor(label: string, logdir: string, runId: string, options: LineFileParams, dataFile: DataFileSpec) {
    this.dir = runDirectory(label, logdir, runId);
    makeRunDirectory(label, this.dir);
    const dataPath = path.join(this.dir, dataFile.name);
    try {
      this.data = new BufferedAppendFile(dataPath, {
        exclusive: !options.resume,
        maxBufferBytes: options.maxBufferBytes,
        maxHeldBytes: options.maxHeldBytes,
        onBackgroundError: (error) => this.#report.note(error),
      });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw runExistsError(label, this.dir, runId);
      throw error;
    }
    this.#report = new WriteFailureReport(label, this.data.file, dataFile.unit, options.maxHeldBytes);
    try {
      if (dataFile.header !== undefined && this.data.file.size === 0) {
        this.data.append(dataFile.header + '\n');
        this.data.flushSync();
      }
      this.params = new JsonObjectFile(
        path.join(this.dir, 'params.json'),
        readJsonObject(label, this.dir, 'params.json'),
      );
      this.tags = new JsonObjectFile(path.join(this.dir, 'tags.json'), readJsonObject(label, this.dir, 'tags.json'));
    } catch (error) {
      this.data.file.close();
      // A new run that could not start leaves nothing: its id stays free for the next try.
      if (!options.resume) removeFile(dataPath);
      throw error;
    }
    this.#timer = startFlushTimer(options.flushIntervalMs, () => this.#writeAll());
    flushAtExit(this);
  }

  /**
   * Writes every buffer and changed document. Throws the first error (the lines stay held for the next write),
   * or RUN_INCOMPLETE once for lines dropped since the last time it did.
   */
  writeOut(): void {
    const failure = this.#writeAll();
    if (failure !== undefined) throw failure;
    const loss = this.#report.newLoss();
    if (loss) throw loss;
  }

  /**
   * Stops the timer, writes everything out and closes the data file. Idempotent. Throws RUN_INCOMPLETE when
   * lines logged never reached the file, else the first write error.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    cancelFlushAtExit(this);
    const failure = this.#writeAll();
    this.data.file.close();
    const incomplete = this.#report.incomplete();
    if (incomplete) throw incomplete;
    if (failure !== undefined) throw failure;
  }

  flushAtExit(): void {
    const failure = this.#writeAll();
    const unwritten = this.data.pendingLines;
    if (failure === undefined && unwritten === 0 && this.data.file.lostRecords === 0) this.afterExitWrite?.();
    else this.#report.atExit(failure, unwritten);
  }

  /** Writes the buffer, held lines and changed documents; returns the first error (warned about). */
  #writeAll(): unknown {
    let first: unknown;
    for (const target of [this.data, this.params, this.tags]) {
      try {
        target.flushSync();
      } catch (error) {
        first ??= error;
      }
    }
    this.#report.note(first);
    return first;
  }
}

/** The object in `dir/name` when a resumed run left one, else an empty object (an unreadable one is warned about). */
function readJsonObject(label: string, dir: string, name: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path.join(dir, name), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through to the warning
  }
  process.emitWarning(`${label}: ${path.join(dir, name)} is not a JSON object; it will be rewritten`, {
    type: 'GymnosWarning',
    code: 'GYMNOS_RESUME_INVALID',
  });
  return {};
}
