/**
 * The command table: every command of the CLI, its arguments, its flags and its help, as data. main.ts builds the
 * commander program from it; docs/cli.md's synopsis and flag table of each command are generated from it
 * (`npm run docs:cli`, checked by test/cli/commands.test.ts); the tests read it too. A new command or flag is one
 * entry here. Each command's code is imported when it runs (the `run` functions), so loading this table at
 * start-up costs only its strings: bin/build.mjs makes each `import('./<command>.js')` a bundle of its own.
 */
import type { JsonDocument } from './failure.js';

export interface FlagSpec {
  /** As commander takes it: `--name <name>`, `-o, --output <file>`, `--no-cache`. */
  flags: string;
  /** The line in `--help`. */
  description: string;
  /** The meaning in docs/cli.md's flag table, when it says more than `description` (Markdown). */
  docs?: string;
  default?: string;
  choices?: readonly string[];
  /** Given more than once, the values are collected into an array. */
  repeatable?: boolean;
  /** A flag without a value that may be given more than once: its value is how many times (`--force --force`). */
  counted?: boolean;
}

export interface ArgumentSpec {
  /** `<logdir>` (required), `[kind]` (optional) or `[paths...]` (any number). */
  name: string;
  description: string;
  choices?: readonly string[];
  default?: string;
}

/** What a command's `run` is given: its arguments in the order declared, its options, its --json document. */
export interface CommandInput {
  args: unknown[];
  options: Record<string, unknown>;
  document: JsonDocument;
}

export interface CommandSpec {
  name: string;
  description: string;
  arguments: readonly ArgumentSpec[];
  flags: readonly FlagSpec[];
  /** Unknown options are passed on (to node, for `gymnos test`) instead of being a usage error. */
  passOnUnknownOptions?: boolean;
  /** What `--help` says after the options, in lines as printed: a paragraph, examples, exit codes. */
  help: { notes: readonly string[]; examples: readonly string[]; exitCodes: readonly string[] };
  /** Imports the command's module and runs it: its exit code. */
  run(input: CommandInput): Promise<number>;
}

const CWD: FlagSpec = {
  flags: '--cwd <dir>',
  description: 'run in this project directory instead of the current one',
  docs: 'the project to work in (default: the nearest directory with a package.json)',
};
const DRY_RUN: FlagSpec = { flags: '--dry-run', description: 'print the plan and write nothing' };
const RUN_PATTERN: FlagSpec = {
  flags: '--run <pattern>',
  description: 'only runs whose id matches this glob (sweep/*) or /regex/',
  docs: 'only runs whose id matches this glob (`sweep/*`) or `/regex/`',
};
const WHERE: FlagSpec = {
  flags: '--where <condition>',
  description: "only runs meeting this condition: lr=0.001, 'lr<0.01', optimizer!=sgd, status=finished (repeatable)",
  docs:
    'only runs meeting this condition (repeatable, all must hold): `key=value`, `key!=value`, `key<n`, `key<=n`, ' +
    '`key>n`, `key>=n`, `key~text`, `!condition`, on a param (`model.width`), `run`, `tracker`, `status` or ' +
    '`tag.<key>`',
  repeatable: true,
};
const LOGDIRS: ArgumentSpec = {
  name: '[logdirs...]',
  description: 'directories the runs were logged to (default: ./logs)',
};

