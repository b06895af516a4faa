/**
 * The commit's rollback journal, unit by unit (src/scaffold/journal.ts): what a killed create-new, remove or init
 * leaves is undone by the next command exactly, never touching what is not the commit's own, and a journal that
 * cannot be undone stays for the next try. Faults a real disk gives only rarely (EIO, a full disk) are injected into
 * node:fs for the length of one call.
 */
import assert from 'node:assert/strict';
import fs, {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import {
  contentHash,
  JOURNAL_PATH,
  journalPath,
  recoverFromJournal,
  undoJournal,
  writeDurably,
  writeJournal,
} from '../../src/scaffold/journal.js';
import type { Journal, JournalFile } from '../../src/scaffold/journal.js';
import { emptyProject, removeProjects } from '../helpers/project.js';

after(removeProjects);

type FsModule = Record<string, unknown>;

/** Runs `body` with some of node:fs's functions replaced, as every module importing them by name sees them. */
function withFs<T>(replace: (fs: typeof import('node:fs')) => void, body: () => T): T {
  const saved = { ...(fs as unknown as FsModule) };
  replace(fs);
  syncBuiltinESMExports();
  try {
    return body();
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if ((fs as unknown as FsModule)[key] !== value) (fs as unknown as FsModule)[key] = value;
    }
    syncBuiltinESMExports();
  }
}

const ioError = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });

/** Every fsync fails as a disk's would. */
const diskError = (fs: typeof import('node:fs')) => {
  fs.fsyncSync = () => {
    throw ioError('EIO');
  };
};

/** A file system that cannot fsync a directory (EINVAL); files sync as usual. */
const directorySyncUnsupported = (fs: typeof import('node:fs')) => {
  const fsyncSync = fs.fsyncSync;
  fs.fsyncSync = (fd) => {
    if (fs.fstatSync(fd).isDirectory()) throw ioError('EINVAL');
    fsyncSync(fd);
  };
};

/** The paths fsynced while `body` runs (a descriptor's path, read from /proc: Linux). */
function fsyncedPaths(body: () => void): string[] {
  const synced: string[] = [];
  withFs((fs) => {
    const fsyncSync = fs.fsyncSync;
    fs.fsyncSync = (fd) => {
      synced.push(fs.readlinkSync(`/proc/self/fd/${fd}`));
      fsyncSync(fd);
    };
  }, body);
  return synced;
}

/** A project with a registry (`var/trackers.json`, mode 0644): the journal's directory. */
function project(): string {
  const root = realpathSync(emptyProject());
  mkdirSync(path.join(root, 'var'));
  writeFileSync(path.join(root, 'var/trackers.json'), '{}\n');
  return root;
}

function journalOf(files: JournalFile[], directories: string[] = []): Journal {
  return { version: 1, operation: 'create-new tracker k', pid: 4242, startedAt: '', directories, files };
}

/** A file the commit creates: `after` its new content. */
const created = (target: string, after: string): JournalFile => ({
  target,
  temp: `${target}.1.x.gymnos-tmp`,
  before: null,
  mode: null,
  after: contentHash(after),
});

const read = (root: string, file: string) => readFileSync(path.join(root, file), 'utf8');
const hasJournal = (root: string) => existsSync(path.join(root, JOURNAL_PATH));

describe('contentHash', () => {
  test('is part of the journal format: a journal left by one gymnos is undone by the next version', () => {
    // Version 1's values: a hash that changed would leave every file a killed commit wrote to the next run.
    assert.equal(contentHash(''), '0:wvjl67o803');
    assert.equal(contentHash('a'), '1:262p94epp1d');
    assert.equal(contentHash('{\n  "k": "trackers/k.js#KTracker"\n}\n'), '36:9ajrk7fnye');
    assert.equal(contentHash('é☃😀'), '4:2bkbnatda5b');
  });

  test('tells apart contents of the same length', () => {
    assert.notEqual(contentHash('a'), contentHash('b'));
    assert.notEqual(contentHash('{"k":1}\n'), contentHash('{"k":2}\n'));
  });
});

