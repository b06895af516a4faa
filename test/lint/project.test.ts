/**
 * `gymnos lint` in a plugin project: the contract is checked against the project's own var/trackers.json, and
 * an entry named like a built-in tracker is reported at its line. Run through the CLI's code in this process
 * (lintInProcess); test/lint/cli.test.ts covers the bin itself.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { lintInProcess, makeProject, removeLintProjects } from './helpers.js';

after(removeLintProjects);

const TRACKER = "import { Tracker } from 'gymnos';\n\nexport class MineTracker extends Tracker {}\n";

describe('gymnos lint in a plugin project', () => {
  test("checks the project's registry; a built-in name is gymnos/tracker-shadows-builtin at its line", async () => {
    const registry = '{\n  "mine": "trackers/mine.js#MineTracker",\n  "csv": "trackers/mine.js#MineTracker"\n}\n';
    const root = makeProject({ 'var/trackers.json': registry, 'src/trackers/mine.ts': TRACKER }, { git: true });
    const result = await lintInProcess(['--no-cache', '--format', 'json'], root);
    assert.equal(result.status, 1, result.stderr);
    const report = JSON.parse(result.stdout) as {
      filePath: string;
      messages: { ruleId: string; line: number; column: number; message: string }[];
    }[];
    const problems = report.flatMap((file) =>
      file.messages.map((message) => ({ file: file.filePath.split(/[\\/]/).slice(-2).join('/'), ...message })),
    );
    assert.deepEqual(
      problems.map(({ file, ruleId, line, column }) => `${file}:${line}:${column} ${ruleId}`),
      ['var/trackers.json:3:3 gymnos/tracker-shadows-builtin'],
    );
    assert.match(problems[0]!.message, /^"csv" is the name of a built-in tracker, .*rename this entry/);

    const clean = makeProject({
      'var/trackers.json': '{\n  "mine": "trackers/mine.js#MineTracker"\n}\n',
      'src/trackers/mine.ts': TRACKER,
    });
    const ok = await lintInProcess(['--no-cache'], clean);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  });

  test("an entry of the project's registry whose module is missing is reported against that registry", async () => {
    const root = makeProject({ 'var/trackers.json': '{\n  "gone": "trackers/gone.js#GoneTracker"\n}\n' });
    const result = await lintInProcess(['--no-cache'], root);
    assert.equal(result.status, 1);
    assert.match(result.stdout, /^var\/trackers\.json$/m);
    assert.match(
      result.stdout,
      /2:3 +error +"gone" points to "trackers\/gone\.js", but src\/trackers\/gone\.ts does not/,
    );
  });
});
