/**
 * Shell completion: `gymnos __complete <words>` answers from the command table, the project's registry and the
 * runs under the logdirs on the line; `gymnos completion <shell>` prints a script that real bash, zsh and fish
 * load and use, asking the real bin on each Tab (zsh and fish are skipped, saying so, where they are not
 * installed: bash always runs).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { COMMANDS } from '../../src/cli/commands.js';
import { runChildSync } from '../helpers/children.js';
import { writeExampleRuns } from '../helpers/example_runs.js';
import { gymnosInProcess } from '../helpers/in_process.js';
import { pluginProject } from '../helpers/plugin_project.js';
import { BIN, REPO, removeProjects } from '../helpers/project.js';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'gymnos-completion-'));
const cache = path.join(scratch, 'cache');
/** A plugin project with my_tracker created, and the example runs in its ./logs. */
let project = '';
/** A directory holding only `gymnos` (the real bin), for the shells' PATH. */
const binDir = path.join(scratch, 'bin');

before(async () => {
  project = pluginProject();
  for (const args of [['init'], ['create-new', 'tracker', '--name', 'my_tracker']]) {
    const result = await gymnosInProcess(args, { cwd: project });
    assert.equal(result.status, 0, result.stderr);
  }
  await writeExampleRuns(path.join(project, 'logs'));
  mkdirSync(binDir);
  symlinkSync(BIN, path.join(binDir, 'gymnos'));
});
after(() => {
  removeProjects();
  rmSync(scratch, { recursive: true, force: true });
});

/** `gymnos __complete <words>`: the kind line, then the candidates' values (descriptions apart). */
async function complete(words: string[], cwd = project): Promise<string[]> {
  const result = await gymnosInProcess(['__complete', ...words], { cwd, env: { GYMNOS_CACHE_DIR: cache } });
  assert.deepEqual([result.status, result.stderr], [0, ''], words.join(' '));
  assert.ok(result.stdout.endsWith('\n'), result.stdout);
  return result.stdout
    .slice(0, -1)
    .split('\n')
    .map((line) => line.split('\t')[0]!);
}

const longName = (flags: string) => flags.match(/--[a-z-]+/)![0];

describe('gymnos __complete', () => {
  test('the commands, and each command its flags as the command table declares them', async () => {
    assert.deepEqual(await complete(['']), [':words', ...COMMANDS.map(({ name }) => name)]);
    assert.deepEqual(await complete(['r']), [':words', 'remove', 'runs', 'report']);
    assert.deepEqual(await complete(['--']), [':words', '--help', '--version']);
    for (const command of COMMANDS) {
      const flags = command.flags.map(({ flags }) => longName(flags));
      assert.deepEqual(await complete([command.name, '--']), [':words', ...flags, '--help'], command.name);
    }
    const withDescription = await gymnosInProcess(['__complete', 'runs', '--de'], { cwd: project });
    assert.equal(withDescription.stdout, ':words\n--desc\tsort in descending order\n');
  });

  test('a flag given is not offered again, unless it may be repeated', async () => {
    const flags = await complete(['runs', '--desc', '--metric', 'loss', '--']);
    assert.ok(!flags.includes('--desc') && flags.includes('--metric') && flags.includes('--where'), flags.join(' '));
    assert.ok((await complete(['create-new', '--force', '--f'])).includes('--force'), 'counted: --force twice');
  });

  test('choices of arguments and flags, with --flag=value kept whole', async () => {
    assert.deepEqual(await complete(['completion', '']), [':words', 'bash', 'zsh', 'fish']);
    assert.deepEqual(await complete(['list', 'tr']), [':words', 'trackers']);
    assert.deepEqual(await complete(['create-new', '']), [':words', 'tracker']);
    assert.deepEqual(await complete(['remove', '']), [':words', 'tracker']);
    assert.deepEqual(await complete(['runs', '--mode', '']), [':words', 'min', 'max']);
    assert.deepEqual(await complete(['lint', '--format', 's']), [':words', 'stylish', 'sarif']);
    assert.deepEqual(await complete(['lint', '--format=s']), [':words', '--format=stylish', '--format=sarif']);
  });

  test("tracker names from the project's registry: every one for test --tracker, its own for remove", async () => {
    const all = await complete(['test', '--tracker', '']);
    assert.deepEqual(all.slice(1).sort(), [
      'comet',
      'csv',
      'jsonl',
      'memory',
      'mlflow',
      'my_tracker',
      'tensorboard',
      'wandb',
    ]);
    assert.deepEqual(await complete(['remove', 'tracker', '']), [':words', 'my_tracker']);
    assert.deepEqual(await complete(['remove', 'tracker', 'my', '--force', '']), [':words']);
    // --cwd on the line names the project, wherever the shell is.
    assert.deepEqual(await complete(['remove', '--cwd', project, 'tracker', ''], scratch), [':words', 'my_tracker']);
    assert.deepEqual(await complete(['remove', 'tracker', ''], scratch), [':words']);
  });

  test('a registry that is not JSON offers no tracker, and says nothing', async () => {
    const broken = pluginProject({ 'var/trackers.json': '{ "my_tracker": ' });
    assert.deepEqual(await complete(['remove', 'tracker', ''], broken), [':words']);
  });

  test('metric and param names from the runs under the logdirs on the line (default ./logs)', async () => {
    assert.deepEqual(await complete(['runs', '--metric', '']), [':words', 'acc', 'loss']);
    assert.deepEqual(await complete(['runs', '--metric', 'loss:']), [':words', 'loss:min', 'loss:max']);
    assert.deepEqual(await complete(['runs', '--metric=l']), [':words', '--metric=loss']);
    assert.deepEqual(await complete(['runs', '--plot', '']), [':words', 'acc', 'loss']);
    assert.deepEqual(await complete(['runs', '--group-by', '']), [':words', 'batch', 'lr', 'optimizer']);
    assert.deepEqual(await complete(['runs', '--sort', 'l']), [':words', 'loss', 'lr']);
    assert.deepEqual(await complete(['runs', 'logs/sweep', '--metric', ''], project), [':words', 'acc', 'loss']);
    assert.deepEqual(await complete(['runs', path.join(project, 'logs'), '--metric', 'a'], scratch), [':words', 'acc']);
    assert.deepEqual(await complete(['runs', 'no-such-dir', '--metric', '']), [':words']);
    assert.deepEqual(await complete(['runs', '--metric', ''], scratch), [':words'], 'no ./logs there');
  });

  test('paths are left to the shell: files, or directories', async () => {
    assert.deepEqual(await complete(['report', '-o', '']), [':files']);
    assert.deepEqual(await complete(['lint', '--print-config', '']), [':files']);
    assert.deepEqual(await complete(['lint', 'src/']), [':files']);
    assert.deepEqual(await complete(['runs', '']), [':dirs']);
    assert.deepEqual(await complete(['sync', 'lo']), [':dirs']);
    assert.deepEqual(await complete(['init', '--cwd', '']), [':dirs']);
    assert.deepEqual(await complete(['create-new', '--templates', '']), [':dirs']);
  });

  test('nothing for free text and for what a command does not take', async () => {
    assert.deepEqual(await complete(['create-new', 'tracker', '--name', '']), [':words']);
    assert.deepEqual(await complete(['no-such-command', '']), [':words']);
    assert.deepEqual(await complete(['init', '']), [':words']);
  });
});

