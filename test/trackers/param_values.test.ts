/**
 * Params that are not JSON get one TypeError naming the param and what is wrong, the same from every backend
 * (the base class checks the whole value once); keys named `__proto__` are kept; bulk helpers given something
 * that is not an object say what they expected.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CsvTracker } from '../../src/trackers/csv.js';
import { JsonlTracker } from '../../src/trackers/jsonl.js';
import { MemoryTracker } from '../../src/trackers/memory.js';
import { TensorboardTracker } from '../../src/trackers/tensorboard.js';
import type { Tracker } from '../../src/trackers/tracker.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-param-values-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const BACKENDS: Record<string, () => Tracker> = {
  memory: () => new MemoryTracker(),
  jsonl: () => new JsonlTracker(),
  csv: () => new CsvTracker(),
  tensorboard: () => new TensorboardTracker(),
};

function deeplyNested(depth: number): unknown {
  let value: unknown = 1;
  for (let level = 0; level < depth; level++) value = { a: value };
  return value;
}

const circular: Record<string, unknown> = { name: 'adam' };
circular.self = circular;

const BAD: Array<[string, unknown, RegExp]> = [
  ['a cycle', circular, /^logParam\("p"\): \.self refers back to itself \(a cycle\)/],
  ['a BigInt', { seed: 10n }, /^logParam\("p"\): \.seed is a BigInt \(10n\)/],
  ['a BigInt alone', 10n, /^logParam\("p"\): the value is a BigInt/],
  [
    'a toJSON returning undefined',
    { toJSON: () => undefined },
    /^logParam\("p"\): its toJSON\(\) returned undefined, which JSON cannot hold$/,
  ],
  ['nesting 20,000 deep', deeplyNested(20_000), /^logParam\("p"\): nested more than 500 levels deep/],
  ['undefined', undefined, /^logParam\("p"\): the value is undefined/],
  ['a function', () => 1, /^logParam\("p"\): the value is a function/],
];

describe('param values that are not JSON', () => {
  for (const [label, value, message] of BAD) {
    test(`${label}: the same TypeError from every backend, naming the param`, async () => {
      const messages: string[] = [];
      for (const [name, make] of Object.entries(BACKENDS)) {
        const tracker = make();
        await tracker.start(undefined, dir); // a new run each time: the file trackers refuse an existing one
        assert.throws(
          () => tracker.logParam('p', value as never),
          (error: unknown) => {
            assert.ok(error instanceof TypeError, `${name}: ${String(error)}`);
            assert.match(error.message, message, name);
            messages.push(error.message);
            return true;
          },
        );
        await tracker.end();
      }
      assert.equal(new Set(messages).size, 1, messages.join('\n'));
    });
  }

  test('a value JSON can represent is logged as its JSON (toJSON, Dates, undefined left out)', async () => {
    const tracker = new MemoryTracker();
    await tracker.start('good', dir);
    const when = new Date(0);
    tracker.logParam('p', { when, skip: undefined, list: [1, undefined], nested: { ok: true } } as never);
    await tracker.end();
    assert.deepEqual(tracker.params.p, { when: '1970-01-01T00:00:00.000Z', list: [1, null], nested: { ok: true } });
  });
});

describe('keys named __proto__', () => {
  test('are kept as keys, in param names and inside values, by memory, jsonl and csv', async () => {
    const value = JSON.parse('{"__proto__": {"x": 1}, "y": 2}') as Record<string, unknown>;
    const names = JSON.parse('{"__proto__": 5}') as Record<string, number>;
    const memory = new MemoryTracker();
    await memory.start('proto', dir);
    memory.logParam('p', value as never);
    memory.logParams(names);
    await memory.end();
    assert.ok(Object.hasOwn(memory.params, '__proto__'));
    assert.equal(memory.params['__proto__'], 5);
    assert.ok(Object.hasOwn(memory.params.p as object, '__proto__'));
    for (const [name, make] of [
      ['jsonl', () => new JsonlTracker()],
      ['csv', () => new CsvTracker()],
    ] as const) {
      const tracker = make();
      await tracker.start(`proto-${name}`, dir);
      tracker.logParam('p', value as never);
      tracker.logParams(names);
      await tracker.end();
      const text = readFileSync(path.join(dir, `proto-${name}`, 'params.json'), 'utf8');
      const stored = JSON.parse(text) as Record<string, unknown>;
      assert.equal(stored['__proto__'], 5, `${name}: ${text}`);
      assert.deepEqual(Object.keys(stored.p as object), ['__proto__', 'y'], `${name}: ${text}`);
    }
  });
});

describe('bulk helpers given something that is not an object', () => {
  for (const helper of ['logMetrics', 'logParams', 'logTags'] as const) {
    test(`${helper}(null) is a TypeError saying what was expected`, async () => {
      const tracker = new MemoryTracker();
      await tracker.start('bulk', dir);
      assert.throws(() => (tracker[helper] as (value: unknown) => void)(null), {
        name: 'TypeError',
        message: new RegExp(`^${helper}\\(\\): .* must be an object of name → value, got null$`),
      });
      await tracker.end();
    });
  }
});
