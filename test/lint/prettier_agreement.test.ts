/**
 * `prettier --check` and `gymnos lint` agree on every file, in projects with no Prettier configuration, their own
 * config file, one in the directory above them (a monorepo's), a package.json "prettier" key, or an .editorconfig:
 * gymnos formats each file with exactly what Prettier resolves for it (gymnos's style only where there is nothing
 * to resolve, and then `prettier --check` given that style agrees). The files are the ones create-new generates,
 * which pass the project's own check as generated, and hand-written ones in several styles. In the project with a
 * config of its own, `lint --fix` and `prettier --write` then leave each other nothing to do.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { runChildSync } from '../helpers/children.js';
import { gymnosInProcess } from '../helpers/in_process.js';
import { REPO } from '../helpers/project.js';
import { lintInProcess } from './helpers.js';

const PRETTIER = path.join(REPO, 'node_modules', 'prettier', 'bin', 'prettier.cjs');
const made: string[] = [];
after(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

interface Flavour {
  name: string;
  /** Files relative to the project; `../` puts one in the directory above it. */
  files: Record<string, string>;
}

const FLAVOURS: Flavour[] = [
  { name: 'no Prettier configuration', files: {} },
  { name: 'its own .prettierrc.json', files: { '.prettierrc.json': '{ "printWidth": 80, "semi": false }\n' } },
  { name: 'a config in the directory above', files: { '../.prettierrc': 'tabWidth: 4\nbracketSpacing: false\n' } },
  {
    name: 'a package.json "prettier" key',
    files: {
      'package.json': '{\n  "name": "plugins",\n  "type": "module",\n  "prettier": { "trailingComma": "es5" }\n}\n',
    },
  },
  {
    name: 'an .editorconfig',
    files: { '.editorconfig': 'root = true\n\n[*]\nindent_style = tab\nmax_line_length = 100\n' },
  },
];

/** Hand-written files in several styles: whether each is formatted depends on the configuration. */
const HAND_WRITTEN: Record<string, string> = {
  'src/double.ts':
    'export const greeting = "hello";\nexport function add(a: number, b: number) {\n  return a + b;\n}\n',
  'src/single.ts': "export const greeting = 'hello'\nexport const list = [1, 2, 3]\n",
  'src/tabbed.ts': 'export function id(value: string) {\n\treturn value;\n}\n',
  'src/ninety.ts': `export const sum = (first: number, second: number, third: number) => first + second + third;\n`,
  'src/long.ts': `export const pairs = [${Array.from({ length: 12 }, (_, i) => `['key${i}', ${i}]`).join(', ')}];\n`,
  'docs/notes.md': '# Notes\n\n* one\n* two\n',
  'config/settings.json': '{"a": 1, "b": [1, 2]}\n',
};

/** A project in `<tmp>/<dir>/project`, a git repository, with Prettier installed as the project's own. */
function flavourProject(flavour: Flavour): string {
  const outer = mkdtempSync(path.join(os.tmpdir(), 'gymnos-agreement-'));
  made.push(outer);
  const root = path.join(outer, 'project');
  const files = { 'package.json': '{\n  "name": "plugins",\n  "type": "module"\n}\n', ...flavour.files };
  for (const [file, content] of Object.entries({ ...files, ...HAND_WRITTEN })) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  mkdirSync(path.join(root, 'node_modules'));
  symlinkSync(path.join(REPO, 'node_modules', 'prettier'), path.join(root, 'node_modules', 'prettier'), 'dir');
  const git = runChildSync('git', ['init', '-q'], { cwd: root });
  assert.equal(git.status, 0, git.stderr);
  return root;
}

/** The files `gymnos lint` finds unformatted, and every file it checks. */
async function gymnosVerdict(root: string): Promise<{ unformatted: string[]; checked: string[] }> {
  const result = await lintInProcess(['--format', 'json', '--no-cache'], root);
  assert.ok(result.status === 0 || result.status === 1, result.stderr);
  const report = JSON.parse(result.stdout) as { filePath: string; messages: { ruleId: string | null }[] }[];
  const relative = (file: string) => path.relative(root, file).split(path.sep).join('/');
  const prettierRules = new Set(['prettier', 'gymnos/registry-format']);
  return {
    unformatted: report
      .filter((file) => file.messages.some((message) => prettierRules.has(message.ruleId ?? '')))
      .map((file) => relative(file.filePath))
      .sort(),
    checked: report.map((file) => relative(file.filePath)).sort(),
  };
}

/**
 * The files `prettier --check` (the CLI, as a project runs it) finds unformatted among `files`; uncoloured, since
 * Prettier colours its output under CI=true.
 */
function prettierVerdict(root: string, files: string[], config: string[]): string[] {
  const result = runChildSync(process.execPath, [PRETTIER, '--check', '--no-color', ...config, ...files], {
    cwd: root,
  });
  assert.ok(result.status === 0 || result.status === 1, result.stderr);
  return [...result.stderr.matchAll(/^\[warn\] (?!Code style issues)(.+)$/gm)].map((match) => match[1]!).sort();
}

describe('prettier --check and gymnos lint agree on every file', () => {
  for (const flavour of FLAVOURS) {
    test(flavour.name, async () => {
      const root = flavourProject(flavour);
      const created = await gymnosInProcess(['create-new', 'tracker', '--name', 'my_tracker'], { cwd: root });
      assert.equal(created.status, 0, created.stderr);
      // Without a configuration, gymnos's style is what gymnos checks, and what Prettier is asked to check.
      const config = flavour.files === FLAVOURS[0]!.files ? ['--config', path.join(REPO, '.prettierrc.json')] : [];
      const gymnos = await gymnosVerdict(root);
      const generated = [
        'src/trackers/my_tracker.ts',
        'test/trackers/my_tracker.test.ts',
        'docs/trackers/my_tracker.md',
      ];
      for (const file of [...generated, 'var/trackers.json']) assert.ok(gymnos.checked.includes(file), file);
      assert.deepEqual(gymnos.unformatted, prettierVerdict(root, gymnos.checked, config));
      // What create-new wrote passes the project's own check as written.
      assert.deepEqual(
        gymnos.unformatted.filter((file) => generated.includes(file) || file === 'var/trackers.json'),
        [],
      );
      // Some hand-written file is not in the project's style: the check is not vacuous.
      assert.ok(gymnos.unformatted.length > 0, 'some hand-written file is unformatted');

      if (flavour !== FLAVOURS[1]) return;
      // lint --fix formats what Prettier would, and Prettier then has nothing left to do; and the other way round
      // (the project: `lint --fix` and `npm run format` undid each other).
      await lintInProcess(['--fix', '--no-cache'], root);
      assert.deepEqual(prettierVerdict(root, gymnos.checked, config), []);
      writeFileSync(path.join(root, 'src/double.ts'), HAND_WRITTEN['src/double.ts']!);
      writeFileSync(path.join(root, 'src/single.ts'), HAND_WRITTEN['src/single.ts']!);
      const written = runChildSync(process.execPath, [PRETTIER, '--write', ...gymnos.checked], { cwd: root });
      assert.equal(written.status, 0, written.stderr);
      assert.deepEqual((await gymnosVerdict(root)).unformatted, []);
    });
  }
});
