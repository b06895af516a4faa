/**
 * The gymnos CLI: commander and nothing else at start-up. Each command's work is imported when the command
 * runs, so `gymnos --help` loads no template engine, prompt library or linter.
 */
import { Argument, Command, CommanderError, Option } from 'commander';
import { EXIT } from './exit_codes.js';
import { JsonDocument, reportFailure, reportUsageError } from './failure.js';
import { GYMNOS_VERSION } from './version.js';
import { isTerminal, writeStderr, writeStdout } from '../util/stdio.js';

/** Runs one command: its exit code, or whatever it throws reported in the one place failures are. */
type RunCommand = (
  options: Record<string, unknown>,
  command: (document: JsonDocument) => Promise<number>,
) => Promise<void>;

function buildProgram(setExit: (code: number) => void): Command {
  const run: RunCommand = async (options, command) => {
    const document = new JsonDocument(Boolean(options.json));
    try {
      setExit(await command(document));
    } catch (error) {
      setExit(reportFailure(error, document));
    }
  };
  const program = new Command('gymnos')
    .description('Scaffold, register and lint machine-learning tracker plugins')
    .version(GYMNOS_VERSION, '-v, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      // Through util/stdio.ts, as the commands' own output: commander would create process.stdout to ask it.
      writeOut: writeStdout,
      writeErr: writeStderr,
      getOutHelpWidth: () => (isTerminal(1) ? process.stdout.columns : 80),
      getErrHelpWidth: () => (isTerminal(2) ? process.stderr.columns : 80),
      getOutHasColors: () => isTerminal(1),
      getErrHasColors: () => isTerminal(2),
      outputError: (message, write) => write(message.replace(/^error: /, 'gymnos: ')),
    })
    .addHelpText(
      'after',
      `
Examples:
  $ gymnos init                                  set up an npm project for tracker plugins
  $ gymnos create-new tracker --name my_tracker  scaffold and register a tracker
  $ gymnos test                                  run the project's tests
  $ gymnos lint                                  ESLint, Prettier and the plugin contract
  $ gymnos list trackers                         what is registered, and whether it resolves
  $ gymnos runs logs --metric loss               the runs under logs/, with their last and best loss
  $ gymnos report logs -o report.html            one HTML file comparing them, charts included
  $ gymnos sync logs                             deliver what mlflow runs spooled while the server was down

Run gymnos <command> --help for a command's options, examples and exit codes.
Docs: docs/cli.md (commands), docs/api.md (the Tracker API), docs/plugin-project.md (your own project).`,
    );

  program
    .command('create-new')
    .description('Create a new plugin from templates and register it')
    .argument('[kind]', 'what to create: tracker')
    .option('--name <name>', 'snake_case id of the new tracker (e.g. my_tracker)')
    .option('--dry-run', 'print the plan and write nothing')
    .option('--diff', 'with --dry-run (or alone), show the diff of every change')
    .option('--force', "replace this tracker's own existing files (nothing else)")
    .option('--json', 'print one JSON document (inputs, changes, warnings, error) on stdout')
    .option('--cwd <dir>', 'run in this project directory instead of the current one')
    .option('--templates <dir>', 'a directory of <kind>/*.hbs templates that override the others, file by file')
    .option('--list', 'list the kinds and where each template file comes from, and exit')
    .addHelpText(
      'after',
      `
Templates, file by file, the first found: --templates <dir>/<kind>/<file>, the project's
templates/<kind>/<file>, then gymnos's own. Templates that are not gymnos's are checked before anything is
written: a Handlebars error, or a .ts file that does not parse, is exit 2.

Examples:
  $ gymnos create-new tracker --name my_tracker
  $ gymnos create-new tracker --name my_tracker --dry-run --diff
  $ gymnos create-new tracker --name my_tracker --json
  $ gymnos create-new tracker --name my_tracker --templates ../shared-templates
  $ gymnos create-new --list

Exit codes: 0 ok, 1 failure (rolled back), 2 usage or validation error, 3 conflict (exists; use --force),
130 cancelled prompt.`,
    )
    .action(async (kind: string | undefined, options: Record<string, unknown>) => {
      await run(options, async (document) => (await import('./create_new.js')).runCreateNew(kind, options, document));
    });

  program
    .command('init')
    .description('Set up an npm project for tracker plugins: registry, ESLint config, scripts')
    .option('--dry-run', 'print the plan and write nothing')
    .option('--json', 'print one JSON document (changes, warnings, error) on stdout')
    .option('--cwd <dir>', 'run in this project directory instead of the current one')
    .addHelpText(
      'after',
      `
Creates var/trackers.json, src/trackers/, eslint.config.js (eslint.config.mjs without "type": "module") and the
tsconfig files, sets the "lint", "test", "build" and "typecheck" scripts, and adds the tools they run to
devDependencies when missing (ESLint and its plugins, Prettier, TypeScript, tsx, @types/node: gymnos itself
installs none of them). Existing files that already match are left alone; any that differ are never overwritten.

Examples:
  $ gymnos init
  $ gymnos init --dry-run
  $ gymnos init --cwd packages/my-trackers --json

Exit codes: 0 ok (or already initialized), 1 failure (rolled back), 2 usage error (no or invalid package.json),
3 conflict (a file or script exists with other content).`,
    )
    .action(async (options: Record<string, unknown>) => {
      await run(options, async (document) => (await import('./init.js')).runInit(options, document));
    });

  program
    .command('test')
    .description("Run the project's tests (test/**/*.test.ts) through tsx on node --test")
    .argument('[paths...]', 'test files or directories under test/ (default: test/)')
    .option('--tracker <name>', "one tracker's test (test/trackers/<name>.test.ts) and the conformance kit on it")
    .option('--cwd <dir>', 'run in this project directory instead of the current one')
    .allowUnknownOption()
    .addHelpText(
      'after',
      `
Any other option goes on to node, written as --option=value (e.g. --test-name-pattern=loss); one that node
does not know either is a usage error.

Examples:
  $ gymnos test
  $ gymnos test --tracker my_tracker
  $ gymnos test test/trackers/my_tracker.test.ts
  $ npm test -- --test-name-pattern=conformance

Exit codes: 0 tests passed (or there are none yet), 1 a test failed, 2 usage error (an unknown option, a path
that does not exist or is outside test/, a tracker that is not registered, tsx not installed).`,
    )
    .action(async (args: string[], options: Record<string, unknown>) => {
      await run(options, async () => (await import('./test.js')).runTest(args, options));
    });

  program
    .command('list')
    .description('List registered plugins and whether each resolves')
    .addArgument(new Argument('[what]', 'what to list').choices(['trackers']).default('trackers'))
    .option('--json', 'print one JSON document on stdout')
    .option('--cwd <dir>', 'run in this project directory instead of the current one')
    .addHelpText(
      'after',
      `
In a project: the built-in trackers, then the project's (its var/trackers.json), each with the file it
resolves to. A project's TypeScript tracker resolves through the project's tsx when installed, else from its
build (dist/). An entry named like a built-in tracker is listed as a problem.

Examples:
  $ gymnos list trackers
  $ gymnos list trackers --json
  $ gymnos list trackers --cwd packages/my-trackers

Exit codes: 0 every tracker resolves, 1 some do not, 2 the registry is not valid JSON.`,
    )
    .action(async (_what: string, options: Record<string, unknown>) => {
      await run(options, async (document) => (await import('./list.js')).runList(options, document));
    });

  const collect = (value: string, previous: string[] = []) => [...previous, value];

  program
    .command('runs')
    .description('List the runs under logdirs (jsonl, csv, tensorboard) with their metrics, status and params')
    .argument('[logdirs...]', 'directories the runs were logged to (default: ./logs)')
    .option('--metric <name>', 'show the last and best value of this metric (repeatable)', collect)
    .addOption(new Option('--mode <mode>', 'what "best" means for the metrics').choices(['min', 'max']).default('min'))
    .option('--sort <key>', 'sort by id, start, duration, status, points or a --metric (its best)', 'start')
    .option('--desc', 'sort in descending order')
    .option('--run <pattern>', 'only runs whose id matches this glob (sweep/*) or /regex/')
    .option('--where <key=value>', 'only runs with this param value (repeatable; all must hold)', collect)
    .option('--plot <metric>', 'draw this metric of every run as a text chart (repeatable)', collect)
    .option('--json', 'print one JSON document on stdout')
    .option('--no-cache', 'read every run from its start, ignoring the summary cache and the summaries trackers wrote')
    .addHelpText(
      'after',
      `
A run is a directory holding events.jsonl, metrics.csv or events.out.tfevents.* files; its id is its path
from the logdir. Status: finished or failed as the files record it, running-or-crashed when a tracker that
records the end did not (yet), unknown for csv (and tensorboard runs without params), which record no end.
Summaries of jsonl and csv runs are cached (GYMNOS_CACHE_DIR, else ~/.cache/gymnos/runs): listing again
reads only what was appended since.

Examples:
  $ gymnos runs
  $ gymnos runs logs --metric loss --metric acc --sort loss
  $ gymnos runs logs --run 'sweep/*' --where lr=0.001 --plot loss
  $ gymnos runs logs --metric acc --mode max --json

Exit codes: 0 ok, 1 no runs found (or none matches the filters) or a run file that cannot be read, 2 usage
error (a bad flag, a logdir that does not exist).`,
    )
    .action(async (logdirs: string[], options: Record<string, unknown>) => {
      await run(options, async (document) => (await import('./runs.js')).runRuns(logdirs, options, document));
    });

  program
    .command('report')
    .description('Write one self-contained HTML file comparing the runs under logdirs: charts, params, figures')
    .argument('[logdirs...]', 'directories the runs were logged to (default: ./logs)')
    .option('-o, --output <file>', 'the HTML file to write', 'report.html')
    .option('--title <text>', 'the page title (default: the logdirs)')
    .option('--run <pattern>', 'only runs whose id matches this glob (sweep/*) or /regex/')
    .option('--where <key=value>', 'only runs with this param value (repeatable; all must hold)', collect)
    .option('--json', 'print one JSON document (file, size, counts, warnings) on stdout')
    .option('--no-cache', 'read every run from its start, ignoring the summaries trackers wrote (summary.json)')
    .addHelpText(
      'after',
      `
The file opens from disk with no network: uPlot is inlined. One chart per metric with every run as a
series (smoothing, log scale, step / relative / wall-time x axis), a run table with params side by side and
the differing ones marked, and the last image and figure of each name each run logged (PNG, SVG; Vega-Lite
and Plotly specs drawn when they are simple line, bar or point charts). Long series are downsampled for
drawing (LTTB); the tables keep the exact last, min and max.

Examples:
  $ gymnos report
  $ gymnos report logs -o report.html
  $ gymnos report logs --run 'sweep/*' --where optimizer=adam -o sweep.html --title "lr sweep"

Exit codes: 0 written, 1 no runs found (or none matches the filters; nothing written) or a run file that
cannot be read, 2 usage error (a bad flag, a logdir or output directory that does not exist).`,
    )
    .action(async (logdirs: string[], options: Record<string, unknown>) => {
      await run(options, async () => (await import('./report.js')).runReport(logdirs, options));
    });

  program
    .command('sync')
    .description('Deliver what mlflow runs spooled under a logdir while the server was down')
    .argument('<logdir>', 'the directory the runs were logged to')
    .option('--tracking-uri <uri>', 'the MLflow server (default: MLFLOW_TRACKING_URI, else the one each run used)')
    .option('--timeout <seconds>', 'how long to wait for a server that does not answer, per run', '30')
    .option('--json', 'print one JSON document (every run: status, delivered, left in the spool) on stdout')
    .addHelpText(
      'after',
      `
A spool is what the mlflow tracker keeps on disk while the server cannot take it (<logdir>/<run>/mlflow-spool).
Each run is created on the server if it never was (tagged gymnos.run_id like a live one), then gets its
metrics, params, tags, artifacts and final status in logging order. Syncing again sends nothing; an
interrupted sync (Ctrl-C, SIGTERM, a kill) resumes where it stopped. Credentials: MLFLOW_TRACKING_TOKEN, or
MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD.

Examples:
  $ gymnos sync logs
  $ gymnos sync logs --tracking-uri http://127.0.0.1:5000
  $ MLFLOW_TRACKING_URI=https://mlflow.example.com gymnos sync logs --json

Exit codes: 0 every run delivered (or already in sync, or no spool), 1 some run could not be delivered (its
spool is kept), 2 usage error (a logdir that does not exist, a bad URI), 130 or 143 interrupted (SIGINT, SIGTERM).`,
    )
    .action(async (logdir: string, options: Record<string, unknown>) => {
      await run(options, async (document) => (await import('./sync.js')).runSync(logdir, options, document));
    });

  program
    .command('lint')
    .description('Check style (ESLint and Prettier at 120 columns) and the plugin contract')
    .argument('[paths...]', 'files, directories or globs to lint (default: the whole project)')
    .option('--format <format>', 'output format: stylish, json, github or sarif', 'stylish')
    .option('--output-file <path>', 'write the report to this file instead of stdout')
    .option('--quiet', 'report errors only, not warnings')
    .option('--max-warnings <n>', 'exit 1 when there are more than n warnings')
    .option('--fix', 'write ESLint fixes, then Prettier formatting')
    .option('--type-aware', "add typescript-eslint's type-checked rules (slower; needs a tsconfig)")
    .option('--no-cache', 'neither use nor write the project fingerprint and the ESLint cache')
    .option('--print-config <file>', 'print the ESLint config and Prettier options for a file, and exit')
    .option('--cwd <dir>', 'run in this project directory instead of the current one')
    .addHelpText(
      'after',
      `
Files: inside git, those git tracks plus untracked ones it does not ignore; elsewhere, all of them.
ESLint: .ts .mts .cts .js .mjs .cjs; Prettier: those and .json .md. Never dist/, coverage/, node_modules/.

Examples:
  $ gymnos lint
  $ gymnos lint src/trackers --fix
  $ gymnos lint --format sarif --output-file lint.sarif
  $ gymnos lint --print-config src/index.ts

Exit codes: 0 clean, 1 problems found (or more warnings than --max-warnings), 2 usage or configuration
error, a tool missing from the project (ESLint, Prettier, TypeScript: gymnos init adds them), or gymnos itself
failed.`,
    )
    .action(async (paths: string[], options: Record<string, unknown>) => {
      await run(options, async () => (await import('./lint.js')).runLint(paths, options));
    });

  return program;
}

/** Runs the CLI with `argv` (without node and the script) and returns the exit code. */
export async function main(argv: string[]): Promise<number> {
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
