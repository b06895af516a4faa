/**
 * What test/architecture.test.ts checks src/**\/*.ts for, read from each file's syntax tree (TypeScript's parser,
 * no type checking): its relative imports, the places it prints, what it exports, the names it takes from other
 * files, and its functions with their length.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type TS from 'typescript';
import { requireCjs } from '../../src/util/require_cjs.js';

// Required, not imported: an ES import of TypeScript's 9 MB makes Node scan it for exports (util/require_cjs.ts).
const ts = requireCjs('typescript') as typeof TS;

export interface Import {
  specifier: string;
  typeOnly: boolean;
  line: number;
}

export interface Print {
  what: string;
  line: number;
}

export interface Export {
  name: string;
  /** A type (interface, type alias) rather than a value (function, class, const...). */
  type: boolean;
  line: number;
}

export interface FunctionSpan {
  name: string;
  line: number;
  /** Lines from its first to its last, the body included. */
  lines: number;
  /** The comment lines just above it (or above the statement that holds it), where a reason for its length goes. */
  comment: string;
}

export interface Scan {
  imports: Import[];
  prints: Print[];
  exports: Export[];
  /** The names this file takes from others, by file: `*` when it may use any (a namespace, an opaque import()). */
  uses: Map<string, Set<string>>;
  /** How often each identifier occurs in the file, its declarations included. */
  identifiers: Map<string, number>;
  functions: FunctionSpan[];
}

/** The .ts files under `dir` (declaration files aside). */
export function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The file a relative specifier names: `./x.js` is `./x.ts` in src/. */
export function resolveImport(from: string, specifier: string): string {
  return path.resolve(path.dirname(from), specifier).replace(/\.js$/, '.ts');
}

/** The names of `import('./x.js')` used: `(await import(...)).name`, `const { a, b } = await import(...)`, or `*`. */
function namesOfDynamicImport(call: TS.CallExpression): string[] {
  let node: TS.Node = call.parent;
  if (ts.isAwaitExpression(node)) node = node.parent;
  if (ts.isParenthesizedExpression(node) && ts.isPropertyAccessExpression(node.parent)) return [node.parent.name.text];
  if (ts.isVariableDeclaration(node) && ts.isObjectBindingPattern(node.name)) {
    return node.name.elements.map((element) => ((element.propertyName ?? element.name) as TS.Identifier).text);
  }
  return ['*'];
}

/** What a top-level statement exports. */
function exportsOf(node: TS.Statement, lineOf: (node: TS.Node) => number): Export[] {
  if (ts.isExportAssignment(node)) return [{ name: 'default', type: false, line: lineOf(node) }];
  if (ts.isExportDeclaration(node)) {
    const clause = node.exportClause;
    if (!clause || !ts.isNamedExports(clause)) return [];
    return clause.elements.map((element) => ({
      name: element.name.text,
      type: node.isTypeOnly || element.isTypeOnly,
      line: lineOf(element),
    }));
  }
  const modifiers = ts.canHaveModifiers(node) ? ts.getModifiers(node) : undefined;
  if (!modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword)) return [];
  const type = ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node);
  if (modifiers.some((modifier) => modifier.kind === ts.SyntaxKind.DefaultKeyword)) {
    return [{ name: 'default', type, line: lineOf(node) }];
  }
  if (ts.isVariableStatement(node)) {
    return node.declarationList.declarations.flatMap((declaration) =>
      ts.isIdentifier(declaration.name) ? [{ name: declaration.name.text, type: false, line: lineOf(node) }] : [],
    );
  }
  const name = (node as TS.Node & { name?: TS.Node }).name;
  return name && ts.isIdentifier(name) ? [{ name: name.text, type, line: lineOf(node) }] : [];
}

