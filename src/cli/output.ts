/**
 * Output helpers: human text on stdout, diagnostics on stderr, one JSON document with --json.
 * Color is on for terminals, off for pipes; NO_COLOR turns it off and FORCE_COLOR on.
 */
import chalk from 'chalk';
import type { ChangeAction } from '../scaffold/plan.js';
import { writeStderr, writeStdout } from './stdio.js';

// chalk honours FORCE_COLOR but not NO_COLOR (https://no-color.org); FORCE_COLOR wins when both are set.
if (process.env.NO_COLOR && process.env.FORCE_COLOR === undefined) chalk.level = 0;

export { chalk };

const ACTION_COLOR: Record<ChangeAction, (text: string) => string> = {
  create: chalk.green,
  overwrite: chalk.yellow,
  update: chalk.cyan,
  unchanged: chalk.dim,
  delete: chalk.red,
};

/** A plan's line for one file: `CREATE    src/trackers/my_tracker.ts`, colored by what happens to it. */
export function changeLine(action: ChangeAction, file: string): string {
  return `${ACTION_COLOR[action](action.toUpperCase().padEnd(9))} ${file}`;
}

export function printLine(line = ''): void {
  writeStdout(`${line}\n`);
}

export function printError(message: string): void {
  writeStderr(`${chalk.red('gymnos:')} ${message}\n`);
}

export function printJson(document: unknown): void {
  writeStdout(`${JSON.stringify(document, null, 2)}\n`);
}

/** A one-line notice on stderr, as the library reports one (a wait for a lock, an interrupted commit undone). */
export function printNotice(line: string): void {
  writeStderr(`gymnos: ${line}\n`);
}

/** A warning the command goes on after (`notice: ...` on stderr): a name normalized, a tool not installed yet. */
export function printWarning(text: string): void {
  writeStderr(`${chalk.yellow('notice:')} ${text}\n`);
}
