import assert from 'node:assert/strict';
import {
  chmodSync,
  existsSync,
  linkSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { runChildSync, spawnInTest } from '../helpers/children.js';
import { temporaryPathFor, writeFileAtomic, writeFileAtomicSync } from '../../src/util/atomic_write.js';

const require = createRequire(import.meta.url);
type FsModule = typeof import('node:fs');
type FsPromises = typeof import('node:fs/promises');
type FileHandle = Awaited<ReturnType<FsPromises['open']>>;

/**
 * Runs `body` with some of node:fs's and node:fs/promises' functions replaced, as every module importing them sees
 * them (syncBuiltinESMExports updates the ES modules' bindings): faults a real disk gives only rarely.
 */
async function withFs(
  replace: (fs: FsModule, fsp: FsPromises) => void,
  body: () => Promise<void> | void,
): Promise<void> {
  const fs = require('node:fs') as FsModule;
  const fsp = require('node:fs/promises') as FsPromises;
  const saved = [
    [fs, { ...fs }],
    [fsp, { ...fsp }],
  ] as [Record<string, unknown>, Record<string, unknown>][];
  replace(fs, fsp);
  syncBuiltinESMExports();
  try {
    await body();
  } finally {
    for (const [module, before] of saved) {
      for (const [key, value] of Object.entries(before)) if (module[key] !== value) module[key] = value;
    }
    syncBuiltinESMExports();
  }
}

const errorWithCode = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });

/** Counts the fsyncs of both halves (fsyncSync, FileHandle.sync) while `body` runs. */
async function countingSyncs(body: () => Promise<void>): Promise<number> {
  const fsp = require('node:fs/promises') as FsPromises;
  const probe = await fsp.open(tmpdir(), 'r');
  const prototype = Object.getPrototypeOf(probe) as FileHandle;
  await probe.close();
  const sync = prototype.sync;
  let count = 0;
  prototype.sync = function (this: FileHandle) {
    count += 1;
    return sync.call(this);
  };
  try {
    await withFs((fs) => {
      const fsyncSync = fs.fsyncSync;
      fs.fsyncSync = (fd) => {
        count += 1;
        fsyncSync(fd);
      };
    }, body);
  } finally {
    prototype.sync = sync;
  }
  return count;
}

/** Where /proc says which descriptors this process holds (Linux). */
const openDescriptors = () => readdirSync('/proc/self/fd').length;

/** Codes of a directory's open or fsync that mean "cannot sync a directory here" (Windows, some network mounts). */
const DIRECTORY_SYNC_UNSUPPORTED = ['EISDIR', 'EINVAL', 'EPERM', 'EACCES', 'EBADF', 'ENOTSUP'];