test('journalPath: relative to the root inside it (a moved project still recovers), absolute outside', () => {
  const root = '/projects/p';
  assert.equal(journalPath(root, '/projects/p/src/trackers/k.ts'), 'src/trackers/k.ts');
  assert.equal(journalPath(root, '/projects/shared/trackers.json'), '/projects/shared/trackers.json');
  assert.equal(journalPath(root, '/elsewhere/trackers.json'), '/elsewhere/trackers.json');
});

describe('writeDurably', () => {
  test('a file kept private is private from its creation: the mode is given to the open, not set after', () => {
    const root = project();
    const file = path.join(root, 'private.json');
    writeDurably(file, 'secret\n', { flag: 'wx', mode: 0o600 });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(read(root, 'private.json'), 'secret\n');
    assert.throws(() => writeDurably(file, 'other\n', { flag: 'wx' }), { code: 'EEXIST' });
    assert.equal(read(root, 'private.json'), 'secret\n', 'wx never overwrites');
  });
});

describe('writeJournal', () => {
  test('is durable before the commit goes on: the journal and its directory are fsynced', () => {
    const root = project();
    const synced = fsyncedPaths(() => writeJournal(root, journalOf([created('src/k.ts', 'x')])));
    assert.deepEqual(synced, [path.join(root, JOURNAL_PATH), path.join(root, 'var')]);
  });

  test('a directory that cannot be synced (some file systems) still gets its journal', () => {
    const root = project();
    withFs(directorySyncUnsupported, () => writeJournal(root, journalOf([])));
    assert.ok(hasJournal(root));
  });

  test('refuses to replace a journal already there (one transaction at a time), and leaves it', () => {
    const root = project();
    writeFileSync(path.join(root, JOURNAL_PATH), 'the other one\n');
    assert.throws(() => writeJournal(root, journalOf([])), { code: 'EEXIST' });
    assert.equal(read(root, JOURNAL_PATH), 'the other one\n');
  });

  test('a journal that could not be written in full is not left behind', () => {
    const root = project();
    withFs(diskError, () =>
      assert.throws(() => writeJournal(root, journalOf([created('src/k.ts', 'x')])), { code: 'EIO' }),
    );
    assert.ok(!hasJournal(root), 'no journal: nothing else was written, nothing for the next run to undo');
  });

  test('leaves no descriptor open, written or failed (a command that undoes in a signal handler lives on)', () => {
    const root = project();
    const open = () => readdirSync('/proc/self/fd').length;
    const before = open();
    writeJournal(root, journalOf([]));
    assert.equal(open(), before, 'after a write and its directory sync');
    rmSync(path.join(root, JOURNAL_PATH));
    withFs(diskError, () => assert.throws(() => writeJournal(root, journalOf([])), { code: 'EIO' }));
    assert.equal(open(), before, 'after a failed write');
    withFs(directorySyncUnsupported, () => writeJournal(root, journalOf([])));
    assert.equal(open(), before, 'after a directory sync that failed');
  });
});

describe('recoverFromJournal', () => {
  test('no journal: nothing to say', () => {
    assert.equal(recoverFromJournal(project()), undefined);
  });

  test('a journal of a command killed before it wrote anything: says so, and removes it', () => {
    const root = project();
    writeJournal(root, journalOf([created('src/k.ts', 'x')], ['src']));
    assert.equal(
      recoverFromJournal(root),
      'undid "create-new tracker k", interrupted in process 4242: none of its files had been written; ' +
        'the project is as before it',
    );
    assert.ok(!hasJournal(root));
  });

  for (const [what, text] of [
    ['another version', '{"version":2,"files":[],"directories":[]}\n'],
    ['no files', '{"version":1,"directories":[]}\n'],
    ['no directories', '{"version":1,"files":[]}\n'],
    ['not an object', 'null\n'],
  ]) {
    test(`a journal that is not one gymnos can undo (${what}) is removed, saying so`, () => {
      const root = project();
      writeFileSync(path.join(root, JOURNAL_PATH), text);
      assert.match(recoverFromJournal(root)!, /^removed var\/trackers\.json\.gymnos-journal, left by a command killed/);
      assert.ok(!hasJournal(root));
    });
  }

  test('a journal that cannot be read is an error, never taken for no journal', () => {
    const root = project();
    mkdirSync(path.join(root, JOURNAL_PATH)); // EISDIR: as EIO or EACCES would, the read fails
    assert.throws(() => recoverFromJournal(root), { code: 'EISDIR' });
  });
});

