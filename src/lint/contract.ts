/**
 * The plugin contract, which no general linter knows:
 *
 * - `gymnos/registry-syntax`: `var/trackers.json` is a JSON object;
 * - `gymnos/registry-entry`: each entry maps a name, once, to `"<module>#<ExportName>"`;
 * - `gymnos/tracker-name`: tracker names (registry keys, tracker module files) are snake_case;
 * - `gymnos/tracker-module`: each entry's module exists under src/ (and stays inside the package);
 * - `gymnos/tracker-export`: that module exports that name, and it is a class extending `Tracker`;
 * - `gymnos/tracker-unregistered`: every tracker class exported under src/trackers/ is registered;
 * - `gymnos/tracker-shadows-builtin`: outside the gymnos repository, no entry takes a built-in tracker's name.
 * (`gymnos/registry-format`, the registry being Prettier-formatted, is checked with the Prettier pass.)
 *
 * The modules are read, never run: the TypeScript parser gives the exports and `extends` clauses, followed
 * through imports and re-exports to `Tracker` (imported from 'gymnos', or gymnos's own src/trackers/tracker.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type TS from 'typescript';
import { isBuiltinTracker } from '../registry/builtins.js';
import { isGymnosError } from '../errors.js';
import { isSnakeCase, RESERVED_NAMES } from '../registry/names.js';
import { parseRegistry, readRegistryText, REGISTRY_PATH } from '../registry/registry.js';
import type { RegistryEntry } from '../registry/registry.js';
import {
  missingJsMessage,
  moduleInsidePackage,
  moduleWithJs,
  outsidePackageMessage,
  registryModulePath,
  sourceModulePath,
} from '../registry/resolve.js';
import type { Diagnostic } from './types.js';
import { closestName } from '../util/closest.js';
import { quoted } from '../util/display_text.js';

export const CONTRACT_RULES = {
  'gymnos/registry-syntax': 'var/trackers.json is a JSON object mapping tracker names to "module#Export"',
  'gymnos/registry-entry': 'each registry entry maps a name, once, to "<module>#<ExportName>"',
  'gymnos/registry-format': 'var/trackers.json is formatted (Prettier)',
  'gymnos/tracker-name': 'tracker names and tracker module files are snake_case',
  'gymnos/tracker-module': "each registry entry's module exists under src/, inside the package",
  'gymnos/tracker-export': 'each registry entry names an exported class that extends Tracker',
  'gymnos/tracker-unregistered': 'every tracker class under src/trackers/ is registered in var/trackers.json',
  'gymnos/tracker-shadows-builtin': "a project's registry entry does not take the name of a built-in tracker",
} as const;

type ContractRule = keyof typeof CONTRACT_RULES;

const SOURCE_EXTENSION = /\.(?:ts|mts|cts|js|mjs|cjs)$/;

interface ContractInput {
  root: string;
  /** Every file of the project, relative with forward slashes. */
  allFiles: readonly string[];
  /** True in the gymnos repository itself, whose trackers extend its own src/trackers/tracker.ts. */
  isGymnosRepository: boolean;
  /** The TypeScript module (the parser only is used). */
  ts: typeof TS;
}

type Verdict = { kind: 'yes' } | { kind: 'no'; reason: string } | { kind: 'unknown'; reason: string };

/** A class found by following exports: where it is declared. */
interface ClassRef {
  kind: 'class';
  file: string;
  node: TS.ClassLikeDeclaration;
  name: string;
}

/** A binding imported from a package: `import { Tracker } from 'gymnos'`. */
interface ExternalRef {
  kind: 'external';
  specifier: string;
  imported: string;
}

/** Something else: a function, a constant, a namespace. */
interface OtherRef {
  kind: 'other';
  file: string;
  node: TS.Node;
}

type Ref = ClassRef | ExternalRef | OtherRef;

/** Runs the contract rules; returns diagnostics keyed by file (relative to the root). */
export function checkPluginContract(input: ContractInput): Map<string, Diagnostic[]> {
  return new ContractChecker(input).run();
}

