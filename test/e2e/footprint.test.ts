/**
 * The runtime footprint: what `npm install --omit=dev` puts into a training image whose code only loads a
 * built-in tracker. gymnos's runtime dependencies are what `load()` and the trackers need; the author's tools
 * (ESLint, Prettier, TypeScript...) are optional peer dependencies that `gymnos init` adds to a plugin project's
 * devDependencies, and the CLI's small libraries are bundled into dist/. Measured here from a packed gymnos in a
 * fresh project: at most 15 packages and 10 MB of node_modules, gymnos included. The commands that need an
 * author's tool say in one line how to install it; those that do not (runs, report) work in that install.
 */
import assert from 'node:assert/strict';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertSucceeded, exec, NPM_FLAGS, packRepository } from '../helpers/packed.js';

const MAX_PACKAGES = 15;
const MAX_BYTES = 10 * 1024 * 1024;

/** Disk usage of a tree as `du` counts it (allocated blocks), without following symlinks. */
function diskUsage(entry: string): number {
  const stat = lstatSync(entry);
  if (!stat.isDirectory()) return stat.blocks * 512;
  return readdirSync(entry).reduce((sum, name) => sum + diskUsage(path.join(entry, name)), stat.blocks * 512);
}

/** Every installed package: a directory holding a package.json right under a node_modules (or its @scope). */
function installedPackages(nodeModules: string): string[] {
  if (!existsSync(nodeModules)) return [];
  return readdirSync(nodeModules)
    .filter((name) => !name.startsWith('.'))
    .flatMap((name) =>
      name.startsWith('@') ? readdirSync(path.join(nodeModules, name)).map((scoped) => `${name}/${scoped}`) : [name],
    )
    .filter((name) => existsSync(path.join(nodeModules, name, 'package.json')))
    .flatMap((name) => [name, ...installedPackages(path.join(nodeModules, name, 'node_modules'))]);
}

const LOAD_JSONL = `import { readFileSync } from 'node:fs';
import { load } from 'gymnos';

const tracker = await load('jsonl', { flushIntervalMs: 0 });
await tracker.start('run-1', 'logs');
tracker.logMetric('loss', 0.25);
await tracker.end();
const events = readFileSync('logs/run-1/events.jsonl', 'utf8').trim().split('\\n').map((line) => JSON.parse(line));
console.log(JSON.stringify(events.filter((event) => event.kind === 'metric').map(({ name, value }) => [name, value])));
`;

