/**
 * End to end, as a plugin author meets gymnos: the package as `npm pack` ships it, installed from the tarball
 * into a fresh npm project outside this repository, then `gymnos init`, `npm install`, `gymnos create-new
 * tracker`, `gymnos lint`, the project's own `npm test`, and a script that loads the project's tracker beside
 * a built-in one and logs through both. One pack and one project serve every step, in order; a step that
 * fails skips the ones after it, which could only fail for the same reason.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import { codeBlocks } from '../helpers/doc_snippets.js';
import { assertSucceeded, exec, NPM_FLAGS, packRepository, walkThrough } from '../helpers/packed.js';
import { REPO } from '../helpers/project.js';

describe('a packed gymnos in a fresh npm project', { timeout: 15 * 60_000 }, () => {
  let work: string;
  let project: string;
  let tarball: string;
  const step = walkThrough();

  before(() => {
    assert.ok(
      existsSync(path.join(REPO, 'dist/cli-bundle/main.cjs')) && existsSync(path.join(REPO, 'dist/index.js')),
      'dist/ is not built: run `npm run build` first (npm test does)',
    );
    work = mkdtempSync(path.join(os.tmpdir(), 'gymnos-e2e-'));
    project = path.join(work, 'my-trackers');
    mkdirSync(project);
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  step('npm pack ships the built package', () => {
    const packed = packRepository(work);
    tarball = packed.tarball;
    const files = new Set(packed.files);
    for (const file of [
      'bin/gymnos.js',
      'bin/package.json',
      'dist/cli-bundle/main.cjs',
      'dist/index.js',
      'var/trackers.json',
    ]) {
      assert.ok(files.has(file), `the tarball holds ${file}`);
    }
    assert.ok(![...files].some((file) => file.startsWith('test/') || file.startsWith('src/')), 'no tests or sources');
  });

  step('a fresh npm project installs the tarball', () => {
    assertSucceeded(exec('npm', ['init', '-y'], project), 'npm init -y');
    const install = assertSucceeded(exec('npm', ['install', tarball, ...NPM_FLAGS], project), 'npm install <tarball>');
    assert.ok(existsSync(path.join(project, 'node_modules/.bin/gymnos')));
    // No script of gymnos's runs or needs approving where it is installed: npm says nothing about install scripts.
    assert.doesNotMatch(install.stdout + install.stderr, /install-scripts|allowScripts/);
    const { scripts } = JSON.parse(readFileSync(path.join(project, 'node_modules/gymnos/package.json'), 'utf8'));
    for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) assert.equal(scripts[script], undefined);
  });

  step('npx gymnos init sets the project up; npm install adds what it asked for', () => {
    const init = exec('npx', ['gymnos', 'init'], project);
    assertSucceeded(init, 'npx gymnos init');
    assert.match(init.stdout, /^CREATE +var\/trackers\.json$/m);
    assert.match(init.stdout, /^UPDATE +package\.json \(.*scripts\.test.*\)$/m);
    const manifest = JSON.parse(readFileSync(path.join(project, 'package.json'), 'utf8'));
    assert.equal(manifest.scripts.test, 'gymnos test');
    assert.equal(manifest.scripts.lint, 'gymnos lint');
    assertSucceeded(exec('npm', ['install', ...NPM_FLAGS], project), 'npm install');
    for (const tool of ['tsx', 'typescript']) assert.ok(existsSync(path.join(project, 'node_modules', tool)), tool);
    // Before any tracker, the test script passes and says there is nothing to run.
    const noTests = exec('npm', ['test'], project);
    assertSucceeded(noTests, 'npm test without tests');
    assert.match(noTests.stdout, /No test files/);
  });

  step('npx gymnos create-new tracker generates and registers my_tracker; init stays satisfied', () => {
    assertSucceeded(exec('npx', ['gymnos', 'create-new', 'tracker', '--name', 'my_tracker'], project), 'create-new');
    assert.ok(existsSync(path.join(project, 'src/trackers/my_tracker.ts')));
    assert.ok(existsSync(path.join(project, 'test/trackers/my_tracker.test.ts')));
    const registry = JSON.parse(readFileSync(path.join(project, 'var/trackers.json'), 'utf8'));
    assert.equal(registry.my_tracker, 'trackers/my_tracker.js#MyTracker');
    // The "$schema" init wrote names the schema the tarball installed, as an editor resolves it.
    const schema = path.resolve(project, 'var', registry.$schema);
    assert.equal(schema, path.join(project, 'node_modules/gymnos/schema/trackers.schema.json'));
    assert.equal(JSON.parse(readFileSync(schema, 'utf8')).title, 'gymnos tracker registry (var/trackers.json)');
    const again = exec('npx', ['gymnos', 'init'], project);
    assertSucceeded(again, 'npx gymnos init (again)');
    assert.match(again.stdout, /Already initialized/);
  });

  step('npx gymnos lint: the generated project lints clean but for its TODO markers (warnings)', () => {
    const lint = exec('npx', ['gymnos', 'lint'], project);
    assertSucceeded(lint, 'npx gymnos lint');
    assert.match(lint.stdout, /\(0 errors, (\d+) warnings?: \1 TODO markers? left\)/);
    assertSucceeded(exec('npm', ['run', 'lint'], project), 'npm run lint');
  });

  step("the project's npm test runs the conformance kit against my_tracker", () => {
    const npmTest = exec('npm', ['test'], project);
    assertSucceeded(npmTest, 'npm test');
    assert.match(npmTest.stdout, /my_tracker is registered and loads by name/);
    assert.match(npmTest.stdout, /^ℹ pass [1-9]\d*$/m);
    assert.match(npmTest.stdout, /^ℹ fail 0$/m);
  });

  step("a script loads the project's tracker and the built-in jsonl, and logs through both", () => {
    const script = `import { readFileSync } from 'node:fs';
import { load, TrackerList } from 'gymnos';

const mine = await load('my_tracker');
const jsonl = await load('jsonl', { flushIntervalMs: 0 });
const trackers = new TrackerList([mine, jsonl]);
await trackers.start('run-1', 'logs');
trackers.logParams({ lr: 0.001 });
for (let epoch = 0; epoch < 3; epoch++) trackers.logMetric('loss', 1 / (epoch + 1));
await trackers.end();
const events = readFileSync('logs/run-1/events.jsonl', 'utf8').trim().split('\\n').map((line) => JSON.parse(line));
const metrics = events.filter((event) => event.kind === 'metric').map((event) => [event.step, event.value]);
console.log(JSON.stringify({ classes: [mine.constructor.name, jsonl.constructor.name], metrics }));
`;
    writeFileSync(path.join(project, 'log_run.mjs'), script);
    // tsx, as in the project's tests: the project's tracker is TypeScript, which Node 20 cannot import alone.
    const run = exec(process.execPath, ['--import', 'tsx', 'log_run.mjs'], project);
    assertSucceeded(run, 'node --import tsx log_run.mjs');
    assert.deepEqual(JSON.parse(run.stdout.trim().split('\n').at(-1)!), {
      classes: ['MyTracker', 'JsonlTracker'],
      metrics: [
        [0, 1],
        [1, 0.5],
        [2, 1 / 3],
      ],
    });
    assert.deepEqual(JSON.parse(readFileSync(path.join(project, 'logs/run-1/params.json'), 'utf8')), { lr: 0.001 });
  });

  step("with @tensorflow/tfjs installed, docs/tfjs.md's first example runs as written and gymnos runs lists it", () => {
    // The version gymnos is developed with (its devDependency), as a user adds it: tfjs is an optional peer.
    const version = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).devDependencies[
      '@tensorflow/tfjs'
    ];
    assertSucceeded(exec('npm', ['install', `@tensorflow/tfjs@${version}`, ...NPM_FLAGS], project), 'npm install tfjs');
    // The page as installed with gymnos: its block marked file=train.mjs.
    const docs = readFileSync(path.join(project, 'node_modules/gymnos/docs/tfjs.md'), 'utf8');
    const example = codeBlocks('docs/tfjs.md', docs).find((block) => block.marks.file === 'train.mjs')?.code;
    assert.ok(example, 'docs/tfjs.md has the train.mjs example');
    writeFileSync(path.join(project, 'train.mjs'), example);
    const train = assertSucceeded(exec(process.execPath, ['train.mjs'], project), 'node train.mjs');
    const runId = /logged run (\S+) to logs\//.exec(train.stdout)?.[1];
    assert.ok(runId, train.stdout);
    const runs = assertSucceeded(
      exec('npx', ['gymnos', 'runs', 'logs', '--run', runId, '--metric', 'epoch_loss/validation', '--json'], project),
      'gymnos runs',
    );
    const [run] = (
      JSON.parse(runs.stdout) as { runs: { status: string; metrics: Record<string, { points: number }> }[] }
    ).runs;
    assert.equal(run?.status, 'finished');
    assert.equal(run?.metrics['epoch_loss/validation']?.points, 20);
  });
});
