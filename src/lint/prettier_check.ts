/**
 * Prettier, in the same process as ESLint but on a worker thread of its own: checking formatting is as much
 * work as linting, and the two run side by side. Prettier is imported by the worker only.
 *
 * Options: gymnos's defaults (single quotes, 120 columns), then the project's own Prettier config (.prettierrc,
 * .editorconfig...), which wins: ESLint's `@stylistic/max-len` follows the same print width (prettier_options.ts),
 * so the two never disagree. `.prettierignore` is honoured.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { PRETTIER_DEFAULTS } from '../util/prettier_options.js';
import type { PrettierWorkerInput, PrettierWorkerMessage } from './prettier_worker.js';

export { PRETTIER_DEFAULTS } from '../util/prettier_options.js';

export type PrettierOutcome =
  | { file: string; status: 'formatted' | 'written'; /** SHA-1 of the formatted content. */ hash: string }
  | { file: string; status: 'skipped' }
  | { file: string; status: 'unformatted'; line: number }
  | { file: string; status: 'error'; message: string; line: number; column: number };

interface PrettierRunOptions {
  /** Write the formatted text back (`--fix`) instead of reporting. */
  write: boolean;
  /** Files known to be formatted: path -> SHA-1 of the content (see PrettierCache). */
  known?: Readonly<Record<string, string>>;
  /** Called now and then with how many files are done. */
  onProgress?: (done: number) => void;
}

/**
 * The worker thread, running the module beside this one: prettier_worker.js once compiled (dist/lint/) or bundled
 * (dist/cli-bundle/, where bin/build.mjs puts it beside the lint chunks). From the TypeScript sources (gymnos's own
 * tests, under tsx) it is prettier_worker.ts, which the worker imports through tsx's API: on Node 20, tsx's
 * `--import` hooks do not reach a worker's entry module.
 */
function startWorker(workerData: PrettierWorkerInput): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./prettier_worker.js', import.meta.url), { workerData });
  const source = JSON.stringify(new URL('./prettier_worker.ts', import.meta.url).href);
  const api = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const code = `import(${api}).then(({ tsImport }) => tsImport(${source}, ${source}))`;
  return new Worker(code, { eval: true, execArgv: [], workerData });
}

/** Checks (or, with `write`, formats) `files` (relative to `root`) with Prettier on a worker thread. */
export function runPrettier(
  root: string,
  files: readonly string[],
  options: PrettierRunOptions,
): Promise<PrettierOutcome[]> {
  if (files.length === 0) return Promise.resolve([]);
  const ignoreFile = path.join(root, '.prettierignore');
  const workerData: PrettierWorkerInput = {
    root,
    files,
    write: options.write,
    known: options.known ?? {},
    defaults: PRETTIER_DEFAULTS,
    ignorePath: existsSync(ignoreFile) ? [ignoreFile] : [],
  };
  return new Promise((resolve, reject) => {
    const worker = startWorker(workerData);
    let settled = false;
    worker.on('message', (message: PrettierWorkerMessage) => {
      if (message.type === 'progress') options.onProgress?.(message.done);
      else if (message.type === 'done') {
        settled = true;
        options.onProgress?.(files.length);
        resolve(message.results);
        void worker.terminate();
      } else if (message.type === 'crash') {
        settled = true;
        reject(new Error(`Prettier failed: ${message.message}`));
        void worker.terminate();
      }
    });
    worker.on('error', (error) => {
      if (!settled) reject(error);
      settled = true;
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`the Prettier worker stopped (exit code ${code})`));
      settled = true;
    });
  });
}

/** The Prettier options that apply to `file` (for `--print-config`), or undefined when Prettier skips it. */
export async function prettierOptionsFor(root: string, file: string): Promise<Record<string, unknown> | undefined> {
  const prettier = await import('prettier');
  const ignoreFile = path.join(root, '.prettierignore');
  const info = await prettier.getFileInfo(file, {
    ignorePath: existsSync(ignoreFile) ? [ignoreFile] : [],
    resolveConfig: false,
  });
  if (info.ignored || !info.inferredParser) return undefined;
  const config = (await prettier.resolveConfig(file, { editorconfig: true })) ?? {};
  return { parser: info.inferredParser, ...PRETTIER_DEFAULTS, ...config };
}
