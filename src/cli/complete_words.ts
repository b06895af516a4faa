/**
 * What a shell offers on Tab after `gymnos <words>`: the commands, a command's flags, a flag's or an argument's
 * values, all read from the command table (commands.ts), so a new command or flag completes without a change
 * here. Values that depend on the project come from it: tracker names from its registry (`test --tracker`,
 * `remove tracker`), metric and param names from the runs under the logdirs on the line (`runs --metric`).
 * Paths are left to the shell, which knows how to complete them (`files`, `dirs`).
 */
import path from 'node:path';
import { isGymnosError } from '../errors.js';
import { readCatalog } from '../registry/project.js';
import { listRuns } from '../runs/parallel.js';
import { flattenParams } from '../runs/param_paths.js';
import { defaultCacheDir } from '../runs/summary_cache.js';
import { COMMANDS } from './commands.js';
import type { ArgumentSpec, CommandSpec, FlagSpec } from './commands.js';

/** A candidate and what it is (shown by zsh and fish beside it). */
export interface Candidate {
  value: string;
  description?: string;
}

/** `words`: candidates for the word being typed; `files` or `dirs`: the shell completes a path. */
export type Completion = { kind: 'words'; candidates: Candidate[] } | { kind: 'files' | 'dirs' };

/** What the rest of the line says, for values that depend on it (the project, the logdirs). */
interface LineContext {
  command: CommandSpec;
  /** Each flag given before the word, by its long name, with its values. */
  flags: Map<string, string[]>;
  positionals: string[];
}

type ValueSource = 'files' | 'dirs' | ((line: LineContext, typed: string) => Promise<Candidate[]>);

const RUN_SORT_KEYS = ['id', 'start', 'duration', 'status', 'points'];
const LINT_FORMATS = ['stylish', 'json', 'github', 'sarif'];
const PARAM_COLUMNS = ['differing', 'all', 'none'];
const MODES = ['min', 'max'];

/** The values of flags whose table entry has no `choices`, by `<command> <long flag>`; else by placeholder. */
const FLAG_VALUES: Record<string, ValueSource> = {
  'test --tracker': async (line) => trackerNames(line, 'any'),
  'runs --metric': async (line, typed) => metricsWithModes(await runNames(line, 'metrics'), typed),
  'runs --plot': async (line) => words(await runNames(line, 'metrics')),
  'runs --sort': async (line, typed) => [
    ...words(RUN_SORT_KEYS),
    ...metricsWithModes(await runNames(line, 'metrics'), typed),
    ...words(await runNames(line, 'params')),
  ],
  'runs --group-by': async (line) => words(await runNames(line, 'params')),
  'runs --params': async (line) => [...words(PARAM_COLUMNS), ...words(await runNames(line, 'params'))],
  'lint --format': async () => words(LINT_FORMATS),
};
const PLACEHOLDER_VALUES: Record<string, ValueSource> = { dir: 'dirs', file: 'files', path: 'files' };

/** The values of positional arguments without `choices`, by `<command> <argument>`; else by its name. */
const ARGUMENT_VALUES: Record<string, ValueSource> = {
  'remove <name>': async (line) => trackerNames(line, 'project'),
  kind: async () => words(['tracker']),
  logdirs: 'dirs',
  logdir: 'dirs',
  paths: 'files',
};

function words(values: readonly string[]): Candidate[] {
  return values.map((value) => ({ value }));
}

