/**
 * The whole journey of issue 11, end to end, in three fresh npm projects outside this repository, from one
 * `npm pack` of gymnos: an ES module project, a CommonJS one (what `npm init -y` writes), and one with ESLint
 * rules of its own and a Prettier config of `printWidth: 80, semi: false`. In each: install the tarball,
 * `gymnos init`, `npm install`, `gymnos create-new`, `gymnos lint`, `npm run typecheck`, `npm run build`,
 * `npm test`, `gymnos list trackers`, and plain `node` on a script that loads the built tracker beside jsonl.
 * A step that fails skips the rest of its project's steps, which could only fail for the same reason.
 * The default tier leaves two checks to this file (test/cli/project.test.ts): in the project with its own rules
 * and Prettier config, `npm run typecheck` succeeds and `npm test` passes the generated tracker's test.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import { assertSucceeded, exec, NPM_FLAGS, packRepository, walkThrough } from '../helpers/packed.js';
import { REPO } from '../helpers/project.js';

interface Flavour {
  name: string;
  /** The package.json "type" after `npm init -y`. */
  type: 'module' | 'commonjs';
  /** Files the author has before running gymnos init. */
  before: Record<string, string>;
  /** Tools the author has installed before gymnos (at the versions gymnos is developed with). */
  tools: string[];
  /** The author's ESLint rules, added on top of gymnos's config after init. */
  ownRules: boolean;
}

const FLAVOURS: Flavour[] = [
  { name: 'an ES module project', type: 'module', before: {}, tools: [], ownRules: false },
  { name: 'a CommonJS project', type: 'commonjs', before: {}, tools: [], ownRules: false },
  {
    name: 'a project with its own ESLint rules and Prettier config',
    type: 'module',
    before: { '.prettierrc.json': '{ "printWidth": 80, "semi": false }\n' },
    // A project with a Prettier config of its own has Prettier: gymnos init formats what it writes with it.
    tools: ['prettier'],
    ownRules: true,
  },
];

/** Loads the built tracker beside jsonl in plain node (no TypeScript loader) and logs through both. */
const LOAD_SCRIPT = `const { readFileSync } = require('node:fs')
const { load, TrackerList } = require('gymnos')

async function main() {
  const mine = await load('my_tracker')
  const jsonl = await load('jsonl', { flushIntervalMs: 0 })
  const trackers = new TrackerList([mine, jsonl])
  await trackers.start('run-1', 'logs')
  for (let epoch = 0; epoch < 3; epoch++) trackers.logMetric('loss', 1 / (epoch + 1))
  await trackers.end()
  const lines = readFileSync('logs/run-1/events.jsonl', 'utf8').trim().split('\\n')
  const metrics = lines.map((line) => JSON.parse(line)).filter((event) => event.kind === 'metric')
  console.log(JSON.stringify({ classes: [mine.constructor.name, jsonl.constructor.name], metrics: metrics.length }))
}

main()
`;

describe('the plugin author journey in three kinds of npm project', { timeout: 30 * 60_000 }, () => {
  let work: string;
  let tarball: string;

  before(() => {
    assert.ok(existsSync(path.join(REPO, 'dist/cli-bundle/main.cjs')), 'dist/ is not built: run `npm run build`');
    work = mkdtempSync(path.join(os.tmpdir(), 'gymnos-journey-'));
    tarball = packRepository(work).tarball;
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  for (const flavour of FLAVOURS) {
    describe(flavour.name, () => {
      let project: string;
      const step = walkThrough();
      const npx = (args: string[], what = `npx gymnos ${args.join(' ')}`) =>
        assertSucceeded(exec('npx', ['gymnos', ...args], project), what);
      const npm = (args: string[]) => assertSucceeded(exec('npm', [...args, ...NPM_FLAGS], project), `npm ${args[0]}`);

      step('npm init -y, then the tarball installed', () => {
        project = path.join(work, flavour.name.replace(/\W+/g, '-'));
        mkdirSync(project);
        assertSucceeded(exec('npm', ['init', '-y'], project), 'npm init -y');
        assertSucceeded(exec('npm', ['pkg', 'set', `type=${flavour.type}`], project), 'npm pkg set type');
        for (const [file, content] of Object.entries(flavour.before)) writeFileSync(path.join(project, file), content);
        const versions = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).devDependencies;
        if (flavour.tools.length > 0)
          npm(['install', '-D', ...flavour.tools.map((tool) => `${tool}@${versions[tool]}`)]);
        npm(['install', tarball]);
      });

      step('gymnos init, npm install', () => {
        const init = npx(['init']);
        assert.match(init.stdout, /^CREATE +tsconfig\.json$/m);
        npm(['install']);
        for (const tool of ['tsx', 'typescript', '@types/node', 'eslint', 'typescript-eslint', 'prettier']) {
          assert.ok(existsSync(path.join(project, 'node_modules', tool)), tool);
        }
        if (flavour.ownRules) {
          const config = path.join(project, 'eslint.config.js');
          // init wrote it in the project's style: no semicolons, and Prettier's double quotes.
          assert.equal(readFileSync(config, 'utf8'), 'export { default } from "gymnos/eslint-config"\n');
          writeFileSync(
            config,
            'import gymnos from "gymnos/eslint-config"\n\n' +
              'export default [...gymnos, { rules: { "no-console": "error" } }]\n',
          );
        }
      });

      step(
        'create-new, then lint clean but for the TODO markers (the own rules apply: a console.log is reported)',
        () => {
          npx(['create-new', 'tracker', '--name', 'my_tracker']);
          const lint = npx(['lint']);
          assert.match(lint.stdout, /\(0 errors, (\d+) warnings?: \1 TODO markers? left\)/);
          if (flavour.ownRules) {
            writeFileSync(path.join(project, 'src/debug.ts'), "console.log('debug')\n");
            const flagged = exec('npx', ['gymnos', 'lint'], project);
            assert.equal(flagged.status, 1);
            assert.match(flagged.stdout, /no-console/);
            rmSync(path.join(project, 'src/debug.ts'));
          }
        },
      );

      step('npm run typecheck and npm run build', () => {
        npm(['run', 'typecheck']);
        npm(['run', 'build']);
        assert.ok(existsSync(path.join(project, 'dist/trackers/my_tracker.js')));
      });

      step('npm test runs the conformance kit; gymnos list resolves my_tracker', () => {
        const tested = assertSucceeded(exec('npm', ['test'], project), 'npm test');
        assert.match(tested.stdout, /^ℹ fail 0$/m);
        const listed = JSON.parse(npx(['list', 'trackers', '--json']).stdout) as {
          trackers: { name: string; resolves: boolean }[];
        };
        assert.deepEqual(
          listed.trackers.filter((tracker) => !tracker.resolves),
          [],
        );
        assert.ok(listed.trackers.some((tracker) => tracker.name === 'my_tracker'));
      });

      step('plain node loads the built tracker beside jsonl and logs through both', () => {
        writeFileSync(path.join(project, 'load_run.cjs'), LOAD_SCRIPT);
        const run = assertSucceeded(exec(process.execPath, ['load_run.cjs'], project), 'node load_run.cjs');
        assert.deepEqual(JSON.parse(run.stdout.trim().split('\n').at(-1)!), {
          classes: ['MyTracker', 'JsonlTracker'],
          metrics: 3,
        });
      });
    });
  }
});
