/**
 * Commits a plan as one transaction, all or nothing even if the process is killed. Under the registry lock:
 *
 * 1. a journal (journal.ts) naming every directory, temp file and target is written and fsynced;
 * 2. the directories are created, every file is written to its temp file beside its target (fsynced), then every
 *    temp file is renamed into place;
 * 3. the journal is removed: the commit point.
 *
 * A failure on the way (EFBIG, ENOSPC, EIO), SIGINT or SIGTERM undoes it from the journal, releases the lock and
 * then lets the error or the signal take its course. After a SIGKILL, the next process that takes the lock undoes
 * it and says so in one line. Targets are written through symlinks and keep their mode; a read-only one is refused.
 *
 * The lock serializes concurrent runs: each re-reads the registry under the lock and applies its own entry to what
 * it finds, so no run loses another's entry. `gymnos init` commits through the same lock.
 */
import { accessSync, chmodSync, constants, existsSync, lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import * as nodeFs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GymnosError, isGymnosError } from '../errors.js';
import { setRegistryEntry } from '../registry/edit.js';
import { readRegistry, REGISTRY_PATH } from '../registry/registry.js';
import { onProcessEnd } from '../runtime/process_end.js';
import { temporaryPathFor } from '../util/atomic_write.js';
import { lockFile, removeAbandonedLock } from '../util/file_lock.js';
import type { ReleaseLock } from '../util/file_lock.js';
import {
  contentHash,
  JOURNAL_PATH,
  journalPath,
  recoverFromJournal,
  removeJournal,
  undoJournal,
  writeDurably,
  writeJournal,
} from './journal.js';
import type { Journal, JournalFile } from './journal.js';
import { planTracker } from './plan.js';
import type { PlannedChange, PlanTrackerOptions, TrackerPlan } from './plan.js';
import { writeStderr } from '../util/stdio.js';

/** The file operations a commit uses, synchronous so that a signal never lands in the middle of one. */
export interface CommitFs {
  mkdir(dir: string): void;
  /** Creates `file` (never overwrites), fsynced, with exactly `mode` when given. */
  writeFile(file: string, content: string, mode: number | undefined): void;
  rename(from: string, to: string): void;
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
  rmdir: (dir) => nodeFs.rmdirSync(dir),
};

export interface CommitOptions {
  /** What is being done, as the journal records it (`create-new tracker my_tracker`). */
  operation?: string;
  /** Receives one-line notices: a wait for the lock, a killed transaction undone. Default: stderr. */
  notify?: (line: string) => void;
  fs?: CommitFs;
}

const LOCK_MS = 10_000;

function notifyOnStderr(line: string): void {
  writeStderr(`gymnos: ${line}\n`);
}

/** File-system refusals a user fixes by making the project writable. */
const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

/** A failure while writing (code WRITE_FAILED, kind failure: exit 1). */
function writeFailed(message: string, cause: unknown, file?: string): GymnosError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const hint =
    code && NOT_WRITABLE.has(code)
      ? 'the project is not writable: make it writable (chmod -R u+w) and retry'
      : undefined;
  return new GymnosError('WRITE_FAILED', message, { kind: 'failure', cause, details: file ? { file } : {}, hint });
}

/** The directories between `root` and `dir` that do not exist yet, outermost first. */
function missingDirectories(root: string, dir: string): string[] {
  const missing: string[] = [];
  for (let current = dir; current !== root && !existsSync(current); current = path.dirname(current)) {
    missing.unshift(current);
  }
  return missing;
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
  let target = file;
  if (link.isSymbolicLink()) {
    try {
      target = realpathSync(file);
    } catch (error) {
      throw new GymnosError('TARGET_DANGLING', `${change.path} is a symlink to a file that does not exist`, {
        kind: 'failure',
        details: { file: change.path, reason: (error as NodeJS.ErrnoException).code },
        hint: 'point the link at a file, or remove it; nothing was written',
        cause: error,
      });
    }
  }
  const mode = statSync(target).mode & 0o7777;
  let writable = (mode & 0o222) !== 0; // checked on the bits too: root may write anything
  try {
    accessSync(target, constants.W_OK);
  } catch {
    writable = false;
  }
  if (!writable) {
    throw new GymnosError('FILE_READ_ONLY', `${change.path} is read-only; nothing was written`, {
      kind: 'failure',
      details: { file: change.path, mode: `0${mode.toString(8)}` },
      hint: `make it writable (chmod u+w ${change.path}) and run again`,
    });
  }
  return { target, mode };
}

