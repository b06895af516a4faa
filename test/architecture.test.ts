/**
 * The promises of docs/architecture.md about the code's shape, checked over every file of src/ from its syntax
 * tree (test/helpers/source_scan.ts): imports point only the ways its table allows (so the next layer that points
 * up fails here), only src/cli/ prints, no export is dead (ts-prune's check), and a function longer than 80 lines
 * says why next to it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { REPO } from './helpers/project.js';
import { scan, sourceFiles } from './helpers/source_scan.js';

const SRC = path.join(REPO, 'src');

/**
 * Imports that break the table, each with the change that removes it (`'src/a/b.ts -> c'`); tolerated, file by
 * file, so that any other import pointing the same way still fails. None today.
 */
const PENDING_IMPORTS = new Set<string>();

/**
 * Exports no other module of src/ imports, kept for a test that checks them directly; each says why the test
 * cannot go through what src/ does use. Anything else that only tests use is dead code: test it through its caller.
 */
const KEPT_FOR_TESTS: Record<string, string> = {
  'src/runtime/run_dir/downsample.ts: largestTriangleThreeBuckets':
    'LTTB itself (ends kept, peaks chosen, short series whole); the sampler hands it streamed buckets',
  'src/init/plan.ts: tsconfigSource':
    "the docs' TypeScript snippets compile under the tsconfig init writes (test/docs/snippets.test.ts)",
  'src/util/project_format.ts: wrapComments':
    'block, JSDoc and line comments wrapped at a width; through formatForProject each case would load Prettier',
  'src/testing/blocked_time.ts: runQueueWaitOf': "schedstat's line parsed (test/testing/compare.test.ts)",
  'src/testing/blocked_time.ts: measureCpuTime':
    "the conformance kit's measure off Linux, tested on Linux (test/testing/compare.test.ts)",
};

/** Dead exports that work in progress on their files removes or uses; each names it. */
const PENDING_EXPORTS: Record<string, string> = {};

/** The longest a function may be without saying why (a comment above it with `Long:` and the reason). */
const MAX_FUNCTION_LINES = 80;

/** Long functions in files that work in progress rewrites; each names it. */
const PENDING_LONG: Record<string, string> = {};

interface Rule {
  allowed: Set<string>;
  typesOnly: Set<string>;
}

/** docs/architecture.md's table of which folder may import which. */
function importRules(): Map<string, Rule> {
  const markdown = readFileSync(path.join(REPO, 'docs', 'architecture.md'), 'utf8');
  const rules = new Map<string, Rule>();
  for (const [, from, to] of markdown.matchAll(/^\| `([a-z_.]+)` +\| (.+?) +\|$/gm)) {
    if (to!.startsWith('`') || to === 'nothing') {
      const rule: Rule = { allowed: new Set(), typesOnly: new Set() };
      for (const [, name, typesOnly] of to!.matchAll(/`([a-z_.]+)`( \(types only\))?/g)) {
        (typesOnly ? rule.typesOnly : rule.allowed).add(name!);
      }
      rules.set(from!, rule);
    }
  }
  return rules;
}

/** The top folder of src/ a file is in (`cli`), or its name for a file directly in src/ (`errors.ts`). */
function areaOf(file: string): string {
  return path.relative(SRC, file).split(path.sep)[0]!;
}

/** The modules whose exports are gymnos's public API (package.json `exports`) or the CLI bundle's entry. */
function entryModules(): Set<string> {
  const manifest = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
    exports: Record<string, { default?: string } | string>;
  };
  const entries = new Set([path.join(SRC, 'cli', 'main.ts')]);
  for (const target of Object.values(manifest.exports)) {
    const built = typeof target === 'string' ? target : target.default;
    const match = built && /^\.\/dist\/(.+)\.js$/.exec(built);
    if (match) entries.add(path.join(SRC, `${match[1]}.ts`));
  }
  return entries;
}

/** The exports var/trackers.json names (the registry loads them by name): create-new's generated tracker's too. */
function registryUses(): Map<string, Set<string>> {
  const registry = JSON.parse(readFileSync(path.join(REPO, 'var', 'trackers.json'), 'utf8')) as Record<string, unknown>;
  const uses = new Map<string, Set<string>>();
  for (const target of Object.values(registry)) {
    const match = typeof target === 'string' ? /^(.+)\.js#(.+)$/.exec(target) : null;
    if (!match) continue;
    const file = path.join(SRC, `${match[1]}.ts`);
    uses.set(file, new Set([...(uses.get(file) ?? []), match[2]!]));
  }
  return uses;
}