const createNew: CommandSpec = {
  name: 'create-new',
  description: 'Create a new plugin from templates and register it',
  arguments: [{ name: '[kind]', description: 'what to create: tracker' }],
  flags: [
    {
      flags: '--name <name>',
      description: 'snake_case id of the new tracker (e.g. my_tracker)',
      docs: "the tracker's id: snake_case, `[a-z][a-z0-9_]*`, no double or edge underscores, ≤ 64",
    },
    { ...DRY_RUN, docs: 'print the plan (a CREATE / UPDATE line per file) and write nothing' },
    {
      flags: '--diff',
      description: 'with --dry-run (or alone), show the diff of every change',
      docs: 'print the diff of every change (with or without `--dry-run`)',
    },
    {
      flags: '--force',
      description: "replace this tracker's own existing files, asking before it replaces any you edited",
      docs:
        "replace this tracker's own files if it already exists (nothing else), but not those you edited since they " +
        'were generated: on a terminal it shows what you would lose and asks, elsewhere it refuses (exit 3); given ' +
        'twice, it replaces those too',
      counted: true,
    },
    {
      flags: '--overwrite-edited',
      description: 'with --force: replace the files you edited too, without asking (as --force twice)',
      docs: '`--force` that replaces the files you edited too, without asking (as `--force --force`)',
    },
    {
      flags: '--json',
      description: 'print one JSON document (inputs, changes, warnings, error) on stdout',
      docs: 'print one JSON document: `ok`, `dryRun`, `inputs`, `changes`, `edited`, `warnings`, `error`',
    },
    CWD,
    {
      flags: '--templates <dir>',
      description: 'a directory of <kind>/*.hbs templates that override the others, file by file',
      docs: 'a directory of `<kind>/*.hbs` templates that override the others, file by file',
    },
    {
      flags: '--list',
      description: 'list the kinds and where each template file comes from, and exit',
      docs: 'list the kinds and where each of their template files comes from, and exit',
    },
  ],
  help: {
    notes: [
      "Templates, file by file, the first found: --templates <dir>/<kind>/<file>, the project's",
      "templates/<kind>/<file>, then gymnos's own. Templates that are not gymnos's are checked before anything is",
      'written: a Handlebars error, or a .ts file that does not parse, is exit 2.',
    ],
    examples: [
      'gymnos create-new tracker --name my_tracker',
      'gymnos create-new tracker --name my_tracker --dry-run --diff',
      'gymnos create-new tracker --name my_tracker --json',
      'gymnos create-new tracker --name my_tracker --templates ../shared-templates',
      'gymnos create-new --list',
    ],
    exitCodes: [
      '0 ok, 1 failure (rolled back), 2 usage or validation error, 3 conflict (exists: use --force; files you',
      'edited since they were generated: --force twice), 130 cancelled prompt.',
    ],
  },
  run: async ({ args: [kind], options, document }) =>
    (await import('./create_new.js')).runCreateNew(kind as string | undefined, options, document),
};

const remove: CommandSpec = {
  name: 'remove',
  description: 'Remove a tracker create-new made: its registry entry, module, test and docs page',
  arguments: [
    { name: '<kind>', description: 'what to remove: tracker' },
    { name: '<name>', description: 'the tracker to remove (its registry name)' },
  ],
  flags: [
    { ...DRY_RUN, docs: 'print the plan (an UPDATE / DELETE line per file) and change nothing' },
    {
      flags: '--force',
      description: 'remove files edited since create-new generated them too',
      docs: 'remove the files you edited since create-new generated them too (without it: exit 3, naming them)',
    },
    {
      flags: '--json',
      description: 'print one JSON document (changes, edited files, warnings, error) on stdout',
      docs: 'print one JSON document: `ok`, `dryRun`, `inputs`, `changes`, `edited`, `warnings`, `error`',
    },
    CWD,
  ],
  help: {
    notes: [
      'The inverse of create-new, as one transaction under the registry lock: the entry in var/trackers.json, the',
      "tracker's src/trackers/<name>.ts, test/trackers/<name>.test.ts and docs/trackers/<name>.md, and its record",
      'in var/generated.json. Files edited since create-new generated them are kept (exit 3) unless --force.',
    ],
    examples: [
      'gymnos remove tracker my_tracker --dry-run',
      'gymnos remove tracker my_tracker',
      'gymnos remove tracker my_tracker --force --json',
    ],
    exitCodes: [
      '0 removed, 1 failure (rolled back), 2 usage error (not a tracker of this project, a built-in one),',
      '3 conflict (files edited since they were generated; use --force).',
    ],
  },
  run: async ({ args: [kind, name], options, document }) =>
    (await import('./remove.js')).runRemove(kind as string, name as string, options, document),
};

