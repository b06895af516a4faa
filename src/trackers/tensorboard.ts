/**
 * The `tensorboard` tracker writes TensorBoard event files natively, without TensorFlow or Python: TFRecord
 * framing with masked CRC32C around protobuf `Event` messages, in
 * `<logdir>/<runId>/events.out.tfevents.<unix seconds>.<hostname>.<pid>.<counter>`.
 *
 * What goes where: metrics are scalars (`simple_value`, a float32); images and PNG figures are
 * `Summary.Image`s with their width and height; SVG, Vega-Lite and Plotly figures are text summaries (the
 * markup or JSON in a fenced code block: TensorBoard has no dashboard that renders them); params are one
 * hparams `session_start_info` plus one text summary each; tags and assets are text summaries.
 *
 * Buffering: records are encoded straight into one preallocated buffer, written out as one synchronous chunk of
 * whole records (runtime/append_file.ts: a failed write leaves the file as it was and keeps the records for the
 * next) when it fills up, on a timer (`flushIntervalMs`, unref'ed), on `flush()`, `end()` and when the process
 * ends: memory stays bounded (about `bufferBytes`) however fast the loop logs, and no write is ever left half
 * done by a process that ends on a signal.
 */
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AppendOnlyFile, DEFAULT_MAX_HELD_BYTES, WriteFailureReport } from '../runtime/append_file.js';
import { EVENT_FILE_PREFIX } from '../runtime/event_files.js';
import { describeFigure } from '../runtime/figure.js';
import { cancelFlushAtExit, flushAtExit } from '../runtime/exit_flush.js';
import type { SyncFlushable } from '../runtime/exit_flush.js';
import { stringifyJson } from '../runtime/buffered_file.js';
import { imageInfo } from '../runtime/image_info.js';
import {
  encodeFileVersionEvent,
  encodeHparamsValue,
  encodeImageValue,
  encodeSessionEndInfo,
  encodeSessionStartInfo,
  encodeSummaryEvent,
  encodeTextValue,
  HPARAMS_SESSION_END_TAG,
  HPARAMS_SESSION_START_TAG,
  HPARAMS_STATUS,
  maxScalarRecordBytes,
  scalarTagPrefix,
  writeScalarRecord,
} from '../runtime/tf_event.js';
import type { HparamValue } from '../runtime/tf_event.js';
import { frameTfRecord } from '../runtime/tfrecord.js';
import {
  booleanParam,
  makeRunDirectory,
  numberParam,
  refuseExistingRun,
  runDirectory,
} from '../runtime/tracker_params.js';
import { lockFile, tryLockFileSync } from '../util/file_lock.js';
import type { ReleaseLock } from '../util/file_lock.js';
import { Tracker } from './tracker.js';
import type { Figure, ParamValue, TrackerOptions } from './tracker.js';

export interface TensorboardTrackerParams extends TrackerOptions {
  /** How often buffered events are written to the file, in milliseconds; 0 turns the timer off. Default 1000. */
  flushIntervalMs?: number;
  /**
   * Size of the write buffer in bytes (default 1 MiB, about 20 000 scalars). A full buffer is written at
   * once, synchronously: this bounds the memory the tracker holds.
   */
  bufferBytes?: number;
  /**
   * While the disk refuses writes (full), what was logged is kept in memory up to this many bytes and written
   * once it has room; beyond, records are dropped and the run ends incomplete. Default 64 MiB.
   */
  maxHeldBytes?: number;
  /** Add an event file to a run directory that has some (TensorBoard shows them as one run). Default false. */
  resume?: boolean;
}

interface PendingImage {
  tag: string;
  filePath: string;
  step: number;
  wallTime: number;
  bytes: Promise<Uint8Array | Error>;
}