describe('the runtime footprint of a production install', { timeout: 10 * 60_000 }, () => {
  let work: string;
  let project: string;
  let tarball: string;

  before(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'gymnos-footprint-'));
    project = path.join(work, 'training-image');
    mkdirSync(project);
    tarball = packRepository(work).tarball;
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('npm install --omit=dev of a project that loads jsonl: at most 15 packages and 10 MB', (t) => {
    assertSucceeded(exec('npm', ['init', '-y'], project), 'npm init -y');
    assertSucceeded(exec('npm', ['install', '--omit=dev', tarball, ...NPM_FLAGS], project), 'npm install --omit=dev');
    const nodeModules = path.join(project, 'node_modules');
    const listed = assertSucceeded(exec('npm', ['ls', '--omit=dev', '--all', '--parseable'], project), 'npm ls')
      .stdout.trim()
      .split('\n')
      .slice(1); // the first line is the project itself
    const packages = installedPackages(nodeModules);
    assert.equal(packages.length, listed.length, `npm ls and node_modules agree: ${packages.join(', ')}`);
    const bytes = diskUsage(nodeModules);
    t.diagnostic(
      `runtime footprint: ${packages.length} packages, ${(bytes / 1024 / 1024).toFixed(1)} MiB ` +
        `(${packages.sort().join(', ')})`,
    );
    assert.ok(packages.includes('gymnos'));
    assert.ok(packages.length <= MAX_PACKAGES, `${packages.length} packages: ${packages.join(', ')}`);
    assert.ok(bytes <= MAX_BYTES, `${bytes} bytes in node_modules`);
    for (const tool of ['eslint', 'prettier', 'typescript', 'handlebars', '@inquirer/prompts', 'commander']) {
      assert.ok(!packages.includes(tool), `${tool} is not a runtime install`);
    }
  });

  test('the image loads jsonl and logs a metric to its file', () => {
    writeFileSync(path.join(project, 'train.mjs'), LOAD_JSONL);
    const run = assertSucceeded(exec(process.execPath, ['train.mjs'], project), 'node train.mjs');
    assert.deepEqual(JSON.parse(run.stdout.trim()), [['loss', 0.25]]);
    assert.ok(existsSync(path.join(project, 'logs/run-1/events.jsonl')));
  });

  test('runs and report work without the authoring tools (uPlot ships inside gymnos)', () => {
    const runs = assertSucceeded(
      exec('npx', ['gymnos', 'runs', 'logs', '--metric', 'loss', '--json'], project),
      'runs',
    );
    assert.equal((JSON.parse(runs.stdout) as { runs: unknown[] }).runs.length, 1);
    assertSucceeded(exec('npx', ['gymnos', 'report', 'logs', '-o', 'report.html'], project), 'report');
    const html = readFileSync(path.join(project, 'report.html'), 'utf8');
    assert.match(html, /uPlot/);
  });

  test('gymnos lint without the tools: one line naming the npm command that installs them, exit 2', () => {
    const lint = exec('npx', ['gymnos', 'lint'], project);
    assert.equal(lint.status, 2, lint.stderr);
    const lines = lint.stderr.trim().split('\n');
    assert.equal(lines.length, 1, lint.stderr);
    assert.match(
      lines[0]!,
      /^gymnos: gymnos lint needs eslint, .*prettier.*, not installed in this project: npm install -D eslint@\S+ /,
    );
    assert.doesNotMatch(lint.stderr, /\n\s+at /);
    // What it names is a command npm accepts as typed (a dry run resolves every package and range).
    const command = lines[0]!.slice(lines[0]!.lastIndexOf(': npm install') + 2);
    assertSucceeded(exec('sh', ['-c', `${command} --dry-run --no-audit --no-fund --prefer-offline`], project), command);
  });

  test('init before the tools are installed says what it could not format; create-new then says npm install', () => {
    writeFileSync(path.join(project, '.prettierrc.json'), '{ "semi": false }\n');
    const init = assertSucceeded(exec('npx', ['gymnos', 'init'], project), 'npx gymnos init');
    assert.match(
      init.stderr,
      /prettier is not installed yet, so .*\beslint\.config\.mjs\b.*npx gymnos lint --fix formats them/,
    );
    const createNew = exec('npx', ['gymnos', 'create-new', 'tracker', '--name', 'my_tracker'], project);
    assert.equal(createNew.status, 2, createNew.stderr);
    assert.equal(
      createNew.stderr,
      "gymnos: gymnos create-new needs prettier to write files in the project's Prettier style, listed in " +
        'package.json but not installed: npm install\n',
    );
    assert.ok(!existsSync(path.join(project, 'src/trackers/my_tracker.ts')), 'nothing written');
    // The command it names, then create-new, the fix init asked for, and a clean lint but for the TODO markers.
    assertSucceeded(exec('npm', ['install', ...NPM_FLAGS], project), 'npm install');
    assertSucceeded(exec('npx', ['gymnos', 'create-new', 'tracker', '--name', 'my_tracker'], project), 'create-new');
    exec('npx', ['gymnos', 'lint', '--fix', 'eslint.config.mjs', 'tsconfig.json', 'tsconfig.build.json'], project);
    rmSync(path.join(project, 'train.mjs'));
    rmSync(path.join(project, 'report.html'));
    const lint = assertSucceeded(exec('npx', ['gymnos', 'lint'], project), 'npx gymnos lint');
    assert.match(lint.stdout, /\(0 errors, (\d+) warnings?: \1 TODO markers? left\)/);
  });
});
