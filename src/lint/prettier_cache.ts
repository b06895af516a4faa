/**
 * Prettier's content cache: which files were formatted, by SHA-1 of their content, under one set of Prettier
 * options. When only some files changed, the others are not formatted again. Any change to the Prettier
 * version, gymnos's style or a file Prettier resolves its options from (.prettierrc, .editorconfig,
 * package.json, .prettierignore, in the project or above it: config_inputs.ts) starts it afresh.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { writeFileAtomicSync } from '../util/atomic_write.js';
import { configInputContents, configInputs } from './config_inputs.js';
import { rootTag } from './fingerprint.js';
import { GYMNOS_PRETTIER_STYLE } from '../util/prettier_options.js';
import type { PrettierOutcome } from './prettier_check.js';

interface Stored {
  key: string;
  files: Record<string, string>;
}

export class PrettierCache {
  readonly #file: string;
  readonly #key: string;
  #known: Record<string, string> = {};

  constructor(directory: string, root: string, allFiles: readonly string[]) {
    this.#file = path.join(directory, `prettier-${rootTag(root)}.json`);
    const hash = createHash('sha256');
    let version = 'unknown';
    try {
      const manifest = createRequire(import.meta.url).resolve('prettier/package.json');
      version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
    } catch {
      // an unknown version only means no reuse across upgrades
    }
    hash.update(JSON.stringify({ version, style: GYMNOS_PRETTIER_STYLE }));
    for (const [file, content] of configInputContents(root, configInputs(root, allFiles))) {
      hash.update(`\0${file}\0${content.length}\0`);
      hash.update(content);
    }
    this.#key = hash.digest('hex');
  }

  /** Files known to be formatted under the current options: path -> SHA-1 of their content. */
  load(): Record<string, string> {
    try {
      const stored = JSON.parse(readFileSync(this.#file, 'utf8')) as Stored;
      this.#known = stored.key === this.#key ? stored.files : {};
    } catch {
      this.#known = {};
    }
    return this.#known;
  }

  /** Records what this run found; files it did not check keep their entries. Never fails the run. */
  save(outcomes: readonly PrettierOutcome[]): void {
    const files = { ...this.#known };
    for (const outcome of outcomes) {
      if (outcome.status === 'formatted' || outcome.status === 'written') files[outcome.file] = outcome.hash;
      else delete files[outcome.file];
    }
    try {
      mkdirSync(path.dirname(this.#file), { recursive: true });
      writeFileAtomicSync(this.#file, JSON.stringify({ key: this.#key, files } satisfies Stored));
    } catch {
      // a read-only node_modules only costs speed
    }
  }
}
