/**
 * Output helpers: human text on stdout, diagnostics on stderr, one JSON document with --json.
 * Color is on for terminals, off for pipes; NO_COLOR turns it off and FORCE_COLOR on.
 */
import chalk from 'chalk';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { findPackageRoot } from '../registry/package_root.js';
import { CliError, EXIT } from './exit_codes.js';
import type { ExitCode } from './exit_codes.js';

// chalk honours FORCE_COLOR but not NO_COLOR (https://no-color.org); FORCE_COLOR wins when both are set.
if (process.env.NO_COLOR && process.env.FORCE_COLOR === undefined) chalk.level = 0;

export { chalk };

export function printLine(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function printError(message: string): void {
  process.stderr.write(`${chalk.red('gymnos:')} ${message}\n`);
}

export function printJson(document: unknown): void {
  process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
}

/**
 * The failure path of a command with --json: records the error in its outcome, prints the outcome as the one
 * JSON document when asked, prints the error line on stderr either way, and returns the exit code.
 */
export function failureReporter(
  outcome: { error: { code: string; message: string } | null },
  options: { json?: boolean; dryRun?: boolean },
): (exitCode: ExitCode, code: string, message: string) => ExitCode {
  return (exitCode, code, message) => {
    outcome.error = { code, message };
    if (options.json) printJson({ ok: false, dryRun: Boolean(options.dryRun), ...outcome });
    printError(message);
    return exitCode;
  };
}

/**
 * The project a command works on: `--cwd` or the current directory, then up to the nearest package.json
 * (as npm does), so commands work from any subdirectory.
 */
export function findProjectRoot(cwd: string | undefined): string {
  const start = path.resolve(cwd ?? process.cwd());
  if (!existsSync(start)) throw new CliError(EXIT.usage, 'CWD_MISSING', `--cwd ${start} does not exist`);
  const root = findPackageRoot(start);
  if (root !== undefined) return root;
  throw new CliError(
    EXIT.usage,
    'NO_PROJECT',
    `no package.json in ${start} or above it; run gymnos inside your project or pass --cwd <dir>`,
  );
}
