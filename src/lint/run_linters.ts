/**
 * The heavy path of `gymnos lint`, imported only when the fingerprint misses: ESLint on the main thread with
 * Prettier on a worker beside it, then the plugin-contract rules, merged into one report.
 * With `--fix`: ESLint fixes are written first, then Prettier formats, then the files Prettier changed are
 * linted again so that the positions reported are those of the files as they now are.
 */
import { existsSync, statSync } from 'node:fs';
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
import { gymnosCommand } from '../util/package_manager.js';
import { requireCjs } from '../util/require_cjs.js';
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

/** The flat-config files ESLint looks for at the root, in its order. */
const ESLINT_CONFIG_FILES = ['js', 'mjs', 'cjs', 'ts', 'mts', 'cts'].map((extension) => `eslint.config.${extension}`);

/** The project's own ESLint config file (what `eslint` and the editor use), if it has one. */
function projectEslintConfig(root: string): string | undefined {
  return ESLINT_CONFIG_FILES.find((name) => existsSync(path.join(root, name)));
}

/**
 * ESLint options shared by `gymnos lint` and `--print-config`. The project's eslint.config.* wins when it has one,
 * so gymnos lint reports what `eslint` and the editor report (with `--type-aware`, gymnos's type-aware blocks go
 * on top of it); without one, gymnos's config applies. The plugin-contract rules are gymnos's own and always run.
 */