/** How this tracker names itself in errors and warnings. */
const LABEL = 'TensorboardTracker';
const DEFAULT_FLUSH_INTERVAL_MS = 1000;
/** Metric names whose encoded tag bytes are cached; beyond this many, they are encoded per call. */
const MAX_CACHED_TAGS = 10_000;
const DEFAULT_BUFFER_BYTES = 1 << 20;
const MIN_BUFFER_BYTES = 4096;
/** A larger buffer is a mistake (`1e12`), not a wish: allocating it would fail with a raw RangeError. */
const MAX_BUFFER_BYTES = 1 << 30;
/**
 * A new run checks that its directory holds no event file and creates its own under this lock (a `.lock`
 * directory beside it for a few milliseconds), so that of two processes starting one run id the second finds the
 * first's file: event files have per-process names, so creating one exclusively proves nothing.
 */
const START_LOCK = '.gymnos-tensorboard-start';

/** Per-process counter in the file name, so that two trackers started in one second never collide. */
let fileCounter = 0;

export class TensorboardTracker extends Tracker {
  readonly flushIntervalMs: number;
  readonly bufferBytes: number;
  readonly maxHeldBytes: number;
  readonly resume: boolean;

  #file: AppendOnlyFile | undefined;
  #report: WriteFailureReport | undefined;
  #buffer: Uint8Array;
  #view: DataView;
  #used = 0;
  /** Records in the buffer. */
  #records = 0;
  /** Chunks logged while start() was waiting for its lock, written first once the file is open. */
  #early: { chunk: Uint8Array; records: number }[] = [];
  #starting = false;
  #timer: NodeJS.Timeout | undefined;
  readonly #tagPrefixes = new Map<string, Uint8Array>();
  readonly #textSteps = new Map<string, number>();
  #pendingImages: PendingImage[] = [];
  #flushing: Promise<void> = Promise.resolve();
  readonly #hparams = new Map<string, HparamValue>();
  #hparamsWritten = false;
  readonly #warned = new Set<string>();
  /** Registered with the shared exit hook while the file is open. */
  readonly #atExit: SyncFlushable = { flushAtExit: () => this.writeBufferedSync() };

  constructor(params: TensorboardTrackerParams = {}) {
    super(params);
    this.flushIntervalMs = numberParam(LABEL, 'flushIntervalMs', params.flushIntervalMs, DEFAULT_FLUSH_INTERVAL_MS, {
      min: 0,
    });
    const bufferBytes = numberParam(LABEL, 'bufferBytes', params.bufferBytes, DEFAULT_BUFFER_BYTES, { min: 0 });
    if (bufferBytes > MAX_BUFFER_BYTES) {
      throw new TypeError(`${LABEL}: bufferBytes must be at most ${MAX_BUFFER_BYTES} (1 GiB), got ${bufferBytes}`);
    }
    this.bufferBytes = Math.max(MIN_BUFFER_BYTES, Math.floor(bufferBytes));
    this.maxHeldBytes = numberParam(LABEL, 'maxHeldBytes', params.maxHeldBytes, DEFAULT_MAX_HELD_BYTES, { min: 0 });
    this.resume = booleanParam(LABEL, 'resume', params.resume);
    this.#buffer = new Uint8Array(this.bufferBytes);
    this.#view = new DataView(this.#buffer.buffer);
  }

  /** The event file being written, once started. */
  get file(): string | undefined {
    return this.#file?.path;
  }

  /**
   * Creates the run's event file. A new run (without `resume`) whose directory holds event files is RUN_EXISTS,
   * checked and created under a short lock so that two processes starting it at once cannot both get in; only a
   * start that finds the lock held waits for it (and returns a promise).
   */
  override start(runId: string, logdir: string): void | Promise<void> {
    const dir = path.resolve(runDirectory(LABEL, logdir, runId));
    const check = () =>
      refuseExistingRun(LABEL, dir, runId, {
        existing: (found) => readdirSync(found).some((name) => name.startsWith(EVENT_FILE_PREFIX)),
        resume: this.resume,
      });
    check(); // before anything is made
    makeRunDirectory(LABEL, dir);
    // The first record of every event file; log calls made while start() waits are buffered after it.
    this.#appendEvent(encodeFileVersionEvent(Date.now() / 1000));
    if (this.resume) return this.#open(dir);
    const lock = path.join(dir, START_LOCK);
    const open = (release: ReleaseLock) => {
      try {
        check();
        this.#open(dir);
      } finally {
        release.sync();
      }
    };
    const release = tryLockFileSync(lock);
    if (release) return open(release);
    this.#starting = true;
    return lockFile(lock, { timeoutMs: 30_000 })
      .then(open)
      .finally(() => {
        this.#starting = false;
        this.#early = [];
      });
  }

