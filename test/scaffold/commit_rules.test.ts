/**
 * What a commit refuses and what it says (src/scaffold/commit.ts, transaction.ts, registry_lock.ts), in process and
 * fast: files the user edited are kept unless they allowed exactly those contents to go, a file changed since it was
 * planned or shown is a conflict, a step that fails says what became of the rest, and what a killed command left is
 * undone first, or the command stops saying why.
 */
import assert from 'node:assert/strict';
import fs, {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { hostname } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { GymnosError } from '../../src/errors.js';
import { commitChanges, createTracker, removeTracker } from '../../src/scaffold/commit.js';
import { contentHash, JOURNAL_PATH, writeJournal } from '../../src/scaffold/journal.js';
import type { PlannedChange } from '../../src/scaffold/plan.js';
import { recoverInterruptedCommit } from '../../src/scaffold/registry_lock.js';
import { lockFile } from '../../src/util/file_lock.js';
import { couldNotWrite, nodeCommitFs, writeFailed } from '../../src/scaffold/transaction.js';
import type { CommitFs } from '../../src/scaffold/transaction.js';
import { emptyProject, removeProjects, snapshot } from '../helpers/project.js';

after(removeProjects);

const notify = () => undefined;
const K_FILES = ['src/trackers/k.ts', 'test/trackers/k.test.ts', 'docs/trackers/k.md'];

/** A plugin project of someone else's, with an empty registry unless `registry` is false. */
function project(registry = true): string {
  const root = realpathSync(emptyProject());
  writeFileSync(path.join(root, 'package.json'), '{ "name": "plugins", "type": "module" }\n');
  if (registry) {
    mkdirSync(path.join(root, 'var'));
    writeFileSync(path.join(root, 'var/trackers.json'), '{}\n');
  }
  return root;
}

/** A project where create-new made tracker k and the user then edited `edited` of its files. */
async function withEditedK(edited: string[]): Promise<string> {
  const root = project();
  await createTracker({ root, name: 'k' }, { notify });
  for (const file of edited) appendFileSync(path.join(root, file), '// mine\n');
  return root;
}

const read = (root: string, file: string) => readFileSync(path.join(root, file), 'utf8');

/** Runs `body` with some of node:fs's functions replaced, as every module importing them by name sees them. */
async function withFs<T>(replace: (fs: typeof import('node:fs')) => void, body: () => Promise<T>): Promise<T> {
  const saved = { ...(fs as unknown as Record<string, unknown>) };
  replace(fs);
  syncBuiltinESMExports();
  try {
    return await body();
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if ((fs as unknown as Record<string, unknown>)[key] !== value)
        (fs as unknown as Record<string, unknown>)[key] = value;
    }
    syncBuiltinESMExports();
  }
}

const ioError = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });

