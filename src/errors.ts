/**
 * The one error model. Every error gymnos raises on purpose is a `GymnosError` with a stable `code` (what
 * went wrong, for programs) and a `kind` (how the CLI treats it): structure travels in `details`, never in
 * the message text. The CLI shell maps `kind` to an exit code and to its `--json` failure document in one
 * place; anything that is not a GymnosError is an internal error.
 */

/** How an error is treated: usage → exit 2, conflict → exit 3, failure → exit 1, interrupted → exit 130. */
export type ErrorKind = 'usage' | 'conflict' | 'failure' | 'interrupted';

export interface GymnosErrorOptions {
  /** Defaults to `usage`: most errors a user can cause are bad input. */
  kind?: ErrorKind;
  /** Structured facts about the error (a file, a line, a name) for callers and the `--json` document. */
  details?: Record<string, unknown>;
  /** What the user can do about it, when the message does not already say. */
  hint?: string;
  cause?: unknown;
}

// A brand rather than `instanceof`: the CLI is bundled per command, so one process may hold several copies
// of this class (bin/build.mjs), and a user may have two copies of gymnos installed.
const GYMNOS_ERROR_BRAND = Symbol.for('gymnos.GymnosError');

export class GymnosError extends Error {
  readonly [GYMNOS_ERROR_BRAND] = true;
  readonly code: string;
  readonly kind: ErrorKind;
  readonly details: Readonly<Record<string, unknown>>;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: GymnosErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GymnosError';
    this.code = code;
    this.kind = options.kind ?? 'usage';
    this.details = Object.freeze({ ...options.details });
    this.hint = options.hint;
  }
}

/** True for a GymnosError from any copy of this module. */
export function isGymnosError(error: unknown): error is GymnosError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[GYMNOS_ERROR_BRAND] === true;
}

/** The message of whatever was thrown: an Error's message, anything else as a string. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
