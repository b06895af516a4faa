import assert from 'node:assert/strict';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import * as prettier from 'prettier';
import { gymnosInProcess } from '../helpers/in_process.js';
import { tsc } from '../helpers/typescript_compile.js';
import {
  assertGeneratedTestPasses,
  copyOfRepository,
  emptyProject,
  gymnos,
  REPO,
  removeProjects,
  run,
  snapshot,
} from '../helpers/project.js';

after(removeProjects);

/** The escape character that starts an ANSI color sequence. */
const ESC = String.fromCharCode(0x1b);
const LONGEST = 'a_very_long_tracker_name_that_is_exactly_sixty_four_chars_long_x';

/** Asserts the run failed with `status`, one line on stderr matching `message`, and nothing changed. */
async function assertRefused(root: string, args: string[], status: number, message: RegExp) {
  const before = snapshot(root);
  const result = await gymnosInProcess(args, { cwd: root });
  assert.equal(result.status, status, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${result.stderr}`);
  assert.match(lines[0]!, message);
  assert.equal(result.stdout, '');
  assert.deepEqual(snapshot(root), before, 'nothing changed');
}

describe('gymnos create-new tracker', () => {
  test('creates module, test, docs, entry; they compile, are Prettier-clean, pass, load after a build', async () => {
    const root = copyOfRepository();
    const registryBefore = readFileSync(path.join(root, 'var/trackers.json'), 'utf8');
    const result = await gymnosInProcess(['create-new', 'tracker', '--name', 'my_tracker'], { cwd: root });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^CREATE +src\/trackers\/my_tracker\.ts$/m);
    assert.match(result.stdout, /^CREATE +test\/trackers\/my_tracker\.test\.ts$/m);
    assert.match(result.stdout, /^CREATE +docs\/trackers\/my_tracker\.md$/m);
    assert.match(result.stdout, /^UPDATE +var\/trackers\.json$/m);
    assert.match(result.stdout, /Search for TODO\(my_tracker\)/);
    assert.match(result.stdout, /npm run test:tracker -- my_tracker runs test\/trackers\/my_tracker\.test\.ts/);
    assert.equal((await gymnosInProcess(['create-new', 'tracker', '--name', LONGEST], { cwd: root })).status, 0);

    const source = readFileSync(path.join(root, 'src/trackers/my_tracker.ts'), 'utf8');
    assert.match(source, /export class MyTracker extends Tracker \{/);
    assert.match(source, /import \{ Tracker \} from '\.\/tracker\.js';/);
    for (const hook of [
      'start',
      'logTag',
      'logAsset',
      'logImage',
      'logFigure',
      'logMetric',
      'logParam',
      'flush',
      'end',
    ]) {
      assert.match(
        source,
        new RegExp(`/\\*\\* OPTIONAL: [^\\n]+\\*/\\n  override ${hook}\\(`),
        `${hook} is stubbed with a doc comment`,
      );
    }
    assert.ok((source.match(/TODO\(my_tracker\)/g) ?? []).length >= 10);

    // The registry: the old entries untouched and in order, the new ones appended.
    const registry = readFileSync(path.join(root, 'var/trackers.json'), 'utf8');
    const entries = Object.entries(JSON.parse(registry) as Record<string, string>);
    assert.deepEqual(entries.slice(0, -2), Object.entries(JSON.parse(registryBefore)));
    assert.deepEqual(entries.at(-2), ['my_tracker', 'trackers/my_tracker.js#MyTracker']);
    assert.ok(registry.endsWith('}\n'));

    // Prettier-formatted at 120 columns as generated.
    const options = { ...(await prettier.resolveConfig(path.join(root, 'x.ts'))), printWidth: 120 };
    for (const file of [
      'src/trackers/my_tracker.ts',
      'test/trackers/my_tracker.test.ts',
      'docs/trackers/my_tracker.md',
      `src/trackers/${LONGEST}.ts`,
      `test/trackers/${LONGEST}.test.ts`,
      `docs/trackers/${LONGEST}.md`,
      'var/trackers.json',
    ]) {
      const text = readFileSync(path.join(root, file), 'utf8');
      assert.ok(await prettier.check(text, { ...options, filepath: file }), `${file} is Prettier-formatted`);
      if (file.endsWith('.ts')) {
        assert.ok(
          text.split('\n').every((line) => line.length <= 120),
          `${file} has no line over 120 columns`,
        );
      }
    }

    // The generated module and test compile under the project's strict tsconfig, with what they import.
    const generated = ['my_tracker', LONGEST].flatMap((name) => [
      `src/trackers/${name}.ts`,
      `test/trackers/${name}.test.ts`,
    ]);
    const tsconfig = { extends: './tsconfig.json', compilerOptions: { noEmit: false, rootDir: '.', outDir: 'out' } };
    writeFileSync(
      path.join(root, 'tsconfig.generated.json'),
      JSON.stringify({ ...tsconfig, include: [], files: generated }),
    );
    // `tsc -p tsconfig.generated.json`, in this process (helpers/typescript_compile.ts shares the parsed libs),
    // checking and emitting the generated files only: the build checks the rest of src/.
    assert.equal(tsc(root, 'tsconfig.generated.json', generated), '');
    // The build: this repository's dist/ (built by npm test from the same sources) with the new trackers as tsc
    // compiled them. (The whole of src/ is type-checked by that build; a second compile of it here checks nothing.)
    // Its JavaScript only: not the CLI bundle (`list` below is this repository's bin), maps or declarations.
    cpSync(path.join(REPO, 'dist'), path.join(root, 'dist'), {
      recursive: true,
      filter: (source) => !/[/\\]cli-bundle$|\.map$|\.d\.ts$/.test(source),
    });
    for (const name of ['my_tracker', LONGEST]) {
      copyFileSync(path.join(root, `out/src/trackers/${name}.js`), path.join(root, `dist/trackers/${name}.js`));
    }

    // The generated test passes as generated, run as `npm run test:tracker -- my_tracker` runs it.
    assertGeneratedTestPasses(root, 'my_tracker', 'repository');

    // After a build, load('my_tracker') from the compiled output returns a MyTracker.
    const loaded = run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const { load } = await import('./dist/index.js'); console.log((await load('my_tracker')).constructor.name);",
      ],
      root,
    );
    assert.equal(loaded.stdout.trim(), 'MyTracker', loaded.stderr);

    // And list says every tracker resolves.
    const list = gymnos(['list', 'trackers', '--json'], { cwd: root });
    assert.equal(list.status, 0, list.stdout + list.stderr);
    const listed = JSON.parse(list.stdout) as { trackers: { name: string; resolves: boolean }[] };
    assert.ok(listed.trackers.some((tracker) => tracker.name === 'my_tracker' && tracker.resolves));
    assert.ok(listed.trackers.every((tracker) => tracker.resolves));
  });

  test('MyTracker and my-tracker are normalized to my_tracker with a notice', async () => {
    for (const spelling of ['MyTracker', 'my-tracker']) {
      const root = copyOfRepository();
      const result = await gymnosInProcess(['create-new', 'tracker', '--name', spelling], { cwd: root });
      assert.equal(result.status, 0, result.stderr);
      assert.match(result.stderr, new RegExp(`notice: normalized the name "${spelling}" to "my_tracker"`));
      assert.ok(existsSync(path.join(root, 'src/trackers/my_tracker.ts')));
    }
  });

  test('invalid, reserved and taken names are exit 2 with one line, and nothing is written', async () => {
    const root = copyOfRepository();
    writeFileSync(path.join(root, 'src/trackers/orphan.ts'), 'export const x = 1;\n');
    const registry = path.join(root, 'var/trackers.json');
    writeFileSync(
      registry,
      readFileSync(registry, 'utf8').replace(/\n}\n$/, ',\n  "taken": "trackers/memory.js#MemoryTracker"\n}\n'),
    );
    const cases: [string, RegExp][] = [
      ['class', /invalid tracker name: "class" is a reserved word/],
      ['tracker', /reserved word/],
      ['1tracker', /not a snake_case name/],
      ['my__tracker', /not a snake_case name/],
      ['_my_tracker', /not a snake_case name/],
      ['my_tracker_', /not a snake_case name/],
      ['my tracker!', /not a snake_case name/],
      ['a'.repeat(65), /at most 64/],
      ['memory', /"memory" is taken by the built-in memory tracker; choose another name/],
      [
        'taken',
        /"taken" is already registered in var\/trackers\.json \(line \d+\) as "trackers\/memory\.js#MemoryTracker"/,
      ],
      ['orphan', /src\/trackers\/orphan\.ts already exists and is not a registered tracker/],
    ];
    for (const [name, message] of cases)
      await assertRefused(root, ['create-new', 'tracker', '--name', name], 2, message);
  });

  test('an existing tracker is a conflict (exit 3); --force replaces its own files and nothing else', async () => {
    const root = copyOfRepository();
    assert.equal((await gymnosInProcess(['create-new', 'tracker', '--name', 'my_tracker'], { cwd: root })).status, 0);
    await assertRefused(
      root,
      ['create-new', 'tracker', '--name', 'my_tracker'],
      3,
      /tracker "my_tracker" already exists .*pass --force/,
    );

    // With --force, a file that is gone comes back; the others, as generated, stay as they are.
    const docsPage = path.join(root, 'docs/trackers/my_tracker.md');
    const pristine = readFileSync(docsPage, 'utf8');
    rmSync(path.join(root, 'test/trackers/my_tracker.test.ts'));
    const before = snapshot(root);
    const result = await gymnosInProcess(['create-new', 'tracker', '--name', 'my_tracker', '--force'], { cwd: root });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^CREATE +test\/trackers\/my_tracker\.test\.ts$/m);
    assert.match(result.stdout, /^UNCHANGED +src\/trackers\/my_tracker\.ts$/m);
    assert.match(result.stdout, /^UNCHANGED +var\/trackers\.json$/m);
    const after = snapshot(root);
    assert.equal(after['docs/trackers/my_tracker.md'], pristine);
    assert.ok(after['test/trackers/my_tracker.test.ts']);
    delete after['test/trackers/my_tracker.test.ts'];
    assert.deepEqual(after, before, 'only the missing test came back');
  });

  test('without a terminal, a missing --name or kind is exit 2 naming what to pass', async () => {
    const root = copyOfRepository();
    await assertRefused(root, ['create-new', 'tracker'], 2, /missing --name and no terminal to ask on: pass --name/);
    await assertRefused(root, ['create-new'], 2, /missing the kind .*gymnos create-new tracker --name/);
    await assertRefused(
      root,
      ['create-new', 'widget', '--name', 'x'],
      2,
      /^gymnos: unknown kind "widget"; available: tracker$/,
    );
  });

  test('a registry that is not valid JSON is exit 2 naming its file, line and column; nothing changes', async () => {
    const root = copyOfRepository();
    writeFileSync(path.join(root, 'var/trackers.json'), '{\n  "memory": "trackers/memory.js#MemoryTracker",\n}\n');
    await assertRefused(
      root,
      ['create-new', 'tracker', '--name', 'my_tracker'],
      2,
      /var\/trackers\.json:3:1: invalid JSON/,
    );
  });

  test('registry edits keep key order, indentation and the missing trailing newline', async () => {
    const root = copyOfRepository();
    const original =
      '{\n    "zeta": "trackers/memory.js#MemoryTracker",\n    "memory": "trackers/memory.js#MemoryTracker"\n}';
    writeFileSync(path.join(root, 'var/trackers.json'), original);
    assert.equal((await gymnosInProcess(['create-new', 'tracker', '--name', 'my_tracker'], { cwd: root })).status, 0);
    assert.equal(
      readFileSync(path.join(root, 'var/trackers.json'), 'utf8'),
      original.replace(/\n}$/, ',\n    "my_tracker": "trackers/my_tracker.js#MyTracker"\n}'),
    );
  });

  test('--dry-run prints the plan and writes nothing; --diff shows the diffs', async () => {
    const root = copyOfRepository();
    const before = snapshot(root);
    const result = await gymnosInProcess(['create-new', 'tracker', '--name', 'my_tracker', '--dry-run', '--diff'], {
      cwd: root,
    });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(snapshot(root), before);
    assert.match(result.stdout, /^CREATE +src\/trackers\/my_tracker\.ts$/m);
    assert.match(result.stdout, /Dry run: nothing was written/);
    assert.match(result.stdout, /^\+\+\+ b\/src\/trackers\/my_tracker\.ts/m);
    assert.match(result.stdout, /^\+export class MyTracker extends Tracker \{$/m);
    assert.match(result.stdout, /^\+ {2}"my_tracker": "trackers\/my_tracker\.js#MyTracker"$/m);
    // The last entry gains a comma: it is shown as removed and added again.
    const registry = JSON.parse(readFileSync(path.join(root, 'var/trackers.json'), 'utf8')) as Record<string, string>;
    const [lastName, lastTarget] = Object.entries(registry).at(-1)!;
    assert.ok(result.stdout.split('\n').includes(`-  "${lastName}": "${lastTarget}"`), result.stdout);
    assert.ok(result.stdout.split('\n').includes(`+  "${lastName}": "${lastTarget}",`), result.stdout);
  });

  test('--json prints one JSON document with inputs, changes, warnings and error', async () => {
    const root = copyOfRepository();
    const ok = await gymnosInProcess(['create-new', 'tracker', '--name', 'MyTracker', '--json'], { cwd: root });
    assert.equal(ok.status, 0, ok.stderr);
    const document = JSON.parse(ok.stdout);
    assert.equal(document.ok, true);
    assert.deepEqual(document.inputs, { kind: 'tracker', name: 'my_tracker', requestedName: 'MyTracker', root });
    assert.deepEqual(
      document.changes.map((change: { action: string }) => change.action),
      ['create', 'create', 'create', 'update', 'create'],
    );
    assert.deepEqual(document.edited, []);
    assert.deepEqual(document.warnings, ['normalized the name "MyTracker" to "my_tracker"']);
    assert.equal(document.error, null);

    // Through the bin: exit 3 as the shell sees it.
    const conflict = gymnos(['create-new', 'tracker', '--name', 'my_tracker', '--json'], { cwd: root });
    assert.equal(conflict.status, 3);
    const failed = JSON.parse(conflict.stdout);
    assert.equal(failed.ok, false);
    assert.equal(failed.error.code, 'TRACKER_EXISTS');
    assert.deepEqual(failed.changes, []);
  });

  test('a write that fails is exit 1 and rolls back everything already written', async () => {
    const root = copyOfRepository();
    mkdirSync(path.join(root, 'test'), { recursive: true });
    writeFileSync(path.join(root, 'test/trackers'), 'a file where a directory is needed\n');
    await assertRefused(
      root,
      ['create-new', 'tracker', '--name', 'my_tracker'],
      1,
      /nothing was changed \(rolled back\)/,
    );
    assert.ok(!existsSync(path.join(root, 'src/trackers/my_tracker.ts')));
  });

  test('--cwd runs in another directory, and a project is found from a subdirectory', async () => {
    const root = copyOfRepository();
    const elsewhere = emptyProject();
    await assertRefused(
      elsewhere,
      ['create-new', 'tracker', '--name', 'by_flag'],
      2,
      /no package\.json in .* or above it/,
    );
    assert.equal(
      (await gymnosInProcess(['create-new', 'tracker', '--name', 'by_flag', '--cwd', root], { cwd: elsewhere })).status,
      0,
    );
    assert.ok(existsSync(path.join(root, 'src/trackers/by_flag.ts')));
    assert.equal(
      (await gymnosInProcess(['create-new', 'tracker', '--name', 'from_sub'], { cwd: path.join(root, 'src/trackers') }))
        .status,
      0,
    );
    assert.ok(existsSync(path.join(root, 'src/trackers/from_sub.ts')));
  });

  test('color follows FORCE_COLOR and NO_COLOR', async () => {
    const root = copyOfRepository();
    const colored = gymnos(['create-new', 'tracker', '--name', 'one', '--dry-run'], {
      cwd: root,
      env: { NO_COLOR: undefined, FORCE_COLOR: '1' },
    });
    assert.match(colored.stdout, new RegExp(`${ESC}\\[32mCREATE`));
    const plain = gymnos(['create-new', 'tracker', '--name', 'one', '--dry-run'], {
      cwd: root,
      env: { NO_COLOR: '1' },
    });
    assert.doesNotMatch(plain.stdout, new RegExp(`${ESC}\\[`));
  });
});
