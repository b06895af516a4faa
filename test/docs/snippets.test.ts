/**
 * Every snippet of README.md and docs/ works as written (docs/architecture.md, "Snippets in the docs", says how a
 * block is marked). A TypeScript or JavaScript block is a file of a project or a fragment: the files of a page are
 * written into one project (a plugin project after `gymnos init` and `gymnos create-new tracker --name my_tracker`,
 * or with `repository`, a copy of this repository after the same create-new), compiled with the tsconfig init
 * writes and linted clean by gymnos lint; a fragment must parse. The files marked `run` are run in the end-to-end
 * tier (test/e2e/docs_examples.test.ts), where a process each costs nothing that matters. Every shell command must
 * work in a project's shell: a program a project has (`npx gymnos`, never a bare `gymnos`), a command line the CLI
 * accepts, an npm script that exists, valid shell syntax. JSON blocks must parse. A new page under docs/ is picked
 * up as it lands; an unmarked code block fails here, saying how to mark it.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type TS from 'typescript';
import { usageError } from '../../src/cli/main.js';
import { tsconfigSource } from '../../src/init/plan.js';
import { requireCjs } from '../../src/util/require_cjs.js';
import {
  CODE_LANGUAGES,
  codeBlocks,
  docPages,
  SHELL_LANGUAGES,
  shellCommands,
  simpleCommands,
  snippetProjects,
  writeSnippetProject,
} from '../helpers/doc_snippets.js';
import { runChildSync } from '../helpers/children.js';
import { gymnosInProcess } from '../helpers/in_process.js';
import { removeProjects, REPO } from '../helpers/project.js';
import { tsc } from '../helpers/typescript_compile.js';

const ts = requireCjs('typescript') as typeof TS;

after(removeProjects);

const blocks = docPages().flatMap((page) => codeBlocks(page));
const where = (block: { page: string; line: number }) => `${block.page}:${block.line}`;
const code = blocks.filter((block) => CODE_LANGUAGES.has(block.language));
const TYPESCRIPT = /\.[cm]?ts$/;

/** Programs a plugin project's shell has, as the docs use them; `gymnos` is not one (it is `npx gymnos`). */
const PROGRAMS = new Set([
  ...['npm', 'npx', 'pnpm', 'yarn', 'node', 'git', 'cd', 'jq', 'xdg-open', 'tensorboard', 'python3', 'mlflow'],
]);
/** The npm scripts a page may run: this repository's, and those `gymnos init` writes into a project. */
const SCRIPTS = new Set([
  ...Object.keys((JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: object }).scripts),
  'lint',
  'test',
  'build',
  'typecheck',
]);
const MARKING = 'mark it ```ts file=<path in the project> (add run to run it) or ```ts fragment (docs/architecture.md)';