describe('files the user edited since create-new generated them', () => {
  test('create-new --force keeps them: a conflict naming the file, what to pass, nothing written', async () => {
    const root = await withEditedK([K_FILES[0]!]);
    const before = snapshot(root);
    await assert.rejects(createTracker({ root, name: 'k', force: true }, { notify }), {
      code: 'EDITED_FILES',
      kind: 'conflict',
      message:
        'tracker "k": src/trackers/k.ts was edited since create-new generated it, and --force keeps what you wrote',
      hint:
        'pass --force twice (or --overwrite-edited) to replace it (--dry-run --diff --force shows what you would ' +
        'lose); nothing was written',
      details: { name: 'k', files: [K_FILES[0]] },
    });
    assert.deepEqual(snapshot(root), before);
  });

  test('several of them are named in one sentence', async () => {
    const root = await withEditedK(K_FILES);
    await assert.rejects(createTracker({ root, name: 'k', force: true }, { notify }), {
      code: 'EDITED_FILES',
      message:
        'tracker "k": src/trackers/k.ts, test/trackers/k.test.ts and docs/trackers/k.md were edited since create-new ' +
        'generated them, and --force keeps what you wrote',
      hint:
        'pass --force twice (or --overwrite-edited) to replace them (--dry-run --diff --force shows what you would ' +
        'lose); nothing was written',
    });
  });

  test('--force twice replaces them', async () => {
    const root = await withEditedK([K_FILES[0]!]);
    await createTracker({ root, name: 'k', force: true }, { notify, overwriteEdited: true });
    assert.ok(!read(root, K_FILES[0]!).includes('// mine'));
  });

  test('a confirmation replaces exactly the contents it showed; a file changed since is a conflict', async () => {
    const root = await withEditedK([K_FILES[0]!, K_FILES[2]!]);
    const shown = new Map(K_FILES.map((file) => [file, contentHash(read(root, file))]));
    appendFileSync(path.join(root, K_FILES[2]!), 'written after the question\n');
    const before = snapshot(root);
    await assert.rejects(createTracker({ root, name: 'k', force: true }, { notify, overwriteEdited: shown }), {
      code: 'FILE_CHANGED',
      kind: 'conflict',
      message: 'docs/trackers/k.md changed since you were shown it; nothing was written',
      hint: 'run the command again',
      details: { file: K_FILES[2] },
    });
    assert.deepEqual(snapshot(root), before);
    // A file the confirmation did not show at all is not allowed either.
    const partial = new Map([[K_FILES[0]!, contentHash(read(root, K_FILES[0]!))]]);
    await assert.rejects(createTracker({ root, name: 'k', force: true }, { notify, overwriteEdited: partial }), {
      code: 'FILE_CHANGED',
      message: /^docs\/trackers\/k\.md changed since you were shown it/,
    });
    shown.set(K_FILES[2]!, contentHash(read(root, K_FILES[2]!)));
    await createTracker({ root, name: 'k', force: true }, { notify, overwriteEdited: shown });
    assert.ok(!read(root, K_FILES[2]!).includes('written after the question'));
  });

  test('remove keeps them unless --force: a conflict naming them, nothing removed', async () => {
    const one = await withEditedK([K_FILES[1]!]);
    await assert.rejects(removeTracker({ root: one, name: 'k' }, { notify }), {
      code: 'EDITED_FILES',
      kind: 'conflict',
      message: 'tracker "k": test/trackers/k.test.ts was edited since create-new generated it',
      hint: 'pass --force to remove it anyway; nothing was removed',
      details: { name: 'k', files: [K_FILES[1]] },
    });
    const two = await withEditedK([K_FILES[0]!, K_FILES[1]!]);
    const before = snapshot(two);
    await assert.rejects(removeTracker({ root: two, name: 'k' }, { notify }), {
      message: 'tracker "k": src/trackers/k.ts and test/trackers/k.test.ts were edited since create-new generated them',
      hint: 'pass --force to remove them anyway; nothing was removed',
    });
    assert.deepEqual(snapshot(two), before);
    await removeTracker({ root: two, name: 'k' }, { notify, force: true });
    for (const file of K_FILES) assert.ok(!existsSync(path.join(two, file)), file);
  });
});

describe("init's commit", () => {
  test('a file it leaves unchanged may change meanwhile: only the files it writes must be as planned', async () => {
    const root = project();
    const changes: PlannedChange[] = [
      { action: 'unchanged', path: 'package.json', before: 'as planned\n', content: 'as planned\n' },
      { action: 'create', path: 'eslint.config.js', before: undefined, content: 'export default [];\n' },
    ] as PlannedChange[];
    writeFileSync(path.join(root, 'package.json'), 'as planned\n');
    const inode = statSync(path.join(root, 'package.json')).ino;
    writeFileSync(path.join(root, 'package.json'), 'edited meanwhile\n');
    await commitChanges(root, changes, { notify });
    assert.equal(read(root, 'eslint.config.js'), 'export default [];\n');
    assert.equal(read(root, 'package.json'), 'edited meanwhile\n');
    assert.equal(statSync(path.join(root, 'package.json')).ino, inode, 'not even replaced by the same content');
  });
  test('a file changed since planned: the conflict names it in its details (what --json prints)', async () => {
    const root = project();
    writeFileSync(path.join(root, 'package.json'), 'changed\n');
    const changes = [{ action: 'update', path: 'package.json', before: 'planned\n', content: 'new\n' }];
    await assert.rejects(commitChanges(root, changes as PlannedChange[], { notify }), {
      code: 'FILE_CHANGED',
      kind: 'conflict',
      details: { file: 'package.json' },
    });
  });

  test('an init killed mid-commit is named as such by the command that undoes it', async () => {
    const root = project();
    const before = snapshot(root);
    const killedAfterRename = { reached: async (point: string) => void assert.notEqual(point, 'renamed-1') };
    const changes = [{ action: 'create', path: 'a.txt', before: undefined, content: 'a\n' }] as PlannedChange[];
    await assert.rejects(commitChanges(root, changes, { notify, points: killedAfterRename }));
    const notices: string[] = [];
    await recoverInterruptedCommit(root, (line) => notices.push(line));
    assert.deepEqual(notices, [
      `undid "init", interrupted in process ${process.pid}: removed a.txt; the project is as before it`,
    ]);
    assert.deepEqual(snapshot(root), before);
  });
});

