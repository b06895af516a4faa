/**
 * The project's package manager, as gymnos detects it (package.json's packageManager field, the nearest lockfile,
 * the manager running gymnos, npm), and the hints the CLI prints, which name that manager's commands.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { packageManagerOf } from '../../src/util/package_manager.js';
import { gymnosInProcess } from '../helpers/in_process.js';
import { emptyProject, removeProjects } from '../helpers/project.js';

after(removeProjects);

/** A project with `files`; its package.json is a module package with `manifest` merged in. */
function project(files: Record<string, string> = {}, manifest: Record<string, unknown> = {}): string {
  const root = emptyProject();
  const all = {
    'package.json': `${JSON.stringify({ name: 'plugins', version: '1.0.0', type: 'module', ...manifest }, null, 2)}\n`,
    ...files,
  };
  for (const [file, content] of Object.entries(all)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  return root;
}

const NO_AGENT = { npm_config_user_agent: undefined };

describe('packageManagerOf', () => {
  test('the packageManager field first, then the nearest lockfile, then the running manager, then npm', () => {
    const cases: [string, string, NodeJS.ProcessEnv][] = [
      [project({}, { packageManager: 'pnpm@10.34.9' }), 'pnpm', NO_AGENT],
      [project({}, { packageManager: 'yarn@4.18.1+sha512.abc' }), 'yarn', NO_AGENT],
      // The field wins over a lockfile of another manager.
      [project({ 'package-lock.json': '{}' }, { packageManager: 'pnpm@9.15.0' }), 'pnpm', NO_AGENT],
      [project({ 'pnpm-lock.yaml': "lockfileVersion: '9.0'\n" }), 'pnpm', NO_AGENT],
      [project({ 'yarn.lock': '' }), 'yarn', NO_AGENT],
      [project({ 'bun.lock': '{}' }), 'bun', NO_AGENT],
      [project({ 'package-lock.json': '{}' }), 'npm', { npm_config_user_agent: 'pnpm/10.34.9 npm/? node/v20' }],
      // Not installed yet: the manager running gymnos (`pnpm exec gymnos init`, `yarn gymnos init`).
      [project(), 'pnpm', { npm_config_user_agent: 'pnpm/10.34.9 npm/? node/v20.19.0 linux x64' }],
      [project(), 'yarn', { npm_config_user_agent: 'yarn/4.18.1 npm/? node/v20.19.0 linux x64' }],
      [project(), 'npm', NO_AGENT],
    ];
    for (const [root, expected, env] of cases) {
      assert.equal(packageManagerOf(root, env).name, expected, `${root} ${JSON.stringify(env)}`);
    }
  });

  test("a package of a monorepo: the workspace root's lockfile or field, above the package", () => {
    const workspace = project({ 'pnpm-lock.yaml': "lockfileVersion: '9.0'\n", 'packages/trackers/package.json': '{}' });
    assert.equal(packageManagerOf(path.join(workspace, 'packages/trackers'), NO_AGENT).name, 'pnpm');
    const yarnWorkspace = project({ 'packages/a/package.json': '{}' }, { packageManager: 'yarn@4.18.1' });
    assert.equal(packageManagerOf(path.join(yarnWorkspace, 'packages/a'), NO_AGENT).name, 'yarn');
  });

  test("each manager's words for running the CLI, a script, an install", () => {
    const words = (manifest: Record<string, unknown>) => {
      const pm = packageManagerOf(project({}, manifest), NO_AGENT);
      return [
        pm.exec('gymnos lint --fix'),
        pm.run('test'),
        pm.run('lint'),
        pm.run('test:tracker', 'my_tracker'),
        pm.install,
        pm.add('tsx', { dev: true }),
      ];
    };
    assert.deepEqual(words({ packageManager: 'npm@11.0.0' }), [
      'npx gymnos lint --fix',
      'npm test',
      'npm run lint',
      'npm run test:tracker -- my_tracker',
      'npm install',
      'npm install -D tsx',
    ]);
    assert.deepEqual(words({ packageManager: 'pnpm@10.34.9' }), [
      'pnpm exec gymnos lint --fix',
      'pnpm test',
      'pnpm run lint',
      'pnpm run test:tracker my_tracker',
      'pnpm install',
      'pnpm add -D tsx',
    ]);
    assert.deepEqual(words({ packageManager: 'yarn@4.18.1' }), [
      'yarn gymnos lint --fix',
      'yarn test',
      'yarn lint',
      'yarn test:tracker my_tracker',
      'yarn install',
      'yarn add -D tsx',
    ]);
  });
});

describe("the CLI's hints name the project's package manager", () => {
  for (const [manager, expected] of [
    ['pnpm', ['pnpm install', 'pnpm exec gymnos create-new tracker --name my_tracker', 'pnpm test', 'pnpm run lint']],
    ['yarn', ['yarn install', 'yarn gymnos create-new tracker --name my_tracker', 'yarn test', 'yarn lint']],
  ] as const) {
    test(`${manager}: init, create-new, list, and test without tsx installed`, async () => {
      const root = project({}, { packageManager: `${manager}@${manager === 'pnpm' ? '10.34.9' : '4.18.1'}` });
      const printed: string[] = [];
      const run = async (args: string[], status = 0) => {
        const result = await gymnosInProcess(args, { cwd: root });
        assert.equal(result.status, status, `${args.join(' ')}: ${result.stderr}`);
        printed.push(result.stdout + result.stderr);
        return result.stdout + result.stderr;
      };
      const init = await run(['init']);
      for (const step of [...expected, `${manager} run typecheck`.replace('yarn run', 'yarn')]) {
        assert.ok(init.includes(step), `init's next steps name ${step}:\n${init}`);
      }
      assert.match(await run(['list', 'trackers']), new RegExp(`none yet; create one: ${expected[1]}`));
      assert.match(await run(['test']), new RegExp(`\`${expected[1]}\` generates a tracker and its test`));
      const created = await run(['create-new', 'tracker', '--name', 'my_tracker']);
      assert.ok(created.includes(`${expected[1].replace(/create-new.*/, 'test --tracker my_tracker')} runs`), created);
      assert.ok(created.includes(`${expected[2]} runs every test; ${expected[3]} checks style`), created);
      // tsx is listed in package.json (init added it) but not installed here: the install is the manager's.
      assert.match(await run(['test'], 2), new RegExp(`run \`${expected[0]}\``));
      // Nothing printed names npm's commands.
      assert.deepEqual(
        printed.flatMap((output) => output.match(/\b(?:npx|npm (?:install|run|test|init))\b.*/g) ?? []),
        [],
      );
    });
  }
});
