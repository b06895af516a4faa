/**
 * The on-disk spool of a remote tracker: what could not be sent yet, kept until the server answers.
 *
 * A spool is a directory:
 *
 * - `run.json`: which run the data belongs to (the backend's ids once the run exists, names and start time until
 *   then) and a run status still to be sent (RunMeta); written with temp-file-and-rename;
 * - `queue.jsonl`: a header line naming the queue's generation, then one record a line, appended in logging
 *   order (metrics, params, tags, artifacts);
 * - `queue.offset`: the cursor, `{"generation", "offset", "doubt"}`: how many bytes of the queue of that
 *   generation were delivered (the queue is consumed from the front), and the byte range of a request that was
 *   sent but whose answer was lost (`doubt`), to be asked about before it is sent again;
 * - `files/`: figure bytes that had to be spooled (assets and images are uploaded from their own path).
 *
 * A crash at any point costs at worst a re-send, never a loss. Compaction (dropping the delivered prefix when
 * the spool is full) writes the rest to a new file with a new generation, fsyncs it, renames it over the queue,
 * then writes the cursor: a cursor of an older generation than the queue's means the crash came between the
 * rename and that write, and the queue then starts at its first record. A spool written by an earlier gymnos (no
 * header, a bare offset) is read as it was written.
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
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { appendFile, mkdir, open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { errorMessage, GymnosError, isGymnosError } from '../../errors.js';
import { temporaryPathFor, writeFileAtomic, writeFileAtomicSync } from '../../util/atomic_write.js';
import { lockFile } from '../../util/file_lock.js';
import { valuesOf } from './records.js';
import type { ArtifactRecord, DataRecord, QueueRecord, RunStatus } from './records.js';
import { removeFile } from '../../util/remove_file.js';

/**
 * A spool's `run.json`: which run the data belongs to, whatever the backend. A backend adds its own fields (its
 * ids of the run) beside these.
 */
export interface RunMeta {
  version: 1;
  /** The backend that delivers the spool (`gymnos sync` picks it by this); absent in mlflow spools of old. */
  backend?: string;
  /** Where the run is logged (the tracking server), without credentials. */
  trackingUri: string;
  runName: string;
  /** The gymnos run id given to `start`. */
  gymnosRunId: string;
  /** When the run started, in milliseconds (sent as the run's start time even if created later). */
  startTime: number;
  /** A run status not delivered yet (FINISHED or FAILED from `end`, RUNNING when a run is resumed). */
  pendingStatus?: { status: RunStatus; endTime?: number };
  /**
   * `open` from `start` until the session ends (`end()`, or the process's exit, which sets the final status):
   * a spool still `open` with no live holder was left by a process killed outright (SIGKILL, an OOM kill), and
   * whoever delivers it sets the run KILLED and the session `killed`. Absent in spools of an earlier gymnos.
   */
  session?: 'open' | 'ended' | 'killed';
  /** Tags the run is created with (gymnos.run_id, the user and source tags), taken when the run started. */
  tags?: Record<string, string>;
}

/**
 * A byte range of the queue: a request sent whose answer was lost, and until when the server may still be
 * carrying it out (ms since the epoch).
 */
