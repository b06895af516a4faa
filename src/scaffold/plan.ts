/**
 * Plan, then commit: `planTracker` computes every change `create-new tracker` would make (the files, the registry
 * update, and the record of what was generated, var/generated.json) and validates it in memory, touching nothing.
 * The plan is what --dry-run and --json show, and what the commit (commit.ts) writes.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setRegistryEntry } from '../registry/edit.js';
import { isBuiltinTracker } from '../registry/builtins.js';
import { GymnosError } from '../errors.js';
import { trackerClassName, trackerNameProblem } from '../registry/names.js';
import { isGymnosRepository } from '../util/package_root.js';
import { formatForProject } from '../util/project_format.js';
import { readRegistry, REGISTRY_PATH, registryTarget } from '../registry/registry.js';
import type { Registry } from '../registry/registry.js';
import { editedSinceGenerated, GENERATED_PATH, readGenerated, recordGenerated } from './generated.js';
import { KINDS, renderTemplates, resolveTemplatesFor } from './templates.js';
import { quoted } from '../util/display_text.js';

export type ChangeAction = 'create' | 'overwrite' | 'update' | 'unchanged' | 'delete';

export interface PlannedChange {
  action: ChangeAction;
  /** Relative to the project root, with forward slashes. */
  path: string;
  /** The content after the change ('' for a file the change deletes). */
  content: string;
  /** The content before the change (undefined for a new file). */
  before: string | undefined;
}

export interface TrackerPlan {
  kind: 'tracker';
  root: string;
  name: string;
  className: string;
  /** The registry value, `trackers/<name>.js#<ClassName>`. */
  target: string;
  changes: PlannedChange[];
  /** Files the plan overwrites that were edited since create-new generated them (generated.ts). */
  edited: string[];
  warnings: string[];
}

export interface PlanTrackerOptions {
  root: string;
  name: string;
  force?: boolean;
  warnings?: string[];
  /** A directory holding <kind>/*.hbs that overrides the project's and the built-in templates, file by file. */
  templatesDir?: string;
}

function templateContext(root: string, name: string, className: string) {
  // In the gymnos repository itself, trackers import the base class by relative path.
  const inRepo = isGymnosRepository(root);
  return {
    name,
    className,
    trackerImport: inRepo ? './tracker.js' : 'gymnos',
    // The module whose TrackerParamsMap the tracker adds its params type to.
    paramsModule: inRepo ? '../registry/params.js' : 'gymnos',
    loadImport: inRepo ? '../../src/index.js' : 'gymnos',
    testingImport: inRepo ? '../../src/testing/index.js' : 'gymnos/testing',
  };
}

/** The project files a tracker named `name` owns (what create-new writes besides the registry). */
function trackerFiles(name: string): string[] {
  return KINDS.tracker!.files.map((file) => file.target(name));
}

/**
 * Every check on a name before anything is rendered: its shape, the built-ins, the registry and the files
 * already on disk. Shared by the --name flag and the prompt's inline validation. Returns the registry read
 * and whether the name is an existing tracker of this project (which only --force may replace).
 */
export function checkTrackerName(root: string, name: string, force = false): { registry: Registry; existing: boolean } {
  const registry = checkTrackerNameAndRegistry(root, name);
  return checkTrackerNameAgainst(root, name, registry, force);
}

/**
 * The checks that do not depend on what other runs are writing: the name's shape, the built-ins, and a registry
 * that can be read and parsed. create-new makes them before it takes the lock, so that a bad name or registry is
 * reported as such even in a project it could not write to.
 */
export function checkTrackerNameAndRegistry(root: string, name: string): Registry {
  const problem = trackerNameProblem(name);
  if (problem) throw new GymnosError('NAME_INVALID', `invalid tracker name: ${problem}`, { details: { name } });
  if (isBuiltinTracker(name)) {
    throw new GymnosError(
      'NAME_TAKEN',
      `${quoted(name)} is taken by the built-in ${name} tracker; choose another name`,
      {
        details: { name },
      },
    );
  }
  return readRegistry(root);
}

