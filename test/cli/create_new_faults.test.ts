/**
 * create-new under faults, from outside: real child processes of bin/gymnos.js killed by real signals at
 * deterministic points of the commit (GYMNOS_TEST_PAUSE_AT), a file-size limit (`ulimit -f`), and files the user
 * owns (a symlinked or read-only registry, a broken entry). Few spawns each: the random kills are bench/'s.
 */
import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { runChildSync, spawnInTest } from '../helpers/children.js';
import { gymnosInProcess } from '../helpers/in_process.js';
import { BIN, emptyProject, gymnosAsync, removeProjects } from '../helpers/project.js';

after(removeProjects);

const CREATE_K = ['create-new', 'tracker', '--name', 'k'];
const K_FILES = ['src/trackers/k.ts', 'test/trackers/k.test.ts', 'docs/trackers/k.md'];

/** A plugin project of someone else's: a package.json and, when given, a registry. */
function project(registry?: string): string {
  const root = emptyProject();
  writeFileSync(path.join(root, 'package.json'), '{ "name": "plugins", "type": "module" }\n');
  if (registry !== undefined) {
    mkdirSync(path.join(root, 'var'));
    writeFileSync(path.join(root, 'var/trackers.json'), registry);
  }
  return root;
}

/** Every file and directory under `root` (directories end in /) with the files' contents: empty ones count too. */
function tree(root: string): Record<string, string> {
  const entries: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const relative = path.relative(root, full);
      if (lstatSync(full).isDirectory()) {
        entries[`${relative}/`] = '';
        walk(full);
      } else entries[relative] = readFileSync(full, 'utf8');
    }
  };
  walk(root);
  return entries;
}

/**
 * Starts create-new (or `args`) paused after `step` of its commit (killed when test `t` ends); `paused` resolves
 * once it is.
 */
function startPaused(t: TestContext, root: string, step: string, args = CREATE_K) {
  const child = spawnInTest(t, process.execPath, [BIN, ...args], {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', GYMNOS_TEST_PAUSE_AT: step },
  });
  let stderr = '';
  const ended = new Promise<{ status: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (status, signal) => resolve({ status, signal })),
  );
  const paused = new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (stderr.includes(`paused after ${step}`)) resolve();
    });
    void ended.then(() => reject(new Error(`ended before pausing after ${step}: ${stderr}`)));
  });
  return { child, paused, ended, stderr: () => stderr };
}

/** Nothing a user would have to clean up: no temp file, no lock, no journal. */
function assertNoLeftovers(root: string): void {
  const leftovers = Object.keys(tree(root)).filter((entry) => /gymnos-tmp|\.lock\/?$|gymnos-journal/.test(entry));
  assert.deepEqual(leftovers, []);
}

