/**
 * Long series, drawn with a bounded number of points.
 *
 * `SeriesSampler` takes a series one point at a time in bounded memory: points fall into at most `buckets`
 * consecutive buckets, each keeping its first, lowest, highest and last point, and when the buckets are full,
 * neighbours merge pairwise (each bucket then covers twice as many points). Every spike survives. `finish()`
 * then runs largest-triangle-three-buckets (Steinarsson 2013) over those candidates to the requested number of
 * points. Only finite values are kept: NaN and ±Infinity cannot be drawn (the summary counts them).
 */

import { decodeColumn, encodeFloatColumn, encodeIntegerColumn } from './column_codec.js';
import type { ColumnKind, EncodedColumn } from './column_codec.js';

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** One drawn point: the step, the value, the wall time in epoch milliseconds. */
export interface SampledSeries {
  steps: number[];
  values: number[];
  times: number[];
  /** Points the series had (finite ones), before sampling. */
  total: number;
}

const FIRST = 0;
const LOW = 1;
const HIGH = 2;
const LAST = 3;
/** Per kept point: its index in the series, step, value, time. */
const FIELDS = 4;
const SLOTS = 4 * FIELDS;
/** Buckets of storage a sampler starts with; it doubles up to its capacity (most series are short). */
const INITIAL_STORAGE = 1;

/**
 * A sampler's state as plain data, so a tracker can save it beside its run and a reader go on from it. Only the
 * distinct points the buckets keep are stored, as columns (column_codec.ts): while every bucket holds one point
 * (a series shorter than the buckets), a point costs about 13 bytes, not the 4 × 4 doubles of its bucket.
 */
export interface SamplerSnapshot {
  buckets: number;
  count: number;
  width: number;
  inLast: number;
  total: number;
  /** How many distinct points the buckets keep, in series order. */
  points: number;
  /** Base64, a byte per bucket: for its FIRST, LOW, HIGH and LAST slots, 2 bits each, which of its points. */
  slots: string;
  /** Base64 columns of the points: [encoding, bytes] (column_codec.ts). */
  index: [ColumnKind, string];
  step: [ColumnKind, string];
  value: [ColumnKind, string];
  time: [ColumnKind, string];
}

export class SeriesSampler {
  readonly #capacity: number;
  /** Per bucket, the FIRST, LOW, HIGH and LAST points, FIELDS numbers each. */
  #data: Float64Array;
  #count = 0; // buckets in use
  #width = 1; // points per bucket
  #inLast = 0; // points in the last bucket
  #total = 0;

  constructor(buckets = 1024) {
    this.#capacity = Math.max(2, buckets - (buckets % 2));
    this.#data = new Float64Array(Math.min(this.#capacity, INITIAL_STORAGE) * SLOTS);
  }

  /** The bucket count it was made with (a snapshot only continues a sampler of the same count). */
  get buckets(): number {
    return this.#capacity;
  }

