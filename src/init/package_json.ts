/**
 * The project's package.json as `gymnos init` reads and edits it: parsed with positions (so an error names
 * its line and column), and edited as JSON through jsonc-parser, so that key order, indentation, line endings,
 * the trailing newline and every key init does not touch stay byte for byte as the author left them.
 */
import { applyEdits, findNodeAtLocation, modify } from 'jsonc-parser';
import type { Node } from 'jsonc-parser';
import { GymnosError } from '../errors.js';
import { detectFormatting } from '../registry/edit.js';
import { lineAndColumn, parseJsonText } from '../util/json_text.js';

export const PACKAGE_JSON = 'package.json';

/** The sections a package is installed from: a tool listed in any of them needs no devDependency. */
const INSTALLED_SECTIONS = ['dependencies', 'devDependencies', 'optionalDependencies'] as const;

export interface PackageJson {
  text: string;
  tree: Node;
  /** The parsed manifest (a JSON object). */
  manifest: Record<string, unknown>;
}

/** Parses package.json text; invalid JSON or a non-object is a usage error naming the line and column. */
export function parsePackageJson(text: string): PackageJson {
  const { tree, error } = parseJsonText(text);
  const failure =
    error ??
    (tree?.type === 'object' ? undefined : { ...lineAndColumn(text, tree?.offset ?? 0), reason: 'not a JSON object' });
  if (failure) {
    const { line, column, reason } = failure;
    throw new GymnosError(
      'PACKAGE_JSON_INVALID',
      `${PACKAGE_JSON}:${line}:${column}: ${reason}; fix it (no package manager can read it either) and try again`,
      { details: { file: PACKAGE_JSON, line, column, reason } },
    );
  }
  return { text, tree: tree!, manifest: JSON.parse(text) as Record<string, unknown> };
}

/** The object under `key` (undefined when absent); anything else there is a usage error at its position. */
export function objectSection(pkg: PackageJson, key: string): Record<string, unknown> | undefined {
  const node = findNodeAtLocation(pkg.tree, [key]);
  if (!node) return undefined;
  if (node.type !== 'object') {
    const { line, column } = lineAndColumn(pkg.text, node.offset);
    throw new GymnosError(
      'PACKAGE_JSON_INVALID',
      `${PACKAGE_JSON}:${line}:${column}: "${key}" must be an object; fix it and try again`,
      { details: { file: PACKAGE_JSON, line, column, key } },
    );
  }
  return pkg.manifest[key] as Record<string, unknown>;
}

/** True when `name` is in dependencies, devDependencies or optionalDependencies. */
export function dependsOn(pkg: PackageJson, name: string): boolean {
  return INSTALLED_SECTIONS.some((section) => Object.hasOwn(objectSection(pkg, section) ?? {}, name));
}

/**
 * `text` with `path` set to `value`. A new key goes last, except in a dependency section whose keys are
 * sorted (as npm keeps them), where it goes in its sorted place.
 */
export function setJsonValue(text: string, path: [string, string], value: string): string {
  const formattingOptions = detectFormatting(text);
  const sorted = path[0].endsWith('ependencies');
  let edited = applyEdits(
    text,
    modify(text, path, value, {
      formattingOptions,
      getInsertionIndex: sorted ? (keys) => sortedInsertionIndex(keys, path[1]) : undefined,
    }),
  );
  // An object written on one line ({}) comes back on one line; keep the file's trailing-newline habit.
  if (text.endsWith('\n') && !edited.endsWith('\n')) edited += formattingOptions.eol;
  return edited;
}

function sortedInsertionIndex(keys: string[], key: string): number {
  const isSorted = keys.every((current, index) => index === 0 || keys[index - 1]!.localeCompare(current, 'en') <= 0);
  if (!isSorted) return keys.length;
  const index = keys.findIndex((current) => current.localeCompare(key, 'en') > 0);
  return index === -1 ? keys.length : index;
}
