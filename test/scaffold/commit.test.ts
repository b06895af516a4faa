import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { GymnosError } from '../../src/errors.js';
import { planInit } from '../../src/init/plan.js';
import { commitChanges, createTracker, removeTracker } from '../../src/scaffold/commit.js';
import type { CommitOptions } from '../../src/scaffold/commit.js';
import type { CommitPoint } from '../../src/scaffold/commit_points.js';
import { contentHash, JOURNAL_PATH, writeJournal } from '../../src/scaffold/journal.js';
import { planTracker } from '../../src/scaffold/plan.js';
import type { TrackerPlan } from '../../src/scaffold/plan.js';
import { recoverInterruptedCommit } from '../../src/scaffold/registry_lock.js';
import { nodeCommitFs } from '../../src/scaffold/transaction.js';
import type { CommitFs } from '../../src/scaffold/transaction.js';
import { copyOfRepository, emptyProject, removeProjects, snapshot } from '../helpers/project.js';

after(removeProjects);

/** Points that only record where the commit got to. */
function recordedPoints(): { reached: CommitPoint[]; points: CommitOptions['points'] } {
  const reached: CommitPoint[] = [];
  return { reached, points: { reached: async (point) => void reached.push(point) } };
}

/** A plan made earlier, written as it was planned (as init commits its plan). */
function commitPlan(plan: TrackerPlan, options: Partial<CommitOptions> = {}) {
  return commitChanges(plan.root, plan.changes, { notify: () => undefined, ...options });
}

/** The real file system, but the n-th rename fails. */
function failingOnRename(n: number): CommitFs {
  let renames = 0;
  return {
    ...nodeCommitFs,
    rename: (from, to) => {
      renames += 1;
      if (renames === n) throw Object.assign(new Error(`EIO: i/o error, rename '${to}'`), { code: 'EIO' });
      nodeCommitFs.rename(from, to);
    },
  };
}

test('a plan touches nothing on disk', async () => {
  const root = copyOfRepository();
  const before = snapshot(root);
  const plan = await planTracker({ root, name: 'my_tracker' });
  assert.deepEqual(
    plan.changes.map((change) => [change.action, change.path]),
    [
      ['create', 'src/trackers/my_tracker.ts'],
      ['create', 'test/trackers/my_tracker.test.ts'],
      ['create', 'docs/trackers/my_tracker.md'],
      ['update', 'var/trackers.json'],
      ['create', 'var/generated.json'],
    ],
  );
  assert.deepEqual(snapshot(root), before);
});

for (const failAt of [1, 3, 5]) {
  test(`a rename failing at step ${failAt} of 5 rolls everything back`, async () => {
    const root = copyOfRepository();
    const before = snapshot(root);
    const plan = await planTracker({ root, name: 'my_tracker' });
    await assert.rejects(commitPlan(plan, { fs: failingOnRename(failAt) }), {
      name: 'GymnosError',
      code: 'WRITE_FAILED',
      kind: 'failure',
      message: /EIO: i\/o error.*; nothing was changed \(rolled back\)/,
    });
    assert.deepEqual(snapshot(root), before, 'files, directories, temp files and the registry are as before');
  });
}

test('files overwritten with --force are restored on failure', async () => {
  const root = copyOfRepository();
  await commitPlan(await planTracker({ root, name: 'my_tracker' }));
  const before = snapshot(root);
  const plan = await planTracker({ root, name: 'my_tracker', force: true });
  for (const change of plan.changes.slice(0, 2)) {
    change.action = 'overwrite';
    change.content += '// changed\n';
  }
  await assert.rejects(commitPlan(plan, { fs: failingOnRename(2) }), { code: 'WRITE_FAILED', kind: 'failure' });
  assert.deepEqual(snapshot(root), before);
});

