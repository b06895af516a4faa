/**
 * The human format, after ESLint's `stylish`: the problems grouped by file (paths relative to where gymnos
 * runs, so a terminal can open them), aligned, then a total. chalk turns color off when stdout is no terminal.
 */
import path from 'node:path';
import defaultChalk, { Chalk } from 'chalk';
import type { ChalkInstance } from 'chalk';
import { TODO_RULE } from '../types.js';
import type { LintReport } from '../types.js';
import { gymnosCommand } from '../../util/package_manager.js';

interface StylishContext {
  /** Paths are shown relative to this directory. */
  cwd: string;
  /** False to never color (a report written to a file); default: chalk's choice for stdout. */
  color?: boolean;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** A detail line's color: a diff's removed lines red, added green, hunk headers cyan. */
function detailColor(chalk: ChalkInstance, line: string): (text: string) => string {
  if (line.startsWith('-')) return chalk.red;
  if (line.startsWith('+')) return chalk.green;
  if (line.startsWith('@@')) return chalk.cyan;
  return chalk.dim;
}

export function formatStylish(report: LintReport, context: StylishContext): string {
  const chalk = context.color === false ? new Chalk({ level: 0 }) : defaultChalk;
  const lines: string[] = [];
  for (const file of report.files) {
    if (file.diagnostics.length === 0) continue;
    const shown = path.relative(context.cwd, path.join(report.root, file.path)) || file.path;
    const rows = file.diagnostics.map((diagnostic) => ({
      position: `${diagnostic.line}:${diagnostic.column}`,
      severity: diagnostic.severity,
      message: diagnostic.message.replace(/\s+$/, '').replace(/\r?\n/g, ' '),
      rule: diagnostic.ruleId ?? '',
      detail: diagnostic.detail?.split('\n') ?? [],
    }));
    const positionWidth = Math.max(...rows.map((row) => row.position.length));
    const messageWidth = Math.max(...rows.map((row) => row.message.length));
    const severityWidth = rows.some((row) => row.severity === 'warning') ? 'warning'.length : 'error'.length;
    lines.push('', chalk.underline(shown));
    for (const row of rows) {
      const label = row.severity.padEnd(severityWidth);
      const severity = row.severity === 'error' ? chalk.red(label) : chalk.yellow(label);
      const message = row.rule ? row.message.padEnd(messageWidth) : row.message;
      lines.push(
        `  ${chalk.dim(row.position.padEnd(positionWidth))}  ${severity}  ${message}  ${chalk.dim(row.rule)}`.trimEnd(),
      );
      for (const line of row.detail) lines.push(`      ${detailColor(chalk, line)(line)}`);
    }
  }
  const total = report.errorCount + report.warningCount;
  const checked = plural(report.files.length, 'file');
  const cached = report.cache === 'hit' ? chalk.dim(' (unchanged since the last run)') : '';
  if (total === 0) {
    lines.push(`${chalk.green('✔')} No problems in ${checked}${cached}`);
    return `${lines.join('\n')}\n`;
  }
  const color = report.errorCount > 0 ? chalk.red : chalk.yellow;
  const todos = report.files.reduce(
    (count, file) => count + file.diagnostics.filter((diagnostic) => diagnostic.ruleId === TODO_RULE).length,
    0,
  );
  const todoCount = todos > 0 ? `: ${plural(todos, 'TODO marker')} left` : '';
  const counts = `${plural(report.errorCount, 'error')}, ${plural(report.warningCount, 'warning')}${todoCount}`;
  lines.push('', color.bold(`✖ ${plural(total, 'problem')} (${counts})`) + chalk.dim(` in ${checked}`) + cached);
  const fixable = report.fixableErrorCount + report.fixableWarningCount;
  if (fixable > 0) {
    lines.push(
      color.bold(
        `  ${plural(report.fixableErrorCount, 'error')} and ${plural(report.fixableWarningCount, 'warning')} ` +
          `potentially fixable with \`${gymnosCommand(report.root, 'lint --fix')}\`.`,
      ),
    );
  }
  return `${lines.join('\n')}\n`;
}
