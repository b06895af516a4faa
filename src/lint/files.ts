/**
 * Which files `gymnos lint` checks. Inside a git checkout: the files git tracks plus the untracked ones it
 * does not ignore (`git ls-files -co --exclude-standard`), so `.gitignore`, `.git/info/exclude` and the global
 * excludes work exactly as in git. Elsewhere (or when git lists nothing, as in a directory the enclosing
 * repository ignores): a glob of the tree, less what the tree's `.gitignore` files ignore, read as git reads them
 * (as editors and ESLint's gitignore handling do). Either way dist/, coverage/, node_modules/ and .yarn/ are never
 * linted.
 */
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { GymnosError } from '../errors.js';

/** Linted by ESLint (and checked by Prettier). */
const ESLINT_EXTENSIONS: ReadonlySet<string> = new Set(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);
/** Checked by Prettier only. */
const PRETTIER_ONLY_EXTENSIONS: ReadonlySet<string> = new Set(['.json', '.md']);
/** Directories never linted, wherever they are in the tree (`.yarn`: Yarn's cache, plugins and releases). */
const NEVER_LINTED_DIRECTORIES: readonly string[] = ['dist', 'coverage', 'node_modules', '.yarn'];
/** Generated files that no one formats by hand (Yarn Plug'n'Play's resolver and loader among them). */
const NEVER_LINTED_FILES: ReadonlySet<string> = new Set([
  'package-lock.json',
  'npm-shrinkwrap.json',
  '.pnp.cjs',
  '.pnp.loader.mjs',
]);

const GLOB_MAGIC = /[*?[\]{}!]/;

export interface ProjectFiles {
  /** Every file of the project as git (or the glob) sees it, minus the never-linted directories; sorted. */
  all: string[];
  /** The files to lint: the lintable ones among `all`, narrowed by the paths given; sorted. */
  lint: string[];
  via: 'git' | 'glob';
}

export function isEslintFile(file: string): boolean {
  return ESLINT_EXTENSIONS.has(path.posix.extname(file));
}

function isLintable(file: string): boolean {
  const extension = path.posix.extname(file);
  return (
    (ESLINT_EXTENSIONS.has(extension) || PRETTIER_ONLY_EXTENSIONS.has(extension)) &&
    !NEVER_LINTED_FILES.has(path.posix.basename(file))
  );
}

/** A file tracker's output (events.jsonl, metrics.csv, TensorBoard event files) marks its run directory. */
function isRunDataFile(name: string): boolean {
  return name === 'events.jsonl' || name === 'metrics.csv' || name.startsWith('events.out.tfevents.');
}

/**
 * The files under run directories: what trackers wrote (params.json, summary.json, figures) is output, not
 * source, and is never linted (a run logged in the project's ./logs would otherwise fail its lint).
 */
function runOutputFiles(all: readonly string[]): Set<string> {
  const runDirs = new Set<string>();
  for (const file of all) if (isRunDataFile(path.posix.basename(file))) runDirs.add(path.posix.dirname(file) + '/');
  if (runDirs.size === 0) return new Set();
  return new Set(all.filter((file) => [...runDirs].some((dir) => file.startsWith(dir))));
}

function inNeverLintedDirectory(file: string): boolean {
  const segments = file.split('/');
  segments.pop();
  return segments.some((segment) => NEVER_LINTED_DIRECTORIES.includes(segment) || segment === '.git');
}

async function gitFiles(root: string): Promise<string[] | undefined> {
  try {
    const { stdout } = await promisify(execFile)('git', ['ls-files', '-z', '-c', '-o', '--exclude-standard'], {
      cwd: root,
      maxBuffer: 256 * 1024 * 1024,
      encoding: 'utf8',
    });
    return stdout.split('\0').filter(Boolean);
  } catch {
    return undefined; // not a git checkout, or no git
  }
}

async function globFiles(root: string): Promise<string[]> {
  const { glob } = await import('tinyglobby');
  return glob(['**/*'], {
    cwd: root,
    dot: true,
    onlyFiles: true,
    followSymbolicLinks: false,
    ignore: [...NEVER_LINTED_DIRECTORIES, '.git'].map((directory) => `**/${directory}/**`),
  });
}

/**
 * `files` less those the `.gitignore` files among them ignore, as git reads them: each file's patterns are relative
 * to its directory, a deeper file's rules win over a shallower one's (the last rule that matches decides), and a
 * file under an ignored directory stays ignored whatever a rule says of the file itself.
 */
