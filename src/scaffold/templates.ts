/**
 * The kinds `create-new` knows, their template files, and rendering.
 *
 * Built-in templates are precompiled at build time (bin/build.mjs), so rendering needs only the small
 * Handlebars runtime. Each precompiled spec carries the hash of its source; a template edited since the
 * build is compiled with the full compiler instead, so what is rendered is always what is on disk.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gymnosRoot } from '../registry/package_root.js';

export interface TemplateFile {
  /** File name under templates/<kind>/. */
  template: string;
  /** Where the rendered file goes, relative to the project root. */
  target: (name: string) => string;
}

export interface KindDefinition {
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

export interface RenderedFile {
  path: string;
  content: string;
}

type Precompiled = Record<string, { hash: string; spec: object }>;
type TemplateFunction = (context: object) => string;

async function loadPrecompiled(): Promise<Precompiled> {
  const file = path.join(gymnosRoot(), 'dist', 'templates.precompiled.js');
  if (!existsSync(file)) return {};
  return ((await import(pathToFileURL(file).href)) as { default: Precompiled }).default;
}

async function compileTemplate(key: string, source: string, precompiled: Precompiled): Promise<TemplateFunction> {
  const entry = precompiled[key];
  if (entry && entry.hash === createHash('sha256').update(source).digest('hex')) {
    // handlebars/runtime.js is CommonJS: its module.exports (the runtime) arrives as the default export.
    const runtime = ((await import('handlebars/runtime.js')) as unknown as { default: typeof import('handlebars') })
      .default;
    return runtime.template(entry.spec as never) as TemplateFunction;
  }
  const Handlebars = (await import('handlebars')).default;
  return Handlebars.compile(source, { strict: true, noEscape: true });
}

/** Renders every template of `kind` with `context` (which must carry `name`). */
export async function renderKind(kind: string, context: { name: string } & object): Promise<RenderedFile[]> {
  const definition = KINDS[kind];
  if (!definition) throw new Error(`unknown kind "${kind}"`);
  const dir = path.join(gymnosRoot(), 'templates', kind);
  const precompiled = await loadPrecompiled();
  return Promise.all(
    definition.files.map(async ({ template, target }) => {
      const source = await readFile(path.join(dir, template), 'utf8');
      const render = await compileTemplate(`${kind}/${template}`, source, precompiled);
      return { path: target(context.name), content: render(context) };
    }),
  );
}
