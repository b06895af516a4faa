/**
 * `summary.json`, the summary a jsonl run's tracker writes beside `events.jsonl` (as W&B writes
 * wandb-summary.json): the very state `gymnos runs` builds by reading the file (per metric its count, first and
 * last step, last value, min and max; params, tags, files, status), the bounded samples a report draws, and the
 * last image and figure of each name. Reading 100 million points takes tens of seconds; reading this, a
 * millisecond.
 *
 * A reader trusts it only as far as it matches the data file: it records the byte offset of `events.jsonl` it
 * covers (whole lines) with the bytes at the file's start and just before that offset. A run appended to after the
 * sidecar was written (a crash after the last save, a resumed run) is read from the offset on; a file rewritten or
 * cut shorter does not match and is read in full, as is a run without a sidecar. Cached equals uncached (tested).
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { isGymnosError } from '../../errors.js';
import { writeFileAtomicSync } from '../../util/atomic_write.js';
import type { SamplerSnapshot } from './downsample.js';
import { readRunFile } from './run_files.js';
import { isPlausibleState, summaryLimit, worthSaving } from './summary_state.js';
import type { SummaryState } from './summary_state.js';
import type { ResumeAt, RunFile } from './types.js';
import { removeFile } from '../../util/remove_file.js';

export const SIDECAR_NAME = 'summary.json';
/** The samples, apart: a listing reads only the small summary.json, a report both. */
export const SAMPLES_NAME = 'summary.samples.json';
/** Bumped whenever the saved state's meaning changes. */
const FORMAT = 1;
/** The samples' own format: 2 keeps only the distinct points of the buckets (downsample.ts). */
const SAMPLES_FORMAT = 2;
const EDGE_BYTES = 64;
/** A summary larger than this is no tracker's (a run of a million metric names writes some 200 MB). */
const MAX_SIDECAR_BYTES = 512 * 1024 * 1024;

export interface Sidecar {
  format: number;
  /** The data file it summarizes, relative to the run directory. */
  file: 'events.jsonl';
  resume: ResumeAt;
  /** Base64 of the file's first bytes and of the bytes just before `resume.offset` (64 at most). */
  head: string;
  tail: string;
  state: SummaryState;
  /**
   * True when summary.samples.json holds each metric's sampler (see downsample.ts) for the same offset; false
   * when the tracker kept none (too many metric names).
   */
  samples: boolean;
  /** The last image and figure of each name, in the order first logged (for a report's pictures). */
  media: RunFile[];
}

/** Base64 of `file`'s bytes in [from, to). */
function bytesOf(file: string, from: number, to: number): string {
  const bytes = Buffer.alloc(Math.max(0, to - from));
  const fd = openSync(file, 'r');
  try {
    let read = 0;
    while (read < bytes.length) {
      const got = readSync(fd, bytes, read, bytes.length - read, from + read);
      if (got === 0) break;
      read += got;
    }
    return bytes.subarray(0, read).toString('base64');
  } finally {
    closeSync(fd);
  }
}

export function tailBefore(file: string, offset: number): string {
  return bytesOf(file, Math.max(0, offset - EDGE_BYTES), offset);
}

function headOf(file: string, offset: number): string {
  return bytesOf(file, 0, Math.min(offset, EDGE_BYTES));
}

/**
 * The run's sidecar when it matches its `events.jsonl`, else undefined (absent, stale beyond repair, not JSON, not
 * a sidecar); the events are then read in full. An error nobody expects of a file that is there (a disk's EIO) is
 * thrown, for the caller to report: the run is not read as if it had no summary.
 */
export function readSidecar(dir: string): Sidecar | undefined {
  try {
    return matchingSidecar(dir);
  } catch (error) {
    if (isExpectedMiss(error)) return undefined;
    throw error;
  }
}

/**
 * What makes a sidecar unusable by design: a file gone (or never there), a text that does not parse (cut short), a
 * summary.json the run-file checks refuse (larger than the events it covers, not a regular file, linking outside the
 * run: see openRunFile), a file that may not be read, each met by reading the events in full.
 */
function isExpectedMiss(error: unknown): boolean {
  // Not JSON, or nested deeper than the parser's stack.
  if (error instanceof SyntaxError || error instanceof RangeError) return true;
  // A file this user may not read is met the same way: the events' reader then says so, in its words.
  const expectedCodes = ['ENOENT', 'ENOTDIR', 'EACCES', 'EPERM'];
  if (expectedCodes.includes((error as NodeJS.ErrnoException | undefined)?.code ?? '')) return true;
  if (!isGymnosError(error) || error.code !== 'RUN_FILE_INVALID') return false;
  // A run-file error with a cause is an I/O error of a file that is there: expected only as the codes above.
  return error.cause === undefined || expectedCodes.includes((error.cause as NodeJS.ErrnoException).code ?? '');
}

