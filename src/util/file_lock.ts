/**
 * An exclusive lock on a file, held as a `<file>.lock` directory: `mkdir` is atomic, so of several processes
 * exactly one creates it. The convention is proper-lockfile's, without its start-up cost on the create-new path
 * (graceful-fs patching `fs`, retry, signal-exit: about a tenth of the command's own time). Shared by the registry
 * commit and the mlflow spool.
 *
 * - The holder writes its pid and host name in `<file>.lock/owner.json`, in the same synchronous step as the mkdir.
 *   A lock whose holder is a process of this host that no longer runs was left by a killed process (SIGKILL, or a
 *   signal that ended it without running its exit handlers) and is taken over at once.
 * - A lock is never empty while held: an empty one was left by a process killed between the two steps of its
 *   release (the owner file removed, not yet the directory) and is removed at once, atomically (rmdir).
 * - While held, the lock's mtime is kept fresh (an unref'd timer), so a long holder is never taken for a dead one.
 *   A lock whose mtime is older than `staleMs` (its holder unknown, on another host, or its pid reused) is taken
 *   over too. Takers go through a guard (`<file>.lock.takeover`, another mkdir) and look again under it: of several
 *   processes that find the same lock abandoned, one removes it, and the others find the new holder's lock. The
 *   guard is held for a few file operations; one left by a process killed in between is itself stale after
 *   `staleMs`.
 */
import { mkdirSync, readFileSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { rm, stat, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GymnosError } from '../errors.js';

interface FileLockOptions {
  /** A lock not refreshed for this long is left over from a killed process and is taken over. */
  staleMs?: number;
  /** How long to wait for another process to release the lock before giving up. */
  timeoutMs?: number;
  /** Told once, in one sentence, when one other process has kept the lock for a second while this one waits. */
  onWait?: (message: string) => void;
}

/** Releases a held lock; `sync` does it synchronously, for a process that is ending on a signal. */
export type ReleaseLock = (() => Promise<void>) & { sync(): void };

/** Who holds a lock, as its owner.json says (absent while the holder is between its mkdir and that write). */
interface LockOwner {
  pid: number;
  host: string;
  /** Tells one holding from the next (several in one process have the same pid). */
  id: string;
}

const OWNER_FILE = 'owner.json';
/** How long a taker waits before saying that it waits. */
const WAIT_NOTICE_MS = 1_000;

function readOwner(lockDir: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(path.join(lockDir, OWNER_FILE), 'utf8')) as Partial<LockOwner>;
    return typeof owner.pid === 'number' && typeof owner.host === 'string' ? (owner as LockOwner) : undefined;
  } catch {
    return undefined; // not written yet, half written, or the lock is gone
  }
}

/** Whether process `pid` of this host runs (EPERM: it does, as another user). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A holder of this host whose process has ended: its lock can be taken over without waiting. */
function holderIsGone(lockDir: string): boolean {
  const owner = readOwner(lockDir);
  return owner !== undefined && owner.host === hostname() && owner.pid !== process.pid && !isRunning(owner.pid);
}

/** The marker a holder leaves when it cannot write its owner file (a full disk): a held lock is never empty. */
const HELD_MARKER = 'held';

/**
 * Creates the lock and writes its owner in one synchronous step: a signal handler (which runs between two event
 * loop turns) then never finds the lock created but not yet its holder's, nor without its owner file.
 *
 * The owner file is created exclusively: an empty lock is removed at once by the next taker (`removeEmptyLock`),
 * and a creator whose new lock was removed between its two steps, or replaced by another's, finds so here
 * (ENOENT, EEXIST) and does not hold it. A lock this process holds is never empty: without room for the owner
 * file, an empty directory marks it held.
 */
