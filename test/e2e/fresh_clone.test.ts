/**
 * `npm pack` on a fresh checkout, before any `npm ci`: the prepack script builds dist/, installing the build
 * tools from the lockfile first. The checkout is a git clone of this repository at HEAD (what a user gets from
 * `git clone`), so only committed files take part; the tarball is read back with tar.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { assertSucceeded, exec } from '../helpers/packed.js';
import { REPO } from '../helpers/project.js';

describe('npm pack on a fresh clone', { timeout: 10 * 60_000 }, () => {
  let work: string | undefined;

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('builds dist/ without npm ci first, and the tarball holds it', (t) => {
    const head = exec('git', ['rev-parse', 'HEAD'], REPO);
    if (head.status !== 0) return t.skip('not a git checkout');
    work = mkdtempSync(path.join(os.tmpdir(), 'gymnos-clone-'));
    const checkout = path.join(work, 'gymnos');
    assertSucceeded(exec('git', ['clone', '--quiet', '--no-checkout', REPO, checkout], work), 'git clone');
    assertSucceeded(exec('git', ['checkout', '--quiet', '--detach', head.stdout.trim()], checkout), 'git checkout');
    assert.ok(!existsSync(path.join(checkout, 'node_modules')) && !existsSync(path.join(checkout, 'dist')));

    const pack = assertSucceeded(exec('npm', ['pack'], checkout), 'npm pack');
    const tarball = path.join(checkout, pack.stdout.trim().split('\n').at(-1)!);
    const files = new Set(
      assertSucceeded(exec('tar', ['-tzf', tarball], work), 'tar -tzf')
        .stdout.trim()
        .split('\n')
        .map((file) => file.replace(/^package\//, '')),
    );
    for (const file of [
      'bin/gymnos.js',
      'bin/package.json',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli-bundle/main.cjs',
      'dist/cli-bundle/lint.js',
      'dist/cli-bundle/vendor/handlebars.js',
      'dist/templates.precompiled.cjs',
      'dist/vendor/uplot/uPlot.iife.min.js',
      'var/trackers.json',
    ]) {
      assert.ok(files.has(file), `the tarball holds ${file}`);
    }
    assert.ok(![...files].some((file) => /^(src|test|node_modules)\//.test(file)), 'no sources, tests or modules');
  });
});
