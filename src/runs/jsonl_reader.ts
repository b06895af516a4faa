/**
 * Reads a jsonl run (docs/trackers/jsonl.md): `events.jsonl` streamed once, plus `params.json` and `tags.json`.
 *
 * Metric lines are what a run is made of (millions of them), and the jsonl tracker writes them in one fixed
 * shape: `{"time":T,"step":S,"kind":"metric","name":N,"value":V}`. Those are parsed straight from the bytes,
 * without a string or an object per line; any other line (params, tags, files, status, or a metric written by
 * another program in another key order) goes through JSON.parse. Both paths give the same events.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { latin1, MAX_LINE_BYTES, readChunks } from './line_reader.js';
import { openRunFile, readableJson, readRunJsonObject, runFileError } from '../runtime/run_dir/run_files.js';
import type { ReadReport, RunVisitor } from './types.js';
import type { EndStatus, ResumeAt, RunFileKind } from '../runtime/run_dir/types.js';

const NON_FINITE: Readonly<Record<string, number>> = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  '-Infinity': Number.NEGATIVE_INFINITY,
};

const HEAD = Buffer.from('{"time":');
const STEP_KEY = Buffer.from(',"step":');
const METRIC_KEYS = Buffer.from(',"kind":"metric","name":"');
const VALUE_KEY = Buffer.from(',"value":');
const FILE_KINDS = new Set<string>(['asset', 'image', 'figure']);
const NEWLINE = 0x0a;

/** 10^k for k ≤ 22: exact doubles, so a mantissa below 2^53 divided by one is correctly rounded (Clinger). */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * What `parseMetricLine` found, kept in module variables rather than an object per line. `lineExact` is false
 * when `lineValue` is only approximate (more than 15 significant digits: within a few units in the last place);
 * its text starts at `lineValueStart`.
 */
let lineTime = 0;
let lineStep = 0;
let lineValue = 0;
let lineValueStart = 0;
let lineExact = true;
let nameStart = 0;
let nameEnd = 0;
let nameHash = 0;

function matchesAt(buffer: Buffer, at: number, expected: Buffer): boolean {
  for (let i = 0; i < expected.length; i++) if (buffer[at + i] !== expected[i]) return false;
  return true;
}

/**
 * Parses `{"time":T,"step":S,"kind":"metric","name":"N","value":V}\n` at `start`, byte by byte in one pass,
 * and returns the index of its newline; -1 when the line has another shape (the caller parses it as JSON),
 * -2 when the buffer ends before the line does.
 */
