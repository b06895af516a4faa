import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ESLint } from 'eslint';
import gymnosConfig, { createGymnosConfig } from '../../src/lint/eslint_config.js';
import { lineOf, makeProject, removeLintProjects } from './helpers.js';

after(removeLintProjects);

const root = makeProject({});
const eslint = new ESLint({ cwd: root, overrideConfigFile: true, overrideConfig: gymnosConfig });

async function lint(text: string, file = 'src/example.ts') {
  const [result] = await eslint.lintText(text, { filePath: `${root}/${file}` });
  return result!.messages;
}

describe('the gymnos ESLint config', () => {
  test('puts eslint-config-prettier before the gymnos block, which turns @stylistic/max-len on at 120', async () => {
    const names = gymnosConfig.map((block) => block.name);
    assert.ok(names.indexOf('config-prettier') > names.indexOf('@eslint/js/recommended'));
    assert.ok(names.indexOf('config-prettier') > names.findIndex((name) => name?.startsWith('typescript-eslint/')));
    assert.equal(names.at(-1), 'gymnos/rules');

    for (const file of ['src/example.ts', 'bin/tool.mjs', 'lib/old.cjs', 'src/types.mts']) {
      const config = await eslint.calculateConfigForFile(`${root}/${file}`);
      const [severity, options] = config.rules['@stylistic/max-len'];
      assert.equal(severity, 2, `${file}: @stylistic/max-len is an error`);
      assert.equal(options.code, 120);
      assert.equal(options.tabWidth, 2);
      assert.equal(options.ignoreUrls, true);
      for (const exemption of ['ignoreStrings', 'ignoreComments', 'ignoreTemplateLiterals', 'ignoreTrailingComments']) {
        assert.equal(options[exemption], false, `${file}: ${exemption} is off`);
      }
      // The deprecated core rule stays off (eslint-config-prettier), so nothing is reported twice.
      assert.deepEqual(config.rules['max-len'], [0]);
    }
  });

  for (const kind of ['code', 'string', 'comment'] as const) {
    test(`a 121-column line of ${kind} is reported; a 120-column one is not`, async () => {
      const long = await lint(`${lineOf(kind, 121)}\n`);
      assert.deepEqual(
        long.map((message) => [message.ruleId, message.line, message.message]),
        [['@stylistic/max-len', 1, 'This line has a length of 121. Maximum allowed is 120.']],
      );
      assert.deepEqual(await lint(`${lineOf(kind, 120)}\n`), []);
    });
  }

  test('URLs are exempt; a tab counts for two columns', async () => {
    assert.deepEqual(await lint(`// see https://example.com/${'a'.repeat(130)}\n`), []);
    const tabbed = (length: number) => `export function f() {\n\t// ${'c'.repeat(length - 5)}\n}\n`;
    assert.deepEqual(await lint(tabbed(120)), []);
    assert.deepEqual(
      (await lint(tabbed(121))).map((message) => message.ruleId),
      ['@stylistic/max-len'],
    );
  });

  test('unused parameters and variables prefixed with _ are allowed; others are not', async () => {
    const code = [
      'export function hook(_name: string, used: number): number {',
      '  const [_first, second] = [1, 2];',
      '  try {',
      '    return used + second;',
      '  } catch (_error) {',
      '    return 0;',
      '  }',
      '}',
      'export function other(unused: string): void {}',
      '',
    ].join('\n');
    const messages = await lint(code);
    assert.deepEqual(
      messages.map((message) => [message.ruleId, message.line]),
      [['@typescript-eslint/no-unused-vars', 9]],
    );
  });

  test('Node globals are known in JavaScript files; undefined names are still errors', async () => {
    assert.deepEqual(await lint('console.log(process.argv, new URL("x:y"));\n', 'bin/tool.mjs'), []);
    assert.deepEqual(await lint('module.exports = require("x");\n', 'lib/old.cjs'), []);
    assert.deepEqual(
      (await lint('notDefinedAnywhere();\n', 'bin/tool.mjs')).map((message) => message.ruleId),
      ['no-undef'],
    );
  });

  test('JavaScript files are linted by the module type Node gives them (nearest package.json "type")', async () => {
    const commonjs = makeProject({ 'package.json': '{ "name": "cjs", "type": "commonjs" }\n' });
    const untyped = makeProject({ 'package.json': '{ "name": "untyped" }\n' });
    const esm = root; // "type": "module"
    const lintIn = async (project: string, file: string, text: string) => {
      const linter = new ESLint({ cwd: project, overrideConfigFile: true, overrideConfig: gymnosConfig });
      const [result] = await linter.lintText(text, { filePath: `${project}/${file}` });
      return result!.messages.map((message) => `${message.ruleId}: ${message.message}`);
    };
    const script = "const path = require('node:path');\nmodule.exports = { dir: path.dirname(__filename) };\n";
    // CommonJS: a .js file of a "commonjs" package or of one with no "type", and a .cjs file anywhere.
    assert.deepEqual(await lintIn(commonjs, 'lib/tool.js', script), []);
    assert.deepEqual(await lintIn(untyped, 'lib/tool.js', script), []);
    assert.deepEqual(await lintIn(esm, 'lib/tool.cjs', script), []);
    // ES modules: a .js file of a "module" package, and a .mjs file anywhere, where require is not defined.
    for (const [project, file] of [
      [esm, 'lib/tool.js'],
      [commonjs, 'lib/tool.mjs'],
    ] as const) {
      assert.deepEqual(await lintIn(project, file, script), [
        '@typescript-eslint/no-require-imports: A `require()` style import is forbidden.',
        "no-undef: 'require' is not defined.",
        "no-undef: 'module' is not defined.",
        "no-undef: '__filename' is not defined.",
      ]);
      assert.deepEqual(await lintIn(project, file, "import path from 'node:path';\nexport default path.sep;\n"), []);
    }
    // TypeScript is written with import statements whatever the module type: require() is still flagged there.
    assert.deepEqual(await lintIn(commonjs, 'src/a.ts', "export const x = require('node:path');\n"), [
      '@typescript-eslint/no-require-imports: A `require()` style import is forbidden.',
    ]);
  });

  test('the type-aware variant adds the type-checked rules for TypeScript only', () => {
    const config = createGymnosConfig({ typeAware: true, tsconfigRootDir: root });
    const names = config.map((block) => block.name);
    assert.ok(names.includes('gymnos/type-aware'));
    assert.ok(names.includes('gymnos/js-not-type-aware'));
    assert.equal(names.at(-1), 'gymnos/rules');
    const rules = Object.assign({}, ...config.map((block) => block.rules ?? {}));
    assert.ok('@typescript-eslint/no-floating-promises' in rules);
    const plain = Object.assign({}, ...createGymnosConfig().map((block) => block.rules ?? {}));
    assert.ok(!('@typescript-eslint/no-floating-promises' in plain));
  });
});
