/**
 * The gymnos CLI: commander and the command table (commands.ts) and nothing else at start-up; the program is
 * built from the table. Each command's work is imported when the command runs, so `gymnos --help` loads no
 * template engine, prompt library or linter.
 */
import { Argument, Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { closestName } from '../util/closest.js';
import { COMMANDS, COMPLETE_COMMAND, loadCompletion, PROGRAM_HELP } from './commands.js';
import type { CommandInput, CommandSpec } from './commands.js';
import { EXIT } from './exit_codes.js';
import { JsonDocument, reportFailure, reportUsageError } from './failure.js';
import { GYMNOS_VERSION } from './version.js';
import { isTerminal, writeStderr, writeStdout } from './stdio.js';

/** The text `--help` shows after a command's options. */
function helpAfterOptions({ notes, examples, exitCodes }: CommandSpec['help']): string {
  const exampleLines = examples.map((example) => `  $ ${example}`);
  return ['', ...notes, '', 'Examples:', ...exampleLines, '', `Exit codes: ${exitCodes.join('\n')}`].join('\n');
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/**
 * A value from `choices`, as commander's own choices() checks it, but a typo is answered with the choice meant
 * (`gymnos list tracker`: did you mean "trackers"?). commander keeps the choices for --help.
 */
function oneOf(choices: readonly string[]) {
  return (value: string) => {
    if (choices.includes(value)) return value;
    const guess = closestName(value, choices);
    throw new InvalidArgumentError(
      `Allowed choices are ${choices.join(', ')}${guess ? `; did you mean ${JSON.stringify(guess)}?` : '.'}`,
    );
  };
}
const count = (_value: unknown, previous: unknown) => (typeof previous === 'number' ? previous : 0) + 1;

/** What a parsed command line does: by default, what the command table says it runs. */
type Runner = (spec: CommandSpec, input: CommandInput) => Promise<number>;
const runSpec: Runner = (spec, input) => spec.run(input);

function addCommand(program: Command, spec: CommandSpec, setExit: (code: number) => void, runner: Runner): void {
  const command = program.command(spec.name).description(spec.description);
  for (const { name, description, choices, default: value } of spec.arguments) {
    const argument = new Argument(name, description);
    if (choices) argument.choices(choices).argParser(oneOf(choices));
    if (value !== undefined) argument.default(value);
    command.addArgument(argument);
  }
  for (const { flags, description, choices, default: value, repeatable, counted } of spec.flags) {
    const option = new Option(flags, description);
    if (choices) option.choices(choices).argParser(oneOf(choices));
    if (value !== undefined) option.default(value);
    if (repeatable) option.argParser(collect);
    if (counted) option.argParser(count);
    command.addOption(option);
  }
  if (spec.passOnUnknownOptions) command.allowUnknownOption();
  command.addHelpText('after', helpAfterOptions(spec.help));
  // commander calls the action with the declared arguments, then the options and the command.
  command.action(async (...values: unknown[]) => {
    const args = values.slice(0, spec.arguments.length);
    const options = values[spec.arguments.length] as Record<string, unknown>;
    const document = new JsonDocument(Boolean(options.json));
    try {
      setExit(await runner(spec, { args, options, document }));
    } catch (error) {
      setExit(reportFailure(error, document));
    }
  });
}

function buildProgram(setExit: (code: number) => void, runner: Runner = runSpec, quiet = false): Command {
  const width = Math.max(...PROGRAM_HELP.examples.map(([example]) => example.length));
  const examples = PROGRAM_HELP.examples.map(([example, what]) => `  $ ${example.padEnd(width)}  ${what}`);
  const program = new Command('gymnos')
    .description(PROGRAM_HELP.description)
    .version(GYMNOS_VERSION, '-v, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      // Through stdio.ts, as the commands' own output: commander would create process.stdout to ask it.
      writeOut: quiet ? () => undefined : writeStdout,
      writeErr: quiet ? () => undefined : writeStderr,
      getOutHelpWidth: () => (isTerminal(1) ? process.stdout.columns : 80),
      getErrHelpWidth: () => (isTerminal(2) ? process.stderr.columns : 80),
      getOutHasColors: () => isTerminal(1),
      getErrHasColors: () => isTerminal(2),
      outputError: (message, write) => write(message.replace(/^error: /, 'gymnos: ')),
    })
    .addHelpText('after', ['', 'Examples:', ...examples, '', ...PROGRAM_HELP.footer].join('\n'));
  for (const spec of COMMANDS) addCommand(program, spec, setExit, runner);
  return program;
}

/**
 * Whether `argv` is a command line the CLI accepts (a command, its arguments and flags as the table declares
 * them), without running anything or printing: commander's usage error, or undefined. The docs' tests check every
 * `npx gymnos ...` line of the docs with it.
 */
export async function usageError(argv: string[]): Promise<string | undefined> {
  const program = buildProgram(
    () => undefined,
    async () => EXIT.ok,
    true,
  );
  try {
    await program.parseAsync(argv, { from: 'user' });
    return undefined;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? undefined : error.message;
    throw error;
  }
}

/** Runs the CLI with `argv` (without node and the script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  if (argv[0] === COMPLETE_COMMAND) return (await loadCompletion()).runComplete(argv.slice(1));
  let exitCode: number = EXIT.ok;
  const program = buildProgram((code) => (exitCode = code));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit 0; any other commander error is a usage error, already printed on stderr.
      if (error.exitCode === 0) return EXIT.ok;
      return reportUsageError(error.message.replace(/^error: /, ''), argv.includes('--json'));
    }
    return reportFailure(error, new JsonDocument(argv.includes('--json')));
  }
}
