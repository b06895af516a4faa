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
import { commitPointsFromEnvironment } from './commit_points.js';
import type { CommitPoints } from './commit_points.js';
import { planTracker } from './plan.js';
import type { PlannedChange, PlanTrackerOptions, TrackerPlan } from './plan.js';
import { underRegistryLock } from './registry_lock.js';
import type { Notify } from './registry_lock.js';
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
 * `create-new tracker`: checks the name, plans and writes, all under the lock, so that of several runs creating
 * the same tracker at once exactly one creates it and the others find it there (a conflict, exit 3).
 */
export async function createTracker(
  planOptions: PlanTrackerOptions,
  options: CommitOptions,
): Promise<{ plan: TrackerPlan; changes: PlannedChange[] }> {
  let plan: TrackerPlan | undefined;
  const changes = await commitUnderRegistryLock(
    planOptions.root,
    `create-new tracker ${planOptions.name}`,
    options,
    async () => {
      plan = await planTracker(planOptions);
      return plan.changes;
    },
  );
  return { plan: plan!, changes };
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
