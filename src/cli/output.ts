/**
 * Output helpers: human text on stdout, diagnostics on stderr, one JSON document with --json.
 * Color is on for terminals, off for pipes; NO_COLOR turns it off and FORCE_COLOR on.
 */
import chalk from 'chalk';
import { writeStderr, writeStdout } from './stdio.js';

// chalk honours FORCE_COLOR but not NO_COLOR (https://no-color.org); FORCE_COLOR wins when both are set.
if (process.env.NO_COLOR && process.env.FORCE_COLOR === undefined) chalk.level = 0;

export { chalk };

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
