/**
 * Messages that find the typo, each checked word for word: a registry entry with a mistyped export, one without
 * `.js`, a key that is not snake_case, `list tracker`, `create-new traker`, `test --tracker my-tracker`; and
 * `sync` looking in ./logs as `runs` and `report` do. (The kit naming the hook that hangs: test/testing/kit.test.ts.)
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { gymnosInProcess } from '../helpers/in_process.js';
import { pluginProject } from '../helpers/plugin_project.js';
import { gymnos, removeProjects } from '../helpers/project.js';

after(removeProjects);

/** A plugin project after init, with `names` created by create-new, then its registry edited by `edit`. */
async function project(names: string[], edit: (registry: string) => string = (registry) => registry): Promise<string> {
  const root = pluginProject();
  for (const args of [['init'], ...names.map((name) => ['create-new', 'tracker', '--name', name])]) {
    const result = await gymnosInProcess(args, { cwd: root });
    assert.equal(result.status, 0, result.stderr);
  }
  const registry = path.join(root, 'var/trackers.json');
  writeFileSync(registry, edit(readFileSync(registry, 'utf8')));
  return root;
}

async function refused(root: string, args: string[], line: string, status = 2): Promise<void> {
  const result = await gymnosInProcess(args, { cwd: root });
  assert.deepEqual([result.status, result.stderr], [status, `${line}\n`]);
}

describe('messages that find the typo', () => {
  test('a mistyped export, no .js, a key not in snake_case: list and lint say what the entry meant', async () => {
    const root = await project(['a_tracker', 'b_tracker', 'c_tracker'], (registry) =>
      registry
        .replace('#ATracker', '#ATrackr')
        .replace('b_tracker.js#', 'b_tracker#')
        .replace('"c_tracker"', '"c-tracker"'),
    );
    const rule =
      'invalid tracker name: "c-tracker" is not a snake_case name: use lowercase letters, digits and single ' +
      'underscores, starting with a letter (e.g. my_tracker); rename it "c_tracker"';
    // The bin: list imports the project's TypeScript trackers through the project's tsx.
    const list = gymnos(['list', 'trackers'], { cwd: root });
    assert.equal(list.status, 1, list.stderr);
    const projectPart = list.stdout.slice(list.stdout.indexOf('Project (var/trackers.json):\n'));
    assert.equal(
      projectPart,
      [
        'Project (var/trackers.json):',
        '  a_tracker    unresolved  tracker "a_tracker" (var/trackers.json:3): src/trackers/a_tracker.ts does not ' +
          'export "ATrackr"; did you mean "ATracker"? ("trackers/a_tracker.js#ATracker" in var/trackers.json)',
        '  b_tracker    unresolved  tracker "b_tracker" (var/trackers.json:4) points to "trackers/b_tracker" ' +
          'without .js; add .js: "trackers/b_tracker.js#BTracker"',
        `  c-tracker    unresolved  ${rule}`,
        '',
      ].join('\n'),
      'each entry once, with what it meant',
    );
    const lint = await gymnosInProcess(['lint', '--no-cache', '--quiet', '--format', 'json'], { cwd: root });
    assert.equal(lint.status, 1, lint.stderr);
    const findings = (
      JSON.parse(lint.stdout) as { filePath: string; messages: { ruleId: string; message: string }[] }[]
    ).flatMap((file) =>
      file.messages.map((message) => [path.relative(root, file.filePath), message.ruleId, message.message]),
    );
    // Not "ATracker extends Tracker but is not registered": the entry is there, mistyped.
    assert.deepEqual(findings, [
      [
        'var/trackers.json',
        'gymnos/tracker-export',
        '"a_tracker": src/trackers/a_tracker.ts does not export "ATrackr"; did you mean "ATracker"?',
      ],
      [
        'var/trackers.json',
        'gymnos/tracker-module',
        '"b_tracker" points to "trackers/b_tracker" without .js; add .js: "trackers/b_tracker.js#BTracker"',
      ],
      ['var/trackers.json', 'gymnos/tracker-name', rule],
    ]);
  });

  test('list tracker suggests trackers, create-new traker tracker, test --tracker my-tracker my_tracker', async () => {
    const root = await project(['my_tracker']);
    await refused(
      root,
      ['list', 'tracker'],
      "gymnos: command-argument value 'tracker' is invalid for argument 'what'. Allowed choices are trackers; did " +
        'you mean "trackers"?',
    );
    await refused(
      root,
      ['create-new', 'traker', '--name', 'x'],
      'gymnos: unknown kind "traker"; did you mean "tracker"? (available: tracker)',
    );
    await refused(
      root,
      ['test', '--tracker', 'my-tracker'],
      'gymnos: no tracker "my-tracker" is registered here; did you mean "my_tracker"? registered: memory, ' +
        'tensorboard, mlflow, comet, wandb, jsonl, csv, my_tracker',
    );
  });

  test('sync looks in ./logs when given no logdir, as runs and report do', async () => {
    const root = pluginProject();
    await refused(root, ['sync'], 'gymnos: ./logs does not exist; give the logdir your runs were logged to');
    mkdirSync(path.join(root, 'logs'));
    const synced = await gymnosInProcess(['sync', '--json'], { cwd: root });
    assert.equal(synced.status, 0, synced.stderr);
    assert.equal(JSON.parse(synced.stdout).logdir, './logs');
  });
});
