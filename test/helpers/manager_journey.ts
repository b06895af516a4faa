/**
 * The plugin author's journey under another package manager than npm (test/e2e/pnpm_journey.test.ts,
 * yarn_journey.test.ts and, with Yarn's Plug'n'Play, yarn_pnp_journey.test.ts), with the real tool
 * (helpers/package_managers.ts) and gymnos as `npm pack` ships it: the tarball added, `gymnos init`, install,
 * `create-new`, `list` (its output to a pipe, stderr too, where a pnpm-linked tsx once made every TypeScript
 * tracker "not built"), the project's test, lint, typecheck and build scripts, and plain `node` loading the built
 * tracker (`yarn node` under Plug'n'Play, which resolves packages for Node only so). Every hint gymnos prints on
 * the way names this manager's commands, never npm's.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe } from 'node:test';
import { assertSucceeded, exec, packRepository, walkThrough } from './packed.js';
import { installManager, npmRegistry } from './package_managers.js';
import type { ManagerTool } from './package_managers.js';
import { REPO } from './project.js';
import type { RunResult } from './project.js';

/** Loads the built tracker beside jsonl in plain node (no TypeScript loader), and logs through both. */
const LOAD_SCRIPT = `import { readFileSync } from 'node:fs';
import { load, TrackerList } from 'gymnos';

const mine = await load('my_tracker');
const jsonl = await load('jsonl', { flushIntervalMs: 0 });
const trackers = new TrackerList([mine, jsonl]);
await trackers.start('run-1', 'logs');
for (let epoch = 0; epoch < 3; epoch++) trackers.logMetric('loss', 1 / (epoch + 1));
await trackers.end();
const events = readFileSync('logs/run-1/events.jsonl', 'utf8').trim().split('\\n').map((line) => JSON.parse(line));
const metrics = events.filter((event) => event.kind === 'metric').length;
console.log(JSON.stringify({ classes: [mine.constructor.name, jsonl.constructor.name], metrics }));
`;

/** What this manager's hints must say, and what they must never say (npm's words). */
const NPM_WORDS = /\b(?:npx|npm (?:install|run|test|init|ci))\b.*/g;

