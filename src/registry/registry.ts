/**
 * The tracker registry, `var/trackers.json`: one JSON object mapping each tracker's snake_case name to where
 * its class lives, as `"<module>#<ExportName>"`. The module path is relative to the source root and written
 * the way TypeScript's NodeNext imports are, with `.js`: `"trackers/memory.js#MemoryTracker"` is
 * `src/trackers/memory.ts` in the sources and `dist/trackers/memory.js` once built.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseTree, printParseErrorCode } from 'jsonc-parser';
import type { Node, ParseError } from 'jsonc-parser';
import { GymnosError } from './errors.js';
import { trackerNameProblem } from './names.js';

export const REGISTRY_PATH = path.join('var', 'trackers.json');

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
}

/** 1-based line and column of a character offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

/** Parses registry text; invalid JSON is a GymnosError naming the file, line and column. */
export function parseRegistry(text: string, file: string): Registry {
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
  let syntax: { offset: number; reason: string } | undefined;
  if (errors.length > 0) syntax = { offset: errors[0]!.offset, reason: describeParseError(errors[0]!) };
  else {
    try {
      JSON.parse(text); // jsonc-parser is lenient in corners (e.g. control characters); JSON.parse is the judge
    } catch (error) {
      syntax = { offset: Number(/position (\d+)/.exec(String(error))?.[1] ?? text.length), reason: 'invalid JSON' };
    }
  }
  if (syntax) {
    const { line, column } = lineAndColumn(text, syntax.offset);
    throw new GymnosError(
      'REGISTRY_INVALID_JSON',
      `${file}:${line}:${column}: ${syntax.reason}; fix the registry file and try again`,
    );
  }
  if (!tree || tree.type !== 'object') {
    throw new GymnosError(
      'REGISTRY_NOT_OBJECT',
      `${file}:1:1: the registry must be a JSON object mapping tracker names to "module#Export"`,
    );
  }
  const entries = new Map<string, RegistryEntry>();
  const problems: RegistryProblem[] = [];
  for (const property of tree.children ?? []) {
    const [keyNode, valueNode] = property.children as [Node, Node];
    const name = keyNode.value as string;
    const { line, column } = lineAndColumn(text, keyNode.offset);
    const problem = (message: string) => problems.push({ name, message, line, column });
    if (entries.has(name)) {
      problem(`"${name}" is registered twice; keep one entry`);
      continue;
    }
    const nameProblem = trackerNameProblem(name);
    if (nameProblem) problem(`invalid tracker name: ${nameProblem}`);
    const match = valueNode.type === 'string' ? TARGET.exec(valueNode.value as string) : null;
    if (!match) {
      problem(`"${name}" must map to a string "<module>#<ExportName>", e.g. "trackers/${name}.js#ClassName"`);
      continue;
    }
    const { module, exportName } = match.groups as { module: string; exportName: string };
    entries.set(name, { name, target: valueNode.value as string, module, exportName, line, column });
  }
  return { file, text, entries, problems };
}

/** Reads `var/trackers.json` under `root`. A missing file reads as an empty registry. */
export function readRegistry(root: string): Registry {
  const file = path.join(root, REGISTRY_PATH);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { file, text: '', entries: new Map(), problems: [] };
    throw error;
  }
  return parseRegistry(text, file);
}

/** The registry value create-new writes for a tracker. */
export function registryTarget(name: string, className: string): string {
  return `trackers/${name}.js#${className}`;
}

function describeParseError(error: ParseError): string {
  const reason = printParseErrorCode(error.error)
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase();
  return `invalid JSON (${reason})`;
}
