/**
 * docs/cli.md's generated parts: each command's synopsis and flag table, made from the command table
 * (src/cli/commands.ts) between markers:
 *
 *   <!-- cli-usage <command> --> ... <!-- /cli-usage -->
 *   <!-- cli-flags <command> --> ... <!-- /cli-flags -->
 *
 * test/cli/commands.test.ts checks docs/cli.md holds what this renders; `npm run docs:cli` rewrites it. The tables
 * are written as Prettier aligns them, so the file stays Prettier-clean.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { COMMANDS } from '../../src/cli/commands.js';
import type { CommandSpec, FlagSpec } from '../../src/cli/commands.js';

export const CLI_DOCS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'cli.md');

/** Where the synopsis wraps: the docs' code blocks stay inside Prettier's 120 columns with room to spare. */
const SYNOPSIS_WIDTH = 110;

/** `--format <format>`, `-o <file>` (the short name when there is one), `--no-cache`. */
function flagInSynopsis(flag: FlagSpec): string {
  const [first, ...rest] = flag.flags.split(/,\s*|\s+/);
  const value = rest.find((part) => /^[<[]/.test(part));
  const shown = flag.choices ? flag.choices.join('|') : value;
  return `[${[first, shown].filter(Boolean).join(' ')}]${flag.repeatable || flag.counted ? '...' : ''}`;
}

/** `gymnos runs [logdirs...] [--metric <name>]... ...`, wrapped with its continuation lines under the first word. */
export function synopsis(spec: CommandSpec): string {
  const head = `gymnos ${spec.name}`;
  const words = [
    ...spec.arguments.map((argument) => (argument.choices ? `[${argument.choices.join('|')}]` : argument.name)),
    ...spec.flags.map(flagInSynopsis),
    ...(spec.passOnUnknownOptions ? ['[node test options]'] : []),
  ];
  const lines = [head];
  for (const word of words) {
    const last = lines.length - 1;
    if (`${lines[last]} ${word}`.length > SYNOPSIS_WIDTH) lines.push(`${' '.repeat(head.length)} ${word}`);
    else lines[last] = `${lines[last]} ${word}`;
  }
  return lines.join('\n');
}

/** A flag's meaning in the table: its docs text, else its help line with its choices and default. */
function meaning(flag: FlagSpec): string {
  if (flag.docs) return flag.docs;
  const choices = flag.choices ? `: ${flag.choices.map((choice) => `\`${choice}\``).join(' or ')}` : '';
  const fallback = flag.default === undefined ? '' : ` (default: \`${flag.default}\`)`;
  return `${flag.description}${choices}${fallback}`;
}

/** A Markdown table aligned as Prettier aligns one. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = [header, ...rows].map((row) => row.map((cell) => cell.replaceAll('|', '\\|')));
  const widths = header.map((_, column) => Math.max(3, ...cells.map((row) => row[column]!.length)));
  const line = (row: readonly string[]) => `| ${row.map((cell, column) => cell.padEnd(widths[column]!)).join(' | ')} |`;
  return [line(cells[0]!), line(widths.map((width) => '-'.repeat(width))), ...cells.slice(1).map(line)].join('\n');
}

export function flagTable(spec: CommandSpec): string {
  if (spec.flags.length === 0) return 'No flags but `--help`.';
  return table(
    ['flag', 'meaning'],
    spec.flags.map((flag) => [`\`${flag.flags}\``, meaning(flag)]),
  );
}

const BLOCK = /<!-- (cli-usage|cli-flags) ([a-z-]+) -->\n[\s\S]*?<!-- \/\1 -->/g;

/** docs/cli.md with every generated block rendered afresh; throws on a block naming no command. */
export function renderCliDocs(markdown: string): string {
  return markdown.replace(BLOCK, (_, kind: string, name: string) => {
    const spec = COMMANDS.find((command) => command.name === name);
    if (!spec) throw new Error(`docs/cli.md: ${kind} block for "${name}", which is no command of src/cli/commands.ts`);
    const body = kind === 'cli-usage' ? `\`\`\`\n${synopsis(spec)}\n\`\`\`` : flagTable(spec);
    return `<!-- ${kind} ${name} -->\n\n${body}\n\n<!-- /${kind} -->`;
  });
}

/** The commands each kind of block is there for in `markdown`. */
export function documentedCommands(markdown: string): { usage: string[]; flags: string[] } {
  const found = { usage: [] as string[], flags: [] as string[] };
  for (const [, kind, name] of markdown.matchAll(BLOCK)) found[kind === 'cli-usage' ? 'usage' : 'flags'].push(name!);
  return found;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const before = readFileSync(CLI_DOCS, 'utf8');
  const after = renderCliDocs(before);
  if (after !== before) writeFileSync(CLI_DOCS, after);
  process.stdout.write(`docs/cli.md: ${after === before ? 'up to date' : 'rewritten from src/cli/commands.ts'}\n`);
}
