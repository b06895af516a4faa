/**
 * The lint cache is exact: over a sequence of random edits to a plugin project (to linted files, to the files
 * the contract rules read but that are not linted, to configs, in the project and in the directory above it), a
 * cached run always reports what an uncached run reports, whether the whole project is linted or only some paths.
 * GYMNOS_CACHE_SEED and GYMNOS_CACHE_EDITS (default 1 and 6) explore other sequences; a failure prints its seed
 * and the edits that led to it.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { lintProject } from '../../src/lint/engine.js';
import type { LintReport } from '../../src/lint/types.js';
import { makeProject, removeLintProjects } from './helpers.js';

after(removeLintProjects);

const trackerModule = (className: string, base = "import { Tracker } from 'gymnos';\n\n") =>
  `${base}export class ${className} extends Tracker {\n  override logMetric(name: string, value: number): void {\n` +
  `    void name;\n    void value;\n  }\n}\n`;

const registry = (entries: Record<string, string>) => `${JSON.stringify(entries, null, 2)}\n`;

/** A project's own ESLint config that reports what gymnos's does not: a console call in src/log.js. */
const OWN_ESLINT_CONFIG = "export default [{ rules: { 'no-console': 'error' } }];\n";

/** Each edit writes (or removes) one file; several touch only files the linted path does not include. */
const EDITS: Array<{ name: string; file: string; content: string | undefined }> = [
  { name: 'rename the exported class', file: 'src/trackers/alpha.ts', content: trackerModule('AlphaRenamed') },
  { name: 'restore the exported class', file: 'src/trackers/alpha.ts', content: trackerModule('AlphaTracker') },
  {
    name: 'extend a local base instead',
    file: 'src/trackers/alpha.ts',
    content: trackerModule('AlphaTracker', "import { Base as Tracker } from '../base.js';\n\n"),
  },
  { name: 'base extends Tracker', file: 'src/base.ts', content: "export { Tracker as Base } from 'gymnos';\n" },
  { name: 'base is not a class', file: 'src/base.ts', content: 'export const Base = 1;\n' },
  { name: 'remove the base', file: 'src/base.ts', content: undefined },
  {
    name: 'register beta',
    file: 'var/trackers.json',
    content: registry({ alpha: 'trackers/alpha.js#AlphaTracker', beta: 'trackers/beta.js#BetaTracker' }),
  },
  {
    name: 'registry back to alpha',
    file: 'var/trackers.json',
    content: registry({ alpha: 'trackers/alpha.js#AlphaTracker' }),
  },
  { name: 'registry not JSON', file: 'var/trackers.json', content: '{ "alpha": \n' },
  { name: 'registry empty', file: 'var/trackers.json', content: '' },
  { name: 'no registry', file: 'var/trackers.json', content: undefined },
  { name: 'registry unformatted', file: 'var/trackers.json', content: '{"alpha":"trackers/alpha.js#AlphaTracker"}\n' },
  { name: 'add beta', file: 'src/trackers/beta.ts', content: trackerModule('BetaTracker') },
  { name: 'remove beta', file: 'src/trackers/beta.ts', content: undefined },
  { name: 'a camelCase tracker file', file: 'src/trackers/gammaTracker.ts', content: trackerModule('GammaTracker') },
  { name: 'remove the camelCase file', file: 'src/trackers/gammaTracker.ts', content: undefined },
  { name: 'a long line', file: 'src/util.ts', content: `export const text = '${'x'.repeat(120)}';\n` },
  { name: 'a clean util', file: 'src/util.ts', content: 'export const text = 1;\n' },
  { name: 'prettier at 40 columns', file: '.prettierrc.json', content: '{ "printWidth": 40 }\n' },
  { name: 'no prettier config', file: '.prettierrc.json', content: undefined },
  { name: 'a Prettier config above: no semicolons', file: '../.prettierrc.json', content: '{ "semi": false }\n' },
  { name: 'no Prettier config above', file: '../.prettierrc.json', content: undefined },
  { name: 'an .editorconfig above: tabs', file: '../.editorconfig', content: '[*]\nindent_style = tab\n' },
  { name: 'no .editorconfig above', file: '../.editorconfig', content: undefined },
  { name: 'an ESLint config of its own', file: 'eslint.config.js', content: OWN_ESLINT_CONFIG },
  { name: 'no ESLint config', file: 'eslint.config.js', content: undefined },
];

