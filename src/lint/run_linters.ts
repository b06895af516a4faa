/**
 * The heavy path of `gymnos lint`, imported only when the fingerprint misses: ESLint on the main thread with
 * Prettier on a worker beside it, then the plugin-contract rules, merged into one report.
 * With `--fix`: ESLint fixes are written first, then Prettier formats, then the files Prettier changed are
 * linted again so that the positions reported are those of the files as they now are.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { ESLint as ESLintClass, Linter } from 'eslint';
import { checkPluginContract, CONTRACT_RULES } from './contract.js';
import { rootTag } from './fingerprint.js';
import { isEslintFile } from './files.js';
import type { ProjectFiles } from './files.js';
import { findTodoMarkers, TODO_RULE, TODO_RULE_DESCRIPTION } from './todo_markers.js';
import { PrettierCache } from './prettier_cache.js';
import { runPrettier } from './prettier_check.js';
import type { PrettierOutcome } from './prettier_check.js';
import { compareDiagnostics, countDiagnostics } from './types.js';
import { GymnosError } from '../errors.js';
import type { Diagnostic, FileReport, LintReport, RuleInfo } from './types.js';

export interface LintProgress {
  phase: 'eslint' | 'prettier';
  done: number;
  total: number;
}

interface RunLintersInput {
  root: string;
  files: ProjectFiles;
  fix: boolean;
  typeAware: boolean;
  /** Where ESLint's content cache goes; undefined for none. */
  cacheDirectory: string | undefined;
  isGymnosRepository: boolean;
  onProgress?: (progress: LintProgress) => void;
}

type LinterReport = Omit<LintReport, 'cache' | 'durationMs'>;

const PRETTIER_RULE = 'prettier';
const REGISTRY_FILE = 'var/trackers.json';

