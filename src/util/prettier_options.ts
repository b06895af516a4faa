/**
 * The Prettier options gymnos formats and checks a file with. Where the project has a Prettier configuration (a
 * config file Prettier finds from the file's directory up, package.json's "prettier" key included, or an
 * .editorconfig that Prettier reads options from), exactly what `prettier.resolveConfig` gives for the file, with
 * Prettier's own defaults for whatever it does not set: what `prettier --check` and the editor use. gymnos's own
 * style (single quotes, 120 columns) applies only where Prettier finds no configuration at all.
 *
 * `resolvePrettierOptions` is that rule, with Prettier loaded: the lint's Prettier worker, create-new's and init's
 * formatting and `--print-config` all call it. `projectPrettierOptions` reads the same configuration without
 * Prettier, for what must be decided synchronously or cheaply: the print width gymnos's ESLint config holds lines to
 * (an ESLint config, which editors load too, is built synchronously) and whether create-new's templates need
 * formatting at all. It finds what Prettier finds (the same files in the same order, from the project root up,
 * .editorconfig files up to the repository root); JSON configs and the JavaScript ones Node can require are read
 * exactly, the rest (YAML, TOML, TypeScript, a shared config package, an .editorconfig) approximately, and says so.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';
import { readTextIfPresent } from './read_text.js';

/** gymnos's line length where the project has no Prettier configuration: ESLint and Prettier hold lines to it. */
export const GYMNOS_PRINT_WIDTH = 120;

/** gymnos's style, where the project has no Prettier configuration: what the templates are written in. */
export const GYMNOS_PRETTIER_STYLE: Readonly<Record<string, unknown>> = {
  singleQuote: true,
  printWidth: GYMNOS_PRINT_WIDTH,
};

/** Prettier 3's own defaults, for the options a configuration may leave out. */
export const PRETTIER_OWN_DEFAULTS: Readonly<Record<string, unknown>> = {
  printWidth: 80,
  singleQuote: false,
  semi: true,
  tabWidth: 2,
  useTabs: false,
  trailingComma: 'all',
  bracketSpacing: true,
  bracketSameLine: false,
  arrowParens: 'always',
  quoteProps: 'as-needed',
  jsxSingleQuote: false,
  proseWrap: 'preserve',
  endOfLine: 'lf',
  objectWrap: 'preserve',
  embeddedLanguageFormatting: 'auto',
  singleAttributePerLine: false,
  experimentalTernaries: false,
  experimentalOperatorPosition: 'end',
};

/**
 * The options Prettier formats `file` with in gymnos: the project's configuration exactly as Prettier resolves it
 * for that file, or gymnos's style where Prettier finds none. Takes the loaded Prettier.
 */
export async function resolvePrettierOptions(
  prettier: Pick<typeof import('prettier'), 'resolveConfig'>,
  file: string,
): Promise<Record<string, unknown>> {
  return (await prettier.resolveConfig(file, { editorconfig: true })) ?? { ...GYMNOS_PRETTIER_STYLE };
}

/** The project's Prettier configuration at its root, as read without Prettier (see the module comment). */
export interface ProjectPrettierOptions {
  /** Prettier finds a configuration: its options apply, over Prettier's defaults; else gymnos's style does. */
  configured: boolean;
  /** The options the configuration sets at the root (.editorconfig's under the config file's), or gymnos's style. */
  options: Record<string, unknown>;
  /** The config file has `overrides` (per-file options, which only Prettier itself resolves). */
  overrides: boolean;
  /** Some of it could not be read exactly here (see the module comment): only Prettier can say what it gives. */
  approximate: boolean;
  /** option -> the file that set it (relative to the root), or 'gymnos' for gymnos's style. */
  sources: Record<string, string>;
  /** The config file Prettier finds from the root, relative to it (`../.prettierrc.json` in a monorepo). */
  configFile: string | undefined;
}

/** The names Prettier 3 looks for in each directory, in its order; package.json and package.yaml need a key. */
const CONFIG_FILES = [
  'package.json',
  'package.yaml',
  '.prettierrc',
  '.prettierrc.json',
  '.prettierrc.yml',
  '.prettierrc.yaml',
  '.prettierrc.json5',
  '.prettierrc.js',
  'prettier.config.js',
  '.prettierrc.ts',
  'prettier.config.ts',
  '.prettierrc.mjs',
  'prettier.config.mjs',
  '.prettierrc.mts',
  'prettier.config.mts',
  '.prettierrc.cjs',
  'prettier.config.cjs',
  '.prettierrc.cts',
  'prettier.config.cts',
  '.prettierrc.toml',
];

