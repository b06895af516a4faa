/**
 * An exclusive lock on a file, held as a `<file>.lock` directory: `mkdir` is atomic, so of several processes
 * exactly one creates it. The convention is proper-lockfile's (which the mlflow spool uses), without its
 * start-up cost on the create-new path (graceful-fs patching `fs`, retry, signal-exit: about a tenth of the
 * command's own time). The lock is held for the milliseconds of a commit; one left behind by a process that
 * was killed is taken over once it is older than `staleMs`.
 */
import { rmSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export interface FileLockOptions {
  /** A lock older than this is left over from a killed process and is taken over. */
  staleMs?: number;
  /** How long to wait for another process to release the lock before giving up. */
  timeoutMs?: number;
}

/** Waits for the lock on `file`; resolves to the function that releases it. */
export async function lockFile(file: string, options: FileLockOptions = {}): Promise<() => Promise<void>> {
  const { staleMs = 10_000, timeoutMs = 10_000 } = options;
  const lockDir = `${file}.lock`;
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      await mkdir(lockDir);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const held = await stat(lockDir).catch(() => undefined);
      if (held && Date.now() - held.mtimeMs > staleMs) {
        await rm(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`${lockDir} is held by another process (remove it if no gymnos command is running)`, {
          cause: error,
        });
      }
      // Randomized, growing waits, so that many runs started together do not retry in step.
      await sleep(2 + Math.random() * Math.min(50, 2 ** attempt));
    }
  }
  // An exit on the way (an uncaught error, process.exit) releases the lock too.
  const onExit = () => rmSync(lockDir, { recursive: true, force: true });
  process.once('exit', onExit);
  return async () => {
    process.removeListener('exit', onExit);
    await rm(lockDir, { recursive: true, force: true });
  };
}
