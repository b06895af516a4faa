/**
 * `gymnos create-new [kind] --name <name>`: plan the files and the registry update, show them, and commit
 * them as one transaction. Inputs come from flags or, on a terminal, from prompts validated with the same
 * checks; without a terminal nothing is ever prompted.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { normalizeTrackerName, trackerNameProblem } from '../registry/names.js';
import { GymnosError, isGymnosError } from '../errors.js';
import { createTracker } from '../scaffold/commit.js';
import type { EditedFilesAllowed } from '../scaffold/commit.js';
import { contentHash } from '../scaffold/journal.js';
import { recoverInterruptedCommit } from '../scaffold/registry_lock.js';
import { JOURNAL_PATH } from '../scaffold/journal.js';
import { isGymnosRepository, requireProjectRoot } from '../util/package_root.js';
import { checkTrackerName, checkTrackerNameAndRegistry, planTracker } from '../scaffold/plan.js';
import type { PlannedChange, TrackerPlan } from '../scaffold/plan.js';
import { checkTemplatesDir, KINDS, unknownKind } from '../scaffold/templates.js';
import { EXIT } from './exit_codes.js';
import type { ExitCode } from './exit_codes.js';
import type { JsonDocument } from './failure.js';
import { runListTemplates } from './list_templates.js';
import { chalk, changeLine, printJson, printLine, printNotice, printWarning } from './output.js';
import { quoted } from '../util/display_text.js';
import { isTerminal } from './stdio.js';
import { gymnosCommand, packageManagerOf } from '../util/package_manager.js';

interface CreateNewOptions {
  name?: string;
  dryRun?: boolean;
  diff?: boolean;
  /** How many times --force was given (commander counts it). */
  force?: number | boolean;
  /** Replace files the user edited since they were generated, without asking (as --force twice). */
  overwriteEdited?: boolean;
  json?: boolean;
  cwd?: string;
  /** A directory holding <kind>/*.hbs that overrides the project's and the built-in templates, file by file. */
  templates?: string;
  /** List the kinds and where each template file comes from, instead of creating anything. */
  list?: boolean;
}

interface Outcome {
  dryRun: boolean;
  inputs: { kind: string | null; name: string | null; requestedName: string | null; root: string | null };
  changes: Pick<PlannedChange, 'action' | 'path'>[];
  /** The files --force replaces (or, once, keeps) that were edited since create-new generated them. */
  edited: string[];
  warnings: string[];
}

function canPrompt(options: CreateNewOptions): boolean {
  return !options.json && isTerminal(1) && isTerminal(0);
}

function missingInput(what: string, fix: string): GymnosError {
  return new GymnosError('MISSING_INPUT', `missing ${what} and no terminal to ask on: ${fix}`, { details: { what } });
}

/** Inline validation for the name prompt: the same checks as the flag, so a bad name is fixed in place. */
function nameValidator(root: string, force: boolean) {
  return (input: string): string | true => {
    try {
      checkTrackerName(root, normalizeTrackerName(input), force);
      return true;
    } catch (error) {
      if (isGymnosError(error) && (error.kind === 'usage' || error.kind === 'conflict')) return error.message;
      throw error;
    }
  };
}

async function promptKind(): Promise<string> {
  const { select } = await import('@inquirer/prompts');
  return select({
    message: 'What do you want to create?',
    choices: Object.entries(KINDS).map(([value, kind]) => ({ value, name: value, description: kind.description })),
  });
}

async function promptName(root: string, force: boolean): Promise<string> {
  const { input } = await import('@inquirer/prompts');
  return input({ message: 'Tracker name (snake_case, e.g. my_tracker):', validate: nameValidator(root, force) });
}

async function printDiffs(changes: readonly PlannedChange[]): Promise<void> {
  const { createTwoFilesPatch } = await import('diff');
  for (const change of changes.filter((c) => c.action !== 'unchanged')) {
    const patch = createTwoFilesPatch(
      change.before === undefined ? '/dev/null' : `a/${change.path}`,
      `b/${change.path}`,
      change.before ?? '',
      change.content,
      undefined,
      undefined,
      { context: 3 },
    );
    for (const line of patch.split('\n').slice(1)) {
      if (line.startsWith('+') && !line.startsWith('+++')) printLine(chalk.green(line));
      else if (line.startsWith('-') && !line.startsWith('---')) printLine(chalk.red(line));
      else printLine(line);
    }
  }
}

