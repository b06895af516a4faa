/**
 * `gymnos create-new --list`: the kinds, and for each of their template files the one that applies and where
 * it comes from (built-in, the project's templates/, or --templates).
 */
import { isGymnosError } from '../errors.js';
import { displayPath, requireProjectRoot } from '../util/package_root.js';
import { KINDS, resolveTemplates, unknownKind } from '../scaffold/templates.js';
import type { TemplateSource } from '../scaffold/templates.js';
import { EXIT } from './exit_codes.js';
import type { ExitCode } from './exit_codes.js';
import type { JsonDocument } from './failure.js';
import { chalk, printJson, printLine } from './output.js';
import { writeStderr } from './stdio.js';

interface ListTemplatesOptions {
  json?: boolean;
  cwd?: string;
  templates?: string;
}

interface ListedTemplate {
  template: string;
  /** Where the rendered file goes, with `<name>` for the tracker's name. */
  target: string;
  source: TemplateSource;
  /** The .hbs file that applies: relative to the current directory when inside it, else absolute. */
  path: string;
}

const SOURCE_LABEL: Record<TemplateSource, string> = { builtin: 'built-in', project: 'project', option: '--templates' };

/** The project to look in; outside any (without --cwd), none: then only the built-in templates apply. */
function projectRootOrNone(cwd: string | undefined): string | undefined {
  try {
    return requireProjectRoot(cwd);
  } catch (error) {
    if (cwd === undefined && isGymnosError(error) && error.code === 'NO_PROJECT') return undefined;
    throw error;
  }
}

export async function runListTemplates(
  kindArg: string | undefined,
  options: ListTemplatesOptions,
  document: JsonDocument,
): Promise<ExitCode> {
  document.fields = { kinds: [], warnings: [] };
  if (kindArg !== undefined && !Object.hasOwn(KINDS, kindArg)) throw unknownKind(kindArg);
  const root = projectRootOrNone(options.cwd);
  const warnings: string[] = [];
  const kinds = [];
  for (const kind of kindArg === undefined ? Object.keys(KINDS) : [kindArg]) {
    const set = await resolveTemplates(kind, { root, templatesDir: options.templates });
    warnings.push(...set.warnings);
    const templates: ListedTemplate[] = set.files.map((file) => ({
      template: file.template,
      target: file.target('<name>'),
      source: file.source,
      path: displayPath(file.file),
    }));
    kinds.push({ kind, description: KINDS[kind]!.description, templates });
  }
  if (options.json) {
    printJson({ ok: true, root: root ?? null, kinds, warnings, error: null });
    return EXIT.ok;
  }
  for (const warning of warnings) writeStderr(`${chalk.yellow('warning:')} ${warning}\n`);
  for (const { kind, description, templates } of kinds) {
    printLine(`${chalk.bold(kind)}: ${description}`);
    const width = Math.max(...templates.map((template) => template.target.length));
    const labelWidth = Math.max(...templates.map((template) => SOURCE_LABEL[template.source].length));
    for (const template of templates) {
      const label = SOURCE_LABEL[template.source].padEnd(labelWidth);
      const source = template.source === 'builtin' ? chalk.dim(label) : chalk.cyan(label);
      printLine(`  ${template.target.padEnd(width)}  ${source}  ${chalk.dim(template.path)}`);
    }
  }
  return EXIT.ok;
}
