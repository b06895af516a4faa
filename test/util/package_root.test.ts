import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { copyOfRepository, emptyProject, gymnos, removeProjects, REPO } from '../helpers/project.js';
import { findPackageRoot, gymnosRoot, isGymnosRepository, requireProjectRoot } from '../../src/util/package_root.js';

after(removeProjects);

/** A user's own package that happens to be named gymnos, with trackers of its own. */
function usersPackageNamedGymnos(): string {
  const root = emptyProject();
  writeFileSync(path.join(root, 'package.json'), '{ "name": "gymnos", "version": "1.0.0", "type": "module" }\n');
  mkdirSync(path.join(root, 'src/trackers'), { recursive: true });
  writeFileSync(path.join(root, 'src/trackers/mine.ts'), "import { Tracker } from 'gymnos';\n");
  return root;
}

describe('the package root', () => {
  test('findPackageRoot walks up to the nearest package.json; gymnosRoot is this checkout', () => {
    assert.equal(findPackageRoot(path.join(REPO, 'src', 'util')), REPO);
    assert.equal(gymnosRoot(), REPO);
  });

  test('the gymnos repository is told by its sources, not by its name', () => {
    assert.ok(isGymnosRepository(REPO));
    assert.ok(isGymnosRepository(copyOfRepository()));
    assert.ok(!isGymnosRepository(usersPackageNamedGymnos()));
    assert.ok(!isGymnosRepository(emptyProject()));
  });

  test("a user's package named gymnos is a project: init sets it up instead of refusing it", () => {
    const root = usersPackageNamedGymnos();
    const result = gymnos(['init', '--dry-run', '--json'], { cwd: root });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).ok, true);
    assert.equal(gymnos(['init', '--dry-run'], { cwd: copyOfRepository() }).status, 2);
  });

  test('requireProjectRoot: a --cwd that does not exist, or no package.json, is a usage error', () => {
    assert.throws(() => requireProjectRoot(path.join(REPO, 'no-such-dir')), { code: 'CWD_MISSING', kind: 'usage' });
    assert.equal(requireProjectRoot(path.join(REPO, 'src')), REPO);
  });
});
