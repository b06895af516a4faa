/**
 * `var/generated.json`: what `create-new` generated, as a hash of each file's content as it was written, per
 * tracker. `create-new --force` and `remove` compare a file with its hash to know whether it was edited since (and
 * then keep it unless told otherwise). It is written in the same transaction as the files it describes, and lives
 * in git with them, so a teammate's checkout knows what was generated too:
 *
 *   {
 *     "$comment": "...",
 *     "trackers": {
 *       "my_tracker": { "src/trackers/my_tracker.ts": "2917:1b3kq2f0x9a", ... }
 *     }
 *   }
 *
 * A hash is contentHash (journal.ts): the length and a 53-bit hash of the text, which tells an edit from the
 * generated text (nobody forges these). A tracker with no record (generated before this file existed, or the file
 * removed) is compared with what create-new would generate now instead: a difference counts as an edit.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { applyEdits, modify } from 'jsonc-parser';
import { GymnosError } from '../errors.js';
import { detectFormatting } from '../registry/edit.js';
import { parseJsonText } from '../util/json_text.js';
import { contentHash } from './journal.js';

export const GENERATED_PATH = 'var/generated.json';

const COMMENT =
  'Written by gymnos create-new: a hash of each file as it generated it, so that create-new --force and gymnos ' +
  'remove can tell whether you edited it since. Keep it in git with the files.';

/** Per tracker, the hash of each file (path relative to the project root) as generated. */
export type GeneratedRecords = Record<string, Record<string, string>>;

export interface GeneratedManifest {
  /** The file's text ('' when there is none). */
  text: string;
  trackers: GeneratedRecords;
}

function invalid(reason: string, details: Record<string, unknown> = {}): GymnosError {
  return new GymnosError('GENERATED_INVALID', `${GENERATED_PATH}${reason}`, {
    details: { file: GENERATED_PATH, ...details },
    hint:
      'fix it, or delete it: gymnos then compares each file with what create-new would generate now to tell ' +
      'whether you edited it',
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The manifest of the project at `root`; an empty one when it has none. */
export function readGenerated(root: string): GeneratedManifest {
  let text: string;
  try {
    text = readFileSync(path.join(root, GENERATED_PATH), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { text: '', trackers: {} };
    throw error;
  }
  const { error } = parseJsonText(text);
  if (error) throw invalid(`:${error.line}:${error.column}: ${error.reason}`, { line: error.line });
  const document = JSON.parse(text) as unknown;
  const trackers = isRecord(document) ? (document.trackers ?? {}) : undefined;
  const wellFormed =
    isRecord(trackers) &&
    Object.values(trackers).every(
      (files) => isRecord(files) && Object.values(files).every((hash) => typeof hash === 'string'),
    );
  if (!wellFormed) throw invalid(' is not {"trackers": {"<name>": {"<file>": "<hash>"}}}');
  return { text, trackers: trackers as GeneratedRecords };
}

/**
 * The manifest's text with `files` recorded as generated for tracker `name` (replacing its record); new, it is
 * indented as `style` is (the registry's text).
 */
export function recordGenerated(
  manifest: GeneratedManifest,
  name: string,
  files: readonly { path: string; content: string }[],
  style: string,
): string {
  const record = Object.fromEntries(files.map((file) => [file.path, contentHash(file.content)]));
  const formattingOptions = detectFormatting(manifest.text || style);
  if (manifest.text.trim() === '') {
    const indent = formattingOptions.insertSpaces ? formattingOptions.tabSize : '\t';
    const text = JSON.stringify({ $comment: COMMENT, trackers: { [name]: record } }, null, indent);
    return `${text.replaceAll('\n', formattingOptions.eol)}${formattingOptions.eol}`;
  }
  return applyEdits(manifest.text, modify(manifest.text, ['trackers', name], record, { formattingOptions }));
}

/**
 * The manifest's text without tracker `name`'s record, or undefined when nothing is left in it but gymnos's own
 * comment (the file is then removed, as create-new of the first tracker created it).
 */
export function forgetGenerated(manifest: GeneratedManifest, name: string): string | undefined {
  const others = Object.keys(manifest.trackers).filter((tracker) => tracker !== name);
  const document = JSON.parse(manifest.text || '{}') as Record<string, unknown>;
  const ownKeys = Object.keys(document).every((key) => key === '$comment' || key === 'trackers');
  if (others.length === 0 && ownKeys) return undefined;
  if (!Object.hasOwn(manifest.trackers, name)) return manifest.text;
  const formattingOptions = detectFormatting(manifest.text);
  return applyEdits(manifest.text, modify(manifest.text, ['trackers', name], undefined, { formattingOptions }));
}

/**
 * Which of `files` (path and content now) were edited since create-new generated them: their content is not the
 * one `recorded` for them, or, for a file without a record, not `fresh`'s (what create-new would generate now).
 */
export function editedSinceGenerated(
  files: readonly { path: string; content: string }[],
  recorded: Readonly<Record<string, string>> | undefined,
  fresh: ReadonlyMap<string, string>,
): string[] {
  return files
    .filter((file) => {
      const hash = recorded?.[file.path];
      if (hash !== undefined) return contentHash(file.content) !== hash;
      return fresh.get(file.path) !== file.content;
    })
    .map((file) => file.path);
}
