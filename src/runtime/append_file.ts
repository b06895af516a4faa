/**
 * The append-only file under every file tracker (jsonl's events.jsonl, csv's metrics.csv, a tensorboard event
 * file): whole records in, whole records on disk, whatever the disk does.
 *
 * - **Created exclusively** for a new run (`O_EXCL`): of two processes starting the same run, the second one's
 *   open fails with EEXIST, which the tracker reports as RUN_EXISTS. A check before the create would leave a
 *   moment in which both find nothing and both write one mixed file.
 * - **A failed write leaves the file as it was.** A full disk (or a quota) makes a write stop part way, in the
 *   middle of a record; the next write would glue its records onto that half and tear the file in its middle,
 *   where no reader skips it. So the bytes of a failed write are cut off again (`ftruncate` back to the last whole
 *   record, which needs no space), and its records stay held in memory, first in line for the next write. When
 *   the disk has room again, they are written, in order, and nothing was lost.
 * - **Memory stays bounded while the disk is full**: beyond `maxHeldBytes` held, new records are dropped and
 *   counted (`lostRecords`), and the tracker reports the run as incomplete. Writes are retried at most every
 *   RETRY_MS while they fail, so a full buffer during an outage does not rewrite the held megabytes each time.
 *
 * Writes are synchronous (`writeSync` of a whole chunk): a training loop that never yields would otherwise pile
 * up asynchronous writes, and a process ending on a signal would leave one half done (the exit hook runs while
 * the thread pool still writes). A chunk of a megabyte reaches the page cache in well under a millisecond.
 */
