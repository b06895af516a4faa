/**
 * The files the linters resolve their configuration from, which the lint caches key on (fingerprint.ts, and
 * prettier_cache.ts for Prettier's content cache): ESLint's flat config, Prettier's config files (package.json's
 * "prettier" key included), .editorconfig, the ignore files, TypeScript's configs and the lockfiles, wherever they
 * are in the project, in every directory above it too (Prettier looks up past the project root, as do EditorConfig
 * and TypeScript's `extends`; a monorepo keeps its lockfile and shared configs there), and the files a JavaScript
 * config imports by a relative path. What a config imports from a package is covered by the lockfiles and the
 * linters' versions.
 *
 * These are the inputs of the configuration the linters resolve, not the resolved configuration itself, which
 * would mean loading ESLint and Prettier on every run (about a second of CPU) where a replay loads neither: a change
 * to any of them, in any directory whose files are linted or above, is a miss, whichever paths the lint is narrowed
 * to.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readTextIfPresent } from '../util/read_text.js';

/** A file that configures ESLint, Prettier, EditorConfig or TypeScript, or pins the linters' versions. */
const CONFIG_FILE = new RegExp(
  [
    String.raw`eslint\.config\.[cm]?[jt]s|\.eslintignore`,
    String.raw`\.prettierrc(?:\..+)?|prettier\.config\.[cm]?[jt]s|\.prettierignore|\.editorconfig`,
    String.raw`package\.(?:json|yaml)|[jt]sconfig(?:\..+)?\.json`,
    String.raw`package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml|pnpm-workspace\.yaml|bun\.lockb?`,
  ]
    .map((names) => `^(?:${names})$`)
    .join('|'),
);

/** The names looked for in the directories above the project, where there is no file list to match. */
const ABOVE_THE_PROJECT = [
  ...['js', 'mjs', 'cjs', 'ts', 'mts', 'cts'].map((extension) => `eslint.config.${extension}`),
  'package.json',
  'package.yaml',
  '.prettierrc',
  ...['json', 'yml', 'yaml', 'json5', 'toml'].map((extension) => `.prettierrc.${extension}`),
  ...['js', 'mjs', 'cjs', 'ts', 'mts', 'cts'].flatMap((extension) => [
    `.prettierrc.${extension}`,
    `prettier.config.${extension}`,
  ]),
  '.editorconfig',
  'tsconfig.json',
  'tsconfig.base.json',
  'jsconfig.json',
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'pnpm-workspace.yaml',
  'bun.lock',
  'bun.lockb',
];

const SCRIPT = /\.[cm]?[jt]s$/;
const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|\bimport\s+)['"](\.\.?\/[^'"]+)['"]/g;

/** Whether `file` (a name or a path) is one of the files the linters read their configuration from. */
function isConfigFile(file: string): boolean {
  return CONFIG_FILE.test(path.posix.basename(file.split(path.sep).join('/')));
}

/** The file a relative specifier names, as Node or a bundler would find it, if it exists. */
function resolveRelative(from: string, specifier: string): string | undefined {
  const base = path.resolve(path.dirname(from), specifier);
  const candidates = [base, ...['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.json'].map((ext) => base + ext)];
  candidates.push(base.replace(/\.([cm]?)js$/, '.$1ts'), path.join(base, 'index.js'), path.join(base, 'index.ts'));
  return candidates.find((candidate) => readTextIfPresent(candidate) !== undefined);
}

/**
 * The configuration inputs for a project at `root` whose files are `allFiles` (relative, forward slashes): absolute
 * paths, sorted. A file listed may be missing (a name looked for above the project): its absence is part of the key.
 */
export function configInputs(root: string, allFiles: readonly string[]): string[] {
  const inputs = new Set(allFiles.filter(isConfigFile).map((file) => path.join(root, file)));
  inputs.add(path.join(root, 'package.json'));
  for (let dir = path.dirname(root); ; dir = path.dirname(dir)) {
    for (const name of ABOVE_THE_PROJECT) inputs.add(path.join(dir, name));
    if (dir === path.dirname(dir)) break;
  }
  // What JavaScript configs import by a relative path, followed to the end.
  const pending = [...inputs].filter((file) => SCRIPT.test(file));
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    const text = readTextIfPresent(file);
    if (text === undefined) continue;
    for (const [, specifier] of text.matchAll(RELATIVE_IMPORT)) {
      const imported = resolveRelative(file, specifier!);
      if (imported === undefined || inputs.has(imported)) continue;
      inputs.add(imported);
      if (SCRIPT.test(imported)) pending.push(imported);
    }
  }
  return [...inputs].sort();
}

/** The content of each input (or why there is none), for a hash: a missing file and an empty one differ. */
export function configInputContents(root: string, inputs: readonly string[]): Array<[label: string, value: Buffer]> {
  return inputs.map((file) => {
    const label = path.relative(root, file).split(path.sep).join('/');
    try {
      return [label, readFileSync(file)];
    } catch (error) {
      return [label, Buffer.from(`\0unreadable ${(error as NodeJS.ErrnoException).code ?? 'error'}`)];
    }
  });
}
