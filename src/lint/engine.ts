/**
 * `lintProject`: the library behind `gymnos lint`. It lists the files, computes the project fingerprint and
 * replays the stored report when nothing changed; only on a miss does it import the linters (run_linters.ts).
 * This module must stay light: nothing here may import ESLint, Prettier or TypeScript.
 */
import path from 'node:path';
import { computeFingerprint, cacheDirectory, FingerprintStore } from './fingerprint.js';
import { listProjectFiles } from './files.js';
import type { LintProgress } from './run_linters.js';
import { isGymnosRepository } from '../util/package_root.js';
import { GymnosError } from '../errors.js';
import type { LintReport } from './types.js';
import { projectTypeScript, typeScriptProblem } from './typescript_version.js';
import { readRegistryText, REGISTRY_PATH } from '../registry/registry.js';

export type { LintProgress } from './run_linters.js';

interface LintOptions {
  /** The project root (where package.json is). */
  root: string;
  /** Files, directories or globs to narrow the set to; relative to `base`. */
  paths?: readonly string[];
  /** What `paths` are relative to; default: `root`. */
  base?: string;
  /** Write ESLint's fixes, then Prettier's formatting. */
  fix?: boolean;
  /** Add the type-checked rules (no ESLint content cache then: it cannot see cross-file changes). */
  typeAware?: boolean;
  /** The fingerprint and the ESLint content cache; default true. */
  cache?: boolean;
  /** The gymnos version (part of the fingerprint). */
  gymnosVersion: string;
  /** Called as ESLint and Prettier get through the files (for a progress line). */
  onProgress?: (progress: LintProgress) => void;
}

/** Whether a stored report leaves nothing for `--fix` to do, so it can be replayed under `--fix` too. */
function nothingToFix(report: LintReport): boolean {
  return report.fixableErrorCount === 0 && report.fixableWarningCount === 0;
}

/** Lints the project and returns the report. Throws GymnosError for what is exit 2. */
export async function lintProject(options: LintOptions): Promise<LintReport> {
  const started = performance.now();
  const root = path.resolve(options.root);
  const typeAware = options.typeAware ?? false;
  const fix = options.fix ?? false;
  const typeScript = projectTypeScript(root);
  const problem = typeScriptProblem(typeScript, root);
  if (problem) throw new GymnosError('TYPESCRIPT_UNSUPPORTED', problem);
  // A registry that cannot be read (a directory, no permission) is a configuration error, said before any work.
  readRegistryText(path.join(root, REGISTRY_PATH));

  const files = await listProjectFiles(root, options.paths ?? [], options.base ?? root);
  const directory = options.cache === false ? undefined : cacheDirectory(root);
  const store = directory ? new FingerprintStore(directory, root) : undefined;
  const fingerprintInput = {
    root,
    gymnosVersion: options.gymnosVersion,
    allFiles: files.all,
    lintFiles: files.lint,
    typeAware,
    typeScriptVersion: typeScript?.version,
  };
  // One stored report per question asked (options and paths); the fingerprint says whether it still holds.
  const base = options.base ?? root;
  const narrowedTo = (options.paths ?? []).map((given) => path.relative(root, path.resolve(base, given))).sort();
  const key = JSON.stringify({ typeAware, paths: narrowedTo });
  const fingerprint = store ? computeFingerprint(fingerprintInput) : undefined;
  if (store && fingerprint) {
    const stored = store.lookup(key, fingerprint);
    if (stored && (!fix || nothingToFix(stored))) {
      return { ...stored, root, cache: 'hit', fixedFiles: [], durationMs: performance.now() - started };
    }
  }

  const { runLinters } = await import('./run_linters.js');
  const result = await runLinters({
    root,
    files,
    fix,
    typeAware,
    cacheDirectory: directory,
    isGymnosRepository: isGymnosRepository(root),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  const report: LintReport = { ...result, cache: store ? 'miss' : 'off', durationMs: 0 };
  if (store && fingerprint) {
    // After --fix the files are what the fixes made them: fingerprint them as they are now.
    const now = result.fixedFiles.length > 0 ? computeFingerprint(fingerprintInput) : fingerprint;
    store.save(key, now, { ...report, fixedFiles: [], durationMs: 0 });
  }
  report.durationMs = performance.now() - started;
  return report;
}

/** `--print-config`: the ESLint config and Prettier options that apply to `file` (absolute or relative to root). */
export async function printConfigFor(
  root: string,
  file: string,
  options: { typeAware?: boolean } = {},
): Promise<Awaited<ReturnType<typeof import('./run_linters.js').configForFile>>> {
  const problem = typeScriptProblem(projectTypeScript(root), root);
  if (problem) throw new GymnosError('TYPESCRIPT_UNSUPPORTED', problem);
  const { configForFile } = await import('./run_linters.js');
  return configForFile(root, path.resolve(root, file), options.typeAware ?? false);
}
