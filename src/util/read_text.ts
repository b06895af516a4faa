/**
 * A text file that may not be there: the places that look for an optional file (a config, a package.json) read it
 * the same way, so that a missing one, a directory where a file was expected, or one they may not read count as
 * absent, and anything else (EIO, EMFILE) is an error.
 */
import { readFileSync } from 'node:fs';

const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES']);

/** The text of `file`, or undefined when there is no file there that this process may read. */
export function readTextIfPresent(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if (ABSENT.has((error as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw error;
  }
}
