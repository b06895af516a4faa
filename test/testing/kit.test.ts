/**
 * The conformance kit proves by failing: every check fails for some tracker. The kit runs in a child process
 * against trackers that are each wrong in one way (fixtures/broken_trackers.ts); its TAP output must show each
 * one failing exactly on the checks that name its fault, the read-back checks as `todo` where no read-back is
 * given, and a faithful tracker passing everything.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
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
let temporary = '';
after(() => rmSync(temporary, { recursive: true, force: true }));
let stdout = '';

before(() => {
  // Without NODE_TEST_CONTEXT, which would make the child report to this runner instead of printing TAP. The file
  // is run directly (node:test runs its tests in that process): `--test` would start one more process for it.
  // A temporary directory of its own: the kit's are made there, and must all be gone once the run is over.
  temporary = mkdtempSync(path.join(os.tmpdir(), 'gymnos-kit-test-'));
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: temporary };
  delete env.NODE_TEST_CONTEXT;
  const child = runChildSync(process.execPath, [...TS_LOADER, '--test-reporter=tap', FIXTURE], {
    env,
  });
  stderr = child.stderr;
  stdout = child.stdout;
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

/** The TAP output of `name`'s suite: its checks and their failures' messages. */
function output(name: string): string {
  const start = stdout.indexOf(`# Subtest: ${name} conforms to the gymnos Tracker contract\n`);
  assert.ok(start >= 0, `no output for ${name}`);
  const next = stdout.indexOf('conforms to the gymnos Tracker contract\n', start + name.length + 60);
  return stdout.slice(start, next < 0 ? undefined : next);
}

/** The names of the checks that failed (todo ones apart) for `name`'s suite. */
function failed(name: string): string[] {
  const suite = results.get(name);
  assert.ok(suite, `no results for ${name}; stderr: ${stderr}`);
  return [...suite].filter(([, outcome]) => !outcome.ok && !outcome.todo).map(([check]) => check);
}

function todos(name: string): string[] {
  return [...results.get(name)!].filter(([, outcome]) => outcome.todo).map(([check]) => check);
}

const FACTORY = 'the factory builds a new, idle Tracker subclass each time';
const LIFECYCLE = 'start, flush and end settle within the timeout, and end leaves the tracker ended';
const LOG_CALLS = 'log hooks return at once: none returns a promise or blocks the event loop over 50 ms';
const METRICS =
  'every metric logged reaches the backend with its name, step and exact value, in every batch (read back)';
const OTHERS = 'params, tags and files reach the backend with their values and content (read back)';
const GUARDS = "callers get the base class's guards, which drop calls outside the run: no wrapper bypasses them";
const END_CHECK = 'end() resolves once everything is sent: later, and after a second end(), the backend holds the same';
const ARGUMENTS = "the base class's argument checks hold: no hook bypasses them";

test('a faithful tracker passes every check', () => {
  assert.deepEqual(failed('faithful'), []);
  assert.deepEqual(todos('faithful'), []);
  assert.deepEqual(
    [...results.get('faithful')!.keys()],
    [FACTORY, LIFECYCLE, LOG_CALLS, METRICS, OTHERS, GUARDS, END_CHECK, ARGUMENTS],
  );
});

test('a tracker that does nothing passes only with its read-back checks listed as todo', () => {
  assert.deepEqual(failed('nothing'), []);
  assert.deepEqual(todos('nothing').sort(), [METRICS, OTHERS].sort());
});

test('a tracker that does nothing fails as soon as it reads back its backend', () => {
  assert.deepEqual(failed('nothing_read_back').sort(), [METRICS, OTHERS, END_CHECK].sort());
});

test('an object that does not extend Tracker fails the factory check', () => {
  assert.ok(failed('not_a_tracker').includes(FACTORY), failed('not_a_tracker').join('; '));
});

test('metrics dropped, rounded to 3 decimals, or sent in a first batch only fail the metrics check alone', () => {
  assert.ok(failed('drops_metrics').includes(METRICS));
  assert.ok(!failed('drops_metrics').includes(OTHERS));
  assert.deepEqual(failed('rounds_metrics'), [METRICS]);
  assert.deepEqual(failed('sends_first_batch_only'), [METRICS]);
});

