/**
 * The commit's steps. With the registry lock held (registry_lock.ts) and the journal of the writes made
 * (targets.ts), a transaction runs, in this order, each step followed by its named point (commit_points.ts):
 *
 * 1. `journal`: the journal is written and fsynced (journal.ts);
 * 2. `mkdir`: the directories are created, outermost first;
 * 3. `temp-<n>`: every file is written to its temp file beside its target, fsynced;
 * 4. `renamed-<n>`: every temp file is renamed over its target;
 * 5. `removed-<n>`: every file the commit removes is unlinked (`gymnos remove`);
 * 6. the journal is removed: the commit point.
 *
 * A step that fails (EFBIG, ENOSPC, EIO...) undoes the transaction from the journal and throws WRITE_FAILED naming
 * the file. `undo()` does the same, synchronously, for a process that ends mid-way (SIGINT, SIGTERM).
 */
import { chmodSync } from 'node:fs';
import * as nodeFs from 'node:fs';
import path from 'node:path';
import { errorMessage, GymnosError } from '../errors.js';
import type { CommitPoint, CommitPoints } from './commit_points.js';
import { JOURNAL_PATH, removeJournal, undoJournal, writeDurably, writeJournal } from './journal.js';
import type { Journal } from './journal.js';

/** The file operations a commit uses, synchronous so that a signal never lands in the middle of one. */
export interface CommitFs {
  mkdir(dir: string): void;
  /** Creates `file` (never overwrites), fsynced, with exactly `mode` when given. */
  writeFile(file: string, content: string, mode: number | undefined): void;
  rename(from: string, to: string): void;
  unlink(file: string): void;
  rmdir(dir: string): void;
}

export const nodeCommitFs: CommitFs = {
  mkdir: (dir) => nodeFs.mkdirSync(dir),
  writeFile: (file, content, mode) => {
    writeDurably(file, content, { flag: 'wx', mode: mode ?? 0o666 });
    // The open's mode went through the umask; an existing file's mode is kept exactly.
    if (mode !== undefined) chmodSync(file, mode);
  },
  rename: (from, to) => nodeFs.renameSync(from, to),
  unlink: (file) => nodeFs.unlinkSync(file),
  rmdir: (dir) => nodeFs.rmdirSync(dir),
};

/** File-system refusals a user fixes by making the project writable. */
const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

/** A failure while writing (code WRITE_FAILED, kind failure: exit 1), with a hint when the project is read-only. */
export function writeFailed(message: string, cause: unknown, file: string): GymnosError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const hint =
    code && NOT_WRITABLE.has(code)
      ? 'the project is not writable: make it writable (chmod -R u+w) and retry'
      : undefined;
  return new GymnosError('WRITE_FAILED', message, { kind: 'failure', cause, details: { file }, hint });
}

/** `file` could not be written (or removed); `outcome` says what became of the rest. */
export function couldNotWrite(file: string, cause: unknown, outcome: string, verb = 'write'): GymnosError {
  return writeFailed(`could not ${verb} ${file} (${errorMessage(cause)}); ${outcome}`, cause, file);
}

/** What a failed step says happened to the rest. */
export const ROLLED_BACK = 'nothing was changed (rolled back)';

interface Step {
  /** What the step writes, as the error message names it. */
  file: string;
  /** What it does to the file, as the error message says it: `write` unless given. */
  verb?: 'remove';
  run(): void;
  /** The point reached once it is done; none for the commit point. */
  point?: CommitPoint;
}

export class Transaction {
  /** The journal once it is on disk and until the commit point: what `undo` undoes. */
  private written: Journal | undefined;

  constructor(
    private readonly root: string,
    private readonly fs: CommitFs,
    private readonly points: CommitPoints,
  ) {}

  /**
   * Runs the steps of writing `contents` (in the order of the journal's files; none for a file it removes) as the
   * journal says.
   */
  async run(journal: Journal, contents: readonly (string | undefined)[]): Promise<void> {
    for (const step of this.steps(journal, contents)) {
      try {
        step.run();
      } catch (error) {
        const undoFailed = this.undo();
        throw couldNotWrite(
          step.file,
          error,
          undoFailed === undefined
            ? ROLLED_BACK
            : `rolling back failed too (${errorMessage(undoFailed)}): the next create-new, remove or init undoes ` +
                `it from ${JOURNAL_PATH}`,
          step.verb,
        );
      }
      if (step.point) await this.points.reached(step.point);
    }
  }

  /**
   * Undoes what the transaction wrote, from its journal; synchronous, so that it can run as the process ends.
   * Returns why undoing failed (the journal then stays, and the next command undoes it), undefined otherwise.
   */
  undo(): unknown {
    const journal = this.written;
    if (!journal) return undefined;
    this.written = undefined;
    try {
      undoJournal(this.root, journal);
      return undefined;
    } catch (error) {
      return error;
    }
  }

  private steps(journal: Journal, contents: readonly (string | undefined)[]): Step[] {
    const { root, fs } = this;
    const at = (file: string) => path.resolve(root, file);
    const written = journal.files.flatMap((file, index) => (file.after === null ? [] : [{ file, index }]));
    const removed = journal.files.filter((file) => file.after === null);
    return [
      {
        file: JOURNAL_PATH,
        run: () => {
          writeJournal(root, journal);
          this.written = journal;
        },
        point: 'journal',
      },
      ...journal.directories.map((dir): Step => ({ file: dir, run: () => fs.mkdir(at(dir)), point: 'mkdir' })),
      ...written.map(({ file, index }, n): Step => ({
        file: file.target,
        run: () => fs.writeFile(at(file.temp), contents[index]!, file.mode ?? undefined),
        point: `temp-${n + 1}`,
      })),
      ...written.map(({ file }, n): Step => ({
        file: file.target,
        run: () => fs.rename(at(file.temp), at(file.target)),
        point: `renamed-${n + 1}`,
      })),
      ...removed.map((file, n): Step => ({
        file: file.target,
        verb: 'remove',
        run: () => fs.unlink(at(file.target)),
        point: `removed-${n + 1}`,
      })),
      // No fsync of the targets' directories: a file system that orders its metadata (ext4, xfs) never makes the
      // journal's removal durable before the renames; a power cut that loses the removal undoes a complete commit.
      {
        file: JOURNAL_PATH,
        run: () => {
          removeJournal(root);
          this.written = undefined;
        },
      },
    ];
  }
}
