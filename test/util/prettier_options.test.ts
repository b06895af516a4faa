/**
 * The project's Prettier options as gymnos reads them without Prettier, checked against Prettier's own
 * resolution of the same files (the independent reader): exactly Prettier's options where the project has a
 * configuration, in its root, in a directory above it or in an .editorconfig, and gymnos's style only where it
 * has none; and the comment wrapping create-new applies.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import * as prettier from 'prettier';
import { effectivePrintWidth, projectPrettierOptions } from '../../src/util/prettier_options.js';
import { needsFormatting, wrapComments } from '../../src/util/project_format.js';

const made: string[] = [];
after(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/**
 * A project in `<tmp>/<dir>/project` (so that a case can put a config in the directory above it, `../`), marked as a
 * repository root (.git) so that no .editorconfig above it applies: `files` are relative to the project.
 */
function project(files: Record<string, string>): string {
  const outer = mkdtempSync(path.join(os.tmpdir(), 'gymnos-prettier-'));
  made.push(outer);
  const root = path.join(outer, 'project');
  mkdirSync(path.join(root, '.git'), { recursive: true });
  for (const [file, content] of Object.entries({ 'package.json': '{ "name": "p" }\n', ...files })) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  return root;
}

const CASES: Record<string, Record<string, string>> = {
  'package.json "prettier"': { 'package.json': '{ "name": "p", "prettier": { "printWidth": 100, "semi": false } }\n' },
  '.prettierrc as JSON': { '.prettierrc': '{ "printWidth": 90, "singleQuote": false }\n' },
  '.prettierrc as YAML': { '.prettierrc': 'printWidth: 70\nsemi: false\n' },
  '.prettierrc.yaml': { '.prettierrc.yaml': 'printWidth: 70 # narrow\ntrailingComma: "es5"\n' },
  '.prettierrc.toml': { '.prettierrc.toml': 'printWidth = 110\ntabWidth = 4\n' },
  'prettier.config.mjs': { 'prettier.config.mjs': 'export default { printWidth: 60, semi: false };\n' },
  '.prettierrc.cjs': { '.prettierrc.cjs': 'module.exports = { printWidth: 75 };\n' },
  '.editorconfig': { '.editorconfig': 'root = true\n\n[*]\nmax_line_length = 96\nindent_style = tab\n' },
  '.editorconfig, a section for TypeScript': {
    '.editorconfig': '[*.md]\nmax_line_length = off\n\n[*.{ts,js}]\nindent_size = 4\nindent_style = space\n',
  },
  'a config in the directory above the project': { '../.prettierrc.json': '{ "semi": false, "tabWidth": 4 }\n' },
  'an empty config': { '.prettierrc.json': '{}\n' },
  nothing: {},
};

describe("the project's Prettier options, read without Prettier", () => {
  for (const [name, files] of Object.entries(CASES)) {
    test(`${name}: exactly what Prettier resolves, or gymnos's style where it resolves nothing`, async () => {
      const root = project(files);
      const resolved = await prettier.resolveConfig(path.join(root, 'src/index.ts'), { editorconfig: true });
      const read = projectPrettierOptions(root);
      assert.equal(read.configured, resolved !== null);
      assert.deepEqual(read.options, resolved ?? { singleQuote: true, printWidth: 120 });
      assert.equal(effectivePrintWidth(root), resolved === null ? 120 : (resolved.printWidth ?? 80));
    });
  }

  test("only a configuration that resolves to other than the templates' style needs formatting", () => {
    assert.equal(needsFormatting(project({})), false);
    assert.equal(
      needsFormatting(project({ '.prettierrc.json': '{ "singleQuote": true, "printWidth": 120 }\n' })),
      false,
    );
    // Prettier's defaults for what a configuration leaves out: double quotes, 80 columns.
    assert.equal(needsFormatting(project({ '.prettierrc.json': '{}\n' })), true);
    assert.equal(needsFormatting(project({ '.prettierrc.json': '{ "semi": false }\n' })), true);
    assert.equal(needsFormatting(project({ '.prettierrc.json': '{ "overrides": [] }\n' })), true);
    assert.equal(needsFormatting(project({ '../.prettierrc.json': '{ "semi": false }\n' })), true);
    assert.equal(needsFormatting(project({ '.editorconfig': '[*]\nindent_style = space\n' })), true);
  });

  test('comments longer than the print width are wrapped at word boundaries; code is left alone', () => {
    const text = [
      "  /** OPTIONAL: log a scalar. The base class always passes the step (the caller's, or the next). */",
      '  // Buffer it: log calls must return at once and never wait on I/O, whatever the backend.',
      ' * A line of a block comment that is longer than forty columns by a fair bit.',
      `  const long = '${'x'.repeat(60)}';`,
    ].join('\n');
    const wrapped = wrapComments(text, 40).split('\n');
    assert.deepEqual(wrapped.slice(0, 4), [
      '  /**',
      '   * OPTIONAL: log a scalar. The base',
      '   * class always passes the step (the',
      "   * caller's, or the next).",
    ]);
    assert.ok(
      wrapped.filter((line) => !line.includes('xxx')).every((line) => line.length <= 40),
      wrapped.join('\n'),
    );
    assert.equal(wrapped.at(-1), `  const long = '${'x'.repeat(60)}';`);
    // No word lost: the words of the wrapped line comment are those of the original.
    const words = (lines: string[]) => lines.flatMap((line) => line.replace(/^\s*\/\/ /, '').split(' '));
    assert.deepEqual(words(wrapped.filter((line) => line.startsWith('  //'))), words([text.split('\n')[1]!]));
  });
});