test('what a killed commit left is undone: files restored with their mode, new files and dirs removed', async () => {
  const root = copyOfRepository();
  const registry = path.join(root, 'var/trackers.json');
  chmodSync(registry, 0o600);
  const before = snapshot(root);
  const registryBefore = readFileSync(registry, 'utf8');
  const registryAfter = registryBefore.replace('{', '{\n  "k": "trackers/k.js#KTracker",');
  const temp = 'var/.trackers.json.1.x.gymnos-tmp';
  // As a commit killed after its second rename leaves it: the journal, a new directory and file, the registry
  // renamed over, a temp file not yet renamed.
  writeJournal(root, {
    version: 1,
    operation: 'create-new tracker k',
    pid: 1,
    startedAt: new Date().toISOString(),
    directories: ['docs/extra'],
    files: [
      {
        target: 'docs/extra/k.md',
        temp: 'docs/extra/.k.md.1.x.gymnos-tmp',
        before: null,
        mode: null,
        after: contentHash('# k\n'),
      },
      { target: 'var/trackers.json', temp, before: registryBefore, mode: 0o600, after: contentHash(registryAfter) },
      {
        target: 'src/trackers/k.ts',
        temp: 'src/trackers/.k.ts.1.x.gymnos-tmp',
        before: null,
        mode: null,
        after: contentHash('x'),
      },
    ],
  });
  mkdirSync(path.join(root, 'docs/extra'), { recursive: true });
  writeFileSync(path.join(root, 'docs/extra/k.md'), '# k\n');
  writeFileSync(registry, registryAfter);
  writeFileSync(path.join(root, 'src/trackers/.k.ts.1.x.gymnos-tmp'), 'x');
  const notices: string[] = [];
  await recoverInterruptedCommit(root, (line) => notices.push(line));
  assert.deepEqual(notices, [
    'undid "create-new tracker k", interrupted in process 1: removed docs/extra/k.md, restored var/trackers.json; ' +
      'the project is as before it',
  ]);
  assert.deepEqual(snapshot(root), before);
  assert.ok(!existsSync(path.join(root, 'docs/extra')), 'the directory it created is gone');
  assert.equal(statSync(registry).mode & 0o777, 0o600);

  // A journal cut while being written: nothing else had happened yet.
  writeFileSync(path.join(root, JOURNAL_PATH), '{"version":1,"operation":"create-new tr');
  await recoverInterruptedCommit(root, (line) => notices.push(line));
  assert.match(notices[1]!, /^removed var\/trackers\.json\.gymnos-journal, left by a command killed before it changed/);
  assert.deepEqual(snapshot(root), before);
});

/** The real file system, but the n-th operation that writes (mkdir, temp file, rename) fails with EIO. */
function failingAt(n: number): CommitFs {
  let operations = 0;
  const fail = (what: string) => {
    operations += 1;
    if (operations === n) throw Object.assign(new Error(`EIO: i/o error, ${what}`), { code: 'EIO' });
  };
  return {
    ...nodeCommitFs,
    mkdir: (dir) => (fail('mkdir'), nodeCommitFs.mkdir(dir)),
    writeFile: (file, content, mode) => (fail('write'), nodeCommitFs.writeFile(file, content, mode)),
    rename: (from, to) => (fail('rename'), nodeCommitFs.rename(from, to)),
    unlink: (file) => (fail('unlink'), nodeCommitFs.unlink(file)),
  };
}

test('the commit reaches its named points in order: locked, journal, each mkdir, temp-<n>, renamed-<n>', async () => {
  const root = copyOfRepository(); // src/trackers/ is there; test/trackers/ and docs/trackers/ are not
  const { reached, points } = recordedPoints();
  await createTracker({ root, name: 'my_tracker' }, { notify: () => undefined, points });
  const files = [1, 2, 3, 4, 5];
  assert.deepEqual(reached, [
    'locked',
    'journal',
    ...['test', 'test/trackers', 'docs', 'docs/trackers'].map(() => 'mkdir'),
    ...files.map((n) => `temp-${n}`),
    ...files.map((n) => `renamed-${n}`),
  ]);
  assert.ok(!existsSync(path.join(root, JOURNAL_PATH)), 'the journal is gone: committed');
});