const init: CommandSpec = {
  name: 'init',
  description: 'Set up an npm project for tracker plugins: registry, ESLint config, scripts',
  arguments: [],
  flags: [
    DRY_RUN,
    { flags: '--json', description: 'print one JSON document (changes, warnings, error) on stdout' },
    CWD,
  ],
  help: {
    notes: [
      'Creates var/trackers.json, src/trackers/, eslint.config.js (eslint.config.mjs without "type": "module") and the',
      'tsconfig files, sets the "lint", "test", "build" and "typecheck" scripts, and adds the tools they run to',
      'devDependencies when missing (ESLint and its plugins, Prettier, TypeScript, tsx, @types/node: gymnos itself',
      'installs none of them). Existing files that already match are left alone; any that differ are never',
      'overwritten.',
    ],
    examples: ['gymnos init', 'gymnos init --dry-run', 'gymnos init --cwd packages/my-trackers --json'],
    exitCodes: [
      '0 ok (or already initialized), 1 failure (rolled back), 2 usage error (no or invalid package.json),',
      '3 conflict (a file or script exists with other content).',
    ],
  },
  run: async ({ options, document }) => (await import('./init.js')).runInit(options, document),
};

const test: CommandSpec = {
  name: 'test',
  description: "Run the project's tests (test/**/*.test.ts) through tsx on node --test",
  arguments: [{ name: '[paths...]', description: 'test files or directories under test/ (default: test/)' }],
  flags: [
    {
      flags: '--tracker <name>',
      description: "one tracker's test (test/trackers/<name>.test.ts) and the conformance kit on it",
      docs: "one tracker's test (`test/trackers/<name>.test.ts`) and the conformance kit on it",
    },
    CWD,
  ],
  passOnUnknownOptions: true,
  help: {
    notes: [
      'Any other option goes on to node, written as --option=value (e.g. --test-name-pattern=loss); one that node',
      'does not know either is a usage error.',
    ],
    examples: [
      'gymnos test',
      'gymnos test --tracker my_tracker',
      'gymnos test test/trackers/my_tracker.test.ts',
      'npm test -- --test-name-pattern=conformance',
    ],
    exitCodes: [
      '0 tests passed (or there are none yet), 1 a test failed, 2 usage error (an unknown option, a path',
      'that does not exist or is outside test/, a tracker that is not registered, tsx not installed).',
    ],
  },
  run: async ({ args: [paths], options }) => (await import('./test.js')).runTest(paths as string[], options),
};

const list: CommandSpec = {
  name: 'list',
  description: 'List registered plugins and whether each resolves',
  arguments: [{ name: '[what]', description: 'what to list', choices: ['trackers'], default: 'trackers' }],
  flags: [{ flags: '--json', description: 'print one JSON document on stdout' }, CWD],
  help: {
    notes: [
      "In a project: the built-in trackers, then the project's (its var/trackers.json), each with the file it",
      "resolves to. A project's TypeScript tracker resolves through the project's tsx when installed, else from its",
      'build (dist/). An entry named like a built-in tracker is listed as a problem.',
    ],
    examples: [
      'gymnos list trackers',
      'gymnos list trackers --json',
      'gymnos list trackers --cwd packages/my-trackers',
    ],
    exitCodes: ['0 every tracker resolves, 1 some do not, 2 the registry is not valid JSON.'],
  },
  run: async ({ options, document }) => (await import('./list.js')).runList(options, document),
};