describe('a step that fails', () => {
  test('the journal itself failing to be written: nothing was changed, and says so', async () => {
    const root = project();
    const before = snapshot(root);
    await withFs(
      (fs) => {
        const fsyncSync = fs.fsyncSync;
        fs.fsyncSync = (fd) => {
          if (fs.readlinkSync(`/proc/self/fd/${fd}`).endsWith('.gymnos-journal')) throw ioError('EIO');
          fsyncSync(fd);
        };
      },
      () =>
        assert.rejects(createTracker({ root, name: 'k' }, { notify }), {
          code: 'WRITE_FAILED',
          message: `could not write ${JOURNAL_PATH} (EIO: simulated); nothing was changed (rolled back)`,
        }),
    );
    assert.deepEqual(snapshot(root), before);
  });

  test('rolling back failing too: says so, keeps the journal, and the next command undoes it', async () => {
    const root = project();
    const before = snapshot(root);
    let renames = 0;
    const failing: CommitFs = {
      ...nodeCommitFs,
      rename: (from, to) => {
        if ((renames += 1) === 2) throw ioError('EIO');
        nodeCommitFs.rename(from, to);
      },
    };
    await withFs(
      (fs) => {
        const rmdirSync = fs.rmdirSync;
        // The commit's directories only: the lock's own goes as usual.
        fs.rmdirSync = (dir) => {
          if (!String(dir).endsWith('.lock')) throw ioError('EBUSY');
          rmdirSync(dir);
        };
      },
      () =>
        assert.rejects(createTracker({ root, name: 'k' }, { notify, fs: failing }), (error: GymnosError) => {
          assert.equal(error.code, 'WRITE_FAILED');
          assert.equal(
            error.message,
            `could not write ${K_FILES[1]} (EIO: simulated); rolling back failed too (EBUSY: simulated): the next ` +
              `create-new, remove or init undoes it from ${JOURNAL_PATH}`,
          );
          return true;
        }),
    );
    assert.ok(existsSync(path.join(root, JOURNAL_PATH)));
    const notices: string[] = [];
    await recoverInterruptedCommit(root, (line) => notices.push(line));
    assert.equal(notices.length, 1);
    assert.deepEqual(snapshot(root), before);
  });

  test('a project that is not writable gets the hint to make it writable; other failures none', () => {
    for (const code of ['EACCES', 'EPERM', 'EROFS']) {
      const error = couldNotWrite('var/trackers.json', ioError(code), 'nothing was changed');
      assert.equal(error.hint, 'the project is not writable: make it writable (chmod -R u+w) and retry', code);
      assert.equal(error.kind, 'failure');
      assert.deepEqual(error.details, { file: 'var/trackers.json' });
    }
    assert.equal(writeFailed('could not', ioError('EIO'), 'f').hint, undefined);
    assert.equal(writeFailed('could not', new Error('no code'), 'f').hint, undefined);
    assert.equal(writeFailed('could not', undefined, 'f').hint, undefined);
    assert.equal(couldNotWrite('f', ioError('EIO'), 'so').message, 'could not write f (EIO: simulated); so');
    assert.equal(couldNotWrite('f', ioError('EIO'), 'so', 'remove').message, 'could not remove f (EIO: simulated); so');
  });

  test('a temp file is written with the mode of the file it replaces, exactly, and never wider meanwhile', () => {
    const root = project();
    const umask = process.umask(0o022);
    const modes: number[] = [];
    try {
      const chmodSync = fs.chmodSync;
      fs.chmodSync = (file, mode) => {
        modes.push(statSync(file).mode & 0o777); // as it was created, before its mode is set
        chmodSync(file, mode);
      };
      syncBuiltinESMExports();
      try {
        nodeCommitFs.writeFile(path.join(root, 'private.tmp'), 'secret\n', 0o600);
        nodeCommitFs.writeFile(path.join(root, 'script.tmp'), '#!/bin/sh\n', 0o775);
        nodeCommitFs.writeFile(path.join(root, 'new.tmp'), 'new\n', undefined);
      } finally {
        fs.chmodSync = chmodSync;
        syncBuiltinESMExports();
      }
    } finally {
      process.umask(umask);
    }
    assert.equal(modes[0]! & 0o077, 0, 'the private file was never readable by others');
    assert.equal(statSync(path.join(root, 'private.tmp')).mode & 0o777, 0o600);
    assert.equal(statSync(path.join(root, 'script.tmp')).mode & 0o777, 0o775, 'not cut by the umask');
    assert.equal(statSync(path.join(root, 'new.tmp')).mode & 0o777, 0o644, 'a new file as the umask says');
    assert.throws(() => nodeCommitFs.writeFile(path.join(root, 'new.tmp'), 'again\n', undefined), { code: 'EEXIST' });
  });
});

