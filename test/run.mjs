#!/usr/bin/env node
// Runs the test suite on Node's built-in runner (node 20 has no glob support in --test): every
// *.test.ts under test/, or only the files/directories given as arguments, with tsx as the TS loader.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const flags = process.argv.slice(2).filter((arg) => arg.startsWith('--'));
const targets = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));

function collect(entry) {
  if (statSync(entry).isFile()) return [entry];
  return readdirSync(entry, { withFileTypes: true })
    .filter((dirent) => dirent.name !== 'fixtures' && dirent.name !== 'node_modules')
    .flatMap((dirent) => {
      const full = path.join(entry, dirent.name);
      if (dirent.isDirectory()) return collect(full);
      return dirent.name.endsWith('.test.ts') ? [full] : [];
    });
}

const files = (targets.length ? targets : [path.join(root, 'test')]).flatMap((target) => collect(target)).sort();
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...flags, ...files], {
  stdio: 'inherit',
  cwd: root,
});
process.exit(result.status ?? 1);
