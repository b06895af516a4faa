/**
 * The CLI shell's one failure path: whatever a command throws becomes an exit code, one line on stderr and, with
 * --json, the command's one JSON document with `ok: false` and the error. A GymnosError is reported as its kind
 * says; a prompt cancelled with Ctrl-C is `interrupted`; anything else is an internal error (a bug), exit 2, with
 * its stack and a hint to report it. Kept free of chalk and other packages: main.ts loads it at start-up.
 */
import { errorMessage, GymnosError, isGymnosError } from '../errors.js';
import type { ErrorKind } from '../errors.js';
import { EXIT, EXIT_FOR_KIND } from './exit_codes.js';
import type { ExitCode } from './exit_codes.js';
import { redactCredentials } from '../util/redact.js';
import { writeStderr, writeStdout } from './stdio.js';
import { escapeControls } from '../util/display_text.js';

const REPORT_HINT = 'this is a bug in gymnos; please report it with the command you ran and the lines above';

/** The `error` member of a --json failure document. */
interface ErrorDocument {
  code: string;
  /** An ErrorKind, or `internal` for a bug. */
  kind: ErrorKind | 'internal';
  message: string;
  hint: string | null;
  details: Record<string, unknown>;
}

/**
 * What a command with --json prints: `ok`, the fields the command filled in as it went (its inputs, its changes
 * so far...), and `error` (null on success). A command sets `fields` before it can fail, so its failure document
 * has the same shape as its success document.
 */
export class JsonDocument {
  readonly enabled: boolean;
  fields: object = {};

  constructor(enabled: boolean) {
    this.enabled = enabled;
  }
}

/** Whether `error` is @inquirer/prompts' Ctrl-C (matched by name: the package is loaded only to prompt). */
function isPromptCancelled(error: unknown): boolean {
  return (error as Error | undefined)?.name === 'ExitPromptError';
}

/** The error as the CLI reports it: a GymnosError, or `undefined` for an internal error. */
function reportable(error: unknown): GymnosError | undefined {
  if (isGymnosError(error)) return error;
  if (isPromptCancelled(error)) {
    return new GymnosError('CANCELLED', 'cancelled; nothing was written', { kind: 'interrupted', cause: error });
  }
  return undefined;
}

function errorDocument(error: unknown): ErrorDocument {
  const known = reportable(error);
  if (known) {
    const { code, kind, message, hint = null, details } = known;
    return { code, kind, message, hint, details: { ...details } };
  }
  return { code: 'INTERNAL_ERROR', kind: 'internal', message: errorMessage(error), hint: REPORT_HINT, details: {} };
}

/** A usage error commander found (and printed on stderr): with --json, its failure document too. */
export function reportUsageError(message: string, json: boolean): ExitCode {
  if (json) printFailureDocument({}, errorDocument(new GymnosError('USAGE', message)));
  return EXIT.usage;
}

/** Errors quote what the user gave (a tracking URI among it): what is printed never holds a credential. */
function printFailureDocument(fields: object, error: ErrorDocument): void {
  writeStdout(`${redactCredentials(JSON.stringify({ ok: false, ...fields, error }, null, 2))}\n`);
}

/** Reports a command's failure (stderr, and the --json document when asked) and returns its exit code. */
export function reportFailure(error: unknown, document?: JsonDocument): ExitCode {
  const reported = errorDocument(error);
  if (document?.enabled) printFailureDocument(document.fields, reported);
  if (reported.kind === 'internal') {
    // A bug: the stack is what a report needs.
    writeStderr(
      `gymnos: internal error: ${redactCredentials((error as Error | undefined)?.stack ?? reported.message)}\n`,
    );
    writeStderr(`gymnos: ${REPORT_HINT}\n`);
    return EXIT.usage;
  }
  // One line for an error a user can fix: the hint, when there is one, ends it.
  // Messages carry names and lines read from files: their control characters are shown, never acted on.
  const line = escapeControls(`${reported.message}${reported.hint ? `; ${reported.hint}` : ''}`);
  writeStderr(redactCredentials(`gymnos: ${line}\n`));
  return EXIT_FOR_KIND[reported.kind];
}
