import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GymnosError, load, MemoryTracker, TrackerList } from '../../src/index.js';
import { parseRegistry, readRegistry } from '../../src/registry/registry.js';
import {
  BUILTIN_TRACKERS,
  builtinTrackerFile,
  builtinTrackerModule,
  loadBuiltinTracker,
} from '../../src/registry/builtins.js';

const trackerModule = fileURLToPath(new URL('../../src/index.ts', import.meta.url));

/** A throwaway package with its own registry and tracker modules. */
function project(registry: string, modules: Record<string, string> = {}): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'gymnos-load-'));
  mkdirSync(path.join(root, 'var'));
  writeFileSync(path.join(root, 'var/trackers.json'), registry);
  for (const [file, source] of Object.entries(modules)) {
    mkdirSync(path.dirname(path.join(root, 'src', file)), { recursive: true });
    writeFileSync(path.join(root, 'src', file), source);
  }
  roots.push(root);
  return root;
}
const roots: string[] = [];
after(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

describe('load', () => {
  test('a name holding an escape code or a newline is shown escaped in every load error', async () => {
    const evil = 'evil\u001b[31m\nname';
    const root = project(`${JSON.stringify({ [evil]: 'trackers/evil.js#Evil' })}\n`);
    const messages: string[] = [];
    for (const name of [evil, 'ghost\u001b]0;title\u0007', 'c1\u009bname']) {
      await load(name, {}, { root }).then(
        () => assert.fail(`load(${JSON.stringify(name)}) resolved`),
        (error: Error) => messages.push(error.message),
      );
    }
    const controls = [...Array(0x20).keys(), ...Array.from({ length: 0x21 }, (_, i) => 0x7f + i)];
    for (const message of messages) {
      assert.ok(![...message].some((char) => controls.includes(char.charCodeAt(0))), `a raw control in ${message}`);
    }
    assert.match(messages[0]!, /tracker "evil\\u001b\[31m\\nname" \(var\/trackers\.json:1\)/);
    assert.match(messages[1]!, /unknown tracker "ghost\\u001b\]0;title\\u0007"\..*evil\\u001b\[31m\\nname/);
    assert.match(messages[2]!, /unknown tracker "c1\\u009bname"/);
  });

  test('returns a new instance of the registered class each time', async () => {
    const a = await load('memory');
    const b = await load('memory');
    assert.ok(a instanceof MemoryTracker);
    assert.notEqual(a, b);
  });

  test('an unknown name lists the registered names and the closest match', async () => {
    await assert.rejects(load('memroy'), (error: GymnosError) => {
      assert.equal(error.code, 'TRACKER_NOT_FOUND');
      assert.match(error.message, /unknown tracker "memroy"\. Did you mean "memory"\? Registered: .*memory/);
      return true;
    });
    await assert.rejects(load('zzzzzzzzzz'), (error: Error) => !/Did you mean/.test(error.message));
  });

  test('an unknown param of a built-in tracker is warned about once, naming the closest known one', async () => {
    const warnings: Error[] = [];
    const listener = (warning: Error) => warnings.push(warning);
    process.on('warning', listener);
    try {
      // @ts-expect-error: a misspelled param is a type error too (TrackerParamsMap)
      await load('jsonl', { flushIntervalMS: 5 });
      // @ts-expect-error: the same again: warned once
      await load('jsonl', { flushIntervalMS: 5 });
      await load('csv', { flushIntervalMs: 0, rankZeroOnly: false });
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listener);
    }
    assert.deepEqual(
      warnings.map((warning) => [warning.name, (warning as NodeJS.ErrnoException).code, warning.message]),
      [
        [
          'GymnosWarning',
          'GYMNOS_UNKNOWN_PARAM',
          `load('jsonl'): unknown param "flushIntervalMS", ignored; did you mean "flushIntervalMs"?`,
        ],
      ],
    );
  });

  test('loads a tracker from another package root, from its TypeScript sources', async () => {
    const root = project('{ "mine": "trackers/mine.js#MineTracker" }\n', {
      'trackers/mine.ts':
        `import { Tracker } from ${JSON.stringify(trackerModule)};\n` + 'export class MineTracker extends Tracker {}\n',
    });
    const tracker = await load('mine', {}, { root });
    assert.equal(tracker.constructor.name, 'MineTracker');
  });

  test('a tracker whose hook is a class field is refused with the hook and the fix', async () => {
    const root = project('{ "field": "trackers/field.js#FieldTracker" }\n', {
      'trackers/field.ts':
        `import { Tracker } from ${JSON.stringify(trackerModule)};\n` +
        'export class FieldTracker extends Tracker {\n  override logTag = (key: string) => void key;\n}\n',
    });
    await assert.rejects(load('field', {}, { root }), {
      name: 'TypeError',
      message: /^FieldTracker: logTag is written as a class field .* write it as a method instead: logTag\(/,
    });
  });

  test('arguments that are not a name and an object of params are TypeErrors saying what was expected', async () => {
    await assert.rejects(load(undefined as unknown as string), {
      name: 'TypeError',
      message: "load(): name must be a registered tracker's name (a string), got undefined",
    });
    await assert.rejects(load('memory', null as never), {
      name: 'TypeError',
      message: 'load("memory"): params must be an object of parameters, got null',
    });
    await assert.rejects(TrackerList.fromSpecs([{}] as never), {
      name: 'TypeError',
      message: "TrackerList.fromSpecs(): specs[0] must be { type: '<tracker name>', ...params }, got {}",
    });
    await assert.rejects(TrackerList.fromSpecs(null as never), {
      name: 'TypeError',
      message: /^TrackerList\.fromSpecs\(\): specs must be an array/,
    });
  });

  test('an entry whose module is missing names the entry and the file', async () => {
    const root = project('{\n  "ghost": "trackers/ghost.js#GhostTracker"\n}\n');
    await assert.rejects(load('ghost', {}, { root }), (error: GymnosError) => {
      assert.equal(error.code, 'TRACKER_MODULE_MISSING');
      assert.match(error.message, /tracker "ghost" \(var\/trackers\.json:2\) points to src\/trackers\/ghost\.ts/);
      return true;
    });
  });

  test('a module that does not export the class, or exports something else, is an error naming both', async () => {
    const root = project('{ "a": "trackers/a.js#ATracker", "b": "trackers/b.js#BTracker" }', {
      'trackers/a.ts': 'export const nothing = 1;\n',
      'trackers/b.ts': 'export class BTracker {}\n',
    });
    await assert.rejects(load('a', {}, { root }), /src\/trackers\/a\.ts does not export "ATracker"/);
    await assert.rejects(
      load('b', {}, { root }),
      /src\/trackers\/b\.ts exports something other than a Tracker subclass as "BTracker"/,
    );
  });

  test('an entry that points outside the package is refused', async () => {
    const root = project('{ "up": "../../etc/passwd.js#X", "abs": "/etc/x.js#X", "url": "file:///etc/x.js#X" }');
    for (const name of ['up', 'abs', 'url']) {
      await assert.rejects(load(name, {}, { root }), (error: GymnosError) => error.code === 'TRACKER_OUTSIDE_PACKAGE');
    }
  });

  test('a registry that is not valid JSON is an error with its file, line and column', async () => {
    const root = project('{\n  "a": "trackers/a.js#A",\n  "b": "trackers/b.js#B"\n  "c": 1\n}\n');
    await assert.rejects(load('a', {}, { root }), (error: GymnosError) => {
      assert.equal(error.code, 'REGISTRY_INVALID_JSON');
      assert.match(error.message, /var\/trackers\.json:4:3: invalid JSON \(comma expected\)/);
      return true;
    });
  });

  test('an entry with a bad name or value is reported when it is asked for', async () => {
    const root = project('{ "Bad-Name": "trackers/x.js#X", "novalue": 3 }');
    const registry = readRegistry(root);
    assert.deepEqual(
      registry.problems.map((problem) => problem.name),
      ['Bad-Name', 'novalue'],
    );
    await assert.rejects(load('novalue', {}, { root }), /must map to a string "<module>#<ExportName>"/);
  });
});

describe('parseRegistry', () => {
  test('keeps entries in file order with their positions', () => {
    const registry = parseRegistry('{\n  "b": "trackers/b.js#B",\n  "a": "trackers/a.js#A"\n}\n', 'reg.json');
    assert.deepEqual([...registry.entries.keys()], ['b', 'a']);
    assert.deepEqual(
      [registry.entries.get('a')!.line, registry.entries.get('a')!.column, registry.entries.get('a')!.exportName],
      [3, 3, 'A'],
    );
  });

  test('rejects comments, trailing commas, non-objects and duplicate keys', () => {
    assert.throws(() => parseRegistry('{ // c\n}', 'r.json'), /r\.json:1:3/);
    assert.throws(() => parseRegistry('{ "a": "x.js#A", }', 'r.json'), /invalid JSON/);
    assert.throws(() => parseRegistry('[]', 'r.json'), /must be a JSON object/);
    assert.throws(() => parseRegistry('', 'r.json'), /invalid JSON/);
    const registry = parseRegistry('{ "a": "x.js#A", "a": "y.js#A" }', 'r.json');
    assert.match(registry.problems[0]!.message, /registered twice/);
  });
});

test("the built-in table and the repository's var/trackers.json agree, and each loader imports its class", async () => {
  const registered = readRegistry(fileURLToPath(new URL('../..', import.meta.url))).entries;
  for (const [name, { exportName }] of Object.entries(BUILTIN_TRACKERS)) {
    const builtin = name as keyof typeof BUILTIN_TRACKERS;
    assert.equal(
      registered.get(name)?.target,
      `${builtinTrackerModule(builtin)}#${exportName}`,
      `${name} is registered`,
    );
    assert.equal((await loadBuiltinTracker(builtin)).name, exportName);
    assert.ok(existsSync(builtinTrackerFile(builtin)), `${name}'s file exists`);
  }
});