describe('docs/architecture.md holds for src/**/*.ts', () => {
  const scanned = new Map(sourceFiles(SRC).map((file) => [file, scan(file)]));
  const relative = (file: string) => path.relative(REPO, file);

  test('imports point only the ways the table allows', () => {
    const rules = importRules();
    assert.ok(rules.size >= 10, `the table of docs/architecture.md was not found (${rules.size} rows)`);
    const problems: string[] = [];
    for (const [file, { imports }] of scanned) {
      const from = areaOf(file);
      const rule = rules.get(from);
      if (!rule) {
        problems.push(`${relative(file)}: src/${from} is not in docs/architecture.md's table of imports; add its row`);
        continue;
      }
      for (const { specifier, typeOnly, line } of imports) {
        const target = path.resolve(path.dirname(file), specifier);
        if (!target.startsWith(SRC + path.sep)) continue; // a package file outside src/ (package.json)
        const to = areaOf(target.replace(/\.js$/, '.ts'));
        if (to === from || rule.allowed.has(to) || (typeOnly && rule.typesOnly.has(to))) continue;
        if (PENDING_IMPORTS.has(`${relative(file)} -> ${to}`)) continue;
        const how = rule.typesOnly.has(to) ? ' (only types may be imported from there)' : '';
        problems.push(`${relative(file)}:${line}: src/${from} imports ${specifier} from src/${to}${how}`);
      }
    }
    assert.deepEqual(problems, [], 'imports that docs/architecture.md does not allow');
  });

  test('only src/cli/ prints: no console, process.stdout, process.stderr or writeSync(1|2) elsewhere', () => {
    const problems: string[] = [];
    for (const [file, { prints }] of scanned) {
      if (areaOf(file) === 'cli') continue;
      for (const { what, line } of prints) problems.push(`${relative(file)}:${line}: ${what}`);
    }
    assert.deepEqual(problems, [], 'library code that prints: pass it a reporter from src/cli/ instead');
  });

  test('no dead export: what a module exports, another imports (a type may also describe its own exports)', () => {
    const entries = entryModules();
    const used = registryUses();
    for (const { uses } of scanned.values()) {
      for (const [target, names] of uses) used.set(target, new Set([...(used.get(target) ?? []), ...names]));
    }
    const dead: string[] = [];
    for (const [file, { exports, identifiers }] of scanned) {
      if (entries.has(file)) continue;
      const imported = used.get(file) ?? new Set();
      for (const { name, type, line } of exports) {
        const key = `${relative(file)}: ${name}`;
        if (imported.has(name) || imported.has('*') || key in KEPT_FOR_TESTS || key in PENDING_EXPORTS) continue;
        if (type && (identifiers.get(name) ?? 0) > 1) continue;
        dead.push(`${relative(file)}:${line}: ${name}`);
      }
    }
    assert.deepEqual(dead, [], 'exports nothing in src/ imports: remove the export, or the code');
    const stale = [...Object.keys(KEPT_FOR_TESTS)].filter((key) => {
      const [file, name] = key.split(': ') as [string, string];
      return !scanned.get(path.join(REPO, file))?.exports.some((entry) => entry.name === name);
    });
    assert.deepEqual(stale, [], 'KEPT_FOR_TESTS names exports that are gone: remove them from the list');
    const done = Object.keys(PENDING_EXPORTS).filter((key) => {
      const [file, name] = key.split(': ') as [string, string];
      const absolute = path.join(REPO, file);
      const exported = scanned.get(absolute)?.exports.some((entry) => entry.name === name) ?? false;
      return !exported || (used.get(absolute)?.has(name) ?? false);
    });
    assert.deepEqual(
      done,
      [],
      'PENDING_EXPORTS names exports that are gone or imported now: remove them from the list',
    );
  });

  test(`a function longer than ${MAX_FUNCTION_LINES} lines says why, in a comment above it (Long: ...)`, () => {
    const long: string[] = [];
    for (const [file, { functions }] of scanned) {
      for (const { name, line, lines, comment } of functions) {
        if (`${relative(file)}: ${name}` in PENDING_LONG) continue;
        if (lines > MAX_FUNCTION_LINES && !/\bLong: \S/.test(comment)) {
          long.push(`${relative(file)}:${line}: ${name} (${lines} lines)`);
        }
      }
    }
    assert.deepEqual(long, [], 'split them, or say why not');
    const done = Object.keys(PENDING_LONG).filter((key) => {
      const [file, name] = key.split(': ') as [string, string];
      const found = scanned.get(path.join(REPO, file))?.functions.find((fn) => fn.name === name);
      return found === undefined || found.lines <= MAX_FUNCTION_LINES;
    });
    assert.deepEqual(done, [], 'PENDING_LONG names functions that are gone or short now: remove them from the list');
  });

  test('the checks see what they look for', () => {
    // The scan itself, on files that import, print and export: a scan that found nothing would pass above.
    const main = scanned.get(path.join(SRC, 'cli', 'main.ts'))!;
    assert.ok(main.imports.some((entry) => entry.specifier === './commands.js' && !entry.typeOnly));
    assert.ok(main.imports.some((entry) => entry.specifier === './commands.js' && entry.typeOnly));
    const commands = scanned.get(path.join(SRC, 'cli', 'commands.ts'))!;
    assert.ok(
      commands.imports.some((entry) => entry.specifier === './lint.js'),
      'dynamic imports are seen',
    );
    assert.deepEqual(commands.uses.get(path.join(SRC, 'cli', 'lint.ts')), new Set(['runLint']));
    assert.ok(commands.exports.some((entry) => entry.name === 'COMMANDS' && !entry.type));
    assert.ok(commands.exports.some((entry) => entry.name === 'CommandSpec' && entry.type));
    const stdio = scanned.get(path.join(SRC, 'cli', 'stdio.ts'))!;
    assert.ok(
      stdio.prints.some((entry) => entry.what === 'process.stdout'),
      'process.stdout is seen',
    );
    // A function's length, counted here from its text: from its first line to its closing brace.
    const summaryFile = path.join(SRC, 'runs', 'summary.ts');
    const lines = readFileSync(summaryFile, 'utf8').split('\n');
    const first = lines.findIndex((line) => line.startsWith('export function summarizeRun('));
    const last = lines.findIndex((line, i) => i > first && line === '}');
    const measured = scanned.get(summaryFile)!.functions.find((fn) => fn.name === 'summarizeRun');
    assert.equal(measured?.lines, last - first + 1, 'function lengths are measured');
  });
});