export function describeManagerJourney(tool: ManagerTool, options: { plugAndPlay?: boolean } = {}): void {
  const title = `${tool.name} ${tool.version}${options.plugAndPlay ? " with Plug'n'Play" : ''}`;
  describe(`the plugin author journey under ${title}`, { timeout: 30 * 60_000 }, () => {
    let work: string;
    let project: string;
    let tarball: string;
    let manager: string;
    const printed: string[] = [];
    const step = walkThrough();

    /** Runs the manager in the project; what it printed is kept for the check that no hint names npm. */
    const run = (args: string[], what = `${tool.name} ${args.join(' ')}`): RunResult => {
      const result = assertSucceeded(exec(process.execPath, [manager, ...args], project), what);
      printed.push(result.stdout + result.stderr);
      return result;
    };
    /** `gymnos <args>` as the manager runs a project's binary: `pnpm exec gymnos`, `yarn gymnos`. */
    const gymnos = (args: string[]) => run([...(tool.name === 'pnpm' ? ['exec'] : []), 'gymnos', ...args]);
    const exec_ = tool.name === 'pnpm' ? 'pnpm exec gymnos' : 'yarn gymnos';
    const script = (name: string) =>
      tool.name === 'pnpm' && name !== 'test' ? `pnpm run ${name}` : `${tool.name} ${name}`;

    before(() => {
      assert.ok(existsSync(path.join(REPO, 'dist/cli-bundle/main.cjs')), 'dist/ is not built: run `npm run build`');
      manager = installManager(tool);
      work = mkdtempSync(path.join(os.tmpdir(), `gymnos-${tool.name}-`));
      tarball = packRepository(work).tarball;
      project = path.join(work, 'my-trackers');
      mkdirSync(project);
    });

    after(() => {
      if (work) rmSync(work, { recursive: true, force: true });
    });

    step(`a fresh ${tool.name} project adds the tarball`, () => {
      const manifest = {
        name: 'my-trackers',
        version: '1.0.0',
        type: 'module',
        packageManager: `${tool.name}@${tool.version}`,
      };
      writeFileSync(path.join(project, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
      if (tool.name === 'yarn') {
        // The linker asked for, and the registry npm uses (Yarn's own default is another host).
        const linker = options.plugAndPlay ? 'pnp' : 'node-modules';
        writeFileSync(
          path.join(project, '.yarnrc.yml'),
          `nodeLinker: ${linker}\nnpmRegistryServer: "${npmRegistry(project)}"\nenableTelemetry: false\n`,
        );
        run(['add', `gymnos@file:${tarball}`]);
      } else run(['add', tarball]);
      const installed = options.plugAndPlay ? '.pnp.cjs' : 'node_modules/gymnos/package.json';
      assert.ok(existsSync(path.join(project, installed)), installed);
    });

    step(`gymnos init names ${tool.name}'s commands; ${tool.name} install adds the tools`, () => {
      const init = gymnos(['init']).stdout;
      for (const hint of [
        `1. ${tool.name} install`,
        `2. ${exec_} create-new tracker --name my_tracker`,
        `3. ${script('test')}`,
        `4. ${script('lint')}`,
        `5. ${script('typecheck')}, then ${script('build')}`,
      ]) {
        assert.ok(init.includes(hint), `init's next steps say "${hint}":\n${init}`);
      }
      run(['install']);
      for (const tool_ of options.plugAndPlay ? [] : ['tsx', 'typescript', 'eslint', 'prettier']) {
        assert.ok(existsSync(path.join(project, 'node_modules', tool_, 'package.json')), tool_);
      }
    });

    step('create-new generates and registers my_tracker, with next steps in its words', () => {
      const created = gymnos(['create-new', 'tracker', '--name', 'my_tracker']).stdout;
      assert.ok(created.includes(`2. ${exec_} test --tracker my_tracker runs`), created);
      assert.ok(created.includes(`3. ${script('test')} runs every test; ${script('lint')} checks style`), created);
      const registry = JSON.parse(readFileSync(path.join(project, 'var/trackers.json'), 'utf8'));
      assert.equal(registry.my_tracker, 'trackers/my_tracker.js#MyTracker');
    });

    step('list resolves my_tracker through the project’s tsx, its output piped or not', () => {
      // Both streams to pipes (spawnSync), then both into one pipe through a shell, as a CI log captures them.
      const listed = gymnos(['list', 'trackers']);
      assert.match(listed.stdout, /^ {2}my_tracker +ok +src\/trackers\/my_tracker\.ts$/m);
      const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(manager)} ${
        tool.name === 'pnpm' ? 'exec ' : ''
      }gymnos list trackers 2>&1 | cat`;
      const piped = assertSucceeded(exec('sh', ['-c', command], project), `${exec_} list trackers 2>&1 | cat`);
      assert.match(piped.stdout, /^ {2}my_tracker +ok +src\/trackers\/my_tracker\.ts$/m);
      const json = JSON.parse(gymnos(['list', 'trackers', '--json']).stdout) as {
        trackers: { name: string; resolves: boolean }[];
      };
      assert.deepEqual(
        json.trackers.filter((tracker) => !tracker.resolves),
        [],
      );
    });

    step(`${script('test')} runs the conformance kit against my_tracker`, () => {
      const tested = run(['test']);
      assert.match(tested.stdout, /my_tracker is registered and loads by name/);
      assert.match(tested.stdout, /^ℹ fail 0$/m);
    });

    step(`${script('lint')}: clean but for the TODO markers; the fix it offers is in ${tool.name}'s words`, () => {
      const lint = run(tool.name === 'pnpm' ? ['run', 'lint'] : ['lint']);
      assert.match(lint.stdout, /\(0 errors, (\d+) warnings?: \1 TODO markers? left\)/);
      writeFileSync(path.join(project, 'src/unformatted.ts'), 'export const x = "unformatted"\n');
      const unformatted = exec(
        process.execPath,
        [manager, ...(tool.name === 'pnpm' ? ['exec'] : []), 'gymnos', 'lint'],
        project,
      );
      assert.equal(unformatted.status, 1, unformatted.stderr);
      assert.ok(unformatted.stdout.includes(`(run ${exec_} lint --fix)`), unformatted.stdout);
      printed.push(unformatted.stdout + unformatted.stderr);
      rmSync(path.join(project, 'src/unformatted.ts'));
    });

    step(`${script('typecheck')} and ${script('build')}`, () => {
      run(tool.name === 'pnpm' ? ['run', 'typecheck'] : ['typecheck']);
      run(tool.name === 'pnpm' ? ['run', 'build'] : ['build']);
      assert.ok(existsSync(path.join(project, 'dist/trackers/my_tracker.js')));
    });

    step(
      `${options.plugAndPlay ? 'yarn node' : 'plain node'} loads the built tracker beside jsonl, logs through both`,
      () => {
        writeFileSync(path.join(project, 'load_run.mjs'), LOAD_SCRIPT);
        const loaded = options.plugAndPlay
          ? run(['node', 'load_run.mjs'])
          : assertSucceeded(exec(process.execPath, ['load_run.mjs'], project), 'node load_run.mjs');
        assert.deepEqual(JSON.parse(loaded.stdout.trim().split('\n').at(-1)!), {
          classes: ['MyTracker', 'JsonlTracker'],
          metrics: 3,
        });
      },
    );

    step("no hint on the way named npm's commands", () => {
      assert.deepEqual(
        printed.flatMap((output) => output.match(NPM_WORDS) ?? []),
        [],
      );
    });
  });
}
