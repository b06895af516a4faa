#!/usr/bin/env node
// Builds dist/ (bin/build.mjs) unless it was built from exactly the sources there are now: `npm ci` builds (the
// postprepare script), `npm pack` too (prepack), and `npm test` right after need not build the same thing again.
// Not `prepare`: npm lists a tarball's prepare among the install scripts a user must approve, and warns about it
// (`npm warn install-scripts ... (prepare: ...)`) in every project that installs gymnos from a tarball; npm ci and
// npm install run postprepare in this checkout, and never in a project that installs the tarball. The record is a
// hash of every input's path and content, written to dist/.build-inputs after a build.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const record = path.join(root, 'dist', '.build-inputs');
const INPUTS = ['src', 'templates', 'bin/build.mjs', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];

function files(entry) {
  const full = path.join(root, entry);
  if (!existsSync(full)) return [];
  if (!statSync(full).isDirectory()) return [entry];
  return readdirSync(full, { withFileTypes: true, recursive: true })
    .filter((dirent) => dirent.isFile())
    .map((dirent) => path.relative(root, path.join(dirent.parentPath, dirent.name)));
}

function inputsHash() {
  const hash = createHash('sha256');
  // The lockfile says which compiler and bundler versions built it.
  for (const file of [...INPUTS.flatMap(files), 'package-lock.json'].sort()) {
    hash.update(file).update('\0');
    if (existsSync(path.join(root, file))) hash.update(readFileSync(path.join(root, file)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/**
 * One build at a time in a checkout: the e2e tier's tests run `npm pack` (prepack) side by side, and two builds at
 * once tear dist/ (one's post-processing read the other's output and doubled it). A lock directory beside dist/,
 * taken over when older than a build can take (its holder was killed).
 */
const lock = path.join(root, '.build.lock');
const STALE_MS = 10 * 60_000;
function acquire() {
  for (;;) {
    try {
      mkdirSync(lock);
      return;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
    if (age > STALE_MS) rmSync(lock, { recursive: true, force: true });
    else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
  }
}

acquire();
try {
  const wanted = inputsHash();
  const built = existsSync(path.join(root, 'dist', 'cli-bundle', 'main.cjs')) && existsSync(record);
  if (built && readFileSync(record, 'utf8').trim() === wanted) {
    console.log('dist/ is up to date with the sources: not rebuilt (npm run build forces a build)');
  } else {
    execFileSync(process.execPath, [path.join(root, 'bin', 'build.mjs')], { stdio: 'inherit' });
    writeFileSync(record, `${wanted}\n`);
  }
} finally {
  rmSync(lock, { recursive: true, force: true });
}
