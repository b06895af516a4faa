/**
 * Reads a jsonl run (docs/trackers/jsonl.md): `events.jsonl` streamed once, plus `params.json` and `tags.json`.
 *
 * Metric lines are what a run is made of (millions of them), and the jsonl tracker writes them in one fixed
 * shape: `{"time":T,"step":S,"kind":"metric","name":N,"value":V}`. Those are parsed straight from the bytes,
 * without a string or an object per line; any other line (params, tags, files, status, or a metric written by
 * another program in another key order) goes through JSON.parse. Both paths give the same events.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import path from 'node:path';
import { GymnosError } from '../errors.js';
import { latin1, readChunks } from './line_reader.js';
import type { ReadReport, ResumeAt, RunFileKind, RunVisitor } from './types.js';

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

/** A metric name seen before, by the hash of its bytes: no string is made for a line whose name is known. */
interface KnownName {
  bytes: Buffer;
  name: string;
  next: KnownName | undefined;
}

/**
 * Streams `<dir>/events.jsonl` into `visitor`; params and tags also come from params.json and tags.json.
 * Values with more than 15 significant digits are parsed approximately on the fly (within a few units in the
 * last place) and passed with the file offset of their text, so a summary reads exactly only the few values
 * it keeps (`readExactValue`).
 */
export function readJsonlRun(dir: string, visitor: RunVisitor, resume?: ResumeAt): ReadReport {
  const file = path.join(dir, 'events.jsonl');
  const table: (KnownName | undefined)[] = new Array<KnownName | undefined>(4096).fill(undefined);
  let lineNumber = resume?.lines ?? 0;
  const slowLine = (buffer: Buffer, start: number, end: number) => {
    const text = buffer.toString('utf8', start, end);
    if (text.trim() === '') return;
    let event: DecodedLine;
    try {
      event = JSON.parse(text) as DecodedLine;
    } catch (error) {
      throw new GymnosError('RUN_FILE_INVALID', `${file}:${lineNumber}: not a JSON line: ${(error as Error).message}`, {
        kind: 'failure',
        details: { file, line: lineNumber },
      });
    }
    const time = typeof event.time === 'number' ? event.time : Number.NaN;
    if (Number.isFinite(time)) visitor.time?.(time);
    const name = String(event.name);
    switch (event.kind) {
      case 'metric': {
        const value = typeof event.value === 'string' ? NON_FINITE[event.value] : event.value;
        if (typeof value === 'number' && typeof event.step === 'number')
          visitor.metric(name, event.step, value, time, -1);
        break;
      }
      case 'param':
        visitor.param?.(name, event.value);
        break;
      case 'tag':
        visitor.tag?.(name, String(event.value));
        break;
      case 'status':
        if (event.value === 'finished' || event.value === 'failed' || event.value === 'incomplete') {
          visitor.status?.(event.value, time);
        }
        break;
      default:
        if (typeof event.kind === 'string' && FILE_KINDS.has(event.kind) && typeof event.value === 'string') {
          visitor.file?.({ kind: event.kind as RunFileKind, name, path: event.value, time });
        }
    }
  };
  const nameOf = (buffer: Buffer): string => {
    const slot = nameHash & 4095;
    const length = nameEnd - nameStart;
    for (let known = table[slot]; known !== undefined; known = known.next) {
      if (known.bytes.length === length && matchesAt(buffer, nameStart, known.bytes)) return known.name;
    }
    const bytes = Buffer.from(buffer.subarray(nameStart, nameEnd));
    const name = bytes.toString('utf8');
    table[slot] = { bytes, name, next: table[slot] };
    return name;
  };
  const timeVisitor = visitor.time;
  let base = resume?.offset ?? 0; // the file offset of buffer[0]
  const { bytes, truncatedTail } = readChunks(file, base, (buffer, end) => {
    let at = 0;
    while (at < end) {
      const newline = parseMetricLine(buffer, at, end);
      if (newline >= 0) {
        lineNumber++;
        if (timeVisitor) timeVisitor(lineTime);
        visitor.metric(nameOf(buffer), lineStep, lineValue, lineTime, lineExact ? -1 : base + lineValueStart);
        at = newline + 1;
        continue;
      }
      // Another kind of line, or the buffer's end: find the newline the slow way.
      const found = buffer.indexOf(NEWLINE, at);
      if (found === -1 || found >= end) break;
      lineNumber++;
      slowLine(buffer, at, found);
      at = found + 1;
    }
    base += at;
    return at;
  });
  for (const [name, value] of Object.entries(readJsonObject(dir, 'params.json'))) visitor.param?.(name, value);
  for (const [key, value] of Object.entries(readJsonObject(dir, 'tags.json'))) visitor.tag?.(key, String(value));
  return { truncatedTail, warnings: [], exactFile: file, consumed: { offset: bytes, lines: lineNumber } };
}

/** The exact number whose JSON text starts at `offset` in `file` (a value `readJsonlRun` gave approximately). */
export function readExactValue(file: string, offset: number): number {
  const fd = openSync(file, 'r');
  try {
    const bytes = Buffer.alloc(40);
    const read = readSync(fd, bytes, 0, bytes.length, offset);
    let end = 0;
    while (end < read && bytes[end] !== 0x7d && bytes[end] !== 0x2c) end++;
    return Number(latin1(bytes, 0, end));
  } finally {
    closeSync(fd);
  }
}

/** `params.json` or `tags.json` of a run: `{}` when absent; a file that is not a JSON object is an error. */
export function readJsonObject(dir: string, name: string): Record<string, unknown> {
  const file = path.join(dir, name);
  if (!existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new GymnosError('RUN_FILE_INVALID', `${file} is not valid JSON: ${(error as Error).message}`, {
      kind: 'failure',
      details: { file },
    });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new GymnosError('RUN_FILE_INVALID', `${file} is not a JSON object`, { kind: 'failure', details: { file } });
  }
  return parsed as Record<string, unknown>;
}
