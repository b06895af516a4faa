/** The CLI's exit codes, documented in the README; every command maps its outcome onto these. */
export const EXIT = {
  ok: 0,
  /** A runtime failure (rolled back), or lint findings. */
  failure: 1,
  /** A usage or validation error, or the tool itself broke. */
  usage: 2,
  /** Something already exists and --force was not given. */
  conflict: 3,
  /** The user cancelled a prompt (Ctrl-C). */
  cancelled: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const CLI_ERROR_BRAND = Symbol.for('gymnos.CliError');

/** An error the CLI reports as one line on stderr and turns into an exit code. */
export class CliError extends Error {
  readonly [CLI_ERROR_BRAND] = true;
  readonly exitCode: ExitCode;
  readonly code: string;

  constructor(exitCode: ExitCode, code: string, message: string) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.code = code;
  }
}

/**
 * True for a CliError from any of the CLI's bundles: each command is bundled on its own (bin/build.mjs), with
 * its own copy of the class, so `instanceof` cannot tell across bundles; the brand can.
 */
export function isCliError(error: unknown): error is CliError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[CLI_ERROR_BRAND] === true;
}
