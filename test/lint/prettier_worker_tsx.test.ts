/**
 * Prettier's worker from gymnos's TypeScript sources under tsx (a contributor's `node --import tsx`): tsx's hooks do
 * not reach a worker's entry on Node 20, so the worker starts at src/lint/prettier_worker_tsx.mjs, which imports
 * prettier_worker.ts through tsx's API, resolved as an import from there (no import.meta.resolve, which the CommonJS
 * bundles of bin/build.mjs leave empty). A real child process checks a file that Prettier would change.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { runChildSync } from '../helpers/children.js';
import { REPO } from '../helpers/project.js';

test('under tsx, from the sources, the Prettier worker starts and checks a file', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gymnos-prettier-tsx-'));
  try {
    writeFileSync(path.join(dir, 'x.ts'), 'const a = {b:1}\n');
    const check = pathToFileURL(path.join(REPO, 'src', 'lint', 'prettier_check.ts')).href;
    writeFileSync(
      path.join(dir, 'check.mts'),
      `import { runPrettier } from ${JSON.stringify(check)};\n` +
        "const [outcome] = await runPrettier(process.cwd(), ['x.ts'], { write: false });\n" +
        'console.log(JSON.stringify(outcome));\nprocess.exit(0);\n',
    );
    const tsx = pathToFileURL(path.join(REPO, 'node_modules', 'tsx', 'dist', 'esm', 'index.mjs')).href;
    const child = runChildSync(process.execPath, ['--import', tsx, 'check.mts'], { cwd: dir });
    assert.equal(child.status, 0, child.stderr);
    assert.deepEqual(JSON.parse(child.stdout.trim()), {
      file: 'x.ts',
      status: 'unformatted',
      line: 1,
      diff: '@@ -1,1 +1,1 @@\n-const a = {b:1}\n+const a = { b: 1 };',
      moreChanges: 0,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
