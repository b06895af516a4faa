/**
 * The project fingerprint: one hash of everything a lint result depends on (the gymnos build and the linters'
 * versions, the options, the lockfile, the Prettier and TypeScript configs, the file list and every file's
 * content). When it matches the one stored with the last report, that report is replayed and no linter is
 * loaded at all. Only ever this module and node built-ins are loaded on that path.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LintReport } from './types.js';

/** Bumped whenever the shape of the stored report changes. */
const FORMAT = 'gymnos-lint-fingerprint/1';
/** How many fingerprints (one per distinct set of paths and options) a project keeps. */
const MAX_ENTRIES = 8;

/** The packages whose versions change what the linters report. */
const LINTER_PACKAGES = [
  'eslint',
  'prettier',
  'typescript-eslint',
  '@eslint/js',
  '@stylistic/eslint-plugin',
  'eslint-config-prettier',
  'globals',
  'typescript',
];

const LOCKFILES = ['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lock', 'bun.lockb'];

/** Files that configure Prettier or TypeScript, wherever they are in the tree. */
const CONFIG_FILES = [
  /^\.prettierrc(?:\..+)?$/,
  /^prettier\.config\.[cm]?[jt]s$/,
  /^\.prettierignore$/,
  /^\.editorconfig$/,
  /^package\.json$/,
  /^[jt]sconfig(?:\..+)?\.json$/,
];

/** The files among `allFiles` that configure Prettier or TypeScript, and the root package.json. */
export function configFiles(allFiles: readonly string[]): string[] {
  const found = allFiles.filter((file) => CONFIG_FILES.some((pattern) => pattern.test(path.posix.basename(file))));
  if (!found.includes('package.json')) found.push('package.json');
  return found;
}

export interface FingerprintInput {
  root: string;
  gymnosVersion: string;
  /** Every file of the project (relative, sorted). */
  allFiles: readonly string[];
  /** The files linted (relative, sorted). */
  lintFiles: readonly string[];
  typeAware: boolean;
  /** The TypeScript version the project resolves, if any. */
  typeScriptVersion: string | undefined;
}

function packageVersion(require: NodeJS.Require, name: string): string {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch {
    return 'none';
  }
}

/**
 * What identifies this build of gymnos: its version, and the size and time of its own code files, so that a
 * rebuild during development (same version, different rules) is never served an old report.
 */
function engineIdentity(gymnosVersion: string): string {
  const directory = path.dirname(fileURLToPath(import.meta.url));
  const files = readdirSync(directory)
    .filter((name) => /\.[cm]?[jt]s$/.test(name))
    .sort()
    .map((name) => {
      const stat = statSync(path.join(directory, name));
      return `${name}:${stat.size}:${stat.mtimeMs}`;
    });
  const require = createRequire(import.meta.url);
  const versions = LINTER_PACKAGES.map((name) => `${name}@${packageVersion(require, name)}`);
  return [gymnosVersion, ...versions, ...files].join('\n');
}

/** The fingerprint of the project as it is on disk now. */
export function computeFingerprint(input: FingerprintInput): string {
  const hash = createHash('sha256');
  const add = (label: string, value: string | Buffer) => {
    hash.update(`${label}\0${value.length}\0`);
    hash.update(value);
  };
  add('format', FORMAT);
  add('engine', engineIdentity(input.gymnosVersion));
  add('options', JSON.stringify({ typeAware: input.typeAware, typeScript: input.typeScriptVersion ?? null }));
  const readOrEmpty = (file: string): Buffer => {
    try {
      return readFileSync(path.join(input.root, file));
    } catch {
      return Buffer.alloc(0);
    }
  };
  for (const lockfile of LOCKFILES) add(`lockfile ${lockfile}`, readOrEmpty(lockfile));
  for (const file of configFiles(input.allFiles)) add(`config ${file}`, readOrEmpty(file));
  // Type-aware results depend on every file the program sees, not only the ones linted.
  const contents = input.typeAware ? input.allFiles.filter((file) => /\.[cm]?[jt]sx?$/.test(file)) : [];
  const linted = new Set([...input.lintFiles, ...contents]);
  add('files', input.lintFiles.join('\n'));
  for (const file of [...linted].sort()) add(`file ${file}`, readOrEmpty(file));
  return hash.digest('hex');
}

interface StoredEntry {
  key: string;
  fingerprint: string;
  report: LintReport;
  usedAt: number;
}

interface StoredFile {
  format: string;
  entries: StoredEntry[];
}

/** Where a project's lint caches live: `node_modules/.cache/gymnos/`, or nowhere without node_modules. */
export function cacheDirectory(root: string): string | undefined {
  const nodeModules = path.join(root, 'node_modules');
  if (!statSync(nodeModules, { throwIfNoEntry: false })?.isDirectory()) return undefined;
  return path.join(nodeModules, '.cache', 'gymnos');
}

/** A short hash of the project root: node_modules may be shared (symlinked) between projects. */
export function rootTag(root: string): string {
  return createHash('sha256').update(root).digest('hex').slice(0, 12);
}

export class FingerprintStore {
  readonly file: string;

  constructor(directory: string, root: string) {
    this.file = path.join(directory, `lint-${rootTag(root)}.json`);
  }

  #read(): StoredFile {
    try {
      const stored = JSON.parse(readFileSync(this.file, 'utf8')) as StoredFile;
      if (stored.format === FORMAT && Array.isArray(stored.entries)) return stored;
    } catch {
      // missing or unreadable: start afresh
    }
    return { format: FORMAT, entries: [] };
  }

  /** The report stored for `key` when its fingerprint is `fingerprint`. */
  lookup(key: string, fingerprint: string): LintReport | undefined {
    const entry = this.#read().entries.find((candidate) => candidate.key === key);
    return entry?.fingerprint === fingerprint ? entry.report : undefined;
  }

  /** Stores `report` for `key`, keeping the most recently used entries. Never fails the run. */
  save(key: string, fingerprint: string, report: LintReport): void {
    try {
      const stored = this.#read();
      const entries = stored.entries.filter((entry) => entry.key !== key);
      entries.unshift({ key, fingerprint, report, usedAt: Date.now() });
      mkdirSync(path.dirname(this.file), { recursive: true });
      const temporary = `${this.file}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify({ format: FORMAT, entries: entries.slice(0, MAX_ENTRIES) }));
      renameSync(temporary, this.file);
    } catch {
      // a read-only node_modules only costs speed
    }
  }
}