export interface SpoolRange {
  start: number;
  end: number;
  settleBy: number;
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
 * Locks `dir` for a session: another process that finds it held does not wait (timeoutMs 0) but is told so,
 * with the holder's pid; a lock left by a killed process is taken over at once (or once stale). The lock keeps
 * itself fresh while held (util/file_lock.ts), however long the session.
 */
async function lockSpool(dir: string): Promise<() => Promise<void>> {
  try {
    return await lockFile(dir, { staleMs: LOCK_STALE_MS, timeoutMs: 0 });
  } catch (error) {
    // The lock directory exists: another process holds the spool. Any other failure: the spool is unusable.
    if (!existsSync(`${dir}.lock`)) throw error;
    const pid = isGymnosError(error) ? (error.details.pid as number | undefined) : undefined;
    // The code keeps the name of the layer's first backend: it is public.
    throw new GymnosError(
      'MLFLOW_SPOOL_BUSY',
      `${dir} is in use by another process${pid ? ` (pid ${pid})` : ''} (a run still logging, or ` +
        'another delivery)',
      { kind: 'conflict', details: { spoolDir: dir, ...(pid ? { pid } : {}) }, cause: error },
    );
  }
}

/**
 * Test hook, off unless set: GYMNOS_TEST_CRASH_AT=<point> kills the process with SIGKILL at that point of a
 * spool write, so that a test sees what a crash there leaves. Points: `spool-compacted` (the compacted queue
 * renamed in, its cursor not written yet).
 */
function crashPoint(point: string): void {
  if (process.env.GYMNOS_TEST_CRASH_AT === point) process.kill(process.pid, 'SIGKILL');
}

const newGeneration = () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;

/** The header line of a queue of `generation`. */
const headerLine = (generation: string) => `${JSON.stringify({ spool: 2, generation })}\n`;

/**
 * An append that failed partway (the disk filled): the first `written` records are in the queue, the rest are not
 * (a line cut short by the failure was cut off again), so the caller keeps exactly those.
 */
export class SpoolAppendError extends Error {
  readonly code: string | undefined;

  constructor(
    readonly written: number,
    cause: unknown,
  ) {
    super(errorMessage(cause), { cause });
    this.code = (cause as NodeJS.ErrnoException | undefined)?.code;
  }
}

interface Cursor {
  /** Undefined for the bare offset an earlier gymnos wrote. */
  generation: string | undefined;
  offset: number;
  doubt: SpoolRange | undefined;
}

/** queue.offset's JSON as read, before it is checked. */
interface CursorText {
  generation?: unknown;
  offset?: unknown;
  doubt?: Partial<SpoolRange>;
}

function parseCursor(text: string): Cursor | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return { generation: undefined, offset: Number(trimmed), doubt: undefined };
  try {
    const cursor = JSON.parse(trimmed) as CursorText | null; // any JSON: `null` too
    if (!cursor || typeof cursor.generation !== 'string' || !Number.isSafeInteger(cursor.offset)) return undefined;
    const doubt = cursor.doubt;
    const valid = doubt && Number.isSafeInteger(doubt.start) && Number.isSafeInteger(doubt.end);
    return {
      generation: cursor.generation,
      offset: cursor.offset as number,
      doubt: valid ? { start: doubt.start!, end: doubt.end!, settleBy: Number(doubt.settleBy) || 0 } : undefined,
    };
  } catch (error) {
    if (error instanceof SyntaxError) return undefined; // cut short: the queue is read from its start
    throw error;
  }
}

/**
 * Writes the first `length` bytes of `buffer` at the file's position: a write can take fewer bytes than it is given
 * (a disk with less room left), and the next one then fails with the reason (ENOSPC).
 */
function writeFully(fd: number, buffer: Buffer, length: number): void {
  for (let written = 0; written < length;) written += writeSync(fd, buffer, written, length - written);
}

