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
 * Buffering: records are encoded straight into one preallocated buffer. A timer (`flushIntervalMs`,
 * unref'ed), `flush()` and `end()` write it out asynchronously; a buffer that fills up between two flushes is
 * written synchronously, so memory stays bounded (about `bufferBytes`) however fast the loop logs.
 */
import { close, closeSync, mkdirSync, openSync, readdirSync, write, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describeFigure } from '../runtime/figure.js';
import { cancelFlushAtExit, flushAtExit } from '../runtime/exit_flush.js';
import type { SyncFlushable } from '../runtime/exit_flush.js';
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
import { booleanParam, numberParam, refuseExistingRun, runDirectory } from '../runtime/tracker_params.js';
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

/** Per-process counter in the file name, so that two trackers started in one second never collide. */
let fileCounter = 0;

export class TensorboardTracker extends Tracker {
  readonly flushIntervalMs: number;
  readonly bufferBytes: number;
  readonly resume: boolean;

  #file: string | undefined;
  #fd: number | undefined;
  #buffer: Uint8Array;
  #view: DataView;
  #used = 0;
  /** Where the next chunk goes in the file: writes are positional, so async and sync writes never reorder. */
  #position = 0;
  #timer: NodeJS.Timeout | undefined;
  readonly #tagPrefixes = new Map<string, Uint8Array>();
  readonly #textSteps = new Map<string, number>();
  #pendingImages: PendingImage[] = [];
  #writes = new Set<Promise<void>>();
  #writeError: unknown;
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
    this.bufferBytes = Math.max(MIN_BUFFER_BYTES, Math.floor(bufferBytes));
    this.resume = booleanParam(LABEL, 'resume', params.resume);
    this.#buffer = new Uint8Array(this.bufferBytes);
    this.#view = new DataView(this.#buffer.buffer);
  }

  /** The event file being written, once started. */
  get file(): string | undefined {
    return this.#file;
  }

  override start(runId: string, logdir: string): void {
    const dir = path.resolve(runDirectory(LABEL, logdir, runId));
    // TensorBoard reads every event file of a directory as one run: a second session adds a file to it.
    refuseExistingRun(LABEL, dir, runId, {
      existing: (found) => readdirSync(found).some((name) => name.startsWith('events.out.tfevents.')),
      resume: this.resume,
    });
    mkdirSync(dir, { recursive: true });
    const seconds = Math.floor(Date.now() / 1000);
    const host = os.hostname();
    for (;;) {
      const file = path.join(dir, `events.out.tfevents.${seconds}.${host}.${process.pid}.${fileCounter++}`);
      try {
        this.#fd = openSync(file, 'wx');
        this.#file = file;
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    this.#appendEvent(encodeFileVersionEvent(Date.now() / 1000));
    flushAtExit(this.#atExit);
    if (this.flushIntervalMs > 0) {
      // A failed background write is reported by a warning now and by the next flush() or end().
      this.#timer = setInterval(() => {
        if (this.#used > 0 || this.#pendingImages.length > 0) void this.#queueFlush(false);
      }, this.flushIntervalMs);
      this.#timer.unref();
    }
  }

  override logMetric(name: string, value: number, step = 0): void {
    let prefix = this.#tagPrefixes.get(name);
    if (prefix === undefined) {
      prefix = scalarTagPrefix(name);
      if (this.#tagPrefixes.size < MAX_CACHED_TAGS) this.#tagPrefixes.set(name, prefix);
    }
    if (this.#used + maxScalarRecordBytes(prefix.length) > this.#buffer.length) this.#spill();
    this.#used = writeScalarRecord(this.#buffer, this.#view, this.#used, prefix, Date.now() / 1000, step, value);
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
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    this.#appendText(`params/${name}`, text);
    if (this.#hparamsWritten) {
      this.#warnOnce(
        'late-param',
        `logParam("${name}") came after the hparams summary was written (at the first flush with params): ` +
          'it is kept as text only. Log params before the first flush to see them all in the HPARAMS tab',
      );
      return;
    }
    // The hparams plugin understands numbers, strings and booleans; other values are kept as their JSON.
    this.#hparams.set(name, typeof value === 'number' || typeof value === 'boolean' ? value : text);
  }

  /** Encodes pending images and the hparams summary, then writes everything buffered. */
  override flush(): Promise<void> {
    return this.#queueFlush(true);
  }

  override async end(error?: unknown): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    try {
      await this.#flushing;
      if (this.#hparamsWritten) {
        const status = error === undefined ? HPARAMS_STATUS.success : HPARAMS_STATUS.failure;
        const info = encodeSessionEndInfo(status, Date.now() / 1000);
        this.#appendEvent(
          encodeSummaryEvent(Date.now() / 1000, 0, [encodeHparamsValue(HPARAMS_SESSION_END_TAG, info)]),
        );
      }
      await this.#flushNow(true);
    } finally {
      cancelFlushAtExit(this.#atExit);
      const fd = this.#fd;
      this.#fd = undefined;
      if (fd !== undefined) await new Promise<void>((resolve, reject) => close(fd, (e) => (e ? reject(e) : resolve())));
    }
  }

  /** Writes what is buffered synchronously, images not yet read aside (the process exits before `end`). */
  writeBufferedSync(): void {
    if (this.#fd === undefined) return;
    try {
      this.#appendSessionStart();
      this.#spill();
      closeSync(this.#fd);
    } catch {
      // The process is exiting: nothing left to report to.
    }
    this.#fd = undefined;
    cancelFlushAtExit(this.#atExit);
  }

  /** Flushes one after the other, so that concurrent calls (timer, flush, end) never interleave. */
  #queueFlush(report: boolean): Promise<void> {
    const run = this.#flushing.then(() => this.#flushNow(report));
    this.#flushing = run.catch(() => {});
    return run;
  }

  /** `report`: throw (and clear) a write error recorded since the last report. */
  async #flushNow(report: boolean): Promise<void> {
    if (this.#pendingImages.length > 0) await this.#encodePendingImages();
    this.#appendSessionStart();
    if (this.#used > 0 && this.#fd !== undefined) {
      const chunk = this.#buffer.slice(0, this.#used);
      const position = this.#position;
      this.#position += chunk.length;
      this.#used = 0;
      const pending = writeFully(this.#fd, chunk, position).catch((error: unknown) => this.#recordError(error));
      this.#writes.add(pending);
      void pending.finally(() => this.#writes.delete(pending));
    }
    await Promise.all(this.#writes);
    const failure = this.#writeError;
    if (report && failure !== undefined) {
      this.#writeError = undefined;
      throw failure;
    }
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

  /** Frames an encoded Event and appends it to the buffer (or writes it directly when it is larger). */
  #appendEvent(event: Uint8Array): void {
    const record = frameTfRecord(event);
    if (this.#used + record.length > this.#buffer.length) this.#spill();
    if (record.length > this.#buffer.length) this.#writeSync(record, record.length);
    else {
      this.#buffer.set(record, this.#used);
      this.#used += record.length;
    }
  }

  /** Writes the buffer synchronously and empties it: the bound on memory when logging outpaces flushes. */
  #spill(): void {
    if (this.#used === 0) return;
    this.#writeSync(this.#buffer, this.#used);
    this.#used = 0;
  }

  #writeSync(bytes: Uint8Array, length: number): void {
    if (this.#fd === undefined) return;
    let written = 0;
    while (written < length) written += writeSync(this.#fd, bytes, written, length - written, this.#position + written);
    this.#position += length;
  }

  #nextStep(tag: string): number {
    const step = this.#textSteps.get(tag) ?? 0;
    this.#textSteps.set(tag, step + 1);
    return step;
  }

  #recordError(error: unknown): void {
    if (this.#writeError === undefined) this.#writeError = error;
    this.#warnOnce('write', `writing ${this.#file} failed: ${(error as Error).message ?? String(error)}`);
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

/** Writes all of `chunk` at `position`, asynchronously. */
function writeFully(fd: number, chunk: Uint8Array, position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const next = (offset: number) => {
      write(fd, chunk, offset, chunk.length - offset, position + offset, (error, written) => {
        if (error) reject(error);
        else if (offset + written < chunk.length) next(offset + written);
        else resolve();
      });
    };
    next(0);
  });
}
