/**
 * An I/O error injected into `node:fs` for the paths a test names, seen by every module that imports it (named
 * imports included: syncBuiltinESMExports), for the length of `body` only: the errors no real file of a test can
 * give (a disk's EIO), to show that code reports them instead of taking them for an error it expects.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

type Injectable = 'statSync' | 'readFileSync';

export async function withFsFault<T>(
  call: Injectable,
  failsFor: (file: string) => boolean,
  code: string,
  body: () => T | Promise<T>,
): Promise<T> {
  const original = fs[call] as (...args: unknown[]) => unknown;
  const faulty = (file: unknown, ...rest: unknown[]) => {
    if (!failsFor(String(file))) return original(file, ...rest);
    const syscall = call === 'statSync' ? 'stat' : 'open';
    throw Object.assign(new Error(`${code}: i/o error, ${syscall} '${String(file)}'`), {
      code,
      syscall,
      path: String(file),
    });
  };
  (fs as unknown as Record<Injectable, unknown>)[call] = faulty;
  syncBuiltinESMExports();
  try {
    return await body();
  } finally {
    (fs as unknown as Record<Injectable, unknown>)[call] = original;
    syncBuiltinESMExports();
  }
}