async function withoutGitignored(root: string, files: readonly string[]): Promise<string[]> {
  const ignoreFiles = files.filter((file) => path.posix.basename(file) === '.gitignore');
  if (ignoreFiles.length === 0) return [...files];
  const { default: ignore } = await import('ignore');
  const rules = ignoreFiles
    .map((file) => ({
      directory: path.posix.dirname(file) === '.' ? '' : `${path.posix.dirname(file)}/`,
      matcher: ignore().add(readFileSync(path.join(root, file), 'utf8')),
    }))
    .sort((a, b) => a.directory.split('/').length - b.directory.split('/').length);
  const verdicts = new Map<string, boolean>();
  /** Whether `target` (a directory ends in /) is ignored by its own rules, parents aside. */
  const ignoredItself = (target: string): boolean => {
    let ignored = verdicts.get(target);
    if (ignored !== undefined) return ignored;
    ignored = false;
    for (const { directory, matcher } of rules) {
      if (!target.startsWith(directory) || target === directory) continue;
      const result = matcher.test(target.slice(directory.length));
      if (result.ignored) ignored = true;
      else if (result.unignored) ignored = false;
    }
    verdicts.set(target, ignored);
    return ignored;
  };
  const ignored = (file: string): boolean => {
    const segments = file.split('/');
    for (let depth = 1; depth < segments.length; depth++) {
      if (ignoredItself(`${segments.slice(0, depth).join('/')}/`)) return true;
    }
    return ignoredItself(file);
  };
  return files.filter((file) => !ignored(file));
}

function isFile(file: string): boolean {
  return statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
}

/**
 * The project's files under `root`, and the lintable ones among them narrowed by `paths` (files, directories or
 * globs, relative to `base`). A path that matches no lintable file is a GymnosError.
 */
export async function listProjectFiles(
  root: string,
  paths: readonly string[] = [],
  base = root,
): Promise<ProjectFiles> {
  let listed = await gitFiles(root);
  let via: ProjectFiles['via'] = 'git';
  // git lists files deleted from the work tree until the deletion is staged; and lists nothing inside a
  // directory the enclosing repository ignores, which is still a project of its own to lint.
  listed = listed?.filter((file) => isFile(path.join(root, file)));
  if (!listed || listed.length === 0) {
    listed = await withoutGitignored(root, await globFiles(root));
    via = 'glob';
  }
  const all = [...new Set(listed.map((file) => file.split(path.sep).join('/')))]
    .filter((file) => !inNeverLintedDirectory(file))
    .sort();
  const runOutput = runOutputFiles(all);
  const lintable = all.filter((file) => isLintable(file) && !runOutput.has(file));
  const lint = paths.length === 0 ? lintable : await narrow(root, lintable, paths, base);
  return { all, lint, via };
}

async function narrow(root: string, lintable: string[], paths: readonly string[], base: string): Promise<string[]> {
  const chosen = new Set<string>();
  const available = new Set(lintable);
  for (const given of paths) {
    const matched: string[] = [];
    if (GLOB_MAGIC.test(given) && !isFile(path.resolve(base, given))) {
      const { glob } = await import('tinyglobby');
      for (const file of await glob([given], { cwd: base, dot: true, absolute: true })) {
        const relative = toProjectPath(root, file);
        if (relative !== undefined && available.has(relative)) matched.push(relative);
      }
    } else {
      const absolute = path.resolve(base, given);
      const relative = toProjectPath(root, absolute);
      if (relative === undefined) {
        throw new GymnosError('PATH_OUTSIDE_PROJECT', `${given} is outside the project (${root})`);
      }
      const stat = statSync(absolute, { throwIfNoEntry: false });
      if (!stat) throw new GymnosError('PATH_MISSING', `${given}: no such file or directory`);
      if (stat.isDirectory()) {
        const prefix = relative === '' ? '' : `${relative}/`;
        matched.push(...lintable.filter((file) => file.startsWith(prefix)));
      } else if (available.has(relative)) {
        matched.push(relative);
      }
    }
    if (matched.length === 0) {
      throw new GymnosError(
        'PATH_MATCHES_NOTHING',
        `${given} matches no file to lint (linted: ${[...ESLINT_EXTENSIONS, ...PRETTIER_ONLY_EXTENSIONS].join(' ')}; ` +
          `never ${NEVER_LINTED_DIRECTORIES.map((directory) => `${directory}/`).join(', ')} nor files git ignores)`,
      );
    }
    for (const file of matched) chosen.add(file);
  }
  return [...chosen].sort();
}

/** `file` relative to `root` with forward slashes, or undefined when it is outside. */
function toProjectPath(root: string, file: string): string | undefined {
  const relative = path.relative(root, file);
  if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) return undefined;
  return relative.split(path.sep).join('/');
}
