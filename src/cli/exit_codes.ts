/** The CLI's exit codes, documented in docs/cli.md; the shell (failure.ts) maps every error onto these. */
import type { ErrorKind } from '../errors.js';

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

/** The exit code of each kind of GymnosError: the one place the two are tied. */
export const EXIT_FOR_KIND: Readonly<Record<ErrorKind, ExitCode>> = {
  usage: EXIT.usage,
  conflict: EXIT.conflict,
  failure: EXIT.failure,
  interrupted: EXIT.cancelled,
};
