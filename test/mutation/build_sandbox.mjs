#!/usr/bin/env node
// The build command of a mutation run's sandbox (an area whose tests run the built CLI): Stryker runs it before it
// links the sandbox's node_modules to the repository's, and bin/build.mjs, finding no node_modules, would install
// every package afresh there (minutes, and a tree the tests were never run with). So: link them first, then build.
import { spawnSync } from 'node:child_process';
import { existsSync, symlinkSync } from 'node:fs';
import path from 'node:path';

const root = process.env.GYMNOS_MUTATION_ROOT;
if (!root) throw new Error('test/mutation/build_sandbox.mjs runs from test/mutation/run.mjs only');
const modules = path.join(process.cwd(), 'node_modules');
if (!existsSync(modules)) symlinkSync(path.join(root, 'node_modules'), modules, 'dir');
const build = spawnSync(process.execPath, ['bin/build.mjs'], { stdio: 'inherit' });
process.exit(build.status ?? 1);