  snapshot(): SamplerSnapshot {
    const data = this.#data;
    const slots = new Uint8Array(this.#count);
    const columns: number[][] = [[], [], [], []]; // index, step, value, time
    for (let bucket = 0; bucket < this.#count; bucket++) {
      const base = bucket * SLOTS;
      const indices = [...new Set([FIRST, LOW, HIGH, LAST].map((slot) => data[base + slot * FIELDS]!))].sort(
        (a, b) => a - b,
      );
      for (const index of indices) {
        const at = base + [FIRST, LOW, HIGH, LAST].find((slot) => data[base + slot * FIELDS] === index)! * FIELDS;
        for (let field = 0; field < FIELDS; field++) columns[field]!.push(data[at + field]!);
      }
      for (const slot of [FIRST, LOW, HIGH, LAST]) {
        slots[bucket]! |= indices.indexOf(data[base + slot * FIELDS]!) << (2 * slot);
      }
    }
    const column = (encoded: EncodedColumn): [ColumnKind, string] => [encoded.kind, base64(encoded.bytes)];
    return {
      buckets: this.#capacity,
      count: this.#count,
      width: this.#width,
      inLast: this.#inLast,
      total: this.#total,
      points: columns[0]!.length,
      slots: base64(slots),
      index: column(encodeIntegerColumn(columns[0]!)),
      step: column(encodeIntegerColumn(columns[1]!)),
      value: column(encodeFloatColumn(columns[2]!, 'd')),
      time: column(encodeIntegerColumn(columns[3]!)),
    };
  }

  /** A sampler that goes on exactly where the snapshot's stopped; undefined for a snapshot that does not fit. */
  static restore(snapshot: SamplerSnapshot): SeriesSampler | undefined {
    const sampler = new SeriesSampler(snapshot.buckets);
    const { count, width, inLast, total, points } = snapshot;
    if (sampler.#capacity !== snapshot.buckets || count > snapshot.buckets) return undefined;
    if (![count, width, inLast, total, points].every((n) => Number.isInteger(n) && n >= 0)) return undefined;
    let columns: ArrayLike<number>[];
    let slots: Uint8Array;
    try {
      slots = Buffer.from(snapshot.slots, 'base64');
      columns = [snapshot.index, snapshot.step, snapshot.value, snapshot.time].map(([kind, text]) =>
        decodeColumn(kind, Buffer.from(text, 'base64'), points),
      );
    } catch (error) {
      if (error instanceof RangeError || error instanceof TypeError) return undefined; // short or malformed
      throw error;
    }
    if (slots.length !== count) return undefined;
    sampler.#data = new Float64Array(Math.max(count, Math.min(sampler.#capacity, INITIAL_STORAGE)) * SLOTS);
    let point = 0;
    for (let bucket = 0; bucket < count; bucket++) {
      const positions = [FIRST, LOW, HIGH, LAST].map((slot) => (slots[bucket]! >> (2 * slot)) & 3);
      for (const slot of [FIRST, LOW, HIGH, LAST]) {
        const at = bucket * SLOTS + slot * FIELDS;
        for (let field = 0; field < FIELDS; field++)
          sampler.#data[at + field] = columns[field]![point + positions[slot]!]!;
      }
      point += Math.max(...positions) + 1;
      if (point > points) return undefined;
    }
    if (point !== points) return undefined;
    sampler.#count = count;
    sampler.#width = width;
    sampler.#inLast = inLast;
    sampler.#total = total;
    return sampler;
  }

  add(step: number, value: number, time: number): void {
    if (value - value !== 0) return; // NaN, ±Infinity
    const index = this.#total++;
    if (this.#count === 0 || this.#inLast === this.#width) {
      if (this.#count === this.#capacity) this.#mergePairs();
      else if ((this.#count + 1) * SLOTS > this.#data.length) this.#grow();
      const data = this.#data; // after #grow, which replaces the array
      const base = this.#count++ * SLOTS;
      for (let slot = 0; slot < 4; slot++) {
        const at = base + slot * FIELDS;
        data[at] = index;
        data[at + 1] = step;
        data[at + 2] = value;
        data[at + 3] = time;
      }
      this.#inLast = 1;
      return;
    }
    const data = this.#data;
    const base = (this.#count - 1) * SLOTS;
    this.#inLast++;
    set(data, base + LAST * FIELDS, index, step, value, time);
    if (value < data[base + LOW * FIELDS + 2]!) set(data, base + LOW * FIELDS, index, step, value, time);
    if (value > data[base + HIGH * FIELDS + 2]!) set(data, base + HIGH * FIELDS, index, step, value, time);
  }

  #grow(): void {
    const larger = new Float64Array(Math.min(this.#capacity, (this.#data.length / SLOTS) * 2) * SLOTS);
    larger.set(this.#data);
    this.#data = larger;
  }

  /** Halves the buckets: bucket i takes buckets 2i and 2i+1. */
  #mergePairs(): void {
    const data = this.#data;
    for (let i = 0; i < this.#capacity / 2; i++) {
      const a = 2 * i * SLOTS;
      const b = a + SLOTS;
      const to = i * SLOTS;
      copy(data, a + FIRST * FIELDS, to + FIRST * FIELDS);
      const low = data[b + LOW * FIELDS + 2]! < data[a + LOW * FIELDS + 2]! ? b : a;
      const high = data[b + HIGH * FIELDS + 2]! > data[a + HIGH * FIELDS + 2]! ? b : a;
      copy(data, low + LOW * FIELDS, to + LOW * FIELDS);
      copy(data, high + HIGH * FIELDS, to + HIGH * FIELDS);
      copy(data, b + LAST * FIELDS, to + LAST * FIELDS);
    }
    this.#count = this.#capacity / 2;
    this.#width *= 2;
    // The last bucket is now full (two full buckets merged), so the next point opens a new one.
    this.#inLast = this.#width;
  }

  get total(): number {
    return this.#total;
  }

  /** At most `points` points (first and last always kept), in series order. */
  finish(points: number): SampledSeries {
    const data = this.#data;
    const candidates: number[] = []; // offsets into data, in index order, without repeats
    let lastIndex = -1;
    for (let bucket = 0; bucket < this.#count; bucket++) {
      const base = bucket * SLOTS;
      const slots = [FIRST, LOW, HIGH, LAST].map((slot) => base + slot * FIELDS);
      slots.sort((x, y) => data[x]! - data[y]!);
      for (const at of slots) {
        if (data[at]! === lastIndex) continue;
        lastIndex = data[at]!;
        candidates.push(at);
      }
    }
    const chosen = largestTriangleThreeBuckets(
      candidates.map((at) => data[at + 1]!),
      candidates.map((at) => data[at + 2]!),
      points,
    );
    const series: SampledSeries = { steps: [], values: [], times: [], total: this.#total };
    for (const i of chosen) {
      const at = candidates[i]!;
      series.steps.push(data[at + 1]!);
      series.values.push(data[at + 2]!);
      series.times.push(data[at + 3]!);
    }
    return series;
  }
}

function set(data: Float64Array, at: number, index: number, step: number, value: number, time: number): void {
  data[at] = index;
  data[at + 1] = step;
  data[at + 2] = value;
  data[at + 3] = time;
}

function copy(data: Float64Array, from: number, to: number): void {
  if (from !== to) data.copyWithin(to, from, from + FIELDS);
}

/**
 * Largest-triangle-three-buckets: the indices of `threshold` points of (xs, ys) that keep the series' shape.
 * The first and last points are always kept; every other bucket keeps the point forming the largest triangle
 * with the point kept before it and the average of the next bucket.
 */
export function largestTriangleThreeBuckets(xs: readonly number[], ys: readonly number[], threshold: number): number[] {
  const length = xs.length;
  if (threshold >= length) return Array.from({ length }, (_, i) => i);
  if (threshold < 3) return [0, length - 1];
  const chosen = [0];
  const every = (length - 2) / (threshold - 2);
  let a = 0;
  for (let i = 0; i < threshold - 2; i++) {
    const nextStart = Math.floor((i + 1) * every) + 1;
    const nextEnd = Math.min(Math.floor((i + 2) * every) + 1, length);
    let avgX = 0;
    let avgY = 0;
    for (let j = nextStart; j < nextEnd; j++) {
      avgX += xs[j]!;
      avgY += ys[j]!;
    }
    const span = Math.max(nextEnd - nextStart, 1);
    avgX /= span;
    avgY /= span;
    const start = Math.floor(i * every) + 1;
    const end = Math.floor((i + 1) * every) + 1;
    let best = start;
    let bestArea = -1;
    for (let j = start; j < end; j++) {
      const area = Math.abs((xs[a]! - avgX) * (ys[j]! - ys[a]!) - (xs[a]! - xs[j]!) * (avgY - ys[a]!));
      if (area > bestArea) {
        bestArea = area;
        best = j;
      }
    }
    chosen.push(best);
    a = best;
  }
  chosen.push(length - 1);
  return chosen;
}
