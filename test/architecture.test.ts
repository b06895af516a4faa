/**
 * The promises of docs/architecture.md about the code's shape, checked over every file of src/: imports point only
 * the ways its table allows (so the next layer that points up fails here), and only src/cli/ prints.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import type TS from 'typescript';
import { requireCjs } from '../src/util/require_cjs.js';
import { REPO } from './helpers/project.js';

// Required, not imported: an ES import of TypeScript's 9 MB makes Node scan it for exports (util/require_cjs.ts).
const ts = requireCjs('typescript') as typeof TS;

const SRC = path.join(REPO, 'src');

/**
 * Imports that break the table today, each with the change that removes it; tolerated, file by file, so that any
 * other import pointing the same way still fails.
 */
const PENDING = new Set([
  // issue 18 item 4: the summary format both write and read moves below runtime/ and runs/.
  'src/runtime/run_summary.ts -> runs',
]);

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

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

interface Import {
  specifier: string;
  typeOnly: boolean;
  line: number;
}

interface Print {
  what: string;
  line: number;
}

/** A file's relative imports (static, dynamic, export ... from, import types) and the places it prints. */
function scan(file: string): { imports: Import[]; prints: Print[] } {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const imports: Import[] = [];
  const prints: Print[] = [];
  const lineOf = (node: TS.Node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const add = (specifier: TS.Node | undefined, typeOnly: boolean, node: TS.Node) => {
    if (specifier && ts.isStringLiteralLike(specifier) && specifier.text.startsWith('.')) {
      imports.push({ specifier: specifier.text, typeOnly, line: lineOf(node) });
    }
  };
  const visit = (node: TS.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const elements =
        clause?.namedBindings && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements;
      const typeOnly = Boolean(
        clause?.isTypeOnly || (elements && !clause.name && elements.length > 0 && elements.every((e) => e.isTypeOnly)),
      );
      add(node.moduleSpecifier, typeOnly, node);
    } else if (ts.isExportDeclaration(node)) {
      add(node.moduleSpecifier, node.isTypeOnly, node);
    } else if (ts.isImportTypeNode(node)) {
      const argument = node.argument;
      if (ts.isLiteralTypeNode(argument)) add(argument.literal, true, node);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false, node);
    } else if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) {
      const object = node.expression.text;
      const property = node.name.text;
      if (object === 'console' || (object === 'process' && (property === 'stdout' || property === 'stderr'))) {
        prints.push({ what: `${object}.${property}`, line: lineOf(node) });
      }
    } else if (ts.isCallExpression(node) && /^(fs\.)?writeSync$/.test(node.expression.getText(source))) {
      const fd = node.arguments[0];
      if (fd && ts.isNumericLiteral(fd) && (fd.text === '1' || fd.text === '2')) {
        prints.push({ what: `writeSync(${fd.text})`, line: lineOf(node) });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { imports, prints };
}

describe('docs/architecture.md holds for src/**/*.ts', () => {
  const files = sourceFiles(SRC);
  const scanned = new Map(files.map((file) => [file, scan(file)]));

  test('imports point only the ways the table allows', () => {
    const rules = importRules();
    assert.ok(rules.size >= 10, `the table of docs/architecture.md was not found (${rules.size} rows)`);
    const problems: string[] = [];
    for (const [file, { imports }] of scanned) {
      const from = areaOf(file);
      const relative = path.relative(REPO, file);
      const rule = rules.get(from);
      if (!rule) {
        problems.push(`${relative}: src/${from} is not in docs/architecture.md's table of imports; add its row`);
        continue;
      }
      for (const { specifier, typeOnly, line } of imports) {
        const target = path.resolve(path.dirname(file), specifier);
        if (!target.startsWith(SRC + path.sep)) continue; // a package file outside src/ (package.json)
        const to = areaOf(target.replace(/\.js$/, '.ts'));
        if (to === from || rule.allowed.has(to) || (typeOnly && rule.typesOnly.has(to))) continue;
        if (PENDING.has(`${relative} -> ${to}`)) continue;
        const how = rule.typesOnly.has(to) ? ' (only types may be imported from there)' : '';
        problems.push(`${relative}:${line}: src/${from} imports ${specifier} from src/${to}${how}`);
      }
    }
    assert.deepEqual(problems, [], 'imports that docs/architecture.md does not allow');
  });

  test('only src/cli/ prints: no console, process.stdout, process.stderr or writeSync(1|2) elsewhere', () => {
    const problems: string[] = [];
    for (const [file, { prints }] of scanned) {
      if (areaOf(file) === 'cli') continue;
      for (const { what, line } of prints) problems.push(`${path.relative(REPO, file)}:${line}: ${what}`);
    }
    assert.deepEqual(problems, [], 'library code that prints: pass it a reporter from src/cli/ instead');
  });

  test('the checks see what they look for', () => {
    // The scan itself, on the files that import and print the most: a scan that found nothing would pass above.
    const main = scanned.get(path.join(SRC, 'cli', 'main.ts'))!;
    assert.ok(main.imports.some((entry) => entry.specifier === './commands.js' && !entry.typeOnly));
    assert.ok(main.imports.some((entry) => entry.specifier === './commands.js' && entry.typeOnly));
    const commands = scanned.get(path.join(SRC, 'cli', 'commands.ts'))!;
    assert.ok(
      commands.imports.some((entry) => entry.specifier === './lint.js'),
      'dynamic imports are seen',
    );
    const stdio = scanned.get(path.join(SRC, 'cli', 'stdio.ts'))!;
    assert.ok(
      stdio.prints.some((entry) => entry.what === 'process.stdout'),
      'process.stdout is seen',
    );
  });
});
