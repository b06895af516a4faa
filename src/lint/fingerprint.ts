/**
 * The project fingerprint: one hash of every input of every rule (the gymnos build and the linters' versions,
 * the options, the files the linters resolve their configuration from, in the project and above it, with the
 * lockfiles (config_inputs.ts), the project's file list, every linted file's content and everything the
 * plugin-contract rules read: the registry and the project's source files, which they follow from a registry entry
 * through imports to `Tracker`). When it matches the one stored with the last report, that report is replayed and
 * no linter is loaded at all: a cached run reports exactly what an uncached one would. Only this module,
 * config_inputs.ts, the atomic write, util/cache_faults.ts and node built-ins are loaded on that path.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomicSync } from '../util/atomic_write.js';
import { isCacheFault } from '../util/cache_faults.js';
import { configInputContents, configInputs } from './config_inputs.js';
import type { LintReport } from './types.js';

/** Bumped whenever the shape of the stored report changes. */
const FORMAT = 'gymnos-lint-fingerprint/3';
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

/** Why a linter's version may not be read: not installed, a manifest its exports hide, gone, or not JSON. */
const NO_VERSION = new Set(['MODULE_NOT_FOUND', 'ERR_PACKAGE_PATH_NOT_EXPORTED', 'ENOENT']);

function packageVersion(require: NodeJS.Require, name: string): string {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  } catch (error) {
    if (error instanceof SyntaxError || NO_VERSION.has((error as NodeJS.ErrnoException).code ?? '')) return 'none';
    throw error;
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

const REGISTRY_FILE = 'var/trackers.json';
const SOURCE_FILE = /\.(?:[cm]?[jt]sx?)$/;
/** What the type checker may read of the project: its sources, and the JSON they import (resolveJsonModule). */
const TYPE_CHECKER_INPUT = /\.(?:[cm]?[jt]sx?|json)$/;

/**
 * What the plugin-contract rules read, whichever files are linted: the registry, and every source file of the
 * project (an entry's module, and whatever it imports on the way to `Tracker`). Hashing all the sources rather
 * than the ones the last run followed keeps the key simple and exact, at the cost of a miss on an unrelated edit.
 */
function contractInputs(root: string, allFiles: readonly string[]): string[] {
  // The same condition run_linters.ts runs the contract rules on (the registry may be ignored by git).
  const registryExists = statSync(path.join(root, REGISTRY_FILE), { throwIfNoEntry: false }) !== undefined;
  if (!registryExists && !allFiles.some((file) => file.startsWith('src/trackers/'))) return [REGISTRY_FILE];
  return [REGISTRY_FILE, ...allFiles.filter((file) => SOURCE_FILE.test(file))];
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
  // A missing file and an empty one lint differently (no registry, or a registry that is not JSON).
  const readForKey = (file: string): Buffer => {
    try {
      return readFileSync(path.join(input.root, file));
    } catch (error) {
      // The file system's answer (the registry missing, a file gone or unreadable) is part of the key; the
      // linters meet the same. An error without a code is not the file system's: a bug, for the caller.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === undefined) throw error;
      return Buffer.from(`\0unreadable ${code}`);
    }
  };
  for (const [file, content] of configInputContents(input.root, configInputs(input.root, input.allFiles))) {
    add(`config ${file}`, content);
  }
  // Type-aware results depend on every file the program sees, not only the ones linted: a data file edited (a
  // run's summary.json too) costs a type-aware lint its replay, as it must, since an import may read it.
  const contents = input.typeAware ? input.allFiles.filter((file) => TYPE_CHECKER_INPUT.test(file)) : [];
  const linted = new Set([...input.lintFiles, ...contents]);
  for (const file of contractInputs(input.root, input.allFiles)) linted.add(file);
  add('files', input.lintFiles.join('\n'));
  // Which files exist matters to the contract rules (a registry entry's module, an unregistered tracker).
  add('all files', input.allFiles.join('\n'));
  for (const file of [...linted].sort()) add(`file ${file}`, readForKey(file));
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

/** A stored file as save() writes it, of this format (a file in node_modules is anyone's to edit: checked). */
function isStoredFile(value: unknown): value is StoredFile {
  const stored = value as Partial<StoredFile> | null;
  return (
    stored?.format === FORMAT &&
    Array.isArray(stored.entries) &&
    stored.entries.every(
      (entry: Partial<StoredEntry> | null) =>
        typeof entry?.key === 'string' &&
        typeof entry.fingerprint === 'string' &&
        typeof entry.report === 'object' &&
        entry.report !== null,
    )
  );
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
      const stored: unknown = JSON.parse(readFileSync(this.file, 'utf8'));
      if (isStoredFile(stored)) return stored;
    } catch (error) {
      // Missing, unreadable, or not JSON: start afresh. Anything else (a disk's EIO) is reported.
      if (!(error instanceof SyntaxError) && !isCacheFault(error)) throw error;
    }
    return { format: FORMAT, entries: [] };
  }

  /** The report stored for `key` when its fingerprint is `fingerprint`. */
  lookup(key: string, fingerprint: string): LintReport | undefined {
    const entry = this.#read().entries.find((candidate) => candidate.key === key);
    return entry?.fingerprint === fingerprint ? entry.report : undefined;
  }

  /** Stores `report` for `key`, keeping the most recently used entries. Fails the run only for a disk's fault. */
  save(key: string, fingerprint: string, report: LintReport): void {
    try {
      const stored = this.#read();
      const entries = stored.entries.filter((entry) => entry.key !== key);
      entries.unshift({ key, fingerprint, report, usedAt: Date.now() });
      mkdirSync(path.dirname(this.file), { recursive: true });
      writeFileAtomicSync(this.file, JSON.stringify({ format: FORMAT, entries: entries.slice(0, MAX_ENTRIES) }));
    } catch (error) {
      // A read-only node_modules or a full disk only costs speed; anything else (EIO, a bug) is reported.
      if (!isCacheFault(error)) throw error;
    }
  }
}
