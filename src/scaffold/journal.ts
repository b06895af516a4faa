/**
 * The commit's rollback journal (SQLite's `-journal`, git's `index.lock`): before a commit creates a directory or
 * a temp file, or renames anything into place, it writes and fsyncs `var/trackers.json.gymnos-journal`, which names
 * every directory it will create, every temp file it will write, and every target with its content before (and a
 * hash of its content after, or null for a file it removes). The journal is removed once every rename (and
 * removal) is done: that is the commit point.
 *
 * A process killed in between (SIGKILL, a power cut) leaves the journal behind, under a lock nobody holds any
 * more. The next process that takes the lock undoes the transaction from it (`undoJournal`): temp files removed,
 * targets that hold the new content restored or removed, new directories removed, so the project is exactly as
 * before. A journal that does not parse was cut while being written, before anything else happened: it is removed.
 * Undoing is idempotent, so a process killed while undoing leaves a journal the next one undoes again.
 */
import {
  chmodSync,
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmdirSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { REGISTRY_PATH } from '../registry/registry.js';
import { removeFile } from '../util/remove_file.js';

export const JOURNAL_PATH = `${REGISTRY_PATH}.gymnos-journal`;

export interface JournalFile {
  /** Where the new content goes (a symlink's target, not the link); relative to the root when inside it. */
  target: string;
  /** The temp file the new content is written to first, beside the target. */
  temp: string;
  /** The content before, or null when the commit creates the file. */
  before: string | null;
  /** The mode the file had (kept, and restored with the content); null when it is created. */
  mode: number | null;
  /**
   * contentHash of the content after: undo touches only a target that holds exactly what the commit wrote. Null
   * when the commit removes the target (`gymnos remove`): undo then writes `before` back if the target is gone.
   */
  after: string | null;
}

export interface Journal {
  version: 1;
  /** What was being done, for the one line that says it was undone (`create-new tracker my_tracker`). */
  operation: string;
  pid: number;
  startedAt: string;
  /** Directories the commit creates, outermost first; relative to the root when inside it. */
  directories: string[];
  files: JournalFile[];
}

/**
 * A 53-bit hash of the text (cyrb53) with its length: enough to tell the content a commit wrote from any other a
 * file may hold (nobody forges these). Not node:crypto, which create-new's start-up does without.
 */
export function contentHash(content: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < content.length; i++) {
    const code = content.charCodeAt(i);
    h1 = Math.imul(h1 ^ code, 2654435761);
    h2 = Math.imul(h2 ^ code, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return `${content.length}:${(4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36)}`;
}

/** `file` as the journal records it: relative to the root when inside it, so a moved project still recovers. */
export function journalPath(root: string, file: string): string {
  const relative = path.relative(root, file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative.split(path.sep).join('/');
}

function absolute(root: string, file: string): string {
  return path.resolve(root, file);
}

/** Writes a file and fsyncs it before returning: what follows may rely on it being on disk. */
export function writeDurably(file: string, content: string, options: { flag: 'wx' | 'w'; mode?: number }): void {
  const fd = openSync(file, options.flag, options.mode ?? 0o666);
  try {
    // writeFileSync on a descriptor writes until done: a single writeSync may write less (a file-size limit).
    writeFileSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes a directory's entries (a file created, renamed or removed in it) durable. Best effort. */
function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some file systems cannot fsync a directory; a killed process loses nothing by it, only a power cut might.
  }
}

/** Writes the journal (it must not exist: one transaction at a time, under the lock). Nothing is left on failure. */
export function writeJournal(root: string, journal: Journal): void {
  const file = path.join(root, JOURNAL_PATH);
  try {
    writeDurably(file, `${JSON.stringify(journal)}\n`, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') removeFile(file);
    throw error;
  }
  syncDirectory(path.dirname(file));
}

/** The commit point: with the journal gone, the transaction is done (not fsynced: see the commit). */
export function removeJournal(root: string): void {
  removeFile(path.join(root, JOURNAL_PATH));
}

/** The journal a killed transaction left, `null` for one cut while being written, `undefined` when there is none. */
function readJournal(root: string): Journal | null | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(root, JOURNAL_PATH), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const journal = JSON.parse(text) as Journal;
    return journal.version === 1 && Array.isArray(journal.files) && Array.isArray(journal.directories) ? journal : null;
  } catch {
    return null;
  }
}

/** What a path that is not there gives: not there (ENOENT), or a file where a directory should be (ENOTDIR). */
const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'EISDIR']);

function isAbsent(error: unknown): boolean {
  return ABSENT.has((error as NodeJS.ErrnoException).code ?? '');
}

function readIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if (isAbsent(error)) return undefined;
    throw error;
  }
}

function removeIfPresent(file: string): void {
  try {
    removeFile(file);
  } catch (error) {
    if (!isAbsent(error)) throw error;
  }
}

/** Writes `before` back over `target`, through the recorded temp name, so a kill here leaves what undo removes. */
function restore(temp: string, target: string, before: string, mode: number | null): void {
  writeDurably(temp, before, { flag: 'w', mode: mode ?? 0o666 });
  // The open's mode went through the umask: the file's own mode comes back exactly.
  if (mode !== null) chmodSync(temp, mode);
  renameSync(temp, target);
}

/** What undoing did: the targets put back (removed, or restored to their content before). */
export interface UndoResult {
  removed: string[];
  restored: string[];
}

/**
 * Undoes the transaction the journal describes and removes the journal; synchronous, so that it can run in a signal
 * handler. Throws (leaving the journal, for the next process to retry) if the file system refuses a step.
 */
export function undoJournal(root: string, journal: Journal): UndoResult {
  const result: UndoResult = { removed: [], restored: [] };
  for (const entry of [...journal.files].reverse()) {
    const temp = absolute(root, entry.temp);
    const target = absolute(root, entry.target);
    removeIfPresent(temp);
    const current = readIfPresent(target);
    if (entry.after === null) {
      // A removal: a target still there was not removed yet (or is someone else's since): it stays as it is.
      if (current !== undefined || entry.before === null) continue;
      restore(temp, target, entry.before, entry.mode);
      result.restored.push(entry.target);
      syncDirectory(path.dirname(target));
      continue;
    }
    // A target without the new content was never renamed over (or is someone else's since): it stays as it is.
    if (current === undefined || contentHash(current) !== entry.after) continue;
    if (entry.before === null) {
      unlinkSync(target);
      result.removed.push(entry.target);
    } else {
      restore(temp, target, entry.before, entry.mode);
      result.restored.push(entry.target);
    }
    syncDirectory(path.dirname(target));
  }
  for (const dir of [...journal.directories].reverse()) {
    try {
      rmdirSync(absolute(root, dir));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Never created (killed first), or someone else put something in it: either way it is not ours to remove.
      if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    }
  }
  removeJournal(root);
  return result;
}

/** Undoes what a killed transaction left, if anything; returns the one line that says what was done. */
export function recoverFromJournal(root: string): string | undefined {
  const journal = readJournal(root);
  if (journal === undefined) return undefined;
  if (journal === null) {
    removeJournal(root);
    return `removed ${JOURNAL_PATH}, left by a command killed before it changed anything`;
  }
  const { removed, restored } = undoJournal(root, journal);
  const undone = [...removed.map((file) => `removed ${file}`), ...restored.map((file) => `restored ${file}`)];
  return (
    `undid "${journal.operation}", interrupted in process ${journal.pid}: ` +
    `${undone.length > 0 ? undone.join(', ') : 'none of its files had been written'}; the project is as before it`
  );
}
