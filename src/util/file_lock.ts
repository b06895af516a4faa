/**
 * An exclusive lock on a file, held as a `<file>.lock` directory: `mkdir` is atomic, so of several processes
 * exactly one creates it. The convention is proper-lockfile's, without its start-up cost on the create-new path
 * (graceful-fs patching `fs`, retry, signal-exit: about a tenth of the command's own time). Shared by the registry
 * commit and the mlflow spool.
 *
 * - While held, the lock's mtime is kept fresh (an unref'd timer), so a long holder is never taken for a dead one.
 * - The lock records its holder (`<file>.lock/owner`: pid and hostname). A lock whose holder is a process of this
 *   host that no longer exists was left by a killed process (SIGKILL, or a signal that ended it without running
 *   its exit handlers) and is taken over at once; a holder on another host, or one not recorded yet, is judged by
 *   the mtime alone.
 * - A lock whose mtime is older than `staleMs` was left by a killed process and is taken over. Takers go through a
 *   guard (`<file>.lock.takeover`, another mkdir) and look again under it: of several processes that find the
 *   same lock stale, one removes it, and the others find the new holder's fresh lock. The guard is held for a few
 *   file operations; one left by a process killed in between is itself stale after `staleMs`.
 */
import { rmSync } from 'node:fs';
import { mkdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GymnosError } from '../errors.js';

interface FileLockOptions {
  /** A lock not refreshed for this long is left over from a killed process and is taken over. */
  staleMs?: number;
  /** How long to wait for another process to release the lock before giving up. */
  timeoutMs?: number;
}

/** True when `mkdir(dir)` created it; false when it exists already. */
async function createDirectory(dir: string): Promise<boolean> {
  try {
    await mkdir(dir);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

const OWNER_FILE = 'owner';

/** Whether process `pid` exists (EPERM: it does, under another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the lock's recorded holder is a process of this host that is gone. */
async function holderIsDead(dir: string): Promise<boolean> {
  const owner = await readFile(path.join(dir, OWNER_FILE), 'utf8').catch(() => '');
  const match = /^(\d+) (.+)\n?$/.exec(owner);
  if (!match || match[2] !== hostname()) return false;
  const pid = Number(match[1]);
  return pid !== process.pid && !isAlive(pid);
}

async function isStale(dir: string, staleMs: number): Promise<boolean> {
  const held = await stat(dir).catch(() => undefined);
  if (held === undefined) return false;
  return Date.now() - held.mtimeMs > staleMs || (await holderIsDead(dir));
}

/**
 * Removes `lockDir` if it is still stale, under the takeover guard; returns whether this call holds the lock
 * (it creates the new lock itself before letting go of the guard).
 */
async function takeOver(lockDir: string, staleMs: number): Promise<boolean> {
  const guard = `${lockDir}.takeover`;
  if (!(await createDirectory(guard))) {
    if (await isStale(guard, staleMs)) await rm(guard, { recursive: true, force: true });
    return false;
  }
  try {
    // Another taker may have replaced the stale lock since we looked: only a lock still stale goes.
    if (!(await isStale(lockDir, staleMs))) return createDirectory(lockDir);
    await rm(lockDir, { recursive: true, force: true });
    return await createDirectory(lockDir);
  } finally {
    await rm(guard, { recursive: true, force: true });
  }
}

/** Waits for the lock on `file`; resolves to the function that releases it. */
export async function lockFile(file: string, options: FileLockOptions = {}): Promise<() => Promise<void>> {
  const { staleMs = 10_000, timeoutMs = 10_000 } = options;
  const lockDir = `${file}.lock`;
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    if (await createDirectory(lockDir)) break;
    if ((await isStale(lockDir, staleMs)) && (await takeOver(lockDir, staleMs))) break;
    if (Date.now() > deadline) {
      throw new GymnosError(
        'LOCK_TIMEOUT',
        `${lockDir} is held by another process (remove it if no gymnos command is running)`,
        { kind: 'failure', details: { file: lockDir, timeoutMs } },
      );
    }
    // Randomized, growing waits, so that many runs started together do not retry in step.
    await sleep(2 + Math.random() * Math.min(50, 2 ** attempt));
  }
  // Best effort: without it, the lock is only taken over once stale.
  await writeFile(path.join(lockDir, OWNER_FILE), `${process.pid} ${hostname()}\n`).catch(() => undefined);
  return holdLock(lockDir, staleMs);
}

/** Keeps the lock fresh until released; an exit on the way (an uncaught error, process.exit) releases it too. */
function holdLock(lockDir: string, staleMs: number): () => Promise<void> {
  const refresh = setInterval(
    () => {
      const now = new Date();
      utimes(lockDir, now, now).catch(() => clearInterval(refresh)); // gone: nothing left to keep fresh
    },
    Math.max(10, Math.floor(staleMs / 3)),
  );
  refresh.unref();
  const onExit = () => rmSync(lockDir, { recursive: true, force: true });
  process.once('exit', onExit);
  return async () => {
    clearInterval(refresh);
    process.removeListener('exit', onExit);
    await rm(lockDir, { recursive: true, force: true });
  };
}
