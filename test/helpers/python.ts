/**
 * The python that runs the independent readers (TensorBoard's EventAccumulator, pandas, the csv module):
 * GYMNOS_PYTHON if set, else the `.venv-test` that `npm run test:python` (and CI) installs, else python3.
 * Tests that need a module it lacks skip with a line saying how to install it (fail in CI: prerequisite.ts).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './project.js';

const VENV_PYTHON = path.join(REPO, '.venv-test', 'bin', 'python');

export const PYTHON: string = process.env.GYMNOS_PYTHON ?? (existsSync(VENV_PYTHON) ? VENV_PYTHON : 'python3');

/** How to get the modules the skipped checks need. */
export const PYTHON_HINT = 'run `npm run test:python` (or set GYMNOS_PYTHON to a python that has it)';
