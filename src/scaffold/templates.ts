/**
 * The kinds `create-new` knows, their template files, where each comes from, and rendering.
 *
 * A project can own templates, file by file: for each of a kind's template files, the first found wins among
 * `--templates <dir>` (`<dir>/<kind>/<file>`), the project's `templates/<kind>/<file>`, and gymnos's own.
 *
 * Built-in templates are precompiled at build time (bin/build.mjs), so rendering them needs only the small
 * Handlebars runtime. Each precompiled spec carries the source it was compiled from (compared as text: hashing
 * would load node:crypto on the start-up path); a built-in template edited since the build is compiled with the
 * full compiler instead, so what is rendered is always what is on disk. A
 * template from elsewhere is never served from the precompiled specs, whatever its content.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { GymnosError } from '../errors.js';
import { closestName } from '../util/closest.js';
import { quoted } from '../util/display_text.js';
import { displayPath, gymnosRoot, samePath } from '../util/package_root.js';
import { requireCjs } from '../util/require_cjs.js';

interface TemplateFile {
  /** File name under templates/<kind>/. */
  template: string;
  /** Where the rendered file goes, relative to the project root. */
  target: (name: string) => string;
}

interface KindDefinition {
  description: string;
  files: readonly TemplateFile[];
}

export const KINDS: Readonly<Record<string, KindDefinition>> = {
  tracker: {
    description: 'a Tracker plugin: its module, a test that runs the conformance kit, and a docs page',
    files: [
      { template: 'tracker.ts.hbs', target: (name) => `src/trackers/${name}.ts` },
      { template: 'tracker.test.ts.hbs', target: (name) => `test/trackers/${name}.test.ts` },
      { template: 'tracker.md.hbs', target: (name) => `docs/trackers/${name}.md` },
    ],
  },
};

/** A kind create-new does not know. */
export function unknownKind(kind: string): GymnosError {
  const available = Object.keys(KINDS);
  const guess = closestName(kind, available);
  const message = guess
    ? `unknown kind ${quoted(kind)}; did you mean ${quoted(guess)}? (available: ${available.join(', ')})`
    : `unknown kind ${quoted(kind)}; available: ${available.join(', ')}`;
  return new GymnosError('UNKNOWN_KIND', message, {
    details: { kind, available, ...(guess ? { closest: guess } : {}) },
  });
}

/** Where a template file comes from: gymnos, the project's templates/, or the --templates directory. */
export type TemplateSource = 'builtin' | 'project' | 'option';

interface ResolvedTemplate extends TemplateFile {
  source: TemplateSource;
  /** The absolute path of the .hbs file. */
  file: string;
}

interface TemplateSet {
  kind: string;
  files: ResolvedTemplate[];
  /** Override files that are not one of the kind's templates (ignored). */
  warnings: string[];
}

interface TemplateOptions {
  /** The project: its templates/<kind>/ overrides the built-in files. */
  root?: string;
  /** A directory holding <kind>/*.hbs (the --templates flag), above the project's. */
  templatesDir?: string;
}

export interface RenderedFile {
  path: string;
  content: string;
  template: ResolvedTemplate;
  /** The template's own text (to point at its lines). */
  templateText: string;
}

type Precompiled = Record<string, { source: string; spec: object }>;
type TemplateFunction = (context: object) => string;

/** The directories that may hold templates/<kind>/ overrides, highest precedence first. */
function overrideLayers(options: TemplateOptions): { source: TemplateSource; dir: string }[] {
  const layers: { source: TemplateSource; dir: string }[] = [];
  if (options.templatesDir !== undefined) layers.push({ source: 'option', dir: path.resolve(options.templatesDir) });
  // In the gymnos repository the project's templates/ are the built-in ones.
  if (options.root !== undefined && !samePath(options.root, gymnosRoot())) {
    layers.push({ source: 'project', dir: path.join(options.root, 'templates') });
  }
  return layers;
}

/** Checks the --templates directory; `kind` given, it must hold `<kind>/`. */
export function checkTemplatesDir(dir: string, kind: string | undefined): void {
  const shown = displayPath(dir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new GymnosError('TEMPLATES_DIR_MISSING', `--templates ${shown}: no such directory`);
  }
  if (kind !== undefined && !existsSync(path.join(dir, kind))) {
    throw new GymnosError(
      'TEMPLATES_DIR_EMPTY',
      `--templates ${shown} has no ${kind}/ directory: it must hold <kind>/*.hbs like gymnos's templates/, ` +
        `e.g. ${path.join(shown, kind, KINDS[kind]!.files[0]!.template)}`,
    );
  }
}

