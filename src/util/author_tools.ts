/**
 * The author's tools (ESLint and its plugins, Prettier, TypeScript, tsx) are gymnos's optional peer dependencies:
 * installed in the project as devDependencies (`gymnos init` adds them), never with gymnos, so that a training
 * image which only loads trackers installs none of them. A command that needs some checks for them first: a
 * missing one is one line naming the npm command that installs it, not a module-not-found stack.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GymnosError } from '../errors.js';
import { packageManagerOf } from './package_manager.js';
import { gymnosRoot } from './package_root.js';

/** What `gymnos lint` loads: ESLint with gymnos's config (its plugins and globals), Prettier, and TypeScript. */
export const LINT_TOOLS = [
  'eslint',
  '@eslint/js',
  'typescript-eslint',
  '@stylistic/eslint-plugin',
  'eslint-config-prettier',
  'globals',
  'prettier',
  'typescript',
] as const;

/**
 * gymnos's optional peers that are not author tools: what a training script brings itself (TensorFlow.js, for
 * `gymnos/tfjs`). `gymnos init` never adds them to a plugin project.
 */
export const TRAINING_PEERS: readonly string[] = ['@tensorflow/tfjs'];

/**
 * True when `name` is installed where gymnos's own imports find it: a node_modules directory at or above this
 * module's real location (the lookup Node does for a bare `import('eslint')` from gymnos's code). Under Yarn
 * Plug'n'Play, which has no node_modules, its resolver is asked instead.
 */
export function isToolInstalled(name: string): boolean {
  if (process.versions.pnp) return resolvesUnderPlugAndPlay(name);
  const here = realpathSync(path.dirname(fileURLToPath(import.meta.url)));
  for (let dir = here; ; dir = path.dirname(dir)) {
    if (path.basename(dir) !== 'node_modules' && existsSync(path.join(dir, 'node_modules', name, 'package.json'))) {
      return true;
    }
    if (path.dirname(dir) === dir) return false;
  }
}

/** Whether Yarn Plug'n'Play's resolver (which Node's require goes through under it) finds `name` from gymnos. */
function resolvesUnderPlugAndPlay(name: string): boolean {
  try {
    createRequire(import.meta.url).resolve(`${name}/package.json`);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') return true; // there, without its package.json exported
    if (code === 'MODULE_NOT_FOUND') return false;
    throw error;
  }
}

/**
 * The version range of each author tool to install: the one gymnos is developed and tested with (its
 * devDependencies, which `gymnos init` writes too), else the range it accepts (its peerDependencies).
 */
function authorToolRanges(): Record<string, string> {
  const manifest = JSON.parse(readFileSync(path.join(gymnosRoot(), 'package.json'), 'utf8')) as {
    peerDependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  return { ...manifest.peerDependencies, ...manifest.devDependencies };
}

/**
 * The project's package manager's command adding the tools to its devDependencies (`npm install -D`,
 * `pnpm add -D`, `yarn add -D`), each at its range, quoted for a POSIX shell where the range needs it.
 */
function installCommand(root: string, tools: readonly string[]): string {
  const ranges = authorToolRanges();
  const quoted = (word: string) => (/^[\w@/.^~=-]+$/.test(word) ? word : `'${word}'`);
  const packages = tools.map((tool) => quoted(ranges[tool] ? `${tool}@${ranges[tool]}` : tool)).join(' ');
  return packageManagerOf(root).add(packages, { dev: true });
}

/** True when the project at `root` lists `tool` in its dependencies or devDependencies. */
function projectLists(root: string, tool: string): boolean {
  try {
    const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
    return ['dependencies', 'devDependencies', 'optionalDependencies'].some((section) =>
      Object.hasOwn((manifest[section] as object | undefined) ?? {}, tool),
    );
  } catch {
    return false;
  }
}

/**
 * Throws a usage error (exit 2) naming the tools of `tools` that are not installed, and the command of the
 * project's package manager that installs them: `npm install` when the project's package.json lists them already
 * (as `gymnos init` does), else `npm install -D` of each (`pnpm install`, `pnpm add -D` in a pnpm project...).
 * `command` is what the user ran (`gymnos lint`), `purpose` what the tools are for.
 */
export function requireAuthorTools(root: string, command: string, tools: readonly string[], purpose?: string): void {
  const missing = tools.filter((tool) => !isToolInstalled(tool));
  if (missing.length === 0) return;
  const names = missing.length === 1 ? missing[0] : `${missing.slice(0, -1).join(', ')} and ${missing.at(-1)}`;
  const listed = missing.every((tool) => projectLists(root, tool));
  const [where, install] = listed
    ? ['listed in package.json but not installed', packageManagerOf(root).install]
    : ['not installed in this project', installCommand(root, missing)];
  throw new GymnosError(
    'TOOLS_MISSING',
    `${command} needs ${names}${purpose ? ` ${purpose}` : ''}, ${where}: ${install}`,
    { details: { missing } },
  );
}
