/**
 * Prettier, in the same process as ESLint but on a worker thread of its own: checking formatting is as much
 * work as linting, and the two run side by side. Prettier is imported by the worker only.
 *
 * Options: Prettier's defaults with single quotes, then the project's own Prettier config (.prettierrc,
 * .editorconfig...), then `printWidth: 120`, which is gymnos's and not negotiable: ESLint holds every line to
 * 120 columns and Prettier must wrap at the same place. `.prettierignore` is honoured.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { MAX_LINE_LENGTH_COLUMNS } from './limits.js';

/** gymnos's defaults, under the project's config. */
export const PRETTIER_DEFAULTS = { singleQuote: true } as const;
/** gymnos's fixed options, over the project's config. */
export const PRETTIER_FORCED = { printWidth: MAX_LINE_LENGTH_COLUMNS } as const;

export type PrettierOutcome =
  | { file: string; status: 'formatted' | 'written'; /** SHA-1 of the formatted content. */ hash: string }
  | { file: string; status: 'skipped' }
  | { file: string; status: 'unformatted'; line: number }
  | { file: string; status: 'error'; message: string; line: number; column: number };

export interface PrettierRunOptions {
  /** Write the formatted text back (`--fix`) instead of reporting. */
  write: boolean;
  /** Files known to be formatted: path -> SHA-1 of the content (see PrettierCache). */
  known?: Readonly<Record<string, string>>;
  /** Called now and then with how many files are done. */
  onProgress?: (done: number) => void;
}

// The worker's code: plain CommonJS, evaluated by the Worker (no file of its own to find at run time, whether
// gymnos runs bundled, compiled or from its TypeScript sources).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

function firstDifferentLine(input, output) {
  const before = input.split('\\n');
  const after = output.split('\\n');
  for (let index = 0; index < Math.max(before.length, after.length); index++) {
    if (before[index] !== after[index]) return Math.min(index + 1, before.length);
  }
  return 1;
}

(async () => {
  const { root, files, write, defaults, forced, ignorePath, known } = workerData;
  const sha1 = (text) => crypto.createHash('sha1').update(text).digest('hex');
  let prettier; // imported at the first file the cache does not vouch for
  const results = [];
  let done = 0;
  for (const file of files) {
    const absolute = path.join(root, file);
    try {
      const input = fs.readFileSync(absolute, 'utf8');
      const hash = sha1(input);
      if (known[file] === hash) {
        results.push({ file, status: 'formatted', hash });
      } else {
        prettier ??= await import(workerData.prettierUrl);
        const info = await prettier.getFileInfo(absolute, { ignorePath, resolveConfig: false });
        if (info.ignored || !info.inferredParser) {
          results.push({ file, status: 'skipped' });
        } else {
          const config = (await prettier.resolveConfig(absolute, { editorconfig: true })) || {};
          const options = { ...defaults, ...config, ...forced, filepath: absolute };
          const output = await prettier.format(input, options);
          if (output === input) results.push({ file, status: 'formatted', hash });
          else if (write) {
            fs.writeFileSync(absolute, output);
            results.push({ file, status: 'written', hash: sha1(output) });
          } else results.push({ file, status: 'unformatted', line: firstDifferentLine(input, output) });
        }
      }
    } catch (error) {
      const start = (error && error.loc && error.loc.start) || {};
      const message = String((error && error.message) || error).split('\\n')[0].replace(/ \\(\\d+:\\d+\\)$/, '');
      results.push({ file, status: 'error', message, line: start.line || 1, column: start.column || 1 });
    }
    done++;
    if (done % 8 === 0) parentPort.postMessage({ type: 'progress', done });
  }
  parentPort.postMessage({ type: 'done', results });
})().catch((error) => parentPort.postMessage({ type: 'crash', message: String((error && error.stack) || error) }));
`;

/** Checks (or, with `write`, formats) `files` (relative to `root`) with Prettier on a worker thread. */
export function runPrettier(
  root: string,
  files: readonly string[],
  options: PrettierRunOptions,
): Promise<PrettierOutcome[]> {
  if (files.length === 0) return Promise.resolve([]);
  const ignoreFile = path.join(root, '.prettierignore');
  const workerData = {
    prettierUrl: import.meta.resolve('prettier'),
    root,
    files,
    write: options.write,
    known: options.known ?? {},
    defaults: PRETTIER_DEFAULTS,
    forced: PRETTIER_FORCED,
    ignorePath: existsSync(ignoreFile) ? [ignoreFile] : [],
  };
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
    let settled = false;
    worker.on('message', (message: { type: string; done?: number; results?: PrettierOutcome[]; message?: string }) => {
      if (message.type === 'progress') options.onProgress?.(message.done ?? 0);
      else if (message.type === 'done') {
        settled = true;
        options.onProgress?.(files.length);
        resolve(message.results ?? []);
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
  return { parser: info.inferredParser, ...PRETTIER_DEFAULTS, ...config, ...PRETTIER_FORCED };
}
