/**
 * The CLI in a plugin project (someone else's npm project that depends on gymnos): create-new writes there,
 * the generated test passes with plain `load(NAME)`, and list shows the built-in and the project's trackers.
 * init, create-new and lint run in the test process (helpers/in_process.ts); list runs the real bin, since it
 * imports the project's trackers through the project's tsx. The compiles run in this process too, sharing the
 * parsed lib and @types/node (helpers/typescript_compile.ts); test/e2e/journey.test.ts runs the real npm scripts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { gymnosInProcess } from '../helpers/in_process.js';
import { pluginProject, runScript, trackerSource } from '../helpers/plugin_project.js';
import { assertGeneratedTestPasses, gymnos, removeProjects, REPO, run } from '../helpers/project.js';
import { tsc } from '../helpers/typescript_compile.js';

after(removeProjects);

interface Listing {
  registry: string;
  project: boolean;
  trackers: { name: string; source: string; file: string | null; resolves: boolean; error: string | null }[];
}

describe('create-new in a plugin project', () => {
  test("writes files that import from 'gymnos', registers them in the project, and the test passes", async () => {
    const root = pluginProject();
    const result = await gymnosInProcess(['create-new', 'tracker', '--name', 'my_tracker'], { cwd: root });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^CREATE +var\/trackers\.json$/m);
    // No build step in a project: load() imports the TypeScript source under tsx.
    assert.doesNotMatch(result.stdout, /npm run build/);
    assert.match(result.stdout, /npx gymnos test --tracker my_tracker runs test\/trackers\/my_tracker\.test\.ts/);
    assert.equal(
      readFileSync(path.join(root, 'var/trackers.json'), 'utf8'),
      '{\n  "my_tracker": "trackers/my_tracker.js#MyTracker"\n}\n',
    );
    assert.match(readFileSync(path.join(root, 'src/trackers/my_tracker.ts'), 'utf8'), /from 'gymnos';/);
    const testFile = readFileSync(path.join(root, 'test/trackers/my_tracker.test.ts'), 'utf8');
    assert.match(testFile, /^import \{ load \} from 'gymnos';$/m);
    assert.match(testFile, /^import \{ describeTrackerConformance \} from 'gymnos\/testing';$/m);
    assert.match(testFile, /describeTrackerConformance\(NAME, \(\) => load\(NAME\)\);/);

    assertGeneratedTestPasses(root, 'my_tracker');
  });
});

describe('gymnos list trackers in a plugin project', () => {
  test('lists the built-in trackers, then the project ones, each with where it comes from', () => {
    const root = pluginProject({
      'var/trackers.json': '{\n  "mine": "trackers/mine.js#MineTracker"\n}\n',
      'src/trackers/mine.ts': trackerSource('MineTracker'),
    });
    const json = gymnos(['list', 'trackers', '--json'], { cwd: root });
    assert.equal(json.status, 0, json.stdout + json.stderr);
    const listed = JSON.parse(json.stdout) as Listing;
    assert.equal(listed.project, true);
    assert.equal(listed.registry, 'var/trackers.json');
    assert.deepEqual(listed.trackers.map((tracker) => `${tracker.source}:${tracker.name}`).sort(), [
      'builtin:comet',
      'builtin:csv',
      'builtin:jsonl',
      'builtin:memory',
      'builtin:mlflow',
      'builtin:tensorboard',
      'builtin:wandb',
      'project:mine',
    ]);
    // The project's TypeScript resolves through its own tsx, as its tests load it.
    assert.equal(listed.trackers.find((tracker) => tracker.name === 'mine')!.file, 'src/trackers/mine.ts');

    const human = gymnos(['list', 'trackers'], { cwd: root });
    assert.equal(human.status, 0, human.stderr);
    assert.match(human.stdout, /^Built-in \(gymnos \d+\.\d+\.\d+[^)]*\):\n {2}memory +ok +\S+memory\.js$/m);
    assert.match(human.stdout, /^Project \(var\/trackers\.json\):\n {2}mine +ok +src\/trackers\/mine\.ts$/m);

    // Without tsx in the project and without a build, the tracker does not resolve, and it says what to do.
    rmSync(path.join(root, 'node_modules/tsx'));
    const unbuilt = gymnos(['list', 'trackers'], { cwd: root });
    assert.equal(unbuilt.status, 1);
    assert.match(unbuilt.stdout, /^ {2}mine +unresolved +tracker "mine" .*run under tsx .* or build the project/m);

    // A tsx that is there but fails to load is named, with its error: no guess that there is no loader.
    mkdirSync(path.join(root, 'node_modules/tsx'));
    writeFileSync(path.join(root, 'node_modules/tsx/package.json'), '{ "name": "tsx", "exports": "./loader.mjs" }\n');
    writeFileSync(path.join(root, 'node_modules/tsx/loader.mjs'), "throw new Error('cannot find esbuild');\n");
    const broken = gymnos(['list', 'trackers'], { cwd: root });
    assert.equal(broken.status, 1);
    assert.match(
      broken.stdout,
      new RegExp(
        '^ {2}mine +unresolved +tracker "mine" \\(var/trackers\\.json:2\\): importing src/trackers/mine\\.ts needs ' +
          "the project's tsx \\(node_modules/tsx/loader\\.mjs\\), which failed to load: cannot find esbuild; reinstall",
        'm',
      ),
    );
  });

  test('in a CommonJS project (npm init -y), list resolves the generated tracker as load does', async () => {
    const root = pluginProject({}, 'commonjs');
    const created = await gymnosInProcess(['create-new', 'tracker', '--name', 'my_tracker'], { cwd: root });
    assert.equal(created.status, 0, created.stderr);
    const json = gymnos(['list', 'trackers', '--json'], { cwd: root });
    assert.equal(json.status, 0, json.stdout + json.stderr);
    const mine = (JSON.parse(json.stdout) as Listing).trackers.find((tracker) => tracker.name === 'my_tracker')!;
    assert.deepEqual(
      { resolves: mine.resolves, file: mine.file, error: mine.error },
      { resolves: true, file: 'src/trackers/my_tracker.ts', error: null },
    );
    // load() finds it too, from a script tsx was registered in at run time (as list does) and from the tests.
    const script =
      "await import('tsx'); const { load } = await import('gymnos'); " +
      "console.log((await load('my_tracker')).constructor.name);";
    const loaded = runScript(script, root, { tsx: false });
    assert.equal(loaded.stdout.trim(), 'MyTracker', loaded.stderr);
    assertGeneratedTestPasses(root, 'my_tracker');
  });

  // In this process: neither project below has a tracker of its own that list would import.
  test('an entry that shadows a built-in is shown as a problem, and list exits 1', async () => {
    const root = pluginProject({ 'var/trackers.json': '{\n  "jsonl": "trackers/mine.js#MineTracker"\n}\n' });
    const result = await gymnosInProcess(['list', 'trackers', '--json'], { cwd: root });
    assert.equal(result.status, 1);
    const listed = JSON.parse(result.stdout) as Listing;
    const builtin = listed.trackers.find((tracker) => tracker.name === 'jsonl' && tracker.source === 'builtin')!;
    assert.equal(builtin.resolves, true);
    const shadow = listed.trackers.find((tracker) => tracker.name === 'jsonl' && tracker.source === 'project')!;
    assert.equal(shadow.resolves, false);
    assert.equal(
      shadow.error,
      'var/trackers.json:2: "jsonl" is the name of a built-in tracker, which a project tracker may not take; ' +
        'rename this entry (e.g. "my_jsonl")',
    );
  });

  test('a project without a registry lists the built-ins and says how to add one', async () => {
    const root = pluginProject();
    const result = await gymnosInProcess(['list', 'trackers'], { cwd: root });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^ {2}csv +ok/m);
    assert.match(result.stdout, /^Project \(var\/trackers\.json\):\n {2}none yet; create one: npx gymnos create-new/m);
  });
});

describe('a TypeScript project as gymnos init sets it up', () => {
  for (const type of ['module', 'commonjs'] as const) {
    test(`${type}: the generated tracker type-checks, builds, and loads from dist/ without tsx`, async () => {
      const root = pluginProject({}, type);
      for (const args of [['init'], ['create-new', 'tracker', '--name', 'my_tracker']]) {
        const result = await gymnosInProcess(args, { cwd: root });
        assert.equal(result.status, 0, result.stderr);
      }
      // load() is typed by name: the built-ins' params, and the generated tracker's through declaration merging.
      writeFileSync(
        path.join(root, 'src/use.ts'),
        [
          "import { load } from 'gymnos';",
          '',
          'export async function main(): Promise<void> {',
          "  await load('jsonl', { flushIntervalMs: 5 });",
          "  await load('my_tracker', { verbose: true });",
          "  await load('not_in_the_map', { anything: 1 });",
          '  // @ts-expect-error: a misspelled param of a built-in tracker',
          "  await load('jsonl', { flushIntervalMS: 5 });",
          '  // @ts-expect-error: a param the generated tracker does not declare',
          "  await load('my_tracker', { verbos: true });",
          '}',
          '',
        ].join('\n'),
      );
      // `npm run typecheck` then `npm run build`, compiled in this process (helpers/typescript_compile.ts).
      const { scripts } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
      assert.deepEqual([scripts.typecheck, scripts.build], ['tsc --noEmit', 'tsc -p tsconfig.build.json']);
      assert.equal(tsc(root, 'tsconfig.json'), '');
      assert.equal(tsc(root, 'tsconfig.build.json'), '');
      assert.ok(existsSync(path.join(root, 'dist/trackers/my_tracker.js')));
      // Plain node, no TypeScript loader: load() finds the build, from a CommonJS and from an ES module script.
      // A CommonJS script: .js in the CommonJS project, where gymnos lint must take require and module as given.
      const script = type === 'commonjs' ? 'run.js' : 'run.cjs';
      writeFileSync(
        path.join(root, script),
        "const { load } = require('gymnos');\n\n" +
          "load('my_tracker').then((tracker) => console.log(tracker.constructor.name));\n",
      );
      const fromCommonJs = run(process.execPath, [script], root);
      assert.equal(fromCommonJs.stdout.trim(), 'MyTracker', fromCommonJs.stderr);
      const fromModule = runScript(
        "const { load } = await import('gymnos'); console.log((await load('my_tracker')).constructor.name);",
        root,
        { tsx: false },
      );
      assert.equal(fromModule.stdout.trim(), 'MyTracker', fromModule.stderr);
      const lint = await gymnosInProcess(['lint'], { cwd: root });
      assert.equal(lint.status, 0, lint.stdout + lint.stderr);
    });
  }
});

describe('a project with its own ESLint rules and Prettier options', () => {
  test('init and create-new write in its style, and the generated tracker lints clean under its rules', async () => {
    const root = pluginProject({ '.prettierrc.json': '{ "printWidth": 80, "semi": false }\n' });
    for (const args of [['init'], ['create-new', 'tracker', '--name', 'my_tracker']]) {
      const result = await gymnosInProcess(args, { cwd: root });
      assert.equal(result.status, 0, result.stderr);
    }
    const source = readFileSync(path.join(root, 'src/trackers/my_tracker.ts'), 'utf8');
    // Exactly its Prettier configuration, whose unset options are Prettier's defaults: double quotes.
    assert.match(source, /^import \{ Tracker \} from "gymnos"$/m);
    assert.ok(source.split('\n').every((line) => line.length <= 80));
    // The TODO markers survive the formatting.
    assert.match(source, /TODO\(my_tracker\): log a metric\./);
    // Its own rule on top of gymnos's, in the config init wrote.
    const eslintConfig = path.join(root, 'eslint.config.js');
    assert.equal(readFileSync(eslintConfig, 'utf8'), 'export { default } from "gymnos/eslint-config"\n');
    writeFileSync(
      eslintConfig,
      'import gymnos from "gymnos/eslint-config"\n\nexport default [...gymnos, { rules: { "no-console": "error" } }]\n',
    );
    const lint = await gymnosInProcess(['lint'], { cwd: root });
    assert.equal(lint.status, 0, lint.stdout + lint.stderr);
    // That it then type-checks (`npm run typecheck`) and its test passes (`npm test`, fail 0) is asserted by the
    // journey's third project (test/e2e/journey.test.ts), which has this style and these rules.
  });
});

describe("init's merge hint, followed as written, lints create-new's tracker clean", () => {
  /** Common configs a project has before gymnos: the presets, as their docs write them. */
  const PRESETS: Record<string, { imports: string; config: string }> = {
    'js.configs.recommended': { imports: "import js from '@eslint/js';\n", config: '[js.configs.recommended]' },
    'tseslint.configs.recommended': {
      imports: "import js from '@eslint/js';\nimport tseslint from 'typescript-eslint';\n",
      config: '[js.configs.recommended, ...tseslint.configs.recommended]',
    },
    'tseslint.configs.strict': {
      imports: "import tseslint from 'typescript-eslint';\n",
      config: '[...tseslint.configs.strict]',
    },
  };

  for (const [name, preset] of Object.entries(PRESETS)) {
    test(name, async () => {
      const root = pluginProject({ 'eslint.config.js': `${preset.imports}\nexport default ${preset.config};\n` });
      for (const tool of ['@eslint/js', 'typescript-eslint']) {
        mkdirSync(path.dirname(path.join(root, 'node_modules', tool)), { recursive: true });
        symlinkSync(path.join(REPO, 'node_modules', tool), path.join(root, 'node_modules', tool), 'dir');
      }
      const refused = await gymnosInProcess(['init'], { cwd: root });
      assert.equal(refused.status, 3, refused.stderr);
      // The hint's two statements: the import, and the export that combines the configs.
      const hint = /extend gymnos's config in it \((import .*?;) (export default .*?;)\) or remove it/.exec(
        refused.stderr,
      );
      assert.ok(hint, refused.stderr);
      writeFileSync(
        path.join(root, 'eslint.config.js'),
        `${preset.imports}${hint[1]}\n\nconst yourConfig = ${preset.config};\n\n${hint[2]}\n`,
      );
      for (const args of [['init'], ['create-new', 'tracker', '--name', 'my_tracker']]) {
        const result = await gymnosInProcess(args, { cwd: root });
        assert.equal(result.status, 0, result.stderr);
      }
      // The real bin: typescript-eslint remembers, in a process, every directory a config used it from.
      const lint = gymnos(['lint', '--format', 'json'], { cwd: root });
      const report = JSON.parse(lint.stdout) as {
        filePath: string;
        messages: { ruleId: string; severity: number; message: string }[];
      }[];
      const errors = report.flatMap((file) =>
        file.messages
          .filter((message) => message.severity === 2)
          .map((message) => `${path.relative(root, file.filePath)} ${message.ruleId}: ${message.message}`),
      );
      assert.deepEqual(errors, []);
      assert.equal(lint.status, 0, lint.stdout);
    });
  }
});