describe('the registry lock', () => {
  test('a journal the next command cannot undo stops it, saying why; the lock released, the journal kept', async () => {
    const root = project();
    writeJournal(root, {
      version: 1,
      operation: 'create-new tracker old',
      pid: 1,
      startedAt: '',
      directories: [],
      files: [{ target: 'k.ts', temp: `${'x'.repeat(300)}.ts`, before: null, mode: null, after: contentHash('x') }],
    });
    await assert.rejects(createTracker({ root, name: 'k' }, { notify }), {
      code: 'RECOVERY_FAILED',
      kind: 'failure',
      message: new RegExp(`^could not undo the interrupted command recorded in ${JOURNAL_PATH}: ENAMETOOLONG`),
      hint: 'fix the cause and run the command again',
      details: { file: JOURNAL_PATH },
    });
    assert.ok(existsSync(path.join(root, JOURNAL_PATH)));
    assert.ok(!existsSync(path.join(root, 'var/trackers.json.lock')), 'the lock is released');
    assert.ok(!existsSync(path.join(root, K_FILES[0]!)));
  });

  test('a command that fails in a project without var/ leaves no var/ behind; one that succeeds keeps it', async () => {
    const root = project(false);
    const before = snapshot(root);
    writeFileSync(path.join(root, 'src'), 'a file where src/ goes\n');
    await assert.rejects(createTracker({ root, name: 'k' }, { notify }));
    assert.ok(!existsSync(path.join(root, 'var')), 'the directory made for the lock is removed');
    await commitChanges(
      root,
      [{ action: 'create', path: 'a.txt', before: undefined, content: 'a\n' }] as PlannedChange[],
      {
        notify,
      },
    );
    assert.ok(statSync(path.join(root, 'var')).isDirectory());
    assert.ok(!existsSync(path.join(root, 'var/trackers.json.lock')));
    assert.notDeepEqual(snapshot(root), before);
  });

  test('a directory for the lock that cannot be made: one line naming it, nothing left', async () => {
    const root = project(false);
    const before = snapshot(root);
    await assert.rejects(
      createTracker(
        { root, name: 'k' },
        {
          notify,
          fs: {
            ...nodeCommitFs,
            mkdir: () => {
              throw ioError('EIO');
            },
          },
        },
      ),
      { code: 'WRITE_FAILED', message: 'could not write var (EIO: simulated); nothing was changed (rolled back)' },
    );
    assert.deepEqual(snapshot(root), before);
  });

  test('a command waiting for the lock says so, once, and goes on when it is released', async () => {
    const root = project();
    const release = await lockFile(path.join(root, 'var/trackers.json'));
    const notices: string[] = [];
    let told: () => void;
    const waiting = new Promise<void>((resolve) => (told = resolve));
    const created = createTracker({ root, name: 'k' }, { notify: (line) => (notices.push(line), told()) });
    // Told within a second or so; a waiter that never says so gives up after 10 s (LOCK_TIMEOUT), and fails here.
    await Promise.race([waiting, created]);
    assert.ok(!existsSync(path.join(root, K_FILES[0]!)), 'nothing written while the lock is held');
    await release();
    await created;
    assert.equal(notices.length, 1, notices.join('\n'));
    assert.match(
      notices[0]!,
      /^waiting for .*var\/trackers\.json\.lock, held by another process \(pid \d+\), for up to 10 s$/,
    );
    assert.ok(existsSync(path.join(root, K_FILES[0]!)));
  });

  test('a lock that cannot be taken: one line naming the registry, nothing written', async () => {
    const root = project(false);
    writeFileSync(path.join(root, 'var'), 'a file where var/ goes\n');
    const before = snapshot(root);
    await assert.rejects(createTracker({ root, name: 'k' }, { notify }), {
      code: 'WRITE_FAILED',
      message: /^could not lock var\/trackers\.json: ENOTDIR/,
      details: { file: 'var/trackers.json' },
    });
    assert.deepEqual(snapshot(root), before);
  });

  test('the directory made for the lock is kept when someone wrote in it meanwhile', async () => {
    const root = project(false);
    const points = {
      reached: async (point: string) => {
        if (point !== 'locked') return;
        writeFileSync(path.join(root, 'var/theirs.json'), '{}\n');
        throw ioError('EIO');
      },
    };
    await assert.rejects(createTracker({ root, name: 'k' }, { notify, points }), { code: 'EIO' });
    assert.equal(read(root, 'var/theirs.json'), '{}\n');
    assert.ok(!existsSync(path.join(root, 'var/trackers.json.lock')));
  });

  test('the directory made for the lock, not empty (EEXIST) or gone (ENOENT): the cause is said', async () => {
    for (const code of ['EEXIST', 'ENOENT', 'ENOTEMPTY']) {
      const root = project(false);
      const failAtLock = { reached: () => Promise.reject(ioError('EIO')) };
      const rmdir = () => {
        throw ioError(code);
      };
      await assert.rejects(
        createTracker({ root, name: 'k' }, { notify, points: failAtLock, fs: { ...nodeCommitFs, rmdir } }),
        { code: 'EIO' },
        code,
      );
    }
  });

  test('two commands at once in a project without var/: the one that finds it made meanwhile goes on', async () => {
    const root = project(false);
    // The other command's mkdir wins between this one's check and its own: EEXIST, and var/ is theirs.
    const madeMeanwhile: CommitFs = {
      ...nodeCommitFs,
      mkdir: (dir) => {
        nodeCommitFs.mkdir(dir);
        if (path.basename(dir) !== 'var') return;
        throw Object.assign(new Error(`EEXIST: file already exists, mkdir '${dir}'`), { code: 'EEXIST' });
      },
    };
    await createTracker({ root, name: 'k' }, { notify, fs: madeMeanwhile });
    assert.ok(existsSync(path.join(root, K_FILES[0]!)));
    // And failing, it leaves their var/ where it is.
    const other = project(false);
    const failAtLock = { reached: () => Promise.reject(ioError('EIO')) };
    await assert.rejects(createTracker({ root: other, name: 'k' }, { notify, fs: madeMeanwhile, points: failAtLock }), {
      code: 'EIO',
    });
    assert.ok(statSync(path.join(other, 'var')).isDirectory());
  });

  test('an rmdir failure that is none of those is not hidden', async () => {
    const root = project(false);
    const failAtLock = { reached: () => Promise.reject(ioError('EIO')) };
    const rmdir = () => {
      throw ioError('EBUSY');
    };
    await assert.rejects(
      createTracker({ root, name: 'k' }, { notify, points: failAtLock, fs: { ...nodeCommitFs, rmdir } }),
      { code: 'EBUSY' },
    );
  });

  test('a lock a killed command left without a journal is removed before the next plans', async () => {
    const root = project();
    mkdirSync(path.join(root, 'var/trackers.json.lock'));
    writeFileSync(
      path.join(root, 'var/trackers.json.lock/owner.json'),
      JSON.stringify({ pid: 2 ** 22 + 7, host: hostname(), id: 'killed' }),
    );
    await recoverInterruptedCommit(root, notify);
    assert.ok(!existsSync(path.join(root, 'var/trackers.json.lock')));
  });
});
