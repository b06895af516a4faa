import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { commitPlan, nodeCommitFs, recoverInterruptedCommit } from '../../src/scaffold/commit.js';
import { contentHash, JOURNAL_PATH, writeJournal } from '../../src/scaffold/journal.js';
import type { CommitFs } from '../../src/scaffold/commit.js';
import { planTracker } from '../../src/scaffold/plan.js';
import { copyOfRepository, removeProjects, snapshot } from '../helpers/project.js';

after(removeProjects);

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
    ],
  );
  assert.deepEqual(snapshot(root), before);
});

for (const failAt of [1, 3, 4]) {
  test(`a rename failing at step ${failAt} of 4 rolls everything back`, async () => {
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
