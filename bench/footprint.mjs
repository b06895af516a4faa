#!/usr/bin/env node
// The runtime footprint: `npm pack` of this checkout (its dist/ as built), installed with `npm install --omit=dev`
// into a fresh npm project, as a training image that only loads trackers would install it. Prints the packages
// (`npm ls --omit=dev --all --parseable`) and the disk usage of node_modules (`du -sk`). test/e2e/footprint.test.ts
// holds it to 15 packages and 10 MB; this prints the figures for bench/README.md.
//   npm run build && node bench/footprint.mjs
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(path.join(os.tmpdir(), 'gymnos-footprint-'));
const run = (command, args, cwd) =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
try {
  const [{ filename }] = JSON.parse(
    run('npm', ['pack', root, '--ignore-scripts', '--json', '--pack-destination', work], work),
  );
  const project = path.join(work, 'image');
  mkdirSync(project);
  run('npm', ['init', '-y'], project);
  run(
    'npm',
    ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', path.join(work, filename)],
    project,
  );
  const packages = run('npm', ['ls', '--omit=dev', '--all', '--parseable'], project)
    .trim()
    .split('\n')
    .slice(1)
    .map((dir) => path.relative(path.join(project, 'node_modules'), dir));
  const kilobytes = Number(run('du', ['-sk', path.join(project, 'node_modules')], project).split('\t')[0]);
  console.log(`${packages.length} packages, ${(kilobytes / 1024).toFixed(1)} MiB (du -sk node_modules)`);
  for (const name of packages.sort()) console.log(`  ${name}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
