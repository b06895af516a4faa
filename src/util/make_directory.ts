/**
 * `mkdir -p`, synchronously. Node 20's `mkdirSync(dir, { recursive: true })` loops forever where mkdir answers
 * ENOENT for a parent that exists (under `/proc`, for one): a tracker pointed at such a logdir spun in `start()`.
 * Here each directory is made once, its parents first, and an error is thrown as the system gives it.
 */
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

export function makeDirectorySync(dir: string): void {
  try {
    mkdirSync(dir);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && statSync(dir).isDirectory()) return;
    if (code !== 'ENOENT') throw error;
  }
  const parent = path.dirname(dir);
  if (parent !== dir) makeDirectorySync(parent);
  try {
    mkdirSync(dir);
  } catch (error) {
    // Made meanwhile by another process (two runs of one sweep starting together).
    if ((error as NodeJS.ErrnoException).code === 'EEXIST' && statSync(dir).isDirectory()) return;
    throw error;
  }
}
