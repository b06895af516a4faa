/**
 * Plugin projects: someone else's npm project that depends on gymnos, as after `npm install gymnos tsx`.
 * node_modules/gymnos links to this repository (so 'gymnos' imports resolve to its dist/, as installed),
 * node_modules/tsx to its tsx (so `node --import tsx` works from the project), and typescript and @types/node to
 * its own, with `tsc` in node_modules/.bin (so the scripts `gymnos init` writes run), and @tensorflow/tfjs to its
 * own (for gymnos/tfjs).
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { emptyProject, REPO, run } from './project.js';
import type { RunResult } from './project.js';

/** A tracker module as a plugin author writes it, importing the base class from 'gymnos'. */
export function trackerSource(className: string): string {
  return `import { Tracker } from 'gymnos';\n\nexport class ${className} extends Tracker {}\n`;
}

/** The same compiled to JavaScript, as the project's build would put it in dist/. */
export function builtTrackerSource(className: string): string {
  return `import { Tracker } from 'gymnos';\nexport class ${className} extends Tracker {\n  built = true;\n}\n`;
}

/**
 * A plugin project with `files` (relative path -> content), a package.json and the node_modules links. `type` is
 * the package.json "type": an ES module package by default, or a CommonJS one (what `npm init -y` writes).
 */
export function pluginProject(files: Record<string, string> = {}, type: 'module' | 'commonjs' = 'module'): string {
  const root = emptyProject();
  const all = {
    'package.json': `${JSON.stringify({ name: 'my-plugins', version: '1.0.0', type }, null, 2)}\n`,
    ...files,
  };
  for (const [file, content] of Object.entries(all)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  mkdirSync(path.join(root, 'node_modules'), { recursive: true });
  symlinkSync(REPO, path.join(root, 'node_modules', 'gymnos'), 'dir');
  symlinkSync(path.join(REPO, 'node_modules', 'tsx'), path.join(root, 'node_modules', 'tsx'), 'dir');
  // What a training project installs for gymnos/tfjs (docs/tfjs.md's examples run in such a project).
  mkdirSync(path.join(root, 'node_modules', '@tensorflow'));
  symlinkSync(
    path.join(REPO, 'node_modules/@tensorflow/tfjs'),
    path.join(root, 'node_modules/@tensorflow/tfjs'),
    'dir',
  );
  symlinkSync(path.join(REPO, 'node_modules', 'typescript'), path.join(root, 'node_modules', 'typescript'), 'dir');
  mkdirSync(path.join(root, 'node_modules', '@types'));
  symlinkSync(path.join(REPO, 'node_modules/@types/node'), path.join(root, 'node_modules/@types/node'), 'dir');
  // What npm install puts in node_modules/.bin for the scripts init writes (`tsc -p tsconfig.build.json`).
  mkdirSync(path.join(root, 'node_modules', '.bin'));
  symlinkSync('../typescript/bin/tsc', path.join(root, 'node_modules', '.bin', 'tsc'));
  return root;
}

/** Runs an ES module script with node in `cwd`, with tsx as the loader or without any. */
export function runScript(script: string, cwd: string, options: { tsx: boolean }): RunResult {
  const loader = options.tsx ? ['--import', 'tsx'] : [];
  return run(process.execPath, [...loader, '--input-type=module', '-e', script], cwd);
}