  #open(dir: string): void {
    const file = createEventFile(dir, this.maxHeldBytes);
    this.#file = file;
    this.#report = new WriteFailureReport(LABEL, file, 'records', this.maxHeldBytes);
    flushAtExit(this.#atExit);
    for (const { chunk, records } of this.#early.splice(0)) this.#write(chunk, records);
    if (this.flushIntervalMs > 0) {
      // A failed background write is reported by a warning now and by the next flush() or end().
      this.#timer = setInterval(() => {
        if (this.#used > 0 || this.#pendingImages.length > 0 || file.heldRecords > 0) void this.#queueFlush(false);
      }, this.flushIntervalMs);
      this.#timer.unref();
    }
  }

  override logMetric(name: string, value: number, step = 0): void {
    if (step >= LARGEST_HPARAMS_STEP && !this.#warned.has('large-step')) {
      this.#warnOnce(
        'large-step',
        `logMetric("${name}") at step ${step}: TensorBoard draws steps of 2^31 and more, but its HPARAMS tab ` +
          'fails (HTTP 500) on a run holding one; keep steps below 2^31 (2147483648) to compare runs there',
      );
    }
    let prefix = this.#tagPrefixes.get(name);
    if (prefix === undefined) {
      prefix = scalarTagPrefix(name);
      if (this.#tagPrefixes.size < MAX_CACHED_TAGS) this.#tagPrefixes.set(name, prefix);
    }
    if (this.#used + maxScalarRecordBytes(prefix.length) > this.#buffer.length) this.#spill();
    this.#used = writeScalarRecord(this.#buffer, this.#view, this.#used, prefix, Date.now() / 1000, step, value);
    this.#records++;
  }

  override logTag(key: string, value: string): void {
    this.#appendText(`tags/${key}`, value);
  }

  /** TensorBoard keeps no files: the asset's name and absolute path are recorded as text. */
  override logAsset(name: string, filePath: string): void {
    this.#appendText(`assets/${name}`, path.resolve(filePath));
  }

  /**
   * The file is read asynchronously from this call on and encoded at the next flush: PNG and JPEG are kept
   * with their size; other formats are skipped with a warning.
   */
  override logImage(name: string, filePath: string): void {
    const bytes = readFile(filePath).then(
      (data) => new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    );
    this.#pendingImages.push({ tag: name, filePath, step: this.#nextStep(name), wallTime: Date.now() / 1000, bytes });
  }

  override logFigure(name: string, figure: Figure): void {
    const described = describeFigure(name, figure);
    const step = this.#nextStep(name);
    if (described.kind === 'png') {
      const info = imageInfo(described.bytes)!;
      this.#appendEvent(
        encodeSummaryEvent(Date.now() / 1000, step, [encodeImageValue(name, { ...info, encoded: described.bytes })]),
      );
    } else {
      const code =
        described.kind === 'svg' ? new TextDecoder().decode(described.bytes) : JSON.stringify(described.spec, null, 2);
      const language = described.kind === 'svg' ? 'svg' : 'json';
      const text = '```' + language + '\n' + code + '\n```';
      this.#appendEvent(encodeSummaryEvent(Date.now() / 1000, step, [encodeTextValue(name, text)]));
    }
  }

