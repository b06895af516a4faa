/**
 * The one atomic file write: a temporary sibling, then a rename, so a reader (or a crash) sees the old file
 * or the new one, never half of one. Shared by the trackers' JSON documents and summary.json, the mlflow spool's
 * cursor and run.json, the report, and the caches.
 *
 * Durable unless asked not to: the temporary file is fsynced before the rename (else a power cut soon after may
 * leave the new name pointing at an empty or partial file: the rename can reach the disk before the data does),
 * and its directory after it (else the rename itself may be lost). A cache, whose loss costs only its rebuilding,
 * passes `durable: false`.
 *
 * A file the user owns is respected: a symlink is written through (its target is replaced, the link stays),
 * and an existing file keeps its mode. A failed write removes its temporary file. Hand-written rather than
 * write-file-atomic: that package patches nothing we need and its sync and async halves differ in behaviour.
 */
import {
  chmodSync,
  closeSync,
  fsyncSync,
  lstatSync,
  openSync,
  realpathSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { lstat, open, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { removeFile } from './remove_file.js';

/** Suffix of every temporary file gymnos writes, so that leftovers are recognizable. */
const TEMP_SUFFIX = '.gymnos-tmp';

interface AtomicWriteOptions {
  /** Mode of a new file (an existing file keeps its own). Default 0o666 less the umask. */
  mode?: number;
  /** False: no fsync (a cache, which a power cut may cost, never tear). Default true. */
  durable?: boolean;
}

/**
 * What a directory's fsync fails with where directories cannot be opened or synced (Windows, some network file
 * systems); the rename is atomic there all the same, only not made durable by us.
 */
const DIRECTORY_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EINVAL', 'EPERM', 'EACCES', 'EBADF', 'ENOTSUP']);

/** Makes the entries of `dir` (a file renamed into it) durable. */
function syncDirectorySync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch (error) {
    if (!DIRECTORY_SYNC_UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    if (!DIRECTORY_SYNC_UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await handle?.close();
  }
}

/** The temporary sibling a write of `file` goes through: same directory, so the rename stays atomic. */
export function temporaryPathFor(file: string): string {
  const random = Math.random().toString(36).slice(2, 10);
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${random}${TEMP_SUFFIX}`);
}

async function resolveTarget(file: string): Promise<{ target: string; mode: number | undefined }> {
  const link = await lstat(file).catch(() => undefined);
  if (!link) return { target: file, mode: undefined };
  const target = link.isSymbolicLink() ? await realpath(file) : file;
  const mode = link.isSymbolicLink() ? (await stat(target)).mode : link.mode;
  return { target, mode: mode & 0o7777 };
}

function resolveTargetSync(file: string): { target: string; mode: number | undefined } {
  let link;
  try {
    link = lstatSync(file);
  } catch {
    return { target: file, mode: undefined };
  }
  const target = link.isSymbolicLink() ? realpathSync(file) : file;
  const mode = link.isSymbolicLink() ? statSync(target).mode : link.mode;
  return { target, mode: mode & 0o7777 };
}

export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const { target, mode } = await resolveTarget(file);
  const temporary = temporaryPathFor(target);
  const durable = options.durable ?? true;
  try {
    const handle = await open(temporary, 'wx', mode ?? options.mode ?? 0o666);
    try {
      await handle.writeFile(data);
      // The open's mode is filtered by the umask; an existing file's mode is kept exactly.
      if (mode !== undefined) await handle.chmod(mode);
      if (durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  if (durable) await syncDirectory(path.dirname(target));
}

export function writeFileAtomicSync(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const { target, mode } = resolveTargetSync(file);
  const temporary = temporaryPathFor(target);
  const durable = options.durable ?? true;
  try {
    const fd = openSync(temporary, 'wx', mode ?? options.mode ?? 0o666);
    try {
      writeFileSync(fd, data);
      if (mode !== undefined) chmodSync(temporary, mode);
      if (durable) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, target);
  } catch (error) {
    removeFile(temporary);
    throw error;
  }
  if (durable) syncDirectorySync(path.dirname(target));
}