describe('gymnos completion <shell>', () => {
  test('prints the shell script the package ships; another shell is exit 2 with the one meant', async () => {
    for (const shell of ['bash', 'zsh', 'fish']) {
      const result = await gymnosInProcess(['completion', shell], { cwd: scratch });
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, readFileSync(path.join(REPO, 'completion', `gymnos.${shell}`), 'utf8'));
    }
    const wrong = await gymnosInProcess(['completion', 'bsh'], { cwd: scratch });
    assert.deepEqual(
      [wrong.status, wrong.stdout, wrong.stderr],
      [
        2,
        '',
        "gymnos: command-argument value 'bsh' is invalid for argument 'shell'. Allowed choices are bash, zsh, fish; " +
          'did you mean "bash"?\n',
      ],
    );
  });
});

/** The completion script for `shell`, as a user saves it. */
function script(shell: string): string {
  const file = path.join(scratch, `gymnos.${shell}`);
  writeFileSync(file, readFileSync(path.join(REPO, 'completion', `gymnos.${shell}`), 'utf8'));
  return file;
}

/** A shell's PATH: `gymnos` (unless left out) and node, nothing of this checkout's node_modules. */
function shellEnv(options: { gymnos: boolean; extra?: string } = { gymnos: true }): NodeJS.ProcessEnv {
  const dirs = [options.extra, options.gymnos ? binDir : undefined, path.dirname(process.execPath), '/usr/bin', '/bin'];
  return { ...process.env, PATH: dirs.filter(Boolean).join(':'), GYMNOS_CACHE_DIR: cache, NO_COLOR: '1' };
}

function installed(shell: string): boolean {
  return runChildSync('sh', ['-c', `command -v ${shell}`]).status === 0;
}

/**
 * What bash offers for `line` (the cursor at its end): COMP_WORDS and COMP_CWORD as bash sets them, split at
 * COMP_WORDBREAKS (`loss:m` is `loss`, `:`, `m`).
 */
function bashOffers(line: string, compWords: string[], env = shellEnv()): string[] {
  const driver = [
    `source ${JSON.stringify(script('bash'))}`,
    'COMP_LINE="$1"; COMP_POINT=${#1}; COMP_CWORD=$2; shift 2; COMP_WORDS=("$@")',
    '_gymnos_completion',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const args = ['-c', driver, 'bash', line, String(compWords.length - 1), ...compWords];
  const result = runChildSync('bash', args, { cwd: project, env });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stderr, '');
  return result.stdout.split('\n').filter(Boolean);
}

