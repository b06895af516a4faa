/**
 * Commits a plan as one transaction: under a lock on the registry, every file is first written to a temp
 * file beside its target, then renamed into place; if any step fails, what was already done is undone
 * (created files removed, overwritten files restored, new directories removed) and the error is raised.
 *
 * The lock serializes concurrent `create-new` runs: each re-reads the registry under the lock and applies its
 * own entry to what it finds, so no run loses another's entry. `gymnos init` commits through the same lock, so
 * it never races a `create-new` creating the registry.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import path from 'node:path';
import { GymnosError } from '../errors.js';
import { setRegistryEntry } from '../registry/edit.js';
import { readRegistry, REGISTRY_PATH } from '../registry/registry.js';
import { temporaryPathFor } from '../util/atomic_write.js';
import { lockFile } from '../util/file_lock.js';
import type { PlannedChange, TrackerPlan } from './plan.js';

/** The file operations a commit uses; tests pass a failing one to prove the rollback. */
export interface CommitFs {
  mkdir(dir: string): Promise<void>;
  writeFile(file: string, content: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(file: string): Promise<void>;
  rmdir(dir: string): Promise<void>;
}

export const nodeCommitFs: CommitFs = {
  mkdir: async (dir) => void (await fsp.mkdir(dir)),
  writeFile: (file, content) => fsp.writeFile(file, content, { flag: 'wx' }),
  rename: (from, to) => fsp.rename(from, to),
  unlink: (file) => fsp.unlink(file),
  rmdir: (dir) => fsp.rmdir(dir),
};

/** A failure while writing (code WRITE_FAILED, kind failure: exit 1); everything done before it was rolled back. */
/** File-system refusals a user fixes by making the project writable. */
const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS']);

function writeFailed(message: string, cause: unknown, file?: string): GymnosError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const hint =
    code && NOT_WRITABLE.has(code)
      ? 'the project is not writable: make it writable (chmod -R u+w) and retry'
      : undefined;
  return new GymnosError('WRITE_FAILED', message, { kind: 'failure', cause, details: file ? { file } : {}, hint });
}

/** The directories between `root` and `dir` that do not exist yet, outermost first. */
function missingDirectories(root: string, dir: string): string[] {
  const missing: string[] = [];
  for (let current = dir; current !== root && !existsSync(current); current = path.dirname(current)) {
    missing.unshift(current);
  }
  return missing;
}

/** Under the registry lock: the plan's registry change recomputed against the registry as it is now. */
function refreshRegistryChange(plan: TrackerPlan, change: PlannedChange): PlannedChange {
  const registry = readRegistry(plan.root);
  const current = registry.entries.get(plan.name);
  if (current && current.target !== plan.target) {
    throw new GymnosError('NAME_TAKEN', `"${plan.name}" was registered as "${current.target}" meanwhile`, {
      kind: 'conflict',
      details: { name: plan.name, target: current.target },
    });
  }
  const content = setRegistryEntry(registry.text, plan.name, plan.target);
  const before = registry.text === '' ? undefined : registry.text;
  return { ...change, content, before, action: content === registry.text ? 'unchanged' : before ? 'update' : 'create' };
}

/** Writes the plan; returns the changes as committed (the registry one re-read under the lock). */
export async function commitPlan(plan: TrackerPlan, fs: CommitFs = nodeCommitFs): Promise<PlannedChange[]> {
  return commitUnderRegistryLock(plan.root, fs, () => {
    const changes = plan.changes.map((change) =>
      change.path === REGISTRY_PATH.split(path.sep).join('/') ? refreshRegistryChange(plan, change) : change,
    );
    for (const change of changes) {
      if (change.action === 'create' && existsSync(path.join(plan.root, change.path))) {
        throw new GymnosError('FILE_EXISTS', `${change.path} was created meanwhile; nothing was written`, {
          kind: 'conflict',
          details: { file: change.path },
        });
      }
    }
    return changes;
  });
}

/**
 * Writes changes planned from the files as they were read (`before`), as one transaction under the registry
 * lock. A file that changed since (created, edited or removed by someone else) is a conflict: nothing is written.
 */
