/**
 * A cache of run summaries, so that listing runs again reads only what was appended since. jsonl and csv files
 * are append-only (docs/trackers), so a summary of their first N bytes stays true: the next read resumes at
 * byte N with the saved state. The key holds every input: the file's identity (device, inode), the bytes just
 * before N (a file rewritten rather than appended to does not match), params.json and tags.json are re-read
 * each time, and the format version. Property: a cached summary equals an uncached one (tested).
 *
 * Where: `$GYMNOS_CACHE_DIR`, else `$XDG_CACHE_HOME/gymnos/runs`, else `~/.cache/gymnos/runs`; one small JSON
 * file per run directory. A cache that cannot be read or written is ignored: it only ever saves time. Only what a
 * cache can meet is ignored (util/cache_faults.ts, an entry that does not parse or is not an entry); any other error (a
 * disk's EIO, a bug) goes to the caller, which reports it.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomicSync } from '../util/atomic_write.js';
import { removeFile } from '../util/remove_file.js';
import { isCacheFault } from '../util/cache_faults.js';
import type { RunLocation } from './discover.js';
import { nonFinite, restoreNonFinite, tailBefore } from '../runtime/run_dir/sidecar.js';
import type { SummaryState, SummaryStore } from './summary.js';
import { isPlausibleState, summaryLimit, worthSaving } from '../runtime/run_dir/summary_state.js';
import type { ResumeAt } from '../runtime/run_dir/types.js';

/** Bumped whenever the saved state's meaning changes. */
const FORMAT = 1;

interface CacheEntry {
  format: number;
  file: string;
  dev: number;
  ino: number;
  resume: ResumeAt;
  /** Base64 of the bytes before `resume.offset`. */
  tail: string;
  state: SummaryState;
}

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GYMNOS_CACHE_DIR) return env.GYMNOS_CACHE_DIR;
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'gymnos', 'runs');
}

/** An entry as `save` writes it (a cache file is anyone's to edit: checked, never trusted). */
function isCacheEntry(value: unknown): value is CacheEntry {
  const entry = value as Partial<CacheEntry> | null;
  const offset = entry?.resume?.offset;
  return (
    typeof entry === 'object' &&
    entry !== null &&
    typeof entry.file === 'string' &&
    typeof entry.dev === 'number' &&
    typeof entry.ino === 'number' &&
    typeof entry.tail === 'string' &&
    Number.isSafeInteger(offset) &&
    offset! >= 0
  );
}

function dataFile(location: RunLocation): string {
  return path.join(location.dir, location.trackers[0] === 'csv' ? 'metrics.csv' : 'events.jsonl');
}

export class SummaryCache implements SummaryStore {
  readonly dir: string;

  constructor(dir = defaultCacheDir()) {
    this.dir = dir;
  }

  #entryFile(file: string): string {
    return path.join(this.dir, createHash('sha1').update(path.resolve(file)).digest('hex') + '.json');
  }

  load(location: RunLocation): { state: SummaryState; resume: ResumeAt } | undefined {
    const file = dataFile(location);
    try {
      const stat = statSync(file);
      const entryFile = this.#entryFile(file);
      // Larger than what it covers: left by a version that kept such entries (see save), not worth parsing.
      if (statSync(entryFile).size > summaryLimit(stat.size)) {
        removeFile(entryFile);
        return undefined;
      }
      const entry: unknown = JSON.parse(readFileSync(entryFile, 'utf8'), restoreNonFinite);
      if (!isCacheEntry(entry) || entry.format !== FORMAT || entry.file !== path.resolve(file)) return undefined;
      if (entry.dev !== stat.dev || entry.ino !== stat.ino || stat.size < entry.resume.offset) return undefined;
      if (tailBefore(file, entry.resume.offset) !== entry.tail) return undefined;
      if (!isPlausibleState(entry.state)) return undefined;
      return { state: entry.state, resume: entry.resume };
    } catch (error) {
      // No entry yet, one that does not parse, a cache that cannot be read: the run is read from the start.
      if (error instanceof SyntaxError || isCacheFault(error)) return undefined;
      throw error;
    }
  }

  save(location: RunLocation, state: SummaryState, resume: ResumeAt): void {
    const file = dataFile(location);
    if (!worthSaving(state, resume.offset)) return;
    try {
      const stat = statSync(file);
      const entry: CacheEntry = {
        format: FORMAT,
        file: path.resolve(file),
        dev: stat.dev,
        ino: stat.ino,
        resume,
        tail: tailBefore(file, resume.offset),
        state,
      };
      const text = JSON.stringify(entry, nonFinite);
      if (text.length > summaryLimit(resume.offset)) return;
      mkdirSync(this.dir, { recursive: true });
      // Not fsynced: a listing writes one per run, and a cache lost to a power cut costs a re-read.
      writeFileAtomicSync(this.#entryFile(file), text, { durable: false });
    } catch (error) {
      // A read-only home or a full disk: the next listing reads the run again.
      if (!isCacheFault(error)) throw error;
    }
  }
}
