/**
 * Run ids made when a run is started without one: the UTC time to the millisecond, then a short random
 * suffix, `20261130-125300-123-7f3a9c`. They sort as they were made (so `gymnos runs --sort id` is
 * chronological), are unique across processes and machines starting in the same millisecond (24 random
 * bits), and are safe as a directory name everywhere.
 */
import { randomBytes } from 'node:crypto';

export function generateRunId(now: Date = new Date(), suffix: string = randomBytes(3).toString('hex')): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const date = `${now.getUTCFullYear()}${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())}`;
  const time = `${pad(now.getUTCHours())}${pad(now.getUTCMinutes())}${pad(now.getUTCSeconds())}`;
  return `${date}-${time}-${pad(now.getUTCMilliseconds(), 3)}-${suffix}`;
}