class ContractChecker {
  readonly #input: ContractInput;
  readonly #ts: typeof TS;
  readonly #sources = new Map<string, TS.SourceFile | null>();
  readonly #diagnostics = new Map<string, Diagnostic[]>();
  /** `file#Class` a registry entry means, written with a mistake (a mistyped export, no .js): not unregistered. */
  readonly #claimed = new Set<string>();

  constructor(input: ContractInput) {
    this.#input = input;
    this.#ts = input.ts;
  }

  run(): Map<string, Diagnostic[]> {
    const registryFile = REGISTRY_PATH;
    const registryPath = path.join(this.#input.root, registryFile);
    const trackerModules = this.#input.allFiles.filter(
      (file) => file.startsWith('src/trackers/') && SOURCE_EXTENSION.test(file) && !/\.d\.[cm]?ts$/.test(file),
    );
    if (!existsSync(registryPath)) {
      // Not a plugin project, or one that has not registered anything yet.
      if (trackerModules.length > 0) this.#checkUnregistered(trackerModules, new Set(), registryFile);
      return this.#diagnostics;
    }
    // A registry that cannot be read at all (a directory, no permission) is a configuration error: one line, exit 2.
    const text = readRegistryText(registryPath) ?? '';
    let registry;
    try {
      registry = parseRegistry(text, registryFile);
    } catch (error) {
      if (!isGymnosError(error)) throw error;
      const { line, column, reason } = error.details as { line: number; column: number; reason: string };
      this.#report(registryFile, 'gymnos/registry-syntax', reason, { line, column });
      return this.#diagnostics;
    }
    for (const problem of registry.problems) {
      const rule = problem.kind === 'name' ? 'gymnos/tracker-name' : 'gymnos/registry-entry';
      this.#report(registryFile, rule, problem.message, problem);
    }
    this.#checkShadows([...registry.entries.values(), ...registry.problems], registryFile);
    const registered = new Set<string>();
    for (const entry of registry.entries.values()) {
      const file = this.#checkEntry(entry, registryFile);
      if (file) registered.add(`${file}#${entry.exportName}`);
    }
    this.#checkUnregistered(trackerModules, registered, registryFile);
    return this.#diagnostics;
  }

