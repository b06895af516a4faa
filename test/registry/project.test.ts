/**
 * `load` in a plugin project: the project's trackers beside the built-ins, from its TypeScript under tsx or from
 * its build, found from process.cwd() without options.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { GymnosError, load, loadTrackerClass, MemoryTracker, TrackerList } from '../../src/index.js';
import { builtTrackerSource, pluginProject, runScript, trackerSource } from '../helpers/plugin_project.js';
import { removeProjects, REPO } from '../helpers/project.js';

after(removeProjects);

const REGISTRY = '{\n  "mine": "trackers/mine.js#MineTracker"\n}\n';

/** Loads each of `names` in one child with plain `load(name)`; prints a line per tracker: its class, and if built. */
/**
 * One child loads `names` from `cwd`, printing each class and whether it came from the build; then, from each of
 * `thenFrom` (a directory it changes to), `names` again.
 */
function loadInChild(names: string | string[], cwd: string, options: { tsx: boolean; thenFrom?: string[] }) {
  const script =
    "const { load } = await import('gymnos');" +
    `for (const directory of [null, ...${JSON.stringify(options.thenFrom ?? [])}]) {` +
    'if (directory) process.chdir(directory);' +
    `for (const name of ${JSON.stringify([names].flat())}) {` +
    'const tracker = await load(name);' +
    'console.log(tracker.constructor.name, Boolean(tracker.built));' +
    '}}';
  return runScript(script, cwd, options);
}

