/**
 * The one atomic file write: a temporary sibling, then a rename, so a reader (or a crash) sees the old file
 * or the new one, never half of one. Shared by the registry commit, the trackers' JSON documents, the mlflow
 * spool and the lint caches.
 *
 * A file the user owns is respected: a symlink is written through (its target is replaced, the link stays),
 * and an existing file keeps its mode. A failed write removes its temporary file. Hand-written rather than
 * write-file-atomic: that package patches nothing we need and its sync and async halves differ in behaviour.
 */
import { chmodSync, lstatSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { chmod, lstat, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { removeFile } from './remove_file.js';

/** Suffix of every temporary file gymnos writes, so that leftovers are recognizable. */
const TEMP_SUFFIX = '.gymnos-tmp';

interface AtomicWriteOptions {
  /** Mode of a new file (an existing file keeps its own). Default 0o666 less the umask. */
  mode?: number;
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
  try {
    await writeFile(temporary, data, { mode: mode ?? options.mode ?? 0o666, flag: 'wx' });
    // writeFile's mode is filtered by the umask; an existing file's mode is kept exactly.
    if (mode !== undefined) await chmod(temporary, mode);
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

export function writeFileAtomicSync(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const { target, mode } = resolveTargetSync(file);
  const temporary = temporaryPathFor(target);
  try {
    writeFileSync(temporary, data, { mode: mode ?? options.mode ?? 0o666, flag: 'wx' });
    if (mode !== undefined) chmodSync(temporary, mode);
    renameSync(temporary, target);
  } catch (error) {
    removeFile(temporary);
    throw error;
  }
}
