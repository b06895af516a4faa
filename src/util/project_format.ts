/**
 * What create-new and init write, in the project's own Prettier style, so that generated files lint clean, and pass
 * the project's own `prettier --check`, under any Prettier configuration. The templates are written in gymnos's
 * style (single quotes, 120 columns, Prettier's other defaults): when that is what applies (the project has no
 * Prettier configuration, or one that resolves to exactly that), nothing is formatted and Prettier is never loaded,
 * which keeps create-new's start-up short in the common case. Otherwise each file is formatted as `gymnos lint
 * --fix` would, with the options Prettier resolves for it, after its comments are wrapped to the print width
 * (Prettier never wraps a comment, and `@stylistic/max-len` holds comments to the print width too).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { requireAuthorTools } from './author_tools.js';
import {
  GYMNOS_PRETTIER_STYLE,
  PRETTIER_OWN_DEFAULTS,
  projectPrettierOptions,
  resolvePrettierOptions,
} from './prettier_options.js';

/** A file to write: its path relative to the project root, and its content. */
interface FileToWrite {
  path: string;
  content: string;
}

/** The style the templates are written in: gymnos's, and Prettier 3's defaults for the rest. */
const TEMPLATE_STYLE: Readonly<Record<string, unknown>> = { ...PRETTIER_OWN_DEFAULTS, ...GYMNOS_PRETTIER_STYLE };

/**
 * True when the project's Prettier configuration could format the templates differently from how they are written:
 * when it resolves (over Prettier's defaults) to anything but the templates' style, and whenever only Prettier can
 * say what it resolves to (overrides, or a configuration read approximately without Prettier).
 */
export function needsFormatting(root: string): boolean {
  const { configured, options, overrides, approximate } = projectPrettierOptions(root);
  if (!configured) return false;
  if (overrides || approximate) return true;
  const effective = { ...PRETTIER_OWN_DEFAULTS, ...options };
  return Object.entries(effective).some(([key, value]) => key !== '$schema' && TEMPLATE_STYLE[key] !== value);
}

/**
 * `files` formatted with the project's Prettier options (each as Prettier resolves them for its path). Prettier is
 * the project's (a devDependency): when it is needed and missing, a usage error says how to install it.
 */
export async function formatForProject<File extends FileToWrite>(
  root: string,
  files: File[],
  command: string,
): Promise<File[]> {
  if (!needsFormatting(root)) return files;
  requireAuthorTools(root, command, ['prettier'], "to write files in the project's Prettier style");
  const prettier = await import('prettier');
  await prettier.clearConfigCache(); // a process that formats again (a program, the tests) sees edited configs
  const ignoreFile = path.join(root, '.prettierignore');
  const ignorePath = existsSync(ignoreFile) ? [ignoreFile] : [];
  return Promise.all(
    files.map(async (file) => {
      const filepath = path.join(root, file.path);
      const info = await prettier.getFileInfo(filepath, { ignorePath, resolveConfig: false });
      if (info.ignored || !info.inferredParser) return file;
      const options = await resolvePrettierOptions(prettier, filepath);
      const width = typeof options.printWidth === 'number' ? options.printWidth : 80;
      const wrapped = /\.[cm]?[jt]sx?$/.test(file.path) ? wrapComments(file.content, width) : file.content;
      return { ...file, content: await prettier.format(wrapped, { ...options, filepath }) };
    }),
  );
}

/** Splits `words` into lines of at most `room` columns (a word longer than that stays whole on its line). */
function fill(words: string[], room: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line !== '' && line.length + 1 + word.length > room) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/**
 * `text` with every comment line longer than `width` wrapped at word boundaries: `// ...` lines into several
 * `//` lines, ` * ...` lines of a block comment into several ` *` lines, and a one-line `/** ... *\/` into a block.
 */
export function wrapComments(text: string, width: number): string {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line.length <= width) {
      out.push(line);
      continue;
    }
    const lineComment = /^(\s*)\/\/ (.*)$/.exec(line);
    const blockLine = /^(\s*) \* (.*)$/.exec(line);
    const oneLineDoc = /^(\s*)\/\*\* (.*) \*\/$/.exec(line);
    if (lineComment) {
      const [, indent, body] = lineComment;
      for (const part of fill(body!.split(' '), width - indent!.length - 3)) out.push(`${indent}// ${part}`);
    } else if (oneLineDoc) {
      const [, indent, body] = oneLineDoc;
      out.push(`${indent}/**`);
      for (const part of fill(body!.split(' '), width - indent!.length - 3)) out.push(`${indent} * ${part}`);
      out.push(`${indent} */`);
    } else if (blockLine) {
      const [, indent, body] = blockLine;
      for (const part of fill(body!.split(' '), width - indent!.length - 3)) out.push(`${indent} * ${part}`);
    } else out.push(line);
  }
  return out.join('\n');
}
