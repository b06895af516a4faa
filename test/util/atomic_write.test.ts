import assert from 'node:assert/strict';
import {
  chmodSync,
  linkSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { writeFileAtomic, writeFileAtomicSync } from '../../src/util/atomic_write.js';

for (const [label, write] of [
  ['async', writeFileAtomic],
  ['sync', async (file: string, data: string) => writeFileAtomicSync(file, data)],
] as const) {
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
