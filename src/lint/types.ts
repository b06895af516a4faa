/**
 * The lint report: what ESLint, Prettier and the plugin-contract rules found, per file. It is plain JSON so
 * that a re-run on an unchanged project can replay it from the cache without loading any linter.
 */

export type Severity = 'error' | 'warning';

/** The rule that reports a `TODO(<name>)` marker left in a registered tracker (lint/todo_markers.ts). */
export const TODO_RULE = 'gymnos/tracker-todo';

/** Where a diagnostic comes from. */
type DiagnosticSource = 'eslint' | 'prettier' | 'gymnos';

export interface Diagnostic {
  /** `@stylistic/max-len`, `prettier`, `gymnos/tracker-export`...; null for a parse error. */
  ruleId: string | null;
  severity: Severity;
  message: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  endLine?: number;
  endColumn?: number;
  source: DiagnosticSource;
  /** `--fix` can fix it (an ESLint fix, or Prettier formatting). */
  fixable: boolean;
  /** A parse error: the file could not be read as code. */
  fatal?: boolean;
  /** More lines shown under the finding: for Prettier's, a short unified diff of what formatting changes. */
  detail?: string;
}

export interface FileReport {
  /** Relative to the project root, with forward slashes. */
  path: string;
  diagnostics: Diagnostic[];
}

export interface RuleInfo {
  description?: string;
  url?: string;
}

export interface LintReport {
  /** The project root (absolute). */
  root: string;
  /** Every file checked, in path order, with its diagnostics (most have none). */
  files: FileReport[];
  errorCount: number;
  warningCount: number;
  fixableErrorCount: number;
  fixableWarningCount: number;
  /** What is known about the rules that fired (for SARIF and links). */
  rules: Record<string, RuleInfo>;
  /** `hit`: replayed from the project fingerprint, no linter loaded. */
  cache: 'hit' | 'miss' | 'off';
  /** Files written by `--fix`, relative to the root. */
  fixedFiles: string[];
  typeAware: boolean;
  durationMs: number;
  /** What the user should know about the configuration (a project ESLint config that drops gymnos's rules). */
  notices?: string[];
}

/** Counts the diagnostics of `files` into a report's totals. */
export function countDiagnostics(files: readonly FileReport[]) {
  let errorCount = 0;
  let warningCount = 0;
  let fixableErrorCount = 0;
  let fixableWarningCount = 0;
  for (const file of files) {
    for (const diagnostic of file.diagnostics) {
      if (diagnostic.severity === 'error') {
        errorCount++;
        if (diagnostic.fixable) fixableErrorCount++;
      } else {
        warningCount++;
        if (diagnostic.fixable) fixableWarningCount++;
      }
    }
  }
  return { errorCount, warningCount, fixableErrorCount, fixableWarningCount };
}

/** Orders diagnostics by position, then by rule, so every run prints them the same way. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return a.line - b.line || a.column - b.column || (a.ruleId ?? '').localeCompare(b.ruleId ?? '');
}

/** The report without its warnings (`--quiet`). */
export function onlyErrors(report: LintReport): LintReport {
  const files = report.files.map((file) => ({
    path: file.path,
    diagnostics: file.diagnostics.filter((diagnostic) => diagnostic.severity === 'error'),
  }));
  return { ...report, files, ...countDiagnostics(files) };
}
