/**
 * Files in the wrong state and bad flags: each is one line on stderr naming the file (or flag) and the fix, with
 * the documented exit code, never a stack, and nothing in the project changes. Each case in a small temporary
 * project. Unreadable and read-only files are made so by their modes, which do not stop root: when the tests run as
 * root, those cases run the real bin as root without the two capabilities that let it ignore file modes (setpriv,
 * util-linux), so the modes stop it as they stop any user, wherever the checkout is (another user, such as
 * nobody, could not enter a checkout in a directory only root may enter, as `mktemp -d` makes); the other cases
 * run in this process.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { runChildSync, spawnInTest } from '../helpers/children.js';
import { gymnosInProcess } from '../helpers/in_process.js';
import { missingPrerequisite } from '../helpers/prerequisite.js';
import { BIN } from '../helpers/project.js';

const made: string[] = [];
after(() => {
  for (const dir of made) {
    chmodSync(dir, 0o755);
    rmSync(dir, { recursive: true, force: true });
  }
});

const ROOT = process.getuid?.() === 0;
/** Runs a command as root without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH: file modes then apply to it. */
const BOUND_BY_MODES = ['--bounding-set=-dac_override,-dac_read_search'];
const HAS_SETPRIV = runChildSync('setpriv', ['--version']).status === 0;
/** A name holding an escape sequence and a newline, as a registry key or a --name could. */
const EVIL = 'evil\u001b[31m\nname';

/** A small plugin project: package.json, an empty registry, one source file, and `files` over them. */
function project(files: Record<string, string | null> = {}): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'gymnos-one-line-'));
  made.push(root);
  const all: Record<string, string | null> = {
    'package.json': `${JSON.stringify({ name: 'fixture', version: '1.0.0', type: 'module' }, null, 2)}\n`,
    'var/trackers.json': '{}\n',
    'src/index.ts': 'export const answer = 42;\n',
    ...files,
  };
  for (const [file, content] of Object.entries(all)) {
    const target = path.join(root, file);
    if (content === null) {
      mkdirSync(target, { recursive: true }); // a directory where a file should be
      continue;
    }
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  mkdirSync(path.join(root, 'node_modules'));
  chmodSync(root, 0o755);
  return root;
}

/** Every path under `dir` (but node_modules) with its content or mode: equal before and after = nothing changed. */
function snapshot(dir: string): Record<string, string> {
  const state: Record<string, string> = {};
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      const key = path.relative(dir, full);
      if (entry.name === 'node_modules') continue;
      if (entry.isDirectory()) {
        state[`${key}/`] = statSync(full).mode.toString(8);
        walk(full);
      } else {
        const mode = statSync(full).mode;
        state[key] = mode & 0o444 ? readFileSync(full, 'utf8') : `mode ${mode.toString(8)}`;
      }
    }
  };
  walk(dir);
  return state;
}

interface Case {
  name: string;
  args: string[];
  files?: Record<string, string | null>;
  /** Run bound by file modes, for which `prepare` made something unreadable or read-only. */
  prepare?: (root: string) => void;
  status: number;
  /** The one line on stderr; null: nothing on stderr (the problem is in the command's output). */
  stderr: RegExp | null;
  /** Bytes that must not reach the terminal (raw escape codes). */
  stdout?: RegExp;
}

function unreadableRegistry(root: string): void {
  chmodSync(path.join(root, 'var', 'trackers.json'), 0o000);
}

function readOnlyProject(root: string): void {
  for (const dir of [root, path.join(root, 'src'), path.join(root, 'var')]) chmodSync(dir, 0o555);
  chmodSync(path.join(root, 'var', 'trackers.json'), 0o444);
}

const REGISTRY_DIRECTORY = /var\/trackers\.json cannot be read \(EISDIR\); it is a directory: move it away/;
const REGISTRY_UNREADABLE = /var\/trackers\.json cannot be read \(EACCES\); give your user read permission on it/;