/** ESLint options shared by `gymnos lint` and `--print-config`. */
async function createEslint(
  root: string,
  options: { typeAware: boolean; fix: boolean; cacheLocation?: string | undefined },
): Promise<ESLintClass> {
  const [{ ESLint }, { createGymnosConfig }] = await Promise.all([import('eslint'), import('./eslint_config.js')]);
  try {
    return new ESLint({
      cwd: root,
      overrideConfigFile: true,
      overrideConfig: createGymnosConfig({ typeAware: options.typeAware, tsconfigRootDir: root }),
      fix: options.fix,
      cache: options.cacheLocation !== undefined,
      cacheLocation: options.cacheLocation ?? '.eslintcache',
      // Content, not mtime: a CI checkout gives every file a new mtime.
      cacheStrategy: 'content',
      errorOnUnmatchedPattern: false,
      globInputPaths: false,
      warnIgnored: false,
    });
  } catch (error) {
    throw new GymnosError('ESLINT_CONFIG', `the ESLint configuration is invalid: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

async function lintInBatches(
  eslint: ESLintClass,
  absolute: string[],
  onProgress: ((done: number) => void) | undefined,
): Promise<ESLintClass.LintResult[]> {
  if (!onProgress || absolute.length < 40) return eslint.lintFiles(absolute);
  // Batches only to show progress; each costs a cache write.
  const size = Math.max(10, Math.ceil(absolute.length / 20));
  const results: ESLintClass.LintResult[] = [];
  for (let start = 0; start < absolute.length; start += size) {
    results.push(...(await eslint.lintFiles(absolute.slice(start, start + size))));
    onProgress(Math.min(start + size, absolute.length));
  }
  return results;
}

function toDiagnostic(message: Linter.LintMessage): Diagnostic {
  const diagnostic: Diagnostic = {
    ruleId: message.ruleId,
    severity: message.severity === 2 ? 'error' : 'warning',
    message: message.message,
    line: Math.max(1, message.line ?? 1),
    column: Math.max(1, message.column ?? 1),
    source: 'eslint',
    fixable: Boolean(message.fix),
  };
  if (message.endLine !== undefined) diagnostic.endLine = message.endLine;
  if (message.endColumn !== undefined) diagnostic.endColumn = message.endColumn;
  if (message.fatal) diagnostic.fatal = true;
  return diagnostic;
}

function prettierDiagnostic(outcome: PrettierOutcome, hasParseError: boolean): Diagnostic | undefined {
  if (outcome.status === 'unformatted') {
    const registry = outcome.file === REGISTRY_FILE;
    return {
      ruleId: registry ? 'gymnos/registry-format' : PRETTIER_RULE,
      severity: 'error',
      message:
        `${registry ? 'The registry is' : 'File is'} not formatted with Prettier; ` +
        `the first difference is on line ${outcome.line} (run npx gymnos lint --fix)`,
      line: outcome.line,
      column: 1,
      source: 'prettier',
      fixable: true,
    };
  }
  if (outcome.status === 'error' && !hasParseError) {
    return {
      ruleId: PRETTIER_RULE,
      severity: 'error',
      message: `Prettier cannot parse the file: ${outcome.message}`,
      line: outcome.line,
      column: outcome.column,
      source: 'prettier',
      fixable: false,
      fatal: true,
    };
  }
  return undefined;
}

export async function runLinters(input: RunLintersInput): Promise<LinterReport> {
  const { root, files, fix, typeAware } = input;
  const eslintFiles = files.lint.filter(isEslintFile);
  const absolute = eslintFiles.map((file) => path.join(root, file));
  const progress = input.onProgress;

  // Checking: Prettier starts at once and runs beside ESLint. Fixing: it formats after ESLint's fixes.
  let prettier: Promise<PrettierOutcome[]> | undefined;
  const prettierCache = input.cacheDirectory ? new PrettierCache(input.cacheDirectory, root, files.all) : undefined;
  const startPrettier = () =>
    runPrettier(root, files.lint, {
      write: fix,
      known: prettierCache?.load() ?? {},
      onProgress: (done) => progress?.({ phase: 'prettier', done, total: files.lint.length }),
    });
  if (!fix) prettier = startPrettier();
  // A rejected promise that is awaited later must not count as unhandled in the meantime.
  prettier?.catch(() => {});

  const cacheLocation =
    input.cacheDirectory && !typeAware ? path.join(input.cacheDirectory, `eslintcache-${rootTag(root)}`) : undefined;
  const eslint = await createEslint(root, { typeAware, fix, cacheLocation });
  let results =
    absolute.length === 0
      ? []
      : await lintInBatches(eslint, absolute, (done) => progress?.({ phase: 'eslint', done, total: absolute.length }));
  const fixedFiles = new Set<string>();
  if (fix) {
    const { ESLint } = await import('eslint');
    await ESLint.outputFixes(results);
    for (const result of results) if (result.output !== undefined) fixedFiles.add(path.relative(root, result.filePath));
    prettier = startPrettier();
  }
  const prettierOutcomes = await prettier!;
  prettierCache?.save(prettierOutcomes);
  if (fix) {
    const written = prettierOutcomes.filter((outcome) => outcome.status === 'written').map((outcome) => outcome.file);
    for (const file of written) fixedFiles.add(file);
    const relint = written.filter(isEslintFile).map((file) => path.join(root, file));
    if (relint.length > 0) {
      const checker = await createEslint(root, { typeAware, fix: false, cacheLocation });
      const again = new Map((await checker.lintFiles(relint)).map((result) => [result.filePath, result]));
      results = results.map((result) => again.get(result.filePath) ?? result);
    }
  }

  const rules: Record<string, RuleInfo> = {};
  try {
    for (const [id, meta] of Object.entries(eslint.getRulesMetaForResults(results))) {
      const info: RuleInfo = {};
      if (meta.docs?.description) info.description = meta.docs.description;
      if (meta.docs?.url) info.url = meta.docs.url;
      rules[id] = info;
    }
  } catch {
    // metadata is a nicety for SARIF; never fail a lint over it
  }

  const byFile = new Map<string, Diagnostic[]>(files.lint.map((file) => [file, []]));
  for (const result of results) {
    const file = path.relative(root, result.filePath).split(path.sep).join('/');
    byFile.get(file)?.push(...result.messages.map(toDiagnostic));
  }
  for (const outcome of prettierOutcomes) {
    const diagnostics = byFile.get(outcome.file);
    if (!diagnostics) continue;
    const diagnostic = prettierDiagnostic(
      outcome,
      diagnostics.some((existing) => existing.fatal),
    );
    if (diagnostic) diagnostics.push(diagnostic);
  }

  const hasContract =
    existsSync(path.join(root, REGISTRY_FILE)) || files.all.some((file) => file.startsWith('src/trackers/'));
  if (hasContract) {
    const ts = (await import('typescript')).default;
    const contract = checkPluginContract({
      root,
      allFiles: files.all,
      isGymnosRepository: input.isGymnosRepository,
      ts,
    });
    for (const [file, diagnostics] of contract) byFile.get(file)?.push(...diagnostics);
    for (const [file, diagnostics] of findTodoMarkers(root, files.lint)) byFile.get(file)?.push(...diagnostics);
  }

  const reports: FileReport[] = [...byFile].map(([file, diagnostics]) => ({
    path: file,
    diagnostics: diagnostics.sort(compareDiagnostics),
  }));
  const seen = new Set(reports.flatMap((file) => file.diagnostics.map((diagnostic) => diagnostic.ruleId)));
  rules[PRETTIER_RULE] = {
    description: 'Files are formatted with Prettier (printWidth 120)',
    url: 'https://prettier.io',
  };
  for (const [id, description] of Object.entries(CONTRACT_RULES)) rules[id] = { description };
  rules[TODO_RULE] = { description: TODO_RULE_DESCRIPTION };
  for (const id of Object.keys(rules)) if (!seen.has(id)) delete rules[id];
  return {
    root,
    files: reports,
    ...countDiagnostics(reports),
    rules,
    fixedFiles: [...fixedFiles].map((file) => file.split(path.sep).join('/')).sort(),
    typeAware,
  };
}

/** What applies to `file`: the ESLint config (as ESLint computes it) and the Prettier options. */
export async function configForFile(
  root: string,
  file: string,
  typeAware: boolean,
): Promise<{ file: string; eslint: unknown; prettier: Record<string, unknown> | null }> {
  const { prettierOptionsFor } = await import('./prettier_check.js');
  const eslint = await createEslint(root, { typeAware, fix: false });
  const relative = path.relative(root, file).split(path.sep).join('/');
  const eslintConfig: unknown = isEslintFile(relative) ? ((await eslint.calculateConfigForFile(file)) ?? null) : null;
  return { file: relative, eslint: eslintConfig, prettier: (await prettierOptionsFor(root, file)) ?? null };
}
