/**
 * The conformance kit proves by failing: every check fails for some tracker. The kit runs in a child process
 * against trackers that are each wrong in one way (fixtures/broken_trackers.ts); its TAP output must show each
 * one failing exactly on the checks that name its fault, the read-back checks as `todo` where no read-back is
 * given, and a faithful tracker passing everything.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, test } from 'node:test';
import { runChildSync } from '../helpers/children.js';
import { TS_LOADER } from '../helpers/ts_loader.js';

const FIXTURE = path.join(import.meta.dirname, 'fixtures', 'broken_trackers.ts');

interface Outcome {
  ok: boolean;
  todo: boolean;
}

/** suite name → test name → outcome, from the TAP reporter's nested subtests. */
let results: Map<string, Map<string, Outcome>>;
let stderr = '';

before(() => {
  // Without NODE_TEST_CONTEXT, which would make the child report to this runner instead of printing TAP. The file
  // is run directly (node:test runs its tests in that process): `--test` would start one more process for it.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const child = runChildSync(process.execPath, [...TS_LOADER, '--test-reporter=tap', FIXTURE], {
    env,
  });
  stderr = child.stderr;
  results = new Map();
  let suite: Map<string, Outcome> | undefined;
  for (const line of child.stdout.split('\n')) {
    const suiteStart = /^# Subtest: (\w+) conforms to the gymnos Tracker contract$/.exec(line);
    if (suiteStart) {
      suite = new Map();
      results.set(suiteStart[1]!, suite);
      continue;
    }
    const result = /^ {4}(not ok|ok) \d+ - (.*?)(?: # (TODO|SKIP).*)?$/.exec(line);
    if (result && suite) suite.set(result[2]!, { ok: result[1] === 'ok', todo: result[3] === 'TODO' });
  }
});

/** The names of the checks that failed (todo ones apart) for `name`'s suite. */
function failed(name: string): string[] {
  const suite = results.get(name);
  assert.ok(suite, `no results for ${name}; stderr: ${stderr}`);
  return [...suite].filter(([, outcome]) => !outcome.ok && !outcome.todo).map(([check]) => check);
}

function todos(name: string): string[] {
  return [...results.get(name)!].filter(([, outcome]) => outcome.todo).map(([check]) => check);
}

const METRICS = 'every metric logged reaches the backend with its name, step and value (read back)';
const PARAMS = 'params, tags and logged files reach the backend (read back)';
const END_CHECK = 'end() resolves once everything is sent: later, and after a second end(), the backend holds the same';

test('a faithful tracker passes every check', () => {
  assert.deepEqual(failed('faithful'), []);
  assert.deepEqual(todos('faithful'), []);
  assert.equal(results.get('faithful')!.size, 8);
});

test('a tracker that does nothing passes only with its read-back checks listed as todo', () => {
  assert.deepEqual(failed('nothing'), []);
  assert.deepEqual(todos('nothing').sort(), [METRICS, PARAMS].sort());
});

test('a tracker that does nothing fails as soon as it reads back its backend', () => {
  assert.deepEqual(
    failed('nothing_read_back').sort(),
    [
      METRICS,
      PARAMS,
      END_CHECK,
      'calls before start and after end never reach the backend, and are warned about once',
    ].sort(),
  );
});

test('dropping metrics, or params, fails the read-back check that covers them, and only that one for params', () => {
  assert.ok(failed('drops_metrics').includes(METRICS));
  assert.ok(!failed('drops_metrics').includes(PARAMS));
  assert.deepEqual(failed('drops_params'), [PARAMS]);
});

test('a log hook that returns a promise, or blocks, fails "log hooks return at once"', () => {
  const check = (ms: number) => `log hooks return at once: none returns a promise or takes more than ${ms} ms`;
  // The async hook also loses its metrics: they land after end() has sent everything. (250 ms: the default limit.)
  assert.ok(failed('async_log_metric').includes(check(250)), failed('async_log_metric').join('; '));
  // The blocking one runs under a limit of 25 ms (fixtures/broken_trackers.ts says why).
  assert.deepEqual(failed('blocking_log_tag'), [check(25)]);
});

test('an end() that never settles fails the lifecycle checks', () => {
  assert.ok(
    failed('hangs_on_end').includes('start, flush and end settle within the timeout, and end leaves the tracker ended'),
  );
});

test('a tracker whose end() resolves before it has sent everything fails', () => {
  assert.ok(failed('ends_early').includes(END_CHECK), failed('ends_early').join('; '));
});

test("the kit's deliberate misuse prints no warning", () => {
  assert.doesNotMatch(stderr, /GymnosWarning/);
});
