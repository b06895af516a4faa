/**
 * The project's own Prettier options, read without loading Prettier: gymnos's defaults (single quotes, 120
 * columns) under whatever the project sets, so the project's options win. gymnos lint holds `@stylistic/max-len`
 * to the same print width (lint/eslint_config.ts), and create-new decides from them whether what it writes needs
 * formatting (scaffold/format.ts).
 *
 * Read synchronously, because an ESLint config (gymnos/eslint-config, also loaded by editors) is built
 * synchronously: the Prettier config at the project root as Prettier finds it there (package.json "prettier",
 * .prettierrc as JSON or simple YAML, .prettierrc.json/.json5/.yaml/.yml/.toml, and the JavaScript configs, which
 * Node ≥ 20.19 can require), under them .editorconfig's `[*]` section as Prettier maps it. Overrides per
 * file are Prettier's business: the lint and create-new format each file with Prettier's own resolution.
 * Every file read here is a config file of the lint fingerprint (lint/fingerprint.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parse as parseJsonc } from 'jsonc-parser';

/** gymnos's line length when the project sets no print width: ESLint and Prettier both hold lines to it. */
export const GYMNOS_PRINT_WIDTH = 120;

/** gymnos's style, under the project's options: what the templates are written in. */
export const PRETTIER_DEFAULTS: Readonly<Record<string, unknown>> = {
  singleQuote: true,
  printWidth: GYMNOS_PRINT_WIDTH,
};

/** Where each option came from (for `--print-config`). */
export interface ProjectPrettierOptions {
  /** gymnos's defaults with the project's top-level options over them. */
  options: Record<string, unknown>;
  /** The project's config has `overrides` (per-file options, which only Prettier itself resolves). */
  overrides: boolean;
  /** option -> 'gymnos default' or the file that set it (relative to the root). */
  sources: Record<string, string>;
  /** The project's Prettier config file, if any. */
  configFile: string | undefined;
}

/** In the order Prettier searches a directory. */
const CONFIG_FILES = [
  'package.json',
  '.prettierrc',
  '.prettierrc.json',
  '.prettierrc.yaml',
  '.prettierrc.yml',
  '.prettierrc.json5',
  '.prettierrc.js',
  'prettier.config.js',
  '.prettierrc.mjs',
  'prettier.config.mjs',
  '.prettierrc.cjs',
  'prettier.config.cjs',
  '.prettierrc.toml',
];

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

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

function readConfig(root: string, name: string): Record<string, unknown> | undefined {
  const file = path.join(root, name);
  if (/\.[cm]?js$/.test(name)) {
    const text = readText(file);
    if (text === undefined) return undefined;
    try {
      const loaded = createRequire(file)(file) as { default?: unknown } | Record<string, unknown>;
      const value = (loaded as { default?: unknown }).default ?? loaded;
      return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
    } catch {
      return {}; // Prettier reports a config it cannot load; the lint says so
    }
  }
  const text = readText(file);
  if (text === undefined) return undefined;
  if (name === 'package.json') {
    const prettier = (parseJsonc(text) as { prettier?: unknown } | undefined)?.prettier;
    // A string names a shared config package: not followed here; Prettier applies it.
    return typeof prettier === 'object' && prettier !== null ? (prettier as Record<string, unknown>) : undefined;
  }
  if (name.endsWith('.toml')) return flatKeyValues(text, '=');
  if (name.endsWith('.yaml') || name.endsWith('.yml')) return flatKeyValues(text, ':');
  const json = parseJsonc(text) as unknown;
  if (typeof json === 'object' && json !== null) return json as Record<string, unknown>;
  return flatKeyValues(text, ':'); // .prettierrc in YAML
}

/** The `[*]` section of the root .editorconfig, as Prettier maps it to its options. */
function editorconfigOptions(root: string): Record<string, unknown> {
  const text = readText(path.join(root, '.editorconfig'));
  const options: Record<string, unknown> = {};
  if (text === undefined) return options;
  let inStar = false;
  for (const line of text.split(/\r?\n/)) {
    const section = /^\s*\[(.*)\]\s*$/.exec(line);
    if (section) inStar = section[1] === '*';
    const match = inStar ? /^\s*([a-z_]+)\s*=\s*(\S+)\s*$/i.exec(line) : null;
    if (!match) continue;
    const [key, value] = [match[1]!.toLowerCase(), match[2]!.toLowerCase()];
    if (key === 'max_line_length' && /^\d+$/.test(value)) options.printWidth = Number(value);
    else if (key === 'indent_style' && (value === 'tab' || value === 'space')) options.useTabs = value === 'tab';
    else if ((key === 'indent_size' || key === 'tab_width') && /^\d+$/.test(value)) options.tabWidth = Number(value);
    else if (key === 'end_of_line' && ['lf', 'crlf', 'cr'].includes(value)) options.endOfLine = value;
  }
  return options;
}

/** The project's Prettier options at `root`, over gymnos's defaults, and where each came from. */
export function projectPrettierOptions(root: string): ProjectPrettierOptions {
  const options: Record<string, unknown> = { ...PRETTIER_DEFAULTS };
  const sources: Record<string, string> = Object.fromEntries(Object.keys(options).map((key) => [key, 'gymnos']));
  for (const [key, value] of Object.entries(editorconfigOptions(root))) {
    options[key] = value;
    sources[key] = '.editorconfig';
  }
  for (const name of CONFIG_FILES) {
    const config = readConfig(root, name);
    if (config === undefined) continue;
    const { overrides, ...top } = config;
    for (const [key, value] of Object.entries(top)) {
      options[key] = value;
      sources[key] = name;
    }
    return { options, overrides: overrides !== undefined, sources, configFile: name };
  }
  return { options, overrides: false, sources, configFile: undefined };
}

/** The print width every line is held to: the project's, else 120. */
export function effectivePrintWidth(root: string): number {
  const width = projectPrettierOptions(root).options.printWidth;
  return typeof width === 'number' && width > 0 ? width : GYMNOS_PRINT_WIDTH;
}
