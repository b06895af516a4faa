/**
 * `gymnos init`: prepare an npm project for gymnos plugins (the registry, src/trackers/, the ESLint config,
 * the tsconfig files, the `lint`, `test`, `build` and `typecheck` scripts and the tools they run), planned in
 * memory, shown, and committed as one transaction. Nothing that exists is overwritten: what differs is a
 * conflict (exit 3).
 */
import path from 'node:path';
import { planInit } from '../init/plan.js';
import type { InitChange } from '../init/plan.js';
import { commitChanges } from '../scaffold/commit.js';
import { recoverInterruptedCommit } from '../scaffold/registry_lock.js';
import type { ChangeAction } from '../scaffold/plan.js';
import { requireProjectRoot } from '../util/package_root.js';
import { isToolInstalled } from '../util/author_tools.js';
import { formatForProject, needsFormatting } from '../util/project_format.js';
import { EXIT } from './exit_codes.js';
import type { ExitCode } from './exit_codes.js';
import type { JsonDocument } from './failure.js';
import { chalk, changeLine, printJson, printLine, printNotice, printWarning } from './output.js';
import { gymnosCommand, packageManagerOf } from '../util/package_manager.js';

interface InitOptions {
  dryRun?: boolean;
  json?: boolean;
  cwd?: string;
}

interface Outcome {
  dryRun: boolean;
  inputs: { root: string | null };
  alreadyInitialized: boolean;
  changes: { action: ChangeAction; path: string; edits?: string[] }[];
  warnings: string[];
}

function describeChange(change: InitChange): string {
  const edits = change.edits && change.action !== 'unchanged' ? ` (${change.edits.join(', ')})` : '';
  return `${changeLine(change.action, change.path)}${edits}`;
}

export async function runInit(options: InitOptions, document: JsonDocument): Promise<ExitCode> {
  const outcome: Outcome = {
    dryRun: Boolean(options.dryRun),
    inputs: { root: null },
    alreadyInitialized: false,
    changes: [],
    warnings: [],
  };
  // On a failure, the shell prints the outcome as it is then (failure.ts).
  document.fields = outcome;
  const root = requireProjectRoot(options.cwd);
  outcome.inputs.root = root;
  // A create-new or init killed mid-commit is undone first, so that the plan is made against whole files.
  if (!options.dryRun) await recoverInterruptedCommit(root, printNotice);
  const plan = planInit(root);
  outcome.warnings = plan.warnings;
  outcome.alreadyInitialized = plan.alreadyInitialized;
  // The files init creates, in the project's Prettier style when it has one of its own. Prettier is one of the
  // tools init adds to devDependencies: before the first npm install it may not be there yet.
  const created = plan.changes.filter((change) => change.action === 'create');
  const styled = created.filter((change) => /\.(?:json|[cm]?js)$/.test(change.path) && change.content !== '{}\n');
  let formatted = created;
  if (styled.length > 0 && needsFormatting(root) && !isToolInstalled('prettier')) {
    plan.warnings.push(
      `prettier is not installed yet, so ${styled.map((change) => change.path).join(', ')} ` +
        `follow gymnos's style, not your Prettier config; after ${packageManagerOf(root).install}, ` +
        `${gymnosCommand(root, 'lint --fix')} formats them`,
    );
  } else {
    formatted = await formatForProject(root, created, 'gymnos init');
  }
  let changes = plan.changes.map((change) => formatted.find((file) => file.path === change.path) ?? change);
  if (!options.dryRun && !plan.alreadyInitialized)
    changes = await commitChanges(root, changes, { notify: printNotice });
  outcome.changes = changes.map(({ action, path: file, edits }) => ({ action, path: file, ...(edits && { edits }) }));

  if (options.json) {
    printJson({ ok: true, ...outcome, error: null });
    return EXIT.ok;
  }
  for (const warning of plan.warnings) printWarning(warning);
  for (const change of changes) printLine(describeChange(change));
  printLine();
  const relative = path.relative(process.cwd(), root);
  const project = relative ? `the project in ${relative}` : 'this project';
  if (plan.alreadyInitialized) {
    printLine(chalk.bold(`Already initialized: ${project} has everything gymnos init sets up; nothing to change.`));
    return EXIT.ok;
  }
  if (options.dryRun) {
    printLine(chalk.bold('Dry run: nothing was written. Run without --dry-run to initialize the project.'));
    return EXIT.ok;
  }
  const added = plan.addedDevDependencies;
  printLine(chalk.bold(`Initialized ${project} for gymnos.`) + ' Next steps:');
  // In the project's package manager's words: `pnpm install`, `pnpm exec gymnos ...`, `pnpm run lint`.
  const pm = packageManagerOf(root);
  const installs = added.length ? `installs ${new Intl.ListFormat('en').format(added)} (added to devDependencies)` : '';
  const steps: [command: string, what: string][] = [
    [pm.install, installs],
    [pm.exec('gymnos create-new tracker --name my_tracker'), ''],
    [pm.run('test'), 'runs test/**/*.test.ts (gymnos test)'],
    [pm.run(plan.lintScript), 'ESLint, Prettier and the plugin contract (gymnos lint)'],
    [`${pm.run('typecheck')}, then ${pm.run('build')}: the trackers compiled to dist/, which load() finds`, ''],
  ];
  const width = Math.max(...steps.filter(([, what]) => what).map(([command]) => command.length)) + 2;
  steps.forEach(([command, what], index) =>
    printLine(`  ${index + 1}. ${what ? `${command.padEnd(width)}${what}` : command}`),
  );
  return EXIT.ok;
}