import { closeSync, constants, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { GymnosError } from '../errors.js';

/** What a file holds in memory at most while its writes fail, before it drops records. */
export const DEFAULT_MAX_HELD_BYTES = 64 * 1024 * 1024;

/** While writes fail, the held records are retried at most this often (flush, end and exit always retry). */
const RETRY_MS = 250;

export interface AppendFileOptions {
  /** True: the file must not exist (a new run); false: append to it, creating it if need be (a resumed run). */
  exclusive: boolean;
  maxHeldBytes?: number;
}

export class AppendOnlyFile {
  readonly path: string;
  readonly #maxHeld: number;
  #fd: number | undefined;
  /** Bytes on disk, all of them whole records. */
  #size: number;
  #held: Uint8Array[] = [];
  #heldBytes = 0;
  #heldRecords = 0;
  #lostRecords = 0;
  #retryAt = 0;
  #lastError: unknown;
  #appended = 0;

  /** Opens `path`; with `exclusive`, an existing file is an EEXIST error (nothing is written). */
  constructor(path: string, options: AppendFileOptions) {
    this.path = path;
    this.#maxHeld = options.maxHeldBytes ?? DEFAULT_MAX_HELD_BYTES;
    const flags =
      constants.O_RDWR | constants.O_CREAT | constants.O_APPEND | (options.exclusive ? constants.O_EXCL : 0);
    this.#fd = openSync(path, flags, 0o666);
    this.#size = fstatSync(this.#fd).size;
  }

  /** The descriptor, for a reader of what is already there (a resumed run's last line); undefined once closed. */
  get fd(): number | undefined {
    return this.#fd;
  }

  /** Bytes on disk (whole records), also after `close`. */
  get size(): number {
    return this.#size;
  }

  /** Records whose write failed and that wait in memory for the next one. */
  get heldRecords(): number {
    return this.#heldRecords;
  }

  /** Every record given to `append`, written or not. */
  get appendedRecords(): number {
    return this.#appended;
  }

  /** Records dropped: held beyond the bound while the disk was full, or still held when the file was closed. */
  get lostRecords(): number {
    return this.#lostRecords;
  }

  /** The error of the last failed write, if any (what a lost record's report names as the cause). */
  get lastError(): unknown {
    return this.#lastError;
  }

  /** Cuts the file to `size` bytes (a resumed run's half-written last record). */
  truncate(size: number): void {
    if (this.#fd === undefined) return;
    ftruncateSync(this.#fd, size);
    this.#size = size;
  }

  /**
   * Appends `records` whole records, `chunk`, after any held ones. On failure the file is left as it was, the
   * chunk is held (a copy: the caller may reuse its buffer) or, beyond the bound, dropped, and the error thrown.
   * `retry` false: while writes fail, a recent failure holds the chunk without trying (a full buffer's write).
   */
  append(chunk: Uint8Array, records: number, retry = true): void {
    this.#appended += records;
    if (this.#fd === undefined) {
      // Closed, or given up on (see #cutBack).
      this.#lostRecords += records;
      return;
    }
    if (this.#heldRecords > 0) {
      // Held without a try, unless the chunk would be dropped: then the disk may well have room by now.
      if (!retry && Date.now() < this.#retryAt && this.#heldBytes + chunk.length <= this.#maxHeld) {
        this.#hold(chunk, records);
        return;
      }
      try {
        this.writeHeld();
      } catch (error) {
        this.#hold(chunk, records);
        throw error;
      }
    }
    try {
      this.#writeWhole(chunk);
    } catch (error) {
      this.#hold(chunk, records);
      throw error;
    }
  }

  /** Writes the held records, if any; throws (and keeps them) when it still cannot. */
  writeHeld(): void {
    if (this.#heldRecords === 0 || this.#fd === undefined) return;
    const chunk = this.#held.length === 1 ? this.#held[0]! : Buffer.concat(this.#held);
    this.#writeWhole(chunk);
    this.#held = [];
    this.#heldBytes = 0;
    this.#heldRecords = 0;
  }

  /** Closes the file (idempotent); records still held are lost, and counted. */
  close(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    this.#fd = undefined;
    this.#lostRecords += this.#heldRecords;
    this.#held = [];
    this.#heldBytes = 0;
    this.#heldRecords = 0;
    closeSync(fd);
  }

  #writeWhole(chunk: Uint8Array): void {
    const fd = this.#fd!;
    let written = 0;
    try {
      while (written < chunk.length) written += writeSync(fd, chunk, written, chunk.length - written);
    } catch (error) {
      this.#lastError = error;
      this.#retryAt = Date.now() + RETRY_MS;
      // Shrinking a file needs no free space: the half-written record goes, and the file ends on a whole one.
      if (written > 0) this.#cutBack(fd, error);
      throw error;
    }
    this.#size += chunk.length;
  }

  /**
   * Cuts off a partial write. If even that fails, nothing more is written to the file (a record appended after
   * half of one would hide everything after it from the readers): what was held, and what comes, is lost.
   */
  #cutBack(fd: number, writeError: unknown): void {
    try {
      ftruncateSync(fd, this.#size);
    } catch (cutError) {
      this.close();
      throw new Error(
        `${(writeError as Error).message}; the partial write could not be cut off (${(cutError as Error).message}), ` +
          'so nothing more is written to the file',
        { cause: cutError },
      );
    }
  }

  #hold(chunk: Uint8Array, records: number): void {
    if (this.#fd === undefined || this.#heldBytes + chunk.length > this.#maxHeld) {
      this.#lostRecords += records;
      return;
    }
    this.#held.push(Buffer.from(chunk)); // a copy: the caller reuses its buffer
    this.#heldBytes += chunk.length;
    this.#heldRecords += records;
  }
}

function messageOf(error: unknown): string {
  return (error as Error | undefined)?.message ?? String(error);
}

function formatBytes(bytes: number): string {
  return bytes >= 1 << 20 ? `${Math.round(bytes / (1 << 20))} MiB` : `${Math.round(bytes / 1024)} KiB`;
}

function warnWrite(message: string): void {
  process.emitWarning(message, { type: 'GymnosWarning', code: 'GYMNOS_WRITE_FAILED' });
}

/**
 * What a file tracker says when its writes fail, the same for the three of them: one warning when writes start
 * failing (an outage), one when records start being dropped; `flush()` throws RUN_INCOMPLETE once for records
 * dropped since it last did, and `end()` for all of them. Log calls never throw.
 */
export class WriteFailureReport {
  readonly #label: string;
  readonly #file: AppendOnlyFile;
  /** `lines`, `rows`, `records`: what the file holds, in messages. */
  readonly #unit: string;
  readonly #maxHeldBytes: number;
  #failing = false;
  #warnedLoss = false;
  #thrownLoss = 0;

  constructor(label: string, file: AppendOnlyFile, unit: string, maxHeldBytes: number) {
    this.#label = label;
    this.#file = file;
    this.#unit = unit;
    this.#maxHeldBytes = maxHeldBytes;
  }

  /** After a write: `error` when it failed, undefined when everything was written. */
  note(error: unknown): void {
    if (error === undefined) {
      // Held records not retried yet (a recent failure, see RETRY_MS) mean the outage goes on.
      if (this.#file.heldRecords === 0) this.#failing = false;
      return;
    }
    if (!this.#failing) {
      this.#failing = true;
      warnWrite(
        `${this.#label}: could not write ${this.#file.path}: ${messageOf(error)}; what is logged is kept in ` +
          `memory (up to ${formatBytes(this.#maxHeldBytes)}) and written once there is room`,
      );
    }
    if (this.#file.lostRecords > 0 && !this.#warnedLoss) {
      this.#warnedLoss = true;
      warnWrite(
        `${this.#label}: ${this.#file.path} could not be written for too long: ${this.#unit} are being dropped, ` +
          'and the run will be reported incomplete',
      );
    }
  }

  /** RUN_INCOMPLETE for the records dropped since the last call that returned one, else undefined. */
  newLoss(): GymnosError | undefined {
    const lost = this.#file.lostRecords;
    if (lost <= this.#thrownLoss) return undefined;
    this.#thrownLoss = lost;
    return this.incomplete();
  }

  /** RUN_INCOMPLETE naming every record that never reached the file, and why; undefined when none. */
  incomplete(): GymnosError | undefined {
    const lost = this.#file.lostRecords;
    if (lost === 0) return undefined;
    const file = this.#file.path;
    return new GymnosError(
      'RUN_INCOMPLETE',
      `${this.#label}: ${lost} of ${this.#file.appendedRecords} ${this.#unit} could not be written to ${file} ` +
        `(${messageOf(this.#file.lastError)}); the run is incomplete`,
      { kind: 'failure', details: { file, lost }, cause: this.#file.lastError },
    );
  }

  /** The warning of a process that ends (exit, signal) with records not written, if it does. */
  atExit(failure: unknown, unwritten: number): void {
    const missing = unwritten + this.#file.lostRecords;
    if (failure === undefined && missing === 0) return;
    warnWrite(
      `${this.#label}: the process ends with ${missing} ${this.#unit} not written to ${this.#file.path} ` +
        `(${messageOf(failure ?? this.#file.lastError)}); the run is incomplete`,
    );
  }
}