async function createEslint(
  root: string,
  options: { typeAware: boolean; fix: boolean; cacheLocation?: string | undefined },
): Promise<ESLintClass> {
  // Checked before ESLint loads: a configuration error costs nothing.
  const own = projectEslintConfig(root);
  if (own && !statSync(path.join(root, own)).isFile()) {
    throw new GymnosError(
      'ESLINT_CONFIG',
      `${own} is not a file; move it away (gymnos lint then uses its own config) or write your ESLint config in it`,
      { details: { file: own } },
    );
  }
  if (options.typeAware && !statSync(path.join(root, 'tsconfig.json'), { throwIfNoEntry: false })?.isFile()) {
    throw new GymnosError(
      'TSCONFIG_MISSING',
      `--type-aware reads the types through a tsconfig.json, and ${path.join(root, 'tsconfig.json')} is not a ` +
        `file; add one (${gymnosCommand(root, 'init')} writes one) or lint without --type-aware`,
      { details: { file: 'tsconfig.json' } },
    );
  }
  const { ESLint } = requireCjs('eslint') as typeof import('eslint');
  const { createGymnosConfig, typeAwareBlocks } = await import('./eslint_config.js');
  const config: Pick<ESLintClass.Options, 'overrideConfigFile' | 'overrideConfig'> = own
    ? {
        overrideConfigFile: path.join(root, own),
        ...(options.typeAware ? { overrideConfig: typeAwareBlocks(root, { withRules: true }) } : {}),
      }
    : {
        overrideConfigFile: true,
        overrideConfig: createGymnosConfig({ typeAware: options.typeAware, tsconfigRootDir: root, root }),
      };
  try {
    return new ESLint({
      cwd: root,
      ...config,
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

/** A rule's severity in a computed config: 0 off, 1 warn, 2 error. */
function severityOf(entry: unknown): number {
  const level = Array.isArray(entry) ? entry[0] : entry;
  return level === 'error' || level === 2 ? 2 : level === 'warn' || level === 1 ? 1 : 0;
}

/**
 * What a project's own ESLint config changes of gymnos's that the user should know, as notices: a gymnos rule
 * it leaves out or turns off, or a line length other than Prettier's print width. Computed for one TypeScript
 * file (or the first file linted). Loading a broken config is a configuration error, said in one line.
 */
async function projectConfigNotices(
  eslint: ESLintClass,
  root: string,
  configFile: string,
  absolute: readonly string[],
): Promise<string[]> {
  const sample = absolute.find((file) => /\.[cm]?ts$/.test(file)) ?? absolute[0];
  if (sample === undefined) return [];
  let config: { rules?: Record<string, unknown> } | undefined;
  try {
    config = (await eslint.calculateConfigForFile(sample)) as typeof config;
  } catch (error) {
    throw new GymnosError(
      'ESLINT_CONFIG',
      `${configFile} cannot be loaded: ${(error as Error).message.split('\n')[0]}`,
      {
        details: { file: configFile },
        cause: error,
      },
    );
  }
  const [{ GYMNOS_RULE_IDS }, { effectivePrintWidth }] = await Promise.all([
    import('./eslint_config.js'),
    import('../util/prettier_options.js'),
  ]);
  const rules = config?.rules ?? {};
  const notices: string[] = [];
  const dropped = GYMNOS_RULE_IDS.filter((id) => severityOf(rules[id]) === 0);
  if (dropped.length > 0) {
    notices.push(
      `${configFile} turns off or leaves out gymnos's ${dropped.join(' and ')}; to keep them, build it on ` +
        "gymnos's config (import gymnos from 'gymnos/eslint-config'; export default [...yourConfig, ...gymnos])",
    );
  }
  const maxLen = rules['@stylistic/max-len'];
  const code = Array.isArray(maxLen) ? (maxLen[1] as { code?: unknown } | undefined)?.code : undefined;
  const width = effectivePrintWidth(root);
  if (severityOf(maxLen) > 0 && typeof code === 'number' && code !== width) {
    notices.push(
      `${configFile} holds lines to ${code} columns but Prettier wraps at ${width}; ` +
        'leave @stylistic/max-len to gymnos, which follows the print width',
    );
  }
  return notices;
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

/** A short diff, then how many changes it leaves out and the command that makes them all. */
function withMoreChanges(diff: string, moreChanges: number, fix: string): string {
  if (moreChanges === 0) return diff;
  return `${diff}\n… ${moreChanges} more ${moreChanges === 1 ? 'change' : 'changes'} (${fix} makes them all)`;
}

/** A Prettier outcome as a diagnostic; `fix` is the project's command that fixes it (`npx gymnos lint --fix`). */
function prettierDiagnostic(outcome: PrettierOutcome, hasParseError: boolean, fix: string): Diagnostic | undefined {
  if (outcome.status === 'unformatted') {
    const registry = outcome.file === REGISTRY_FILE;
    return {
      ruleId: registry ? 'gymnos/registry-format' : PRETTIER_RULE,
      severity: 'error',
      message:
        `${registry ? 'The registry is' : 'File is'} not formatted with Prettier; ` +
        `the first difference is on line ${outcome.line} (run ${fix})`,
      line: outcome.line,
      column: 1,
      source: 'prettier',
      fixable: true,
      detail: withMoreChanges(outcome.diff, outcome.moreChanges, fix),
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

/** Every linted file's diagnostics, sorted: ESLint's, Prettier's, and the plugin contract's where there is one. */
function collectDiagnostics(
  input: RunLintersInput,
  results: readonly ESLintClass.LintResult[],
  prettierOutcomes: readonly PrettierOutcome[],
): FileReport[] {
  const { root, files } = input;
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
      gymnosCommand(root, 'lint --fix'),
    );
    if (diagnostic) diagnostics.push(diagnostic);
  }

  const hasContract =
    existsSync(path.join(root, REGISTRY_FILE)) || files.all.some((file) => file.startsWith('src/trackers/'));
  if (hasContract) {
    const ts = requireCjs('typescript') as typeof import('typescript');
    const contract = checkPluginContract({
      root,
      allFiles: files.all,
      isGymnosRepository: input.isGymnosRepository,
      ts,
    });
    for (const [file, diagnostics] of contract) byFile.get(file)?.push(...diagnostics);
    for (const [file, diagnostics] of findTodoMarkers(root, files.lint)) byFile.get(file)?.push(...diagnostics);
  }

  return [...byFile].map(([file, diagnostics]) => ({ path: file, diagnostics: diagnostics.sort(compareDiagnostics) }));
}

/** The rules the reports mention, with what SARIF shows of each: ESLint's metadata, Prettier, the contract. */
function reportedRules(
  eslint: ESLintClass,
  results: ESLintClass.LintResult[],
  reports: readonly FileReport[],
): Record<string, RuleInfo> {
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

  const seen = new Set(reports.flatMap((file) => file.diagnostics.map((diagnostic) => diagnostic.ruleId)));
  rules[PRETTIER_RULE] = {
    description: "Files are formatted with Prettier, with the project's options",
    url: 'https://prettier.io',
  };
  for (const [id, description] of Object.entries(CONTRACT_RULES)) rules[id] = { description };
  rules[TODO_RULE] = { description: TODO_RULE_DESCRIPTION };
  for (const id of Object.keys(rules)) if (!seen.has(id)) delete rules[id];
  return rules;
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
  const ownConfig = projectEslintConfig(root);
  const notices = ownConfig ? await projectConfigNotices(eslint, root, ownConfig, absolute) : [];
  let results =
    absolute.length === 0
      ? []
      : await lintInBatches(eslint, absolute, (done) => progress?.({ phase: 'eslint', done, total: absolute.length }));
  const fixedFiles = new Set<string>();
  if (fix) {
    const { ESLint } = requireCjs('eslint') as typeof import('eslint');
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

  const reports = collectDiagnostics(input, results, prettierOutcomes);
  const rules = reportedRules(eslint, results, reports);
  return {
    root,
    files: reports,
    ...countDiagnostics(reports),
    rules,
    fixedFiles: [...fixedFiles].map((file) => file.split(path.sep).join('/')).sort(),
    typeAware,
    ...(notices.length > 0 ? { notices } : {}),
  };
}

/** What applies to `file`: the ESLint config (as ESLint computes it), the Prettier options, and their sources. */
export async function configForFile(
  root: string,
  file: string,
  typeAware: boolean,
): Promise<{ file: string; eslint: unknown; prettier: Record<string, unknown> | null; sources: ConfigSources }> {
  const [{ prettierOptionsFor }, { projectPrettierOptions }] = await Promise.all([
    import('./prettier_check.js'),
    import('../util/prettier_options.js'),
  ]);
  const eslint = await createEslint(root, { typeAware, fix: false });
  const relative = path.relative(root, file).split(path.sep).join('/');
  const eslintConfig: unknown = isEslintFile(relative) ? ((await eslint.calculateConfigForFile(file)) ?? null) : null;
  const prettier = (await prettierOptionsFor(root, file)) ?? null;
  const own = projectPrettierOptions(root);
  const prettierSources: Record<string, string> = {};
  for (const key of Object.keys(prettier ?? {})) {
    if (key === 'parser') continue;
    // Set by the root config or gymnos's defaults as read here; anything else came from Prettier's own resolution
    // for this file (an override, a config nearer the file).
    prettierSources[key] =
      own.sources[key] !== undefined && own.options[key] === prettier![key] ? own.sources[key]! : 'prettier';
  }
  const ownEslint = projectEslintConfig(root);
  return {
    file: relative,
    eslint: eslintConfig,
    prettier,
    sources: {
      eslint: ownEslint ?? 'gymnos (the project has no eslint.config.*)',
      prettier: prettierSources,
      '@stylistic/max-len': ownEslint
        ? `${ownEslint}; gymnos's block sets it to the Prettier print width`
        : 'gymnos: the Prettier print width',
    },
  };
}

interface ConfigSources {
  /** The ESLint config file used, or gymnos's own config. */
  eslint: string;
  /** Prettier option -> the file that set it, `gymnos` for gymnos's defaults. */
  prettier: Record<string, string>;
  '@stylistic/max-len': string;
}