export class Spool {
  readonly dir: string;
  readonly maxBytes: number;
  #size = 0;
  #offset = 0;
  /** The queue's generation ('' for a queue an earlier gymnos wrote, without a header) and its header's bytes. */
  #generation = '';
  #headerBytes = 0;
  #doubt: SpoolRange | undefined;
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
    await this.#endTornLine();
    await this.#readHeader();
    const text = await readFile(this.#offsetFile, 'utf8').catch(() => '0');
    this.#placeCursor(parseCursor(text));
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

  /**
   * A process killed mid-append leaves the queue's last line torn: end it, so that the next record starts a line
   * of its own instead of being glued onto it and lost with it (readers pass over the torn line).
   */
  async #endTornLine(): Promise<void> {
    if (this.#size === 0 || (await this.#readRange(this.#size - 1, 1))[0] === 0x0a) return; // '\n'
    await appendFile(this.#queueFile, '\n');
    this.#size += 1;
  }

  /** Reads the queue's header line: its generation, or none (a queue of an earlier gymnos). */
  async #readHeader(): Promise<void> {
    this.#generation = '';
    this.#headerBytes = 0;
    if (this.#size === 0) return;
    const head = (await this.#readRange(0, Math.min(this.#size, 256))).toString('utf8');
    const match = /^\{"spool":2,"generation":"([^"\n]+)"\}\n/.exec(head);
    if (match) {
      this.#generation = match[1]!;
      this.#headerBytes = Buffer.byteLength(match[0]);
    }
  }

  /**
   * Where the queue resumes. A cursor of another generation than the queue's was written before the queue was
   * compacted (a crash between the rename and the cursor's write): the queue then starts at its first record,
   * and a range in doubt moves with the records.
   */
  #placeCursor(cursor: Cursor | undefined): void {
    this.#offset = this.#headerBytes;
    this.#doubt = undefined;
    if (!cursor || this.#size === 0) return;
    const sameQueue =
      cursor.generation === undefined ? this.#generation === '' : cursor.generation === this.#generation;
    const shift = sameQueue ? 0 : this.#headerBytes - cursor.offset;
    const offset = sameQueue ? cursor.offset : this.#headerBytes;
    if (!Number.isSafeInteger(offset) || offset < this.#headerBytes || offset > this.#size) return;
    this.#offset = offset;
    const doubt = cursor.doubt && { ...cursor.doubt, start: cursor.doubt.start + shift, end: cursor.doubt.end + shift };
    if (doubt && doubt.start >= this.#offset && doubt.end > doubt.start && doubt.end <= this.#size) this.#doubt = doubt;
  }

  /** The range of a request whose answer was lost, not settled yet. */
  get doubt(): SpoolRange | undefined {
    return this.#doubt;
  }

  /** Records that the request for `range` is about to be sent: a crash before its answer leaves it in doubt. */
  markInDoubt(range: SpoolRange): void {
    this.#doubt = { ...range };
    this.#writeCursor();
  }

  /** The request in doubt got a definite answer (or was never sent). */
  clearDoubt(): void {
    if (!this.#doubt) return;
    this.#doubt = undefined;
    this.#writeCursor();
  }

  #writeCursor(): void {
    const cursor = {
      generation: this.#generation,
      offset: this.#offset,
      ...(this.#doubt ? { doubt: this.#doubt } : {}),
    };
    // Atomic, not durable: the cursor is written twice a batch, synchronously on the training loop's thread,
    // where an fsync of the file and of its directory costs 10 to 15 ms; a killed process keeps it (the page cache
    // outlives the process), and what a power cut can take from it costs a re-send (docs/trackers/mlflow.md), as
    // for the queue's appends, which are not fsynced either.
    writeFileAtomicSync(this.#offsetFile, `${JSON.stringify(cursor)}\n`, { durable: false });
  }

  /** Releases the lock taken by `open`. Idempotent. */
  async close(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    await release?.().catch(() => undefined);
  }

  async readMeta<Meta extends RunMeta = RunMeta>(): Promise<Meta | undefined> {
    try {
      const meta = JSON.parse(await readFile(path.join(this.dir, 'run.json'), 'utf8')) as Meta;
      return meta && meta.version === 1 ? meta : undefined;
    } catch {
      return undefined;
    }
  }

  async writeMeta(meta: RunMeta): Promise<void> {
    await writeFileAtomic(path.join(this.dir, 'run.json'), JSON.stringify(meta, null, 2) + '\n');
  }

  /** `writeMeta` for the exit of the process, when nothing asynchronous runs any more. */
  writeMetaSync(meta: RunMeta): void {
    writeFileAtomicSync(path.join(this.dir, 'run.json'), JSON.stringify(meta, null, 2) + '\n');
  }

  /** Where the undelivered records start. */
  get offset(): number {
    return this.#offset;
  }

  /** When the spool was last written (its queue, else its run.json), in ms since the epoch. */
  async lastWriteTime(): Promise<number> {
    const times = await Promise.all(
      [this.#queueFile, path.join(this.dir, 'run.json')].map((file) =>
        stat(file).then(
          (stats) => stats.mtimeMs,
          () => 0,
        ),
      ),
    );
    return Math.round(Math.max(...times)) || Date.now();
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
  async append(
    records: readonly QueueRecord[],
    options: { inDoubt?: number; settleBy?: number } = {},
  ): Promise<{ refused: QueueRecord[] }> {
    return this.appendSync(records, { ...options, compact: true });
  }

  /**
   * `append`, synchronously: for a log call whose memory queue is full, and for the exit of the process. Only
   * the delivery's own rounds may compact the queue (`compact`): a delivery in flight holds offsets into it.
   * `inDoubt`: the first that many records are a request whose answer was lost (until `settleBy`); their range
   * is recorded.
   */
  appendSync(
    records: readonly QueueRecord[],
    options: { compact?: boolean; inDoubt?: number; settleBy?: number } = {},
  ): { refused: QueueRecord[] } {
    // Records whose lines are in the queue file: all of them a failure leaves there.
    let written = 0;
    try {
      return this.#append(records, options, (count) => (written = count));
    } catch (error) {
      throw new SpoolAppendError(written, error);
    }
  }

  #append(
    records: readonly QueueRecord[],
    options: { compact?: boolean; inDoubt?: number; settleBy?: number },
    wrote: (count: number) => void,
  ): { refused: QueueRecord[] } {
    if (this.#size === 0 && records.length > 0) this.#startQueue();
    const lines: string[] = [];
    let added = 0;
    let index = 0;
    // Bytes this call appends, and those of its first `inDoubt` records: they end the file once it returns
    // (a compaction meanwhile moves what came before them), which places the range in doubt.
    let appended = 0;
    let doubtBytes = 0;
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
        if (options.compact && this.#offset > this.#headerBytes) {
          // Make room by dropping the delivered prefix, after writing out what this call has so far.
          added = this.#appendLines(lines, added);
          wrote(index);
          this.#compact();
        }
        if (this.liveBytes + added + lineBytes + fileBytes > this.maxBytes) break;
      }
      if (line === undefined) {
        const artifact = record as ArtifactRecord;
        const file = this.#writeOwnedFile(artifact.path, artifact.bytes!);
        const stored: ArtifactRecord = { t: 'artifact', path: artifact.path, contentType: artifact.contentType, file };
        line = JSON.stringify({ ...stored, owned: true }) + '\n';
      }
      const bytes = Buffer.byteLength(line);
      added += bytes;
      appended += bytes;
      if (index < (options.inDoubt ?? 0)) doubtBytes += bytes;
      lines.push(line);
    }
    this.#appendLines(lines, added);
    wrote(index);
    if (options.inDoubt && index >= options.inDoubt) {
      const start = this.#size - appended;
      this.markInDoubt({ start, end: start + doubtBytes, settleBy: options.settleBy ?? 0 });
    }
    return { refused: records.slice(index) };
  }

  /** A new queue: its header names a new generation (an old cursor can never apply to it). */
  #startQueue(): void {
    this.#generation = newGeneration();
    const header = headerLine(this.#generation);
    writeFileSync(this.#queueFile, header);
    this.#headerBytes = Buffer.byteLength(header);
    this.#size = this.#headerBytes;
    this.#offset = this.#headerBytes;
    this.#doubt = undefined;
  }

  /** Appends `lines` (of `bytes` bytes in all) to the queue; returns 0, what is left pending. */
  #appendLines(lines: string[], bytes: number): number {
    if (lines.length === 0) return 0;
    try {
      appendFileSync(this.#queueFile, lines.join(''));
    } catch (error) {
      // Part of the lines may have landed (a disk that filled midway): cut them off, so that the queue ends on a
      // record this spool counts and a later append starts on a line of its own.
      truncateSync(this.#queueFile, this.#size);
      throw error;
    }
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
   * Rewrites the queue without its delivered prefix, under a new generation, copied in chunks since the queue may
   * be hundreds of megabytes (so not through writeFileAtomic, which takes the whole content). Ordered so that a
   * crash anywhere costs nothing: the new queue is complete and on disk before it replaces the old one, and the
   * cursor written after it names its generation (a cursor left of the old one is recognised: #placeCursor).
   */
  #compact(): void {
    const temp = temporaryPathFor(this.#queueFile);
    const generation = newGeneration();
    const header = Buffer.from(headerLine(generation));
    const chunk = Buffer.alloc(1 << 20);
    let input: number | undefined;
    let output: number | undefined;
    try {
      input = openSync(this.#queueFile, 'r');
      output = openSync(temp, 'w');
      writeFully(output, header, header.byteLength);
      for (let position = this.#offset; ;) {
        const read = readSync(input, chunk, 0, chunk.length, position);
        if (read === 0) break;
        writeFully(output, chunk, read);
        position += read;
      }
      fsyncSync(output);
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
    crashPoint('spool-compacted');
    const shift = header.byteLength - this.#offset;
    this.#size += shift;
    this.#offset = header.byteLength;
    this.#headerBytes = header.byteLength;
    this.#generation = generation;
    if (this.#doubt) this.#doubt = { ...this.#doubt, start: this.#doubt.start + shift, end: this.#doubt.end + shift };
    this.#writeCursor();
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

  /**
   * The next undelivered lines (up to `maxBytes`, 2 MB unless said, and at most `maxEntries` of them: a line is
   * parsed only when it is needed), each with the offset just past it.
   */
  async readWindow(maxEntries = Infinity, maxBytes = READ_WINDOW_BYTES): Promise<SpoolEntry[]> {
    if (!this.hasPending) return [];
    const length = Math.min(maxBytes, this.#size - this.#offset);
    const chunk = await this.#readRange(this.#offset, length);
    const entries: SpoolEntry[] = [];
    let position = 0;
    while (position < chunk.length && entries.length < maxEntries) {
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

  /**
   * Marks the queue delivered up to `offset` (a range in doubt before it is settled too); removes the queue
   * files once all of it is.
   */
  async advance(offset: number): Promise<void> {
    this.#offset = Math.min(Math.max(offset, this.#offset), this.#size);
    if (this.#doubt && this.#doubt.end <= this.#offset) this.#doubt = undefined;
    else if (this.#doubt && this.#doubt.start < this.#offset) this.#doubt = { ...this.#doubt, start: this.#offset };
    if (this.#offset >= this.#size) {
      this.#reset();
      return;
    }
    this.#writeCursor();
  }

  /**
   * Everything is delivered: the queue files go. The queue first: a crash before the cursor goes leaves a cursor
   * of a generation no later queue has.
   */
  #reset(): void {
    removeFile(this.#queueFile);
    removeFile(this.#offsetFile);
    rmSync(this.#filesDir, { recursive: true, force: true });
    this.#size = 0;
    this.#offset = 0;
    this.#headerBytes = 0;
    this.#generation = '';
    this.#doubt = undefined;
    this.#filesBytes = 0;
  }

  /** Deletes a spooled figure file once it is uploaded or refused for good. */
  async release(record: ArtifactRecord): Promise<void> {
    if (!record.owned || !record.file) return;
    const size = statSync(record.file, { throwIfNoEntry: false })?.size ?? 0;
    removeFile(record.file);
    this.#filesBytes = Math.max(0, this.#filesBytes - size);
  }

  /** Counts the undelivered values by kind, a row's metrics as metrics (reads the whole live queue: for reports). */
  async countPending(): Promise<Record<ArtifactRecord['t'] | DataRecord['t'], number>> {
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
      if (record?.t === 'row') counts.metric += valuesOf(record);
      else if (record && Object.hasOwn(counts, record.t)) counts[record.t as keyof typeof counts] += 1;
    }
    return counts;
  }

  /** The newest record of the queue that is not delivered yet (its last line), or undefined. */
  async lastPending(): Promise<QueueRecord | undefined> {
    if (!this.hasPending) return undefined;
    const length = Math.min(READ_WINDOW_BYTES, this.#size - this.#offset);
    const tail = (await this.#readRange(this.#size - length, length)).toString('utf8');
    const lines = tail.split('\n').filter((line) => line !== '');
    for (let index = lines.length - 1; index >= (length < this.#size - this.#offset ? 1 : 0); index -= 1) {
      try {
        return JSON.parse(lines[index]!) as QueueRecord;
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error; // a line cut by a crash: the one before it
      }
    }
    return undefined;
  }
}
