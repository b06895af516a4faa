import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type TS from 'typescript';
import { requireCjs } from '../../src/util/require_cjs.js';
import { checkPluginContract } from '../../src/lint/contract.js';
import { listProjectFiles } from '../../src/lint/files.js';
import { makeProject, removeLintProjects } from './helpers.js';

// Required, not imported: an ES import of TypeScript's 9 MB makes Node scan it for exports (util/require_cjs.ts).
const ts = requireCjs('typescript') as typeof TS;

after(removeLintProjects);

const GOOD = "import { Tracker } from 'gymnos';\n\nexport class GoodTracker extends Tracker {}\n";

/** The contract findings for a plugin project made of `files`, as `file:line rule severity` strings. */
async function findings(files: Record<string, string>, gymnosRepository = false): Promise<string[]> {
  const root = makeProject({
    'package.json': JSON.stringify({ name: gymnosRepository ? 'gymnos' : 'my-plugins', type: 'module' }),
    ...files,
  });
  const { all } = await listProjectFiles(root);
  const result = checkPluginContract({ root, allFiles: all, isGymnosRepository: gymnosRepository, ts });
  return [...result].flatMap(([file, diagnostics]) =>
    diagnostics.map((diagnostic) => `${file}:${diagnostic.line} ${diagnostic.ruleId} ${diagnostic.severity}`),
  );
}

async function messages(files: Record<string, string>): Promise<string[]> {
  const root = makeProject({ 'package.json': '{ "name": "my-plugins" }', ...files });
  const { all } = await listProjectFiles(root);
  return [...checkPluginContract({ root, allFiles: all, isGymnosRepository: false, ts }).values()].flatMap(
    (diagnostics) => diagnostics.map((diagnostic) => diagnostic.message),
  );
}

