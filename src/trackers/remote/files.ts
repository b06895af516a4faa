/**
 * Files a remote tracker uploads: whether one can be read before its upload starts, and the upload's body. A
 * directory or a vanished file would fail while the body streams, which looks like a network error and would be
 * retried forever: it is refused instead, with the reason.
 */
import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ArtifactRecord } from './records.js';

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

/** A backend's bound of an upload: `<file> is N bytes, over <name> of <bytes>`. */
export interface UploadLimit {
  bytes: number;
  name: string;
}

/**
 * The body of an artifact's upload: its bytes, or its file opened as a Blob (streamed, never read whole); or, for a
 * file that cannot be read (or is over `limit`), why it is refused.
 */
export async function uploadBody(record: ArtifactRecord, limit?: UploadLimit): Promise<Blob | { refused: string }> {
  if (record.bytes) return new Blob([record.bytes], { type: record.contentType });
  const unreadable = await unreadableReason(record.file);
  if (unreadable) return { refused: `cannot read ${record.file}: ${unreadable}` };
  if (limit) {
    const size = (await stat(record.file!)).size;
    if (size > limit.bytes) return { refused: `${record.file} is ${size} bytes, over ${limit.name} of ${limit.bytes}` };
  }
  try {
    return await openAsBlob(record.file!, { type: record.contentType });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    return { refused: `cannot read ${record.file}: ${code}` }; // gone since the check
  }
}
