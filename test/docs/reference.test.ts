/**
 * What the reference pages state about the code holds: docs/api.md's table of load()'s errors lists every code
 * the registry and load() throw, and docs/cli.md's class-name examples are what create-new names the class.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { trackerClassName } from '../../src/registry/names.js';
import { REPO } from '../helpers/project.js';

const page = (name: string) => readFileSync(path.join(REPO, 'docs', name), 'utf8');

test("docs/api.md's error table lists every TRACKER_ and REGISTRY_ code of src/registry/", () => {
  const directory = path.join(REPO, 'src', 'registry');
  const thrown = new Set(
    readdirSync(directory).flatMap((file) => [
      ...readFileSync(path.join(directory, file), 'utf8').matchAll(/'((?:TRACKER|REGISTRY)_[A-Z_]+)'/g),
    ]),
  );
  const codes = [...thrown].map((match) => match[1]!).sort();
  assert.ok(codes.includes('TRACKER_NOT_BUILT'), codes.join(', '));
  const table = new Set([...page('api.md').matchAll(/^\| .* \| `([A-Z_]+)` +\|$/gm)].map((match) => match[1]));
  assert.deepEqual(
    codes.filter((code) => !table.has(code)),
    [],
  );
});

test("docs/cli.md's class-name examples are the names create-new gives", () => {
  const examples = [...page('cli.md').matchAll(/`([a-z][a-z0-9_]*)` → `([A-Z]\w*)`/g)];
  assert.ok(examples.length >= 2, 'no `name` → `ClassName` examples in docs/cli.md');
  for (const [, name, className] of examples) assert.equal(trackerClassName(name!), className, name);
});
