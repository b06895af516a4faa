/**
 * The rules that keep the suite from hanging, checked over its files: test code starts child processes only
 * through test/helpers/children.ts (each bounded by a timeout, or killed when its test ends), and test/run.mjs
 * runs every process with the per-test timeouts of test/loader/timeouts.mjs and a limit of its own.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runChildSync } from './helpers/children.js';
import { REPO } from './helpers/project.js';

const TEST = path.join(REPO, 'test');
const CHILDREN = path.join(TEST, 'helpers', 'children.ts');

/** The code of the suite's processes: test files and their helpers (not fixtures, which are the children). */
function suiteFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : suiteFiles(full);
    return /\.(ts|mts|mjs)$/.test(entry.name) ? [full] : [];
  });
}

/** The functions of node:child_process a file imports (statically or with import()), but types. */
function childProcessImports(source: string): string[] {
  const imports = source.matchAll(
    new RegExp(
      String.raw`import\s*(?!type\b)\{([^}]*)\}\s*from\s*'node:child_process'|` +
        String.raw`\{([^}]*)\}\s*=\s*await import\('node:child_process'\)`,
      'g',
    ),
  );
  return [...imports].flatMap((match) =>
    (match[1] ?? match[2]!)
      .split(',')
      .map((name) => name.trim().replace(/^type\s+/, ''))
      .filter((name) => name !== '' && !/^[A-Z]/.test(name)),
  );
}

/** test/mutation/run.mjs starts Stryker; build_sandbox.mjs, the build Stryker runs in a sandbox, starts the build. */
const MUTATION_RUNNERS = ['run.mjs', 'build_sandbox.mjs'].map((name) => path.join(TEST, 'mutation', name));

test('test code starts children only through helpers/children.ts (a timeout, or killed with its test)', () => {
  const offenders = suiteFiles(TEST)
    // The runners start the test processes (test/run.mjs) or Stryker (test/mutation/) in the foreground.
    .filter((file) => file !== CHILDREN && file !== path.join(TEST, 'run.mjs') && !MUTATION_RUNNERS.includes(file))
    .map((file) => ({ file: path.relative(REPO, file), names: childProcessImports(readFileSync(file, 'utf8')) }))
    .filter(({ names }) => names.length > 0)
    .map(({ file, names }) => `${file}: ${names.join(', ')}`);
  assert.deepEqual(offenders, [], 'use runChildSync or spawnInTest from test/helpers/children.ts');
  // The check can fail: it finds what it looks for (the module's name split, so this file is not an offender).
  const module = `'node:${'child_process'}'`;
  assert.deepEqual(childProcessImports(`import { spawn, spawnSync } from ${module};`), ['spawn', 'spawnSync']);
  assert.deepEqual(childProcessImports(`const { execFileSync } = await import(${module});`), ['execFileSync']);
  assert.deepEqual(childProcessImports(`import type { ChildProcess } from ${module};`), []);
});

test("a test process's colour settings are not the terminal's or the shell's (FORCE_COLOR, NO_COLOR)", () => {
  // Node's runner sets FORCE_COLOR=1 for its test processes when it prints to a colour terminal, as a shell may:
  // the commands tests run then printed colour codes where the tests read plain text.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gymnos-suite-colour-'));
  try {
    const file = path.join(dir, 'colour.test.mjs');
    writeFileSync(
      file,
      "import assert from 'node:assert/strict';\nimport { test } from 'node:test';\n" +
        "test('no colour setting', () =>\n" +
        '  assert.deepEqual([process.env.FORCE_COLOR, process.env.NO_COLOR], [undefined, undefined]));\n',
    );
    const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '1', NO_COLOR: '1' };
    delete env.NODE_TEST_CONTEXT; // the nested runner reports for itself
    const result = runChildSync(process.execPath, [path.join(TEST, 'run.mjs'), file], { cwd: REPO, env });
    assert.equal(result.status, 0, result.stdout + result.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('test/run.mjs gives every test a timeout and every process a limit', () => {
  const runner = readFileSync(path.join(TEST, 'run.mjs'), 'utf8');
  assert.match(runner, /loader\('timeouts\.mjs'\)/);
  assert.match(runner, /--test-timeout=\$\{PROCESS_TIMEOUT_MS\}/);
  assert.match(runner, /GYMNOS_TEST_TIMEOUT_MS: String\(TEST_TIMEOUT_MS\)/);
});
