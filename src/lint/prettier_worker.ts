/**
 * The Prettier worker thread (started by prettier_check.ts): for each run it is sent, checks, or with `write`
 * formats, the files one by one and posts progress, then the outcomes. Prettier is imported at the first file the
 * content cache does not vouch for, so a run where every file is known loads no Prettier at all; it stays loaded
 * for the next run, whose Prettier configs are read afresh.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { resolvePrettierOptions } from '../util/prettier_options.js';
import type { PrettierOutcome } from './prettier_check.js';

/** What prettier_check.ts sends for each run. */
export interface PrettierWorkerInput {
  root: string;
  files: readonly string[];
  write: boolean;
  ignorePath: string[];
  /** Files known to be formatted: path -> SHA-1 of the content. */
  known: Readonly<Record<string, string>>;
}

/** The messages the worker posts. */
export type PrettierWorkerMessage =
  | { type: 'progress'; done: number }
  | { type: 'done'; results: PrettierOutcome[] }
  | { type: 'crash'; message: string };

type Prettier = typeof import('prettier');

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** How much of Prettier's change a finding shows: its first hunks, each cut to so many lines. */
const SHOWN_HUNKS = 2;
const SHOWN_HUNK_LINES = 12;

/**
 * A short unified diff of what formatting `input` changes: the first hunks (one line of context), each cut short,
 * and how many more there are (the finding says so with the project's own fix command). As `prettier --check`
 * users see with their editor's diff, in the finding itself.
 */
async function shortDiff(input: string, output: string): Promise<{ diff: string; moreChanges: number }> {
  const { structuredPatch } = await import('diff');
  const { hunks } = structuredPatch('', '', input, output, '', '', { context: 1 });
  const lines = hunks.slice(0, SHOWN_HUNKS).flatMap((hunk) => {
    const header = `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`;
    const body = hunk.lines.filter((line) => !line.startsWith('\\'));
    const cut = body.length > SHOWN_HUNK_LINES ? [...body.slice(0, SHOWN_HUNK_LINES), '…'] : body;
    return [header, ...cut];
  });
  return { diff: lines.join('\n'), moreChanges: Math.max(0, hunks.length - SHOWN_HUNKS) };
}

function firstDifferentLine(input: string, output: string): number {
  const before = input.split('\n');
  const after = output.split('\n');
  for (let index = 0; index < Math.max(before.length, after.length); index++) {
    if (before[index] !== after[index]) return Math.min(index + 1, before.length);
  }
  return 1;
}

async function checkFile(input: PrettierWorkerInput, file: string, prettier: () => Promise<Prettier>) {
  const absolute = path.join(input.root, file);
  const text = readFileSync(absolute, 'utf8');
  const hash = sha1(text);
  if (input.known[file] === hash) return { file, status: 'formatted', hash } as const;
  const loaded = await prettier();
  const info = await loaded.getFileInfo(absolute, { ignorePath: input.ignorePath, resolveConfig: false });
  if (info.ignored || !info.inferredParser) return { file, status: 'skipped' } as const;
  const options = await resolvePrettierOptions(loaded, absolute);
  const output = await loaded.format(text, { ...options, filepath: absolute });
  if (output === text) return { file, status: 'formatted', hash } as const;
  if (!input.write) {
    const { diff, moreChanges } = await shortDiff(text, output);
    return { file, status: 'unformatted', line: firstDifferentLine(text, output), diff, moreChanges } as const;
  }
  writeFileSync(absolute, output);
  return { file, status: 'written', hash: sha1(output) } as const;
}

/** A Prettier error as an outcome: its first line, and where it points. */
function errorOutcome(file: string, error: unknown): PrettierOutcome {
  const { message, loc } = (error ?? {}) as { message?: unknown; loc?: { start?: { line?: number; column?: number } } };
  const firstLine = String(message ?? error)
    .split('\n')[0]!
    .replace(/ \(\d+:\d+\)$/, '');
  return { file, status: 'error', message: firstLine, line: loc?.start?.line || 1, column: loc?.start?.column || 1 };
}

let loaded: Promise<Prettier> | undefined;

async function run(input: PrettierWorkerInput, post: (message: PrettierWorkerMessage) => void): Promise<void> {
  // A config an earlier run read may have been edited since.
  if (loaded) await (await loaded).clearConfigCache();
  const prettier = () => (loaded ??= import('prettier'));
  const results: PrettierOutcome[] = [];
  for (const [index, file] of input.files.entries()) {
    try {
      results.push(await checkFile(input, file, prettier));
    } catch (error) {
      results.push(errorOutcome(file, error));
    }
    if ((index + 1) % 8 === 0) post({ type: 'progress', done: index + 1 });
  }
  post({ type: 'done', results });
}

if (parentPort) {
  const port = parentPort;
  const post = (message: PrettierWorkerMessage) => port.postMessage(message);
  port.on('message', (input: PrettierWorkerInput) => {
    run(input, post).catch((error: unknown) =>
      post({ type: 'crash', message: String((error as Error | undefined)?.stack ?? error) }),
    );
  });
}