describe('the plugin contract', () => {
  test('a registered tracker class that extends Tracker from gymnos passes', async () => {
    assert.deepEqual(
      await findings({
        'var/trackers.json': '{\n  "good": "trackers/good.js#GoodTracker"\n}\n',
        'src/trackers/good.ts': GOOD,
      }),
      [],
    );
  });

  test('Tracker followed through aliases, re-exports, intermediate base classes and JavaScript modules', async () => {
    assert.deepEqual(
      await findings({
        'var/trackers.json': JSON.stringify(
          {
            aliased: 'trackers/aliased.js#AliasedTracker',
            derived: 'trackers/derived.js#DerivedTracker',
            reexported: 'trackers/reexported.js#Renamed',
            namespaced: 'trackers/namespaced.js#NamespacedTracker',
            plain_js: 'trackers/plain_js.js#PlainTracker',
          },
          null,
          2,
        ),
        'src/trackers/aliased.ts':
          "import { Tracker as Base } from 'gymnos';\nexport class AliasedTracker extends Base {}\n",
        'src/base.ts': "import { Tracker } from 'gymnos';\nexport abstract class HttpTracker extends Tracker {}\n",
        'src/trackers/derived.ts':
          "import { HttpTracker } from '../base.js';\nexport class DerivedTracker extends HttpTracker {}\n",
        'src/trackers/reexported.ts': "export { DerivedTracker as Renamed } from './derived.js';\n",
        'src/trackers/namespaced.ts':
          "import * as g from 'gymnos';\nexport class NamespacedTracker extends g.Tracker {}\n",
        'src/trackers/plain_js.js': "import { Tracker } from 'gymnos';\nexport class PlainTracker extends Tracker {}\n",
      }),
      [],
    );
  });

  test('in the gymnos repository, trackers extend its own src/trackers/tracker.ts', async () => {
    assert.deepEqual(
      await findings(
        {
          'var/trackers.json': '{\n  "memory": "trackers/memory.js#MemoryTracker"\n}\n',
          'src/trackers/tracker.ts': 'export class Tracker {}\n',
          'src/trackers/tracker_list.ts':
            "import { Tracker } from './tracker.js';\nexport class TrackerList extends Tracker {}\n",
          'src/index.ts': "export { Tracker } from './trackers/tracker.js';\n",
          'src/trackers/memory.ts':
            "import { Tracker } from '../index.js';\nexport class MemoryTracker extends Tracker {}\n",
        },
        true,
      ),
      [],
    );
  });

  test('invalid JSON, and a registry that is not an object, are gymnos/registry-syntax at the position', async () => {
    assert.deepEqual(await findings({ 'var/trackers.json': '{\n  "good": "trackers/good.js#GoodTracker",\n}\n' }), [
      'var/trackers.json:3 gymnos/registry-syntax error',
    ]);
    assert.deepEqual(await findings({ 'var/trackers.json': '[]\n' }), [
      'var/trackers.json:1 gymnos/registry-syntax error',
    ]);
  });

  test('a duplicate entry and a malformed target are gymnos/registry-entry', async () => {
    const registry = [
      '{',
      '  "good": "trackers/good.js#GoodTracker",',
      '  "good": "trackers/good.js#GoodTracker",',
      '  "broken": 42',
      '}',
      '',
    ].join('\n');
    assert.deepEqual(await findings({ 'var/trackers.json': registry, 'src/trackers/good.ts': GOOD }), [
      'var/trackers.json:3 gymnos/registry-entry error',
      'var/trackers.json:4 gymnos/registry-entry error',
    ]);
  });

  test('a name that is not snake_case is gymnos/tracker-name, for keys and for unregistered modules', async () => {
    assert.deepEqual(
      await findings({
        'var/trackers.json': '{\n  "GoodTracker": "trackers/good.js#GoodTracker"\n}\n',
        'src/trackers/good.ts': GOOD,
        'src/trackers/BadName.ts': "import { Tracker } from 'gymnos';\nexport class BadName extends Tracker {}\n",
      }),
      [
        'var/trackers.json:2 gymnos/tracker-name error',
        'src/trackers/BadName.ts:1 gymnos/tracker-name error',
        'src/trackers/BadName.ts:2 gymnos/tracker-unregistered error',
      ],
    );
  });

  test('a module that does not exist, or outside the package, is gymnos/tracker-module', async () => {
    assert.deepEqual(
      await findings({
        'var/trackers.json': '{\n  "gone": "trackers/gone.js#GoneTracker",\n  "away": "../away.js#AwayTracker"\n}\n',
      }),
      ['var/trackers.json:2 gymnos/tracker-module error', 'var/trackers.json:3 gymnos/tracker-module error'],
    );
    assert.match(
      (await messages({ 'var/trackers.json': '{ "gone": "trackers/gone.js#GoneTracker" }\n' }))[0]!,
      /src\/trackers\/gone\.ts does not exist/,
    );
  });

  test('a missing export, a non-class and a class that does not extend Tracker are gymnos/tracker-export', async () => {
    const registry = JSON.stringify(
      {
        missing: 'trackers/good.js#Missing',
        not_a_class: 'trackers/things.js#notAClass',
        plain: 'trackers/things.js#PlainClass',
        unknown: 'trackers/things.js#ElsewhereTracker',
      },
      null,
      2,
    );
    const things = [
      "import { Base } from 'some-package';",
      'export function notAClass() {}',
      '',
      'export class PlainClass {}',
      'export class ElsewhereTracker extends Base {}',
      '',
    ].join('\n');
    assert.deepEqual(
      await findings({
        'var/trackers.json': `${registry}\n`,
        'src/trackers/good.ts': GOOD,
        'src/trackers/things.ts': things,
      }),
      [
        'var/trackers.json:2 gymnos/tracker-export error',
        'var/trackers.json:3 gymnos/tracker-export error',
        'src/trackers/things.ts:4 gymnos/tracker-export error',
        // It may extend Tracker through another package: a warning, not an error.
        'src/trackers/things.ts:5 gymnos/tracker-export warning',
        'src/trackers/good.ts:3 gymnos/tracker-unregistered error',
      ],
    );
  });

  test('a tracker class under src/trackers/ that is not registered is gymnos/tracker-unregistered', async () => {
    const files = {
      'var/trackers.json': '{}\n',
      'src/trackers/good.ts': GOOD,
      'src/trackers/good/helpers.ts': 'export const retries = 3;\nexport class Helper {}\n',
      'src/trackers/base.ts': "import { Tracker } from 'gymnos';\nexport abstract class Base extends Tracker {}\n",
    };
    assert.deepEqual(await findings(files), ['src/trackers/good.ts:3 gymnos/tracker-unregistered error']);
    assert.match((await messages(files))[0]!, /add "good": "trackers\/good\.js#GoodTracker" to var\/trackers\.json/);
    // No registry at all: the same.
    const { 'var/trackers.json': _registry, ...withoutRegistry } = files;
    assert.deepEqual(await findings(withoutRegistry), ['src/trackers/good.ts:3 gymnos/tracker-unregistered error']);
  });

  test("a project's entry named like a built-in tracker is gymnos/tracker-shadows-builtin at its line", async () => {
    const registry = [
      '{',
      '  "good": "trackers/good.js#GoodTracker",',
      '  "jsonl": "trackers/good.js#GoodTracker",',
      '  "memory": 7',
      '}',
      '',
    ].join('\n');
    assert.deepEqual(await findings({ 'var/trackers.json': registry, 'src/trackers/good.ts': GOOD }), [
      'var/trackers.json:4 gymnos/registry-entry error',
      'var/trackers.json:3 gymnos/tracker-shadows-builtin error',
      'var/trackers.json:4 gymnos/tracker-shadows-builtin error',
    ]);
    assert.ok(
      (await messages({ 'var/trackers.json': registry, 'src/trackers/good.ts': GOOD })).includes(
        '"jsonl" is the name of a built-in tracker, which a project tracker may not take (load refuses it); ' +
          'rename this entry (e.g. "my_jsonl")',
      ),
    );
  });

  test('a project with no registry and no trackers has nothing to check', async () => {
    assert.deepEqual(await findings({ 'src/index.ts': 'export const x = 1;\n' }), []);
  });
});
