/**
 * CI runs the README's quick start first (.ci/run), in a fresh clone, as a newcomer would: the commands it runs
 * must be the README's, word for word, or CI could pass what a newcomer's copy-paste fails.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO } from './helpers/project.js';

/** The `$ ` lines of the first console block under the README's "## Quick start". */
function readmeQuickStart(readme: string): string[] {
  const section = readme.split(/^## /m).find((part) => part.startsWith('Quick start\n'));
  assert.ok(section, 'the README has a "## Quick start" section');
  const block = /```console\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, 'with a console block');
  return block
    .split('\n')
    .filter((line) => line.startsWith('$ '))
    .map((line) => line.slice(2));
}

/** The commands of .ci/run's QUICK_START=( ... ) array, one single-quoted command a line. */
function ciQuickStart(script: string): string[] {
  const array = /^QUICK_START=\(\n([\s\S]*?)\n\)$/m.exec(script)?.[1];
  assert.ok(array, '.ci/run has a QUICK_START=( ... ) array');
  return array.split('\n').map((line) => {
    const command = /^ {2}'([^']*)'$/.exec(line)?.[1];
    assert.ok(command !== undefined, `.ci/run: not one single-quoted command: ${line}`);
    return command;
  });
}

test("CI's quick start is the README's, word for word, and each command has a time budget", () => {
  const readme = readmeQuickStart(readFileSync(path.join(REPO, 'README.md'), 'utf8'));
  const script = readFileSync(path.join(REPO, '.ci', 'run'), 'utf8');
  assert.deepEqual(readme, ['npm ci && npx gymnos create-new tracker --name my_tracker', 'npm test']);
  assert.deepEqual(ciQuickStart(script), readme);
  const budgets = /^QUICK_START_BUDGET_SECONDS=\(([\d ]+)\)$/m.exec(script)?.[1]?.split(' ');
  assert.equal(budgets?.length, readme.length, 'one budget per command');
  // The quick start runs before CI sets CI=true or installs anything of its own.
  const quickStart = script.indexOf('for index in "${!QUICK_START[@]}"');
  assert.ok(quickStart > 0);
  for (const later of ['export CI=', 'npm run --silent test:python', 'apt-get install']) {
    assert.ok(script.indexOf(later) > quickStart, `${later} comes after the quick start`);
  }
});
