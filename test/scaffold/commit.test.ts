import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { commitPlan, nodeCommitFs } from '../../src/scaffold/commit.js';
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
