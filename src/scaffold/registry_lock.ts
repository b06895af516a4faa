/**
 * The process around a commit: the registry lock it runs under, and what happens when the process ends while it
 * holds it. The lock serializes concurrent commands (each re-reads what it depends on under the lock); the first
 * thing done with it held is undoing what a killed commit left (journal.ts), so the project is whole again. If the
 * process ends mid-way (SIGINT, SIGTERM, an exit), the commit in progress is undone, the lock released and the
 * directories made for the lock removed, synchronously, and the signal then takes its course (runtime/process_end.ts).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { errorMessage, GymnosError } from '../errors.js';
import { REGISTRY_PATH } from '../registry/registry.js';
import { onProcessEnd } from '../runtime/process_end.js';
import { lockFile, removeAbandonedLock } from '../util/file_lock.js';
import type { ReleaseLock } from '../util/file_lock.js';
import { JOURNAL_PATH, journalPath, recoverFromJournal } from './journal.js';
import { missingDirectories } from './targets.js';
import { couldNotWrite, ROLLED_BACK, writeFailed } from './transaction.js';
import type { CommitFs } from './transaction.js';

/** How long a lock is waited for, and after how long a lock whose holder cannot be checked counts as abandoned. */
const LOCK_MS = 10_000;

/** Receives one-line notices: a wait for the lock, a killed transaction undone. */
export type Notify = (line: string) => void;

/** Takes the registry lock and undoes what a killed transaction left (one line through `notify` if there was). */
async function lockRegistry(root: string, notify: Notify): Promise<ReleaseLock> {
  let release: ReleaseLock;
  try {
    release = await lockFile(path.join(root, REGISTRY_PATH), { staleMs: LOCK_MS, timeoutMs: LOCK_MS, onWait: notify });
  } catch (error) {
    throw writeFailed(`could not lock ${REGISTRY_PATH}: ${errorMessage(error)}`, error, REGISTRY_PATH);
  }
  try {
    const recovered = recoverFromJournal(root);
    if (recovered) notify(recovered);
  } catch (error) {
    await release();
    throw new GymnosError(
      'RECOVERY_FAILED',
      `could not undo the interrupted command recorded in ${JOURNAL_PATH}: ${errorMessage(error)}`,
      {
        kind: 'failure',
        details: { file: JOURNAL_PATH },
        hint: 'fix the cause and run the command again',
        cause: error,
      },
    );
  }
  return release;
}

/**
 * Undoes a transaction a killed process left, if there is one, before a command plans against files it may have
 * left half done (create-new's name checks, init's plan). Takes the lock only when a journal is there; removes a
 * lock a killed process left without one (killed before writing its journal, or after its commit point).
 */
export async function recoverInterruptedCommit(root: string, notify: Notify): Promise<void> {
  const registryFile = path.join(root, REGISTRY_PATH);
  if (existsSync(path.join(root, JOURNAL_PATH))) {
    const release = await lockRegistry(root, notify);
    await release();
  } else if (existsSync(`${registryFile}.lock`)) await removeAbandonedLock(registryFile, { staleMs: LOCK_MS });
}

function removeDirectories(dirs: readonly string[], fs: CommitFs): void {
  for (const dir of [...dirs].reverse()) {
    try {
      fs.rmdir(dir);
    } catch (error) {
      // Someone else wrote there, or it is gone already: not ours to remove.
      if (!['ENOTEMPTY', 'EEXIST', 'ENOENT'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    }
  }
}

export interface RegistryLockOptions {
  fs: CommitFs;
  notify: Notify;
  /** Called, synchronously, when the process ends while the lock is held: undo what is half done. */
  onProcessEnd(): void;
}

/**
 * Runs `body` with the registry lock held (creating the registry's directory for it if needed, and removing it
 * again if `body` fails), and releases the lock however `body` or the process ends.
 */
export async function underRegistryLock<T>(root: string, options: RegistryLockOptions, body: () => Promise<T>) {
  const { fs, notify } = options;
  const createdDirs: string[] = [];
  let release: ReleaseLock | undefined;
  const unregister = onProcessEnd(() => {
    options.onProcessEnd();
    release?.sync();
    release = undefined;
    removeDirectories(createdDirs, fs);
  });
  let failed = true;
  try {
    for (const dir of missingDirectories(root, path.dirname(path.join(root, REGISTRY_PATH)))) {
      try {
        fs.mkdir(dir);
      } catch (error) {
        // Another command made it since it was found missing (two at once in a project without var/): it is
        // theirs, and the lock inside it says which of us goes first.
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw couldNotWrite(journalPath(root, dir), error, ROLLED_BACK);
      }
      createdDirs.push(dir);
    }
    release = await lockRegistry(root, notify);
    const result = await body();
    failed = false;
    return result;
  } finally {
    await release?.();
    release = undefined;
    // After the lock is gone, so that a registry directory this run created can be removed too.
    if (failed) removeDirectories(createdDirs, fs);
    createdDirs.length = 0;
    unregister();
  }
}