const CASES: Case[] = [
  ...['create-new tracker --name k', 'list', 'lint', 'init'].flatMap((command): Case[] => [
    {
      name: `${command}: a directory as var/trackers.json`,
      args: command.split(' '),
      files: { 'var/trackers.json': null },
      status: 2,
      stderr: REGISTRY_DIRECTORY,
    },
    {
      name: `${command}: an unreadable var/trackers.json`,
      args: command.split(' '),
      prepare: unreadableRegistry,
      status: 2,
      stderr: REGISTRY_UNREADABLE,
    },
  ]),
  {
    name: 'lint: a directory as eslint.config.js',
    args: ['lint', '--no-cache'],
    files: { 'eslint.config.js': null },
    status: 2,
    stderr: /eslint\.config\.js is not a file; move it away \(gymnos lint then uses its own config\)/,
  },
  {
    name: 'init: a directory as eslint.config.js',
    args: ['init'],
    files: { 'eslint.config.js': null },
    status: 3,
    stderr: /eslint\.config\.js is not a file, and gymnos init writes a file there; move it away/,
  },
  {
    name: 'create-new: a read-only project',
    args: ['create-new', 'tracker', '--name', 'k'],
    prepare: readOnlyProject,
    status: 1,
    stderr: /could not lock var\/trackers\.json: EACCES.*; the project is not writable: make it writable/,
  },
  {
    name: 'lint --output-file .',
    args: ['lint', '--output-file', '.'],
    status: 2,
    stderr: /--output-file \S+ is a directory; give a file path/,
  },
  {
    name: 'lint --type-aware without a tsconfig.json: one configuration error, not one per file',
    args: ['lint', '--type-aware', '--no-cache'],
    status: 2,
    stderr: /--type-aware reads the types through a tsconfig\.json, .*tsconfig\.json is not a file; add one/,
  },
  {
    name: 'lint --max-warnings -1',
    args: ['lint', '--max-warnings', '-1'],
    status: 2,
    stderr: /--max-warnings takes a whole number \(0 or more\), got "-1" \(leave the option out for no limit\)/,
  },
  {
    name: 'lint --print-config on a missing file',
    args: ['lint', '--print-config', 'src/missing.ts'],
    status: 2,
    stderr: /--print-config src\/missing\.ts: \S+missing\.ts is not a file; give a file of the project/,
  },
  {
    name: 'create-new --name with an escape code and a newline',
    args: ['create-new', 'tracker', '--name', EVIL],
    status: 2,
    stderr: /"evil\\u001b\[31m\\nname" is not a snake_case name/,
  },
  {
    name: 'list: a registry key with an escape code and a newline',
    args: ['list'],
    files: { 'var/trackers.json': `${JSON.stringify({ [EVIL]: 'trackers/evil.js#Evil' }, null, 2)}\n` },
    status: 1,
    stderr: null,
    stdout: /^ {2}evil\\u001b\[31m\\nname +unresolved +invalid tracker name: "evil\\u001b\[31m\\nname" is not/m,
  },
];

type Result = { status: number | null; stdout: string; stderr: string };

/**
 * A case as another user runs the real bin; the others run in this process (helpers/in_process.ts), where an
 * exception out of the CLI shows as a stack. (`list` imports no code of these projects: no registry entry of
 * theirs can be read or names a tracker.)
 */
function run(t: TestContext, args: string[], cwd: string, boundByModes: boolean): Promise<Result> {
  if (boundByModes) return spawnBin(t, args, cwd);
  return gymnosInProcess(args, { cwd, env: { HOME: cwd } }).catch((error: Error) => ({
    status: null,
    stdout: '',
    stderr: `${error.stack}`,
  }));
}

/** The bin as root bound by file modes (BOUND_BY_MODES), killed when test `t` ends if it is still running. */
function spawnBin(t: TestContext, args: string[], cwd: string): Promise<Result> {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', HOME: cwd };
  delete env.FORCE_COLOR;
  const child = spawnInTest(t, 'setpriv', [...BOUND_BY_MODES, process.execPath, BIN, ...args], { cwd, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise<Result>((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
}

describe('one line, never a stack, nothing changed', () => {
  test('every case', async (t) => {
    if (ROOT && !HAS_SETPRIV) {
      return missingPrerequisite(t, 'setpriv is not installed (util-linux): as root, the file-mode cases need it');
    }
    const prepared = CASES.map((testCase) => {
      const root = project(testCase.files);
      testCase.prepare?.(root);
      return { testCase, root, before: snapshot(root) };
    });
    // Two at a time: the machine has few cores and a case of the bin is one process.
    const results: Result[] = [];
    for (let index = 0; index < prepared.length; index += 2) {
      const batch = prepared.slice(index, index + 2);
      results.push(
        ...(await Promise.all(
          batch.map(({ testCase, root }) => run(t, testCase.args, root, ROOT && !!testCase.prepare)),
        )),
      );
    }
    const failures: string[] = [];
    prepared.forEach(({ testCase, root, before }, index) => {
      const result = results[index]!;
      const problems: string[] = [];
      if (result.status !== testCase.status) problems.push(`exit ${result.status}, expected ${testCase.status}`);
      const lines = result.stderr.trimEnd().split('\n');
      if (testCase.stderr === null) {
        if (result.stderr !== '') problems.push('something on stderr');
      } else {
        if (lines.length !== 1 || !lines[0]!.startsWith('gymnos: ')) problems.push('not one "gymnos:" line on stderr');
        if (!testCase.stderr.test(result.stderr)) problems.push(`stderr does not match ${testCase.stderr}`);
      }
      if (/\n\s+at /.test(result.stderr)) problems.push('a stack trace');
      if (testCase.stdout && !testCase.stdout.test(result.stdout))
        problems.push(`stdout does not match ${testCase.stdout}`);
      if (result.stdout.includes('\u001b') || result.stderr.includes('\u001b')) problems.push('a raw escape code');
      if (JSON.stringify(snapshot(root)) !== JSON.stringify(before)) problems.push('the project changed');
      if (problems.length > 0) {
        failures.push(
          `${testCase.name}: ${problems.join('; ')}\n  stdout: ${result.stdout}\n  stderr: ${result.stderr}`,
        );
      }
    });
    assert.deepEqual(failures, []);
  });
});
