/**
 * `gymnos remove tracker`, the inverse of create-new, and what `create-new --force` keeps: the files a user edited
 * since create-new generated them (var/generated.json records what it generated). Commands run in this process; the
 * terminal's question is in prompt.test.ts, kills mid-commit in create_new_faults.test.ts.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { gymnosInProcess } from '../helpers/in_process.js';
import { pluginProject } from '../helpers/plugin_project.js';
import { copyOfRepository, removeProjects, snapshot } from '../helpers/project.js';

after(removeProjects);

const CREATE = ['create-new', 'tracker', '--name', 'my_tracker'];
const REMOVE = ['remove', 'tracker', 'my_tracker'];
const FILES = ['src/trackers/my_tracker.ts', 'test/trackers/my_tracker.test.ts', 'docs/trackers/my_tracker.md'];

async function ok(root: string, args: string[]) {
  const result = await gymnosInProcess(args, { cwd: root });
  assert.equal(result.status, 0, `gymnos ${args.join(' ')}: ${result.stderr}`);
  return result;
}

/** A plugin project after `gymnos init`. */
async function initialized(files: Record<string, string> = {}): Promise<string> {
  const root = pluginProject(files);
  await ok(root, ['init']);
  return root;
}

/** Runs `args`, expecting `status`, exactly `line` on stderr, nothing on stdout and no file changed. */
async function assertRefused(root: string, args: string[], status: number, line: string) {
  const before = snapshot(root);
  const result = await gymnosInProcess(args, { cwd: root });
  assert.deepEqual([result.status, result.stderr, result.stdout], [status, `${line}\n`, '']);
  assert.deepEqual(snapshot(root), before, 'nothing changed');
}