export async function commitChanges(
  root: string,
  changes: PlannedChange[],
  fs: CommitFs = nodeCommitFs,
): Promise<PlannedChange[]> {
  return commitUnderRegistryLock(root, fs, () => {
    for (const change of changes) {
      if (change.action === 'unchanged') continue;
      const file = path.join(root, change.path);
      const current = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
      if (current !== change.before) {
        throw new GymnosError('FILE_CHANGED', `${change.path} changed meanwhile; nothing was written`, {
          kind: 'conflict',
          details: { file: change.path },
        });
      }
    }
    return changes;
  });
}

/**
 * The transaction: takes the registry lock (creating var/ if needed), lets `prepare` recompute or check the
 * changes against the disk as it is now, writes them, and undoes everything (directories included) on failure.
 */
async function commitUnderRegistryLock(
  root: string,
  fs: CommitFs,
  prepare: () => PlannedChange[],
): Promise<PlannedChange[]> {
  const registryFile = path.join(root, REGISTRY_PATH);
  const createdDirs: string[] = [];
  let release: (() => Promise<void>) | undefined;
  try {
    for (const dir of missingDirectories(root, path.dirname(registryFile))) {
      await fs.mkdir(dir);
      createdDirs.push(dir);
    }
    release = await lockFile(registryFile, { staleMs: 10_000, timeoutMs: 10_000 });
  } catch (error) {
    await removeDirectories(createdDirs, fs);
    throw writeFailed(`could not lock ${REGISTRY_PATH}: ${(error as Error).message}`, error, REGISTRY_PATH);
  }
  let failure: unknown;
  try {
    const changes = prepare();
    await writeAll(root, changes, createdDirs, fs);
    return changes;
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    await release();
    // After the lock is gone, so that a registry directory this run created can be removed too.
    if (failure !== undefined) await removeDirectories(createdDirs, fs);
  }
}

async function writeAll(root: string, changes: PlannedChange[], createdDirs: string[], fs: CommitFs): Promise<void> {
  const pending = changes.filter((change) => change.action !== 'unchanged');
  const temps = new Map<PlannedChange, string>();
  const renamed: PlannedChange[] = [];
  try {
    for (const change of pending) {
      const target = path.join(root, change.path);
      for (const dir of missingDirectories(root, path.dirname(target))) {
        await fs.mkdir(dir);
        createdDirs.push(dir);
      }
      // The atomic write's naming rule; created with 'wx', so a clash fails instead of overwriting.
      const temp = temporaryPathFor(target);
      await fs.writeFile(temp, change.content);
      temps.set(change, temp);
    }
    for (const change of pending) {
      await fs.rename(temps.get(change)!, path.join(root, change.path));
      temps.delete(change);
      renamed.push(change);
    }
  } catch (error) {
    await rollback(root, renamed, [...temps.values()], fs);
    throw writeFailed(`${(error as Error).message}; nothing was changed (rolled back)`, error);
  }
}

/** Undoes a partial commit. Best effort per step: one failing undo does not stop the others. */
async function rollback(root: string, renamed: PlannedChange[], temps: string[], fs: CommitFs) {
  const attempt = async (undo: () => Promise<void>) => {
    try {
      await undo();
    } catch {
      // Keep undoing the rest; the original error is the one reported.
    }
  };
  for (const temp of temps) await attempt(() => fs.unlink(temp));
  for (const change of renamed.reverse()) {
    const target = path.join(root, change.path);
    if (change.before === undefined) await attempt(() => fs.unlink(target));
    else {
      const temp = temporaryPathFor(target);
      await attempt(async () => {
        await fs.writeFile(temp, change.before!);
        await fs.rename(temp, target);
      });
    }
  }
}

async function removeDirectories(dirs: string[], fs: CommitFs): Promise<void> {
  for (const dir of [...dirs].reverse()) {
    try {
      await fs.rmdir(dir);
    } catch {
      // Not empty (someone else wrote there) or already gone: leave it.
    }
  }
}