describe('load in a plugin project', () => {
  test("loads the project's tracker from its TypeScript source under tsx, beside the built-ins", async () => {
    const root = pluginProject({ 'var/trackers.json': REGISTRY, 'src/trackers/mine.ts': trackerSource('MineTracker') });
    const mine = await loadTrackerClass('mine', { root });
    assert.equal(mine.Class.name, 'MineTracker');
    assert.equal(mine.source, 'project');
    assert.equal(mine.file, path.join(root, 'src/trackers/mine.ts'));
    const memory = await loadTrackerClass('memory', { root });
    assert.equal(memory.source, 'builtin');
    assert.equal(memory.root, REPO);
    assert.ok((await load('memory', {}, { root })) instanceof MemoryTracker);
  });

  test('TrackerList.fromSpecs passes root on, mixing built-in and project trackers', async () => {
    const root = pluginProject({ 'var/trackers.json': REGISTRY, 'src/trackers/mine.ts': trackerSource('MineTracker') });
    const list = await TrackerList.fromSpecs([{ type: 'memory' }, { type: 'mine' }], { root });
    assert.deepEqual(
      list.trackers.map((tracker) => tracker.constructor.name),
      ['MemoryTracker', 'MineTracker'],
    );
  });

  test('plain load(name) finds the project from process.cwd(), also from a subdirectory, under tsx', () => {
    const root = pluginProject({ 'var/trackers.json': REGISTRY, 'src/trackers/mine.ts': trackerSource('MineTracker') });
    mkdirSync(path.join(root, 'test/trackers'), { recursive: true });
    // From the subdirectory first, so that nothing found from the root can answer for it.
    const loaded = loadInChild(['mine', 'jsonl'], path.join(root, 'test/trackers'), { tsx: true, thenFrom: [root] });
    assert.equal(loaded.stdout.trim(), 'MineTracker false\nJsonlTracker false\n'.repeat(2).trim(), loaded.stderr);
  });

  test('without a TypeScript loader the build is loaded; under tsx the source wins over it', () => {
    const root = pluginProject({
      'var/trackers.json': REGISTRY,
      'src/trackers/mine.ts': trackerSource('MineTracker'),
      'dist/trackers/mine.js': builtTrackerSource('MineTracker'),
    });
    const plain = loadInChild('mine', root, { tsx: false });
    assert.equal(plain.stdout.trim(), 'MineTracker true', plain.stderr);
    assert.equal(loadInChild('mine', root, { tsx: true }).stdout.trim(), 'MineTracker false');
  });

  test('a JavaScript-only project loads from its build or its src/ without a loader', () => {
    const root = pluginProject({ 'var/trackers.json': REGISTRY, 'src/trackers/mine.js': trackerSource('MineTracker') });
    const result = loadInChild('mine', root, { tsx: false });
    assert.equal(result.stdout.trim(), 'MineTracker false', result.stderr);
  });

  test('TypeScript without a loader and without a build is one error saying to use tsx or build', () => {
    const root = pluginProject({ 'var/trackers.json': REGISTRY, 'src/trackers/mine.ts': trackerSource('MineTracker') });
    const result = loadInChild('mine', root, { tsx: false });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /TRACKER_NOT_BUILT/);
    assert.ok(
      result.stderr.includes(
        'tracker "mine" (var/trackers.json:2): Node cannot import src/trackers/mine.ts without a TypeScript ' +
          'loader, and dist/trackers/mine.js is not built; run under tsx (`node --import tsx`, or `tsx`) or build ' +
          'the project (`npm run build`)',
      ),
      result.stderr,
    );
  });

  test('an entry named like a built-in is refused, naming the file and line; the others still load', async () => {
    const root = pluginProject({
      'var/trackers.json':
        '{\n  "mine": "trackers/mine.js#MineTracker",\n  "memory": "trackers/mine.js#MineTracker"\n}\n',
      'src/trackers/mine.ts': trackerSource('MineTracker'),
    });
    await assert.rejects(load('memory', {}, { root }), (error: GymnosError) => {
      assert.equal(error.code, 'TRACKER_SHADOWS_BUILTIN');
      assert.equal(
        error.message,
        `${path.join(root, 'var/trackers.json')}:3: "memory" is the name of a built-in tracker, which a project ` +
          'tracker may not take; rename this entry (e.g. "my_memory")',
      );
      return true;
    });
    assert.equal((await load('mine', {}, { root })).constructor.name, 'MineTracker');
    // Even an entry that is invalid otherwise never lets the built-in load in its place.
    const invalid = pluginProject({ 'var/trackers.json': '{\n  "csv": 3\n}\n' });
    await assert.rejects(load('csv', {}, { root: invalid }), /var\/trackers\.json:2: "csv" is the name of a built-in/);
  });

  test('an unknown name lists the built-in and the project names, and the closest match among both', async () => {
    const root = pluginProject({ 'var/trackers.json': REGISTRY, 'src/trackers/mine.ts': trackerSource('MineTracker') });
    await assert.rejects(load('mien', {}, { root }), (error: GymnosError) => {
      assert.equal(error.code, 'TRACKER_NOT_FOUND');
      const [, builtins, rest] = /^unknown tracker "mien"\. Did you mean "mine"\? Built-in: ([a-z, ]+); (.*)$/.exec(
        error.message,
      )!;
      assert.deepEqual(builtins!.split(', ').sort(), [
        'comet',
        'csv',
        'jsonl',
        'memory',
        'mlflow',
        'tensorboard',
        'wandb',
      ]);
      assert.equal(rest, `project (${path.join(root, 'var/trackers.json')}): mine`);
      return true;
    });
    await assert.rejects(load('jsnol', {}, { root }), /Did you mean "jsonl"\?/);
    const bare = pluginProject();
    await assert.rejects(load('mine', {}, { root: bare }), (error: GymnosError) => {
      assert.match(error.message, /Built-in: memory, .*; project .*: none \(it has no var\/trackers\.json\)$/);
      return true;
    });
  });

  test('a project module that fails to import is an error naming it; an entry may not leave the project', async () => {
    const root = pluginProject({
      'var/trackers.json': '{\n  "broken": "trackers/broken.js#BrokenTracker",\n  "up": "../up.js#UpTracker"\n}\n',
      'src/trackers/broken.ts': "import 'no-such-package-anywhere';\nexport class BrokenTracker {}\n",
    });
    await assert.rejects(load('broken', {}, { root }), (error: GymnosError) => {
      assert.equal(error.code, 'TRACKER_IMPORT_FAILED');
      assert.match(error.message, /tracker "broken": importing src\/trackers\/broken\.ts failed: .*no-such-package/);
      return true;
    });
    await assert.rejects(load('up', {}, { root }), (error: GymnosError) => error.code === 'TRACKER_OUTSIDE_PACKAGE');
  });

  test('in the gymnos package itself, load reads its one registry as before', async () => {
    const tracker = await loadTrackerClass('memory', { root: REPO });
    assert.equal(tracker.source, 'builtin');
    assert.equal(tracker.root, REPO);
    await assert.rejects(load('memroy'), /Registered: .*memory/);
  });
});