/** `-o, --output <file>` → names `-o`, `--output`; the placeholder `file`, when it takes a value. */
function flagParts(flag: FlagSpec): { names: string[]; long: string; placeholder: string | undefined } {
  const [names = '', placeholder] = flag.flags.split(/\s+(?=[<[])/);
  const all = names.split(/,\s*/);
  return { names: all, long: all.at(-1)!, placeholder: placeholder?.replace(/^[<[]|[>\]]$/g, '') };
}

/** `[logdirs...]` → `logdirs`. */
function argumentName(argument: ArgumentSpec): string {
  return argument.name.replace(/^[<[]|\.{3}|[>\]]$/g, '').replace(/\.{3}$/, '');
}

function isVariadic(argument: ArgumentSpec): boolean {
  return argument.name.includes('...');
}

/** Reads the words before the one typed: which flags are given (with values) and the positional arguments. */
function readLine(command: CommandSpec, before: readonly string[]): LineContext & { pending: FlagSpec | undefined } {
  const flags = new Map<string, string[]>();
  const positionals: string[] = [];
  let pending: FlagSpec | undefined;
  let afterDashes = false;
  for (const word of before) {
    if (pending) {
      const { long } = flagParts(pending);
      flags.set(long, [...(flags.get(long) ?? []), word]);
      pending = undefined;
    } else if (afterDashes || !word.startsWith('-') || word === '-') {
      positionals.push(word);
    } else if (word === '--') {
      afterDashes = true;
    } else {
      const [name, value] = splitAssignment(word);
      const flag = findFlag(command, name);
      if (!flag) continue;
      const { long, placeholder } = flagParts(flag);
      if (placeholder === undefined) flags.set(long, [...(flags.get(long) ?? []), '']);
      else if (value !== undefined) flags.set(long, [...(flags.get(long) ?? []), value]);
      else pending = flag;
    }
  }
  return { command, flags, positionals, pending };
}

/** `--metric=loss` → [`--metric`, `loss`]. */
function splitAssignment(word: string): [string, string | undefined] {
  const at = word.indexOf('=');
  return word.startsWith('--') && at > 0 ? [word.slice(0, at), word.slice(at + 1)] : [word, undefined];
}

function findFlag(command: CommandSpec, name: string): FlagSpec | undefined {
  return command.flags.find((flag) => flagParts(flag).names.includes(name));
}

/** The candidates that start with what is typed, each once. */
function matching(candidates: Candidate[], typed: string): Completion {
  const seen = new Set<string>();
  const kept = candidates.filter(({ value }) => value.startsWith(typed) && !seen.has(value) && seen.add(value));
  return { kind: 'words', candidates: kept };
}

async function valuesOf(source: ValueSource, line: LineContext, typed: string): Promise<Completion> {
  if (typeof source === 'string') return { kind: source };
  return matching(await source(line, typed), typed);
}

async function flagValues(line: LineContext, flag: FlagSpec, typed: string): Promise<Completion> {
  if (flag.choices) return matching(words(flag.choices), typed);
  const { long, placeholder } = flagParts(flag);
  const source = FLAG_VALUES[`${line.command.name} ${long}`] ?? PLACEHOLDER_VALUES[placeholder ?? ''];
  return source ? valuesOf(source, line, typed) : { kind: 'words', candidates: [] };
}

function flagCandidates(line: LineContext, typed: string): Completion {
  const candidates: Candidate[] = [];
  for (const flag of line.command.flags) {
    const { long } = flagParts(flag);
    // A flag given already is offered again only when it may be repeated (--where, --metric, --force twice).
    if (line.flags.has(long) && !flag.repeatable && !flag.counted) continue;
    candidates.push({ value: long, description: flag.description });
  }
  candidates.push({ value: '--help', description: 'show the options, examples and exit codes' });
  return matching(candidates, typed);
}

async function argumentValues(line: LineContext, typed: string): Promise<Completion> {
  const { arguments: declared } = line.command;
  const index = line.positionals.length;
  const argument =
    declared[index] ?? (declared.length > 0 && isVariadic(declared.at(-1)!) ? declared.at(-1) : undefined);
  if (!argument) return { kind: 'words', candidates: [] };
  if (argument.choices) return matching(words(argument.choices), typed);
  const name = argumentName(argument);
  const source = ARGUMENT_VALUES[`${line.command.name} <${name}>`] ?? ARGUMENT_VALUES[name];
  return source ? valuesOf(source, line, typed) : { kind: 'words', candidates: [] };
}

/**
 * The completion of the last of `words` (the words after `gymnos`, the last one being typed, possibly empty).
 * A value after `--flag=` is completed with its `--flag=` in front, as the shells replace the whole word.
 */
export async function completeWords(words: readonly string[]): Promise<Completion> {
  const typed = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  if (before.length === 0) {
    const commands = COMMANDS.map(({ name, description }) => ({ value: name, description }));
    const global = [
      { value: '--help', description: 'show the commands and examples' },
      { value: '--version', description: "print gymnos's version" },
    ];
    return matching(typed.startsWith('-') ? global : commands, typed);
  }
  const command = COMMANDS.find(({ name }) => name === before[0]);
  if (!command) return { kind: 'words', candidates: [] };
  const line = readLine(command, before.slice(1));
  if (line.pending) return flagValues(line, line.pending, typed);
  if (line.positionals.includes('--') || !typed.startsWith('-')) return argumentValues(line, typed);
  const [name, value] = splitAssignment(typed);
  const flag = value === undefined ? undefined : findFlag(command, name);
  if (!flag || value === undefined) return flagCandidates(line, typed);
  const values = await flagValues(line, flag, value);
  if (values.kind !== 'words') return values;
  return { kind: 'words', candidates: values.candidates.map((c) => ({ ...c, value: `${name}=${c.value}` })) };
}

/** The project's directory: `--cwd` on the line (from the shell's directory), else the shell's directory. */
function projectRoot(line: LineContext): string | undefined {
  const given = line.flags.get('--cwd')?.at(-1);
  return given === undefined ? undefined : path.resolve(given);
}

/** Registered tracker names: every one `load` sees (`any`), or only the project's own (`project`). */
function trackerNames(line: LineContext, which: 'any' | 'project'): Candidate[] {
  try {
    const catalog = readCatalog({ root: projectRoot(line) });
    // Outside any project the catalog is gymnos's own checkout, whose trackers `remove` does not touch from here.
    if (which === 'project' && catalog.searchedFrom !== undefined) return [];
    return [...catalog.entries.values()]
      .filter(({ source }) => which === 'any' || source === 'project')
      .map(({ entry, source }) => ({
        value: entry.name,
        description: source === 'builtin' ? 'built-in' : entry.target,
      }));
  } catch (error) {
    // A registry that is not JSON: nothing to offer (`gymnos list` says what is wrong with it).
    if (isGymnosError(error)) return [];
    throw error;
  }
}

/** The metric names, or the param key paths, of the runs under the logdirs on the line (default ./logs). */
async function runNames(line: LineContext, what: 'metrics' | 'params'): Promise<string[]> {
  const logdirs = line.positionals.length > 0 ? line.positionals : ['./logs'];
  try {
    const runs = await listRuns({ logdirs, cacheDir: defaultCacheDir(), threads: 1 });
    const names = new Set<string>();
    for (const { summary } of runs) {
      const keys = what === 'metrics' ? Object.keys(summary.metrics) : Object.keys(flattenParams(summary.params));
      for (const key of keys) names.add(key);
    }
    return [...names].sort();
  } catch (error) {
    // A logdir that does not exist (yet), or a run that cannot be read: nothing to offer (`gymnos runs` says why).
    if (isGymnosError(error)) return [];
    throw error;
  }
}

/** Metric names, and once one is typed in full with its colon, the name with each mode (`loss:min`). */
function metricsWithModes(metrics: readonly string[], typed: string): Candidate[] {
  const colon = typed.lastIndexOf(':');
  const named = colon > 0 ? typed.slice(0, colon) : undefined;
  const withModes = named !== undefined && metrics.includes(named) ? MODES.map((mode) => `${named}:${mode}`) : [];
  return [...words(metrics), ...words(withModes)];
}
