/**
 * Reads a jsonl run (docs/trackers/jsonl.md): `events.jsonl` streamed once, plus `params.json` and `tags.json`.
 *
 * Metric lines are what a run is made of (millions of them), and the jsonl tracker writes them in one fixed
 * shape: `{"time":T,"step":S,"kind":"metric","name":N,"value":V}`. Those are parsed straight from the bytes,
 * without a string or an object per line; any other line (params, tags, files, status, or a metric written by
 * another program in another key order) goes through JSON.parse. Both paths give the same events.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { GymnosError } from '../errors.js';
import { latin1, readLines } from './line_reader.js';
import type { ReadReport, RunFileKind, RunVisitor } from './types.js';

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

function matches(buffer: Buffer, at: number, expected: Buffer): boolean {
  for (let i = 0; i < expected.length; i++) if (buffer[at + i] !== expected[i]) return false;
  return true;
}

/** 10^k for the exactly-rounded fast path of decimal parsing (Clinger): k ≤ 22 is exact in a double. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * A JSON number in `buffer[start, end)`. Up to 15 significant digits and a short fraction, the integer mantissa
 * and its power of ten are both exact doubles, so one division is correctly rounded, as `Number()` is; any
 * other form (17 digits, an exponent) goes to `Number()` itself.
 */
function parseNumber(buffer: Buffer, start: number, end: number): number {
  let at = start;
  const negative = buffer[at] === 0x2d;
  if (negative) at++;
  let mantissa = 0;
  let digits = 0;
  let fraction = -1;
  for (; at < end; at++) {
    const byte = buffer[at]!;
    if (byte >= 0x30 && byte <= 0x39) {
      mantissa = mantissa * 10 + (byte - 0x30);
      if (mantissa !== 0 || fraction >= 0) digits++;
      if (fraction >= 0) fraction++;
    } else if (byte === 0x2e && fraction < 0) fraction = 0;
    else return Number(latin1(buffer, start, end));
  }
  if (digits > 15 || fraction > 22 || at === start) return Number(latin1(buffer, start, end));
  const value = fraction > 0 ? mantissa / POWERS_OF_TEN[fraction]! : mantissa;
  return negative ? -value : value;
}

/** A non-negative integer in `buffer[start, end)`, or -1 when it is anything else. */
function parseInteger(buffer: Buffer, start: number, end: number): number {
  if (end === start || end - start > 15) return -1;
  let value = 0;
  for (let at = start; at < end; at++) {
    const byte = buffer[at]!;
    if (byte < 0x30 || byte > 0x39) return -1;
    value = value * 10 + (byte - 0x30);
  }
  return value;
}

interface DecodedLine {
  time?: unknown;
  step?: unknown;
  kind?: unknown;
  name?: unknown;
  value?: unknown;
}

/** Streams `<dir>/events.jsonl` into `visitor`; params and tags also come from params.json and tags.json. */
export function readJsonlRun(dir: string, visitor: RunVisitor): ReadReport {
  const file = path.join(dir, 'events.jsonl');
  const names = new Map<string, string>(); // the name bytes, as latin1, to the decoded name
  let lineNumber = 0;
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
        if (typeof value === 'number' && typeof event.step === 'number') visitor.metric(name, event.step, value, time);
        break;
      }
      case 'param':
        visitor.param?.(name, event.value);
        break;
      case 'tag':
        visitor.tag?.(name, String(event.value));
        break;
      case 'status':
        if (event.value === 'finished' || event.value === 'failed') visitor.status?.(event.value, time);
        break;
      default:
        if (typeof event.kind === 'string' && FILE_KINDS.has(event.kind) && typeof event.value === 'string') {
          visitor.file?.({ kind: event.kind as RunFileKind, name, path: event.value, time });
        }
    }
  };
  const timeVisitor = visitor.time;
  const read = readLines(file, (buffer, start, end) => {
    lineNumber++;
    // The fast path: {"time":T,"step":S,"kind":"metric","name":"N","value":V}
    if (end - start < 60 || buffer[end - 1] !== 0x7d || !matches(buffer, start, HEAD))
      return slowLine(buffer, start, end);
    let at = start + HEAD.length;
    const timeEnd = buffer.indexOf(0x2c, at); // ,
    const time = parseInteger(buffer, at, timeEnd);
    if (time < 0 || !matches(buffer, timeEnd, STEP_KEY)) return slowLine(buffer, start, end);
    at = timeEnd + STEP_KEY.length;
    const stepEnd = buffer.indexOf(0x2c, at);
    const step = parseInteger(buffer, at, stepEnd);
    if (step < 0 || !matches(buffer, stepEnd, METRIC_KEYS)) return slowLine(buffer, start, end);
    at = stepEnd + METRIC_KEYS.length;
    const nameEnd = buffer.indexOf(0x22, at); // "
    if (nameEnd === -1 || nameEnd >= end || !matches(buffer, nameEnd + 1, VALUE_KEY))
      return slowLine(buffer, start, end);
    const key = latin1(buffer, at, nameEnd);
    let name = names.get(key);
    if (name === undefined) {
      if (key.includes('\\')) return slowLine(buffer, start, end); // an escape: let JSON.parse decode it
      name = buffer.toString('utf8', at, nameEnd);
      if (names.size < 100_000) names.set(key, name);
    }
    const valueStart = nameEnd + 1 + VALUE_KEY.length;
    let value: number;
    if (buffer[valueStart] === 0x22) {
      value = NON_FINITE[latin1(buffer, valueStart + 1, end - 2)] ?? Number.NaN;
    } else {
      value = parseNumber(buffer, valueStart, end - 1);
      if (Number.isNaN(value)) return slowLine(buffer, start, end);
    }
    timeVisitor?.(time);
    visitor.metric(name, step, value, time);
  });
  for (const [name, value] of Object.entries(readJsonObject(dir, 'params.json'))) visitor.param?.(name, value);
  for (const [key, value] of Object.entries(readJsonObject(dir, 'tags.json'))) visitor.tag?.(key, String(value));
  return { truncatedTail: read.truncatedTail, warnings: [] };
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
