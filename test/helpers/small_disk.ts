/**
 * A small real disk that fills and frees, for the tests of a transient disk-full: a 2 MiB tmpfs (mounting needs
 * root, or sudo without a password; the tests say why they skip otherwise) and a filler file that takes every
 * byte of it.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runChildSync } from './children.js';

const SUDO = process.getuid?.() === 0 ? [] : ['sudo', '-n'];

function command(args: string[]): { ok: boolean; error: string } {
  const [program, ...rest] = [...SUDO, ...args];
  const result = runChildSync(program!, rest, { timeout: 60_000 });
  return { ok: result.status === 0, error: (result.stderr || result.error?.message || '').trim() };
}

/** A 2 MiB tmpfs on a new directory, or why there cannot be one here. */
export function mountSmallDisk(): { dir: string } | { why: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gymnos-full-'));
  const mounted = command(['mount', '-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir]);
  if (mounted.ok) return { dir };
  rmSync(dir, { recursive: true, force: true });
  return { why: `cannot mount a tmpfs (needs root or passwordless sudo): ${mounted.error}` };
}

export function unmountSmallDisk(dir: string): void {
  command(['umount', '-l', dir]);
  rmSync(dir, { recursive: true, force: true });
}

/** Fills the disk: a filler file grown until not one more byte fits; returns its path (unlink it to free). */
export function fill(dir: string): string {
  const filler = path.join(dir, 'filler');
  const fd = openSync(filler, 'w');
  try {
    for (let size = 1 << 16; size >= 1; size >>= 1) {
      const chunk = Buffer.alloc(size, 0x78);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    closeSync(fd);
  }
  return filler;
}
