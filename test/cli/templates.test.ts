/**
 * Templates a project owns: templates/<kind>/*.hbs in the project and --templates <dir> override gymnos's own
 * file by file; create-new --list shows where each comes from; a template that fails to render, or renders
 * invalid TypeScript, is exit 2 with nothing written. create-new runs in the test process (helpers/in_process.ts).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { pluginProject } from '../helpers/plugin_project.js';
import { gymnosInProcess as gymnos } from '../helpers/in_process.js';
import { emptyProject, removeProjects, REPO, snapshot } from '../helpers/project.js';

after(removeProjects);

const BUILTIN_MODULE = readFileSync(path.join(REPO, 'templates/tracker/tracker.ts.hbs'), 'utf8');

/** A directory holding tracker/<file> for each of `files`, as --templates expects. */
function templatesDir(files: Record<string, string>): string {
  const dir = emptyProject();
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.join(dir, 'tracker'), { recursive: true });
    writeFileSync(path.join(dir, 'tracker', file), content);
  }
  return dir;
}

interface TemplateListing {
  ok: boolean;
  kinds: { kind: string; templates: { template: string; target: string; source: string; path: string }[] }[];
  warnings: string[];
}

/** `template -> source` from `create-new --list --json`. */
async function sources(args: string[], cwd: string): Promise<Record<string, string>> {
  const result = await gymnos(['create-new', '--list', '--json', ...args], { cwd });
  assert.equal(result.status, 0, result.stderr);
  const listing = JSON.parse(result.stdout) as TemplateListing;
  return Object.fromEntries(listing.kinds[0]!.templates.map((entry) => [entry.template, entry.source]));
}

/** Asserts create-new failed with exit 2, one line on stderr matching `message`, and wrote nothing. */
async function assertRejected(root: string, args: string[], message: RegExp): Promise<void> {
  const before = snapshot(root);
  const result = await gymnos(['create-new', 'tracker', '--name', 'my_tracker', ...args], { cwd: root });
  assert.equal(result.status, 2, result.stdout + result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0]!, message);
  assert.deepEqual(snapshot(root), before, 'nothing was written');
}