/** The sidecar of `dir` if it is one and matches its events (see readSidecar). */
function matchingSidecar(dir: string): Sidecar | undefined {
  // Not much larger than the events it covers: reading those would cost no more (see worthSaving).
  const limit = Math.min(MAX_SIDECAR_BYTES, summaryLimit(statSync(path.join(dir, 'events.jsonl')).size));
  const text = readRunFile(dir, SIDECAR_NAME, limit)?.toString('utf8');
  if (text === undefined) return undefined;
  const sidecar = JSON.parse(text, restoreNonFinite) as Sidecar | null;
  if (!isRecord(sidecar) || sidecar.format !== FORMAT || sidecar.file !== 'events.jsonl') return undefined;
  if (!isRecord(sidecar.resume) || typeof sidecar.head !== 'string' || typeof sidecar.tail !== 'string') {
    return undefined;
  }
  const file = path.join(dir, sidecar.file);
  const { offset, lines } = sidecar.resume;
  if (!Number.isInteger(offset) || offset < 0 || statSync(file).size < offset) return undefined;
  // Trusted only when it is a summary a reader could have made, of at least as many lines as it counts points.
  if (!isPlausibleState(sidecar.state) || !Number.isInteger(lines) || lines < sidecar.state.points) return undefined;
  if (headOf(file, offset) !== sidecar.head || tailBefore(file, offset) !== sidecar.tail) return undefined;
  return sidecar;
}

const isRecord = (value: unknown): value is Record<string, unknown> & object =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

interface SamplesFile {
  format: number;
  offset: number;
  samples: Record<string, SamplerSnapshot>;
}

/** The samples saved with `sidecar`, or undefined when there are none for its offset. */
export function readSidecarSamples(dir: string, sidecar: Sidecar): Record<string, SamplerSnapshot> | undefined {
  if (!sidecar.samples) return undefined;
  try {
    const text = readRunFile(dir, SAMPLES_NAME, MAX_SIDECAR_BYTES)?.toString('utf8');
    if (text === undefined) return undefined;
    const saved = JSON.parse(text) as SamplesFile;
    return saved.format === SAMPLES_FORMAT && saved.offset === sidecar.resume.offset ? saved.samples : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Writes the sidecar of `dir`, covering `events.jsonl` up to `resume.offset` (which must be on disk): the samples
 * first, so that a summary.json is never newer than the samples it points to. Samples larger than the events they
 * sample are not written: reading those events costs no more (a short run, or one of many metric names).
 */
export function writeSidecar(
  dir: string,
  content: Omit<Sidecar, 'format' | 'file' | 'head' | 'tail' | 'samples'> & {
    samples: Record<string, SamplerSnapshot> | null;
  },
): void {
  const file = path.join(dir, 'events.jsonl');
  if (!worthSaving(content.state, content.resume.offset)) {
    for (const name of [SAMPLES_NAME, SIDECAR_NAME]) removeFile(path.join(dir, name));
    return;
  }
  const saved: SamplesFile | undefined = content.samples
    ? { format: SAMPLES_FORMAT, offset: content.resume.offset, samples: content.samples }
    : undefined;
  const samplesText = saved && JSON.stringify(saved);
  const samples = samplesText !== undefined && samplesText.length <= content.resume.offset;
  if (samples) writeFileAtomicSync(path.join(dir, SAMPLES_NAME), samplesText);
  else removeFile(path.join(dir, SAMPLES_NAME));
  const sidecar: Sidecar = {
    format: FORMAT,
    file: 'events.jsonl',
    resume: content.resume,
    head: headOf(file, content.resume.offset),
    tail: tailBefore(file, content.resume.offset),
    state: content.state,
    samples,
    media: content.media,
  };
  writeFileAtomicSync(path.join(dir, SIDECAR_NAME), JSON.stringify(sidecar, nonFinite));
}

const NON_FINITE_KEY = '$gymnosNonFinite';

/** JSON has no NaN or ±Infinity (a last value may be one): saved as {"$gymnosNonFinite":"NaN"}. */
export function nonFinite(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? { [NON_FINITE_KEY]: String(value) } : value;
}

export function restoreNonFinite(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && NON_FINITE_KEY in value) {
    return Number((value as Record<string, string>)[NON_FINITE_KEY]);
  }
  return value;
}
