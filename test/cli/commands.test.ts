/**
 * The command table (src/cli/commands.ts) is the one source of the commands and their flags: the program main.ts
 * builds, `--help`, and docs/cli.md's synopses and flag tables all say what it says.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { COMMANDS } from '../../src/cli/commands.js';
import { CLI_DOCS, documentedCommands, renderCliDocs } from '../helpers/cli_docs.js';
import { gymnosInProcess } from '../helpers/in_process.js';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'gymnos-commands-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The long name of a flag: `--output` for `-o, --output <file>`. */
const longName = (flags: string) => flags.match(/--[a-z-]+/)![0];

describe('the command table', () => {
  test('docs/cli.md holds each command synopsis and flag table as the table renders them (npm run docs:cli)', () => {
    const markdown = readFileSync(CLI_DOCS, 'utf8');
    const names = COMMANDS.map((command) => command.name).sort();
    const { usage, flags } = documentedCommands(markdown);
    assert.deepEqual(
      { usage: usage.sort(), flags: flags.sort() },
      { usage: names, flags: names },
      'one of each per command',
    );
    assert.equal(renderCliDocs(markdown), markdown, 'docs/cli.md is stale: run npm run docs:cli');
  });

  test('--help lists the commands; a command --help, its arguments, flags, examples and exit codes', async () => {
    const root = await gymnosInProcess(['--help'], { cwd: scratch });
    assert.equal(root.status, 0);
    for (const command of COMMANDS) assert.match(root.stdout, new RegExp(`^  ${command.name} `, 'm'));
    for (const command of COMMANDS) {
      const help = await gymnosInProcess([command.name, '--help'], { cwd: scratch });
      assert.equal(help.status, 0, help.stderr);
      const usage = `Usage: gymnos ${command.name} [options]${command.arguments.map((a) => ` ${a.name}`).join('')}`;
      assert.ok(help.stdout.startsWith(usage), `${command.name}: ${help.stdout.split('\n')[0]}`);
      for (const flag of command.flags) {
        assert.match(help.stdout, new RegExp(`^  ${flag.flags.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} `, 'm'));
      }
      for (const example of command.help.examples) assert.ok(help.stdout.includes(`  $ ${example}\n`), example);
      assert.ok(help.stdout.includes(`Exit codes: ${command.help.exitCodes.join('\n')}`), command.name);
    }
  });

  test('every command refuses an option it does not declare (exit 2, one line), before doing any work', async () => {
    for (const command of COMMANDS.filter((spec) => !spec.passOnUnknownOptions)) {
      const result = await gymnosInProcess([command.name, '--no-such-flag'], { cwd: scratch });
      assert.equal(result.status, 2, `${command.name}: ${result.stderr}`);
      assert.equal(result.stderr, "gymnos: unknown option '--no-such-flag'\n");
      const declared = command.flags.map((flag) => longName(flag.flags));
      assert.equal(new Set(declared).size, declared.length, `${command.name} declares a flag twice`);
    }
  });
});
