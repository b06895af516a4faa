/**
 * Prettier, in the same process as ESLint but on a worker thread of its own: checking formatting is as much
 * work as linting, and the two run side by side. Prettier is imported by the worker only.
 *
 * Options: exactly what the project's Prettier configuration resolves to for each file (.prettierrc, a parent
 * directory's, package.json's "prettier", .editorconfig), as `prettier --check` uses; gymnos's style (single quotes,
 * 120 columns) only where there is none (util/prettier_options.ts). ESLint's `@stylistic/max-len` follows the same
 * print width, so the two never disagree. `.prettierignore` is honoured.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { resolvePrettierOptions } from '../util/prettier_options.js';
import type { PrettierWorkerInput, PrettierWorkerMessage } from './prettier_worker.js';

export type PrettierOutcome =
  | { file: string; status: 'formatted' | 'written'; /** SHA-1 of the formatted content. */ hash: string }
  | { file: string; status: 'skipped' }
  | {
      file: string;
      status: 'unformatted';
      line: number;
      /** The first hunks of the change, unified. */
      diff: string;
      /** How many hunks `diff` leaves out. */
      moreChanges: number;
    }
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
 * tests) it is prettier_worker.ts: the test suite's loader, given to node with --import, is inherited by the worker
 * and compiles its entry as well. tsx's --import hooks do not reach a worker's entry on Node 20, so under tsx the
 * worker starts at prettier_worker_tsx.mjs, which imports it through tsx's API (about a second of CPU to load tsx).
 */
function startWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./prettier_worker.js', import.meta.url));
  const underTsx = process.execArgv.some((arg) => /[/\\]tsx[/\\]|^(?:--import=)?tsx$/.test(arg));
  if (!underTsx) return new Worker(new URL('./prettier_worker.ts', import.meta.url));
  const entry = new URL('./prettier_worker.ts', import.meta.url).href;
  return new Worker(new URL('./prettier_worker_tsx.mjs', import.meta.url), { workerData: { entry }, execArgv: [] });
}

/**
 * A worker that finished a run waits here, unreferenced (it keeps no process alive), for the next run in this
 * process: loading Prettier is most of a small run's cost, and a process that lints more than once (the test
 * suite, a program calling lintProject) pays it once. The worker forgets the Prettier configs it read after each
 * run, so an edited .prettierrc is seen.
 */
let idleWorker: Worker | undefined;

function takeWorker(): Worker {
  const worker = idleWorker;
  idleWorker = undefined;
  if (worker) {
    worker.ref();
    return worker;
  }
  const started = startWorker();
  started.once('exit', () => {
    if (idleWorker === started) idleWorker = undefined;
  });
  return started;
}

function releaseWorker(worker: Worker): void {
  if (idleWorker) {
    void worker.terminate();
    return;
  }
  worker.unref();
  idleWorker = worker;
}

/** Checks (or, with `write`, formats) `files` (relative to `root`) with Prettier on a worker thread. */
export function runPrettier(
  root: string,
  files: readonly string[],
  options: PrettierRunOptions,
): Promise<PrettierOutcome[]> {
  if (files.length === 0) return Promise.resolve([]);
  const ignoreFile = path.join(root, '.prettierignore');
  const input: PrettierWorkerInput = {
    root,
    files,
    write: options.write,
    known: options.known ?? {},
    ignorePath: existsSync(ignoreFile) ? [ignoreFile] : [],
  };
  return new Promise((resolve, reject) => {
    const worker = takeWorker();
    const settle = (outcome: () => void, reuse: boolean) => {
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      outcome();
      if (reuse) releaseWorker(worker);
      else void worker.terminate();
    };
    const onMessage = (message: PrettierWorkerMessage) => {
      if (message.type === 'progress') options.onProgress?.(message.done);
      else if (message.type === 'done') {
        options.onProgress?.(files.length);
        settle(() => resolve(message.results), true);
      } else if (message.type === 'crash')
        settle(() => reject(new Error(`Prettier failed: ${message.message}`)), false);
    };
    const onError = (error: Error) => settle(() => reject(error), false);
    const onExit = (code: number) =>
      settle(() => reject(new Error(`the Prettier worker stopped (exit code ${code})`)), false);
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    worker.postMessage(input);
  });
}

/** The Prettier options that apply to `file` (for `--print-config`), or undefined when Prettier skips it. */
export async function prettierOptionsFor(root: string, file: string): Promise<Record<string, unknown> | undefined> {
  const prettier = await import('prettier');
  await prettier.clearConfigCache(); // a process that asks again (a program, the tests) sees edited configs
  const ignoreFile = path.join(root, '.prettierignore');
  const info = await prettier.getFileInfo(file, {
    ignorePath: existsSync(ignoreFile) ? [ignoreFile] : [],
    resolveConfig: false,
  });
  if (info.ignored || !info.inferredParser) return undefined;
  return { parser: info.inferredParser, ...(await resolvePrettierOptions(prettier, file)) };
}
