/**
 * Commits a plan as one transaction, all or nothing even if the process is killed. The parts, each readable and
 * testable alone:
 *
 * - registry_lock.ts, the process around it: the registry lock held throughout, a killed commit undone first, and
 *   the commit undone and the lock released if the process ends mid-way (SIGINT, SIGTERM);
 * - targets.ts: where each change is written (symlinks followed, modes kept, read-only files refused) and the
 *   journal that records it;
 * - transaction.ts, the commit's steps: the journal, directories, temp files, renames, then the journal removed
 *   (the commit point); a failed step undone from the journal;
 * - journal.ts, the journal's records: written, read, and undone by the next process after a SIGKILL;
 * - commit_points.ts: the named points between the steps where a test stops or slows the commit.
 *
 * Under the lock each command re-reads what it depends on and plans against the disk as it is then, so that of
 * concurrent runs none loses another's registry entry. `create-new` and `gymnos init` commit through here.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { GymnosError } from '../errors.js';
import { quoted } from '../util/display_text.js';
import { commitPointsFromEnvironment } from './commit_points.js';
import type { CommitPoints } from './commit_points.js';
import { planTracker } from './plan.js';
import type { PlannedChange, PlanTrackerOptions, TrackerPlan } from './plan.js';
import { underRegistryLock } from './registry_lock.js';
import type { Notify } from './registry_lock.js';
import { contentHash } from './journal.js';
import { planRemoveTracker } from './remove_plan.js';
import type { RemovePlan } from './remove_plan.js';
import { journalOf } from './targets.js';
import { nodeCommitFs, Transaction } from './transaction.js';
import type { CommitFs } from './transaction.js';

export interface CommitOptions {
  /** Receives one-line notices: a wait for the lock, a killed transaction undone. The caller prints them. */
  notify: Notify;
  fs?: CommitFs;
  /** Default: as the environment sets them (commit_points.ts), which is off. */
  points?: CommitPoints;
}

/**
 * Takes the registry lock, lets `prepare` compute or check the changes against the disk as it is now, and writes
 * them as one transaction; returns them.
 */
async function commitUnderRegistryLock(
  root: string,
  operation: string,
  options: CommitOptions,
  prepare: () => PlannedChange[] | Promise<PlannedChange[]>,
): Promise<PlannedChange[]> {
  const fs = options.fs ?? nodeCommitFs;
  const points = options.points ?? commitPointsFromEnvironment(options.notify);
  const transaction = new Transaction(root, fs, points);
  const onProcessEnd = () => void transaction.undo(); // a failed undo leaves the journal: the next command undoes it
  return underRegistryLock(root, { fs, notify: options.notify, onProcessEnd }, async () => {
    await points.reached('locked');
    const changes = await prepare();
    const pending = changes.filter((change) => change.action !== 'unchanged');
    await transaction.run(
      journalOf(root, operation, pending),
      pending.map((change) => change.content),
    );
    return changes;
  });
}

/**
 * Which edited files a command may replace or remove: any (`true`: --force twice, --overwrite-edited, remove
 * --force), none (`false`), or exactly these files with exactly the content the user was shown (path to
 * contentHash: what a terminal's confirmation agreed to lose).
 */
export type EditedFilesAllowed = boolean | ReadonlyMap<string, string>;

/** `edited`, each `before` as `changes` hold it, allowed by `allowed`; otherwise a conflict saying what to do. */
function checkEditedAllowed(
  edited: readonly string[],
  changes: readonly PlannedChange[],
  allowed: EditedFilesAllowed,
  refusal: (files: readonly string[]) => GymnosError,
): void {
  if (allowed === true || edited.length === 0) return;
  if (allowed === false) throw refusal(edited);
  for (const file of edited) {
    const before = changes.find((change) => change.path === file)?.before;
    if (before === undefined || allowed.get(file) !== contentHash(before)) {
      throw new GymnosError('FILE_CHANGED', `${file} changed since you were shown it; nothing was written`, {
        kind: 'conflict',
        details: { file },
        hint: 'run the command again',
      });
    }
  }
}

