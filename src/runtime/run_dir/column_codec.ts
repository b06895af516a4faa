/**
 * Columns of numbers as compact bytes, for the samples a jsonl run keeps beside its events
 * (`summary.samples.json`) and the series a report embeds: steps and times, which grow by small steps, as
 * zigzag varints of their differences (a byte or two each instead of eight); values as float64 (exact) or
 * float32 (a drawn point). A column that holds anything but safe integers falls back to float64, so every
 * encoding is lossless for what it is given.
 *
 * No Node import: the report page bundles the decoders (base64 is the caller's: Buffer here, atob there).
 */

/** `i`: zigzag varints of the differences; `d`: float64 little-endian; `f`: float32 little-endian. */
export type ColumnKind = 'i' | 'd' | 'f';

export interface EncodedColumn {
  kind: ColumnKind;
  bytes: Uint8Array;
}

const LIMIT = 2 ** 52; // a difference of two safe integers stays exact below 2^53; zigzag doubles it

function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

function unzigzag(value: number): number {
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}

/** Whole numbers whose differences zigzag and varint-encode exactly. */
function integral(values: ArrayLike<number>): boolean {
  let previous = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (!Number.isSafeInteger(value) || Math.abs(value - previous) >= LIMIT || Object.is(value, -0)) return false;
    previous = value;
  }
  return true;
}

/** Steps and times: varints of differences when they are whole numbers, else float64. */
export function encodeIntegerColumn(values: ArrayLike<number>): EncodedColumn {
  if (!integral(values)) return encodeFloatColumn(values, 'd');
  const bytes: number[] = [];
  let previous = 0;
  for (let i = 0; i < values.length; i++) {
    let rest = zigzag(values[i]! - previous);
    previous = values[i]!;
    while (rest >= 128) {
      bytes.push((rest % 128) + 128);
      rest = Math.floor(rest / 128);
    }
    bytes.push(rest);
  }
  return { kind: 'i', bytes: Uint8Array.from(bytes) };
}

export function encodeFloatColumn(values: ArrayLike<number>, kind: 'd' | 'f'): EncodedColumn {
  const array = kind === 'd' ? Float64Array.from(values) : Float32Array.from(values);
  const bytes = new Uint8Array(array.buffer);
  if (!littleEndian()) reverseWords(bytes, array.BYTES_PER_ELEMENT);
  return { kind, bytes };
}

/** `count` numbers from a column's bytes. */
export function decodeColumn(kind: ColumnKind, bytes: Uint8Array, count: number): Float64Array | Float32Array {
  if (kind === 'i') {
    const values = new Float64Array(count);
    let at = 0;
    let previous = 0;
    for (let i = 0; i < count; i++) {
      let value = 0;
      let scale = 1;
      let byte: number;
      do {
        if (at >= bytes.length) throw new RangeError(`column: ${count} numbers expected, ${i} found`);
        byte = bytes[at++]!;
        value += (byte & 127) * scale;
        scale *= 128;
      } while (byte >= 128);
      previous += unzigzag(value);
      values[i] = previous;
    }
    return values;
  }
  const size = kind === 'd' ? 8 : 4;
  if (bytes.length !== count * size)
    throw new RangeError(`column: ${count * size} bytes expected, ${bytes.length} found`);
  const copy = new Uint8Array(bytes.length); // aligned, and ours to reorder (a Buffer's slice() is a view)
  copy.set(bytes);
  if (!littleEndian()) reverseWords(copy, size);
  return kind === 'd' ? new Float64Array(copy.buffer) : new Float32Array(copy.buffer);
}

function littleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}

function reverseWords(bytes: Uint8Array, size: number): void {
  for (let at = 0; at < bytes.length; at += size) bytes.subarray(at, at + size).reverse();
}