describe('create-new is all or nothing', () => {
  test('SIGINT and SIGTERM mid-commit roll it back, release the lock and end the process by the signal', async (t) => {
    // The last: a project without var/, which the command made for the lock, removes again.
    for (const [signal, step, registry] of [
      ['SIGINT', 'temp-2', '{}\n'],
      ['SIGTERM', 'renamed-3', '{}\n'],
      ['SIGINT', 'renamed-2', undefined],
    ] as const) {
      const root = project(registry);
      const before = tree(root);
      const run = startPaused(t, root, step);
      await run.paused;
      run.child.kill(signal);
      assert.deepEqual(await run.ended, { status: null, signal }, 'the default end for the signal (exit 130 / 143)');
      assert.deepEqual(tree(root), before, `after ${signal} at ${step}: exactly as before, no new directory`);
    }
  });

  test('after a SIGKILL mid-commit, the next create-new undoes it in one line and then works', async (t) => {
    const root = project('{}\n');
    const before = tree(root);
    const run = startPaused(t, root, 'renamed-2');
    await run.paused;
    run.child.kill('SIGKILL');
    await run.ended;
    assert.ok(Object.keys(tree(root)).includes('var/trackers.json.gymnos-journal'), 'the killed run left its journal');

    // A dry run writes nothing, the undo included, but says there is one to do.
    const dry = await gymnosInProcess([...CREATE_K, '--dry-run'], { cwd: root });
    assert.match(dry.stderr, /an interrupted command left var\/trackers\.json\.gymnos-journal/);

    // The next create-new, paused once it holds the lock: the killed run is undone, the project as before it.
    const next = startPaused(t, root, 'locked');
    await next.paused;
    const lock = (entry: string) => entry.startsWith('var/trackers.json.lock');
    assert.deepEqual(
      Object.keys(tree(root)).filter((entry) => !lock(entry)),
      Object.keys(before),
    );
    next.child.kill('SIGINT');
    await next.ended;
    assert.deepEqual(tree(root), before);
    const lines = next.stderr().trim().split('\n');
    assert.equal(lines.length, 2, next.stderr()); // the undo, and the test hook's pause
    assert.match(lines[0]!, /^gymnos: undid "create-new tracker k", interrupted in process \d+: /);
    assert.match(
      lines[0]!,
      /: removed test\/trackers\/k\.test\.ts, removed src\/trackers\/k\.ts; the project is as before it$/,
    );

    const retry = await gymnosInProcess(CREATE_K, { cwd: root });
    assert.equal(retry.status, 0, retry.stderr);
    assert.equal(retry.stderr, '');
    for (const file of K_FILES) assert.ok(statSync(path.join(root, file)).isFile(), file);
    assert.deepEqual(JSON.parse(readFileSync(path.join(root, 'var/trackers.json'), 'utf8')), {
      k: 'trackers/k.js#KTracker',
    });
    assertNoLeftovers(root);
  });

  test('a write cut by the file-size limit (EFBIG) leaves no temp file and no new directory', () => {
    const root = project();
    const before = tree(root);
    // sh's ulimit -f counts 512-byte blocks: the journal fits, the tracker's module does not.
    const result = runChildSync('sh', ['-c', `ulimit -f 4; exec "$0" "$@"`, process.execPath, BIN, ...CREATE_K], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
    });
    assert.equal(result.status, 1, result.stderr);
    assert.equal(
      result.stderr,
      'gymnos: could not write src/trackers/k.ts (EFBIG: file too large, write); nothing was changed (rolled back)\n',
    );
    assert.deepEqual(tree(root), before);
  });
});

describe('remove is all or nothing', () => {
  const REMOVE_K = ['remove', 'tracker', 'k'];

  test('SIGINT mid-remove rolls it back; after a SIGKILL the next command restores the files first', async (t) => {
    const root = project('{}\n');
    assert.equal((await gymnosInProcess(CREATE_K, { cwd: root })).status, 0);
    const before = tree(root);

    const interrupted = startPaused(t, root, 'removed-2', REMOVE_K);
    await interrupted.paused;
    interrupted.child.kill('SIGINT');
    assert.deepEqual(await interrupted.ended, { status: null, signal: 'SIGINT' });
    assert.deepEqual(tree(root), before, 'after SIGINT with two files removed: all of them back');

    const killed = startPaused(t, root, 'removed-3', REMOVE_K);
    await killed.paused;
    killed.child.kill('SIGKILL');
    await killed.ended;
    assert.ok(!existsSync(path.join(root, K_FILES[0]!)), 'the killed run removed files');
    // The next command holds the lock once it has undone the killed one: the project is as before it.
    const next = startPaused(t, root, 'locked', REMOVE_K);
    await next.paused;
    assert.deepEqual(
      Object.keys(tree(root)).filter((entry) => !entry.startsWith('var/trackers.json.lock')),
      Object.keys(before),
    );
    next.child.kill('SIGINT');
    await next.ended;
    assert.deepEqual(tree(root), before);
    const undone = ['docs/trackers/k.md', 'test/trackers/k.test.ts', 'src/trackers/k.ts', 'var/trackers.json'];
    assert.match(next.stderr(), /^gymnos: undid "remove tracker k", interrupted in process \d+: /);
    assert.ok(
      next.stderr().includes(`: ${undone.map((file) => `restored ${file}`).join(', ')}; the project is as before it\n`),
      next.stderr(),
    );

    const retry = await gymnosInProcess(REMOVE_K, { cwd: root });
    assert.equal(retry.status, 0, retry.stderr);
    for (const file of K_FILES) assert.ok(!existsSync(path.join(root, file)), file);
    assertNoLeftovers(root);
  });
});

