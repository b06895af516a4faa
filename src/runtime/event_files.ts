/**
 * The names of TensorBoard event files, which the tensorboard tracker writes and the readers look for:
 * `events.out.tfevents.<...>`, every one of a directory being part of one run.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';

export const EVENT_FILE_PREFIX = 'events.out.tfevents.';

/**
 * The event files of a run directory, in name order (which is creation-time order for one host): regular files
 * only, so that a directory, a FIFO or a symlink named like one is never opened.
 */
export function eventFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.startsWith(EVENT_FILE_PREFIX))
    .map((entry) => entry.name)
    .sort()
    .map((name) => path.join(dir, name));
}