test('metrics at steps of its own, or from after the first flush lost, fail the metrics check alone', () => {
  assert.deepEqual(failed('ignores_steps'), [METRICS]);
  assert.deepEqual(failed('sends_first_flush_only'), [METRICS]);
});

test('NaN and ±Infinity kept as null fail, unless the tracker says finiteOnly: then the kit logs none', () => {
  assert.deepEqual(failed('non_finite_as_null'), [METRICS]);
  assert.deepEqual(failed('finite_only'), []);
  assert.match(stdout, /'nan@0=NaN \(the backend has 0\)'/);
});

test('params dropped, params kept by key with other values, and empty files fail the params and files check', () => {
  assert.deepEqual(failed('drops_params'), [OTHERS]);
  assert.deepEqual(failed('drops_tags'), [OTHERS]);
  assert.deepEqual(failed('param_values_as_text'), [OTHERS]);
  assert.deepEqual(failed('empty_files'), [OTHERS]);
});

test('a log hook that returns a promise, or sleeps 100 ms, fails "log hooks return at once"', () => {
  // The async hook also loses its metrics: they land after end() has sent everything.
  assert.ok(failed('async_log_metric').includes(LOG_CALLS), failed('async_log_metric').join('; '));
  assert.deepEqual(failed('sleeping_log_metric'), [LOG_CALLS]);
});

test('a constructor returning a Proxy that serves raw hooks fails the guards and the argument checks', () => {
  const raw = failed('serves_raw_hooks');
  assert.ok(raw.includes(GUARDS) && raw.includes(ARGUMENTS), raw.join('; '));
});

test('a hook that returns itself or null, not a promise, passes', () => {
  assert.deepEqual(failed('chains'), []);
});

test('a tracker whose end() leaves something to arrive later fails the end check alone', () => {
  assert.deepEqual(failed('late_tag'), [END_CHECK]);
});

test('a hook written as a class field fails every check, explained', () => {
  assert.equal(failed('class_field_hook').length, results.get('class_field_hook')!.size - 2); // the todo ones pass
});

test('the kit leaves no temporary directory behind', () => {
  assert.deepEqual(readdirSync(temporary), []);
});

test('an end() that never settles fails the lifecycle checks, naming end() as the call that hangs', () => {
  assert.ok(failed('hangs_on_end').includes(LIFECYCLE));
  const said = "error: 'hangs_on_end: end() did not settle within 500 ms; it hangs (a promise that never settles?)'";
  assert.ok(output('hangs_on_end').includes(said), output('hangs_on_end'));
});

test('a call that never settles is named by every check that awaits it, with the timeout', () => {
  const named = (name: string, call: string, ms: number) =>
    output(name).split(`error: '${name}: ${call} did not settle within ${ms} ms; it hangs`).length - 1;
  // How many checks await each call before anything else hangs: each must name it (flush() after end() is the
  // base class's, which returns at once, so only the lifecycle check's flush() can hang).
  assert.deepEqual(
    [
      named('hangs_on_start', 'start()', 200),
      named('hangs_on_end', 'end()', 500),
      named('hangs_on_flush', 'flush()', 200),
      named('hangs_in_read_back', 'readBack', 200),
      named('hangs_in_factory', 'the factory', 200),
      named('hangs_after_lifecycle', 'afterLifecycle', 2500),
    ],
    [6, 6, 1, 3, 6, 1],
  );
});

test('a log hook that returns a callable thenable returns a promise all the same', () => {
  assert.deepEqual(failed('thenable_function'), [LOG_CALLS]);
  assert.match(output('thenable_function'), /return a promise[\s\S]*'logTag'/);
});

test('a factory that returns the same tracker twice fails the factory check, saying so', () => {
  assert.ok(failed('same_tracker_twice').includes(FACTORY), failed('same_tracker_twice').join('; '));
  assert.match(output('same_tracker_twice'), /the factory must return a new tracker each time/);
});

test('a tracker that loses its last batch at end() fails the end check, though other metrics are there', () => {
  assert.deepEqual(failed('loses_its_last_batch').sort(), [METRICS, END_CHECK].sort());
  assert.match(
    output('loses_its_last_batch'),
    /the metric logged before end\(\) is not in the backend once end\(\) has resolved/,
  );
});

