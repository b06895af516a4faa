/**
 * A remote tracker's memory queue: what log calls handed over and nothing has taken yet, bounded by a
 * number of items. Data records (metrics, params, tags) and artifacts wait in two lists, each in logging
 * order: data goes out in batches, artifacts one upload at a time.
 *
 * Whoever takes records out (the sender, the spool) says how many it took from the front once they are safe,
 * never before: records logged while a send or a spool write is in flight stay queued.
 */
import { countRecord, zeroCounts } from './records.js';
import type { ArtifactRecord, BatchRecord, DataRecord, DeliveryCounts } from './records.js';

/** A copy of the queue's records at one moment, and how many of each list it holds. */
export interface QueueSnapshot<Data extends BatchRecord = DataRecord> {
  /** Data first, then artifacts: the order they are spooled in. */
  records: (Data | ArtifactRecord)[];
  data: number;
  artifacts: number;
}

export class MemoryQueue<Data extends BatchRecord = DataRecord> {
  readonly maxItems: number;
  readonly #data: Data[] = [];
  readonly #artifacts: ArtifactRecord[] = [];

  constructor(maxItems: number) {
    this.maxItems = maxItems;
  }

  get size(): number {
    return this.#data.length + this.#artifacts.length;
  }

  /** Data records waiting, oldest first (read-only: take them with `forgetData`). */
  get data(): readonly Data[] {
    return this.#data;
  }

  /** The oldest artifact waiting. */
  get firstArtifact(): ArtifactRecord | undefined {
    return this.#artifacts[0];
  }

  /** Queues a record; false when the queue is full (the record is not queued). */
  push(record: Data | ArtifactRecord): boolean {
    if (this.size >= this.maxItems) return false;
    if (record.t === 'artifact') this.#artifacts.push(record);
    else this.#data.push(record);
    return true;
  }

  /** Forgets the `count` oldest data records (delivered, refused or written elsewhere). */
  forgetData(count: number): void {
    this.#data.splice(0, count);
  }

  /** Forgets the `count` oldest artifacts. */
  forgetArtifacts(count: number): void {
    this.#artifacts.splice(0, count);
  }

  /**
   * Takes out every record but the first `keepData` data records and `keepArtifacts` artifacts (those a send in
   * flight holds), in spool order: data, then artifacts.
   */
  takeBeyond(keepData: number, keepArtifacts: number): (Data | ArtifactRecord)[] {
    return [...this.#data.splice(keepData), ...this.#artifacts.splice(keepArtifacts)];
  }

  /** The records queued now; pass it to `forget` once they are safe elsewhere. */
  snapshot(): QueueSnapshot<Data> {
    return { records: [...this.#data, ...this.#artifacts], data: this.#data.length, artifacts: this.#artifacts.length };
  }

  /** Forgets what `snapshot` returned, and only that: records queued since are kept. */
  forget(snapshot: QueueSnapshot<Data>): void {
    this.forgetData(snapshot.data);
    this.forgetArtifacts(snapshot.artifacts);
  }

  /** Forgets the first `count` records of `snapshot` (in its order: data, then artifacts), written elsewhere. */
  forgetFirst(snapshot: QueueSnapshot<Data>, count: number): void {
    this.forgetData(Math.min(count, snapshot.data));
    this.forgetArtifacts(Math.max(0, count - snapshot.data));
  }

  /** How many records of each kind wait. */
  counts(): DeliveryCounts {
    const counts = zeroCounts();
    for (const record of this.#data) countRecord(counts, record);
    counts.artifacts += this.#artifacts.length;
    return counts;
  }
}
