/**
 * The project's package manager, and the commands a hint names in it: what is `npx gymnos lint` in an npm project
 * is `pnpm exec gymnos lint` in a pnpm one and `yarn gymnos lint` in a Yarn one, `npm run build` is
 * `pnpm run build` and `yarn build`. Detected from what the project says, nearest first from its root up (a
 * monorepo's workspace root): package.json's `packageManager` field, else its lockfile; else from the manager
 * running this process (`npm_config_user_agent`, which npm, pnpm, Yarn and Bun set for the scripts and binaries they
 * run, so `pnpm exec gymnos init` in a project not installed yet still says pnpm); else npm.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export type PackageManagerName = 'npm' | 'pnpm' | 'yarn' | 'bun';

export interface PackageManager {
  name: PackageManagerName;
  /** Runs a binary the project installed, with its arguments: `npx gymnos lint --fix`. */
  exec(command: string): string;
  /** Runs a package.json script, with arguments for it: `npm test`, `npm run test:tracker -- my_tracker`. */
  run(script: string, args?: string): string;
  /** Installs what package.json lists: `npm install`. */
  install: string;
  /** Adds packages to the dependencies, or with `dev` to the devDependencies: `npm install -D tsx`. */
  add(packages: string, options?: { dev?: boolean }): string;
}

const LOCKFILES: ReadonlyArray<[file: string, name: PackageManagerName]> = [
  ['pnpm-lock.yaml', 'pnpm'],
  ['yarn.lock', 'yarn'],
  ['bun.lock', 'bun'],
  ['bun.lockb', 'bun'],
  ['package-lock.json', 'npm'],
  ['npm-shrinkwrap.json', 'npm'],
];

const MANAGERS: Record<PackageManagerName, PackageManager> = {
  npm: {
    name: 'npm',
    exec: (command) => `npx ${command}`,
    run: (script, args) => `${script === 'test' ? 'npm test' : `npm run ${script}`}${args ? ` -- ${args}` : ''}`,
    install: 'npm install',
    add: (packages, options) => `npm install ${options?.dev ? '-D ' : ''}${packages}`,
  },
  pnpm: {
    name: 'pnpm',
    exec: (command) => `pnpm exec ${command}`,
    run: (script, args) => `${script === 'test' ? 'pnpm test' : `pnpm run ${script}`}${args ? ` ${args}` : ''}`,
    install: 'pnpm install',
    add: (packages, options) => `pnpm add ${options?.dev ? '-D ' : ''}${packages}`,
  },
  yarn: {
    name: 'yarn',
    exec: (command) => `yarn ${command}`,
    run: (script, args) => `yarn ${script}${args ? ` ${args}` : ''}`,
    install: 'yarn install',
    add: (packages, options) => `yarn add ${options?.dev ? '-D ' : ''}${packages}`,
  },
  bun: {
    name: 'bun',
    exec: (command) => `bunx ${command}`,
    run: (script, args) => `bun run ${script}${args ? ` ${args}` : ''}`,
    install: 'bun install',
    add: (packages, options) => `bun add ${options?.dev ? '-d ' : ''}${packages}`,
  },
};

/** The manager a `packageManager` field (`pnpm@10.4.1`, `yarn@4.5.0+sha512...`) names, if one gymnos knows. */
function fromField(value: unknown): PackageManagerName | undefined {
  const name = typeof value === 'string' ? value.split('@')[0] : undefined;
  return name !== undefined && Object.hasOwn(MANAGERS, name) ? (name as PackageManagerName) : undefined;
}

/** The `packageManager` field of the package.json in `dir`, if it has one naming a manager gymnos knows. */
function declaredIn(dir: string): PackageManagerName | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(dir, 'package.json'), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES' || code === 'EISDIR') return undefined;
    throw error;
  }
  try {
    return fromField((JSON.parse(text) as { packageManager?: unknown } | null)?.packageManager);
  } catch (error) {
    if (error instanceof SyntaxError) return undefined; // an invalid package.json is reported where it is read
    throw error;
  }
}

/** The manager named by `npm_config_user_agent` (`pnpm/10.4.1 npm/? node/v20.19.0 linux x64`). */
function fromUserAgent(agent: string | undefined): PackageManagerName | undefined {
  return fromField(agent?.split(' ')[0]?.replace('/', '@'));
}

/** The package manager of the project at `root` (see the module comment). A few stats: nothing is cached. */
export function packageManagerOf(root: string, env: NodeJS.ProcessEnv = process.env): PackageManager {
  for (let dir = path.resolve(root); ; dir = path.dirname(dir)) {
    const name = declaredIn(dir) ?? LOCKFILES.find(([file]) => existsSync(path.join(dir, file)))?.[1];
    if (name) return MANAGERS[name];
    if (dir === path.dirname(dir)) break;
  }
  return MANAGERS[fromUserAgent(env.npm_config_user_agent) ?? 'npm'];
}

/** The project's `gymnos <args>` as its package manager runs it: `npx gymnos lint`, `pnpm exec gymnos lint`. */
export function gymnosCommand(root: string, args: string): string {
  return packageManagerOf(root).exec(`gymnos ${args}`);
}