/** A small seeded generator (mulberry32), so a failing sequence can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function outcome(report: LintReport): string[] {
  return report.files.flatMap((file) =>
    file.diagnostics.map((d) => `${file.path}:${d.line}:${d.column} ${d.severity} ${d.ruleId} ${d.message}`),
  );
}

test('renaming the exported class is reported when only the registry is linted, cached or not', async () => {
  const root = makeProject({
    'var/trackers.json': registry({ alpha: 'trackers/alpha.js#AlphaTracker' }),
    'src/trackers/alpha.ts': trackerModule('AlphaTracker'),
  });
  const options = { root, gymnosVersion: '0.0.0-test', paths: ['var/trackers.json'] };
  assert.deepEqual(outcome(await lintProject(options)), []);
  writeFileSync(path.join(root, 'src/trackers/alpha.ts'), trackerModule('AlphaRenamed'));
  const after = await lintProject(options);
  assert.equal(after.cache, 'miss');
  assert.match(outcome(after).join('\n'), /gymnos\/tracker-export .*does not export "AlphaTracker"/);
});

test('narrowed to src/: an edit to eslint.config.js is a miss, and reports what a fresh run does', async () => {
  const root = makeProject({ 'src/log.js': 'console.log(1);\n', 'eslint.config.js': 'export default [];\n' });
  const options = { root, gymnosVersion: '0.0.0-test', paths: ['src'] };
  assert.deepEqual(outcome(await lintProject(options)), []);
  // The same files, one of them edited: only its content can tell the cache.
  writeFileSync(path.join(root, 'eslint.config.js'), OWN_ESLINT_CONFIG);
  const after = await lintProject(options);
  assert.equal(after.cache, 'miss');
  assert.deepEqual(outcome(after), outcome(await lintProject({ ...options, cache: false })));
  assert.match(outcome(after).join('\n'), /src\/log\.js:1:1 error no-console/);
});

test('a Prettier config in the directory above the project: an edit is a miss, for both caches', async () => {
  const root = makeProject({ 'src/util.ts': 'export const text = 1;\n' }, { nested: true });
  const options = { root, gymnosVersion: '0.0.0-test' };
  writeFileSync(path.join(root, '../.prettierrc.json'), '{ "semi": true }\n');
  assert.deepEqual(outcome(await lintProject(options)), []);
  writeFileSync(path.join(root, '../.prettierrc.json'), '{ "semi": false }\n');
  const after = await lintProject(options);
  assert.equal(after.cache, 'miss');
  assert.deepEqual(outcome(after), outcome(await lintProject({ ...options, cache: false })));
  assert.match(outcome(after).join('\n'), /src\/util\.ts:1:1 error prettier/);
});

test('a registry git ignores, missing then empty: the cache tells the two apart, as the linters do', async () => {
  // Missing, the tracker is reported unregistered; empty, the registry is (on a file git ignores, so not shown).
  const root = makeProject(
    { '.gitignore': 'var/\n', 'src/trackers/alpha.ts': trackerModule('AlphaTracker') },
    { git: true },
  );
  const options = { root, gymnosVersion: '0.0.0-test' };
  assert.match(
    outcome(await lintProject(options)).join('\n'),
    /src\/trackers\/alpha\.ts:.* gymnos\/tracker-unregistered/,
  );
  mkdirSync(path.join(root, 'var'));
  writeFileSync(path.join(root, 'var/trackers.json'), '');
  const after = await lintProject(options);
  assert.equal(after.cache, 'miss');
  assert.deepEqual(outcome(after), outcome(await lintProject({ ...options, cache: false })));
});

test('a cached lint reports exactly what --no-cache reports, over random edits', async () => {
  const seed = Number(process.env.GYMNOS_CACHE_SEED ?? 1);
  const count = Number(process.env.GYMNOS_CACHE_EDITS ?? 6);
  const next = random(seed);
  const root = makeProject(
    {
      'var/trackers.json': registry({ alpha: 'trackers/alpha.js#AlphaTracker' }),
      'src/trackers/alpha.ts': trackerModule('AlphaTracker'),
      'src/util.ts': 'export const text = 1;\n',
      'src/log.js': 'console.log(1);\n',
    },
    { nested: true },
  );
  const history: string[] = [];
  for (let step = 0; step < count; step++) {
    const edit = EDITS[Math.floor(next() * EDITS.length)]!;
    history.push(edit.name);
    const file = path.join(root, edit.file);
    if (edit.content === undefined) rmSync(file, { force: true });
    else {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, edit.content);
    }
    // The questions a user asks: only the registry (whose rules read tracker modules that are not linted then),
    // only src/ (whose configs are outside it), and, less often, the whole project. A path that matches nothing
    // is a usage error: the registry question is asked only while the registry exists.
    const questions: Array<readonly string[] | undefined> = [['src']];
    if (existsSync(path.join(root, 'var/trackers.json'))) questions.push(['var/trackers.json']);
    if (step % 4 === 3 || questions.length === 0) questions.push(undefined);
    for (const paths of questions) {
      const options = { root, gymnosVersion: '0.0.0-test', ...(paths ? { paths } : {}) };
      const cached = await lintProject(options);
      const uncached = await lintProject({ ...options, cache: false });
      const context = `seed ${seed}, after: ${history.join(' → ')} (paths ${JSON.stringify(paths ?? [])})`;
      assert.deepEqual(outcome(cached), outcome(uncached), `${context}, cache ${cached.cache}`);
      // Asked again with nothing changed, the answer comes from the cache, and is the same.
      const replayed = await lintProject(options);
      assert.equal(replayed.cache, 'hit', context);
      assert.deepEqual(outcome(replayed), outcome(uncached), context);
    }
  }
});
