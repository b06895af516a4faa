/**
 * `planRemoveTracker`: every change `gymnos remove tracker <name>` would make, the inverse of create-new's plan:
 * the registry entry removed, the tracker's files deleted (its module, test and docs page, those that exist), and
 * its record in var/generated.json forgotten (the file removed with the last record). Computed in memory, touching
 * nothing; the files edited since create-new generated them are listed, for the commit to refuse without --force.
 */
import { applyEdits, modify } from 'jsonc-parser';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { GymnosError } from '../errors.js';
import { isBuiltinTracker } from '../registry/builtins.js';
import { detectFormatting } from '../registry/edit.js';
import { trackerClassName, trackerNameProblem } from '../registry/names.js';
import { readRegistry, REGISTRY_PATH, registryTarget } from '../registry/registry.js';
import { closestName } from '../util/closest.js';
import { quoted } from '../util/display_text.js';
import { editedSinceGenerated, forgetGenerated, GENERATED_PATH, readGenerated } from './generated.js';
import { editChange, renderTrackerFiles } from './plan.js';
import type { PlannedChange } from './plan.js';
import { KINDS } from './templates.js';

export interface RemovePlan {
  root: string;
  name: string;
  className: string;
  /** The files written first (the registry, the manifest), then the files deleted. */
  changes: PlannedChange[];
  /** Files the plan deletes that were edited since create-new generated them. */
  edited: string[];
  warnings: string[];
}

/** The registry's text without `name`'s entry, in its own formatting; `{}` once it was the last. */
function withoutEntry(text: string, name: string): string {
  const formattingOptions = detectFormatting(text);
  const edited = applyEdits(text, modify(text, [name], undefined, { formattingOptions }));
  if (Object.keys(JSON.parse(edited) as object).length > 0) return edited;
  return `{}${text.endsWith('\n') ? formattingOptions.eol : ''}`;
}

/** Why `name` cannot be removed from the registry `registry` (exit 2), before anything is read further. */
function checkRemovable(name: string, registry: ReturnType<typeof readRegistry>): void {
  const problem = trackerNameProblem(name);
  if (problem) throw new GymnosError('NAME_INVALID', `invalid tracker name: ${problem}`, { details: { name } });
  if (isBuiltinTracker(name)) {
    throw new GymnosError('NAME_BUILTIN', `${quoted(name)} is a built-in tracker, which gymnos remove cannot remove`, {
      details: { name },
    });
  }
  const entry = registry.entries.get(name);
  const broken = registry.problems.find((each) => each.name === name && each.kind === 'target');
  if (!entry && broken) {
    throw new GymnosError(
      'NOT_GENERATED',
      `${quoted(name)} is in ${REGISTRY_PATH} (line ${broken.line}) as a value that is not "module#Export", not as ` +
        'create-new registers it; remove the entry and its files yourself',
      { details: { name, file: REGISTRY_PATH, line: broken.line } },
    );
  }
  if (!entry) {
    const names = [...registry.entries.keys()].filter((each) => !isBuiltinTracker(each));
    const guess = closestName(name, names);
    const known = names.length > 0 ? ` (registered: ${names.join(', ')})` : ': it registers no tracker of its own';
    throw new GymnosError(
      'TRACKER_NOT_FOUND',
      `no tracker ${quoted(name)} in ${REGISTRY_PATH}${guess ? `; did you mean ${quoted(guess)}?` : known}`,
      { details: { name, file: REGISTRY_PATH, ...(guess ? { closest: guess } : {}) } },
    );
  }
  const generated = registryTarget(name, trackerClassName(name));
  if (entry.target !== generated) {
    throw new GymnosError(
      'NOT_GENERATED',
      `${quoted(name)} is registered in ${REGISTRY_PATH} (line ${entry.line}) as "${entry.target}", not as ` +
        `create-new registers it ("${generated}"); remove the entry and its files yourself`,
      { details: { name, file: REGISTRY_PATH, line: entry.line, target: entry.target } },
    );
  }
}

export async function planRemoveTracker(options: {
  root: string;
  name: string;
  templatesDir?: string | undefined;
}): Promise<RemovePlan> {
  const { root, name } = options;
  const registry = readRegistry(root);
  checkRemovable(name, registry);
  const warnings: string[] = [];
  const generated = readGenerated(root);
  const files = KINDS.tracker!.files.map((file) => file.target(name));
  const present = files
    .filter((file) => existsSync(path.join(root, file)))
    .map((file) => ({ path: file, content: readFileSync(path.join(root, file), 'utf8') }));
  const recorded = generated.trackers[name];
  // Without a record of what was generated, what create-new would generate now is the reference.
  const fresh = recorded
    ? new Map<string, string>()
    : new Map(
        (await renderTrackerFiles(root, name, { templatesDir: options.templatesDir, warnings })).map((file) => [
          file.path,
          file.content,
        ]),
      );
  const edited = editedSinceGenerated(present, recorded, fresh);
  const all = [
    editChange(REGISTRY_PATH, registry.text, withoutEntry(registry.text, name)),
    ...present.map((file) => editChange(file.path, file.content, undefined)),
    ...(generated.text === '' ? [] : [editChange(GENERATED_PATH, generated.text, forgetGenerated(generated, name))]),
  ];
  // As the transaction takes them: the files written, then those removed.
  const changes = [...all.filter((c) => c.action !== 'delete'), ...all.filter((c) => c.action === 'delete')];
  return { root, name, className: trackerClassName(name), changes, edited, warnings };
}
