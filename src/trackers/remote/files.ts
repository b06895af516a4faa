/**
 * Files a remote tracker uploads: whether one can be read before its upload starts. A directory or a vanished file
 * would fail while the body streams, which looks like a network error and would be retried forever: it is refused
 * instead, with the reason.
 */
import { stat } from 'node:fs/promises';

/** Why `file` cannot be uploaded (an errno code, or "not a regular file"), or undefined when it can. */
export async function unreadableReason(file: string | undefined): Promise<string | undefined> {
  if (file === undefined) return 'no file';
  try {
    return (await stat(file)).isFile() ? undefined : 'not a regular file';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    return code;
  }
}

/** The size of a regular file, in bytes (it was checked with `unreadableReason`). */
export async function fileSize(file: string): Promise<number> {
  return (await stat(file)).size;
}
