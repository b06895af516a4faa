/**
 * `gymnos lint [paths...]`: parse the options, run `lintProject`, print the report. Exit codes: 0 clean,
 * 1 findings (or more warnings than --max-warnings), 2 a usage or configuration error, or gymnos itself broke.
 */
import { appendFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lintProject, printConfigFor } from '../lint/engine.js';
import { formatGithub, formatGithubSummary } from '../lint/formatters/github.js';
import { formatJson } from '../lint/formatters/json.js';
import { formatSarif } from '../lint/formatters/sarif.js';
import { formatStylish } from '../lint/formatters/stylish.js';
import { createProgressLine } from './lint_progress.js';
import { onlyErrors } from '../lint/types.js';
import type { LintReport } from '../lint/types.js';
import { GymnosError } from '../errors.js';
import { LINT_TOOLS, requireAuthorTools } from '../util/author_tools.js';
import { requireProjectRoot } from '../util/package_root.js';
import { EXIT } from './exit_codes.js';
import { printError, printJson } from './output.js';
import { GYMNOS_VERSION } from './version.js';
import { writeStderr, writeStdout } from './stdio.js';

const LINT_FORMATS = ['stylish', 'json', 'github', 'sarif'] as const;
type LintFormat = (typeof LINT_FORMATS)[number];

interface LintCliOptions {
  format?: string;
  outputFile?: string;
  quiet?: boolean;
  maxWarnings?: string;
  fix?: boolean;
  typeAware?: boolean;
  /** False with --no-cache. */
  cache?: boolean;
  printConfig?: string;
  cwd?: string;
}

function parseMaxWarnings(value: string | undefined): number {
  if (value === undefined) return -1;
  if (!/^\d+$/.test(value.trim())) {
    const hint = value.trim().startsWith('-') ? ' (leave the option out for no limit)' : '';
    throw new GymnosError('BAD_OPTION', `--max-warnings takes a whole number (0 or more), got "${value}"${hint}`, {
      details: { option: '--max-warnings', value },
    });
  }
  return Number(value);
}

function parseFormat(value: string | undefined): LintFormat {
  const format = value ?? 'stylish';
  if (!(LINT_FORMATS as readonly string[]).includes(format)) {
    throw new GymnosError('BAD_OPTION', `--format must be one of ${LINT_FORMATS.join(', ')}; got "${format}"`, {
      details: { option: '--format', value: format },
    });
  }
  return format as LintFormat;
}

/** The directory annotation and SARIF paths are relative to: the GitHub checkout, or the project root. */
function repositoryBase(root: string): string {
  const workspace = process.env.GITHUB_WORKSPACE;
  if (workspace) {
    const relative = path.relative(path.resolve(workspace), root);
    if (!relative.startsWith('..') && !path.isAbsolute(relative)) return path.resolve(workspace);
  }
  return root;
}

function render(report: LintReport, format: LintFormat, base: string, cwd: string, toFile: boolean): string {
  switch (format) {
    case 'json':
      return formatJson(report);
    case 'sarif':
      return formatSarif(report, { base, version: GYMNOS_VERSION });
    case 'github':
      return formatGithub(report, { base, listOverflow: true });
    default:
      return formatStylish(report, toFile ? { cwd, color: false } : { cwd });
  }
}

/** --output-file: checked before linting, so that a path that cannot take the report costs nothing. */
function checkOutputFile(file: string): string {
  if (statSync(file, { throwIfNoEntry: false })?.isDirectory()) {
    throw new GymnosError('BAD_OPTION', `--output-file ${file} is a directory; give a file path (e.g. lint.sarif)`, {
      details: { option: '--output-file', file },
    });
  }
  return file;
}

function writeOutputFile(file: string, output: string): void {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, output);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    throw new GymnosError(
      'OUTPUT_FILE_UNWRITABLE',
      `--output-file ${file} cannot be written (${code}); give a path in a directory you may write to`,
      { details: { option: '--output-file', file, reason: code }, cause: error },
    );
  }
}

export async function runLint(paths: string[], options: LintCliOptions): Promise<number> {
  const format = parseFormat(options.format);
  const maxWarnings = parseMaxWarnings(options.maxWarnings);
  const root = requireProjectRoot(options.cwd);
  const cwd = options.cwd ? path.resolve(options.cwd) : process.cwd();
  requireAuthorTools(root, 'gymnos lint', LINT_TOOLS);

  if (options.printConfig !== undefined) {
    const file = path.resolve(cwd, options.printConfig);
    if (!statSync(file, { throwIfNoEntry: false })?.isFile()) {
      throw new GymnosError(
        'BAD_OPTION',
        `--print-config ${options.printConfig}: ${file} is not a file; give a file of the project (e.g. src/index.ts)`,
        { details: { option: '--print-config', file } },
      );
    }
    printJson(await printConfigFor(root, file, { typeAware: options.typeAware }));
    return EXIT.ok;
  }
  const outputFile =
    options.outputFile === undefined ? undefined : checkOutputFile(path.resolve(cwd, options.outputFile));

  const progress = createProgressLine();
  let report: LintReport;
  try {
    report = await lintProject({
      root,
      paths,
      base: cwd,
      fix: options.fix ?? false,
      typeAware: options.typeAware ?? false,
      cache: options.cache !== false,
      gymnosVersion: GYMNOS_VERSION,
      ...(progress ? { onProgress: (update) => progress.update(update) } : {}),
    });
  } finally {
    progress?.stop();
  }

  // Said once per run, not per file, on stderr so that --format json and sarif stay one document.
  for (const notice of report.notices ?? []) writeStderr(`gymnos: notice: ${notice}\n`);
  const shown = options.quiet ? onlyErrors(report) : report;
  const base = repositoryBase(root);
  const output = render(shown, format, base, cwd, Boolean(options.outputFile));
  if (outputFile) {
    writeOutputFile(outputFile, output);
  } else {
    writeStdout(output);
  }

  const onGithub = process.env.GITHUB_ACTIONS === 'true';
  if (onGithub && format !== 'github') {
    // The log shows the full report; the annotations put the first problems on the diff.
    writeStdout(formatGithub(shown, { base, listOverflow: false }));
  }
  const summaryFile = process.env.GITHUB_STEP_SUMMARY;
  if (onGithub && summaryFile) {
    try {
      appendFileSync(summaryFile, formatGithubSummary(shown, { base }));
    } catch (error) {
      printError(`could not write the job summary to ${summaryFile}: ${(error as Error).message}`);
    }
  }
  if (report.fixedFiles.length > 0) {
    writeStderr(
      `gymnos: fixed ${report.fixedFiles.length} file${report.fixedFiles.length === 1 ? '' : 's'}: ` +
        `${report.fixedFiles.join(', ')}\n`,
    );
  }

  if (shown.errorCount > 0) return EXIT.failure;
  if (maxWarnings >= 0 && shown.warningCount > maxWarnings) {
    printError(`${shown.warningCount} warnings, more than --max-warnings ${maxWarnings}`);
    return EXIT.failure;
  }
  return EXIT.ok;
}
