import assert from 'node:assert/strict';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { trackerTestRun } from '../../src/test_runner/project_tests.js';
import { pluginProject } from '../helpers/plugin_project.js';
import { gymnosInProcess } from '../helpers/in_process.js';
import { emptyProject, gymnos, removeProjects, REPO } from '../helpers/project.js';

after(removeProjects);

/** A project with these files; with `tsx`, node_modules links to this repository's (which has tsx). */
function projectWith(files: Record<string, string>, options: { tsx: boolean } = { tsx: true }): string {
  const root = emptyProject();
  writeFileSync(path.join(root, 'package.json'), '{\n  "type": "module"\n}\n');
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  if (options.tsx) symlinkSync(path.join(REPO, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  return root;
}

const PASSING = `import assert from 'node:assert/strict';
import { test } from 'node:test';
import { double } from '../src/double.js';

test('alpha doubles', () => {
  const result: number = double(2);
  assert.equal(result, 4);
});

test('beta doubles zero', () => assert.equal(double(0), 0));
`;
const DOUBLE = 'export const double = (value: number): number => value * 2;\n';
const FAILING = "import { test } from 'node:test';\n\ntest('gamma fails', () => {\n  throw new Error('gamma');\n});\n";

describe('gymnos test', () => {
  // Each `gymnos test` is a nested node --test with a process per file: two runs check what five did.
  test('runs every test/**/*.test.ts through tsx from any directory of the project; a failing test is exit 1', () => {
    const root = projectWith({
      'src/double.ts': DOUBLE,
      'test/deep/er/double.test.ts': PASSING.replace('../src/', '../../../src/'),
      'test/failing.test.ts': FAILING,
    });
    const all = gymnos(['test'], { cwd: path.join(root, 'src') });
    assert.equal(all.status, 1, all.stdout + all.stderr);
    assert.match(all.stdout, /alpha doubles/);
    assert.match(all.stdout, /gamma fails/);
    assert.match(all.stdout, /pass 2/);
    assert.match(all.stdout, /fail 1/);
  });

  test('paths narrow the run, and other options go on to node', () => {
    const root = projectWith({
      'src/double.ts': DOUBLE,
      'test/double.test.ts': PASSING,
      'test/failing.test.ts': FAILING,
    });
    // The pattern lets gamma through: only the path keeps the failing file out.
    const args = ['test', 'test/double.test.ts', '--test-name-pattern=alpha|gamma', '--test-reporter=tap'];
    const filtered = gymnos(args, { cwd: root });
    assert.doesNotMatch(filtered.stdout, /gamma/);
    assert.equal(filtered.status, 0, filtered.stdout + filtered.stderr);
    assert.match(filtered.stdout, /^ok \d+ - alpha doubles/m);
    // Beta did not run either (Node 20 lists it with a SKIP directive, newer Node not at all).
    assert.doesNotMatch(filtered.stdout, /^ok \d+ - beta doubles zero$/m);
  });

  test('no tests yet is exit 0 saying so; a path that does not exist is exit 2', async () => {
    const root = projectWith({});
    const none = await gymnosInProcess(['test'], { cwd: root });
    assert.equal(none.status, 0, none.stderr);
    assert.match(none.stdout, /No test files .* yet: nothing to run\. .*gymnos create-new tracker/);

    const missing = await gymnosInProcess(['test', 'test/nothere.test.ts'], { cwd: root });
    assert.equal(missing.status, 2);
    assert.equal(missing.stderr, 'gymnos: test/nothere.test.ts does not exist\n');
  });

  test('an option neither gymnos nor node knows, or a path outside test/, is exit 2 with one line', async () => {
    const root = projectWith({ 'src/double.ts': DOUBLE, 'test/double.test.ts': PASSING, 'src/x.test.ts': PASSING });
    const cases: [string[], RegExp][] = [
      [['--bogus'], /^gymnos: unknown option --bogus: neither gymnos test's .* nor node's; .*--option=value/],
      [['--test-name-pattern'], /^gymnos: --test-name-pattern needs a value: write --test-name-pattern=<value>\n$/],
      [['src/x.test.ts'], /^gymnos: src\/x\.test\.ts is outside this project's tests \(test\/\)/],
      [['../elsewhere.test.ts'], /is outside this project's tests/],
      [['--tracker', 'my_tracker', 'test/double.test.ts'], /give --tracker or test paths, not both/],
    ];
    for (const [args, message] of cases) {
      const result = await gymnosInProcess(['test', ...args], { cwd: root });
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
      assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
      assert.match(result.stderr, message);
    }
  });

  test("--tracker picks the tracker's test, and gymnos's conformance file unless that test runs the kit", async () => {
    const root = pluginProject();
    assert.equal((await gymnosInProcess(['create-new', 'tracker', '--name', 'my_tracker'], { cwd: root })).status, 0);
    const own = path.join(root, 'test/trackers/my_tracker.test.ts');
    const kit = path.join(REPO, 'src/test_runner/tracker_conformance.ts'); // from the sources, as this test runs
    assert.deepEqual(trackerTestRun(root, 'my_tracker'), { files: [own], env: { GYMNOS_TEST_TRACKER: 'my_tracker' } });
    writeFileSync(own, PASSING.replace('../src/', '../../src/'));
    assert.deepEqual(trackerTestRun(root, 'my_tracker').files, [own, kit]);
    rmSync(own);
    assert.deepEqual(trackerTestRun(root, 'my_tracker').files, [kit]);
    assert.deepEqual(trackerTestRun(root, 'csv').files, [kit], 'a built-in tracker, by its registry name');
  });

  test("--tracker runs the tracker's test and the conformance kit on it; an unknown tracker is exit 2", async () => {
    const root = pluginProject();
    assert.equal((await gymnosInProcess(['create-new', 'tracker', '--name', 'my_tracker'], { cwd: root })).status, 0);
    // A test of its own that does not run the kit: gymnos's conformance file (from dist/ here) runs it beside.
    writeFileSync(path.join(root, 'test/trackers/my_tracker.test.ts'), PASSING.replace('../src/', '../../src/'));
    writeFileSync(path.join(root, 'src/double.ts'), DOUBLE);
    const both = gymnos(['test', '--tracker', 'my_tracker'], { cwd: root });
    assert.equal(both.status, 0, both.stdout + both.stderr);
    assert.match(both.stdout, /my_tracker conforms to the gymnos Tracker contract/);
    assert.match(both.stdout, /alpha doubles/);

    const unknown = await gymnosInProcess(['test', '--tracker', 'nope'], { cwd: root });
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /^gymnos: no tracker "nope" is registered here; registered: memory, .*my_tracker\n$/);
  });

  test('TypeScript tests without tsx installed: exit 2 saying to run npm install', async () => {
    const root = projectWith({ 'test/double.test.ts': PASSING }, { tsx: false });
    const result = await gymnosInProcess(['test'], { cwd: root });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /^gymnos: tsx is not installed in this project.*run `npm install`/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  });
});
