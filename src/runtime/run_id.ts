/**
 * Run ids made when a run is started without one: the UTC time to the millisecond, then a short random
 * suffix, `20261130-125300-123-7f3a9c`. They sort as they were made (so `gymnos runs --sort id` is
 * chronological) to the millisecond, are unique within a process (and across processes starting in the same
 * millisecond but for a chance of one in 16 million: 24 random bits), and are safe as a directory name.
 */
import { randomBytes } from 'node:crypto';

// The suffixes given out in the current millisecond: within one process two ids never collide (24 random bits
// alone would, about 3 times in 100 for 1000 ids made in the same millisecond).
let currentMs = Number.NaN;
const usedThisMs = new Set<string>();

function freshSuffix(ms: number): string {
  if (ms !== currentMs) {
    currentMs = ms;
    usedThisMs.clear();
  }
  let suffix: string;
  do suffix = randomBytes(3).toString('hex');
  while (usedThisMs.has(suffix));
  usedThisMs.add(suffix);
  return suffix;
}

export function generateRunId(now: Date = new Date(), suffix: string = freshSuffix(now.getTime())): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const date = `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}`;
  const time = `${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`;
  return `${date}-${time}-${pad(now.getUTCMilliseconds(), 3)}-${suffix}`;
}
