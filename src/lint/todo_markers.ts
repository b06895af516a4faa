/**
 * `gymnos/tracker-todo`: a `TODO(<name>)` marker left in a registered tracker's files is a warning, never an
 * error. create-new marks every stub it generates (the hooks, the test's read-back, the docs page) so that a
 * fresh tracker lints and tests green while its author can still see, in every lint run, what is left to do.
 *
 * A tracker's files are its registry entry's module and the lint files named after it (`<name>.ts`,
 * `<name>.test.ts`, `<name>.md`): a marker quoted in other docs is not the tracker's.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseRegistry } from '../registry/registry.js';
import { TODO_RULE } from './types.js';
import type { Diagnostic } from './types.js';

export { TODO_RULE };
export const TODO_RULE_DESCRIPTION = 'a registered tracker has no TODO(<name>) marker left from create-new';

const REGISTRY_FILE = 'var/trackers.json';

function registeredTrackers(root: string): Map<string, string | undefined> {
  try {
    const registry = parseRegistry(readFileSync(path.join(root, REGISTRY_FILE), 'utf8'), REGISTRY_FILE);
    const modules = new Map<string, string | undefined>();
    for (const [name, entry] of registry.entries) {
      // trackers/x.js is src/trackers/x.ts in the sources (as the contract rules read it).
      modules.set(name, `src/${entry.module.replace(/\.js$/, '.ts')}`);
    }
    return modules;
  } catch {
    return new Map(); // no registry, or one the contract rules already report as broken
  }
}

/** The warnings per file (relative path), among `lintFiles`. */
export function findTodoMarkers(root: string, lintFiles: readonly string[]): Map<string, Diagnostic[]> {
  const found = new Map<string, Diagnostic[]>();
  const trackers = registeredTrackers(root);
  if (trackers.size === 0) return found;
  const modules = new Map([...trackers].map(([name, module]) => [module, name]));
  for (const file of lintFiles) {
    const stem = path.posix.basename(file).split('.')[0]!;
    const name = trackers.has(stem) ? stem : modules.get(file);
    if (name === undefined) continue;
    let text: string;
    try {
      text = readFileSync(path.join(root, file), 'utf8');
    } catch {
      continue;
    }
    const marker = `TODO(${name})`;
    const diagnostics: Diagnostic[] = [];
    text.split('\n').forEach((line, index) => {
      for (let column = line.indexOf(marker); column !== -1; column = line.indexOf(marker, column + 1)) {
        diagnostics.push({
          ruleId: TODO_RULE,
          severity: 'warning',
          message: `${marker} is left to do: finish it, then remove the marker`,
          line: index + 1,
          column: column + 1,
          source: 'gymnos',
          fixable: false,
        });
      }
    });
    if (diagnostics.length > 0) found.set(file, diagnostics);
  }
  return found;
}