describe('files the user owns are respected', () => {
  test('a symlinked registry is written through (the link kept) and keeps its mode 600', async () => {
    const root = project();
    const elsewhere = emptyProject();
    const shared = path.join(elsewhere, 'trackers.json');
    writeFileSync(shared, '{\n  "other": "trackers/other.js#OtherTracker"\n}\n');
    chmodSync(shared, 0o600);
    mkdirSync(path.join(root, 'var'));
    symlinkSync(shared, path.join(root, 'var/trackers.json'));
    const result = await gymnosInProcess(CREATE_K, { cwd: root });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(readlinkSync(path.join(root, 'var/trackers.json')), shared, 'still the same link');
    assert.deepEqual(JSON.parse(readFileSync(shared, 'utf8')), {
      other: 'trackers/other.js#OtherTracker',
      k: 'trackers/k.js#KTracker',
    });
    assert.equal(statSync(shared).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(elsewhere).sort(), ['.prettierrc.json', 'trackers.json'], 'no temp file beside it');
  });

  test('a read-only registry is refused with one line, and nothing is written', async () => {
    const root = project('{}\n');
    chmodSync(path.join(root, 'var/trackers.json'), 0o444);
    const before = tree(root);
    const result = await gymnosInProcess(CREATE_K, { cwd: root });
    assert.equal(result.status, 1);
    assert.equal(
      result.stderr,
      'gymnos: var/trackers.json is read-only; nothing was written; make it writable (chmod u+w var/trackers.json) ' +
        'and run again\n',
    );
    assert.deepEqual(tree(root), before);
  });

  test('an entry that is not "module#Export" is not replaced without --force', async () => {
    const registry = '{\n  "k": "not a module reference"\n}\n';
    const root = project(registry);
    const before = tree(root);
    const refused = await gymnosInProcess(CREATE_K, { cwd: root });
    assert.equal(refused.status, 3);
    assert.equal(
      refused.stderr,
      'gymnos: "k" is already in var/trackers.json (line 2), as a value that is not "module#Export"; fix it, or pass ' +
        '--force to replace it\n',
    );
    assert.deepEqual(tree(root), before);
    assert.equal((await gymnosInProcess([...CREATE_K, '--force'], { cwd: root })).status, 0);
    assert.equal(readFileSync(path.join(root, 'var/trackers.json'), 'utf8'), '{\n  "k": "trackers/k.js#KTracker"\n}\n');
  });

  test('ten concurrent create-new, two per name: one of each creates, the other exits 3; none is lost', async (t) => {
    const root = project('{}\n');
    const names = ['alpha', 'bravo', 'charlie', 'delta', 'echo'];
    const runs = names.flatMap((name) => [name, name]);
    const results = await Promise.all(
      runs.map((name) => gymnosAsync(t, ['create-new', 'tracker', '--name', name], { cwd: root })),
    );
    const output = results.map((result) => result.stdout + result.stderr).join('\n');
    for (const name of names) {
      const pair = results.filter((_, index) => runs[index] === name);
      const created = pair.filter((result) => result.status === 0);
      assert.equal(created.length, 1, `${name}: ${output}`);
      assert.match(created[0]!.stdout, new RegExp(`Created tracker ${name}`));
      const refused = pair.find((result) => result !== created[0])!;
      assert.equal(refused.status, 3, refused.stderr);
      assert.equal(refused.stdout, '');
      // On a loaded machine a holder may keep the registry's lock past a second: the waiter then says so, once a
      // holder (it may wait on several in turn).
      const waited =
        String.raw`(?:gymnos: waiting for .*trackers\.json\.lock, held by another process \(pid \d+\), ` +
        String.raw`for up to \d+ s\n)*`;
      assert.match(
        refused.stderr,
        new RegExp(`^${waited}gymnos: tracker "${name}" already exists \\(.*\\); pass --force to replace its files\n$`),
      );
    }
    // Every entry is in the registry: none of the writers lost another's.
    const registry = JSON.parse(readFileSync(path.join(root, 'var/trackers.json'), 'utf8'));
    assert.deepEqual(
      registry,
      Object.fromEntries(
        names.map((name) => [name, `trackers/${name}.js#${name[0]!.toUpperCase()}${name.slice(1)}Tracker`]),
      ),
    );
    for (const name of names) assert.ok(existsSync(path.join(root, `src/trackers/${name}.ts`)), name);
    assertNoLeftovers(root);
  });
});
