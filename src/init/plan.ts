/**
 * `planInit`: every change `gymnos init` would make to an npm project, computed and checked in memory from the
 * files as they are, touching nothing. What exists already and is what init would write stays UNCHANGED; what
 * exists and differs is a conflict, never overwritten. The plan is what --dry-run and --json show, and what
 * `commitChanges` writes as one transaction.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import { GymnosError, isGymnosError } from '../errors.js';
import { TRAINING_PEERS } from '../util/author_tools.js';
import { gymnosCommand, packageManagerOf } from '../util/package_manager.js';
import { gymnosRoot, isGymnosRepository } from '../util/package_root.js';
import { parseRegistry, readRegistryText, REGISTRY_PATH, SCHEMA_KEY } from '../registry/registry.js';
import type { PlannedChange } from '../scaffold/plan.js';
import { dependsOn, objectSection, PACKAGE_JSON, parsePackageJson, setJsonValue } from './package_json.js';
import type { PackageJson } from './package_json.js';

const LINT_SCRIPT = 'gymnos lint';
const TEST_SCRIPT = 'gymnos test';
/** The script init adds when the project's `lint` runs something else: both then live side by side. */
const LINT_SIDE_SCRIPT = 'lint:gymnos';
const TSCONFIG = 'tsconfig.json';
const TSCONFIG_BUILD = 'tsconfig.build.json';
/** Added when absent; a project's own `build` or `typecheck` is kept as it is. */
const TYPESCRIPT_SCRIPTS: [string, string][] = [
  ['build', `tsc -p ${TSCONFIG_BUILD}`],
  ['typecheck', 'tsc --noEmit'],
];
const ESLINT_CONFIG_SOURCE = "export { default } from 'gymnos/eslint-config';\n";
/** Kept in git while it has no tracker yet; create-new adds the first one beside it. */
const TRACKERS_KEEP_FILE = 'src/trackers/.gitkeep';
/**
 * The tools a plugin project develops with, added to its devDependencies: gymnos's optional peer dependencies
 * (ESLint, its plugins and Prettier for gymnos lint; TypeScript to type-check, build and lint; tsx to run the
 * tests, as Node 20 cannot import .ts), and @types/node for the Node APIs the trackers use; not TensorFlow.js, a
 * training script's own dependency. They are never installed with gymnos itself, so that a production install of
 * a project that only loads trackers stays small.
 */
function devTools(manifest: GymnosManifest): string[] {
  const tools = Object.keys(manifest.peerDependencies ?? {}).filter((name) => !TRAINING_PEERS.includes(name));
  return ['@types/node', ...tools].sort((a, b) => a.localeCompare(b, 'en'));
}

