/**
 * The files a training run hands its trackers as assets (the model's topology, checkpoints): written in the
 * background under `<filesDir>/<runId>/`, then logged with `logAsset`, which takes a path. They stay there: the
 * mlflow tracker uploads a file when its sender gets to it, and TensorBoard records the path only.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runDirectory } from '../runtime/tracker_params.js';

export interface RunFile {
  /** The file's name in the run's directory. */
  fileName: string;
  data: string | Uint8Array | readonly Uint8Array[];
}

/** Warns, without stopping training, that files were not saved. */
export function warnNotSaved(what: string, error: unknown): void {
  process.emitWarning(`gymnos/tfjs: ${what} was not saved: ${(error as Error)?.message ?? String(error)}`, {
    type: 'GymnosWarning',
    code: 'GYMNOS_FILE_NOT_SAVED',
  });
}

export class RunFiles {
  readonly dir: string;
  #made: Promise<unknown> | undefined;
  readonly #stems = new Set<string>();

  constructor(filesDir: string, runId: string) {
    this.dir = path.resolve(runDirectory('gymnos/tfjs', filesDir, runId));
  }

  /** `stem`, or `stem_1`, `stem_2`... when this run already used it, so that no file is overwritten. */
  reserve(stem: string): string {
    let unique = stem;
    for (let n = 1; this.#stems.has(unique); n++) unique = `${stem}_${n}`;
    this.#stems.add(unique);
    return unique;
  }

  /** Writes the files; resolves to their paths in order, or rejects when one of them could not be written. */
  async write(files: readonly RunFile[]): Promise<string[]> {
    this.#made ??= mkdir(this.dir, { recursive: true });
    await this.#made;
    return Promise.all(
      files.map(async ({ fileName, data }) => {
        const file = path.join(this.dir, fileName);
        await writeFile(file, typeof data === 'string' || data instanceof Uint8Array ? data : data.values());
        return file;
      }),
    );
  }
}
