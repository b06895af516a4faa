/**
 * `gymnos lint` on the project's own configuration: its eslint.config.* is the ESLint config (as for `eslint` and
 * the editor), its Prettier options win over gymnos's defaults, and `@stylistic/max-len` follows the print width.
 * The lints run in the test process (helpers/in_process.ts). --print-config runs the real bin: gymnos/eslint-config
 * reads the print width of the directory it is first imported from, once per process, as in an editor's.
 */
import assert from 'node:assert/strict';
import { symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { REPO } from '../helpers/project.js';
import { lintCli, lintInProcess, makeProject, removeLintProjects, SKIP_CLI } from './helpers.js';

after(removeLintProjects);

const EXTENDS_GYMNOS =
  "import gymnos from 'gymnos/eslint-config';\n\nexport default [...gymnos, { rules: { 'no-console': 'error' } }];\n";
const REEXPORT = "export { default } from 'gymnos/eslint-config';\n";

/** A project whose node_modules/gymnos is this repository, so that its config can import gymnos's. */
function projectWith(files: Record<string, string>): string {
  const root = makeProject(files);
  symlinkSync(REPO, path.join(root, 'node_modules', 'gymnos'), 'dir');
  return root;
}

/** The rule ids reported, as `file:line rule`. */
async function problems(
  root: string,
  args: string[] = [],
): Promise<{ lines: string[]; status: number | null; stderr: string }> {
  const result = await lintInProcess(['--format', 'json', ...args], root);
  const report = JSON.parse(result.stdout) as { filePath: string; messages: { ruleId: string; line: number }[] }[];
  const lines = report.flatMap((file) =>
    file.messages.map((message) => `${path.relative(root, file.filePath)}:${message.line} ${message.ruleId}`),
  );
  return { lines, status: result.status, stderr: result.stderr };
}

describe("gymnos lint with the project's own configuration", { skip: SKIP_CLI }, () => {
  test("the project's eslint.config.js is used, and a change to it is seen by the cache", async () => {
    const root = projectWith({ 'eslint.config.js': REEXPORT, 'src/a.ts': "console.log('hello');\n" });
    assert.deepEqual((await problems(root)).lines, []);
    writeFileSync(path.join(root, 'eslint.config.js'), EXTENDS_GYMNOS);
    const added = await problems(root);
    assert.deepEqual(added.lines, ['src/a.ts:1 no-console']);
    assert.equal(added.status, 1);
    // Built on gymnos's config: no notice.
    assert.equal(added.stderr, '');
  });

  test('a project config that drops gymnos rules is told once; the contract rules still apply', async () => {
    const root = projectWith({
      'eslint.config.js': "export default [{ files: ['**/*.ts'], rules: {} }];\n",
      'src/a.ts': 'export const a = 1;\n',
      'var/trackers.json': '{\n  "mine": "trackers/missing.js#Mine"\n}\n',
    });
    const result = await problems(root, ['--no-cache']);
    assert.deepEqual(result.lines, ['var/trackers.json:2 gymnos/tracker-module']);
    const notices = result.stderr.split('\n').filter((line) => line.includes('notice:'));
    assert.equal(notices.length, 1, result.stderr);
    assert.match(
      notices[0]!,
      /eslint\.config\.js turns off or leaves out gymnos's @stylistic\/max-len and @typescript-eslint\/no-unused-vars/,
    );
  });

  test("the project's Prettier options win, and @stylistic/max-len follows their print width", async () => {
    // A comment: Prettier never wraps it, so only the line-length rule can hold it to the width.
    const unwrappable = (columns: number) => `// ${'c'.repeat(columns - 3)}\n`;
    const root = projectWith({
      '.prettierrc.json': '{ "printWidth": 80, "semi": false }\n',
      // Formatted for 80 columns without semicolons: clean, where gymnos's defaults would flag every line.
      'src/a.ts': 'export function add(first: number, second: number): number {\n  return first + second\n}\n',
      'src/b.ts': unwrappable(81),
    });
    assert.deepEqual((await problems(root)).lines, ['src/b.ts:1 @stylistic/max-len']);
    // Without a config: 120 columns and semicolons.
    const plain = projectWith({ 'src/b.ts': `${unwrappable(100)}export const b = 1;\n` });
    assert.deepEqual((await problems(plain)).lines, []);
  });

  test('--print-config says where each setting came from', async () => {
    const root = projectWith({
      'eslint.config.js': EXTENDS_GYMNOS,
      '.prettierrc.json': '{ "printWidth": 80, "semi": false }\n',
      'src/a.ts': 'export const a = 1\n',
    });
    const result = lintCli(['--print-config', 'src/a.ts'], root);
    assert.equal(result.status, 0, result.stderr);
    const printed = JSON.parse(result.stdout) as {
      eslint: { rules: Record<string, [number, { code?: number }?]> };
      prettier: Record<string, unknown>;
      sources: { eslint: string; prettier: Record<string, string> };
    };
    assert.equal(printed.sources.eslint, 'eslint.config.js');
    // The project's configuration exactly: nothing of gymnos's style under it.
    assert.deepEqual(printed.sources.prettier, { printWidth: '.prettierrc.json', semi: '.prettierrc.json' });
    assert.equal(printed.eslint.rules['@stylistic/max-len']![1]!.code, 80);
    assert.equal(printed.eslint.rules['no-console']![0], 2);
  });
});
