/**
 * The tracker registry, `var/trackers.json`: one JSON object mapping each tracker's snake_case name to where
 * its class lives, as `"<module>#<ExportName>"`. The module path is relative to the source root and written
 * the way TypeScript's NodeNext imports are, with `.js`: `"trackers/memory.js#MemoryTracker"` is
 * `src/trackers/memory.ts` in the sources and `dist/trackers/memory.js` once built. A `"$schema"` key, for editors,
 * names the registry's JSON Schema (schema/trackers.schema.json in the package); it is no entry.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Node } from 'jsonc-parser';
import { GymnosError } from '../errors.js';
import { lineAndColumn, parseJsonText } from '../util/json_text.js';
import { normalizeTrackerName, trackerNameProblem } from './names.js';
import { escaped, quoted } from '../util/display_text.js';
import { gymnosCommand } from '../util/package_manager.js';

/** The registry file, relative to a package root: forward slashes, as it is shown and as path.join takes it. */
export const REGISTRY_PATH = 'var/trackers.json';

/** The key that names the registry's JSON Schema for editors: not a tracker. */
export const SCHEMA_KEY = '$schema';

const TARGET = /^(?<module>[^#]+)#(?<exportName>[A-Za-z_$][\w$]*)$/;

export interface RegistryEntry {
  name: string;
  /** The raw value, `trackers/memory.js#MemoryTracker`. */
  target: string;
  module: string;
  exportName: string;
  /** 1-based position of the key in the file, for diagnostics. */
  line: number;
  column: number;
}

/** Something wrong with one entry; the rest of the registry is still usable. */
export interface RegistryProblem {
  /**
   * What is wrong: the name registered twice, a name that is not a tracker name, a value not "module#Export", a
   * `"$schema"` that is not a string.
   */
  kind: 'duplicate' | 'name' | 'target' | 'schema';
  name: string;
  message: string;
  line: number;
  column: number;
}

export interface Registry {
  file: string;
  text: string;
  entries: Map<string, RegistryEntry>;
  problems: RegistryProblem[];
  /** The `"$schema"` it names, if any. */
  schema?: string;
}

/**
 * Parses registry text; invalid JSON is a GymnosError naming the file, line and column (in its message and, as
 * `file`, `line`, `column` and `reason`, in its details).
 */
export function parseRegistry(text: string, file: string): Registry {
  const { tree, error: syntax } = parseJsonText(text);
  if (syntax) {
    const { line, column, reason } = syntax;
    throw new GymnosError(
      'REGISTRY_INVALID_JSON',
      `${file}:${line}:${column}: ${reason}; fix the registry file and try again`,
      {
        details: { file, line, column, reason },
      },
    );
  }
  if (!tree || tree.type !== 'object') {
    const reason = 'the registry must be a JSON object mapping tracker names to "module#Export"';
    throw new GymnosError('REGISTRY_NOT_OBJECT', `${file}:1:1: ${reason}`, {
      details: { file, line: 1, column: 1, reason },
    });
  }
  const entries = new Map<string, RegistryEntry>();
  const problems: RegistryProblem[] = [];
  let schema: string | undefined;
  for (const property of tree.children ?? []) {
    const [keyNode, valueNode] = property.children as [Node, Node];
    const name = keyNode.value as string;
    const { line, column } = lineAndColumn(text, keyNode.offset);
    const problem = (kind: RegistryProblem['kind'], message: string) =>
      problems.push({ kind, name, message, line, column });
    if (name === SCHEMA_KEY) {
      if (valueNode.type === 'string') schema = valueNode.value as string;
      else problem('schema', `"${SCHEMA_KEY}" must be a string: the path or URL of the registry's JSON Schema`);
      continue;
    }
    if (entries.has(name)) {
      problem('duplicate', `${quoted(name)} is registered twice; keep one entry`);
      continue;
    }
    const nameProblem = trackerNameProblem(name);
    if (nameProblem) {
      // The name it was meant to be, when a spelling gives it away (my-tracker, MyTracker).
      const meant = normalizeTrackerName(name);
      const rename = meant !== name && trackerNameProblem(meant) === undefined ? `; rename it ${quoted(meant)}` : '';
      problem('name', `invalid tracker name: ${nameProblem}${rename}`);
    }
    const match = valueNode.type === 'string' ? TARGET.exec(valueNode.value as string) : null;
    if (!match) {
      problem(
        'target',
        `${quoted(name)} must map to a string "<module>#<ExportName>", e.g. "trackers/${escaped(name)}.js#ClassName"`,
      );
      continue;
    }
    const { module, exportName } = match.groups as { module: string; exportName: string };
    entries.set(name, { name, target: valueNode.value as string, module, exportName, line, column });
  }
  return { file, text, entries, problems, ...(schema === undefined ? {} : { schema }) };
}

/** What to do about the registry `file` when the file system refuses to read it, by the error's code. */
function unreadableHint(file: string, code: string): string {
  if (code === 'EISDIR') {
    const init = gymnosCommand(path.dirname(path.dirname(file)), 'init');
    return `it is a directory: move it away (${init} creates the file) or put the registry file in its place`;
  }
  if (code === 'EACCES' || code === 'EPERM') return 'give your user read permission on it (chmod u+r)';
  return 'it must be a file gymnos can read';
}

/**
 * The text of the registry file `file`, or undefined when there is none. Anything else that keeps it from being
 * read (a directory in its place, no read permission) is a GymnosError REGISTRY_UNREADABLE naming the fix, for
 * every command that reads it (create-new, list, lint, init, load).
 */
export function readRegistryText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === undefined) throw error; // not the file system saying no: a bug
    throw new GymnosError('REGISTRY_UNREADABLE', `${file} cannot be read (${code})`, {
      details: { file, reason: code },
      hint: unreadableHint(file, code),
      cause: error,
    });
  }
}

/** Reads `var/trackers.json` under `root`. A missing file reads as an empty registry. */
export function readRegistry(root: string): Registry {
  const file = path.join(root, REGISTRY_PATH);
  const text = readRegistryText(file);
  if (text === undefined) return { file, text: '', entries: new Map(), problems: [] };
  return parseRegistry(text, file);
}

/** The registry value create-new writes for a tracker. */
export function registryTarget(name: string, className: string): string {
  return `trackers/${name}.js#${className}`;
}
