import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { gymnosInProcess } from '../helpers/in_process.js';
import { copyOfRepository, emptyProject, gymnos, removeProjects, REPO, snapshot } from '../helpers/project.js';

after(removeProjects);

const ESC = String.fromCharCode(0x1b);
const REEXPORT = "export { default } from 'gymnos/eslint-config';\n";
const VERSIONS = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).devDependencies as Record<
  string,
  string
>;

/** The tools init adds to devDependencies when missing, in the order it adds them (npm's sorted order). */
const DEV_TOOLS = [
  '@eslint/js',
  '@stylistic/eslint-plugin',
  '@types/node',
  'eslint',
  'eslint-config-prettier',
  'globals',
  'prettier',
  'tsx',
  'typescript',
  'typescript-eslint',
];
/** The package.json edits that add the tools of DEV_TOOLS but those in `except`. */
function toolEdits(except: string[] = []): string[] {
  return DEV_TOOLS.filter((tool) => !except.includes(tool)).map((tool) => `devDependencies.${tool}`);
}
/** `edits` as init's UPDATE line lists them. */
function editsPattern(edits: string[]): RegExp {
  return new RegExp(`^UPDATE +package\\.json \\(${literal(edits.join(', ')).source}\\)$`, 'm');
}

/** A project of someone else's with this package.json text and these other files. */
function projectWith(packageJson: string | undefined, files: Record<string, string> = {}): string {
  const root = emptyProject();
  if (packageJson !== undefined) writeFileSync(path.join(root, 'package.json'), packageJson);
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  }
  return root;
}

const MODULE_PACKAGE = `{
  "name": "my-trackers",
  "version": "1.0.0",
  "type": "module",
  "scripts": {
    "build": "tsc"
  },
  "dependencies": {
    "gymnos": "^0.1.0"
  },
  "devDependencies": {
    "@types/node": "^20.19.0",
    "zod": "^3.0.0"
  }
}
`;