function parseMetricLine(buffer: Buffer, start: number, end: number): number {
  if (start + 64 > end) return -2;
  if (!matchesAt(buffer, start, HEAD)) return -1;
  let at = start + HEAD.length;
  let time = 0;
  for (let byte = buffer[at]!; byte >= 0x30 && byte <= 0x39; byte = buffer[++at]!) time = time * 10 + byte - 0x30;
  if (at + STEP_KEY.length + 1 >= end) return -2;
  if (at === start + HEAD.length || !matchesAt(buffer, at, STEP_KEY)) return -1;
  at += STEP_KEY.length;
  const stepStart = at;
  let step = 0;
  for (let byte = buffer[at]!; byte >= 0x30 && byte <= 0x39; byte = buffer[++at]!) step = step * 10 + byte - 0x30;
  if (at + METRIC_KEYS.length + 1 >= end) return -2;
  if (at === stepStart || at - stepStart > 15 || !matchesAt(buffer, at, METRIC_KEYS)) return -1;
  at += METRIC_KEYS.length;
  nameStart = at;
  let hash = 0;
  for (let byte = buffer[at]!; byte !== 0x22; byte = buffer[++at]!) {
    if (byte === 0x5c || at >= end) return at >= end ? -2 : -1; // an escape: JSON.parse decodes it
    hash = (Math.imul(hash, 31) + byte) | 0;
  }
  nameEnd = at;
  nameHash = hash;
  at++;
  if (at + VALUE_KEY.length + 2 >= end) return -2;
  if (!matchesAt(buffer, at, VALUE_KEY)) return -1;
  at += VALUE_KEY.length;
  const valueStart = at;
  if (buffer[at] === 0x22) {
    // "NaN", "Infinity", "-Infinity"
    const close = buffer.indexOf(0x22, at + 1);
    if (close === -1 || close + 2 >= end) return -2;
    const value = NON_FINITE[latin1(buffer, at + 1, close)];
    if (value === undefined || buffer[close + 1] !== 0x7d || buffer[close + 2] !== NEWLINE) return -1;
    lineValue = value;
    lineExact = true;
    at = close + 1;
  } else {
    const negative = buffer[at] === 0x2d;
    if (negative) at++;
    let mantissa = 0;
    let digits = 0;
    let fraction = -1;
    for (let byte = buffer[at]!; ; byte = buffer[++at]!) {
      if (byte >= 0x30 && byte <= 0x39) {
        mantissa = mantissa * 10 + byte - 0x30;
        if (mantissa !== 0) digits++;
        if (fraction >= 0) fraction++;
      } else if (byte === 0x2e && fraction < 0) fraction = 0;
      else break;
      if (at >= end) return -2;
    }
    if (at + 1 >= end) return -2;
    if (buffer[at] !== 0x7d || at === valueStart || fraction === 0 || fraction > 22) {
      // an exponent or another form: Number() reads it exactly
      const close = buffer.indexOf(0x7d, at);
      if (close === -1 || close + 1 >= end) return -2;
      const value = Number(latin1(buffer, valueStart, close));
      if (Number.isNaN(value) || buffer[close + 1] !== NEWLINE) return -1;
      lineValue = value;
      lineExact = true;
      at = close;
    } else {
      const magnitude = fraction > 0 ? mantissa / POWERS_OF_TEN[fraction]! : mantissa;
      lineValue = negative ? -magnitude : magnitude;
      // Up to 15 significant digits the mantissa is exact, so the division is correctly rounded.
      lineExact = digits <= 15;
    }
  }
  if (buffer[at] !== 0x7d || buffer[at + 1] !== NEWLINE) return -1;
  lineTime = time;
  lineStep = step;
  lineValueStart = valueStart;
  return at + 1;
}

interface DecodedLine {
  time?: unknown;
  step?: unknown;
  kind?: unknown;
  name?: unknown;
  value?: unknown;
}

/**
 * The metric names of a file by the hash of their bytes, so that no string is made for a line whose name is known.
 * Each name's bytes are kept in one growing arena (not a Buffer each: a million names would cost a hundred
 * megabytes of Buffer objects), in chains that stay short: the table doubles when it holds twice as many names as
 * slots (a fixed table made a million names cost a minute).
 */
class NameTable {
  /** Per name: its string, and its hash, bytes' start in the arena, their length and the next of its chain. */
  readonly #names: string[] = [];
  #fields = new Int32Array(4 * 1024);
  #arena = Buffer.allocUnsafe(64 * 1024);
  #used = 0;
  #slots = new Int32Array(4096).fill(-1);

  /** The name whose bytes are `buffer[start, end)`, with hash `hash`. */
  lookup(buffer: Buffer, start: number, end: number, hash: number): string {
    const length = end - start;
    const fields = this.#fields;
    for (let id = this.#slots[hash & (this.#slots.length - 1)]!; id !== -1; id = fields[4 * id + 3]!) {
      if (fields[4 * id] === hash && fields[4 * id + 2] === length) {
        const at = fields[4 * id + 1]!;
        let same = true;
        for (let i = 0; i < length; i++) {
          if (this.#arena[at + i] !== buffer[start + i]) {
            same = false;
            break;
          }
        }
        if (same) return this.#names[id]!;
      }
    }
    return this.#add(buffer, start, end, hash);
  }