describe('the shells, with the real bin on PATH', () => {
  test('bash: commands, flags, tracker names, metrics with a colon, paths', () => {
    const registered = runChildSync('bash', ['-c', `source ${JSON.stringify(script('bash'))}; complete -p gymnos`]);
    assert.equal(registered.stdout, 'complete -F _gymnos_completion gymnos\n');
    assert.deepEqual(bashOffers('gymnos ru', ['gymnos', 'ru']), ['runs']);
    assert.deepEqual(bashOffers('gymnos runs --de', ['gymnos', 'runs', '--de']), ['--desc']);
    assert.deepEqual(bashOffers('gymnos remove tracker ', ['gymnos', 'remove', 'tracker', '']), ['my_tracker']);
    const metric = ['gymnos', 'runs', '--metric', 'loss', ':', 'm'];
    assert.deepEqual(bashOffers('gymnos runs --metric loss:m', metric), ['min', 'max']);
    assert.deepEqual(bashOffers('gymnos runs --metric loss:', metric.slice(0, -1)), [':min', ':max']);
    assert.deepEqual(bashOffers('gymnos runs --metric=a', ['gymnos', 'runs', '--metric', '=', 'a']), ['acc']);
    assert.deepEqual(bashOffers('gymnos runs lo', ['gymnos', 'runs', 'lo']), ['logs']);
    assert.deepEqual(bashOffers('gymnos report -o var/tra', ['gymnos', 'report', '-o', 'var/tra']), [
      'var/trackers.json',
    ]);
  });

  test('bash: a gymnos that is an alias for npx gymnos is asked through npx', () => {
    // A stand-in npx on PATH that runs the real bin for `npx --no-install gymnos ...`, and says it did.
    const npxDir = path.join(scratch, 'npx');
    mkdirSync(npxDir, { recursive: true });
    const npx = path.join(npxDir, 'npx');
    const marker = path.join(scratch, 'npx-ran');
    writeFileSync(
      npx,
      `#!/bin/sh\n[ "$1 $2" = "--no-install gymnos" ] || exit 9\nshift 2\ntouch ${JSON.stringify(marker)}\n` +
        `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`,
      { mode: 0o755 },
    );
    const env = shellEnv({ gymnos: false, extra: npxDir });
    assert.deepEqual(bashOffers('gymnos li', ['gymnos', 'li'], env), ['list', 'lint']);
    assert.equal(readFileSync(marker, 'utf8'), '');
  });

  test('zsh: the candidates reach compadd with their descriptions; paths go to _files', (t: TestContext) => {
    if (!installed('zsh')) return t.skip('zsh is not installed (apt-get install zsh)');
    const driver = [
      // compinit's functions, stood in for: what the script hands them is printed.
      'compdef() { print -r -- "compdef $*" }',
      'compadd() { print -rl -- "compadd $*" "shown: ${(@P)3}" }',
      '_files() { print -r -- "_files $*" }',
      `source ${JSON.stringify(script('zsh'))}`,
      'words=("${(@)argv}"); CURRENT=$#words',
      '_gymnos',
    ].join('\n');
    const offers = (...words: string[]) => {
      const result = runChildSync('zsh', ['-f', '-c', driver, 'zsh', 'gymnos', ...words], {
        cwd: project,
        env: shellEnv(),
      });
      assert.equal(result.stderr, '');
      return result.stdout;
    };
    assert.equal(
      offers('runs', '--de'),
      'compdef _gymnos gymnos\ncompadd -l -d shown -- --desc\nshown: --desc  -- sort in descending order\n',
    );
    assert.match(offers('remove', 'tracker', ''), /^compadd -l -d shown -- my_tracker$/m);
    assert.match(offers('runs', '--metric', 'loss:'), /^compadd -l -d shown -- loss:min loss:max$/m);
    assert.match(offers('runs', ''), /^_files -\/$/m);
    assert.match(offers('report', '-o', ''), /^_files $/m);
  });

  test('fish: complete -C offers the candidates with their descriptions', (t: TestContext) => {
    if (!installed('fish')) return t.skip('fish is not installed (apt-get install fish)');
    const offers = (line: string) => {
      const command = `source ${JSON.stringify(script('fish'))}; complete -C ${JSON.stringify(line)}`;
      const result = runChildSync('fish', ['--no-config', '-c', command], { cwd: project, env: shellEnv() });
      assert.equal(result.stderr, '');
      return result.stdout;
    };
    assert.equal(offers('gymnos runs --de'), '--desc\tsort in descending order\n');
    assert.equal(offers('gymnos remove tracker '), 'my_tracker\ttrackers/my_tracker.js#MyTracker\n');
    assert.equal(offers('gymnos runs --metric loss:'), 'loss:max\nloss:min\n'); // fish sorts them
    assert.match(offers('gymnos runs lo'), /^logs\/(\t.*)?\n$/); // with fish's own description
  });
});