function checkTrackerNameAgainst(
  root: string,
  name: string,
  registry: Registry,
  force: boolean,
): { registry: Registry; existing: boolean } {
  const entry = registry.entries.get(name);
  const target = registryTarget(name, trackerClassName(name));
  if (entry && entry.target !== target) {
    throw new GymnosError(
      'NAME_TAKEN',
      `${quoted(name)} is already registered in ${REGISTRY_PATH} (line ${entry.line}) as "${entry.target}"; ` +
        'choose another name',
      { details: { name, file: REGISTRY_PATH, line: entry.line, target: entry.target } },
    );
  }
  const invalid = registry.problems.find((problem) => problem.name === name && problem.kind === 'target');
  if (invalid && !force) {
    // Someone's entry, even a broken one, is theirs to fix or to give up with --force.
    throw new GymnosError(
      'TRACKER_EXISTS',
      `"${name}" is already in ${REGISTRY_PATH} (line ${invalid.line}), as a value that is not "module#Export"; ` +
        'fix it, or pass --force to replace it',
      { kind: 'conflict', details: { name, file: REGISTRY_PATH, line: invalid.line } },
    );
  }
  const present = trackerFiles(name).filter((file) => existsSync(path.join(root, file)));
  if (present.length > 0 && !entry) {
    // These files are not a registered tracker's own, so --force may not replace them.
    throw new GymnosError(
      'NAME_TAKEN_BY_FILE',
      `${present[0]} already exists and is not a registered tracker; choose another name or remove the file`,
      { details: { name, file: present[0] } },
    );
  }
  if (entry && !force) {
    throw new GymnosError(
      'TRACKER_EXISTS',
      `tracker ${quoted(name)} already exists (${present.join(', ') || REGISTRY_PATH}); ` +
        'pass --force to replace its files',
      { kind: 'conflict', details: { name, files: present } },
    );
  }
  return { registry, existing: entry !== undefined };
}

/** A project file's content, or undefined when it does not exist. */
function readIfExists(root: string, file: string): string | undefined {
  const absolute = path.join(root, file);
  return existsSync(absolute) ? readFileSync(absolute, 'utf8') : undefined;
}

/** The change from `before` to `after` of a file gymnos edits (undefined: absent). */
export function editChange(file: string, before: string | undefined, after: string | undefined): PlannedChange {
  if (after === undefined) return { action: 'delete', path: file, content: '', before };
  const action = before === after ? 'unchanged' : before === undefined ? 'create' : 'update';
  return { action, path: file, content: after, before };
}

/**
 * The files of tracker `name` as create-new renders them now (in the project's style), checked when the templates
 * are not gymnos's own.
 */
export async function renderTrackerFiles(
  root: string,
  name: string,
  options: { templatesDir?: string | undefined; warnings: string[] },
): Promise<{ path: string; content: string }[]> {
  const className = trackerClassName(name);
  const templates = await resolveTemplatesFor('tracker', { root, templatesDir: options.templatesDir });
  options.warnings.push(...templates.warnings);
  // In the project's Prettier style when it has one of its own (Prettier is loaded only then).
  const rendered = await formatForProject(
    root,
    await renderTemplates(templates, templateContext(root, name, className)),
    'gymnos create-new',
  );
  if (templates.files.some((file) => file.source !== 'builtin')) {
    // Only templates that are not gymnos's own are checked, so the usual path never loads TypeScript.
    const { checkRenderedTypeScript } = await import('./template_check.js');
    const problem = await checkRenderedTypeScript(rendered, root);
    if (problem)
      throw new GymnosError(problem.code, problem.message, {
        details: { templates: templates.files.map((file) => file.file) },
      });
  }
  return rendered.map((file) => ({ path: file.path, content: file.content }));
}

export async function planTracker(options: PlanTrackerOptions): Promise<TrackerPlan> {
  const { root, name } = options;
  const { registry } = checkTrackerName(root, name, options.force);
  const className = trackerClassName(name);
  const target = registryTarget(name, className);
  const warnings = options.warnings ?? [];
  const rendered = await renderTrackerFiles(root, name, { templatesDir: options.templatesDir, warnings });
  const generated = readGenerated(root);

  const changes: PlannedChange[] = rendered.map((file) => {
    const before = readIfExists(root, file.path);
    const action = before === undefined ? 'create' : before === file.content ? 'unchanged' : 'overwrite';
    return { action, path: file.path, content: file.content, before };
  });
  // What --force would replace that is not what create-new generated: the user's work.
  const replaced = changes.filter((change) => change.action === 'overwrite');
  const fresh = new Map(rendered.map((file) => [file.path, file.content]));
  const edited = editedSinceGenerated(
    replaced.map((change) => ({ path: change.path, content: change.before! })),
    generated.trackers[name],
    fresh,
  );
  const registryText = registry.text;
  const json = [
    { path: REGISTRY_PATH, before: registryText, content: setRegistryEntry(registryText, name, target) },
    { path: GENERATED_PATH, before: generated.text, content: recordGenerated(generated, name, rendered, registryText) },
  ];
  // A JSON file with nothing in it yet takes the project's Prettier style (a tab-indented project's tabs) with its
  // first entry; the edits of one that has entries keep its own indentation.
  const empty = json.filter((file) => /^\s*(?:\{\s*\})?\s*$/.test(file.before));
  const formatted = await formatForProject(root, empty, 'gymnos create-new');
  for (const file of json) {
    const content = formatted.find((each) => each.path === file.path)?.content ?? file.content;
    changes.push(editChange(file.path, file.before || undefined, content));
  }
  return { kind: 'tracker', root, name, className, target, changes, edited, warnings };
}