describe('project templates', () => {
  test("the project's templates/tracker/*.hbs replace the built-in ones file by file", async () => {
    const root = pluginProject({ 'templates/tracker/tracker.md.hbs': '# {{className}}\n\nOurs: `{{name}}`.\n' });
    const result = await gymnos(['create-new', 'tracker', '--name', 'my_tracker'], { cwd: root });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(
      readFileSync(path.join(root, 'docs/trackers/my_tracker.md'), 'utf8'),
      '# MyTracker\n\nOurs: `my_tracker`.\n',
    );
    const module = readFileSync(path.join(root, 'src/trackers/my_tracker.ts'), 'utf8');
    assert.match(module, /^export class MyTracker extends Tracker \{$/m, 'the built-in module template');
    assert.match(module, /^import \{ Tracker \} from 'gymnos';$/m);
    assert.match(readFileSync(path.join(root, 'test/trackers/my_tracker.test.ts'), 'utf8'), /load\(NAME\)/);
  });

  test('--templates <dir> holds <kind>/*.hbs and wins over the project, file by file', async () => {
    const root = pluginProject({
      'templates/tracker/tracker.md.hbs': 'project docs for {{name}}\n',
      'templates/tracker/tracker.test.ts.hbs': "// project test for {{name}}\nexport const name = '{{name}}';\n",
    });
    const shared = templatesDir({ 'tracker.md.hbs': 'shared docs for {{name}}\n' });
    assert.deepEqual(await sources(['--templates', shared], root), {
      'tracker.ts.hbs': 'builtin',
      'tracker.test.ts.hbs': 'project',
      'tracker.md.hbs': 'option',
    });
    const result = await gymnos(['create-new', 'tracker', '--name', 'my_tracker', '--templates', shared], {
      cwd: root,
    });
    assert.equal(result.status, 0, result.stderr);
    const read = (file: string) => readFileSync(path.join(root, file), 'utf8');
    assert.equal(read('docs/trackers/my_tracker.md'), 'shared docs for my_tracker\n');
    assert.equal(
      read('test/trackers/my_tracker.test.ts'),
      "// project test for my_tracker\nexport const name = 'my_tracker';\n",
    );
    assert.match(read('src/trackers/my_tracker.ts'), /^export class MyTracker extends Tracker \{$/m);
  });

  test('create-new --list shows each template file, its target and where it comes from', async () => {
    // A project copy identical to the built-in template is still the project's (never the precompiled one).
    const root = pluginProject({ 'templates/tracker/tracker.ts.hbs': BUILTIN_MODULE });
    const human = await gymnos(['create-new', '--list'], { cwd: root });
    assert.equal(human.status, 0, human.stderr);
    assert.match(human.stdout, /^tracker: a Tracker plugin/m);
    assert.match(human.stdout, /^ {2}src\/trackers\/<name>\.ts +project +templates\/tracker\/tracker\.ts\.hbs$/m);
    assert.match(human.stdout, /^ {2}docs\/trackers\/<name>\.md +built-in +\S+templates\/tracker\/tracker\.md\.hbs$/m);
    const listing = JSON.parse((await gymnos(['create-new', 'tracker', '--list', '--json'], { cwd: root })).stdout);
    assert.equal(listing.ok, true);
    assert.deepEqual(listing.kinds[0].templates[0], {
      template: 'tracker.ts.hbs',
      target: 'src/trackers/<name>.ts',
      source: 'project',
      path: 'templates/tracker/tracker.ts.hbs',
    });
    // In the gymnos repository its templates/ are the built-in ones.
    assert.deepEqual(await sources([], REPO), {
      'tracker.ts.hbs': 'builtin',
      'tracker.test.ts.hbs': 'builtin',
      'tracker.md.hbs': 'builtin',
    });
  });

  test('an override file that is not one of the kind templates is a warning, and is ignored', async () => {
    const root = pluginProject({ 'templates/tracker/trackr.md.hbs': 'typo\n' });
    const listing = JSON.parse(
      (await gymnos(['create-new', '--list', '--json'], { cwd: root })).stdout,
    ) as TemplateListing;
    assert.deepEqual(listing.warnings, [
      'templates/tracker/trackr.md.hbs is not a tracker template and is ignored; did you mean tracker.md.hbs?',
    ]);
    const result = await gymnos(['create-new', 'tracker', '--name', 'my_tracker', '--json'], { cwd: root });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout).warnings, listing.warnings);
  });

  test('a Handlebars syntax error or an unknown variable is exit 2 at the template line; nothing written', async () => {
    const root = pluginProject({ 'templates/tracker/tracker.md.hbs': '# {{name}}\n\n{{#if name}}\nno end\n' });
    await assertRejected(
      root,
      [],
      /^gymnos: templates\/tracker\/tracker\.md\.hbs:\d+: Handlebars syntax error: Expecting /,
    );
    writeFileSync(path.join(root, 'templates/tracker/tracker.md.hbs'), '# {{name}}\n\nBy {{author}}.\n');
    const unknown = /^gymnos: templates\/tracker\/tracker\.md\.hbs:3:6: unknown variable or helper "author"; /;
    await assertRejected(root, [], unknown);
    await assertRejected(root, [], /; the variables are name, className, trackerImport, /);
    await assertRejected(root, ['--dry-run'], /unknown variable or helper "author"/);
  });

  test('a template rendering invalid TypeScript is exit 2 with its file, line and column; none written', async () => {
    const module = BUILTIN_MODULE.replace('export class {{className}} extends', 'export clas {{className}} extends');
    const root = pluginProject({ 'templates/tracker/tracker.ts.hbs': module });
    const line = module.split('\n').findIndex((text) => text.startsWith('export clas ')) + 1;
    await assertRejected(
      root,
      [],
      new RegExp(
        `^gymnos: templates/tracker/tracker\\.ts\\.hbs:${line}:1: renders invalid TypeScript in ` +
          `src/trackers/my_tracker\\.ts \\(line ${line}, column 1\\): .* ` +
          'in "export clas MyTracker extends Tracker \\{"',
      ),
    );
    // The column is the template's, past the {{...}} expressions on the line.
    writeFileSync(path.join(root, 'templates/tracker/tracker.ts.hbs'), "export const {{name}}Name = '{{name}}' + ;\n");
    await assertRejected(
      root,
      [],
      /tracker\.ts\.hbs:1:42: renders invalid TypeScript .*\(line 1, column 46\): Expression expected/,
    );
  });

  test('a --templates directory that does not exist, or has no <kind>/, is exit 2 before anything else', async () => {
    const root = pluginProject();
    await assertRejected(root, ['--templates', path.join(root, 'nowhere')], /--templates .*nowhere: no such directory/);
    const flat = emptyProject();
    writeFileSync(path.join(flat, 'tracker.md.hbs'), '# {{name}}\n');
    await assertRejected(
      root,
      ['--templates', flat],
      /--templates .* has no tracker\/ directory: it must hold <kind>\/\*\.hbs/,
    );
  });
});
