/**
 * Run ids made when a run is started without one: the UTC time to the millisecond, then a short suffix,
 * `20261130-125300-123-7f3a9c`. They sort in the order they were made (so `gymnos runs --sort id` is
 * chronological): across milliseconds by the time, and within one millisecond of one process by the suffix, which
 * counts up from a random start (ULID's monotonic mode). They are unique within a process, and across processes
 * starting in the same millisecond but for a chance of one in 8 million (a random start of 23 bits), and are safe
 * as a directory name.
 */
import { randomBytes } from 'node:crypto';

let lastMs = Number.NaN;
let lastSuffix = 0;

/** The next suffix for an id made at `ms`: a random start below 2^23 (room to count up), then one more each id. */
function nextSuffix(ms: number): string {
  if (ms === lastMs && lastSuffix < 0xffffff) lastSuffix += 1;
  else {
    lastMs = ms;
    lastSuffix = randomBytes(3).readUIntBE(0, 3) >>> 1;
  }
  return lastSuffix.toString(16).padStart(6, '0');
}

export function generateRunId(now: Date = new Date(), suffix: string = nextSuffix(now.getTime())): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const date = `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}`;
  const time = `${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`;
  return `${date}-${time}-${pad(now.getUTCMilliseconds(), 3)}-${suffix}`;
}