describe("the docs' snippets", () => {
  test('every TypeScript and JavaScript block says what it is: a file of a project, or a fragment', () => {
    assert.ok(code.length >= 20, `only ${code.length} code blocks found`);
    const problems: string[] = [];
    const files = new Map<string, string>();
    for (const block of code) {
      const { file, fragment, run, repository, unknown } = block.marks;
      if (unknown.length > 0) problems.push(`${where(block)}: unknown mark ${unknown.join(' ')}; ${MARKING}`);
      if ((file === undefined) === !fragment) problems.push(`${where(block)}: ${MARKING}`);
      if ((run || repository) && file === undefined) problems.push(`${where(block)}: run and repository need file=`);
      if (file !== undefined && (path.isAbsolute(file) || path.normalize(file).startsWith('..'))) {
        problems.push(`${where(block)}: file=${file} is not a path inside the project`);
      }
      const key = `${block.page} ${repository} ${file}`;
      if (file !== undefined && files.has(key)) problems.push(`${where(block)}: ${file} is also ${files.get(key)}`);
      files.set(key, where(block));
    }
    assert.deepEqual(problems, []);
  });

  test('every fragment parses', () => {
    const problems: string[] = [];
    for (const block of code.filter((each) => each.marks.fragment)) {
      const { diagnostics = [] } = ts.transpileModule(block.code, {
        fileName: /^(ts|typescript)$/.test(block.language) ? 'fragment.ts' : 'fragment.js',
        reportDiagnostics: true,
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      });
      for (const diagnostic of diagnostics) {
        const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
        const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ');
        problems.push(`${block.page}:${block.line + 1 + line}: ${text}`);
      }
    }
    assert.deepEqual(problems, []);
  });

  test('every JSON block parses (JSON Lines, a document a line)', () => {
    const problems: string[] = [];
    for (const block of blocks.filter((each) => each.language === 'json' || each.language === 'jsonl')) {
      const documents = block.language === 'json' ? [block.code] : block.code.split('\n').filter(Boolean);
      for (const text of documents) {
        try {
          JSON.parse(text);
        } catch (error) {
          problems.push(`${where(block)}: ${(error as Error).message}`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  test("every shell command works in a project's shell: its programs, gymnos's flags, npm's scripts", async () => {
    const commands = blocks
      .filter((block) => block.language === 'console' || SHELL_LANGUAGES.has(block.language))
      .flatMap((block) => {
        const prompted = SHELL_LANGUAGES.has(block.language) && /^\$ /m.test(block.code);
        return prompted ? [{ ...block, text: '$', status: -1 }] : shellCommands(block);
      });
    assert.ok(commands.length >= 50, `only ${commands.length} shell commands found`);
    const problems: string[] = [];
    for (const command of commands) {
      const at = `${where(command)}: ${command.text}`;
      if (command.status < 0) {
        problems.push(`${where(command)}: a sh block holds commands only: drop the $ prompts, or make it console`);
        continue;
      }
      const syntax = runChildSync('bash', ['-n', '-c', command.text]);
      if (syntax.status !== 0) problems.push(`${at}: not valid shell: ${syntax.stderr.trim()}`);
      for (const words of simpleCommands(command.text)) {
        // `NAME=value command`: the variables are no program.
        const [program, ...args] = words.slice(words.findIndex((word) => !/^[A-Za-z_]\w*=/.test(word)));
        if (program === 'gymnos') problems.push(`${at}: gymnos is not on a project's PATH: write npx gymnos`);
        else if (!PROGRAMS.has(program!)) problems.push(`${at}: ${program} is not a program the docs may assume`);
        // gymnos as each package manager runs a project's binary: npx gymnos, pnpm exec gymnos, yarn gymnos.
        const gymnosArgs =
          program === 'npx' || program === 'yarn'
            ? args
            : program === 'pnpm' && args[0] === 'exec'
              ? args.slice(1)
              : [];
        if (gymnosArgs[0] === 'gymnos' && command.status === 0) {
          const error = await usageError(gymnosArgs.slice(1));
          if (error) problems.push(`${at}: ${error}`);
        }
        if (program === 'npm' && args[0] === 'run' && !SCRIPTS.has(args[1]!)) {
          problems.push(`${at}: npm run ${args[1]}: no such script here, nor one gymnos init writes`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  for (const project of snippetProjects()) {
    const files = project.files.map((block) => block.marks.file!);
    test(`${project.name}: ${files.join(', ')} compile with the tsconfig init writes and lint clean`, async () => {
      const root = await writeSnippetProject(project);
      const typescript = files.filter((file) => TYPESCRIPT.test(file));
      if (typescript.length > 0) {
        // The options init writes (tsconfig.json of a plugin project), for these files alone.
        const config = JSON.parse(tsconfigSource(true)) as { include?: string[]; files?: string[] };
        delete config.include;
        config.files = typescript;
        writeFileSync(path.join(root, 'tsconfig.snippets.json'), JSON.stringify(config));
        assert.equal(tsc(root, 'tsconfig.snippets.json', typescript), '', `${project.name}: does not compile`);
      }
      // Without the cache: a copy of this repository links this repository's node_modules, where it lives.
      const lint = await gymnosInProcess(['lint', '--no-cache', ...files], { cwd: root });
      assert.equal(lint.status, 0, `${project.name}: gymnos lint\n${lint.stdout}${lint.stderr}`);
      assert.match(lint.stdout, /No problems in/, `${project.name}: gymnos lint\n${lint.stdout}`);
    });
  }
});
