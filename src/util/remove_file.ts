/**
 * Removes a file if it is there. fs.rmSync would do, but on Node 20 every rmSync (recursive or not) runs a
 * JavaScript walk (internal/fs/rimraf) that loads a module and stats first: a command's commit or a tracker's end
 * removes its files with one unlink instead.
 */
import { unlinkSync } from 'node:fs';

export function removeFile(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