/** `key: value` lines of a flat YAML or TOML document (what a Prettier config is in practice). */
function flatKeyValues(text: string, separator: ':' | '='): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = new RegExp(`^\\s*([A-Za-z]+)\\s*${separator}\\s*(.+?)\\s*$`).exec(line.replace(/\s#.*$/, ''));
    if (!match) continue;
    const raw = match[2]!.replace(/^(['"])(.*)\1$/, '$2');
    options[match[1]!] = raw === 'true' ? true : raw === 'false' ? false : /^\d+$/.test(raw) ? Number(raw) : raw;
  }
  return options;
}

interface FoundConfig {
  file: string;
  options: Record<string, unknown>;
  exact: boolean;
}

/** The config in `file` if it is one (package.json and package.yaml only with a "prettier" key). */
function readConfig(file: string): FoundConfig | undefined {
  const name = path.basename(file);
  const text = readTextIfPresent(file);
  if (text === undefined) return undefined;
  if (name === 'package.json') {
    const prettier = (parseJsonc(text) as { prettier?: unknown } | undefined)?.prettier;
    if (prettier === undefined) return undefined;
    // A string names a shared config package, which Prettier loads.
    if (typeof prettier !== 'object' || prettier === null) return { file, options: {}, exact: false };
    return { file, options: prettier as Record<string, unknown>, exact: true };
  }
  if (name === 'package.yaml') {
    return /^prettier\s*:/m.test(text) ? { file, options: {}, exact: false } : undefined;
  }
  if (/\.[cm]?js$/.test(name)) {
    try {
      const loaded = createRequire(file)(file) as { default?: unknown } | Record<string, unknown>;
      const value = (loaded as { default?: unknown }).default ?? loaded;
      const options = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
      return { file, options, exact: true };
    } catch {
      // A config that does not load here (top-level await, an error of its own): Prettier loads it, or says why.
      return { file, options: {}, exact: false };
    }
  }
  if (/\.[cm]?ts$/.test(name)) return { file, options: {}, exact: false };
  if (name.endsWith('.toml')) return { file, options: flatKeyValues(text, '='), exact: false };
  if (name.endsWith('.yaml') || name.endsWith('.yml')) return { file, options: flatKeyValues(text, ':'), exact: false };
  const json = parseJsonc(text) as unknown;
  if (typeof json === 'object' && json !== null) return { file, options: json as Record<string, unknown>, exact: true };
  return { file, options: flatKeyValues(text, ':'), exact: false }; // .prettierrc in YAML
}

/** Every directory from `start` up to the filesystem root. */
function directoriesUp(start: string): string[] {
  const directories = [path.resolve(start)];
  for (let parent = path.dirname(directories[0]!); parent !== directories.at(-1); parent = path.dirname(parent)) {
    directories.push(parent);
  }
  return directories;
}

/** The config file Prettier finds from `directory` up: the first name of its list, nearest directory first. */
function findConfig(directory: string): FoundConfig | undefined {
  for (const dir of directoriesUp(directory)) {
    for (const name of CONFIG_FILES) {
      const found = readConfig(path.join(dir, name));
      if (found) return found;
    }
  }
  return undefined;
}

/** An EditorConfig section glob as a regular expression over a path relative to its file's directory. */
function sectionPattern(glob: string): RegExp {
  let source = '';
  for (let index = 0; index < glob.length; index++) {
    const char = glob[index]!;
    if (char === '*' && glob[index + 1] === '*') {
      source += '.*';
      index++;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else if (char === '{') {
      const end = glob.indexOf('}', index);
      if (end < 0) source += '\\{';
      else {
        source += `(?:${glob
          .slice(index + 1, end)
          .split(',')
          .map((part) => part.replace(/[.+^$()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
          .join('|')})`;
        index = end;
      }
    } else source += char.replace(/[.+^$()|[\]\\]/g, '\\$&');
  }
  return glob.includes('/') ? new RegExp(`^${source.replace(/^\//, '')}$`) : new RegExp(`(?:^|/)${source}$`);
}

/**
 * What the .editorconfig files give `file` (Prettier's mapping: max_line_length, indent_style, indent_size,
 * tab_width, quote_type, end_of_line), read from the repository root (a directory with .git or .hg) or the first
 * `root = true` down to the file's directory, nearer files winning; and which files they were.
 */
function editorconfigOptions(file: string): { options: Record<string, unknown>; files: string[] } {
  const found: string[] = [];
  for (const dir of directoriesUp(path.dirname(file))) {
    const candidate = path.join(dir, '.editorconfig');
    const text = readTextIfPresent(candidate);
    if (text !== undefined) {
      found.push(candidate);
      if (/^\s*root\s*=\s*true\s*$/im.test(text.split(/^\s*\[/m)[0]!)) break;
    }
    if (existsSync(path.join(dir, '.git')) || existsSync(path.join(dir, '.hg'))) break;
  }
  const properties: Record<string, string> = {};
  for (const candidate of [...found].reverse()) {
    const relative = path.relative(path.dirname(candidate), file).split(path.sep).join('/');
    let applies = false;
    for (const line of readTextIfPresent(candidate)!.split(/\r?\n/)) {
      const section = /^\s*\[(.*)\]\s*$/.exec(line);
      if (section) applies = sectionPattern(section[1]!).test(relative);
      const property = applies ? /^\s*([a-z_]+)\s*=\s*(\S+)\s*$/i.exec(line) : null;
      if (property) properties[property[1]!.toLowerCase()] = property[2]!.toLowerCase();
    }
  }
  const options: Record<string, unknown> = {};
  const positive = (value: string | undefined) => (value && /^[1-9]\d*$/.test(value) ? Number(value) : undefined);
  if (properties.indent_style === 'space') options.useTabs = false;
  else if (properties.indent_style === 'tab' || properties.indent_size === 'tab') options.useTabs = true;
  const indentSize = positive(properties.indent_size);
  const tabWidth = options.useTabs === false && indentSize ? indentSize : positive(properties.tab_width);
  if (tabWidth) options.tabWidth = tabWidth;
  if (properties.max_line_length === 'off') options.printWidth = Number.POSITIVE_INFINITY;
  else if (positive(properties.max_line_length)) options.printWidth = positive(properties.max_line_length);
  if (properties.quote_type === 'single') options.singleQuote = true;
  else if (properties.quote_type === 'double') options.singleQuote = false;
  if (['lf', 'crlf', 'cr'].includes(properties.end_of_line ?? '')) options.endOfLine = properties.end_of_line;
  return { options, files: found };
}

/**
 * The project's Prettier configuration at `root`, read without Prettier, for a TypeScript source file under it
 * (`src/index.ts`, whether or not it exists): what applies, whether it is the project's or gymnos's style, and
 * where each option came from.
 */
export function projectPrettierOptions(root: string): ProjectPrettierOptions {
  const config = findConfig(root);
  const editorconfig = editorconfigOptions(path.join(root, 'src', 'index.ts'));
  const fromEditorconfig = Object.keys(editorconfig.options).length > 0;
  if (!config && !fromEditorconfig) {
    const sources = Object.fromEntries(Object.keys(GYMNOS_PRETTIER_STYLE).map((key) => [key, 'gymnos']));
    const options = { ...GYMNOS_PRETTIER_STYLE };
    return { configured: false, options, overrides: false, approximate: false, sources, configFile: undefined };
  }
  const relative = (file: string) => path.relative(root, file).split(path.sep).join('/');
  const options: Record<string, unknown> = {};
  const sources: Record<string, string> = {};
  for (const [key, value] of Object.entries(editorconfig.options)) {
    options[key] = value;
    sources[key] = relative(editorconfig.files[0]!);
  }
  const { overrides, ...top } = config?.options ?? {};
  for (const [key, value] of Object.entries(top)) {
    options[key] = value;
    sources[key] = relative(config!.file);
  }
  return {
    configured: true,
    options,
    overrides: overrides !== undefined,
    approximate: fromEditorconfig || config?.exact === false,
    sources,
    configFile: config ? relative(config.file) : undefined,
  };
}

/** The print width lines are held to at `root`: the configuration's (Prettier's 80 if it sets none), else 120. */
export function effectivePrintWidth(root: string): number {
  const { configured, options } = projectPrettierOptions(root);
  const width = options.printWidth;
  if (typeof width === 'number' && width > 0) return width;
  return configured ? (PRETTIER_OWN_DEFAULTS.printWidth as number) : GYMNOS_PRINT_WIDTH;
}