/** For each of the kind's template files, the one that applies, and a warning per stray override file. */
export async function resolveTemplates(kind: string, options: TemplateOptions = {}): Promise<TemplateSet> {
  const definition = KINDS[kind];
  if (!definition) throw unknownKind(kind);
  if (options.templatesDir !== undefined) checkTemplatesDir(path.resolve(options.templatesDir), undefined);
  const layers = overrideLayers(options);
  const known = definition.files.map((file) => file.template);
  const warnings: string[] = [];
  for (const layer of layers) {
    const dir = path.join(layer.dir, kind);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) continue;
    for (const name of readdirSync(dir).filter((file) => file.endsWith('.hbs') && !known.includes(file))) {
      const { closestName } = await import('../util/closest.js'); // only for a stray file
      const suggestion = closestName(name, known);
      warnings.push(
        `${displayPath(path.join(dir, name))} is not a ${kind} template and is ignored` +
          (suggestion ? `; did you mean ${suggestion}?` : `; the ${kind} templates are ${known.join(', ')}`),
      );
    }
  }
  const files = definition.files.map((file): ResolvedTemplate => {
    for (const layer of layers) {
      const candidate = path.join(layer.dir, kind, file.template);
      if (existsSync(candidate)) return { ...file, source: layer.source, file: candidate };
    }
    return { ...file, source: 'builtin', file: path.join(gymnosRoot(), 'templates', kind, file.template) };
  });
  return { kind, files, warnings };
}

/** resolveTemplates for create-new: the --templates directory must then hold the kind. */
export async function resolveTemplatesFor(kind: string, options: TemplateOptions): Promise<TemplateSet> {
  if (options.templatesDir !== undefined) checkTemplatesDir(path.resolve(options.templatesDir), kind);
  return resolveTemplates(kind, options);
}

function loadPrecompiled(): Precompiled {
  const file = path.join(gymnosRoot(), 'dist', 'templates.precompiled.cjs');
  if (!existsSync(file)) return {};
  return requireCjs(file) as Precompiled;
}

async function compileTemplate(
  template: ResolvedTemplate,
  kind: string,
  source: string,
  precompiled: Precompiled,
): Promise<TemplateFunction> {
  const entry = template.source === 'builtin' ? precompiled[`${kind}/${template.template}`] : undefined;
  if (entry && entry.source === source) {
    // handlebars/runtime.js is CommonJS: its module.exports (the runtime) arrives as the default export.
    const runtime = ((await import('handlebars/runtime.js')) as unknown as { default: typeof import('handlebars') })
      .default;
    return runtime.template(entry.spec as never) as TemplateFunction;
  }
  const Handlebars = (await import('handlebars')).default;
  return Handlebars.compile(source, { strict: true, noEscape: true });
}

/** A Handlebars error as `file:line:column: message`, with what the user can do about it. */
function handlebarsError(template: ResolvedTemplate, error: unknown, context: object): GymnosError {
  const message = (error as Error)?.message ?? String(error);
  const file = displayPath(template.file);
  const located = error as { lineNumber?: number; column?: number };
  const unknown = /^"([^"]+)" not defined in .* - \d+:\d+$/.exec(message);
  if (unknown && located.lineNumber !== undefined && located.column !== undefined) {
    return new GymnosError(
      'TEMPLATE_UNKNOWN_VARIABLE',
      `${file}:${located.lineNumber}:${located.column + 1}: unknown variable or helper "${unknown[1]}"; ` +
        `the variables are ${Object.keys(context).join(', ')}; nothing was written`,
      { details: { file: template.file, line: located.lineNumber, column: located.column + 1, variable: unknown[1] } },
    );
  }
  const parse = /^Parse error on line (\d+):[\s\S]*\n(Expecting [^\n]*)$/.exec(message);
  if (parse) {
    return new GymnosError(
      'TEMPLATE_SYNTAX',
      `${file}:${parse[1]}: Handlebars syntax error: ${parse[2]}; nothing was written`,
      { details: { file: template.file, line: Number(parse[1]) } },
    );
  }
  const where = located.lineNumber !== undefined ? `:${located.lineNumber}` : '';
  return new GymnosError('TEMPLATE_RENDER_FAILED', `${file}${where}: ${message.split('\n')[0]}; nothing was written`, {
    details: { file: template.file, line: located.lineNumber ?? null },
    cause: error,
  });
}

/** Renders each template of the set with `context` (which must carry `name`). */
export async function renderTemplates(set: TemplateSet, context: { name: string } & object): Promise<RenderedFile[]> {
  const precompiled = set.files.some((file) => file.source === 'builtin') ? loadPrecompiled() : {};
  return Promise.all(
    set.files.map(async (template) => {
      let source: string;
      try {
        source = readFileSync(template.file, 'utf8'); // a few small files: the sync read is the faster
      } catch (error) {
        throw new GymnosError('TEMPLATE_UNREADABLE', `${displayPath(template.file)}: ${(error as Error).message}`);
      }
      let content: string;
      try {
        content = (await compileTemplate(template, set.kind, source, precompiled))(context);
      } catch (error) {
        throw handlebarsError(template, error, context);
      }
      return { path: template.target(context.name), content, template, templateText: source };
    }),
  );
}
