/**
 * The public API is the runtime API: what a user calls is exported as a value, internals are not, and every
 * export is documented in docs/api.md.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as gymnos from '../src/index.js';
import { runChildSync } from './helpers/children.js';
import { TS_LOADER } from './helpers/ts_loader.js';

test('the trackers a user calls are values, MlflowTracker.deliverSpool included', () => {
  for (const name of [
    'Tracker',
    'TrackerList',
    'MemoryTracker',
    'TensorboardTracker',
    'MlflowTracker',
    'JsonlTracker',
  ]) {
    assert.equal(typeof (gymnos as Record<string, unknown>)[name], 'function', name);
  }
  assert.equal(typeof gymnos.MlflowTracker.deliverSpool, 'function');
  assert.equal(typeof gymnos.TrackerList.fromSpecs, 'function');
  assert.ok(gymnos.isGymnosError(new gymnos.GymnosError('X', 'x')));
});

test('internals are not exported', () => {
  for (const name of ['parseRegistry', 'readRegistry', 'REGISTRY_PATH', 'isTrackerClass', 'nonZeroRank', 'csvField']) {
    assert.ok(!(name in gymnos), `${name} is exported`);
  }
});

test('every export is documented in docs/api.md', () => {
  const docs = readFileSync(new URL('../docs/api.md', import.meta.url), 'utf8');
  for (const name of Object.keys(gymnos)) assert.match(docs, new RegExp(`\`${name}[\`(.]`), `${name} in docs/api.md`);
});

test('importing gymnos adds no process listener, so a signal still ends the process as it would without it', () => {
  const events = ['SIGINT', 'SIGTERM', 'exit', 'uncaughtException'];
  const script =
    `const count = () => ${JSON.stringify(events)}.map((event) => process.listenerCount(event)).join(' ');` +
    `const before = count(); await import(${JSON.stringify(new URL('../src/index.ts', import.meta.url).href)});` +
    'console.log(before === count() ? "none" : `${before} -> ${count()}`);';
  const result = runChildSync(process.execPath, [...TS_LOADER, '--input-type=module', '-e', script]);
  assert.equal(result.stdout.trim(), 'none', result.stderr);
});
