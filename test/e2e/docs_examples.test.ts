/**
 * The CLI reference's examples work as written: every `$ gymnos ...` line of every ```console block in
 * docs/cli.md is run with the real bin, in order, in a fresh project per block, and must exit 0, or the code
 * its trailing `# exit N` comment documents. A block that says `# in a project of your own` runs in an npm
 * project that depends on gymnos (with tsx and typescript installed, as after `npm install`); the others in a
 * copy of this repository. A block that says `# with the example runs in ./logs` gets the runs of
 * test/helpers/example_runs.ts written there first (for `gymnos runs` and `gymnos report`). Lines of other programs
 * (npm, node) are not run here: pack.test.ts covers them. It is in the end-to-end tier (npm run test:e2e):
 * whole-repository lints and nested test runs cost more CPU than `npm test`'s budget allows.
 *
 * The snippets of README.md and docs/ marked `run` (docs/architecture.md, "Snippets in the docs") are run here too,
 * each with node in the project test/docs/snippets.test.ts compiles and lints it in: they must exit 0 and warn
 * about nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { runChildSync } from '../helpers/children.js';
import { snippetProjects, writeSnippetProject } from '../helpers/doc_snippets.js';
import { pluginProject } from '../helpers/plugin_project.js';
import { writeExampleRuns } from '../helpers/example_runs.js';
import { copyOfRepository, gymnos, removeProjects, REPO } from '../helpers/project.js';
import { TS_LOADER } from '../helpers/ts_loader.js';

interface Example {
  line: number;
  args: string[];
  status: number;
}

/** Splits a command line the way a POSIX shell would for the simple quoting the docs use. */
function splitWords(command: string): string[] {
  const words: string[] = [];
  const pattern = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (const match of command.matchAll(pattern)) words.push(match[1] ?? match[2] ?? match[3]!);
  return words;
}

interface Block {
  line: number;
  ownProject: boolean;
  exampleRuns?: boolean;
  examples: Example[];
}

function parseBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  let current: (typeof blocks)[number] | undefined;
  lines.forEach((text, index) => {
    if (text.startsWith('```console')) current = { line: index + 1, ownProject: false, examples: [] };
    else if (text.startsWith('```') && current) {
      if (current.examples.length > 0) blocks.push(current);
      current = undefined;
    } else if (current) {
      if (/^\$? *# in a project of your own/.test(text)) current.ownProject = true;
      if (/^\$? *# with the example runs in \.\/logs/.test(text)) current.exampleRuns = true;
      const command = /^\$ npx (gymnos\s.*?)(?:\s+# exit (\d+))?\s*$/.exec(text);
      if (command) {
        const [, words, status] = command;
        // The tests never give the CLI a terminal, so an input redirection (`< /dev/null`) changes nothing.
        const args = splitWords(words!.replace(/\s<\s*\S+/, '')).slice(1);
        current.examples.push({ line: index + 1, args, status: Number(status ?? 0) });
      }
    }
  });
  return blocks;
}

describe('docs/cli.md examples', () => {
  after(removeProjects);
  const file = path.join(REPO, 'docs', 'cli.md');
  const blocks = parseBlocks(readFileSync(file, 'utf8'));

  test('the reference has examples to run', () => {
    assert.ok(blocks.length >= 5, `only ${blocks.length} console blocks with gymnos commands in docs/cli.md`);
  });

  for (const block of blocks) {
    const commands = block.examples.map((e) => e.args.slice(0, 2).join(' ')).join('; ');
    test(`docs/cli.md:${block.line}: ${commands}`, async () => {
      const root = block.ownProject ? pluginProject() : copyOfRepository();
      if (block.exampleRuns) await writeExampleRuns(path.join(root, 'logs'));
      for (const example of block.examples) {
        // gymnos runs caches summaries: in the temporary project, not in the user's ~/.cache
        const result = gymnos(example.args, { cwd: root, env: { GYMNOS_CACHE_DIR: path.join(root, '.gymnos-cache') } });
        assert.equal(
          result.status,
          example.status,
          `docs/cli.md:${example.line}: gymnos ${example.args.join(' ')}\n${result.stdout}\n${result.stderr}`,
        );
      }
    });
  }
});

describe('the runnable snippets of README.md and docs/', () => {
  after(removeProjects);
  for (const project of snippetProjects().filter((each) => each.files.some((block) => block.marks.run))) {
    const runs = project.files.filter((block) => block.marks.run);
    test(`${project.name}: ${runs.map((block) => block.marks.file).join(', ')}`, async () => {
      const root = await writeSnippetProject(project);
      for (const block of runs) {
        const at = `${block.page}:${block.line}: node ${block.marks.file}`;
        const loader = project.repository ? TS_LOADER : ['--import', 'tsx'];
        const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
        // Else a test file run here reports to this runner instead of running its tests in its own process.
        delete env.NODE_TEST_CONTEXT;
        const result = runChildSync(process.execPath, [...loader, block.marks.file!], { cwd: root, env });
        const output = `${result.stdout}${result.stderr}`;
        assert.equal(result.status, 0, `${at} exited ${result.status ?? result.signal}\n${output}`);
        assert.doesNotMatch(result.stderr, /Warning/, `${at} warned\n${output}`);
      }
    });
  }
});