/** A function's name as a reader finds it: its own, its variable's or property's, its class and method. */
function functionName(node: TS.FunctionLikeDeclaration): string {
  const own = node.name && (ts.isIdentifier(node.name) || ts.isPrivateIdentifier(node.name)) ? node.name.text : '';
  const parent = node.parent;
  if (ts.isClassLike(parent)) return `${parent.name?.text ?? '(class)'}.${own || 'constructor'}`;
  if (own) return own;
  if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  return '(anonymous)';
}

/** The comment lines right above `node`, or above the statement that holds it. */
function commentAbove(node: TS.Node, text: string): string {
  let holder: TS.Node = node;
  while (
    holder.parent &&
    !ts.isSourceFile(holder.parent) &&
    !ts.isBlock(holder.parent) &&
    !ts.isClassLike(holder.parent)
  ) {
    holder = holder.parent;
  }
  const ranges = ts.getLeadingCommentRanges(text, holder.getFullStart()) ?? [];
  return ranges.map((range) => text.slice(range.pos, range.end)).join('\n');
}

function isPrint(node: TS.Node, source: TS.SourceFile): string | undefined {
  if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) {
    const object = node.expression.text;
    const property = node.name.text;
    if (object === 'console' || (object === 'process' && (property === 'stdout' || property === 'stderr'))) {
      return `${object}.${property}`;
    }
  }
  if (ts.isCallExpression(node) && /^(fs\.)?writeSync$/.test(node.expression.getText(source))) {
    const fd = node.arguments[0];
    if (fd && ts.isNumericLiteral(fd) && (fd.text === '1' || fd.text === '2')) return `writeSync(${fd.text})`;
  }
  return undefined;
}

export function scan(file: string): Scan {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const result: Scan = { imports: [], prints: [], exports: [], uses: new Map(), identifiers: new Map(), functions: [] };
  const lineOf = (node: TS.Node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const add = (specifier: TS.Node | undefined, typeOnly: boolean, node: TS.Node, names: readonly string[]) => {
    if (!specifier || !ts.isStringLiteralLike(specifier) || !specifier.text.startsWith('.')) return;
    result.imports.push({ specifier: specifier.text, typeOnly, line: lineOf(node) });
    const target = resolveImport(file, specifier.text);
    const used = result.uses.get(target) ?? new Set<string>();
    for (const name of names) used.add(name);
    result.uses.set(target, used);
  };
  for (const statement of source.statements) result.exports.push(...exportsOf(statement, lineOf));
  const visit = (node: TS.Node): void => {
    if (ts.isIdentifier(node)) result.identifiers.set(node.text, (result.identifiers.get(node.text) ?? 0) + 1);
    const print = isPrint(node, source);
    if (print) result.prints.push({ what: print, line: lineOf(node) });
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line + 1;
      const line = lineOf(node);
      const name = functionName(node as TS.FunctionLikeDeclaration);
      result.functions.push({ name, line, lines: end - line + 1, comment: commentAbove(node, text) });
    }
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const bindings = clause?.namedBindings;
      const elements = bindings && ts.isNamedImports(bindings) ? bindings.elements : undefined;
      const allTypes = elements !== undefined && elements.length > 0 && elements.every((element) => element.isTypeOnly);
      const names = [
        ...(clause?.name ? ['default'] : []),
        ...(bindings && ts.isNamespaceImport(bindings) ? ['*'] : []),
        ...(elements ?? []).map((element) => (element.propertyName ?? element.name).text),
      ];
      add(node.moduleSpecifier, Boolean(clause?.isTypeOnly || (allTypes && !clause?.name)), node, names);
    } else if (ts.isExportDeclaration(node)) {
      const clause = node.exportClause;
      const names =
        clause && ts.isNamedExports(clause)
          ? clause.elements.map((element) => (element.propertyName ?? element.name).text)
          : ['*'];
      add(node.moduleSpecifier, node.isTypeOnly, node, names);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const qualifier = node.qualifier && ts.isIdentifier(node.qualifier) ? node.qualifier.text : '*';
      add(node.argument.literal, true, node, [qualifier]);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node.arguments[0], false, node, namesOfDynamicImport(node));
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return result;
}