describe('undoJournal', () => {
  test("leaves a target that holds someone else's content since, even of the same length", () => {
    const root = project();
    writeFileSync(path.join(root, 'k.ts'), 'b');
    writeFileSync(path.join(root, 'var/trackers.json'), '{"k":2}\n');
    const journal = journalOf([
      created('k.ts', 'a'),
      { target: 'var/trackers.json', temp: 'var/t.tmp', before: '{}\n', mode: 0o644, after: contentHash('{"k":1}\n') },
    ]);
    assert.deepEqual(undoJournal(root, journal), { removed: [], restored: [] });
    assert.equal(read(root, 'k.ts'), 'b');
    assert.equal(read(root, 'var/trackers.json'), '{"k":2}\n');
    assert.ok(!hasJournal(root));
  });

  test('restores a file with its mode exactly, one the umask would cut too', () => {
    const root = project();
    const script = path.join(root, 'run.sh');
    writeFileSync(script, 'new\n');
    const umask = process.umask(0o022);
    try {
      const journal = journalOf([
        { target: 'run.sh', temp: '.run.sh.tmp', before: 'old\n', mode: 0o777, after: contentHash('new\n') },
      ]);
      assert.deepEqual(undoJournal(root, journal), { removed: [], restored: ['run.sh'] });
    } finally {
      process.umask(umask);
    }
    assert.equal(read(root, 'run.sh'), 'old\n');
    assert.equal(statSync(script).mode & 0o777, 0o777);
    assert.ok(!existsSync(path.join(root, '.run.sh.tmp')));
  });

  test('restores a private file without a moment readable by others', () => {
    const root = project();
    writeFileSync(path.join(root, 'secret.json'), 'new\n');
    const created: number[] = [];
    withFs(
      (fs) => {
        const chmodSync = fs.chmodSync;
        fs.chmodSync = (file, mode) => {
          created.push(fs.statSync(file).mode & 0o777); // as the open made it, before its mode is set
          chmodSync(file, mode);
        };
      },
      () =>
        undoJournal(
          root,
          journalOf([
            { target: 'secret.json', temp: 's.tmp', before: 'old\n', mode: 0o600, after: contentHash('new\n') },
          ]),
        ),
    );
    assert.deepEqual(created, [0o600]);
    assert.equal(read(root, 'secret.json'), 'old\n');
  });

  test('a target in the way of a path (a file where a directory was, a directory where a file was) is left', () => {
    const root = project();
    writeFileSync(path.join(root, 'docs'), 'a file now\n');
    mkdirSync(path.join(root, 'k.ts'));
    const journal = journalOf([created('docs/k.md', '# k\n'), created('k.ts', 'x')], ['docs']);
    assert.deepEqual(undoJournal(root, journal), { removed: [], restored: [] });
    assert.equal(read(root, 'docs'), 'a file now\n');
    assert.ok(statSync(path.join(root, 'k.ts')).isDirectory());
    assert.ok(!hasJournal(root));
  });

  test('a file it removed comes back with its mode; one not removed yet is left as it is', () => {
    const root = project();
    writeFileSync(path.join(root, 'still.md'), 'still\n');
    const removed = (target: string, before: string): JournalFile => ({
      target,
      temp: `.${target}.tmp`,
      before,
      mode: 0o640,
      after: null,
    });
    const journal = journalOf([removed('gone.md', 'gone\n'), removed('still.md', 'was\n')]);
    assert.deepEqual(undoJournal(root, journal), { removed: [], restored: ['gone.md'] });
    assert.equal(read(root, 'gone.md'), 'gone\n');
    assert.equal(statSync(path.join(root, 'gone.md')).mode & 0o777, 0o640);
    assert.equal(read(root, 'still.md'), 'still\n');
  });

  test('directories: removed when empty, kept when someone put a file in, fine when never made', () => {
    const root = project();
    mkdirSync(path.join(root, 'a/b'), { recursive: true });
    mkdirSync(path.join(root, 'c'));
    writeFileSync(path.join(root, 'c/theirs.txt'), 'theirs\n');
    writeFileSync(path.join(root, 'e'), 'a file\n');
    undoJournal(root, journalOf([], ['a', 'a/b', 'c', 'd', 'e']));
    assert.ok(!existsSync(path.join(root, 'a')), 'a/b, then a, removed');
    assert.equal(read(root, 'c/theirs.txt'), 'theirs\n');
    assert.equal(read(root, 'e'), 'a file\n');
    assert.ok(!hasJournal(root));
  });

  test("a directory rmdir calls not empty with EEXIST (as POSIX allows, for ENOTEMPTY) is left, as someone's", () => {
    const root = project();
    mkdirSync(path.join(root, 'src'));
    writeJournal(root, journalOf([], ['src']));
    withFs(
      (fs) => {
        fs.rmdirSync = () => {
          throw ioError('EEXIST');
        };
      },
      () => assert.match(recoverFromJournal(root)!, /none of its files had been written/),
    );
    assert.ok(!hasJournal(root));
  });

  test('a step the file system refuses throws and keeps the journal; the next try undoes it all', () => {
    const root = project();
    writeFileSync(path.join(root, 'k.ts'), 'x');
    mkdirSync(path.join(root, 'src'));
    writeJournal(root, journalOf([created('k.ts', 'x')], ['src']));
    withFs(
      (fs) => {
        fs.rmdirSync = () => {
          throw ioError('EIO');
        };
      },
      () => assert.throws(() => recoverFromJournal(root), { code: 'EIO' }),
    );
    assert.ok(hasJournal(root), 'the journal stays for the next command');
    assert.ok(!existsSync(path.join(root, 'k.ts')));
    assert.match(recoverFromJournal(root)!, /: none of its files had been written; the project is as before it$/);
    assert.ok(!existsSync(path.join(root, 'src')));
    assert.ok(!hasJournal(root));
  });

  test('a temp file or target that cannot be looked at (not merely absent) stops the undo', () => {
    const root = project();
    const long = `${'x'.repeat(300)}.ts`; // ENAMETOOLONG: an error of the path, not its absence
    writeJournal(root, journalOf([{ ...created('k.ts', 'x'), temp: long }]));
    assert.throws(() => recoverFromJournal(root), { code: 'ENAMETOOLONG' });
    assert.ok(hasJournal(root));
    writeFileSync(path.join(root, JOURNAL_PATH), JSON.stringify(journalOf([{ ...created(long, 'x'), temp: 'k.tmp' }])));
    assert.throws(() => recoverFromJournal(root), { code: 'ENAMETOOLONG' });
    assert.ok(hasJournal(root));
  });

  test('the directories of the files it put back are fsynced: the undo survives a power cut', () => {
    const root = project();
    mkdirSync(path.join(root, 'src'));
    writeFileSync(path.join(root, 'src/k.ts'), 'x');
    writeFileSync(path.join(root, 'var/trackers.json'), '{"k":1}\n');
    const journal = journalOf([
      created('src/k.ts', 'x'),
      { target: 'var/trackers.json', temp: 'var/t.tmp', before: '{}\n', mode: 0o644, after: contentHash('{"k":1}\n') },
    ]);
    const synced = fsyncedPaths(() => undoJournal(root, journal));
    assert.ok(synced.includes(path.join(root, 'src')), `src/ synced after k.ts was removed: ${synced.join(' ')}`);
    assert.ok(synced.includes(path.join(root, 'var')), 'var/ synced after the registry was restored');
  });
});
