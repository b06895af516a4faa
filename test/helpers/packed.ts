/**
 * For the end-to-end tests that use gymnos as a user gets it: `npm pack` of this repository, installed into
 * fresh npm projects outside it, every command run as a user's shell runs it.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { runChildSync } from './children.js';
import { REPO } from './project.js';
import type { RunResult } from './project.js';

/** npm installs from the registry (its cache first); generous, for a slow network or a cold cache. */
export const STEP_TIMEOUT_MS = 5 * 60_000;
export const NPM_FLAGS = ['--no-audit', '--no-fund', '--prefer-offline'];

/**
 * The environment of a user's shell: without what the enclosing `npm test` and `node --test` set, which would
 * point the nested npm at this repository or make a nested test runner talk to ours.
 */
export function userEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of Object.keys(env)) if (/^(npm_package_|npm_lifecycle_)/.test(key)) delete env[key];
  // Nor CI's: under CI=true pnpm and Yarn install only from a frozen lockfile, which a new project has not got.
  for (const key of [
    'npm_config_local_prefix',
    'npm_command',
    'npm_config_call',
    'INIT_CWD',
    'NODE_TEST_CONTEXT',
    'CI',
    'GITHUB_ACTIONS',
  ]) {
    delete env[key];
  }
  return env;
}

export function exec(command: string, args: string[], cwd: string): RunResult {
  const result = runChildSync(command, args, { cwd, env: userEnvironment(), timeout: STEP_TIMEOUT_MS });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export function assertSucceeded(result: RunResult, what: string): RunResult {
  assert.equal(result.status, 0, `${what} exited ${result.status}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

/**
 * `npm pack` of this repository into `destination`: the tarball's path and the files it holds. With
 * --ignore-scripts it packs the dist/ already built: `prepack` would rebuild it under the other test files
 * running meanwhile.
 */
export function packRepository(destination: string): { tarball: string; files: string[] } {
  const pack = assertSucceeded(
    exec('npm', ['pack', REPO, '--ignore-scripts', '--json', '--pack-destination', destination], destination),
    'npm pack',
  );
  const [packed] = JSON.parse(pack.stdout) as { filename: string; files: { path: string }[] }[];
  return { tarball: path.join(destination, packed!.filename), files: packed!.files.map((file) => file.path) };
}

/**
 * The steps of a walk-through, run in order: after one fails, the rest are skipped rather than failing in its
 * wake, for a reason that is not theirs.
 */
export function walkThrough(): (name: string, body: () => void) => void {
  let failed: string | undefined;
  return (name, body) =>
    test(name, (t) => {
      if (failed) return t.skip(`"${failed}" failed`);
      try {
        body();
      } catch (error) {
        failed = name;
        throw error;
      }
    });
}
