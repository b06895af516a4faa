/**
 * pnpm and Yarn for the end-to-end journeys: the real tools, installed from the npm registry as npm packages
 * (corepack, which would otherwise fetch them, may not reach its own download host) into
 * node_modules/.cache/gymnos-e2e-tools/<name>@<version>, once per checkout. Each is run as `node <its entry>`.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { assertSucceeded, exec, NPM_FLAGS } from './packed.js';
import { REPO } from './project.js';

export interface ManagerTool {
  name: 'pnpm' | 'yarn';
  /** The npm package that ships it, and the version the journeys run (pnpm 9 or 10, Yarn 4). */
  package: string;
  version: string;
  /** Its entry, relative to the package. */
  entry: string;
}

export const PNPM: ManagerTool = { name: 'pnpm', package: 'pnpm', version: '10.34.9', entry: 'bin/pnpm.cjs' };
export const YARN: ManagerTool = {
  name: 'yarn',
  package: '@yarnpkg/cli-dist',
  version: '4.18.1',
  entry: 'bin/yarn.js',
};

const TOOLS = path.join(REPO, 'node_modules', '.cache', 'gymnos-e2e-tools');

/** The tool's entry (to run with `node`), installed first if it is not yet. */
export function installManager(tool: ManagerTool): string {
  const prefix = path.join(TOOLS, `${tool.name}@${tool.version}`);
  const entry = path.join(prefix, 'node_modules', tool.package, tool.entry);
  if (!existsSync(entry)) {
    mkdirSync(prefix, { recursive: true });
    const spec = `${tool.package}@${tool.version}`;
    assertSucceeded(exec('npm', ['install', '--prefix', prefix, spec, ...NPM_FLAGS], prefix), `npm install ${spec}`);
  }
  return entry;
}

/** The npm registry npm is set to use (a mirror where there is one), for Yarn, which has its own default. */
export function npmRegistry(cwd: string): string {
  return assertSucceeded(exec('npm', ['config', 'get', 'registry'], cwd), 'npm config get registry').stdout.trim();
}