const runs: CommandSpec = {
  name: 'runs',
  description: 'List the runs under logdirs (jsonl, csv, tensorboard) with their metrics, status and params',
  arguments: [LOGDIRS],
  flags: [
    {
      flags: '--metric <name[:mode]>',
      description: 'show the last and best value of this metric, best as min or max (loss:min, acc:max; repeatable)',
      docs: 'show the last and best value of this metric, the best in its mode: `loss:min`, `acc:max` (repeatable)',
      repeatable: true,
    },
    {
      flags: '--mode <mode>',
      description: 'what "best" means for a --metric without :min or :max',
      choices: ['min', 'max'],
      default: 'min',
    },
    {
      flags: '--sort <key>',
      description: 'sort by id, start (the default), duration, status, points, a metric (loss:min) or a param',
      docs:
        '`id`, `start` (default), `duration`, `status`, `points`, a metric by its best (`loss:min`), or a param; ' +
        "with `--group-by`, a metric by its mean, `runs`, or the groups' values (default)",
    },
    { flags: '--desc', description: 'sort in descending order' },
    { flags: '--top <n>', description: 'show the first n rows (runs, or groups with --group-by)' },
    {
      flags: '--group-by <param>',
      description: 'one row per value of these params, with the mean, std and best (repeatable, or a,b)',
      docs: "one row per combination of these params' values, with each `--metric`'s mean, std and best (repeatable)",
      repeatable: true,
    },
    {
      flags: '--params <which>',
      description: 'param columns: differing, all, none, or a comma-separated list of keys',
      default: 'differing',
    },
    RUN_PATTERN,
    WHERE,
    {
      flags: '--plot <metric>',
      description: 'draw this metric of every run as a text chart (repeatable)',
      repeatable: true,
    },
    { flags: '--json', description: 'print one JSON document on stdout' },
    {
      flags: '--no-cache',
      description: 'read every run from its start, ignoring the summary cache and the summaries trackers wrote',
    },
  ],
  help: {
    notes: [
      'A run is a directory holding events.jsonl, metrics.csv or events.out.tfevents.* files; its id is its path',
      'from the logdir. Status: finished, failed or incomplete (lines lost to a full disk) as the files record it,',
      'running-or-crashed when a tracker that records the end did not (yet), unknown for csv (and tensorboard runs',
      'without params), which record no end.',
      'Nested params are key paths (optimizer.lr). A condition is key=value, key!=value, key<n, key<=n, key>n,',
      'key>=n or key~text, on a param, run, tracker, status or tag.<key>. A metric or param no run has is exit 2.',
      'Summaries of jsonl and csv runs are cached (GYMNOS_CACHE_DIR, else ~/.cache/gymnos/runs): listing again',
      'reads only what was appended since.',
    ],
    examples: [
      'gymnos runs',
      'gymnos runs logs --metric loss:min --metric acc:max --sort loss --top 10',
      "gymnos runs logs --where 'lr<0.01' --where optimizer=adam --plot loss",
      'gymnos runs logs --metric loss --group-by lr --group-by optimizer',
      'gymnos runs logs --metric acc:max --json',
    ],
    exitCodes: [
      '0 ok, 1 no runs found (or none matches the filters) or a run file that cannot be read, 2 usage',
      'error (a bad flag, a logdir that does not exist, a metric or param no run has).',
    ],
  },
  run: async ({ args: [logdirs], options, document }) =>
    (await import('./runs.js')).runRuns(logdirs as string[], options, document),
};

const report: CommandSpec = {
  name: 'report',
  description: 'Write one self-contained HTML file comparing the runs under logdirs: charts, params, figures',
  arguments: [LOGDIRS],
  flags: [
    { flags: '-o, --output <file>', description: 'the HTML file to write', default: 'report.html' },
    { flags: '--title <text>', description: 'the page title (default: the logdirs)' },
    RUN_PATTERN,
    WHERE,
    { flags: '--json', description: 'print one JSON document (file, size, counts, warnings) on stdout' },
    {
      flags: '--no-cache',
      description: 'read every run from its start, ignoring the summaries trackers wrote (summary.json)',
    },
  ],
  help: {
    notes: [
      'The file opens from disk with no network: uPlot is inlined. The best runs by a metric you choose, the params',
      'against it (parallel coordinates you brush to filter, a scatter), one chart per metric with every run as a',
      'series or each group of runs as its mean and band (smoothing, log scale, step / relative / wall-time x axis,',
      'hover values), a run table with params side by side and the differing ones marked, and the last image and',
      'figure of each name each run logged. A filter box takes the --where conditions; the URL keeps the view.',
      'Long series are downsampled for drawing (LTTB); the tables keep the exact last, min and max.',
    ],
    examples: [
      'gymnos report',
      'gymnos report logs -o report.html',
      `gymnos report logs --run 'sweep/*' --where optimizer=adam -o sweep.html --title "lr sweep"`,
      "gymnos report logs --where 'lr<0.01' -o small-lr.html",
    ],
    exitCodes: [
      '0 written, 1 no runs found (or none matches the filters; nothing written) or a run file that',
      'cannot be read, 2 usage error (a bad flag, a logdir or output directory that does not exist, a param no',
      'run has).',
    ],
  },
  run: async ({ args: [logdirs], options }) => (await import('./report.js')).runReport(logdirs as string[], options),
};