/** A pattern that matches `text` as it is. */
function literal(text: string): RegExp {
  return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

/** Asserts the run failed with `status`, one line on stderr matching `message`, and nothing changed. */
async function assertRefused(root: string, args: string[], status: number, message: RegExp) {
  const before = snapshot(root);
  const result = await gymnosInProcess(args, { cwd: root });
  assert.equal(result.status, status, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${result.stderr}`);
  assert.match(lines[0]!, /^gymnos: /);
  assert.match(lines[0]!, message);
  assert.equal(result.stdout, '');
  assert.deepEqual(snapshot(root), before, 'nothing changed');
}

describe('gymnos init', () => {
  test('creates the registry, src/trackers/, eslint.config.js and scripts; package.json keeps the rest', async () => {
    const root = projectWith(MODULE_PACKAGE);
    const result = await gymnosInProcess(['init'], { cwd: root });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.match(result.stdout, /^CREATE +var\/trackers\.json$/m);
    assert.match(result.stdout, /^CREATE +src\/trackers\/\.gitkeep$/m);
    assert.match(result.stdout, /^CREATE +eslint\.config\.js$/m);
    assert.match(result.stdout, /^CREATE +tsconfig\.json$/m);
    assert.match(result.stdout, /^CREATE +tsconfig\.build\.json$/m);
    // The project's own build script is kept; typecheck is added.
    assert.match(
      result.stdout,
      editsPattern(['scripts.lint', 'scripts.test', 'scripts.typecheck', ...toolEdits(['@types/node'])]),
    );
    const steps = ['npm install', 'npx gymnos create-new tracker --name my_tracker', 'npm test', 'npm run lint'];
    for (const step of [...steps, 'npm run typecheck', 'npm run build']) {
      assert.ok(result.stdout.includes(step), `next steps mention ${step}`);
    }

    assert.equal(
      readFileSync(path.join(root, 'var/trackers.json'), 'utf8'),
      '{\n  "$schema": "../node_modules/gymnos/schema/trackers.schema.json"\n}\n',
    );
    assert.equal(readFileSync(path.join(root, 'src/trackers/.gitkeep'), 'utf8'), '');
    assert.equal(readFileSync(path.join(root, 'eslint.config.js'), 'utf8'), REEXPORT);
    assert.ok(!existsSync(path.join(root, 'eslint.config.mjs')));
    // Byte for byte the same, with the new keys in place: scripts appended, devDependencies in sorted order.
    assert.equal(
      readFileSync(path.join(root, 'package.json'), 'utf8'),
      MODULE_PACKAGE.replace(
        '"build": "tsc"\n',
        '"build": "tsc",\n    "lint": "gymnos lint",\n    "test": "gymnos test",\n    "typecheck": "tsc --noEmit"\n',
      ).replace(
        '"@types/node": "^20.19.0",\n',
        DEV_TOOLS.map((tool) => `"${tool}": "${tool === '@types/node' ? '^20.19.0' : VERSIONS[tool]}",\n`).join('    '),
      ),
    );
  });

  test("tabs, CRLF and no trailing newline are kept; npm's placeholder test script is replaced", async () => {
    const original =
      '{\r\n\t"name": "x",\r\n\t"scripts": {\r\n\t\t"test": "echo \\"Error: no test specified\\" && exit 1"\r\n\t},' +
      '\r\n\t"dependencies": {\r\n\t\t"gymnos": "^0.1.0"\r\n\t},\r\n\t"type": "module"\r\n}';
    const root = projectWith(original);
    const result = await gymnosInProcess(['init'], { cwd: root });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(
      readFileSync(path.join(root, 'package.json'), 'utf8'),
      '{\r\n\t"name": "x",\r\n\t"scripts": {\r\n\t\t"test": "gymnos test",\r\n\t\t"lint": "gymnos lint",\r\n' +
        '\t\t"build": "tsc -p tsconfig.build.json",\r\n\t\t"typecheck": "tsc --noEmit"\r\n\t},' +
        '\r\n\t"dependencies": {\r\n\t\t"gymnos": "^0.1.0"\r\n\t},\r\n\t"type": "module",\r\n\t"devDependencies": {' +
        DEV_TOOLS.map((tool) => `\r\n\t\t"${tool}": "${VERSIONS[tool]}"`).join(',') +
        '\r\n\t}\r\n}',
    );
  });

  test('dev tools already in dependencies or devDependencies are not added again', async () => {
    const root = projectWith(
      '{\n  "type": "module",\n  "dependencies": { "gymnos": "*", "typescript": "5.9.3" },\n' +
        '  "devDependencies": { "@types/node": "^22.0.0", "eslint": "^10.0.0", "tsx": "^4.0.0" }\n}\n',
    );
    const result = await gymnosInProcess(['init'], { cwd: root });
    assert.equal(result.status, 0, result.stderr);
    const kept = ['typescript', '@types/node', 'eslint', 'tsx'];
    assert.match(
      result.stdout,
      editsPattern(['scripts.lint', 'scripts.test', 'scripts.build', 'scripts.typecheck', ...toolEdits(kept)]),
    );
    const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    assert.deepEqual(manifest.dependencies, { gymnos: '*', typescript: '5.9.3' });
    assert.deepEqual(
      Object.keys(manifest.devDependencies),
      DEV_TOOLS.filter((tool) => tool !== 'typescript'),
    );
    assert.equal(manifest.devDependencies['@types/node'], '^22.0.0');
    assert.equal(manifest.devDependencies.eslint, '^10.0.0');
    assert.equal(manifest.devDependencies.tsx, '^4.0.0');
  });

  test('a re-run changes nothing and says the project is already initialized', async () => {
    const root = projectWith(MODULE_PACKAGE);
    assert.equal((await gymnosInProcess(['init'], { cwd: root })).status, 0);
    // A tracker added since, and the keep file gone, are fine: init only checks what it set up.
    writeFileSync(path.join(root, 'var/trackers.json'), '{\n    "my_tracker": "trackers/my_tracker.js#MyTracker"\n}\n');
    writeFileSync(path.join(root, 'src/trackers/my_tracker.ts'), 'export {};\n');
    const before = snapshot(root);
    const result = await gymnosInProcess(['init'], { cwd: root });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(snapshot(root), before);
    assert.match(result.stdout, /Already initialized/);
    assert.doesNotMatch(result.stdout, /^(CREATE|UPDATE|OVERWRITE)/m);
    const kept = ['var/trackers.json', 'src/trackers/', 'eslint.config.js', 'tsconfig.json', 'tsconfig.build.json'];
    for (const file of [...kept, 'package.json']) {
      assert.ok(
        result.stdout.split('\n').some((line) => line === `UNCHANGED ${file}`),
        `UNCHANGED ${file}`,
      );
    }
  });

  test("scripts that run gymnos with options, and an ESLint config built on gymnos's, count as set up", async () => {
    const root = projectWith(
      MODULE_PACKAGE.replace(
        '"build": "tsc"',
        '"build": "tsc",\n    "lint": "gymnos lint --quiet",\n    "test": "npx gymnos test --test-reporter=tap"',
      ),
      {
        'eslint.config.js':
          "import gymnos from 'gymnos/eslint-config';\n\nexport default [...gymnos, { ignores: ['build/'] }];\n",
      },
    );
    const result = await gymnosInProcess(['init'], { cwd: root });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^UNCHANGED +eslint\.config\.js$/m);
    assert.match(result.stdout, editsPattern(['scripts.typecheck', ...toolEdits(['@types/node'])]));
  });

  test('an existing valid registry with entries is kept as it is', async () => {
    const registry = '{ "alpha": "trackers/alpha.js#AlphaTracker" }';
    const root = projectWith(MODULE_PACKAGE, { 'var/trackers.json': registry });
    const result = await gymnosInProcess(['init'], { cwd: root });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^UNCHANGED +var\/trackers\.json$/m);
    assert.equal(readFileSync(path.join(root, 'var/trackers.json'), 'utf8'), registry);
  });

  test('a CommonJS project gets eslint.config.mjs, with a notice saying why', async () => {
    const root = projectWith('{\n  "name": "cjs",\n  "type": "commonjs",\n  "dependencies": { "gymnos": "*" }\n}\n');
    const result = await gymnosInProcess(['init'], { cwd: root });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^CREATE +eslint\.config\.mjs$/m);
    assert.match(
      result.stderr,
      /notice: package\.json has no "type": "module", so the ESLint config is eslint\.config\.mjs/,
    );
    assert.equal(readFileSync(path.join(root, 'eslint.config.mjs'), 'utf8'), REEXPORT);
    assert.ok(!existsSync(path.join(root, 'eslint.config.js')));
    assert.match((await gymnosInProcess(['init'], { cwd: root })).stdout, /^UNCHANGED +eslint\.config\.mjs$/m);
  });

  test('without gymnos among the dependencies, a notice says to install it', async () => {
    const root = projectWith('{\n  "type": "module"\n}\n');
    const result = await gymnosInProcess(['init'], { cwd: root });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /notice: gymnos is not in package\.json's dependencies; .*npm install gymnos/);
  });

  test('files or scripts that exist with other content are conflicts: exit 3, one line, nothing written', async () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      [
        MODULE_PACKAGE,
        { 'eslint.config.js': 'export default [];\n' },
        // The merge path, in the words of the file's own module type.
        literal(
          "eslint.config.js already exists with a config of its own; extend gymnos's config in it " +
            "(import gymnos from 'gymnos/eslint-config'; export default [...yourConfig, ...gymnos];) or remove it",
        ),
      ],
      [
        MODULE_PACKAGE,
        { 'eslint.config.cjs': 'module.exports = [];\n' },
        literal(
          "(const gymnos = require('gymnos/eslint-config').default; module.exports = [...yourConfig, ...gymnos];)",
        ),
      ],
      [
        MODULE_PACKAGE.replace('"type": "module"', '"type": "commonjs"'),
        { 'eslint.config.js': REEXPORT },
        /eslint\.config\.js already exists; it is an ES module, but .* CommonJS; rename it to eslint\.config\.mjs/,
      ],
      [
        MODULE_PACKAGE.replace('"build": "tsc"', '"build": "tsc",\n    "lint": "eslint ."'),
        {},
        literal(
          'package.json already has a "lint" script ("eslint ."); change it to "gymnos lint", ' +
            'or keep it and add "lint:gymnos": "gymnos lint" beside it, then run npx gymnos init again',
        ),
      ],
      [
        MODULE_PACKAGE.replace('"build": "tsc"', '"build": "tsc",\n    "test": "vitest"'),
        {},
        /package\.json already has a "test" script \("vitest"\); change it to "gymnos test" or remove it/,
      ],
      [
        MODULE_PACKAGE,
        { 'var/trackers.json': '{\n  "a": "trackers/a.js#A",\n}\n' },
        /var\/trackers\.json:3:1: invalid JSON .*; fix or remove it, then run npx gymnos init again/,
      ],
      [MODULE_PACKAGE, { 'var/trackers.json': '[]\n' }, /var\/trackers\.json:1:1: the registry must be a JSON object/],
    ];
    for (const [packageJson, files, message] of cases) {
      await assertRefused(projectWith(packageJson, files), ['init'], 3, message);
    }
  });

  test('no package.json, an invalid one, or the gymnos repository itself: exit 2, nothing written', async () => {
    await assertRefused(projectWith(undefined), ['init'], 2, /no package\.json in .* or above it/);
    await assertRefused(
      projectWith('{\n  "name": "x",\n  "scripts": {\n}\n'),
      ['init'],
      2,
      /package\.json:5:1: invalid JSON \(close brace expected\); fix it/,
    );
    await assertRefused(projectWith('{\n  "name": "x",\n}\n'), ['init'], 2, /package\.json:3:1: invalid JSON/);
    await assertRefused(projectWith('[]\n'), ['init'], 2, /package\.json:1:1: not a JSON object/);
    await assertRefused(
      projectWith('{\n  "scripts": "gymnos lint"\n}\n'),
      ['init'],
      2,
      /package\.json:2:14: "scripts" must be an object/,
    );
    await assertRefused(copyOfRepository(), ['init'], 2, /is the gymnos repository itself, which needs no init/);
  });

  test('a lint script of the project is kept when lint:gymnos runs gymnos lint beside it', async () => {
    const root = projectWith(
      MODULE_PACKAGE.replace(
        '"build": "tsc"',
        '"build": "tsc",\n    "lint": "eslint .",\n    "lint:gymnos": "gymnos lint"',
      ),
    );
    const result = await gymnosInProcess(['init'], { cwd: root });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /npm run lint:gymnos +ESLint, Prettier and the plugin contract/);
    const scripts = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).scripts;
    assert.equal(scripts.lint, 'eslint .');
    assert.equal(scripts['lint:gymnos'], 'gymnos lint');
  });

  test('tsconfig.json fits the module type; a project tsconfig stays, with a notice if it cannot compile', async () => {
    const esm = projectWith(MODULE_PACKAGE);
    assert.equal((await gymnosInProcess(['init'], { cwd: esm })).status, 0);
    const esmConfig = JSON.parse(readFileSync(path.join(esm, 'tsconfig.json'), 'utf8'));
    assert.equal(esmConfig.compilerOptions.module, 'nodenext');
    assert.equal(esmConfig.compilerOptions.strict, true);
    assert.equal(esmConfig.compilerOptions.verbatimModuleSyntax, true);
    const build = JSON.parse(readFileSync(path.join(esm, 'tsconfig.build.json'), 'utf8'));
    assert.deepEqual([build.extends, build.compilerOptions.outDir], ['./tsconfig.json', 'dist']);

    const commonjs = '{\n  "name": "cjs",\n  "type": "commonjs",\n  "dependencies": { "gymnos": "*" }\n}\n';
    const cjs = projectWith(commonjs);
    assert.equal((await gymnosInProcess(['init'], { cwd: cjs })).status, 0);
    const cjsConfig = JSON.parse(readFileSync(path.join(cjs, 'tsconfig.json'), 'utf8'));
    assert.equal(cjsConfig.compilerOptions.module, 'nodenext');
    assert.equal(cjsConfig.compilerOptions.verbatimModuleSyntax, undefined);

    // What `tsc --init` writes (comments and all) is the author's: kept, with what to change said once.
    const own = '{\n  // tsc --init\n  "compilerOptions": {\n    "verbatimModuleSyntax": true,\n  },\n}\n';
    const mine = projectWith(commonjs, { 'tsconfig.json': own });
    const result = await gymnosInProcess(['init'], { cwd: mine });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^UNCHANGED +tsconfig\.json$/m);
    assert.equal(readFileSync(path.join(mine, 'tsconfig.json'), 'utf8'), own);
    assert.match(result.stderr, /notice: tsconfig\.json sets "verbatimModuleSyntax": true, .*CommonJS.*TS1295/);
  });

  test('a write that fails is exit 1 and rolls back everything, directories included', async () => {
    const root = projectWith(MODULE_PACKAGE, { src: 'a file where a directory is needed\n' });
    await assertRefused(root, ['init'], 1, /nothing was changed \(rolled back\)/);
    assert.ok(!existsSync(path.join(root, 'var')));
  });

  test('--dry-run prints the plan and writes nothing', async () => {
    const root = projectWith(MODULE_PACKAGE);
    const before = snapshot(root);
    const result = await gymnosInProcess(['init', '--dry-run'], { cwd: root });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(snapshot(root), before);
    assert.match(result.stdout, /^CREATE +eslint\.config\.js$/m);
    assert.match(result.stdout, /^UPDATE +package\.json /m);
    assert.match(result.stdout, /Dry run: nothing was written/);
  });

  test('--json prints one JSON document, on success and on a conflict', async () => {
    const root = projectWith(MODULE_PACKAGE);
    const ok = await gymnosInProcess(['init', '--json', '--cwd', root], { cwd: path.dirname(root) });
    assert.equal(ok.status, 0, ok.stderr);
    const document = JSON.parse(ok.stdout);
    assert.equal(document.ok, true);
    assert.equal(document.dryRun, false);
    assert.equal(document.alreadyInitialized, false);
    assert.deepEqual(document.inputs, { root });
    assert.deepEqual(document.changes, [
      { action: 'create', path: 'var/trackers.json' },
      { action: 'create', path: 'src/trackers/.gitkeep' },
      { action: 'create', path: 'eslint.config.js' },
      { action: 'create', path: 'tsconfig.json' },
      { action: 'create', path: 'tsconfig.build.json' },
      {
        action: 'update',
        path: 'package.json',
        edits: ['scripts.lint', 'scripts.test', 'scripts.typecheck', ...toolEdits(['@types/node'])],
      },
    ]);
    assert.deepEqual(document.warnings, []);
    assert.equal(document.error, null);

    const again = JSON.parse((await gymnosInProcess(['init', '--json'], { cwd: root })).stdout);
    assert.equal(again.alreadyInitialized, true);
    assert.ok(again.changes.every((change: { action: string }) => change.action === 'unchanged'));

    writeFileSync(path.join(root, 'eslint.config.js'), 'export default [];\n');
    // Through the bin: exit 3 as the shell sees it.
    const conflict = gymnos(['init', '--json'], { cwd: root });
    assert.equal(conflict.status, 3);
    const failed = JSON.parse(conflict.stdout);
    assert.equal(failed.ok, false);
    assert.equal(failed.error.code, 'ESLINT_CONFIG_EXISTS');
    assert.deepEqual(failed.changes, []);
  });

  test('color follows FORCE_COLOR and NO_COLOR', async () => {
    const root = projectWith(MODULE_PACKAGE);
    const colored = gymnos(['init', '--dry-run'], { cwd: root, env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
    assert.match(colored.stdout, new RegExp(`${ESC}\\[32mCREATE`));
    const plain = gymnos(['init', '--dry-run'], { cwd: root, env: { NO_COLOR: '1' } });
    assert.doesNotMatch(plain.stdout, new RegExp(`${ESC}\\[`));
  });

  test('--help has examples and the exit codes', async () => {
    const help = await gymnosInProcess(['init', '--help'], { cwd: projectWith(MODULE_PACKAGE) });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /Examples:[\s\S]*\$ gymnos init --dry-run[\s\S]*Exit codes: 0 ok/);
  });
});