interface GymnosManifest {
  peerDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** The flat-config names ESLint looks for; any of them is the project's ESLint config. */
const ESLINT_CONFIG_NAMES = ['js', 'mjs', 'cjs', 'ts', 'mts', 'cts'].map((extension) => `eslint.config.${extension}`);
const USES_GYMNOS_CONFIG = /(['"])gymnos\/eslint-config\1/;
const ESM_SYNTAX = /^\s*(?:import|export)[\s{*]/m;
/** npm's `npm init` placeholder, which counts as no test script. */
const NPM_PLACEHOLDER_TEST = /^echo\s+\\?["']?Error: no test specified\\?["']?\s*&&\s*exit 1$/;

export interface InitChange extends PlannedChange {
  /** For package.json: the keys set, as `scripts.lint`. */
  edits?: string[];
}

interface InitPlan {
  root: string;
  changes: InitChange[];
  warnings: string[];
  /** The ESLint config file init keeps (created, or already there). */
  eslintConfig: string;
  /** The npm script that runs gymnos lint: `lint`, or `lint:gymnos` beside the project's own `lint`. */
  lintScript: string;
  /** The devDependencies added to package.json (install them with `npm install`). */
  addedDevDependencies: string[];
  /** Nothing to change: every file is already as init would write it. */
  alreadyInitialized: boolean;
}

/** The end of a conflict's line: what to run once it is resolved, in the project's package manager. */
function runAgain(root: string): string {
  return `then run ${gymnosCommand(root, 'init')} again`;
}

/** A project file's text, or undefined when it does not exist; something else in its place is a conflict. */
function readFileIfPresent(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  if (!statSync(file).isFile()) {
    const shown = path.basename(file);
    throw new GymnosError(
      'NOT_A_FILE',
      `${file} is not a file, and gymnos init writes a file there; move it away, ${runAgain(path.dirname(file))}`,
      { kind: 'conflict', details: { file: shown } },
    );
  }
  return readFileSync(file, 'utf8');
}

function created(file: string, content: string): InitChange {
  return { action: 'create', path: file, content, before: undefined };
}

function unchanged(file: string, content: string): InitChange {
  return { action: 'unchanged', path: file, content, before: content };
}

/** The tools to add and their version ranges: those gymnos itself is developed and tested with. */
function devToolVersions(): [string, string][] {
  const manifest = JSON.parse(readFileSync(path.join(gymnosRoot(), 'package.json'), 'utf8')) as GymnosManifest;
  const versions = { ...manifest.peerDependencies, ...manifest.devDependencies };
  return devTools(manifest).map((tool) => {
    if (!versions[tool]) throw new Error(`gymnos's package.json lists no version of ${tool}`);
    return [tool, versions[tool]];
  });
}

/**
 * What a new registry's `"$schema"` names: the JSON Schema gymnos ships, where npm installs it, relative to the
 * registry (editors resolve it from the file), so that editors complete and check the registry.
 */
const REGISTRY_SCHEMA_REFERENCE = '../node_modules/gymnos/schema/trackers.schema.json';

/** var/trackers.json: created with no tracker yet (its schema named), or kept as is when it is a valid registry. */
function planRegistry(root: string): InitChange {
  const text = readRegistryText(path.join(root, REGISTRY_PATH));
  if (text === undefined) {
    return created(REGISTRY_PATH, `${JSON.stringify({ [SCHEMA_KEY]: REGISTRY_SCHEMA_REFERENCE }, null, 2)}\n`);
  }
  try {
    parseRegistry(text, REGISTRY_PATH);
  } catch (error) {
    if (!isGymnosError(error)) throw error;
    // An existing registry init would replace: a conflict, told in init's words.
    const { line, column, reason } = error.details as { line: number; column: number; reason: string };
    throw new GymnosError(
      error.code,
      `${REGISTRY_PATH}:${line}:${column}: ${reason}; fix or remove it, ${runAgain(root)}`,
      { kind: 'conflict', details: error.details, cause: error },
    );
  }
  return unchanged(REGISTRY_PATH, text);
}

/** src/trackers/: a keep file makes git track it while it is empty; an existing directory is left alone. */
function planTrackersDirectory(root: string): InitChange {
  const directory = path.dirname(TRACKERS_KEEP_FILE);
  if (existsSync(path.join(root, directory))) {
    if (!statSync(path.join(root, directory)).isDirectory()) {
      throw new GymnosError('FILE_IN_THE_WAY', `${directory} is a file; move it away, ${runAgain(root)}`, {
        kind: 'conflict',
        details: { file: directory },
      });
    }
    return { action: 'unchanged', path: `${directory}/`, content: '', before: '' };
  }
  return created(TRACKERS_KEEP_FILE, '');
}

/**
 * The ESLint config: a re-export of gymnos's. In a package without `"type": "module"` a `.js` file is
 * CommonJS, where the `export` statement is a syntax error, so the file is `eslint.config.mjs` there. A config
 * the author made that builds on gymnos's (imports 'gymnos/eslint-config') counts as set up.
 */
function planEslintConfig(root: string, isModule: boolean): InitChange {
  const present = ESLINT_CONFIG_NAMES.flatMap((name) => {
    const text = readFileIfPresent(path.join(root, name));
    return text === undefined ? [] : [{ name, text }];
  });
  if (present.length === 0) return created(isModule ? 'eslint.config.js' : 'eslint.config.mjs', ESLINT_CONFIG_SOURCE);
  for (const { name, text } of present) {
    const usesGymnos = USES_GYMNOS_CONFIG.test(text);
    const breaksAsCommonJs = name === 'eslint.config.js' && !isModule && ESM_SYNTAX.test(text);
    if (usesGymnos && !breaksAsCommonJs) continue;
    const problem = usesGymnos
      ? 'it is an ES module, but this package is not "type": "module", so Node loads it as CommonJS; ' +
        'rename it to eslint.config.mjs'
      : `extend gymnos's config in it (${extendSnippet(name, isModule)}) or remove it`;
    throw new GymnosError(
      'ESLINT_CONFIG_EXISTS',
      `${name} already exists${usesGymnos ? '' : ' with a config of its own'}; ${problem}, ${runAgain(root)}`,
      { kind: 'conflict', details: { file: name } },
    );
  }
  return unchanged(present[0]!.name, present[0]!.text);
}

/**
 * The tsconfig.json init writes: strict, NodeNext (so each file is the module type Node gives it), type-checking
 * src/ and test/ without emitting. In an ES module package it also sets verbatimModuleSyntax (what `tsc --init`
 * sets); in a CommonJS one it cannot (TS1295: the import statements of a .ts file compile to require() there),
 * and the generated code, which imports types with `import type`, compiles either way.
 */
export function tsconfigSource(isModule: boolean): string {
  const verbatim = isModule ? '\n    "verbatimModuleSyntax": true,' : '';
  return `{
  "compilerOptions": {
    "target": "es2022",
    "module": "nodenext",
    "moduleResolution": "nodenext",${verbatim}
    "isolatedModules": true,
    "strict": true,
    "noUncheckedIndexedAccess": true,
    "skipLibCheck": true,
    "types": ["node"],
    "noEmit": true
  },
  "include": ["src", "test"]
}
`;
}

/** The build's tsconfig: src/ compiled to dist/, where load() finds a tracker without a TypeScript loader. */
const TSCONFIG_BUILD_SOURCE = `{
  "extends": "./${TSCONFIG}",
  "compilerOptions": {
    "noEmit": false,
    "rootDir": "src",
    "outDir": "dist",
    "declaration": true,
    "sourceMap": true
  },
  "include": ["src"]
}
`;

/**
 * tsconfig.json and tsconfig.build.json, created when absent. The project's own are kept as they are (a
 * TypeScript config is the author's), with a notice when one cannot compile the generated code.
 */
function planTsconfigs(root: string, isModule: boolean, warnings: string[]): InitChange[] {
  const changes: InitChange[] = [];
  for (const [file, source] of [
    [TSCONFIG, tsconfigSource(isModule)],
    [TSCONFIG_BUILD, TSCONFIG_BUILD_SOURCE],
  ] as const) {
    const text = readFileIfPresent(path.join(root, file));
    if (text === undefined) {
      changes.push(created(file, source));
      continue;
    }
    changes.push(unchanged(file, text));
    const options = (parseJsonc(text) as { compilerOptions?: Record<string, unknown> } | undefined)?.compilerOptions;
    if (file === TSCONFIG && !isModule && options?.verbatimModuleSyntax === true) {
      warnings.push(
        `${TSCONFIG} sets "verbatimModuleSyntax": true, which a CommonJS package cannot compile import statements ` +
          'under (TS1295); remove it, or make the package "type": "module"',
      );
    }
  }
  return changes;
}

/**
 * The one-line edit that builds a project's own flat config on gymnos's: the project's blocks first, gymnos's
 * after them. A project's config is mostly presets (`js.configs.recommended`, typescript-eslint's `recommended` or
 * `strict`), which after gymnos's block would turn its settings back to theirs: `no-unused-vars` without gymnos's
 * `_name` exception, so create-new's stubs, whose hooks take parameters they do not use yet, would not lint clean.
 * A rule of the project's that must win over gymnos's goes in a block after it (docs/plugin-project.md).
 */
function extendSnippet(file: string, isModule: boolean): string {
  const commonJs = file.endsWith('.cjs') || file.endsWith('.cts') || (file.endsWith('.js') && !isModule);
  return commonJs
    ? "const gymnos = require('gymnos/eslint-config').default; module.exports = [...yourConfig, ...gymnos];"
    : "import gymnos from 'gymnos/eslint-config'; export default [...yourConfig, ...gymnos];";
}

/** True when a script runs the gymnos command (`gymnos lint`), with options of the author's or not. */
function runsGymnosCommand(script: string, command: string): boolean {
  return new RegExp(`^(?:npx\\s+)?${command.replace(' ', '\\s+')}(?:\\s|$)`).test(script.trim());
}

function usesLintSideScript(pkg: PackageJson): boolean {
  const scripts = objectSection(pkg, 'scripts') ?? {};
  const [lint, side] = [scripts.lint, scripts[LINT_SIDE_SCRIPT]];
  return !(typeof lint === 'string' && runsGymnosCommand(lint, LINT_SCRIPT)) && typeof side === 'string';
}

/** The `lint` and `test` scripts and the missing dev tools, as structured edits of package.json. */
function planPackageJson(root: string, pkg: PackageJson, addedDevDependencies: string[]): InitChange {
  const scripts = objectSection(pkg, 'scripts') ?? {};
  objectSection(pkg, 'devDependencies'); // checks it is an object before an edit goes into it
  const edits: string[] = [];
  let text = pkg.text;
  const wantedScripts: [string, string][] = [
    ['lint', LINT_SCRIPT],
    ['test', TEST_SCRIPT],
  ];
  for (const [script, command] of wantedScripts) {
    const current = scripts[script];
    if (typeof current === 'string' && runsGymnosCommand(current, command)) continue;
    // The project's own linter keeps `lint`; gymnos's beside it is the merge path.
    const side = scripts[LINT_SIDE_SCRIPT];
    if (script === 'lint' && typeof side === 'string' && runsGymnosCommand(side, command)) continue;
    const isPlaceholder = script === 'test' && typeof current === 'string' && NPM_PLACEHOLDER_TEST.test(current.trim());
    if (current !== undefined && !isPlaceholder) {
      const merge =
        script === 'lint'
          ? `change it to "${command}", or keep it and add "${LINT_SIDE_SCRIPT}": "${command}" beside it`
          : `change it to "${command}" or remove it`;
      throw new GymnosError(
        'SCRIPT_EXISTS',
        `${PACKAGE_JSON} already has a "${script}" script (${JSON.stringify(current)}); ${merge}, ${runAgain(root)}`,
        { kind: 'conflict', details: { file: PACKAGE_JSON, script, current } },
      );
    }
    text = setJsonValue(text, ['scripts', script], command);
    edits.push(`scripts.${script}`);
  }
  for (const [script, command] of TYPESCRIPT_SCRIPTS) {
    if (scripts[script] !== undefined) continue;
    text = setJsonValue(text, ['scripts', script], command);
    edits.push(`scripts.${script}`);
  }
  for (const [tool, version] of devToolVersions()) {
    if (dependsOn(pkg, tool)) continue;
    text = setJsonValue(text, ['devDependencies', tool], version);
    edits.push(`devDependencies.${tool}`);
    addedDevDependencies.push(tool);
  }
  if (edits.length === 0) return unchanged(PACKAGE_JSON, pkg.text);
  return { action: 'update', path: PACKAGE_JSON, content: text, before: pkg.text, edits };
}

/** Plans `gymnos init` in the npm project at `root`. Throws a GymnosError (usage or conflict) on a problem. */
export function planInit(root: string): InitPlan {
  if (isGymnosRepository(root)) {
    throw new GymnosError(
      'GYMNOS_REPOSITORY',
      `${root} is the gymnos repository itself, which needs no init; ` +
        `run ${gymnosCommand(root, 'init')} in a project that depends on gymnos`,
    );
  }
  const text = readFileIfPresent(path.join(root, PACKAGE_JSON));
  if (text === undefined) {
    const init = `${packageManagerOf(root).name} init`;
    throw new GymnosError('NO_PROJECT', `no ${PACKAGE_JSON} in ${root}; run ${init} first`, {
      details: { path: root },
    });
  }
  const pkg = parsePackageJson(text);
  const isModule = pkg.manifest.type === 'module';
  const warnings: string[] = [];
  const addedDevDependencies: string[] = [];
  const packageChange = planPackageJson(root, pkg, addedDevDependencies);
  const registryChange = planRegistry(root);
  const eslintChange = planEslintConfig(root, isModule);
  const changes = [
    registryChange,
    planTrackersDirectory(root),
    eslintChange,
    ...planTsconfigs(root, isModule, warnings),
    packageChange,
  ];

  if (eslintChange.action === 'create' && !isModule) {
    warnings.push(`${PACKAGE_JSON} has no "type": "module", so the ESLint config is ${eslintChange.path}`);
  }
  if (!dependsOn(pkg, 'gymnos')) {
    warnings.push(
      `gymnos is not in ${PACKAGE_JSON}'s dependencies; install it in this project ` +
        `(${packageManagerOf(root).add('gymnos')}) ` +
        'so that the scripts and the ESLint config find it',
    );
  }
  return {
    root,
    changes,
    warnings,
    eslintConfig: eslintChange.path,
    lintScript: usesLintSideScript(pkg) ? LINT_SIDE_SCRIPT : 'lint',
    addedDevDependencies,
    alreadyInitialized: changes.every((change) => change.action === 'unchanged'),
  };
}
