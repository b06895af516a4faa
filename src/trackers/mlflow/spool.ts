/**
 * The on-disk spool of the `mlflow` tracker: what could not be sent yet, kept until the server answers.
 *
 * A spool is a directory:
 *
 * - `run.json`: which MLflow run the data belongs to (ids once the run exists, names and start time until
 *   then) and a run status still to be sent; written with temp-file-and-rename;
 * - `queue.jsonl`: one record a line, appended in logging order (metrics, params, tags, artifacts);
 * - `queue.offset`: how many bytes of `queue.jsonl` were delivered (the queue is consumed from the front);
 * - `files/`: figure bytes that had to be spooled (assets and images are uploaded from their own path).
 *
 * The queue is bounded by `maxBytes` (live records plus spooled files); records that do not fit are refused
 * and the caller counts them as dropped. Once everything is delivered the queue files are removed.
 * One process writes a spool at a time: `open` takes a lock on the directory, `close` releases it.
 *
 * Every change to the queue files is synchronous: a log call whose memory queue is full, and the exit of the
 * process, append to the spool at once, and nothing asynchronous may be halfway through the same files then.
 * Reads (`readWindow`, `countPending`) stay asynchronous: they only read what is already written.
 */
import {
  appendFileSync,
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { mkdir, open, readdir, readFile, stat, utimes } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { GymnosError } from '../../errors.js';
import { temporaryPathFor, writeFileAtomic, writeFileAtomicSync } from '../../util/atomic_write.js';
import { lockFile } from '../../util/file_lock.js';
import type { RunStatus } from './client.js';
import type { DataRecord } from './limits.js';
import { removeFile } from '../../util/remove_file.js';

/** An artifact waiting for upload. In memory it may carry bytes; on disk it always names a file. */
export interface ArtifactRecord {
  t: 'artifact';
  /** Path inside the run's artifact root, `/`-separated. */
  path: string;
  contentType: string;
  file?: string;
  /** The file belongs to the spool (spooled figure bytes) and is deleted once uploaded. */
  owned?: boolean;
  /** Memory only: bytes to upload (figures). */
  bytes?: Uint8Array;
}

export type QueueRecord = DataRecord | ArtifactRecord;

export interface SpoolMeta {
  version: 1;
  /** The tracking URI without credentials. */
  trackingUri: string;
  experimentName: string;
  runName: string;
  /** The gymnos run id given to `start`. */
  gymnosRunId: string;
  /** When the run started, in milliseconds (sent as the MLflow run's start_time even if created later). */
  startTime: number;
  experimentId?: string;
  mlflowRunId?: string;
  artifactUri?: string;
  /** A run status not delivered yet (FINISHED or FAILED from `end`, RUNNING when a run is resumed). */
  pendingStatus?: { status: RunStatus; endTime?: number };
}

export interface SpoolEntry {
  /** Undefined for a line that could not be parsed (a torn write); it is skipped. */
  record: QueueRecord | undefined;
  /** Byte offset just past this line. */
  end: number;
}

const READ_WINDOW_BYTES = 2 * 1024 * 1024;
/** A spool lock older than this was left by a killed process (proper-lockfile's default, which this replaced). */
const LOCK_STALE_MS = 60_000;

/**
 * Locks `dir` for a session: another process that finds it held does not wait (timeoutMs 0) but is told so;
 * a lock left by a killed process is taken over once stale.
 */
async function lockSpool(dir: string): Promise<() => Promise<void>> {
  let release: () => Promise<void>;
  try {
    release = await lockFile(dir, { staleMs: LOCK_STALE_MS, timeoutMs: 0 });
  } catch (error) {
    // The lock directory exists: another process holds the spool. Any other failure: the spool is unusable.
    if (!existsSync(`${dir}.lock`)) throw error;
    throw new GymnosError(
      'MLFLOW_SPOOL_BUSY',
      `MlflowTracker: ${dir} is in use by another process (a run still logging, or another delivery)`,
      { kind: 'conflict', details: { spoolDir: dir }, cause: error },
    );
  }
  // Held for hours, unlike the registry's lock: its mtime is kept fresh so that it never looks stale while held.
  const refresh = setInterval(() => {
    const now = new Date();
    utimes(`${dir}.lock`, now, now).catch(() => undefined);
  }, LOCK_STALE_MS / 4);
  refresh.unref();
  return async () => {
    clearInterval(refresh);
    await release();
  };
}

export class Spool {
  readonly dir: string;
  readonly maxBytes: number;
  #size = 0;
  #offset = 0;
  #filesBytes = 0;
  #sequence = 0;
  #release: (() => Promise<void>) | undefined;

  constructor(dir: string, maxBytes: number) {
    this.dir = dir;
    this.maxBytes = maxBytes;
  }

  get #queueFile(): string {
    return path.join(this.dir, 'queue.jsonl');
  }

  get #offsetFile(): string {
    return path.join(this.dir, 'queue.offset');
  }

  get #filesDir(): string {
    return path.join(this.dir, 'files');
  }

  /**
   * Opens the spool for writing: creates the directory, takes its lock (a `<dir>.lock` directory, held until
   * `close`) and reads where a previous process left the queue. When another process holds the lock, throws
   * a GymnosError MLFLOW_SPOOL_BUSY (kind conflict); any other failure means the spool cannot be used.
   */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    this.#release = await lockSpool(this.dir);
    this.#size = await stat(this.#queueFile).then(
      (stats) => stats.size,
      () => 0,
    );
    const offset = Number((await readFile(this.#offsetFile, 'utf8').catch(() => '0')).trim());
    this.#offset = Number.isSafeInteger(offset) && offset >= 0 && offset <= this.#size ? offset : 0;
    const files = await readdir(this.#filesDir).catch(() => [] as string[]);
    for (const name of files) {
      this.#filesBytes += await stat(path.join(this.#filesDir, name)).then(
        (stats) => stats.size,
        () => 0,
      );
    }
    // Spooled files are named `<sequence>-<name>`: continue after the highest, never over a pending file.
    this.#sequence = Math.max(0, ...files.map((name) => Number.parseInt(name, 10)).filter(Number.isSafeInteger));
  }

  /** Releases the lock taken by `open`. Idempotent. */
  async close(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    await release?.().catch(() => undefined);
  }

  async readMeta(): Promise<SpoolMeta | undefined> {
    try {
      const meta = JSON.parse(await readFile(path.join(this.dir, 'run.json'), 'utf8')) as SpoolMeta;
      return meta && meta.version === 1 ? meta : undefined;
    } catch {
      return undefined;
    }
  }

  async writeMeta(meta: SpoolMeta): Promise<void> {
    await writeFileAtomic(path.join(this.dir, 'run.json'), JSON.stringify(meta, null, 2) + '\n');
  }

  /** `writeMeta` for the exit of the process, when nothing asynchronous runs any more. */
  writeMetaSync(meta: SpoolMeta): void {
    writeFileAtomicSync(path.join(this.dir, 'run.json'), JSON.stringify(meta, null, 2) + '\n');
  }

  /** True while spooled records wait for delivery. */
  get hasPending(): boolean {
    return this.#offset < this.#size;
  }

  /** Bytes counted against `maxBytes`: undelivered queue lines and spooled files. */
  get liveBytes(): number {
    return this.#size - this.#offset + this.#filesBytes;
  }

  /**
   * Appends records in order; figure bytes are written under `files/`. Stops at the first record that does
   * not fit in `maxBytes` and returns it and the rest as `refused`.
   */
  async append(records: readonly QueueRecord[]): Promise<{ refused: QueueRecord[] }> {
    return this.appendSync(records, { compact: true });
  }

  /**
   * `append`, synchronously: for a log call whose memory queue is full, and for the exit of the process. Only
   * the delivery's own rounds may compact the queue (`compact`): a delivery in flight holds offsets into it.
   */
  appendSync(records: readonly QueueRecord[], options: { compact?: boolean } = {}): { refused: QueueRecord[] } {
    const lines: string[] = [];
    let added = 0;
    let index = 0;
    for (; index < records.length; index += 1) {
      const record = records[index]!;
      const fileBytes = record.t === 'artifact' && record.bytes ? record.bytes.byteLength : 0;
      // A data record's line is what is written; for spooled bytes, the line names a file instead: estimate it
      // with the path it will have.
      let line = fileBytes ? undefined : JSON.stringify(record) + '\n';
      const lineBytes = line
        ? Buffer.byteLength(line)
        : Buffer.byteLength(JSON.stringify({ ...record, bytes: undefined, file: this.#filesDir, owned: true })) + 80;
      if (this.liveBytes + added + lineBytes + fileBytes > this.maxBytes) {
        if (options.compact && this.#offset > 0) {
          // Make room by dropping the delivered prefix, after writing out what this call has so far.
          added = this.#appendLines(lines, added);
          this.#compact();
        }
        if (this.liveBytes + added + lineBytes + fileBytes > this.maxBytes) break;
      }
      if (line === undefined) {
        const artifact = record as ArtifactRecord;
        const file = this.#writeOwnedFile(artifact.path, artifact.bytes!);
        const stored: ArtifactRecord = { t: 'artifact', path: artifact.path, contentType: artifact.contentType, file };
        line = JSON.stringify({ ...stored, owned: true }) + '\n';
        added += Buffer.byteLength(line);
      } else {
        added += lineBytes;
      }
      lines.push(line);
    }
    this.#appendLines(lines, added);
    return { refused: records.slice(index) };
  }

  /** Appends `lines` (of `bytes` bytes in all) to the queue; returns 0, what is left pending. */
  #appendLines(lines: string[], bytes: number): number {
    if (lines.length === 0) return 0;
    appendFileSync(this.#queueFile, lines.join(''));
    this.#size += bytes;
    lines.length = 0;
    return 0;
  }

  #writeOwnedFile(artifactPath: string, bytes: Uint8Array): string {
    mkdirSync(this.#filesDir, { recursive: true });
    this.#sequence += 1;
    const base = path.posix.basename(artifactPath).replace(/[^\w.-]/g, '_');
    const file = path.join(this.#filesDir, `${String(this.#sequence).padStart(6, '0')}-${base}`);
    writeFileSync(file, bytes);
    this.#filesBytes += bytes.byteLength;
    return file;
  }

  /**
   * Rewrites the queue without its delivered prefix, copied in chunks since the queue may be hundreds of
   * megabytes (so not through writeFileAtomic, which takes the whole content); same temporary naming and rename.
   */
  #compact(): void {
    const temp = temporaryPathFor(this.#queueFile);
    const chunk = Buffer.alloc(1 << 20);
    let input: number | undefined;
    let output: number | undefined;
    try {
      input = openSync(this.#queueFile, 'r');
      output = openSync(temp, 'w');
      for (let position = this.#offset; ;) {
        const read = readSync(input, chunk, 0, chunk.length, position);
        if (read === 0) break;
        writeSync(output, chunk, 0, read);
        position += read;
      }
      closeSync(output);
      output = undefined;
      renameSync(temp, this.#queueFile);
    } catch (error) {
      if (output !== undefined) closeSync(output);
      removeFile(temp);
      throw error;
    } finally {
      if (input !== undefined) closeSync(input);
    }
    try {
      unlinkSync(this.#offsetFile);
    } catch {
      // no offset file yet
    }
    this.#size -= this.#offset;
    this.#offset = 0;
  }

  async #readRange(position: number, length: number): Promise<Buffer> {
    const handle = await open(this.#queueFile, 'r');
    try {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  /** The next undelivered lines (up to about 2 MB), each with the offset just past it. */
  async readWindow(): Promise<SpoolEntry[]> {
    if (!this.hasPending) return [];
    const length = Math.min(READ_WINDOW_BYTES, this.#size - this.#offset);
    const chunk = await this.#readRange(this.#offset, length);
    const entries: SpoolEntry[] = [];
    let position = 0;
    while (position < chunk.length) {
      const newline = chunk.indexOf(0x0a, position);
      if (newline === -1) {
        // A line cut by the window goes to the next read. Without any complete line, the rest is a line cut by
        // a crash (at the end of the file) or not a record at all (longer than any record): it is skipped.
        if (entries.length === 0) entries.push({ record: undefined, end: this.#offset + chunk.length });
        break;
      }
      let record: QueueRecord | undefined;
      try {
        record = JSON.parse(chunk.subarray(position, newline).toString('utf8')) as QueueRecord;
      } catch {
        record = undefined;
      }
      entries.push({ record, end: this.#offset + newline + 1 });
      position = newline + 1;
    }
    return entries;
  }

  /** Marks the queue delivered up to `offset`; removes the queue files once all of it is. */
  async advance(offset: number): Promise<void> {
    this.#offset = Math.min(Math.max(offset, this.#offset), this.#size);
    if (this.#offset >= this.#size) {
      this.#reset();
      return;
    }
    writeFileAtomicSync(this.#offsetFile, `${this.#offset}\n`);
  }

  #reset(): void {
    removeFile(this.#queueFile);
    removeFile(this.#offsetFile);
    rmSync(this.#filesDir, { recursive: true, force: true });
    this.#size = 0;
    this.#offset = 0;
    this.#filesBytes = 0;
  }

  /** Deletes a spooled figure file once it is uploaded or refused for good. */
  async release(record: ArtifactRecord): Promise<void> {
    if (!record.owned || !record.file) return;
    const size = statSync(record.file, { throwIfNoEntry: false })?.size ?? 0;
    removeFile(record.file);
    this.#filesBytes = Math.max(0, this.#filesBytes - size);
  }

  /** Counts the undelivered records by kind (reads the whole live queue: used for reports). */
  async countPending(): Promise<Record<QueueRecord['t'], number>> {
    const counts = { metric: 0, param: 0, tag: 0, artifact: 0 };
    if (!this.hasPending) return counts;
    const lines = createInterface({
      input: createReadStream(this.#queueFile, { start: this.#offset, end: this.#size - 1 }),
      crlfDelay: Infinity,
    });
    for await (const line of lines) {
      let record: QueueRecord | undefined;
      try {
        record = line ? (JSON.parse(line) as QueueRecord) : undefined;
      } catch {
        record = undefined;
      }
      if (record && record.t in counts) counts[record.t] += 1;
    }
    return counts;
  }
}