test('a tracker whose end() resolves before it has sent everything fails', () => {
  assert.ok(failed('ends_early').includes(END_CHECK), failed('ends_early').join('; '));
});

test('every check of the kit fails for some tracker here', () => {
  const failing = new Set([...results.keys()].flatMap((name) => failed(name)));
  assert.deepEqual(
    [FACTORY, LIFECYCLE, LOG_CALLS, METRICS, OTHERS, GUARDS, END_CHECK, ARGUMENTS].filter(
      (check) => !failing.has(check),
    ),
    [],
  );
});

test('a backend that keeps float32 passes when it says so, and fails on the exact values otherwise', () => {
  assert.deepEqual(failed('float32_backend'), []);
  assert.deepEqual(failed('float32_unsaid'), [METRICS]);
  assert.match(output('float32_unsaid'), /compared as the exact float64 logged/);
  assert.doesNotMatch(output('float32_backend'), /compared as/);
});

test('a read-back without params, tags or files is not checked for them; one without metrics fails', () => {
  assert.deepEqual(failed('metrics_only'), []);
  assert.ok(failed('no_metrics_read_back').includes(METRICS));
  assert.match(output('no_metrics_read_back'), /readBack returned no metrics: a tracker backend must record metrics/);
});

test('each fixture fails with the words that name its bug', () => {
  const says: Array<[string, RegExp]> = [
    ['not_a_tracker', /LooksLikeATracker does not extend Tracker/],
    ['nothing_read_back', /the metric logged before end\(\) is not in the backend once end\(\) has resolved/],
    ['not_a_tracker', /are not the base class's guards/],
    ['nothing', /# TODO give describeTrackerConformance a readBack option that reads what reached the backend/],
    ['late_tag', /the backend changed after end\(\) had resolved/],
    ['class_field_hook', /class_field_hook: logTag is written as a class field/],
    ['sends_first_batch_only', /'series@\d+=\S+ \(missing\)'/],
    ['drops_tags', /tags logged but not in the backend with their values/],
    ['async_log_metric', /these log hooks return a promise: buffer the work and send it on flush\(\)/],
    [
      'sleeping_log_metric',
      /these log calls block the event loop \(measured as [^)]*\): buffer the work and send it on flush\(\) or a timer/,
    ],
    ['sleeping_log_metric', /'logMetric \(1\d\d, 1\d\d, 1\d\d ms\)'/],
    ['serves_raw_hooks', /are not the base class's guards \(a constructor returning a Proxy\?\): calls before start/],
    ['serves_raw_hooks', /'logParam'\n\s+\+ \]/],
    ['ends_early', /the backend changed after end\(\) had resolved|is not in the backend once end\(\) has resolved/],
  ];
  for (const [name, said] of says) assert.match(output(name), said, name);
  // The proxy serves the six log hooks raw: start, flush, end and the bulk helpers are still the guards.
  assert.doesNotMatch(output('serves_raw_hooks'), /'start'|'logMetrics'/);
});

test('each failure says what is wrong, in the words a plugin author acts on', () => {
  for (const said of [
    'does not extend Tracker', // not_a_tracker
    'precise@1=0.3333333333333333 (the backend has 0.333)', // rounds_metrics
    '(missing)', // sends_first_batch_only and drops_metrics
    'layers: the backend has "64,32", logged [64,32]', // param_values_as_text
    'config: the content differs (the backend has 0 bytes; logged 14 bytes)', // empty_files
    'these log hooks return a promise: buffer the work and send it on flush()', // async_log_metric
    'these log calls block the event loop (measured as wall time less run-queue wait)', // sleeping_log_metric
    "are not the base class's guards (a constructor returning a Proxy?)", // serves_raw_hooks
    'the metric logged before end() is not in the backend once end() has resolved', // ends_early
  ]) {
    assert.ok(stdout.includes(said), `the kit's output does not say: ${said}`);
  }
});

test('the kit makes no call outside a run: it prints no warning', () => {
  assert.doesNotMatch(stderr, /GymnosWarning/);
});
