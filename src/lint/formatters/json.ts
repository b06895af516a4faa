/**
 * `--format json`: ESLint's own JSON format (an array of results with absolute `filePath`, `messages` with
 * severity 1 or 2, and the counts), so that tools that read ESLint's JSON read this too. Prettier and contract
 * findings are messages like any other, with their rule ids.
 */
import path from 'node:path';
import type { LintReport } from '../types.js';

export function formatJson(report: LintReport): string {
  const results = report.files.map((file) => {
    const messages = file.diagnostics.map((diagnostic) => ({
      ruleId: diagnostic.ruleId,
      severity: diagnostic.severity === 'error' ? 2 : 1,
      message: diagnostic.message,
      line: diagnostic.line,
      column: diagnostic.column,
      ...(diagnostic.endLine !== undefined ? { endLine: diagnostic.endLine } : {}),
      ...(diagnostic.endColumn !== undefined ? { endColumn: diagnostic.endColumn } : {}),
      ...(diagnostic.fatal ? { fatal: true } : {}),
      ...(diagnostic.detail ? { detail: diagnostic.detail } : {}),
      source: diagnostic.source,
      fixable: diagnostic.fixable,
    }));
    const count = (severity: 'error' | 'warning', filter = (_fixable: boolean, _fatal: boolean) => true) =>
      file.diagnostics.filter(
        (diagnostic) => diagnostic.severity === severity && filter(diagnostic.fixable, Boolean(diagnostic.fatal)),
      ).length;
    return {
      filePath: path.join(report.root, file.path),
      messages,
      suppressedMessages: [],
      errorCount: count('error'),
      fatalErrorCount: count('error', (_fixable, fatal) => fatal),
      warningCount: count('warning'),
      fixableErrorCount: count('error', (fixable) => fixable),
      fixableWarningCount: count('warning', (fixable) => fixable),
      usedDeprecatedRules: [],
    };
  });
  return `${JSON.stringify(results, null, 2)}\n`;
}
