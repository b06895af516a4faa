/**
 * GitHub Actions: workflow-command annotations (`::error file=...,line=...::message`) and the job summary.
 *
 * GitHub shows at most 10 annotations of each kind (error, warning) per step and silently drops the rest, so
 * only the first 10 of each are emitted as annotations and a notice says how many more there are; with
 * `--format github` those others are printed as plain `file:line:col` lines so that the log still has them.
 */
import path from 'node:path';
import type { Diagnostic, LintReport } from '../types.js';
import { gymnosCommand } from '../../util/package_manager.js';

/** GitHub's display limit, per kind of annotation and per step. */
const GITHUB_ANNOTATION_LIMIT = 10;
/** Rows of the job summary table; the log has them all. */
const SUMMARY_ROW_LIMIT = 50;

interface GithubContext {
  /** Annotation paths are relative to this directory: GITHUB_WORKSPACE, the repository checkout. */
  base: string;
  /** Print the problems past the annotation limit as plain lines (true for `--format github`). */
  listOverflow: boolean;
}

/** Escapes a workflow command's message. */
function escapeData(value: string): string {
  return value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes a workflow command's property value, where `:` and `,` are separators too. */
function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function relativePath(report: LintReport, file: string, base: string): string {
  const relative = path.relative(base, path.join(report.root, file));
  return (relative.startsWith('..') ? path.join(report.root, file) : relative).split(path.sep).join('/');
}

function annotation(file: string, diagnostic: Diagnostic): string {
  const properties = [`file=${escapeProperty(file)}`, `line=${diagnostic.line}`, `col=${diagnostic.column}`];
  if (diagnostic.endLine !== undefined) properties.push(`endLine=${diagnostic.endLine}`);
  if (diagnostic.endColumn !== undefined && (diagnostic.endLine ?? diagnostic.line) === diagnostic.line) {
    properties.push(`endColumn=${diagnostic.endColumn}`);
  }
  properties.push(`title=${escapeProperty(diagnostic.ruleId ?? 'parse error')}`);
  const command = diagnostic.severity === 'error' ? 'error' : 'warning';
  // An annotation's message may have lines of its own: the finding's detail (Prettier's diff) goes under it.
  const message = diagnostic.detail ? `${diagnostic.message}\n${diagnostic.detail}` : diagnostic.message;
  return `::${command} ${properties.join(',')}::${escapeData(message)}`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** The annotations (at most 10 per kind), the overflow notice, and with `listOverflow` the other problems. */
export function formatGithub(report: LintReport, context: GithubContext): string {
  const lines: string[] = [];
  const shown = { error: 0, warning: 0 };
  const hidden = { error: 0, warning: 0 };
  const overflow: string[] = [];
  for (const file of report.files) {
    const relative = relativePath(report, file.path, context.base);
    for (const diagnostic of file.diagnostics) {
      if (shown[diagnostic.severity] < GITHUB_ANNOTATION_LIMIT) {
        shown[diagnostic.severity]++;
        lines.push(annotation(relative, diagnostic));
      } else {
        hidden[diagnostic.severity]++;
        const rule = diagnostic.ruleId ? ` (${diagnostic.ruleId})` : '';
        overflow.push(
          `${relative}:${diagnostic.line}:${diagnostic.column}: ${diagnostic.severity}: ${diagnostic.message}${rule}`,
        );
      }
    }
  }
  if (context.listOverflow) lines.push(...overflow);
  if (hidden.error + hidden.warning > 0) {
    const more = [
      hidden.error ? plural(hidden.error, 'more error') : '',
      hidden.warning ? plural(hidden.warning, 'more warning') : '',
    ]
      .filter(Boolean)
      .join(' and ');
    lines.push(
      `::notice title=${escapeProperty('gymnos lint')}::${escapeData(
        `${more} not annotated: GitHub shows at most ${GITHUB_ANNOTATION_LIMIT} annotations of each kind per step; ` +
          `the log lists all ${report.errorCount + report.warningCount} problems.`,
      )}`,
    );
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}

function cell(value: string): string {
  return value.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The job summary: the totals and a table of the problems (Markdown, for $GITHUB_STEP_SUMMARY). */
export function formatGithubSummary(report: LintReport, context: Pick<GithubContext, 'base'>): string {
  const total = report.errorCount + report.warningCount;
  const lines = ['## gymnos lint', ''];
  if (total === 0) {
    lines.push(`✅ No problems in ${plural(report.files.length, 'file')}.`, '');
    return `${lines.join('\n')}\n`;
  }
  const withProblems = report.files.filter((file) => file.diagnostics.length > 0).length;
  lines.push(
    `${report.errorCount > 0 ? '❌' : '⚠️'} **${plural(total, 'problem')}** (${plural(report.errorCount, 'error')}, ` +
      `${plural(report.warningCount, 'warning')}) in ${withProblems} of ${plural(report.files.length, 'file')}.`,
    '',
    '| File | Line | Severity | Rule | Message |',
    '| --- | ---: | --- | --- | --- |',
  );
  let rows = 0;
  for (const file of report.files) {
    for (const diagnostic of file.diagnostics) {
      if (rows++ >= SUMMARY_ROW_LIMIT) continue;
      const rule = diagnostic.ruleId ?? 'parse error';
      const url = report.rules[rule]?.url;
      const ruleCell = url ? `[\`${cell(rule)}\`](${url})` : `\`${cell(rule)}\``;
      lines.push(
        `| \`${cell(relativePath(report, file.path, context.base))}\` | ${diagnostic.line}:${diagnostic.column} | ` +
          `${diagnostic.severity} | ${ruleCell} | ${cell(diagnostic.message)} |`,
      );
    }
  }
  if (rows > SUMMARY_ROW_LIMIT) lines.push('', `…and ${rows - SUMMARY_ROW_LIMIT} more: see the step's log.`);
  const fixable = report.fixableErrorCount + report.fixableWarningCount;
  if (fixable > 0) {
    lines.push('', `${plural(fixable, 'problem')} can be fixed with \`${gymnosCommand(report.root, 'lint --fix')}\`.`);
  }
  lines.push('');
  return `${lines.join('\n')}\n`;
}
