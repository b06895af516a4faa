/**
 * The registry's JSON Schema (schema/trackers.schema.json, shipped in the package), validated as an editor does:
 * the `"$schema"` of a registry is resolved from the registry's own directory and the file checked against what it
 * names (ajv, a validator of the tests only). It accepts the repository's registry and the one `gymnos init`
 * writes; it and gymnos's own reader agree on what is a valid registry; gymnos accepts the `"$schema"` key.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { Ajv } from 'ajv';
import { load } from '../../src/registry/load.js';
import { RESERVED_NAMES } from '../../src/registry/names.js';
import { parseRegistry } from '../../src/registry/registry.js';
import { gymnosInProcess } from '../helpers/in_process.js';
import { pluginProject } from '../helpers/plugin_project.js';
import { removeProjects, REPO } from '../helpers/project.js';

after(removeProjects);

const SCHEMA_FILE = path.join(REPO, 'schema', 'trackers.schema.json');
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

/** What an editor does with a registry: the schema its "$schema" names, from the file's directory; its verdict. */
function editorValidation(registryFile: string): { schemaFile: string; errors: string[] } {
  const registry = readJson(registryFile);
  assert.equal(typeof registry.$schema, 'string', `${registryFile} names no schema`);
  const schemaFile = path.resolve(path.dirname(registryFile), registry.$schema as string);
  const validate = new Ajv({ allErrors: true }).compile(readJson(schemaFile));
  validate(registry);
  return { schemaFile, errors: (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`) };
}

describe('the JSON Schema of var/trackers.json', () => {
  test('is a valid draft-07 schema, shipped in the package (files and exports)', () => {
    const ajv = new Ajv({ strict: true });
    ajv.compile(readJson(SCHEMA_FILE)); // throws on a schema that is not valid, or uses unknown keywords
    const manifest = readJson(path.join(REPO, 'package.json')) as { files: string[]; exports: Record<string, string> };
    assert.ok(manifest.files.includes('schema/'));
    assert.equal(manifest.exports['./schema/trackers.schema.json'], './schema/trackers.schema.json');
  });

  test("accepts this repository's registry, through its $schema", () => {
    const { schemaFile, errors } = editorValidation(path.join(REPO, 'var', 'trackers.json'));
    assert.equal(schemaFile, SCHEMA_FILE);
    assert.deepEqual(errors, []);
  });

  test('accepts the registry init writes, and the one after create-new, through the $schema init wrote', async () => {
    const root = pluginProject();
    const registryFile = path.join(root, 'var', 'trackers.json');
    assert.equal((await gymnosInProcess(['init'], { cwd: root })).status, 0);
    // node_modules/gymnos is where npm installs the package: the schema the editor loads is the one shipped.
    assert.equal(readFileSync(editorValidation(registryFile).schemaFile, 'utf8'), readFileSync(SCHEMA_FILE, 'utf8'));
    assert.deepEqual(editorValidation(registryFile).errors, []);
    const created = await gymnosInProcess(['create-new', 'tracker', '--name', 'my_tracker'], { cwd: root });
    assert.equal(created.status, 0, created.stderr);
    assert.deepEqual(editorValidation(registryFile).errors, []);
    // gymnos itself: "$schema" is no tracker, no problem, and the tracker beside it loads and lints clean.
    assert.equal((await load('my_tracker', {}, { root })).constructor.name, 'MyTracker');
    const lint = await gymnosInProcess(['lint', '--no-cache', '--quiet', 'var/trackers.json', 'src'], { cwd: root });
    assert.equal(lint.status, 0, lint.stdout);
    assert.match(lint.stdout, /No problems/);
    const list = JSON.parse((await gymnosInProcess(['list', 'trackers', '--json'], { cwd: root })).stdout);
    assert.ok(!JSON.stringify(list).includes('$schema'), 'list shows no "$schema" tracker');
  });

  test("and gymnos's reader agree on every registry: names, targets, $schema and each kind of mistake", () => {
    const validate = new Ajv({ allErrors: true }).compile(readJson(SCHEMA_FILE));
    const cases: [string, Record<string, unknown>][] = [
      ['an entry', { my_tracker: 'trackers/my_tracker.js#MyTracker' }],
      ['a $schema and entries', { $schema: 'x.json', a1: 'a.js#A', b_2_c: 'lib/b.js#$B_c' }],
      ['no entry', {}],
      ['the longest name', { ['a'.repeat(64)]: 'a.js#A' }],
      ...['MyTracker', 'my-tracker', 'my__tracker', '_x', 'x_', '1x', 'a'.repeat(65), 'class', 'index', '$schemas'].map(
        (name): [string, Record<string, unknown>] => [`the name ${name}`, { [name]: 'trackers/x.js#X' }],
      ),
      ...['trackers/x.js', '#X', 'x.js#1X', 'x.js#My-Tracker', 'x.js#', 5, null, ['x.js#X']].map(
        (target): [string, Record<string, unknown>] => [`the target ${JSON.stringify(target)}`, { x: target }],
      ),
      ['a $schema that is not a string', { $schema: 5 }],
    ];
    for (const [what, registry] of cases) {
      const parsed = parseRegistry(JSON.stringify(registry), 'var/trackers.json');
      assert.equal(validate(registry), parsed.problems.length === 0, `${what}: ${JSON.stringify(parsed.problems)}`);
    }
    assert.equal(parseRegistry('{ "$schema": "x.json" }', 'var/trackers.json').schema, 'x.json');
  });

  test('names the reserved words gymnos refuses', () => {
    const schema = readJson(SCHEMA_FILE) as { propertyNames: { anyOf: { not?: { enum: string[] } }[] } };
    const reserved = schema.propertyNames.anyOf.find((branch) => branch.not)!.not!.enum;
    assert.deepEqual([...reserved].sort(), [...RESERVED_NAMES].sort());
  });

  test('a $schema that is not a string is a lint finding at its line', async () => {
    const root = pluginProject({ 'var/trackers.json': '{\n  "$schema": 5\n}\n' });
    assert.equal((await gymnosInProcess(['init'], { cwd: root })).status, 0, 'init keeps a registry it can read');
    const lint = await gymnosInProcess(['lint', '--no-cache', 'var/trackers.json'], { cwd: root });
    assert.equal(lint.status, 1, lint.stdout + lint.stderr);
    assert.match(
      lint.stdout,
      /2:3 +error +"\$schema" must be a string: the path or URL of the registry's JSON Schema +gymnos\/registry-entry/,
    );
  });
});