describe('gymnos remove tracker', () => {
  test('create-new, then remove: the files are as before both, in a plugin project and this repository', async () => {
    for (const root of [await initialized(), copyOfRepository()]) {
      const before = snapshot(root);
      const created = await ok(root, CREATE);
      assert.match(created.stdout, /^CREATE +var\/generated\.json$/m);
      const removed = await ok(root, REMOVE);
      assert.equal(
        removed.stdout,
        [
          'UPDATE    var/trackers.json',
          ...FILES.map((file) => `DELETE    ${file}`),
          'DELETE    var/generated.json',
          '',
          'Removed tracker my_tracker (MyTracker).',
          '',
        ].join('\n'),
      );
      assert.deepEqual(snapshot(root), before);
    }
  });

  test("another tracker's record stays in var/generated.json; the registry keeps its other entries", async () => {
    const root = await initialized();
    await ok(root, ['create-new', 'tracker', '--name', 'other']);
    const before = snapshot(root);
    await ok(root, CREATE);
    await ok(root, REMOVE);
    assert.deepEqual(snapshot(root), before);
    assert.match(readFileSync(path.join(root, 'var/generated.json'), 'utf8'), /"src\/trackers\/other\.ts": "\d+:/);
  });

  test('a file edited since it was generated is kept: exit 3 naming it, nothing removed; --force removes', async () => {
    const root = await initialized();
    await ok(root, CREATE);
    appendFileSync(path.join(root, FILES[0]!), '// mine\n');
    await assertRefused(
      root,
      REMOVE,
      3,
      'gymnos: tracker "my_tracker": src/trackers/my_tracker.ts was edited since create-new generated it; pass ' +
        '--force to remove it anyway; nothing was removed',
    );
    writeFileSync(path.join(root, FILES[2]!), '# mine\n');
    const json = await gymnosInProcess([...REMOVE, '--json'], { cwd: root });
    assert.equal(json.status, 3);
    const refused = JSON.parse(json.stdout);
    assert.deepEqual([refused.ok, refused.error.code, refused.edited], [false, 'EDITED_FILES', [FILES[0], FILES[2]]]);
    assert.match(json.stderr, /src\/trackers\/my_tracker\.ts and docs\/trackers\/my_tracker\.md were edited since/);

    const forced = await ok(root, [...REMOVE, '--force', '--json']);
    const document = JSON.parse(forced.stdout);
    assert.deepEqual(document.edited, [FILES[0], FILES[2]]);
    assert.deepEqual(
      document.changes.map((change: { action: string; path: string }) => `${change.action} ${change.path}`),
      ['update var/trackers.json', ...FILES.map((file) => `delete ${file}`), 'delete var/generated.json'],
    );
    assert.deepEqual(JSON.parse(readFileSync(path.join(root, 'var/trackers.json'), 'utf8')), {
      $schema: '../node_modules/gymnos/schema/trackers.schema.json',
    });
  });

  test('--dry-run changes nothing and says which files were edited; --json is one document', async () => {
    const root = await initialized();
    await ok(root, CREATE);
    appendFileSync(path.join(root, FILES[1]!), '// mine\n');
    const before = snapshot(root);
    const dry = await ok(root, [...REMOVE, '--dry-run']);
    assert.match(dry.stdout, /^DELETE +test\/trackers\/my_tracker\.test\.ts$/m);
    assert.match(dry.stdout, /Dry run: nothing was changed/);
    assert.equal(
      dry.stderr,
      'notice: test/trackers/my_tracker.test.ts: edited since create-new generated it; without --dry-run, remove ' +
        'keeps them (exit 3) unless --force\n',
    );
    const json = JSON.parse((await ok(root, [...REMOVE, '--dry-run', '--json'])).stdout);
    assert.deepEqual([json.ok, json.dryRun, json.edited, json.inputs.name], [true, true, [FILES[1]], 'my_tracker']);
    assert.deepEqual(snapshot(root), before);
  });

  test('exit 2, one line, nothing changed: not registered, built in, not registered as create-new does', async () => {
    const root = await initialized();
    await ok(root, CREATE);
    await assertRefused(
      root,
      ['remove', 'tracker', 'my_trackr'],
      2,
      'gymnos: no tracker "my_trackr" in var/trackers.json; did you mean "my_tracker"?',
    );
    await assertRefused(
      root,
      ['remove', 'tracker', 'zzz'],
      2,
      'gymnos: no tracker "zzz" in var/trackers.json (registered: my_tracker)',
    );
    await assertRefused(
      copyOfRepository(),
      ['remove', 'tracker', 'my_tracker'],
      2,
      'gymnos: no tracker "my_tracker" in var/trackers.json: it registers no tracker of its own',
    );
    await assertRefused(
      root,
      ['remove', 'tracker', 'jsonl'],
      2,
      'gymnos: "jsonl" is a built-in tracker, which gymnos remove cannot remove',
    );
    await assertRefused(
      root,
      ['remove', 'traker', 'my_tracker'],
      2,
      'gymnos: unknown kind "traker"; did you mean "tracker"? (available: tracker)',
    );
    writeFileSync(path.join(root, 'var/trackers.json'), '{\n  "mine": "lib/mine.js#Mine"\n}\n');
    await assertRefused(
      root,
      ['remove', 'tracker', 'mine'],
      2,
      'gymnos: "mine" is registered in var/trackers.json (line 2) as "lib/mine.js#Mine", not as create-new ' +
        'registers it ("trackers/mine.js#MineTracker"); remove the entry and its files yourself',
    );
  });

  test('without var/generated.json, files as create-new would generate them now are no edits; others are', async () => {
    const root = await initialized();
    await ok(root, CREATE);
    rmSync(path.join(root, 'var/generated.json'));
    const dry = JSON.parse((await ok(root, [...REMOVE, '--dry-run', '--json'])).stdout);
    assert.deepEqual(dry.edited, []);
    appendFileSync(path.join(root, FILES[0]!), '// mine\n');
    await assertRefused(
      root,
      REMOVE,
      3,
      'gymnos: tracker "my_tracker": src/trackers/my_tracker.ts was edited since create-new generated it; pass ' +
        '--force to remove it anyway; nothing was removed',
    );
  });
});

describe('create-new --force keeps what you wrote', () => {
  const FORCE = [...CREATE, '--force'];
  const REFUSAL =
    'gymnos: tracker "my_tracker": src/trackers/my_tracker.ts was edited since create-new generated it, and --force ' +
    'keeps what you wrote; pass --force twice (or --overwrite-edited) to replace it (--dry-run --diff --force shows ' +
    'what you would lose); nothing was written';

  test('without a terminal, an edited file is exit 3; --force twice or --overwrite-edited replaces it', async () => {
    for (const replace of [
      [...FORCE, '--force'],
      [...CREATE, '--overwrite-edited'],
    ]) {
      const root = await initialized();
      await ok(root, CREATE);
      const module = path.join(root, FILES[0]!);
      const generated = readFileSync(module, 'utf8');
      appendFileSync(module, '// mine\n');
      await assertRefused(root, FORCE, 3, REFUSAL);
      const json = await gymnosInProcess([...FORCE, '--json'], { cwd: root });
      assert.equal(json.status, 3);
      assert.deepEqual(JSON.parse(json.stdout).edited, [FILES[0]]);

      const replaced = await ok(root, replace);
      assert.match(replaced.stdout, /^OVERWRITE +src\/trackers\/my_tracker\.ts$/m);
      assert.equal(readFileSync(module, 'utf8'), generated);
      // Replaced, it is as generated again: --force alone regenerates it now.
      await ok(root, FORCE);
    }
  });

  test('--dry-run --force names the edited files in a notice and in --json, and writes nothing', async () => {
    const root = await initialized();
    await ok(root, CREATE);
    appendFileSync(path.join(root, FILES[0]!), '// mine\n');
    const before = snapshot(root);
    const dry = await ok(root, [...FORCE, '--dry-run']);
    assert.match(dry.stdout, /^OVERWRITE +src\/trackers\/my_tracker\.ts$/m);
    assert.equal(
      dry.stderr,
      'notice: src/trackers/my_tracker.ts: edited since create-new generated it; without --dry-run, --force asks ' +
        'before replacing them on a terminal and keeps them elsewhere (--force twice or --overwrite-edited replaces ' +
        'them)\n',
    );
    assert.deepEqual(JSON.parse((await ok(root, [...FORCE, '--dry-run', '--json'])).stdout).edited, [FILES[0]]);
    assert.deepEqual(snapshot(root), before);
  });

  test('a tracker with no record is compared with what create-new generates now', async () => {
    const root = await initialized();
    await ok(root, CREATE);
    rmSync(path.join(root, 'var/generated.json'));
    await ok(root, FORCE); // as generated: no edit, and the record is written again
    assert.match(readFileSync(path.join(root, 'var/generated.json'), 'utf8'), /"src\/trackers\/my_tracker\.ts"/);
    rmSync(path.join(root, 'var/generated.json'));
    appendFileSync(path.join(root, FILES[0]!), '// mine\n');
    await assertRefused(root, FORCE, 3, REFUSAL);
  });

  test("var/generated.json is written in the project's style and lints clean", async () => {
    const root = await initialized({ '.prettierrc.json': '{ "useTabs": true }\n' });
    await ok(root, CREATE);
    const manifest = readFileSync(path.join(root, 'var/generated.json'), 'utf8');
    assert.match(manifest, /^\t"trackers": \{$/m);
    const lint = await gymnosInProcess(['lint', '--no-cache', 'var'], { cwd: root });
    assert.equal(lint.status, 0, lint.stdout);
  });
});
