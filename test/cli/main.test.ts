import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { spawnInTest } from '../helpers/children.js';
import { gymnosInProcess } from '../helpers/in_process.js';
import { BIN, copyOfRepository, gymnos, removeProjects } from '../helpers/project.js';

after(removeProjects);

describe('gymnos', () => {
  test('--help lists the commands and exits 0; --version prints the version', () => {
    const root = copyOfRepository();
    const help = gymnos(['--help'], { cwd: root });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /create-new \[options\] \[kind\]/);
    assert.match(help.stdout, /list \[options\] \[what\]/);
    const version = gymnos(['--version'], { cwd: root });
    assert.equal(version.status, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
    assert.match(gymnos(['create-new', '--help'], { cwd: root }).stdout, /Examples:[\s\S]*Exit codes: 0 ok/);
  });

  test('a reader that goes away (gymnos ... | head) is no crash: the command ends with its exit code', async (t) => {
    const root = copyOfRepository();
    const child = spawnInTest(t, process.execPath, [BIN, 'create-new', 'tracker', '--name', 'piped', '--diff'], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
    });
    child.stdout.destroy(); // the reader is gone before the first line is written: every write is EPIPE
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const status = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(status, 0, stderr);
    assert.doesNotMatch(stderr, /EPIPE|Unhandled/);
    assert.ok(existsSync(path.join(root, 'src/trackers/piped.ts')), 'the tracker was created all the same');
  });

  test('an unknown command or option is a usage error: exit 2 with one line', async () => {
    const root = copyOfRepository();
    for (const [index, args] of [['frobnicate'], ['create-new', '--nmae', 'x'], ['list', 'widgets']].entries()) {
      // The first through the bin (exit 2 as the shell sees it), the others in this process.
      const result = index === 0 ? gymnos(args, { cwd: root }) : await gymnosInProcess(args, { cwd: root });
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /^gymnos: /);
      assert.equal(result.stdout, '');
    }
    const json = await gymnosInProcess(['create-new', 'tracker', '--nmae', 'x', '--json'], { cwd: root });
    assert.equal(json.status, 2);
    const document = JSON.parse(json.stdout);
    assert.equal(document.ok, false);
    assert.deepEqual([document.error.code, document.error.kind], ['USAGE', 'usage']);
    assert.match(document.error.message, /unknown option '--nmae'/);
  });
});

describe('gymnos list trackers', () => {
  test('lists each tracker and whether it resolves; unresolved ones make it exit 1', () => {
    const root = copyOfRepository(); // no dist/: nothing is built in the copy
    assert.equal(gymnos(['create-new', 'tracker', '--name', 'fresh'], { cwd: root }).status, 0);
    const result = gymnos(['list', 'trackers', '--json'], { cwd: root });
    assert.equal(result.status, 1);
    const listed = JSON.parse(result.stdout) as {
      registry: string;
      trackers: { name: string; resolves: boolean; error: string }[];
    };
    assert.equal(listed.registry, 'var/trackers.json');
    const fresh = listed.trackers.find((tracker) => tracker.name === 'fresh')!;
    assert.equal(fresh.resolves, false);
    assert.match(
      fresh.error,
      /cannot import src\/trackers\/fresh\.ts without a TypeScript loader, and dist\/trackers\/fresh\.js is not built/,
    );
    for (const builtin of listed.trackers.filter((tracker) => tracker.name !== 'fresh')) {
      assert.ok(builtin.resolves, `${builtin.name} resolves through gymnos's table, whatever the copy has built`);
    }

    const human = gymnos(['list', 'trackers'], { cwd: root });
    assert.equal(human.status, 1);
    assert.match(human.stdout, /^fresh +unresolved +tracker "fresh"/m);
  });

  // The error paths below import no tracker of the project, so they run in this process.
  test('an entry pointing to a missing module or a bad name is reported, not thrown', async () => {
    const root = copyOfRepository();
    writeFileSync(
      path.join(root, 'var/trackers.json'),
      '{\n  "ghost": "trackers/ghost.js#GhostTracker",\n  "Bad": "x.js#X"\n}\n',
    );
    const result = await gymnosInProcess(['list', 'trackers'], { cwd: root });
    assert.equal(result.status, 1);
    assert.match(
      result.stdout,
      /^ghost +unresolved +tracker "ghost" \(var\/trackers\.json:2\) points to src\/trackers\/ghost\.ts or dist/m,
    );
    assert.match(result.stdout, /^Bad +unresolved +invalid tracker name/m);
  });

  test('--json prints one failure document: the error with its code, kind and details', async () => {
    const root = copyOfRepository();
    writeFileSync(path.join(root, 'var/trackers.json'), '{ "a": }');
    const result = await gymnosInProcess(['list', 'trackers', '--json'], { cwd: root });
    assert.equal(result.status, 2);
    const document = JSON.parse(result.stdout);
    assert.equal(document.ok, false);
    assert.deepEqual(document.trackers, []);
    assert.equal(document.error.code, 'REGISTRY_INVALID_JSON');
    assert.equal(document.error.kind, 'usage');
    assert.deepEqual([document.error.details.line, document.error.details.column], [1, 8]);
    assert.match(result.stderr, /^gymnos: .*var\/trackers\.json:1:8: invalid JSON/);

    rmSync(path.join(root, 'var/trackers.json'));
    mkdirSync(path.join(root, 'var/trackers.json'));
    const unreadable = await gymnosInProcess(['list', 'trackers', '--json'], { cwd: root });
    assert.equal(unreadable.status, 2);
    assert.equal(JSON.parse(unreadable.stdout).error.code, 'REGISTRY_UNREADABLE');
    assert.match(
      unreadable.stderr,
      /^gymnos: \S+trackers\.json cannot be read \(EISDIR\); it is a directory: move it away \(npx gymnos init creates/,
    );
  });

  test('an unexpected error is the internal error: exit 2, its stack, a hint to report it, and the document', () => {
    const root = copyOfRepository();
    const probe = path.join(root, 'crash.mjs');
    writeFileSync(
      probe,
      [
        "import fs from 'node:fs';",
        "import { syncBuiltinESMExports } from 'node:module';",
        'const readFileSync = fs.readFileSync;',
        'fs.readFileSync = (file, ...rest) => {',
        "  if (String(file).endsWith('trackers.json')) throw new Error('simulated failure');",
        '  return readFileSync(file, ...rest);',
        '};',
        'syncBuiltinESMExports();',
        '',
      ].join('\n'),
    );
    const env = { NODE_OPTIONS: `--import=${pathToFileURL(probe).href}` };
    const result = gymnos(['list', 'trackers', '--json'], { cwd: root, env });
    assert.equal(result.status, 2);
    const document = JSON.parse(result.stdout);
    assert.equal(document.ok, false);
    assert.deepEqual(
      { code: document.error.code, kind: document.error.kind, message: document.error.message },
      { code: 'INTERNAL_ERROR', kind: 'internal', message: 'simulated failure' },
    );
    assert.match(document.error.hint, /please report it/);
    assert.match(result.stderr, /^gymnos: internal error: Error: simulated failure\n\s+at /);
    assert.match(result.stderr, /\ngymnos: this is a bug in gymnos; please report it/);
  });

  test('an invalid registry is exit 2 with its position', async () => {
    const root = copyOfRepository();
    writeFileSync(path.join(root, 'var/trackers.json'), '{ "a": }');
    const result = await gymnosInProcess(['list', 'trackers'], { cwd: root });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /var\/trackers\.json:1:8: invalid JSON/);
  });
});
