/**
 * What the file-based trackers (`jsonl`, `csv`) share: an append-only text file behind an in-memory buffer,
 * JSON documents rewritten atomically, a flush timer that never keeps the process alive, and one `exit`
 * listener that writes what is still buffered when the process exits without `end()`.
 *
 * Log calls only append to a string (V8 concatenates ropes, so appending is cheap and allocates nothing but
 * the line). The buffer is written with one synchronous `writeSync` of the whole chunk when it reaches its
 * size limit, on the timer, on `flush()` and on `end()`. Synchronous on purpose: a training loop that never
 * yields to the event loop would otherwise pile up pending asynchronous writes, and memory would grow with
 * the number of scalars; a chunk of a megabyte goes to the page cache in well under a millisecond.
 * Every chunk ends with a newline, so a crash in the middle of a write can only cut the last line short.
 */
import { finiteNumberText, needsNumberText } from './number_text.js';
import { closeSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import path from 'node:path';
import { cancelFlushAtExit, flushAtExit } from './exit_flush.js';
import type { SyncFlushable } from './exit_flush.js';
import { refuseExistingRun, runDirectory } from './tracker_params.js';
import { writeFileAtomicSync } from '../util/atomic_write.js';

/** Default size at which a buffer is written out: 256 KiB of text (larger buffers promote more garbage). */
export const DEFAULT_MAX_BUFFER_BYTES = 1 << 18;

/** Default period of the flush timer. */
export const DEFAULT_FLUSH_INTERVAL_MS = 1000;

function emitWriteWarning(file: string, error: unknown): void {
  process.emitWarning(`could not write ${file}: ${(error as Error).message ?? String(error)}`, {
    type: 'GymnosWarning',
    code: 'GYMNOS_WRITE_FAILED',
  });
}

/** Where a tracker appends its lines. */
export interface LineSink {
  append(text: string): void;
}

/**
 * The sink of a tracker whose `start` failed (the base class counts it as started, so log calls still reach
 * the hooks): lines are dropped instead of every log call throwing a TypeError; `start` has reported why.
 */
export const DISCARD_LINES: LineSink = { append() {} };

/** An append-only text file: `append` buffers, the buffer is written when it reaches `maxBufferBytes`. */
export class BufferedAppendFile implements LineSink {
  readonly path: string;
  #fd: number | undefined;
  #buffer = '';
  readonly #limit: number;
  /** A write that failed during an automatic flush, raised by the next `flushSync`. */
  #error: unknown;
  /** Bytes in the file: what was there at open (whole lines), then every byte written since. */
  #written: number;
  #lost = false;

  /**
   * Opens (creates) `path` for appending; nothing that is already there is ever rewritten. `maxBufferBytes`
   * counts UTF-16 code units of buffered text, which equals bytes for ASCII.
   */
  constructor(path: string, maxBufferBytes: number = DEFAULT_MAX_BUFFER_BYTES) {
    this.path = path;
    this.#limit = maxBufferBytes;
    this.#fd = openSync(path, 'a+');
    dropPartialLastLine(this.#fd);
    this.#written = fstatSync(this.#fd).size;
  }

  /** The file's length as this writer made it (whole lines only), also after `close`. */
  get writtenBytes(): number {
    return this.#written;
  }

  /** True once a write failed: some lines logged are not in the file. */
  get lostWrites(): boolean {
    return this.#lost;
  }

  /** Bytes already in the file (at open time this says whether a header is needed). */
  get sizeOnDisk(): number {
    return this.#fd === undefined ? 0 : fstatSync(this.#fd).size;
  }

  /** Characters waiting in memory. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /** Buffers `text` (whole lines, ending in a newline); writes the buffer out once it is full. */
  append(text: string): void {
    this.#buffer += text;
    if (this.#buffer.length >= this.#limit) this.#flushQuietly();
  }

  /** Writes the buffer out. Throws if this write, or an earlier automatic one, failed. */
  flushSync(): void {
    const earlier = this.#error;
    this.#error = undefined;
    if (this.#buffer.length > 0 && this.#fd !== undefined) {
      const chunk = Buffer.from(this.#buffer, 'utf8');
      this.#buffer = '';
      let offset = 0;
      try {
        while (offset < chunk.length) offset += writeSync(this.#fd, chunk, offset, chunk.length - offset);
      } catch (error) {
        this.#lost = true;
        throw error;
      } finally {
        this.#written += offset;
      }
    }
    if (earlier !== undefined) throw earlier;
  }

  /** Flushes and closes the file; later appends are dropped. Idempotent. */
  close(): void {
    if (this.#fd === undefined) return;
    try {
      this.flushSync();
    } finally {
      closeSync(this.#fd);
      this.#fd = undefined;
      this.#buffer = '';
    }
  }

  /**
   * A failed automatic write must not throw into the log call that triggered it (training goes on): the
   * chunk is dropped so memory stays bounded, and the next `flushSync` raises the error.
   */
  #flushQuietly(): void {
    try {
      this.flushSync();
    } catch (error) {
      this.#buffer = '';
      this.#error ??= error;
    }
  }
}

/**
 * A run resumed after a crash may end in a half-written line; appending to it would glue the next line onto
 * it and break the file in the middle. The partial line is cut off, back to the last newline.
 */
function dropPartialLastLine(fd: number): void {
  const size = fstatSync(fd).size;
  if (size === 0) return;
  const block = Buffer.alloc(Math.min(size, 1 << 16));
  let end = size;
  while (end > 0) {
    const length = Math.min(block.length, end);
    readSync(fd, block, 0, length, end - length);
    const newline = block.lastIndexOf(0x0a, length - 1);
    if (newline !== -1) {
      const keep = end - length + newline + 1;
      if (keep < size) ftruncateSync(fd, keep);
      return;
    }
    end -= length;
  }
  ftruncateSync(fd, 0);
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
export class JsonDocument {
  readonly path: string;
  readonly values: Record<string, unknown>;
  #dirty = false;

  constructor(path: string, initial: Record<string, unknown> = {}) {
    this.path = path;
    this.values = initial;
  }

  set(key: string, value: unknown): void {
    // defineProperty: a key named `__proto__` stays a key (an assignment would set the prototype instead).
    Object.defineProperty(this.values, key, { value, enumerable: true, writable: true, configurable: true });
    this.#dirty = true;
  }

  /** Rewrites the file if anything changed since the last write. */
  flushSync(): void {
    if (!this.#dirty) return;
    this.#dirty = false;
    writeFileAtomicSync(this.path, stringifyJson(this.values, 2) + '\n');
  }
}

/** A repeating timer that does not keep the process alive; `intervalMs` 0 means no timer. */
export function startFlushTimer(intervalMs: number, flush: () => void): NodeJS.Timeout | undefined {
  if (intervalMs === 0) return undefined;
  const timer = setInterval(flush, Math.min(intervalMs, 2 ** 31 - 1));
  timer.unref();
  return timer;
}

/**
 * A file name derived from a user-given name: letters, digits, `.`, `_` and `-` are kept, every other run of
 * characters (including `/`) becomes `_`; no leading dot, at most 100 characters.
 */
export function safeFileName(name: string): string {
  const safe = name
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^\./, '_')
    .slice(0, 100);
  return safe === '' ? '_' : safe;
}

/**
 * The directory of one run, `<logdir>/<runId>`, with its append-only files, `params.json` and `tags.json`, the
 * flush timer and the exit hook. Errors of background writes (timer, full buffer) are warned about once and
 * raised by the next `writeOut()`, so `flush()` and `end()` report them while log calls never throw.
 */
export class FileRun implements SyncFlushable {
  readonly dir: string;
  readonly params: JsonDocument;
  readonly tags: JsonDocument;
  readonly #label: string;
  readonly #files: BufferedAppendFile[] = [];
  readonly #timer: NodeJS.Timeout | undefined;
  #error: unknown;
  #closed = false;

  /** Called after a successful write at process end (a tracker's summary of what is on disk). */
  afterExitWrite: (() => void) | undefined;

  /**
   * Creates the run directory and starts the timer. `label` names the tracker. A run this tracker already wrote
   * (`existing` says whether the directory holds its data) is refused unless `resume` is true: appending to a run
   * by accident mixes two runs into one.
   */
  constructor(
    label: string,
    logdir: string,
    runId: string,
    flushIntervalMs: number,
    options: { existing: (dir: string) => boolean; resume: boolean },
  ) {
    this.#label = label;
    this.dir = runDirectory(label, logdir, runId);
    refuseExistingRun(label, this.dir, runId, options);
    mkdirSync(this.dir, { recursive: true });
    this.params = new JsonDocument(path.join(this.dir, 'params.json'), readJsonObject(label, this.dir, 'params.json'));
    this.tags = new JsonDocument(path.join(this.dir, 'tags.json'), readJsonObject(label, this.dir, 'tags.json'));
    this.#timer = startFlushTimer(flushIntervalMs, () => this.#writeOutInBackground());
    flushAtExit(this);
  }

  /** Opens an append-only file of the run, written with the others. */
  openAppendFile(name: string, maxBufferBytes: number): BufferedAppendFile {
    const file = new BufferedAppendFile(path.join(this.dir, name), maxBufferBytes);
    this.#files.push(file);
    return file;
  }

  /** Writes every buffer and changed document; throws the first error met here or in the background. */
  writeOut(): void {
    let first = this.#error;
    this.#error = undefined;
    for (const target of [...this.#files, this.params, this.tags]) {
      try {
        target.flushSync();
      } catch (error) {
        first ??= error;
      }
    }
    if (first !== undefined) throw first;
  }

  /** Stops the timer, writes everything out and closes the files. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    cancelFlushAtExit(this);
    try {
      this.writeOut();
    } finally {
      for (const file of this.#files) {
        try {
          file.close();
        } catch {
          // writeOut has already reported the write error; closing must still release every descriptor.
        }
      }
    }
  }

  flushAtExit(): void {
    try {
      this.writeOut();
    } catch (error) {
      emitWriteWarning(`${this.#label} run ${this.dir}`, error);
      return;
    }
    this.afterExitWrite?.();
  }

  #writeOutInBackground(): void {
    try {
      this.writeOut();
    } catch (error) {
      if (this.#error === undefined) emitWriteWarning(`${this.#label} run ${this.dir}`, error);
      this.#error ??= error;
    }
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
