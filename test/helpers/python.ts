/**
 * The python that runs the independent readers (TensorBoard's EventAccumulator, pandas, the csv module):
 * GYMNOS_PYTHON if set, else the `.venv-test` that `npm run test:python` (and CI) installs, else python3.
 * Tests that need a module it lacks skip with a line saying how to install it (fail in CI: prerequisite.ts).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { runChildSync } from './children.js';
import { REPO } from './project.js';

const VENV_PYTHON = path.join(REPO, '.venv-test', 'bin', 'python');

export const PYTHON: string = process.env.GYMNOS_PYTHON ?? (existsSync(VENV_PYTHON) ? VENV_PYTHON : 'python3');

/** How to get the modules the skipped checks need. */
export const PYTHON_HINT = 'run `npm run test:python` (or set GYMNOS_PYTHON to a python that has it)';

/**
 * Why PYTHON cannot import `module`, or undefined when it can. It finds the module without importing it: importing
 * tensorboard costs the best part of a second, which the check that reads with it pays once already.
 */
export function missingPythonModule(module: string): string | undefined {
  const found = `importlib.util.find_spec(${JSON.stringify(module)})`;
  const program = `import importlib.util, sys\nsys.exit(0 if ${found} else 3)`;
  const probe = runChildSync(PYTHON, ['-c', program]);
  if (probe.status === 0) return undefined;
  if (probe.status === 3) return `${module} is not installed for ${PYTHON}`;
  const why = probe.error?.message || probe.stderr.trim().split('\n').pop() || `exit ${probe.status}`;
  return `${PYTHON} cannot look for ${module}: ${why.slice(0, 200)}`;
}