  #report(
    file: string,
    ruleId: ContractRule,
    message: string,
    at: { line: number; column: number },
    severity: Diagnostic['severity'] = 'error',
  ): void {
    const list = this.#diagnostics.get(file) ?? [];
    list.push({ ruleId, severity, message, line: at.line, column: at.column, source: 'gymnos', fixable: false });
    this.#diagnostics.set(file, list);
  }

  /** Checks one registry entry; returns its module file (relative) when it exists. */
  #checkEntry(entry: RegistryEntry, registryFile: string): string | undefined {
    const module = moduleInsidePackage(entry.module);
    if (module === undefined) {
      this.#report(registryFile, 'gymnos/tracker-module', outsidePackageMessage(entry), entry);
      return undefined;
    }
    const candidates = [`src/${sourceModulePath(module)}`, `src/${module}`];
    const file = candidates.find((candidate) => existsSync(path.join(this.#input.root, candidate)));
    const meant = file ? undefined : moduleWithJs(this.#input.root, module);
    if (meant) {
      // "trackers/my_tracker" for "trackers/my_tracker.js": the module is there, and is this entry's, not unregistered.
      for (const candidate of [`src/${sourceModulePath(meant)}`, `src/${meant}`]) {
        this.#claimed.add(`${candidate}#${entry.exportName}`);
      }
      this.#report(
        registryFile,
        'gymnos/tracker-module',
        `${quoted(entry.name)} ${missingJsMessage(entry, meant)}`,
        entry,
      );
      return undefined;
    }
    if (!file) {
      this.#report(
        registryFile,
        'gymnos/tracker-module',
        `${quoted(entry.name)} points to "${entry.module}", but ${candidates[0]} does not exist; ` +
          'create the module or remove the entry',
        entry,
      );
      return undefined;
    }
    const ref = this.#resolveExport(file, entry.exportName, 0);
    if (!ref) {
      // A mistyped export (#MyTrackr): the class it meant is this entry's, not an unregistered one.
      const guess = closestName(entry.exportName, this.#exportedClasses(file));
      if (guess) this.#claimed.add(`${file}#${guess}`);
      this.#report(
        registryFile,
        'gymnos/tracker-export',
        `${quoted(entry.name)}: ${file} does not export "${entry.exportName}"; ` +
          (guess ? `did you mean ${quoted(guess)}?` : 'export the tracker class under that name'),
        entry,
      );
      return file;
    }
    if (ref.kind !== 'class') {
      const what =
        ref.kind === 'external' ? `"${ref.imported}" from '${ref.specifier}'` : 'something that is not a class';
      this.#report(
        registryFile,
        'gymnos/tracker-export',
        `${quoted(entry.name)}: ${file} exports ${what} as "${entry.exportName}"; export a class that extends Tracker`,
        entry,
      );
      return file;
    }
    const verdict = this.#extendsTracker(ref, 0);
    if (verdict.kind !== 'yes') {
      this.#report(
        ref.file,
        'gymnos/tracker-export',
        verdict.kind === 'no'
          ? `${ref.name} is registered as tracker ${quoted(entry.name)} but does not extend Tracker (${verdict.reason})`
          : `cannot tell whether ${ref.name} (tracker ${quoted(entry.name)}) extends Tracker: ${verdict.reason}`,
        this.#position(ref.file, ref.node),
        verdict.kind === 'no' ? 'error' : 'warning',
      );
    }
    return file;
  }

  /** A project's entries named like a built-in tracker, which `load` refuses (once per name). */
  #checkShadows(entries: readonly { name: string; line: number; column: number }[], registryFile: string): void {
    if (this.#input.isGymnosRepository) return; // the built-ins are registered there
    const reported = new Set<string>();
    for (const entry of entries) {
      if (!isBuiltinTracker(entry.name) || reported.has(entry.name)) continue;
      reported.add(entry.name);
      this.#report(
        registryFile,
        'gymnos/tracker-shadows-builtin',
        `${quoted(entry.name)} is the name of a built-in tracker, which a project tracker may not take (load refuses ` +
          `it); rename this entry (e.g. "my_${entry.name}")`,
        entry,
      );
    }
  }

  /** Tracker classes exported by modules under src/trackers/ that no registry entry names. */
  #checkUnregistered(modules: readonly string[], registered: ReadonlySet<string>, registryFile: string): void {
    const ts = this.#ts;
    for (const file of modules) {
      const stem = path.posix.basename(file).replace(SOURCE_EXTENSION, '');
      if (/\.(?:test|spec)$/.test(stem) || RESERVED_NAMES.has(stem)) continue; // the base classes, not plugins
      const source = this.#source(file);
      if (!source) continue;
      for (const statement of source.statements) {
        if (!ts.isClassDeclaration(statement) || !statement.name || !isExported(ts, statement)) continue;
        if (statement.modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.AbstractKeyword)) continue;
        const name = statement.name.text;
        if (registered.has(`${file}#${name}`) || this.#claimed.has(`${file}#${name}`)) continue;
        const ref: ClassRef = { kind: 'class', file, node: statement, name };
        if (this.#extendsTracker(ref, 0).kind !== 'yes') continue;
        const directory = path.posix.dirname(file);
        const trackerName = directory === 'src/trackers' ? stem : directory.slice('src/trackers/'.length).split('/')[0];
        const target = `${registryModulePath(file.slice('src/'.length))}#${name}`;
        const position = this.#position(file, statement);
        if (!isSnakeCase(trackerName)) {
          this.#report(
            file,
            'gymnos/tracker-name',
            `tracker module "${trackerName}" is not snake_case: ` +
              'rename it (lowercase letters, digits and single underscores)',
            { line: 1, column: 1 },
          );
        }
        this.#report(
          file,
          'gymnos/tracker-unregistered',
          `${name} extends Tracker but is not registered: add "${trackerName}": "${target}" to ${registryFile}`,
          position,
        );
      }
    }
  }

  #source(file: string): TS.SourceFile | null {
    let source = this.#sources.get(file);
    if (source !== undefined) return source;
    const ts = this.#ts;
    try {
      const text = readFileSync(path.join(this.#input.root, file), 'utf8');
      const kind = /\.[cm]?js$/.test(file) ? ts.ScriptKind.JS : ts.ScriptKind.TS;
      source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
    } catch {
      source = null;
    }
    this.#sources.set(file, source);
    return source;
  }

  #position(file: string, node: TS.Node): { line: number; column: number } {
    const source = this.#source(file)!;
    const name = (node as TS.ClassLikeDeclaration).name ?? node;
    const { line, character } = source.getLineAndCharacterOfPosition(name.getStart(source));
    return { line: line + 1, column: character + 1 };
  }

  /** The relative module a specifier names, from `file`, as a project path; undefined for a package. */
  #resolveModule(file: string, specifier: string): string | undefined {
    if (!specifier.startsWith('.')) return undefined;
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
    const candidates = [
      sourceModulePath(base),
      base,
      `${base}.ts`,
      `${base}.js`,
      `${base}/index.ts`,
      `${base}/index.js`,
    ];
    return candidates.find((candidate) => existsSync(path.join(this.#input.root, candidate)));
  }

  /** The names of the classes `file` itself exports (declared there, or exported by name). */
  #exportedClasses(file: string): string[] {
    const ts = this.#ts;
    const names: string[] = [];
    for (const statement of this.#source(file)?.statements ?? []) {
      if (ts.isClassDeclaration(statement) && statement.name && isExported(ts, statement)) {
        names.push(statement.name.text);
      } else if (
        ts.isExportDeclaration(statement) &&
        statement.exportClause &&
        ts.isNamedExports(statement.exportClause)
      ) {
        names.push(...statement.exportClause.elements.map((element) => element.name.text));
      }
    }
    return names;
  }

  /** What `file` exports as `name`, following re-exports. */
  #resolveExport(file: string, name: string, depth: number): Ref | undefined {
    const ts = this.#ts;
    const source = this.#source(file);
    if (!source || depth > 16) return undefined;
    const starExports: string[] = [];
    for (const statement of source.statements) {
      if (ts.isClassDeclaration(statement) && isExported(ts, statement)) {
        const isDefault = statement.modifiers?.some((modifier) => modifier.kind === ts.SyntaxKind.DefaultKeyword);
        const exportedAs = isDefault ? 'default' : statement.name?.text;
        if (exportedAs === name) return { kind: 'class', file, node: statement, name: statement.name?.text ?? name };
      } else if (ts.isVariableStatement(statement) && isExported(ts, statement)) {
        for (const declaration of statement.declarationList.declarations) {
          if (ts.isIdentifier(declaration.name) && declaration.name.text === name) {
            return this.#resolveValue(file, declaration.initializer, name, depth);
          }
        }
      } else if (
        (ts.isFunctionDeclaration(statement) || ts.isEnumDeclaration(statement)) &&
        isExported(ts, statement)
      ) {
        if (statement.name?.text === name) return { kind: 'other', file, node: statement };
      } else if (ts.isExportAssignment(statement) && name === 'default' && !statement.isExportEquals) {
        return this.#resolveValue(file, statement.expression, name, depth);
      } else if (ts.isExportDeclaration(statement) && !statement.isTypeOnly) {
        const specifier =
          statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)
            ? statement.moduleSpecifier.text
            : undefined;
        if (!statement.exportClause) {
          if (specifier) starExports.push(specifier);
          continue;
        }
        if (!ts.isNamedExports(statement.exportClause)) continue;
        for (const element of statement.exportClause.elements) {
          if (element.name.text !== name || element.isTypeOnly) continue;
          const local = element.propertyName?.text ?? element.name.text;
          if (!specifier) return this.#resolveLocal(file, local, depth + 1);
          const target = this.#resolveModule(file, specifier);
          return target
            ? this.#resolveExport(target, local, depth + 1)
            : { kind: 'external', specifier, imported: local };
        }
      }
    }
    for (const specifier of starExports) {
      const target = this.#resolveModule(file, specifier);
      const ref = target ? this.#resolveExport(target, name, depth + 1) : undefined;
      if (ref) return ref;
    }
    return undefined;
  }

  #resolveValue(file: string, expression: TS.Expression | undefined, name: string, depth: number): Ref | undefined {
    const ts = this.#ts;
    if (!expression) return undefined;
    if (ts.isClassExpression(expression)) return { kind: 'class', file, node: expression, name };
    if (ts.isIdentifier(expression)) return this.#resolveLocal(file, expression.text, depth + 1);
    return { kind: 'other', file, node: expression };
  }

  /** What the local binding `name` of `file` is: a class declared there, or an import. */
  #resolveLocal(file: string, name: string, depth: number): Ref | undefined {
    const ts = this.#ts;
    const source = this.#source(file);
    if (!source || depth > 16) return undefined;
    for (const statement of source.statements) {
      if (ts.isClassDeclaration(statement) && statement.name?.text === name) {
        return { kind: 'class', file, node: statement, name };
      }
      if (ts.isVariableStatement(statement)) {
        for (const declaration of statement.declarationList.declarations) {
          if (ts.isIdentifier(declaration.name) && declaration.name.text === name) {
            return this.#resolveValue(file, declaration.initializer, name, depth);
          }
        }
      }
      if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
        const clause = statement.importClause;
        if (!clause || clause.isTypeOnly) continue;
        const specifier = statement.moduleSpecifier.text;
        let imported: string | undefined;
        if (clause.name?.text === name) imported = 'default';
        const bindings = clause.namedBindings;
        if (bindings && ts.isNamedImports(bindings)) {
          for (const element of bindings.elements) {
            if (element.name.text === name) imported = element.propertyName?.text ?? element.name.text;
          }
        }
        if (bindings && ts.isNamespaceImport(bindings) && bindings.name.text === name) {
          return { kind: 'external', specifier, imported: '*' };
        }
        if (imported === undefined) continue;
        const target = this.#resolveModule(file, specifier);
        return target ? this.#resolveExport(target, imported, depth + 1) : { kind: 'external', specifier, imported };
      }
    }
    return undefined;
  }

  /** Whether a class extends Tracker, following `extends` through imports. */
  #extendsTracker(ref: ClassRef, depth: number): Verdict {
    const ts = this.#ts;
    if (this.#isTrackerBase(ref)) return { kind: 'yes' };
    if (depth > 16) return { kind: 'unknown', reason: 'the chain of base classes is too deep to follow' };
    const heritage = ref.node.heritageClauses?.find((clause) => clause.token === ts.SyntaxKind.ExtendsKeyword);
    const base = heritage?.types[0]?.expression;
    if (!base) return { kind: 'no', reason: `${ref.name} has no base class` };
    let baseRef: Ref | undefined;
    if (ts.isIdentifier(base)) {
      baseRef = this.#resolveLocal(ref.file, base.text, depth);
    } else if (ts.isPropertyAccessExpression(base) && ts.isIdentifier(base.expression)) {
      const namespace = this.#resolveLocal(ref.file, base.expression.text, depth);
      if (namespace?.kind === 'external' && namespace.imported === '*') {
        baseRef = { kind: 'external', specifier: namespace.specifier, imported: base.name.text };
      }
    }
    const written = base.getText(this.#source(ref.file)!);
    if (!baseRef)
      return { kind: 'unknown', reason: `it extends \`${written}\`, which is not a class gymnos can follow` };
    if (baseRef.kind === 'external') {
      if (baseRef.specifier === 'gymnos' && baseRef.imported === 'Tracker') return { kind: 'yes' };
      return { kind: 'unknown', reason: `it extends \`${written}\` from the package '${baseRef.specifier}'` };
    }
    if (baseRef.kind === 'other') return { kind: 'no', reason: `it extends \`${written}\`, which is not a class` };
    const verdict = this.#extendsTracker(baseRef, depth + 1);
    return verdict.kind === 'no' ? { kind: 'no', reason: `${written} does not extend Tracker` } : verdict;
  }

  /** gymnos's own base class, when linting the gymnos repository. */
  #isTrackerBase(ref: ClassRef): boolean {
    return this.#input.isGymnosRepository && ref.file === 'src/trackers/tracker.ts' && ref.name === 'Tracker';
  }
}

function isExported(ts: typeof TS, node: TS.Node): boolean {
  return (ts.getCombinedModifierFlags(node as TS.Declaration) & ts.ModifierFlags.Export) !== 0;
}