  #add(buffer: Buffer, start: number, end: number, hash: number): string {
    const id = this.#names.length;
    const name = buffer.toString('utf8', start, end);
    this.#names.push(name);
    if (this.#used + (end - start) > this.#arena.length) {
      const larger = Buffer.allocUnsafe(Math.max(this.#arena.length * 2, this.#used + (end - start)));
      this.#arena.copy(larger, 0, 0, this.#used);
      this.#arena = larger;
    }
    buffer.copy(this.#arena, this.#used, start, end);
    if (4 * id + 4 > this.#fields.length) {
      const larger = new Int32Array(this.#fields.length * 2);
      larger.set(this.#fields);
      this.#fields = larger;
    }
    const slot = hash & (this.#slots.length - 1);
    const fields = this.#fields;
    fields[4 * id] = hash;
    fields[4 * id + 1] = this.#used;
    fields[4 * id + 2] = end - start;
    fields[4 * id + 3] = this.#slots[slot]!;
    this.#slots[slot] = id;
    this.#used += end - start;
    if (this.#names.length > 2 * this.#slots.length) this.#grow();
    return name;
  }

  #grow(): void {
    this.#slots = new Int32Array(this.#slots.length * 2).fill(-1);
    const mask = this.#slots.length - 1;
    for (let id = 0; id < this.#names.length; id++) {
      const slot = this.#fields[4 * id]! & mask;
      this.#fields[4 * id + 3] = this.#slots[slot]!;
      this.#slots[slot] = id;
    }
  }
}

/** Why a line that is JSON is not an event gymnos reads, or undefined when it is one. */
function unreadable(event: DecodedLine): string | undefined {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return 'not a JSON object';
  const { kind, name, step, value } = event;
  if (typeof kind !== 'string') return 'no "kind"';
  if (kind !== 'status' && typeof name !== 'string') return `a ${kind} without a "name"`;
  switch (kind) {
    case 'metric':
      if (typeof step !== 'number' || !Number.isFinite(step)) return 'a metric whose step is not a number';
      if (typeof value !== 'number' && (typeof value !== 'string' || NON_FINITE[value] === undefined)) {
        return 'a metric whose value is not a number';
      }
      return undefined;
    case 'param':
    case 'tag':
      return undefined;
    case 'status':
      return value === 'finished' || value === 'failed' || value === 'incomplete' ? undefined : 'an unknown status';
    default:
      if (!FILE_KINDS.has(kind)) return `an unknown kind "${kind}"`;
      return typeof value === 'string' ? undefined : `a ${kind} without its path`;
  }
}

/**
 * A line that is not a metric line of the tracker's own shape (a param, a tag, a file, the status, or a metric line
 * written by something else): parsed as JSON, checked, and handed to `visitor`; what gymnos cannot read is skipped,
 * by its number.
 */
function visitLine(visitor: RunVisitor, lineNumber: number, text: string): void {
  if (text.trim() === '') return;
  let event: DecodedLine;
  try {
    event = JSON.parse(text) as DecodedLine;
  } catch (error) {
    visitor.skip?.(lineNumber, `not JSON (${(error as Error).message})`);
    return;
  }
  const why = unreadable(event);
  if (why !== undefined) {
    visitor.skip?.(lineNumber, why);
    return;
  }
  const time = typeof event.time === 'number' ? event.time : Number.NaN;
  if (Number.isFinite(time)) visitor.time?.(time);
  const name = event.name as string;
  switch (event.kind) {
    case 'metric': {
      const value = typeof event.value === 'string' ? NON_FINITE[event.value]! : (event.value as number);
      visitor.metric(name, event.step as number, value, time, -1);
      break;
    }
    case 'param':
      visitor.param?.(name, readableJson(event.value));
      break;
    case 'tag':
      visitor.tag?.(name, String(event.value));
      break;
    case 'status':
      visitor.status?.(event.value as EndStatus, time);
      break;
    default:
      visitor.file?.({ kind: event.kind as RunFileKind, name, path: event.value as string, time });
  }
}

/**
 * Streams `<dir>/events.jsonl` into `visitor`; params and tags also come from params.json and tags.json.
 * Values with more than 15 significant digits are parsed approximately on the fly (within a few units in the
 * last place) and passed with the file offset of their text, so a summary reads exactly only the few values
 * it keeps (`ExactValues`).
 */
export function readJsonlRun(dir: string, visitor: RunVisitor, resume?: ResumeAt): ReadReport {
  const file = path.join(dir, 'events.jsonl');
  const handle = openRunFile(dir, 'events.jsonl');
  if (handle === undefined) throw runFileError(dir, 'events.jsonl', 'is gone');
  const names = new NameTable();
  let lineNumber = resume?.lines ?? 0;
  const timeVisitor = visitor.time;
  let base = resume?.offset ?? 0; // the file offset of buffer[0]
  const onOversized = () => visitor.skip?.(++lineNumber, `longer than ${MAX_LINE_BYTES / 1024 / 1024} MiB`);
  const { bytes, truncatedTail } = readChunks(
    handle,
    base,
    (buffer, end) => {
      let at = 0;
      while (at < end) {
        const newline = parseMetricLine(buffer, at, end);
        if (newline >= 0) {
          lineNumber++;
          if (timeVisitor) timeVisitor(lineTime);
          const name = names.lookup(buffer, nameStart, nameEnd, nameHash);
          visitor.metric(name, lineStep, lineValue, lineTime, lineExact ? -1 : base + lineValueStart);
          at = newline + 1;
          continue;
        }
        // Another kind of line, or the buffer's end: find the newline the slow way.
        const found = buffer.indexOf(NEWLINE, at);
        if (found === -1 || found >= end) break;
        lineNumber++;
        visitLine(visitor, lineNumber, buffer.toString('utf8', at, found));
        at = found + 1;
      }
      base += at;
      return at;
    },
    {
      onOversized(next) {
        onOversized();
        base = next; // the buffer now starts after the skipped line
      },
    },
  );
  readParamsAndTags(dir, visitor);
  return { truncatedTail, warnings: [], exactFile: file, consumed: { offset: bytes, lines: lineNumber } };
}

/** params.json and tags.json, which jsonl and csv runs keep beside their data (read after it: they win). */
export function readParamsAndTags(dir: string, visitor: RunVisitor): void {
  for (const [name, value] of Object.entries(readRunJsonObject(dir, 'params.json'))) visitor.param?.(name, value);
  for (const [key, value] of Object.entries(readRunJsonObject(dir, 'tags.json'))) visitor.tag?.(key, String(value));
}

/**
 * The exact numbers whose JSON text starts at given offsets of `file` (values `readJsonlRun` gave approximately):
 * one descriptor for the run, opened at the first one asked for, and each offset read once (a metric's last, min
 * and max are often the same point). `close()` when the summary is made.
 */
export class ExactValues {
  readonly #file: string;
  #fd: number | undefined;
  readonly #values = new Map<number, number>();
  readonly #bytes = Buffer.alloc(40);
  /** What prefetch read: offsets in order, and their values (arrays, not a Map: there may be millions). */
  #offsets: Float64Array<ArrayBufferLike> = new Float64Array(0);
  #prefetched: Float64Array<ArrayBufferLike> = new Float64Array(0);

  constructor(file: string) {
    this.#file = file;
  }

  at(offset: number): number {
    const offsets = this.#offsets;
    let low = 0;
    let high = offsets.length - 1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      const at = offsets[middle]!;
      if (at === offset) return this.#prefetched[middle]!;
      if (at < offset) low = middle + 1;
      else high = middle - 1;
    }
    let value = this.#values.get(offset);
    if (value === undefined) {
      this.#fd ??= openSync(this.#file, 'r');
      const read = readSync(this.#fd, this.#bytes, 0, this.#bytes.length, offset);
      let end = 0;
      while (end < read && this.#bytes[end] !== 0x7d && this.#bytes[end] !== 0x2c) end++;
      value = Number(latin1(this.#bytes, 0, end));
      this.#values.set(offset, value);
    }
    return value;
  }

  /**
   * Reads the values at `offsets` ahead of `at()`, in one pass over the file when there are many (a million metric
   * names would otherwise cost a million reads of 40 bytes).
   */
  prefetch(offsets: Float64Array): void {
    if (offsets.length < 1024) return;
    offsets.sort();
    const handle = openRunFile(path.dirname(this.#file), path.basename(this.#file));
    if (handle === undefined) return;
    const values = new Float64Array(offsets.length).fill(Number.NaN);
    let next = 0;
    let base = offsets[0]!; // the file offset of buffer[0]
    readChunks(handle, base, (buffer, end, atEnd) => {
      while (next < offsets.length) {
        const at = offsets[next]! - base;
        if (at >= end) break;
        let stop = at;
        while (stop < end && buffer[stop] !== 0x7d && buffer[stop] !== 0x2c) stop++;
        if (stop === end && !atEnd) break; // the value goes on in the next chunk
        values[next] = Number(latin1(buffer, at, stop));
        next++;
      }
      const consumed = next < offsets.length ? Math.min(offsets[next]! - base, end) : end;
      base += consumed;
      return consumed;
    });
    this.#offsets = offsets.subarray(0, next);
    this.#prefetched = values.subarray(0, next);
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
