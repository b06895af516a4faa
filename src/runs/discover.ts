/**
 * Finds the runs under logdirs: every directory holding a file tracker's output (`events.jsonl`,
 * `metrics.csv`, `events.out.tfevents.*`) is a run, its id the path from the logdir (`sweep/seed-1`). Several
 * trackers of one TrackerList share a run directory; the run is listed once, read from its richest file.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import type { Dirent } from 'node:fs';
import path from 'node:path';
import { GymnosError } from '../errors.js';

export type RunTracker = 'jsonl' | 'csv' | 'tensorboard';

export interface RunLocation {
  /** The path from its logdir, with `/`; with several logdirs, prefixed by the logdir's label (logdirLabels). */
  id: string;
  dir: string;
  logdir: string;
  /** Every file tracker that wrote here, in the order of preference for reading. */
  trackers: RunTracker[];
}

/** Directories of a run's own files, never runs themselves. */
const RUN_SUBDIRECTORIES = new Set(['assets', 'images', 'figures']);

function trackersIn(names: readonly string[]): RunTracker[] {
  const trackers: RunTracker[] = [];
  // jsonl first: it records everything (status, files); tensorboard next (status with params); csv last.
  if (names.includes('events.jsonl')) trackers.push('jsonl');
  if (names.some((name) => name.startsWith('events.out.tfevents.'))) trackers.push('tensorboard');
  if (names.includes('metrics.csv')) trackers.push('csv');
  return trackers;
}

/**
 * How each logdir is named in run ids (with several logdirs) and in a report: a relative path as given (`logs`,
 * `./runs/a`); an absolute one, or one that climbs out with `..`, by its last path segments, as many as tell the
 * logdirs apart (`logs`, or `a/logs` beside `b/logs`), so that no path of the machine reaches a report.
 */
export function logdirLabels(logdirs: readonly string[]): string[] {
  const segments = logdirs.map((logdir) => path.resolve(logdir).split(path.sep).filter(Boolean));
  return logdirs.map((logdir, i) => {
    const given = logdir
      .replace(/[/\\]+$/, '')
      .split(path.sep)
      .join('/');
    if (!path.isAbsolute(logdir) && !given.split('/').includes('..')) return given === '' ? '.' : given;
    const own = segments[i]!;
    for (let count = 1; count <= own.length; count++) {
      const tail = own.slice(-count).join('/');
      if (segments.every((other, j) => j === i || other.slice(-count).join('/') !== tail)) return tail;
    }
    return own.join('/') || '.';
  });
}

/** A run (or a directory that may hold runs) a listing could not read: reported, and the others listed. */
export interface SkippedRun {
  id: string;
  dir: string;
  /** RUN_FILE_INVALID, or the file system's code (EACCES...). */
  code: string;
  message: string;
}

/**
 * The runs under `logdirs`, sorted by id. A directory under a logdir that cannot be read is given to `onSkip`
 * (without one, it is an error); a logdir that cannot be read is one.
 */
export function discoverRuns(logdirs: readonly string[], onSkip?: (skipped: SkippedRun) => void): RunLocation[] {
  const runs: RunLocation[] = [];
  const labels = logdirLabels(logdirs);
  for (const [index, logdir] of logdirs.entries()) {
    if (!existsSync(logdir) || !statSync(logdir).isDirectory()) {
      throw new GymnosError(
        'LOGDIR_MISSING',
        `${logdir} is not a directory; pass the logdir your runs were logged to`,
        {
          details: { logdir },
        },
      );
    }
    const idOf = (dir: string) => {
      const relative = path.relative(logdir, dir).split(path.sep).join('/');
      const id = logdirs.length > 1 ? [labels[index], relative].filter(Boolean).join('/') : relative;
      return id === '' ? '.' : id;
    };
    const walk = (dir: string) => {
      let entries: Dirent[];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === undefined) throw error;
        const message = `${dir} cannot be read (${code})`;
        if (dir === logdir || onSkip === undefined) {
          throw new GymnosError('LOGDIR_UNREADABLE', message, { kind: 'failure', details: { dir, code } });
        }
        onSkip({ id: idOf(dir), dir, code, message });
        return;
      }
      const names = entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
      const trackers = trackersIn(names);
      if (trackers.length > 0) runs.push({ id: idOf(dir), dir, logdir, trackers });
      for (const entry of entries) {
        if (!entry.isDirectory() || entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
        if (trackers.length > 0 && RUN_SUBDIRECTORIES.has(entry.name)) continue;
        walk(path.join(dir, entry.name));
      }
    };
    walk(logdir);
  }
  return runs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