/**
 * Test hooks, off unless set: GYMNOS_TEST_PAUSE_AT=<step> stops after that step (announced on stderr) until a
 * signal ends the process; GYMNOS_TEST_STEP_DELAY_MS=<n> waits n ms after each step, so that kills at random
 * moments land inside the transaction often (bench/create-new-kills.mjs). Every step yields to the event loop, so
 * a SIGINT or SIGTERM is handled between two steps, never in the middle of one.
 */
async function step(label: string): Promise<void> {
  if (process.env.GYMNOS_TEST_PAUSE_AT === label) {
    writeStderr(`gymnos: test hook: paused after ${label}\n`);
    await new Promise(() => setInterval(() => undefined, 60_000));
  }
  const delay = Number(process.env.GYMNOS_TEST_STEP_DELAY_MS) || 0;
  await (delay > 0 ? sleep(delay) : new Promise((resolve) => setImmediate(resolve)));
}

/** Takes the registry lock and undoes what a killed transaction left (one line through `notify` if there was). */
async function lockRegistry(root: string, notify: (line: string) => void): Promise<ReleaseLock> {
  let release: ReleaseLock;
  try {
    release = await lockFile(path.join(root, REGISTRY_PATH), { staleMs: LOCK_MS, timeoutMs: LOCK_MS, onWait: notify });
  } catch (error) {
    throw writeFailed(`could not lock ${REGISTRY_PATH}: ${(error as Error).message}`, error, REGISTRY_PATH);
  }
  try {
    const recovered = recoverFromJournal(root);
    if (recovered) notify(recovered);
  } catch (error) {
    await release();
    throw new GymnosError(
      'RECOVERY_FAILED',
      `could not undo the interrupted command recorded in ${JOURNAL_PATH}: ${(error as Error).message}`,
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
export async function recoverInterruptedCommit(root: string, notify: (line: string) => void = notifyOnStderr) {
  const registryFile = path.join(root, REGISTRY_PATH);
  if (existsSync(path.join(root, JOURNAL_PATH))) {
    const release = await lockRegistry(root, notify);
    await release();
  } else if (existsSync(`${registryFile}.lock`)) await removeAbandonedLock(registryFile, { staleMs: LOCK_MS });
}

/**
 * The transaction: takes the registry lock (creating var/ if needed), lets `prepare` compute or check the changes
 * against the disk as it is now, and writes them as described at the top of this file.
 */
async function commitUnderRegistryLock(
  root: string,
  options: CommitOptions,
  prepare: () => PlannedChange[] | Promise<PlannedChange[]>,
): Promise<PlannedChange[]> {
  const fs = options.fs ?? nodeCommitFs;
  const notify = options.notify ?? notifyOnStderr;
  const outerDirs: string[] = [];
  let release: ReleaseLock | undefined;
  let journal: Journal | undefined;
  // SIGINT or SIGTERM while the transaction runs: undo it and let go of the lock, then the signal ends the process.
  const unregister = onProcessEnd(() => {
    if (journal) {
      try {
        undoJournal(root, journal);
      } catch {
        // The journal stays: the next command undoes it.
      }
      journal = undefined;
    }
    release?.sync();
    release = undefined;
    removeDirectories(outerDirs, fs);
  });
  let failure: unknown;
  // What the step in progress writes, for the error message; undefined while nothing is (an error there is a bug).
  let writing: string | undefined;
  try {
    for (const dir of missingDirectories(root, path.dirname(path.join(root, REGISTRY_PATH)))) {
      writing = journalPath(root, dir);
      fs.mkdir(dir);
      outerDirs.push(dir);
    }
    writing = undefined;
    release = await lockRegistry(root, notify);
    await step('locked');
    const changes = await prepare();
    const pending = changes.filter((change) => change.action !== 'unchanged');
    const planned = planJournal(root, options.operation ?? 'commit', pending);
    writing = JOURNAL_PATH;
    writeJournal(root, planned.journal);
    journal = planned.journal;
    await step('journal');
    for (const dir of planned.journal.directories) {
      writing = dir;
      fs.mkdir(path.resolve(root, dir));
      await step('mkdir');
    }
    for (const [index, file] of planned.journal.files.entries()) {
      writing = file.target;
      fs.writeFile(path.resolve(root, file.temp), planned.contents[index]!, file.mode ?? undefined);
      await step(`temp-${index + 1}`);
    }
    for (const [index, file] of planned.journal.files.entries()) {
      writing = file.target;
      fs.rename(path.resolve(root, file.temp), path.resolve(root, file.target));
      await step(`renamed-${index + 1}`);
    }
    // No fsync of the targets' directories: a file system that orders its metadata (ext4, xfs) never makes the
    // journal's removal durable before the renames; a power cut that loses the removal undoes a complete commit.
    removeJournal(root);
    journal = undefined;
    return changes;
  } catch (error) {
    failure = error;
    let undone = true;
    if (journal) {
      try {
        undoJournal(root, journal);
      } catch {
        undone = false;
      }
      journal = undefined;
    }
    if (isGymnosError(error) || writing === undefined) throw error;
    throw writeFailed(
      `could not write ${writing} (${(error as Error).message}); ${
        undone
          ? 'nothing was changed (rolled back)'
          : `rolling back failed too: the next create-new or init undoes it from ${JOURNAL_PATH}`
      }`,
      error,
      writing,
    );
  } finally {
    await release?.();
    release = undefined;
    // After the lock is gone, so that a registry directory this run created can be removed too.
    if (failure !== undefined) removeDirectories(outerDirs, fs);
    outerDirs.length = 0;
    unregister();
  }
}

/** The journal of writing `pending`, with the contents in the same order as its files. */
function planJournal(root: string, operation: string, pending: PlannedChange[]) {
  const directories: string[] = [];
  const files: JournalFile[] = [];
  for (const change of pending) {
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
  const journal: Journal = {
    version: 1,
    operation,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    directories,
    files,
  };
  return { journal, contents: pending.map((change) => change.content) };
}

function removeDirectories(dirs: string[], fs: CommitFs): void {
  for (const dir of [...dirs].reverse()) {
    try {
      fs.rmdir(dir);
    } catch {
      // Not empty (someone else wrote there) or already gone: leave it.
    }
  }
}

/** Under the registry lock: the plan's registry change recomputed against the registry as it is now. */
function refreshRegistryChange(plan: TrackerPlan, change: PlannedChange): PlannedChange {
  const registry = readRegistry(plan.root);
  const current = registry.entries.get(plan.name);
  if (current && current.target !== plan.target) {
    throw new GymnosError('NAME_TAKEN', `"${plan.name}" was registered as "${current.target}" meanwhile`, {
      kind: 'conflict',
      details: { name: plan.name, target: current.target },
    });
  }
  const content = setRegistryEntry(registry.text, plan.name, plan.target);
  const before = registry.text === '' ? undefined : registry.text;
  return { ...change, content, before, action: content === registry.text ? 'unchanged' : before ? 'update' : 'create' };
}

function currentContent(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

/**
 * Writes a plan made earlier, outside the lock: the registry change is recomputed under the lock, and a file that
 * changed since it was planned is a conflict (nothing is written).
 */
export async function commitPlan(plan: TrackerPlan, options: CommitOptions = {}): Promise<PlannedChange[]> {
  const registryPath = REGISTRY_PATH.split(path.sep).join('/');
  return commitUnderRegistryLock(plan.root, { operation: `create-new tracker ${plan.name}`, ...options }, () => {
    const changes = plan.changes.map((change) =>
      change.path === registryPath ? refreshRegistryChange(plan, change) : change,
    );
    for (const change of changes) {
      if (change.path === registryPath) continue;
      const current = currentContent(path.join(plan.root, change.path));
      if (current === change.before) continue;
      const what = change.before === undefined ? 'was created' : 'changed';
      throw new GymnosError('FILE_EXISTS', `${change.path} ${what} meanwhile; nothing was written`, {
        kind: 'conflict',
        details: { file: change.path },
      });
    }
    return changes;
  });
}

/**
 * `create-new tracker`: checks the name, plans and writes, all under the lock, so that of several runs creating
 * the same tracker at once exactly one creates it and the others find it there (a conflict, exit 3).
 */
export async function createTracker(
  planOptions: PlanTrackerOptions,
  options: CommitOptions = {},
): Promise<{ plan: TrackerPlan; changes: PlannedChange[] }> {
  let plan: TrackerPlan | undefined;
  const changes = await commitUnderRegistryLock(
    planOptions.root,
    { operation: `create-new tracker ${planOptions.name}`, ...options },
    async () => {
      plan = await planTracker(planOptions);
      return plan.changes;
    },
  );
  return { plan: plan!, changes };
}

/**
 * Writes changes planned from the files as they were read (`before`), as one transaction under the registry
 * lock. A file that changed since (created, edited or removed by someone else) is a conflict: nothing is written.
 */
export async function commitChanges(
  root: string,
  changes: PlannedChange[],
  options: CommitOptions = {},
): Promise<PlannedChange[]> {
  return commitUnderRegistryLock(root, { operation: 'init', ...options }, () => {
    for (const change of changes) {
      if (change.action === 'unchanged') continue;
      if (currentContent(path.join(root, change.path)) !== change.before) {
        throw new GymnosError('FILE_CHANGED', `${change.path} changed meanwhile; nothing was written`, {
          kind: 'conflict',
          details: { file: change.path },
        });
      }
    }
    return changes;
  });
}