const sync: CommandSpec = {
  name: 'sync',
  description: 'Deliver what mlflow, comet and wandb runs spooled under a logdir (server down, or offline)',
  arguments: [{ name: '[logdir]', description: 'the directory the runs were logged to (default: ./logs)' }],
  flags: [
    {
      flags: '--tracking-uri <uri>',
      description: 'the MLflow server of mlflow spools (default: MLFLOW_TRACKING_URI, else the one each run used)',
      docs: 'the MLflow server of mlflow spools (default: `MLFLOW_TRACKING_URI`, else the one each run used)',
    },
    {
      flags: '--timeout <seconds>',
      description: 'how long a run may go without progress (a server that does not answer)',
      default: '30',
    },
    {
      flags: '--request-timeout <seconds>',
      description: 'the first bound of one request; it doubles after a timeout',
      default: '10',
    },
    {
      flags: '--json',
      description: 'print one JSON document (every run: status, delivered, left in the spool) on stdout',
    },
  ],
  help: {
    notes: [
      'A spool is what a remote tracker keeps on disk while the server cannot take it (<logdir>/<run>/mlflow-spool,',
      '<logdir>/<run>/comet-spool, <logdir>/<run>/wandb-spool; a comet or wandb run logged offline keeps everything',
      'there). Each run is created on the',
      'server if it never was (tagged gymnos.run_id like a live one), then gets its metrics, params, tags, artifacts',
      'and final status in logging order. Syncing again sends nothing; an interrupted sync (Ctrl-C, SIGTERM, a',
      'kill) resumes where it stopped. Credentials: MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and',
      'MLFLOW_TRACKING_PASSWORD; COMET_API_KEY (or .comet.config), COMET_URL_OVERRIDE for a self-hosted Comet;',
      'WANDB_API_KEY (or ~/.netrc), WANDB_BASE_URL for a W&B server of your own.',
    ],
    examples: [
      'gymnos sync',
      'gymnos sync logs --tracking-uri http://127.0.0.1:5000',
      'MLFLOW_TRACKING_URI=https://mlflow.example.com gymnos sync logs --json',
    ],
    exitCodes: [
      '0 every run delivered (or already in sync, or no spool), 1 some run could not be delivered (its',
      'spool is kept), 2 usage error (a logdir that does not exist, a bad URI), 130 or 143 interrupted',
      '(SIGINT, SIGTERM).',
    ],
  },
  run: async ({ args: [logdir], options, document }) =>
    (await import('./sync.js')).runSync((logdir as string | undefined) ?? './logs', options, document),
};

const lint: CommandSpec = {
  name: 'lint',
  description: 'Check style (ESLint and Prettier at 120 columns) and the plugin contract',
  arguments: [{ name: '[paths...]', description: 'files, directories or globs to lint (default: the whole project)' }],
  flags: [
    {
      flags: '--format <format>',
      description: 'output format: stylish, json, github or sarif',
      docs: '`stylish` (default), `json`, `github` (workflow annotations) or `sarif` (2.1.0)',
      default: 'stylish',
    },
    {
      flags: '--output-file <path>',
      description: 'write the report to this file instead of stdout',
      docs: 'write the report to a file (no color) instead of stdout; a directory there is exit 2, before linting',
    },
    { flags: '--quiet', description: 'report errors only, not warnings', docs: 'report errors only' },
    {
      flags: '--max-warnings <n>',
      description: 'exit 1 when there are more than n warnings',
      docs: 'exit 1 when there are more than `n` warnings (`n` ≥ 0; leave it out for no limit)',
    },
    {
      flags: '--fix',
      description: 'write ESLint fixes, then Prettier formatting',
      docs: "apply ESLint's fixes, then write Prettier's formatting",
    },
    {
      flags: '--type-aware',
      description: "add typescript-eslint's type-checked rules (slower; needs a tsconfig)",
      docs:
        "add typescript-eslint's type-checked rules (slower; no ESLint content cache; needs the project's " +
        '`tsconfig.json`)',
    },
    {
      flags: '--no-cache',
      description: 'neither use nor write the project fingerprint and the ESLint cache',
      docs: "neither the project fingerprint nor ESLint's cache",
    },
    {
      flags: '--print-config <file>',
      description: 'print the ESLint config and Prettier options for a file, and exit',
      docs:
        'print the ESLint config and Prettier options that apply to a file, and where each setting came from ' +
        '(`sources`), and exit',
    },
    { ...CWD, docs: 'the project to lint' },
  ],
  help: {
    notes: [
      'Files: inside git, those git tracks plus untracked ones it does not ignore; elsewhere, all of them but what',
      "the tree's .gitignore files ignore.",
      'ESLint: .ts .mts .cts .js .mjs .cjs; Prettier: those and .json .md. Never dist/, coverage/, node_modules/.',
    ],
    examples: [
      'gymnos lint',
      'gymnos lint src/trackers --fix',
      'gymnos lint --format sarif --output-file lint.sarif',
      'gymnos lint --print-config src/index.ts',
    ],
    exitCodes: [
      '0 clean, 1 problems found (or more warnings than --max-warnings), 2 usage or configuration',
      'error, a tool missing from the project (ESLint, Prettier, TypeScript: gymnos init adds them), or gymnos itself',
      'failed.',
    ],
  },
  run: async ({ args: [paths], options }) => (await import('./lint.js')).runLint(paths as string[], options),
};

