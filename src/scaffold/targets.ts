/**
 * Where a commit writes each change, checked before anything is written: the target (a symlink's target, the link
 * kept), the mode it keeps, the directories to create; and the journal that records all of it (journal.ts).
 */
import { accessSync, constants, existsSync, lstatSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { GymnosError } from '../errors.js';
import { temporaryPathFor } from '../util/atomic_write.js';
import { contentHash, journalPath } from './journal.js';
import type { Journal, JournalFile } from './journal.js';
import type { PlannedChange } from './plan.js';

/** The directories between `root` and `dir` that do not exist yet, outermost first. */
export function missingDirectories(root: string, dir: string): string[] {
  const missing: string[] = [];
  for (let current = dir; current !== root && !existsSync(current); current = path.dirname(current)) {
    missing.unshift(current);
  }
  return missing;
}

/** A symlink's target; a dangling link is refused (one line, nothing written). */
function followLink(file: string, change: PlannedChange): string {
  try {
    return realpathSync(file);
  } catch (error) {
    throw new GymnosError('TARGET_DANGLING', `${change.path} is a symlink to a file that does not exist`, {
      kind: 'failure',
      details: { file: change.path, reason: (error as NodeJS.ErrnoException).code },
      hint: 'point the link at a file, or remove it; nothing was written',
      cause: error,
    });
  }
}

function isWritable(target: string, mode: number): boolean {
  if ((mode & 0o222) === 0) return false; // checked on the bits too: root may write anything
  try {
    accessSync(target, constants.W_OK);
    return true;
  } catch (error) {
    if (['EACCES', 'EPERM', 'EROFS'].includes((error as NodeJS.ErrnoException).code ?? '')) return false;
    throw error;
  }
}

/**
 * Where a change is written and the mode it keeps: a symlink's target (the link stays), an existing file's own mode.
 * A read-only target is refused rather than replaced behind its owner's back.
 */
function resolveTarget(root: string, change: PlannedChange): { target: string; mode: number | undefined } {
  const file = path.join(root, change.path);
  let link;
  try {
    link = lstatSync(file);
  } catch (error) {
    // Not there (ENOENT), or a file where a directory should be (ENOTDIR): writing it then fails, one line.
    if (['ENOENT', 'ENOTDIR'].includes((error as NodeJS.ErrnoException).code ?? '')) {
      return { target: file, mode: undefined };
    }
    throw error;
  }
  const target = link.isSymbolicLink() ? followLink(file, change) : file;
  const mode = statSync(target).mode & 0o7777;
  if (!isWritable(target, mode)) {
    throw new GymnosError('FILE_READ_ONLY', `${change.path} is read-only; nothing was written`, {
      kind: 'failure',
      details: { file: change.path, mode: `0${mode.toString(8)}` },
      hint: `make it writable (chmod u+w ${change.path}) and run again`,
    });
  }
  return { target, mode };
}

/**
 * A file to remove and its mode (restored with it if the commit is undone). A symlink is refused: the link is the
 * user's, and undoing would put a file in its place.
 */
function removalTarget(root: string, change: PlannedChange): { target: string; mode: number } {
  const file = path.join(root, change.path);
  if (lstatSync(file).isSymbolicLink()) {
    throw new GymnosError('TARGET_IS_LINK', `${change.path} is a symlink, which gymnos does not remove`, {
      kind: 'conflict',
      details: { file: change.path },
      hint: 'remove the link yourself and run again; nothing was changed',
    });
  }
  return resolveTarget(root, change) as { target: string; mode: number };
}

/**
 * The journal of `pending` (changes that write or remove something), its files in the order of `pending`: the
 * files written, then the files removed (the order a transaction takes them in).
 */
export function journalOf(root: string, operation: string, pending: readonly PlannedChange[]): Journal {
  const directories: string[] = [];
  const files: JournalFile[] = [];
  for (const change of pending) {
    if (change.action === 'delete') {
      const { target, mode } = removalTarget(root, change);
      const temp = journalPath(root, temporaryPathFor(target));
      files.push({ target: journalPath(root, target), temp, before: change.before ?? null, mode, after: null });
      continue;
    }
    const { target, mode } = resolveTarget(root, change);
    for (const dir of missingDirectories(root, path.dirname(target))) {
      const recorded = journalPath(root, dir);
      if (!directories.includes(recorded)) directories.push(recorded);
    }
    files.push({
      target: journalPath(root, target),
      temp: journalPath(root, temporaryPathFor(target)),
      before: change.before ?? null,
      mode: mode ?? null,
      after: contentHash(change.content),
    });
  }
  return { version: 1, operation, pid: process.pid, startedAt: new Date().toISOString(), directories, files };
}
