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

/** An error the CLI reports as one line on stderr and turns into an exit code. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  readonly code: string;

  constructor(exitCode: ExitCode, code: string, message: string) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.code = code;
  }
}