function createLock(lockDir: string): boolean {
  try {
    mkdirSync(lockDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    const id = `${process.pid}.${Date.now()}.${Math.random()}`;
    const owner = JSON.stringify({ pid: process.pid, host: hostname(), id });
    writeFileSync(path.join(lockDir, OWNER_FILE), owner, { flag: 'wx' });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EEXIST') return false; // taken as empty: no longer (or not only) ours
    // Without its owner, the lock is only taken over once stale; it must not look empty meanwhile.
    try {
      mkdirSync(path.join(lockDir, HELD_MARKER));
    } catch (markerError) {
      rmdirSync(lockDir);
      throw markerError;
    }
  }
  return true;
}

/**
 * Removes the lock if it is empty: left by a process killed between the two steps of its release (the owner file
 * removed, not yet the directory), or caught between the two of its creation (which then finds it gone). rmdir
 * removes only an empty directory, atomically, so a lock that got its owner meanwhile stays. True when the lock
 * is gone.
 */
function removeEmptyLock(lockDir: string): boolean {
  try {
    rmdirSync(lockDir);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return true;
    if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
    throw error;
  }
}

async function isStale(dir: string, staleMs: number): Promise<boolean> {
  const held = await stat(dir).catch(() => undefined);
  return held !== undefined && Date.now() - held.mtimeMs > staleMs;
}

/** Left by a killed process: its holder is gone, or it has not been kept fresh for `staleMs`. */
async function isAbandoned(lockDir: string, staleMs: number): Promise<boolean> {
  return holderIsGone(lockDir) || (await isStale(lockDir, staleMs));
}

/**
 * Removes `lockDir` if it is still stale, under the takeover guard; returns whether this call holds the lock
 * (it creates the new lock itself before letting go of the guard).
 */
async function takeOver(lockDir: string, staleMs: number): Promise<boolean> {
  const guard = `${lockDir}.takeover`;
  // The guard names its holder too, so that one a killed taker left goes at once as well.
  if (!createLock(guard) && !(removeEmptyLock(guard) && createLock(guard))) {
    if (await isAbandoned(guard, staleMs)) await rm(guard, { recursive: true, force: true });
    return false;
  }
  try {
    // Another taker may have replaced the lock since we looked: only a lock still abandoned goes.
    if (!(await isAbandoned(lockDir, staleMs))) return createLock(lockDir);
    await rm(lockDir, { recursive: true, force: true });
    return createLock(lockDir);
  } finally {
    await rm(guard, { recursive: true, force: true });
  }
}

/**
 * Removes the lock on `file` if a killed process left it (its holder gone, or stale), so that nothing is left for
 * a user to clean up; a lock held by a running process is left alone, without waiting.
 */
export async function removeAbandonedLock(file: string, options: { staleMs?: number } = {}): Promise<void> {
  const { staleMs = 10_000 } = options;
  const lockDir = `${file}.lock`;
  if (removeEmptyLock(lockDir)) return;
  if ((await isAbandoned(lockDir, staleMs)) && (await takeOver(lockDir, staleMs))) {
    await rm(lockDir, { recursive: true, force: true });
  }
}

/**
 * The lock on `file` if it is free, taken synchronously; undefined when it is not (held, or left by a killed
 * process: `lockFile` waits for the one and takes the other over).
 */
export function tryLockFileSync(file: string, options: { staleMs?: number } = {}): ReleaseLock | undefined {
  const lockDir = `${file}.lock`;
  const taken = createLock(lockDir) || (removeEmptyLock(lockDir) && createLock(lockDir));
  return taken ? holdLock(lockDir, options.staleMs ?? 10_000) : undefined;
}

/** Waits for the lock on `file`; resolves to the function that releases it. */
export async function lockFile(file: string, options: FileLockOptions = {}): Promise<ReleaseLock> {
  const { staleMs = 10_000, timeoutMs = 10_000, onWait } = options;
  const lockDir = `${file}.lock`;
  const deadline = Date.now() + timeoutMs;
  // The notice is for one holder that keeps the lock, not for a queue of short holders taking turns.
  let waitingOn: string | undefined;
  let waitingSince = Date.now();
  let told = false;
  for (let attempt = 0; ; attempt++) {
    if (createLock(lockDir)) break;
    if (removeEmptyLock(lockDir) && createLock(lockDir)) break;
    if ((await isAbandoned(lockDir, staleMs)) && (await takeOver(lockDir, staleMs))) break;
    const owner = readOwner(lockDir);
    const holder = owner
      ? `another process (pid ${owner.pid}${owner.host === hostname() ? '' : ` on ${owner.host}`})`
      : 'another process';
    if (Date.now() > deadline) {
      throw new GymnosError(
        'LOCK_TIMEOUT',
        `${lockDir} is held by ${holder}; remove it if no gymnos command is running`,
        { kind: 'failure', details: { file: lockDir, timeoutMs, ...(owner && { pid: owner.pid, host: owner.host }) } },
      );
    }
    if (owner?.id !== waitingOn) {
      waitingOn = owner?.id;
      waitingSince = Date.now();
    }
    if (onWait && !told && Date.now() - waitingSince >= WAIT_NOTICE_MS) {
      told = true;
      onWait(`waiting for ${lockDir}, held by ${holder}, for up to ${Math.round(timeoutMs / 1000)} s`);
    }
    // Randomized, growing waits, so that many runs started together do not retry in step.
    await sleep(2 + Math.random() * Math.min(50, 2 ** attempt));
  }
  // Synchronously from createLock on: the caller holds the release before any signal handler can run.
  return holdLock(lockDir, staleMs);
}

/**
 * Removes a lock this process holds: its owner file (or the marker it held it with), then the directory. Once the
 * first is gone the lock is empty, and another process may remove it and take it (removeEmptyLock) before the
 * rmdir: a directory that is gone, or not empty again, is then that process's lock, and stays.
 */
function removeHeldLock(lockDir: string): void {
  const expected = (error: unknown, codes: string[]) => codes.includes((error as NodeJS.ErrnoException).code ?? '');
  try {
    unlinkSync(path.join(lockDir, OWNER_FILE));
  } catch (error) {
    if (!expected(error, ['ENOENT'])) throw error;
    // Held without its owner file (a full disk): by the marker instead.
    try {
      rmdirSync(path.join(lockDir, HELD_MARKER));
    } catch (markerError) {
      if (!expected(markerError, ['ENOENT'])) throw markerError;
    }
  }
  try {
    rmdirSync(lockDir);
  } catch (error) {
    if (!expected(error, ['ENOENT', 'ENOTEMPTY', 'EEXIST'])) throw error;
  }
}

/** Keeps the lock fresh until released; an exit on the way (an uncaught error, process.exit) releases it too. */
function holdLock(lockDir: string, staleMs: number): ReleaseLock {
  const refresh = setInterval(
    () => {
      const now = new Date();
      utimes(lockDir, now, now).catch(() => clearInterval(refresh)); // gone: nothing left to keep fresh
    },
    Math.max(10, Math.floor(staleMs / 3)),
  );
  refresh.unref();
  const onExit = () => removeHeldLock(lockDir);
  process.once('exit', onExit);
  // Removing the lock (a directory and its owner file) is two quick calls: synchronous, as for a CLI command that
  // then exits, it costs less than the trip through the thread pool (and create-new loads no fs/promises). The
  // promise-returning release and its sync() (for signal handlers) are then the same work.
  const releaseSync = () => {
    clearInterval(refresh);
    process.removeListener('exit', onExit);
    removeHeldLock(lockDir);
  };
  return Object.assign(async () => releaseSync(), { sync: releaseSync });
}