/**
 * The completion module: `gymnos completion` prints a shell's script, and the script's `gymnos __complete`
 * (main.ts runs it before commander: its words are a command line being typed, not options) answers each Tab.
 */
export const loadCompletion = () => import('./completion.js');
/** The hidden command the completion scripts call. */
export const COMPLETE_COMMAND = '__complete';

const completion: CommandSpec = {
  name: 'completion',
  description: 'Print the shell completion script for bash, zsh or fish',
  arguments: [{ name: '<shell>', description: 'the shell to complete in', choices: ['bash', 'zsh', 'fish'] }],
  flags: [],
  help: {
    notes: [
      "Tab then completes the commands, their flags and the values they take: tracker names from the project's",
      'registry (test --tracker, remove tracker), metric and param names from the runs under the logdirs on the',
      'line (runs --metric, --sort, --group-by; default ./logs), choices, and paths. The gymnos typed answers: one',
      'on your PATH (a global install, node_modules/.bin) itself, an alias for npx gymnos through npx --no-install.',
    ],
    examples: [
      'gymnos completion bash > ~/.local/share/bash-completion/completions/gymnos',
      'gymnos completion zsh > ~/.zfunc/_gymnos',
      'gymnos completion fish > ~/.config/fish/completions/gymnos.fish',
    ],
    exitCodes: ['0 printed, 2 usage error (a shell other than bash, zsh or fish).'],
  },
  run: async ({ args: [shell] }) => (await loadCompletion()).runCompletion(shell as string),
};

/** In the order `gymnos --help` lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  createNew,
  remove,
  init,
  test,
  list,
  runs,
  report,
  sync,
  lint,
  completion,
];

/** What `gymnos --help` says after the commands. */
export const PROGRAM_HELP = {
  description: 'Scaffold, register and lint machine-learning tracker plugins',
  examples: [
    ['gymnos init', 'set up an npm project for tracker plugins'],
    ['gymnos create-new tracker --name my_tracker', 'scaffold and register a tracker'],
    ['gymnos remove tracker my_tracker', 'remove it again (keeping files you edited)'],
    ['gymnos test', "run the project's tests"],
    ['gymnos lint', 'ESLint, Prettier and the plugin contract'],
    ['gymnos list trackers', 'what is registered, and whether it resolves'],
    ['gymnos runs logs --metric loss', 'the runs under logs/, with their last and best loss'],
    ['gymnos report logs -o report.html', 'one HTML file comparing them, charts included'],
    ['gymnos sync logs', 'deliver what mlflow, comet and wandb runs spooled (server down, or offline)'],
  ],
  footer: [
    "Run gymnos <command> --help for a command's options, examples and exit codes.",
    'Docs: docs/cli.md (commands), docs/api.md (the Tracker API), docs/plugin-project.md (your own project).',
  ],
} as const;
