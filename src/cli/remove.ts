/**
 * `gymnos remove tracker <name>`: the inverse of create-new. Plans the removal (the registry entry, the tracker's
 * files, its record in var/generated.json), shows it, and commits it as one transaction under the registry lock;
 * files edited since create-new generated them are kept (exit 3) unless --force.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { isGymnosError } from '../errors.js';
import { removeTracker } from '../scaffold/commit.js';
import { JOURNAL_PATH } from '../scaffold/journal.js';
import { recoverInterruptedCommit } from '../scaffold/registry_lock.js';
import { planRemoveTracker } from '../scaffold/remove_plan.js';
import type { PlannedChange } from '../scaffold/plan.js';
import { KINDS, unknownKind } from '../scaffold/templates.js';
import { requireProjectRoot } from '../util/package_root.js';
import { EXIT } from './exit_codes.js';
import type { ExitCode } from './exit_codes.js';
import type { JsonDocument } from './failure.js';
import { chalk, changeLine, printJson, printLine, printNotice } from './output.js';
import { writeStderr } from './stdio.js';

interface RemoveOptions {
  dryRun?: boolean;
  force?: boolean;
  json?: boolean;
  cwd?: string;
}

interface Outcome {
  dryRun: boolean;
  inputs: { kind: string; name: string; root: string | null };
  changes: Pick<PlannedChange, 'action' | 'path'>[];
  /** The files removed (or, without --force, kept) that were edited since create-new generated them. */
  edited: string[];
  warnings: string[];
}

export async function runRemove(
  kind: string,
  name: string,
  options: RemoveOptions,
  document: JsonDocument,
): Promise<ExitCode> {
  const outcome: Outcome = {
    dryRun: Boolean(options.dryRun),
    inputs: { kind, name, root: null },
    changes: [],
    edited: [],
    warnings: [],
  };
  document.fields = outcome;
  if (!Object.hasOwn(KINDS, kind)) throw unknownKind(kind);
  const root = requireProjectRoot(options.cwd);
  outcome.inputs.root = root;
  if (!options.dryRun) await recoverInterruptedCommit(root, printNotice);
  else if (existsSync(path.join(root, JOURNAL_PATH))) {
    outcome.warnings.push(`an interrupted command left ${JOURNAL_PATH}; the next command without --dry-run undoes it`);
  }
  const plan = options.dryRun
    ? await planRemoveTracker({ root, name })
    : await removeTracker({ root, name }, { notify: printNotice, force: Boolean(options.force) }).catch(
        (error: unknown) => {
          if (isGymnosError(error) && error.code === 'EDITED_FILES') outcome.edited = error.details.files as string[];
          throw error;
        },
      );
  outcome.edited = plan.edited;
  outcome.warnings.push(...plan.warnings);
  if (options.dryRun && plan.edited.length > 0 && !options.force) {
    outcome.warnings.push(
      `${plan.edited.join(', ')}: edited since create-new generated ${plan.edited.length === 1 ? 'it' : 'them'}; ` +
        'without --dry-run, remove keeps them (exit 3) unless --force',
    );
  }
  outcome.changes = plan.changes.map(({ action, path: file }) => ({ action, path: file }));
  if (options.json) {
    printJson({ ok: true, ...outcome, error: null });
    return EXIT.ok;
  }
  for (const warning of outcome.warnings) writeStderr(`${chalk.yellow('notice:')} ${warning}\n`);
  for (const change of plan.changes) printLine(changeLine(change.action, change.path));
  printLine();
  if (options.dryRun) {
    printLine(chalk.bold(`Dry run: nothing was changed. Run without --dry-run to remove tracker ${name}.`));
  } else {
    printLine(chalk.bold(`Removed tracker ${chalk.cyan(name)} (${plan.className}).`));
  }
  return EXIT.ok;
}
