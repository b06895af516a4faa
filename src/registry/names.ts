/**
 * Tracker names: the snake_case ids used as registry keys, module file names and `load()` arguments.
 * One definition serves the CLI flag, the prompt's inline validation, the registry reader and the linter.
 */
import { quoted } from '../util/display_text.js';

const MAX_TRACKER_NAME_LENGTH = 64;

const TRACKER_NAME = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

/** The snake_case rule alone (no length limit, no reserved words): for module file names too. */
export function isSnakeCase(name: string): boolean {
  return TRACKER_NAME.test(name);
}

/** JavaScript reserved words, and names of the modules that sit beside the trackers in src/trackers/. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  ...'break case catch class const continue debugger default delete do else enum export extends'.split(' '),
  ...'false finally for function if import in instanceof new null return super switch this throw'.split(' '),
  ...'true try typeof var void while with'.split(' '),
  ...'yield let static implements interface package private protected public await arguments eval'.split(' '),
  'constructor',
  'prototype',
  'tracker',
  'tracker_list',
  'trackers',
  'index',
  'testing',
]);

/** Why `name` is not a valid tracker name, or undefined when it is. */
export function trackerNameProblem(name: string): string | undefined {
  if (name === '') return 'the name is empty';
  if (name.length > MAX_TRACKER_NAME_LENGTH) {
    const start = quoted(`${name.slice(0, 20)}…`);
    return `${start} is ${name.length} characters long; at most ${MAX_TRACKER_NAME_LENGTH} are allowed`;
  }
  if (!isSnakeCase(name)) {
    return (
      `${quoted(name)} is not a snake_case name: ` +
      'use lowercase letters, digits and single underscores, starting with a letter (e.g. my_tracker)'
    );
  }
  if (RESERVED_NAMES.has(name)) return `${quoted(name)} is a reserved word; choose another name`;
  return undefined;
}

/**
 * Turns `MyTracker` or `my-tracker` into `my_tracker`. Only unambiguous spellings are normalized: anything
 * with doubled or edge separators, or characters other than letters, digits, `-` and `_`, is left as it is
 * (and then fails validation with a message that says why).
 */
export function normalizeTrackerName(input: string): string {
  const trimmed = input.trim();
  if (!/^[A-Za-z][A-Za-z0-9]*(?:[-_]?[A-Za-z0-9]+)*$/.test(trimmed)) return trimmed;
  // Word boundaries as change-case draws them (myTracker, HTTPServer -> http_server), for ASCII names only.
  const words = trimmed
    .replace(/([a-z\d])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .split(/[-_]/);
  return words.map((word) => word.toLowerCase()).join('_');
}

/** The class a tracker module exports: `my_tracker` -> `MyTracker`, `memory` -> `MemoryTracker`. */
export function trackerClassName(name: string): string {
  // A word that starts with a digit keeps its underscore (model_2 -> Model_2), as change-case's pascalCase does.
  const base = name
    .split('_')
    .map((word, index) => (index > 0 && /^\d/.test(word) ? `_${word}` : word.charAt(0).toUpperCase() + word.slice(1)))
    .join('');
  return base.endsWith('Tracker') ? base : `${base}Tracker`;
}