/**
 * On a terminal, --force (once) on files the user edited: shows what replacing them loses, and asks. Returns the
 * files agreed to, each with the hash of the content shown (the commit refuses one that changed since); a "no" is a
 * conflict, nothing written.
 */
async function confirmReplacingEdits(plan: TrackerPlan): Promise<ReadonlyMap<string, string>> {
  const edited = plan.changes.filter((change) => plan.edited.includes(change.path));
  printLine(
    chalk.yellow(`You edited ${edited.map((change) => change.path).join(', ')} since create-new generated it.`) +
      ' Replacing loses the lines marked -:',
  );
  await printDiffs(edited);
  const { confirm } = await import('@inquirer/prompts');
  if (!(await confirm({ message: 'Replace the files you edited?', default: false }))) {
    throw new GymnosError('EDITS_KEPT', `kept your edits to ${plan.edited.join(', ')}; nothing was written`, {
      kind: 'conflict',
      details: { name: plan.name, files: plan.edited },
    });
  }
  return new Map(edited.map((change) => [change.path, contentHash(change.before!)]));
}

/**
 * The tracker's name, from --name or a prompt (after the kind, from its argument or a prompt, is checked): normalized,
 * with a warning when that changed it.
 */
async function resolveName(
  kindArg: string | undefined,
  root: string,
  force: boolean,
  options: CreateNewOptions,
  outcome: Outcome,
): Promise<string> {
  let kind = kindArg;
  if (kind === undefined) {
    if (!canPrompt(options)) {
      const command = gymnosCommand(root, 'create-new tracker --name <name>');
      throw missingInput('the kind', `run \`${command}\``);
    }
    kind = await promptKind();
    outcome.inputs.kind = kind;
  }
  if (!Object.hasOwn(KINDS, kind)) {
    throw unknownKind(kind);
  }
  // A --templates directory that cannot serve this kind fails before any prompt.
  if (options.templates !== undefined) checkTemplatesDir(path.resolve(options.templates), kind);
  let requested = options.name;
  if (requested === undefined) {
    if (!canPrompt(options)) throw missingInput('--name', 'pass --name <snake_case_name>, e.g. --name my_tracker');
    requested = await promptName(root, force);
    outcome.inputs.requestedName = requested;
  }
  const name = normalizeTrackerName(requested);
  outcome.inputs.name = name;
  if (name !== requested.trim() && trackerNameProblem(name) === undefined) {
    outcome.warnings.push(`normalized the name ${quoted(requested)} to ${quoted(name)}`);
  }
  return name;
}

/** The human output: a line per change, then what was done and the next steps. */
function printOutcome(changes: readonly PlannedChange[], plan: TrackerPlan, dryRun: boolean): void {
  const { name } = plan;
  for (const change of changes) {
    printLine(changeLine(change.action, change.path));
  }
  printLine();
  if (dryRun) {
    printLine(chalk.bold(`Dry run: nothing was written. Run without --dry-run to create tracker ${name}.`));
    return;
  }
  const where = path.relative(process.cwd(), plan.root) || '.';
  printLine(chalk.bold(`Created tracker ${chalk.cyan(name)} (${plan.className}).`) + ' Next steps:');
  printLine(`  1. Search for TODO(${name}) in ${path.join(where, `src/trackers/${name}.ts`)} and fill it in.`);
  // In the project's package manager's words: `pnpm exec gymnos test`, `yarn test`.
  const pm = packageManagerOf(plan.root);
  if (isGymnosRepository(plan.root)) {
    printLine(`  2. ${pm.run('test:tracker', name)} runs test/trackers/${name}.test.ts (the conformance kit).`);
    printLine(
      `  3. ${pm.run('build')}, then load('${name}') returns a ${plan.className}; ${pm.run('test')} runs every test.`,
    );
  } else {
    // In a plugin project, load() imports the tracker's TypeScript source under tsx: no build step.
    printLine(
      `  2. ${pm.exec(`gymnos test --tracker ${name}`)} runs test/trackers/${name}.test.ts: the conformance kit on ` +
        `load('${name}').`,
    );
    printLine(`  3. ${pm.run('test')} runs every test; ${pm.run('lint')} checks style and the plugin contract.`);
  }
}

