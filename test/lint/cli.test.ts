/**
 * `gymnos lint` in temporary projects. What is about processes runs the real bin (the built bundle): the exit
 * codes, the cached re-run that loads no ESLint, a crash, and the progress line on a terminal. The rest runs the
 * same CLI code in this process (`lintInProcess`), where ESLint loads once for every case, GitHub Actions output
 * included (the command reads its variables when it runs). A cold run of the bin costs seconds: there is one, on
 * findings (exit 1, the report, the progress line), and the replays of it.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { runChildSync } from '../helpers/children.js';
import { IN_CI } from '../helpers/prerequisite.js';
import { gymnosInProcess } from '../helpers/in_process.js';
import { BIN, copyOfRepository, removeProjects, REPO } from '../helpers/project.js';
import { lineOf, lintCli, lintInProcess, makeProject, removeLintProjects, SKIP_CLI } from './helpers.js';

const CLEAN_TS = 'export function greet(name: string): string {\n  return `hello ${name}`;\n}\n';

let probes: string;
before(() => {
  probes = mkdtempSync(path.join(os.tmpdir(), 'gymnos-lint-probes-'));
  // Records, at exit, which CommonJS modules were loaded (ESLint and TypeScript are CommonJS).
  writeFileSync(
    path.join(probes, 'loaded.mjs'),
    [
      "import { createRequire } from 'node:module';",
      "import { writeFileSync } from 'node:fs';",
      'const require = createRequire(import.meta.url);',
      "process.on('exit', () => writeFileSync(process.env.PROBE_OUT, JSON.stringify(Object.keys(require.cache))));",
      '',
    ].join('\n'),
  );
  // Makes gymnos itself fail: loading ESLint throws an error no check of gymnos's expects (and costs nothing).
  writeFileSync(
    path.join(probes, 'crash.mjs'),
    [
      "import Module from 'node:module';",
      'const load = Module._load;',
      'Module._load = function (request, ...rest) {',
      '  if (request === "eslint") throw new Error("simulated failure");',
      '  return load.call(this, request, ...rest);',
      '};',
      '',
    ].join('\n'),
  );
});
after(() => {
  removeLintProjects();
  removeProjects();
  if (probes) rmSync(probes, { recursive: true, force: true });
});

const TERMINAL = existsSync('/usr/bin/script');

/**
 * Runs `gymnos <args>` and returns which CommonJS modules it loaded; with `terminal`, under script(1), which gives
 * it a terminal and returns what it printed there (stdout and stderr) on stdout.
 */
function loadedModules(
  args: string[],
  cwd: string,
  options: { terminal?: boolean } = {},
): { status: number | null; stdout: string; loaded: string[] } {
  const out = path.join(probes, `loaded-${Date.now()}-${Math.random()}.json`);
  const [command, commandArgs] = options.terminal
    ? ['script', ['-qec', [process.execPath, BIN, ...args].join(' '), '/dev/null']]
    : [process.execPath, [BIN, ...args]];
  const result = runChildSync(command, commandArgs, {
    cwd,
    env: {
      ...process.env,
      NO_COLOR: '1',
      PROBE_OUT: out,
      NODE_OPTIONS: `--import=${pathToFileURL(path.join(probes, 'loaded.mjs')).href}`,
    },
  });
  return { status: result.status, stdout: result.stdout, loaded: JSON.parse(readFileSync(out, 'utf8')) as string[] };
}

const loadsEslint = (loaded: string[]) => loaded.some((file) => file.includes(`${path.sep}eslint${path.sep}lib`));
const loadsTypeScript = (loaded: string[]) =>
  loaded.some((file) => file.includes(`${path.sep}typescript${path.sep}lib`));

