/**
 * What a cache (a store that only ever saves time) may meet on disk and ignore, by error code: no entry yet, a
 * file or directory gone or in the way, unreadable or unwritable (a read-only home or node_modules), a full disk
 * or quota. Anything else (a disk's EIO, a bug) goes to the caller, which reports it.
 */
const CACHE_FAULT_CODES: ReadonlySet<string> = new Set([
  'ENOENT',
  'ENOTDIR',
  'EISDIR',
  'EEXIST',
  'EACCES',
  'EPERM',
  'EROFS',
  'ENOSPC',
  'EDQUOT',
  'ELOOP',
  'ENAMETOOLONG',
]);

/** Whether `error` is one a cache ignores (see CACHE_FAULT_CODES). */
export function isCacheFault(error: unknown): boolean {
  return CACHE_FAULT_CODES.has((error as NodeJS.ErrnoException | undefined)?.code ?? '');
}