for (const [label, write] of [
  ['async', writeFileAtomic],
  [
    'sync',
    async (file: string, data: string, options?: { mode?: number; durable?: boolean }) =>
      writeFileAtomicSync(file, data, options),
  ],
] as const) {
  test(`writeFileAtomic (${label}) creates a new file: 0666 less the umask, or the mode asked for`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gymnos-atomic-'));
    const umask = process.umask(0o022);
    try {
      await write(path.join(dir, 'plain.json'), 'plain');
      await write(path.join(dir, 'private.json'), 'private', { mode: 0o600 });
    } finally {
      process.umask(umask);
    }
    assert.equal(readFileSync(path.join(dir, 'plain.json'), 'utf8'), 'plain');
    assert.equal(statSync(path.join(dir, 'plain.json')).mode & 0o777, 0o644);
    assert.equal(readFileSync(path.join(dir, 'private.json'), 'utf8'), 'private');
    assert.equal(statSync(path.join(dir, 'private.json')).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir).sort(), ['plain.json', 'private.json']);
  });

  test(`writeFileAtomic (${label}) never writes through something already at its temporary path`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gymnos-atomic-'));
    const file = path.join(dir, 'registry.json');
    const victim = path.join(dir, 'victim.txt');
    writeFileSync(file, 'old');
    writeFileSync(victim, 'keep');
    // The temporary name made predictable, and a symlink planted there: a write that opens it without
    // O_EXCL would write the victim through the link.
    const random = Math.random;
    Math.random = () => 0.5;
    try {
      symlinkSync(victim, temporaryPathFor(file));
      await assert.rejects(
        Promise.resolve().then(() => write(file, 'new')),
        { code: 'EEXIST' },
      );
    } finally {
      Math.random = random;
    }
    assert.equal(readFileSync(victim, 'utf8'), 'keep');
    assert.equal(readFileSync(file, 'utf8'), 'old');
  });

  test(`writeFileAtomic (${label}) fails with the error of the write itself (a missing directory)`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gymnos-atomic-'));
    // The temporary file is never created: removing it must not replace the open's error with its own.
    await assert.rejects(
      Promise.resolve().then(() => write(path.join(dir, 'missing', 'file.json'), 'data')),
      { code: 'ENOENT', syscall: 'open' },
    );
    assert.deepEqual(readdirSync(dir), []);
  });

  test(`writeFileAtomic (${label}) writes a symlink's target and keeps the link`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gymnos-atomic-'));
    writeFileSync(path.join(dir, 'real.json'), 'old');
    symlinkSync('real.json', path.join(dir, 'link.json'));
    await write(path.join(dir, 'link.json'), 'new');
    assert.equal(readlinkSync(path.join(dir, 'link.json')), 'real.json');
    assert.equal(readFileSync(path.join(dir, 'real.json'), 'utf8'), 'new');
    assert.deepEqual(readdirSync(dir).sort(), ['link.json', 'real.json']);
  });

  test(`writeFileAtomic (${label}) keeps an existing file's mode`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gymnos-atomic-'));
    const file = path.join(dir, 'private.json');
    writeFileSync(file, 'old');
    chmodSync(file, 0o600);
    await write(file, 'new');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readFileSync(file, 'utf8'), 'new');
  });

  test(`writeFileAtomic (${label}) replaces the file: a hard link to the old one keeps the old data`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gymnos-atomic-'));
    const file = path.join(dir, 'registry.json');
    writeFileSync(file, 'old content');
    // A second name for the old file's inode: a write in place (truncate, then write) would change it too.
    linkSync(file, path.join(dir, 'old-inode.json'));
    await write(file, 'new');
    assert.equal(readFileSync(file, 'utf8'), 'new');
    assert.equal(readFileSync(path.join(dir, 'old-inode.json'), 'utf8'), 'old content');
    assert.notEqual(statSync(file).ino, statSync(path.join(dir, 'old-inode.json')).ino);
  });

  test(`writeFileAtomic (${label}) keeps a mode exactly, bits the umask would clear included`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gymnos-atomic-'));
    const file = path.join(dir, 'shared.json');
    writeFileSync(file, 'old');
    chmodSync(file, 0o666);
    // A umask that clears group and other bits: the temporary file is created 0600 and must be set back to 0666.
    const umask = process.umask(0o077);
    try {
      await write(file, 'new');
    } finally {
      process.umask(umask);
    }
    assert.equal(statSync(file).mode & 0o777, 0o666);
    assert.equal(readFileSync(file, 'utf8'), 'new');
  });

  test(`writeFileAtomic (${label}): a reader in another process never sees a partial file`, async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gymnos-atomic-'));
    const file = path.join(dir, 'document.json');
    // Two documents of different sizes, large enough that a write in place (truncate, then write) takes a while.
    const documents = [`{"fill":"${'a'.repeat(1 << 18)}"}`, `{"fill":"${'b'.repeat(3 << 17)}"}`];
    writeFileSync(file, documents[0]!);
    // The reader says how many reads it made, every 100, and names any read that is neither document.
    const reader = spawnInTest(
      t,
      process.execPath,
      [
        '-e',
        `const fs = require('node:fs');
const documents = [\`{"fill":"\${'a'.repeat(1 << 18)}"}\`, \`{"fill":"\${'b'.repeat(3 << 17)}"}\`];
process.stdout.write('ready\\n');
for (let reads = 1; ; reads++) {
  const text = fs.readFileSync(process.argv[1], 'utf8');
  if (text !== documents[0] && text !== documents[1]) process.stdout.write('partial ' + text.length + '\\n');
  if (reads % 100 === 0) process.stdout.write('reads ' + reads + '\\n');
}`,
        file,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    reader.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    while (!output.includes('ready')) await new Promise((resolve) => setTimeout(resolve, 10));
    const readsSoFar = () => Number([...output.matchAll(/reads (\d+)/g)].at(-1)?.[1] ?? 0);
    const before = readsSoFar();
    // Rewrites until the reader has read a hundred times while they went on (and at least 30 of them).
    let writes = 0;
    while ((writes < 30 || readsSoFar() - before < 100) && writes < 5_000 && !output.includes('partial')) {
      await write(file, documents[++writes % 2]!);
      await new Promise((resolve) => setImmediate(resolve)); // the reader's lines come in
    }
    reader.kill();
    assert.deepEqual(output.match(/partial \d+/g) ?? [], [], 'reads that saw neither the old nor the new file');
    assert.ok(readsSoFar() - before >= 100, `the reader read ${readsSoFar() - before} times during ${writes} writes`);
  });

  test(`writeFileAtomic (${label}) is durable: data fsynced before the rename, the directory after`, (t) => {
    // A power cut cannot be made here; the system calls a real write makes can be watched (strace, where it runs).
    if (runChildSync('strace', ['-o', '/dev/null', 'true']).status !== 0) {
      t.skip('strace is not available here (or may not trace)');
      return;
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'gymnos-atomic-'));
    const file = path.join(dir, 'document.json');
    writeFileSync(file, 'old');
    const trace = path.join(dir, 'trace.txt');
    const module = pathToFileURL(path.resolve('src/util/atomic_write.ts')).href;
    const call = label === 'sync' ? 'writeFileAtomicSync' : 'await writeFileAtomic';
    const traced = runChildSync('strace', [
      ...['-f', '-e', 'trace=openat,open,fsync,fdatasync,rename,renameat,renameat2', '-o', trace],
      ...[process.execPath, '--import', pathToFileURL(path.resolve('test/loader/register.mjs')).href],
      ...[
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(module)}); ` +
          `${call.replace(/(\w+)$/, 'm.$1')}(${JSON.stringify(file)}, 'new');`,
      ],
    ]);
    assert.equal(traced.status, 0, traced.stderr);
    assert.equal(readFileSync(file, 'utf8'), 'new');
    const calls = readFileSync(trace, 'utf8').split('\n');
    const at = (pattern: RegExp, from = 0) => calls.findIndex((line, i) => i >= from && pattern.test(line));
    const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const openTemp = at(
      new RegExp(`open(at)?\\(.*"${escaped(dir)}/\\.document\\.json\\.[^"]*\\.gymnos-tmp", O_WRONLY`),
    );
    const tempFd = /= (\d+)$/.exec(calls[openTemp] ?? '')?.[1];
    const renamed = at(new RegExp(`rename(at2?)?\\(.*\\.gymnos-tmp", .*"${escaped(file)}"`));
    const syncedData = at(new RegExp(`f(data)?sync\\(${tempFd}\\b`), openTemp + 1);
    const openDir = at(new RegExp(`open(at)?\\(.*"${escaped(dir)}", O_RDONLY`), renamed + 1);
    const dirFd = /= (\d+)$/.exec(calls[openDir] ?? '')?.[1];
    const syncedDir = at(new RegExp(`f(data)?sync\\(${dirFd}\\b`), openDir + 1);
    assert.ok(openTemp >= 0 && tempFd !== undefined && renamed > openTemp, `no write through a temporary file seen`);
    assert.ok(syncedData > openTemp && syncedData < renamed, 'the temporary file is fsynced before the rename');
    assert.ok(openDir > renamed && dirFd !== undefined && syncedDir > openDir, 'the directory is fsynced after it');
  });

  test(`writeFileAtomic (${label}) syncs the file and its directory, and with durable: false nothing`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gymnos-atomic-'));
    const file = path.join(dir, 'summary.json');
    // A cache passes durable: false to pay no fsync on every write; everything else is synced twice.
    assert.equal(await countingSyncs(() => write(file, 'durable')), 2);
    assert.equal(await countingSyncs(() => write(file, 'cache', { durable: false })), 0);
    assert.equal(readFileSync(file, 'utf8'), 'cache');
  });

  test(`writeFileAtomic (${label}) leaves no descriptor open, a directory's that cannot sync included`, async (t) => {
    if (!existsSync('/proc/self/fd')) return t.skip('no /proc/self/fd here to count descriptors');
    const dir = mkdtempSync(path.join(tmpdir(), 'gymnos-atomic-'));
    const file = path.join(dir, 'summary.json');
    await write(file, 'warm up');
    const before = openDescriptors();
    // A training run rewrites its summary thousands of times: a descriptor left open per write runs out.
    for (let index = 0; index < 20; index++) await write(file, `write ${index}`);
    assert.equal(openDescriptors(), before);
    await withFs(
      (fs, fsp) => {
        fs.fsyncSync = (fd) => {
          if (fs.fstatSync(fd).isDirectory()) throw errorWithCode('EINVAL');
        };
        const open = fsp.open;
        fsp.open = async (...args: Parameters<FsPromises['open']>) => {
          const handle = await open(...args);
          if (!(await handle.stat()).isDirectory()) return handle;
          handle.sync = () => Promise.reject(errorWithCode('EINVAL'));
          return handle;
        };
      },
      async () => {
        for (let index = 0; index < 5; index++) await write(file, `unsynced ${index}`);
      },
    );
    assert.equal(openDescriptors(), before);
    assert.equal(readFileSync(file, 'utf8'), 'unsynced 4');
  });

  for (const code of DIRECTORY_SYNC_UNSUPPORTED) {
    test(`writeFileAtomic (${label}) writes where a directory cannot be opened to sync (${code})`, async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'gymnos-atomic-'));
      const file = path.join(dir, 'trackers.json');
      writeFileSync(file, 'old');
      await withFs(
        (fs, fsp) => {
          const openSync = fs.openSync;
          fs.openSync = ((where: string, ...rest: unknown[]) => {
            if (where === dir) throw errorWithCode(code);
            return (openSync as (...args: unknown[]) => number)(where, ...rest);
          }) as FsModule['openSync'];
          const open = fsp.open;
          fsp.open = ((where: string, ...rest: unknown[]) =>
            where === dir
              ? Promise.reject(errorWithCode(code))
              : (open as (...args: unknown[]) => Promise<FileHandle>)(where, ...rest)) as FsPromises['open'];
        },
        () => write(file, 'new'),
      );
      assert.equal(readFileSync(file, 'utf8'), 'new');
      assert.deepEqual(readdirSync(dir), ['trackers.json']);
    });
  }

  test(`writeFileAtomic (${label}) fails when the directory's fsync fails with a disk error (EIO)`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gymnos-atomic-'));
    const file = path.join(dir, 'trackers.json');
    // The rename may not be on disk: the caller must hear of it (not a directory that cannot be synced).
    await withFs(
      (fs, fsp) => {
        fs.fsyncSync = (fd) => {
          if (fs.fstatSync(fd).isDirectory()) throw errorWithCode('EIO');
        };
        const open = fsp.open;
        fsp.open = async (...args: Parameters<FsPromises['open']>) => {
          const handle = await open(...args);
          if ((await handle.stat()).isDirectory()) handle.sync = () => Promise.reject(errorWithCode('EIO'));
          return handle;
        };
      },
      () =>
        assert.rejects(
          Promise.resolve().then(() => write(file, 'new')),
          { code: 'EIO' },
        ),
    );
  });

  test(`writeFileAtomic (${label}) leaves no temporary file when the rename fails`, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gymnos-atomic-'));
    const target = path.join(dir, 'taken');
    // A non-empty directory where the file should go: the write of the temporary file succeeds, the rename fails.
    writeFileSync(path.join(dir, 'placeholder'), '');
    await import('node:fs').then(({ mkdirSync }) => mkdirSync(path.join(target, 'inner'), { recursive: true }));
    await assert.rejects(Promise.resolve().then(() => write(target, 'data')));
    assert.deepEqual(readdirSync(dir).sort(), ['placeholder', 'taken']);
  });
}

test('the temporary file is a hidden sibling of the target, named after it, recognizable by its suffix', () => {
  const file = path.join('some', 'dir', 'trackers.json');
  const temporary = temporaryPathFor(file);
  assert.equal(path.dirname(temporary), path.join('some', 'dir'));
  assert.ok(path.basename(temporary).startsWith(`.trackers.json.${process.pid}.`), temporary);
  assert.ok(temporary.endsWith('.gymnos-tmp'), temporary);
  assert.notEqual(temporaryPathFor(file), temporary);
});
