import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeTrackerName, trackerClassName, trackerNameProblem } from '../../src/registry/names.js';

test('valid snake_case names', () => {
  for (const name of ['my_tracker', 'a', 'tensorboard', 'x2', 'a1_b2_c3', 'a'.repeat(64)]) {
    assert.equal(trackerNameProblem(name), undefined, name);
  }
});

test('invalid names say why', () => {
  const cases: [string, RegExp][] = [
    ['', /empty/],
    ['a'.repeat(65), /at most 64/],
    ['My_tracker', /not a snake_case name/],
    ['my__tracker', /not a snake_case name/],
    ['_tracker', /not a snake_case name/],
    ['tracker_', /not a snake_case name/],
    ['1tracker', /not a snake_case name/],
    ['my-tracker', /not a snake_case name/],
    ['my tracker', /not a snake_case name/],
    ['class', /reserved word/],
    ['delete', /reserved word/],
    ['tracker', /reserved word/],
    ['tracker_list', /reserved word/],
  ];
  for (const [name, reason] of cases) assert.match(trackerNameProblem(name) ?? '', reason, name);
});

test('MyTracker and my-tracker normalize to my_tracker; ambiguous spellings are left alone', () => {
  assert.equal(normalizeTrackerName('MyTracker'), 'my_tracker');
  assert.equal(normalizeTrackerName('my-tracker'), 'my_tracker');
  assert.equal(normalizeTrackerName('myTracker'), 'my_tracker');
  assert.equal(normalizeTrackerName('  my_tracker '), 'my_tracker');
  assert.equal(normalizeTrackerName('my__tracker'), 'my__tracker');
  assert.equal(normalizeTrackerName('-my-tracker'), '-my-tracker');
  assert.equal(normalizeTrackerName('my tracker'), 'my tracker');
});

test('class names: PascalCase, ending in Tracker once', () => {
  assert.equal(trackerClassName('my_tracker'), 'MyTracker');
  assert.equal(trackerClassName('memory'), 'MemoryTracker');
  assert.equal(trackerClassName('ml_flow2'), 'MlFlow2Tracker');
});