/** `a, b and c`, and whether that is one file. */
function fileList(files: readonly string[]): string {
  return files.length === 1 ? files[0]! : `${files.slice(0, -1).join(', ')} and ${files.at(-1)!}`;
}

/** create-new --force (once) finding files the user edited: it keeps them. */
function editedFilesKept(name: string, files: readonly string[]): GymnosError {
  const were =
    files.length === 1 ? 'was edited since create-new generated it' : 'were edited since create-new generated them';
  return new GymnosError(
    'EDITED_FILES',
    `tracker ${quoted(name)}: ${fileList(files)} ${were}, and --force keeps what you wrote`,
    {
      kind: 'conflict',
      details: { name, files },
      hint:
        `pass --force twice (or --overwrite-edited) to replace ${files.length === 1 ? 'it' : 'them'} ` +
        '(--dry-run --diff --force shows what you would lose); nothing was written',
    },
  );
}

/**
 * `create-new tracker`: checks the name, plans and writes, all under the lock, so that of several runs creating
 * the same tracker at once exactly one creates it and the others find it there (a conflict, exit 3). Files the
 * user edited since they were generated are replaced only as `overwriteEdited` allows (default: none).
 */
export async function createTracker(
  planOptions: PlanTrackerOptions,
  options: CommitOptions & { overwriteEdited?: EditedFilesAllowed },
): Promise<{ plan: TrackerPlan; changes: PlannedChange[] }> {
  let plan: TrackerPlan | undefined;
  const changes = await commitUnderRegistryLock(
    planOptions.root,
    `create-new tracker ${planOptions.name}`,
    options,
    async () => {
      plan = await planTracker(planOptions);
      checkEditedAllowed(plan.edited, plan.changes, options.overwriteEdited ?? false, (files) =>
        editedFilesKept(planOptions.name, files),
      );
      return plan.changes;
    },
  );
  return { plan: plan!, changes };
}

/**
 * `remove tracker`: the inverse of create-new, planned and written under the lock in one transaction. Files edited
 * since they were generated are removed only with `force`.
 */
export async function removeTracker(
  planOptions: { root: string; name: string; templatesDir?: string | undefined },
  options: CommitOptions & { force?: boolean },
): Promise<RemovePlan> {
  let plan: RemovePlan | undefined;
  await commitUnderRegistryLock(planOptions.root, `remove tracker ${planOptions.name}`, options, async () => {
    plan = await planRemoveTracker(planOptions);
    checkEditedAllowed(plan.edited, plan.changes, options.force ?? false, (files) => {
      const were =
        files.length === 1 ? 'was edited since create-new generated it' : 'were edited since create-new generated them';
      return new GymnosError('EDITED_FILES', `tracker ${quoted(planOptions.name)}: ${fileList(files)} ${were}`, {
        kind: 'conflict',
        details: { name: planOptions.name, files },
        hint: `pass --force to remove ${files.length === 1 ? 'it' : 'them'} anyway; nothing was removed`,
      });
    });
    return plan.changes;
  });
  return plan!;
}

function currentContent(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

/**
 * `gymnos init`: writes changes planned from the files as they were read (`before`), as one transaction under the
 * registry lock. A file that changed since (created, edited or removed by someone else) is a conflict: nothing is
 * written.
 */
export async function commitChanges(
  root: string,
  changes: PlannedChange[],
  options: CommitOptions,
): Promise<PlannedChange[]> {
  return commitUnderRegistryLock(root, 'init', options, () => {
    for (const change of changes) {
      if (change.action === 'unchanged') continue;
      if (currentContent(path.join(root, change.path)) !== change.before) {
        throw new GymnosError('FILE_CHANGED', `${change.path} changed meanwhile; nothing was written`, {
          kind: 'conflict',
          details: { file: change.path },
        });
      }
    }
    return changes;
  });
}