export async function runCreateNew(
  kindArg: string | undefined,
  options: CreateNewOptions,
  document: JsonDocument,
): Promise<ExitCode> {
  if (options.list) return runListTemplates(kindArg, options, document);
  const outcome: Outcome = {
    dryRun: Boolean(options.dryRun),
    inputs: { kind: kindArg ?? null, name: null, requestedName: options.name ?? null, root: null },
    changes: [],
    edited: [],
    warnings: [],
  };
  // On a failure, the shell prints the outcome as it is then (failure.ts).
  document.fields = outcome;
  const forced = typeof options.force === 'number' ? options.force : options.force ? 1 : 0;
  // --force keeps what the user wrote: replacing their edits takes --force twice, or --overwrite-edited.
  const overwriteAll = forced >= 2 || Boolean(options.overwriteEdited);
  const force = forced > 0 || overwriteAll;
  const root = requireProjectRoot(options.cwd);
  outcome.inputs.root = root;
  // A create-new or init killed mid-commit is undone first, so that nothing below sees its half-written files.
  if (!options.dryRun) await recoverInterruptedCommit(root, printNotice);
  else if (existsSync(path.join(root, JOURNAL_PATH))) {
    // Said at once: the plan below is made against the files the interrupted command left half written.
    const warning = `an interrupted command left ${JOURNAL_PATH}; the next create-new without --dry-run undoes it`;
    outcome.warnings.push(warning);
    if (!options.json) printWarning(warning);
  }
  const name = await resolveName(kindArg, root, force, options, outcome);
  const planOptions = { root, name, force, warnings: outcome.warnings, templatesDir: options.templates };
  // For real, the name is checked and the plan made under the registry lock (see createTracker); a bad name or an
  // unreadable registry is said first, as such, whether or not the project can be written to.
  if (!options.dryRun) checkTrackerNameAndRegistry(root, name);
  let overwriteEdited: EditedFilesAllowed = overwriteAll;
  if (force && !overwriteAll && !options.dryRun && canPrompt(options)) {
    // Planned once without the lock, to show what would be lost; the commit plans again under it.
    const preview = await planTracker({ ...planOptions, warnings: [] });
    outcome.edited = preview.edited;
    if (preview.edited.length > 0) overwriteEdited = await confirmReplacingEdits(preview);
  }
  const { plan, changes } = options.dryRun
    ? await planTracker(planOptions).then((dry) => ({ plan: dry, changes: dry.changes }))
    : await createTracker(planOptions, { notify: printNotice, overwriteEdited }).catch((error: unknown) => {
        // The --json failure document names them too.
        if (isGymnosError(error) && error.code === 'EDITED_FILES') outcome.edited = error.details.files as string[];
        throw error;
      });
  outcome.edited = plan.edited;
  if (options.dryRun && plan.edited.length > 0 && !overwriteAll) {
    outcome.warnings.push(
      `${plan.edited.join(', ')}: edited since create-new generated ${plan.edited.length === 1 ? 'it' : 'them'}; ` +
        'without --dry-run, --force asks before replacing them on a terminal and keeps them elsewhere ' +
        '(--force twice or --overwrite-edited replaces them)',
    );
  }
  if (!options.json) {
    for (const warning of outcome.warnings.filter((text) => !text.includes(JOURNAL_PATH))) printWarning(warning);
    if (options.diff) await printDiffs(changes);
  }
  outcome.changes = changes.map(({ action, path: file }) => ({ action, path: file }));

  if (options.json) {
    printJson({ ok: true, ...outcome, error: null });
    return EXIT.ok;
  }
  printOutcome(changes, plan, Boolean(options.dryRun));
  return EXIT.ok;
}