test('a failure at any step that writes (a directory, a temp file, a rename) leaves the project intact', async () => {
  const root = copyOfRepository();
  const before = snapshot(root);
  // 4 directories, 5 temp files, 5 renames: then one more operation would be the 15th, which never comes.
  for (let n = 1; n <= 14; n++) {
    const plan = await planTracker({ root, name: 'my_tracker' });
    await assert.rejects(
      commitPlan(plan, { fs: failingAt(n) }),
      {
        code: 'WRITE_FAILED',
        kind: 'failure',
        message: /^could not write \S+ \(EIO: .*\); nothing was changed \(rolled back\)$/,
      },
      `failing at operation ${n}`,
    );
    assert.deepEqual(snapshot(root), before, `after a failure at operation ${n}`);
    assert.ok(!existsSync(path.join(root, 'docs')), `no directory left after a failure at operation ${n}`);
  }
  await commitPlan(await planTracker({ root, name: 'my_tracker' }), { fs: failingAt(15) });
  assert.ok(existsSync(path.join(root, 'docs/trackers/my_tracker.md')));
});

test('remove reaches its points in order, and a failure at any of its steps leaves the project intact', async () => {
  const root = copyOfRepository();
  const notify = () => undefined;
  await createTracker({ root, name: 'my_tracker' }, { notify });
  const before = snapshot(root);
  // The registry's temp file and rename, then four unlinks: the three files and var/generated.json.
  for (let n = 1; n <= 6; n++) {
    await assert.rejects(
      removeTracker({ root, name: 'my_tracker' }, { notify, fs: failingAt(n) }),
      {
        code: 'WRITE_FAILED',
        kind: 'failure',
        message:
          n <= 2
            ? /^could not write var\/trackers\.json \(EIO: /
            : /^could not remove \S+ \(EIO: .*\); nothing was changed \(rolled back\)$/,
      },
      `failing at operation ${n}`,
    );
    assert.deepEqual(snapshot(root), before, `after a failure at operation ${n}`);
    assert.ok(!existsSync(path.join(root, JOURNAL_PATH)));
  }
  const { reached, points } = recordedPoints();
  await removeTracker({ root, name: 'my_tracker' }, { notify, points, fs: failingAt(7) });
  assert.deepEqual(reached, ['locked', 'journal', 'temp-1', 'renamed-1', ...[1, 2, 3, 4].map((n) => `removed-${n}`)]);
  assert.ok(!existsSync(path.join(root, 'src/trackers/my_tracker.ts')));
  assert.ok(!existsSync(path.join(root, 'var/generated.json')));
});

test("init's commit refuses a file changed, created or removed since it was planned: a conflict", async () => {
  const root = emptyProject();
  const manifest = path.join(root, 'package.json');
  const cases: [string, () => void][] = [
    ['package.json changed', () => writeFileSync(manifest, '{ "name": "plugins", "private": true }\n')],
    ['eslint.config.js created', () => writeFileSync(path.join(root, 'eslint.config.js'), 'export default [];\n')],
    ['package.json removed', () => rmSync(manifest)],
  ];
  for (const [what, meanwhile] of cases) {
    writeFileSync(manifest, '{ "name": "plugins", "type": "module" }\n');
    rmSync(path.join(root, 'eslint.config.js'), { force: true });
    const plan = planInit(root);
    assert.ok(plan.changes.some((change) => change.path === 'package.json' && change.action === 'update'));
    meanwhile();
    const before = snapshot(root);
    await assert.rejects(commitChanges(root, plan.changes, { notify: () => undefined }), (error: GymnosError) => {
      assert.equal(error.code, 'FILE_CHANGED', what);
      assert.equal(error.kind, 'conflict');
      assert.match(error.message, /^(package\.json|eslint\.config\.js) changed meanwhile; nothing was written$/);
      return true;
    });
    assert.deepEqual(snapshot(root), before, `${what}: nothing was written`);
  }
});
