/**
 * The commit's test hooks as the environment sets them (src/scaffold/commit_points.ts): off by default, and
 * GYMNOS_TEST_STEP_DELAY_MS holds the commit at every point, so that bench/create-new-kills.mjs's random kills land
 * inside the transaction. (GYMNOS_TEST_PAUSE_AT, which never resumes, is shown from outside in
 * test/cli/create_new_faults.test.ts.) No timing is measured: only which of two timers comes first.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { commitPointsFromEnvironment } from '../../src/scaffold/commit_points.js';

/** Which settles first: the point, or a timer of `ms` started just before it. */
async function firstOf(env: NodeJS.ProcessEnv, ms: number): Promise<'point' | 'timer'> {
  const notices: string[] = [];
  const points = commitPointsFromEnvironment((line) => notices.push(line), env);
  let timer: NodeJS.Timeout | undefined;
  const timerFired = new Promise<'timer'>((resolve) => (timer = setTimeout(() => resolve('timer'), ms)));
  try {
    return await Promise.race([points.reached('temp-1').then(() => 'point' as const), timerFired]);
  } finally {
    clearTimeout(timer);
    assert.deepEqual(notices, [], 'no pause, so no notice');
  }
}

test('unset, a point only yields to the event loop: it passes long before any timer', async () => {
  assert.equal(await firstOf({}, 5_000), 'point');
  assert.equal(await firstOf({ GYMNOS_TEST_STEP_DELAY_MS: 'soon' }, 5_000), 'point', 'not a number: no delay');
  assert.equal(await firstOf({ GYMNOS_TEST_PAUSE_AT: 'renamed-1' }, 5_000), 'point', 'paused at another point');
});

test('GYMNOS_TEST_STEP_DELAY_MS holds each point that long: a shorter timer started first fires first', async () => {
  // A timer of 150 ms started before the point's 151 ms always fires first; a point that did not wait would pass
  // before it (unless the machine stalled for 150 ms, which lets the mutant through, never fails the original).
  assert.equal(await firstOf({ GYMNOS_TEST_STEP_DELAY_MS: '151' }, 150), 'timer');
});