  override logParam(name: string, value: ParamValue): void {
    this.#appendText(`params/${name}`, paramText(value));
    if (this.#hparamsWritten) {
      this.#warnOnce(
        'late-param',
        `logParam("${name}") came after the hparams summary was written (at the first flush with params): ` +
          'it is kept as text only. Log params before the first flush to see them all in the HPARAMS tab',
      );
      return;
    }
    // The hparams plugin understands numbers, strings and booleans; other values are kept as their JSON.
    const scalar = typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string';
    this.#hparams.set(name, scalar ? value : JSON.stringify(value));
  }

  /** Encodes pending images and the hparams summary, then writes everything buffered. */
  override flush(): Promise<void> {
    return this.#queueFlush(true);
  }

  /**
   * Ends the hparams session (`STATUS_SUCCESS`, `STATUS_FAILURE` when given an error, `STATUS_UNKNOWN` when records
   * were lost to a disk without room) and closes the file; throws RUN_INCOMPLETE when records were lost.
   */
  override async end(error?: unknown): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    let failure: unknown;
    try {
      await this.#flushing;
      await this.#flushNow(false);
      if (this.#hparamsWritten) {
        const lost = this.#file!.lostRecords + this.#file!.heldRecords > 0;
        const status =
          error !== undefined ? HPARAMS_STATUS.failure : lost ? HPARAMS_STATUS.unknown : HPARAMS_STATUS.success;
        const info = encodeSessionEndInfo(status, Date.now() / 1000);
        this.#appendEvent(
          encodeSummaryEvent(Date.now() / 1000, 0, [encodeHparamsValue(HPARAMS_SESSION_END_TAG, info)]),
        );
      }
      failure = this.#writeAll();
    } finally {
      cancelFlushAtExit(this.#atExit);
      this.#file?.close();
    }
    const incomplete = this.#report?.incomplete();
    if (incomplete) throw incomplete;
    if (failure !== undefined) throw failure;
  }

  /** Writes what is buffered synchronously, images not yet read aside (the process ends before `end`). */
  writeBufferedSync(): void {
    const file = this.#file;
    if (file === undefined || file.fd === undefined) return;
    this.#appendSessionStart();
    const failure = this.#writeAll();
    const unwritten = file.heldRecords;
    file.close();
    this.#report!.atExit(failure, unwritten);
    cancelFlushAtExit(this.#atExit);
  }

  /** Flushes one after the other, so that concurrent calls (timer, flush, end) never interleave. */
  #queueFlush(report: boolean): Promise<void> {
    const run = this.#flushing.then(() => this.#flushNow(report));
    this.#flushing = run.catch(() => {});
    return run;
  }

  /** `report`: throw the write error, or RUN_INCOMPLETE for records lost since the last report. */
  async #flushNow(report: boolean): Promise<void> {
    if (this.#pendingImages.length > 0) await this.#encodePendingImages();
    this.#appendSessionStart();
    const failure = this.#writeAll();
    if (!report) return;
    if (failure !== undefined) throw failure;
    const loss = this.#report?.newLoss();
    if (loss) throw loss;
  }

  /** Writes the buffer and the held records; returns the error (warned about) if the disk refused them. */
  #writeAll(): unknown {
    try {
      this.#spill(true);
      this.#file?.writeHeld();
    } catch (error) {
      this.#report?.note(error);
      return error;
    }
    this.#report?.note(undefined);
    return undefined;
  }

  async #encodePendingImages(): Promise<void> {
    const images = this.#pendingImages;
    this.#pendingImages = [];
    for (const image of images) {
      const bytes = await image.bytes;
      if (bytes instanceof Error) {
        this.#warn(`logImage("${image.tag}"): could not read ${image.filePath} (${bytes.message}); skipped`);
        continue;
      }
      const info = imageInfo(bytes);
      if (!info) {
        this.#warnOnce(
          'image-format',
          `logImage("${image.tag}"): ${image.filePath} is neither PNG nor JPEG, which TensorBoard shows; ` +
            'skipped (further such images are skipped without a warning)',
        );
        continue;
      }
      const value = encodeImageValue(image.tag, { ...info, encoded: bytes });
      this.#appendEvent(encodeSummaryEvent(image.wallTime, image.step, [value]));
    }
  }

  /** The hparams `session_start_info`, once per run: TensorBoard keeps the first one of a run's tag. */
  #appendSessionStart(): void {
    if (this.#hparamsWritten || this.#hparams.size === 0) return;
    const info = encodeSessionStartInfo(this.#hparams, Date.now() / 1000);
    this.#appendEvent(encodeSummaryEvent(Date.now() / 1000, 0, [encodeHparamsValue(HPARAMS_SESSION_START_TAG, info)]));
    this.#hparamsWritten = true;
    this.#hparams.clear();
  }

  #appendText(tag: string, text: string): void {
    this.#appendEvent(encodeSummaryEvent(Date.now() / 1000, this.#nextStep(tag), [encodeTextValue(tag, text)]));
  }

  /** Frames an encoded Event and appends it to the buffer (or writes it on its own when it is larger). */
  #appendEvent(event: Uint8Array): void {
    const record = frameTfRecord(event);
    if (this.#used + record.length > this.#buffer.length) this.#spill();
    if (record.length > this.#buffer.length) this.#write(record, 1);
    else {
      this.#buffer.set(record, this.#used);
      this.#used += record.length;
      this.#records++;
    }
  }

  /**
   * Writes the buffer and empties it: the bound on memory when logging outpaces flushes. From a log call
   * (`retry` false) a failure is warned about, never thrown; the records are held for the next write.
   */
  #spill(retry = false): void {
    if (this.#used === 0) return;
    const used = this.#used;
    const records = this.#records;
    this.#used = 0;
    this.#records = 0;
    this.#write(this.#buffer.subarray(0, used), records, retry);
  }

  #write(chunk: Uint8Array, records: number, retry = false): void {
    if (this.#file === undefined) {
      // start() is waiting for its lock (or failed: then nothing is ever written).
      if (this.#starting) this.#early.push({ chunk: chunk.slice(), records });
      return;
    }
    try {
      this.#file.append(chunk, records, retry);
      this.#report!.note(undefined);
    } catch (error) {
      this.#report!.note(error);
      if (retry) throw error;
    }
  }

  #nextStep(tag: string): number {
    const step = this.#textSteps.get(tag) ?? 0;
    this.#textSteps.set(tag, step + 1);
    return step;
  }

  #warnOnce(key: string, message: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.#warn(message);
  }

  #warn(message: string): void {
    process.emitWarning(`TensorboardTracker: ${message}`, { type: 'GymnosWarning', code: 'GYMNOS_TENSORBOARD' });
  }
}

/** TensorBoard's HParams table reads steps as 32-bit integers: a scalar at this step or later makes it fail. */
const LARGEST_HPARAMS_STEP = 2 ** 31;

/**
 * A param as its text summary shows it: a string as it is; a number exactly (NaN, ±Infinity and -0 as such, where
 * JSON would write null, null and 0, so a NaN param could not be told from a null one); anything else as its JSON
 * with non-finite numbers as the strings params.json holds.
 */
function paramText(value: ParamValue): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  return stringifyJson(value);
}

/** A new event file in `dir`: `events.out.tfevents.<unix seconds>.<hostname>.<pid>.<counter>`, created exclusively. */
function createEventFile(dir: string, maxHeldBytes: number): AppendOnlyFile {
  const seconds = Math.floor(Date.now() / 1000);
  const host = os.hostname();
  for (;;) {
    const file = path.join(dir, `${EVENT_FILE_PREFIX}${seconds}.${host}.${process.pid}.${fileCounter++}`);
    try {
      return new AppendOnlyFile(file, { exclusive: true, maxHeldBytes });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}