describe('gymnos lint (CLI)', { skip: SKIP_CLI }, () => {
  // The one cold run of the bin (a cold lint costs seconds) checks the progress line, exit 1 and the report as the
  // shell sees them, and the cache the re-runs replay: findings and all, without loading ESLint.
  test('exit 1 on findings, its progress shown on a terminal; a re-run replays the report without ESLint', (t) => {
    const root = makeProject(
      { 'src/a.ts': CLEAN_TS, 'src/long.ts': `${lineOf('comment', 121)}\nexport {};\n`, 'README.md': '# Fixture\n' },
      { git: true },
    );
    const report = /^src\/long\.ts\n {2}1:1 {2}error {2}This line has a length of 121\. .*@stylistic\/max-len$/m;
    const first = loadedModules(['lint'], root, { terminal: TERMINAL });
    assert.equal(first.status, 1, first.stdout);
    assert.match(first.stdout.replaceAll('\r\n', '\n'), report);
    assert.ok(loadsEslint(first.loaded), 'the first run loads ESLint');
    if (TERMINAL) {
      assert.match(first.stdout, /gymnos lint: (loading the linters|ESLint|Prettier)/);
      assert.ok(first.stdout.includes('\r\x1b[K'), 'the progress line is erased');
    } else {
      assert.ok(!IN_CI, 'script(1) is not installed: install util-linux (CI=true: the progress line must be checked)');
      t.diagnostic('the progress line on a terminal is not checked: script(1) is not installed (install util-linux)');
    }
    const again = lintCli([], root);
    assert.equal(again.status, 1, again.stderr);
    assert.match(again.stdout, report);
    assert.match(again.stdout, /^✖ 1 problem \(1 error, 0 warnings\) in 4 files \(unchanged since the last run\)$/m);
    const third = loadedModules(['lint'], root);
    assert.equal(third.status, 1);
    assert.ok(!loadsEslint(third.loaded), 'no ESLint on a fingerprint hit');
    assert.ok(!loadsTypeScript(third.loaded), 'no TypeScript on a fingerprint hit');
    assert.ok(existsSync(path.join(root, 'node_modules/.cache/gymnos')), 'the cache is under node_modules/.cache');
    const help = loadedModules(['--help'], root);
    assert.equal(help.status, 0);
    assert.ok(!loadsEslint(help.loaded) && !loadsTypeScript(help.loaded), '--help loads no linter');
  });

  test('exit 1 on findings, listed by file with rule ids; --no-cache lints afresh', async () => {
    const root = makeProject({
      'src/a.ts': `${lineOf('comment', 121)}\n${lineOf('comment', 120)}\n`,
      'src/b.ts': 'export const b = {c:1};\n',
    });
    const assertReport = (result: { status: number | null; stdout: string; stderr: string }) => {
      assert.equal(result.status, 1, result.stderr);
      assert.match(
        result.stdout,
        /^src\/a\.ts\n {2}1:1 {2}error {2}This line has a length of 121\. .*@stylistic\/max-len$/m,
      );
      assert.match(
        result.stdout,
        /^src\/b\.ts\n {2}1:1 {2}error {2}File is not formatted with Prettier; .* prettier$/m,
      );
      // Under it, what formatting changes, as a short unified diff.
      const diff = ['@@ -1,1 +1,1 @@', '-export const b = {c:1};', '+export const b = { c: 1 };'];
      assert.ok(result.stdout.includes(`prettier\n${diff.map((line) => `      ${line}\n`).join('')}`), result.stdout);
      assert.match(result.stdout, /✖ 2 problems \(2 errors, 0 warnings\)/);
    };
    assertReport(await lintInProcess(['--no-cache'], root));
    assert.ok(!existsSync(path.join(root, 'node_modules/.cache/gymnos')), '--no-cache writes no cache');
    assertReport(await lintInProcess([], root));
    const replayed = await lintInProcess([], root);
    assert.match(replayed.stdout, /unchanged since the last run/);
    assertReport(replayed);
    // The bin's exit 1 and its report: the terminal test above. (A cache written in this process is not the bin's:
    // the fingerprint holds gymnos's own code files, here the sources, there the bundle.)
  });

  test('exit 2 for usage and configuration errors, and when gymnos itself fails; never 1', async () => {
    const root = makeProject({ 'src/a.ts': CLEAN_TS });
    const cases: [string[], RegExp][] = [
      [['--format', 'xml'], /--format must be one of stylish, json, github, sarif/],
      [['--max-warnings', 'many'], /--max-warnings takes a whole number/],
      [['src/missing.ts'], /src\/missing\.ts: no such file or directory/],
      [['package.json', 'notes'], /notes: no such file or directory/],
      [['--cwd', path.join(root, 'nowhere')], /does not exist/],
    ];
    writeFileSync(path.join(root, 'notes.txt'), 'x');
    cases.push([['notes.txt'], /notes\.txt matches no file to lint/]);
    for (const [index, [args, message]] of cases.entries()) {
      // The first through the bin (exit 2 as the shell sees it), the others in this process.
      const result = index === 0 ? lintCli(args, root) : await lintInProcess(args, root);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.equal(result.stderr.trim().split('\n').length, 1, 'one line on stderr');
    }

    const typescript7 = makeProject({
      'src/a.ts': CLEAN_TS,
      'node_modules/typescript/package.json': '{ "name": "typescript", "version": "7.0.0" }\n',
    });
    const refused = await lintInProcess([], typescript7);
    assert.equal(refused.status, 2);
    assert.match(
      refused.stderr,
      /^gymnos: the project uses TypeScript 7\.0\.0 .* has no compiler API; .*typescript@~6\.0\n$/,
    );

    const crashed = lintCli(['--no-cache'], root, {
      NODE_OPTIONS: `--import=${pathToFileURL(path.join(probes, 'crash.mjs')).href}`,
    });
    assert.equal(crashed.status, 2);
    assert.match(crashed.stderr, /gymnos: internal error: .*simulated failure/);
  });

  test('warnings: exit 0, or 1 over --max-warnings; --quiet hides them', async () => {
    const root = makeProject({
      // An eslint-disable comment that disables nothing is a warning.
      'src/a.ts': '// eslint-disable-next-line no-console\nexport const a = 1;\n',
    });
    const plain = await lintInProcess([], root);
    assert.equal(plain.status, 0, plain.stdout);
    assert.match(plain.stdout, /1:1 {2}warning {2}Unused eslint-disable directive/);
    assert.equal((await lintInProcess(['--max-warnings', '1'], root)).status, 0);
    const over = await lintInProcess(['--max-warnings', '0'], root);
    assert.equal(over.status, 1);
    assert.match(over.stderr, /1 warnings, more than --max-warnings 0/);
    const quiet = await lintInProcess(['--quiet', '--max-warnings', '0'], root);
    assert.equal(quiet.status, 0);
    assert.doesNotMatch(quiet.stdout, /warning/);
  });

  test('--fix writes ESLint fixes and Prettier formatting; exit 0 when nothing is left', async () => {
    const root = makeProject({ 'src/a.ts': 'export function f(x: number) {\n  if (!!x) {return 1}\n  return 2\n}\n' });
    const result = await lintInProcess(['--fix'], root);
    assert.equal(result.status, 0, result.stdout);
    assert.match(result.stderr, /^gymnos: fixed 1 file: src\/a\.ts$/m);
    assert.equal(
      readFileSync(path.join(root, 'src/a.ts'), 'utf8'),
      'export function f(x: number) {\n  if (x) {\n    return 1;\n  }\n  return 2;\n}\n',
    );
    assert.equal((await lintInProcess([], root)).status, 0);
  });

  test('--format json, sarif and github; --output-file', async () => {
    const root = makeProject({ 'src/a.ts': `${lineOf('comment', 130)}\nexport {};\n` });
    const json = await lintInProcess(['--format', 'json'], root);
    assert.equal(json.status, 1);
    const results = JSON.parse(json.stdout);
    const a = results.find((result: { filePath: string }) => result.filePath === path.join(root, 'src/a.ts'));
    assert.equal(a.messages[0].ruleId, '@stylistic/max-len');

    const sarif = await lintInProcess(['--format', 'sarif', '--output-file', 'out/lint.sarif'], root);
    assert.equal(sarif.status, 1);
    assert.equal(sarif.stdout, '');
    const log = JSON.parse(readFileSync(path.join(root, 'out/lint.sarif'), 'utf8'));
    assert.equal(log.version, '2.1.0');
    assert.equal(log.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri, 'src/a.ts');

    const github = await lintInProcess(['--format', 'github'], root);
    assert.equal(github.status, 1);
    assert.match(github.stdout, /^::error file=src\/a\.ts,line=1,col=1,.*title=@stylistic\/max-len::This line/m);
  });

  test('under GitHub Actions: annotations beside the report, with workspace paths, and a job summary', async () => {
    const workspace = makeProject({});
    const root = path.join(workspace, 'packages', 'plugin');
    const files: Record<string, string> = {
      'package.json': '{\n  "name": "plugin"\n}\n',
      'src/many.ts': `${Array.from({ length: 12 }, () => lineOf('comment', 125)).join('\n')}\nexport {};\n`,
    };
    for (const [file, content] of Object.entries(files)) {
      const target = path.join(root, file);
      runChildSync('mkdir', ['-p', path.dirname(target)]);
      writeFileSync(target, content);
    }
    const summary = path.join(workspace, 'summary.md');
    writeFileSync(summary, '# earlier step\n');
    // In this process: the command reads the GitHub Actions variables when it runs.
    const result = await lintInProcess([], root, {
      GITHUB_ACTIONS: 'true',
      GITHUB_WORKSPACE: workspace,
      GITHUB_STEP_SUMMARY: summary,
    });
    assert.equal(result.status, 1);
    assert.match(result.stdout, /^packages\/plugin\/src\/many\.ts|^src\/many\.ts/m, 'the stylish report');
    const annotations = result.stdout.split('\n').filter((line) => line.startsWith('::error '));
    assert.equal(annotations.length, 10);
    assert.match(annotations[0]!, /^::error file=packages\/plugin\/src\/many\.ts,line=1,/);
    assert.match(result.stdout, /^::notice title=gymnos lint::2 more errors not annotated/m);
    const written = readFileSync(summary, 'utf8');
    assert.ok(written.startsWith('# earlier step\n## gymnos lint\n'), 'appended to the summary');
    assert.match(written, /\| `packages\/plugin\/src\/many\.ts` \| 1:1 \| error \|/);
  });

  test('gymnos/eslint-config exports the same config for editors', async () => {
    const specifier = 'gymnos/eslint-config'; // resolved through package.json "exports", to the build
    const { default: config } = (await import(specifier)) as { default: { name?: string }[] };
    assert.equal(config.at(-1)?.name, 'gymnos/rules');
    const project = makeProject({ 'src/a.ts': `${lineOf('comment', 121)}\nexport {};\n` });
    writeFileSync(path.join(project, 'eslint.config.js'), `export { default } from '${specifier}';\n`);
    // The project's ESLint finds gymnos through node_modules, as in a project that installed it. ESLint's own API,
    // as an editor's ESLint extension calls it: it finds and loads the project's eslint.config.js itself.
    symlinkSync(REPO, path.join(project, 'node_modules', 'gymnos'), 'dir');
    const { ESLint } = await import('eslint');
    const eslint = new ESLint({ cwd: project });
    const [result] = await eslint.lintFiles(['src']);
    assert.deepEqual(
      result!.messages.map((message) => `${message.line}:${message.column} ${message.ruleId} ${message.message}`),
      ['1:1 @stylistic/max-len This line has a length of 121. Maximum allowed is 120.'],
    );
    assert.equal(result!.errorCount, 1);
  });

  test('--print-config shows the ESLint rules and Prettier options that apply to a file', async () => {
    const root = makeProject({ 'src/a.ts': CLEAN_TS, '.prettierrc.json': '{ "semi": false, "printWidth": 80 }\n' });
    const result = await lintInProcess(['--print-config', 'src/a.ts'], root);
    assert.equal(result.status, 0, result.stderr);
    const printed = JSON.parse(result.stdout);
    assert.equal(printed.file, 'src/a.ts');
    assert.equal(printed.eslint.rules['@stylistic/max-len'][0], 2);
    // The project's print width wins, and the line-length rule follows it.
    assert.equal(printed.eslint.rules['@stylistic/max-len'][1].code, 80);
    // Exactly the project's configuration: Prettier's defaults for the rest, gymnos's style nowhere.
    assert.deepEqual(printed.prettier, { parser: 'typescript', semi: false, printWidth: 80 });
    assert.deepEqual(printed.sources.prettier, { semi: '.prettierrc.json', printWidth: '.prettierrc.json' });
    // Without a configuration, gymnos's style.
    rmSync(path.join(root, '.prettierrc.json'));
    const unconfigured = JSON.parse((await lintInProcess(['--print-config', 'src/a.ts'], root)).stdout);
    assert.deepEqual(unconfigured.prettier, { parser: 'typescript', singleQuote: true, printWidth: 120 });
    assert.deepEqual(unconfigured.sources.prettier, { singleQuote: 'gymnos', printWidth: 'gymnos' });
  });

  test('a tracker create-new generated lints clean but for its TODO markers, here and in plugins', async () => {
    const repository = copyOfRepository();
    assert.equal(
      (await gymnosInProcess(['create-new', 'tracker', '--name', 'fresh_one'], { cwd: repository })).status,
      0,
    );
    const generated = [
      'src/trackers/fresh_one.ts',
      'test/trackers/fresh_one.test.ts',
      'docs/trackers/fresh_one.md',
      'var/trackers.json',
    ];
    const onlyTodos = (output: string) => {
      const summary = /✖ (\d+) problems? \(0 errors, (\d+) warnings?: (\d+) TODO markers? left\)/.exec(output);
      assert.ok(summary, output);
      assert.ok(Number(summary[1]) > 0 && summary[1] === summary[2] && summary[2] === summary[3], output);
      const rules = output.split('\n').filter((line) => /^\s+\d+:\d+\s/.test(line));
      assert.ok(rules.every((line) => /warning\s+TODO\(fresh_one\) is left to do.*gymnos\/tracker-todo$/.test(line)));
    };
    const inRepository = await lintInProcess(['--no-cache', ...generated], repository);
    assert.equal(inRepository.status, 0, inRepository.stdout + inRepository.stderr);
    onlyTodos(inRepository.stdout);
    // Done with the markers, the files are clean.
    for (const file of generated.slice(0, 3)) {
      const full = path.join(repository, file);
      writeFileSync(full, readFileSync(full, 'utf8').replaceAll('TODO(fresh_one)', 'Done'));
    }
    assert.match((await lintInProcess(['--no-cache', ...generated], repository)).stdout, /No problems in 4 files/);

    const plugin = makeProject(
      { 'package.json': '{\n  "name": "my-plugins",\n  "type": "module"\n}\n' },
      { git: true },
    );
    assert.equal((await gymnosInProcess(['create-new', 'tracker', '--name', 'fresh_one'], { cwd: plugin })).status, 0);
    const inPlugin = await lintInProcess([], plugin);
    assert.equal(inPlugin.status, 0, inPlugin.stdout + inPlugin.stderr);
    onlyTodos(inPlugin.stdout);
  });
});
