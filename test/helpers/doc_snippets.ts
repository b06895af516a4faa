/**
 * The code blocks of README.md and docs/**\/*.md, and the marks that say how test/docs/snippets.test.ts checks them
 * (docs/architecture.md, "Snippets in the docs"). A TypeScript or JavaScript block is marked in its info string:
 *
 *   ```ts file=src/train.ts run     the file src/train.ts of a plugin project: compiled, linted, run
 *   ```ts file=src/x.ts repository  a file of a checkout of this repository instead: compiled and linted
 *   ```ts fragment                  an excerpt (a signature, a call in context): parsed only
 *
 * Shell blocks: ```console (commands after `$ `, output lines without) and ```sh (every line a command).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gymnosInProcess } from './in_process.js';
import { pluginProject } from './plugin_project.js';
import { copyOfRepository, REPO } from './project.js';

export const CODE_LANGUAGES = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs', 'cjs']);
export const SHELL_LANGUAGES = new Set(['sh', 'bash', 'shell']);

export interface SnippetMarks {
  /** The file the block is, relative to its project. */
  file?: string;
  /** Run it (node with tsx in a plugin project) and expect exit 0 and no warning. */
  run: boolean;
  /** The file is one of this repository (add-a-tracker.md), not of a plugin project. */
  repository: boolean;
  /** An excerpt: only parsed. */
  fragment: boolean;
  /** Words of the info string that are no mark: a typo the test reports. */
  unknown: string[];
}

export interface CodeBlock {
  /** The page, relative to the repository: `docs/api.md`. */
  page: string;
  /** The line of the opening fence, from 1. */
  line: number;
  language: string;
  marks: SnippetMarks;
  /** The block's text without the fence's indentation. */
  code: string;
}

/** README.md and every Markdown page under docs/, as repository paths, in a stable order. */
export function docPages(): string[] {
  const pages = ['README.md'];
  const walk = (directory: string) => {
    for (const entry of readdirSync(path.join(REPO, directory), { withFileTypes: true })) {
      const relative = `${directory}/${entry.name}`;
      if (entry.isDirectory()) walk(relative);
      else if (entry.name.endsWith('.md')) pages.push(relative);
    }
  };
  walk('docs');
  return pages.sort();
}

function parseMarks(words: string[]): SnippetMarks {
  const marks: SnippetMarks = { run: false, repository: false, fragment: false, unknown: [] };
  for (const word of words) {
    if (word.startsWith('file=')) marks.file = word.slice('file='.length);
    else if (word === 'run' || word === 'repository' || word === 'fragment') marks[word] = true;
    else marks.unknown.push(word);
  }
  return marks;
}

/** Every fenced code block of a page (indented ones, in list items, included). */
export function codeBlocks(page: string, markdown = readFileSync(path.join(REPO, page), 'utf8')): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const open = /^( *)(`{3,}|~{3,})\s*([^`\s]*)(.*)$/.exec(lines[index]!);
    if (!open) continue;
    const [, indent = '', fence = '', language = '', rest = ''] = open;
    const body: string[] = [];
    let end = index + 1;
    while (end < lines.length && !new RegExp(`^ *${fence[0]}{${fence.length},}\\s*$`).test(lines[end]!)) {
      const text = lines[end]!;
      body.push(text.startsWith(indent) ? text.slice(indent.length) : text.trimStart());
      end++;
    }
    blocks.push({
      page,
      line: index + 1,
      language,
      marks: parseMarks(rest.trim().split(/\s+/).filter(Boolean)),
      code: body.length > 0 ? `${body.join('\n')}\n` : '',
    });
    index = end;
  }
  return blocks;
}

export interface ShellCommand {
  page: string;
  line: number;
  /** The command as a shell reads it (continuation lines joined). */
  text: string;
  /** The status its trailing `# exit N` comment documents (0 without one). */
  status: number;
}

/** The commands of a console block (after `$ `) or a sh block (every line but comments). */
export function shellCommands(block: CodeBlock): ShellCommand[] {
  const commands: ShellCommand[] = [];
  const lines = block.code.split('\n');
  for (let index = 0; index < lines.length; index++) {
    let text = lines[index]!;
    if (block.language === 'console') {
      if (!text.startsWith('$ ')) continue;
      text = text.slice(2);
    }
    const line = block.line + 1 + index;
    while (text.endsWith('\\') && index + 1 < lines.length) text = `${text.slice(0, -1)} ${lines[++index]!.trim()}`;
    if (text.trim() === '' || text.trim().startsWith('#')) continue;
    const status = /\s#\s*exit (\d+)\b/.exec(text)?.[1];
    commands.push({ page: block.page, line, text, status: Number(status ?? 0) });
  }
  return commands;
}

/** The simple commands of a command line: its words, quotes removed, split at `&&`, `||`, `|`, `;` and `&`. */
export function simpleCommands(text: string): string[][] {
  const commands: string[][] = [[]];
  let word: string | undefined;
  let redirect = false;
  const endWord = () => {
    if (word === undefined) return;
    if (!redirect) commands.at(-1)!.push(word);
    redirect = false;
    word = undefined;
  };
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (char === "'") {
      const end = text.indexOf("'", index + 1);
      word = (word ?? '') + text.slice(index + 1, end < 0 ? text.length : end);
      index = end < 0 ? text.length : end;
    } else if (char === '"') {
      let value = '';
      for (index++; index < text.length && text[index] !== '"'; index++) {
        value += text[index] === '\\' && '"\\$`'.includes(text[index + 1] ?? '') ? text[++index] : text[index];
      }
      word = (word ?? '') + value;
    } else if (char === '\\') {
      word = (word ?? '') + (text[++index] ?? '');
    } else if (char === '#' && word === undefined) {
      break;
    } else if (/\s/.test(char)) {
      endWord();
    } else if ('|&;'.includes(char)) {
      endWord();
      if (text[index + 1] === char) index++;
      commands.push([]);
    } else if (char === '<' || char === '>') {
      // A redirection: its target is no word of the command (`< /dev/null`, `2> err.txt`).
      if (word !== undefined && /^\d+$/.test(word)) word = undefined;
      endWord();
      if (text[index + 1] === char) index++;
      redirect = true;
    } else {
      word = (word ?? '') + char;
    }
  }
  endWord();
  return commands.filter((words) => words.length > 0);
}

/** The files of a page, written into one project. */
export interface SnippetProject {
  /** The page, and `(in this repository)` for its files marked `repository`. */
  name: string;
  repository: boolean;
  files: CodeBlock[];
}

/** The files of every page, a project per page (and per kind of project), in page order. */
export function snippetProjects(): SnippetProject[] {
  const projects = new Map<string, SnippetProject>();
  for (const page of docPages()) {
    for (const block of codeBlocks(page)) {
      if (!CODE_LANGUAGES.has(block.language) || block.marks.file === undefined) continue;
      const { repository } = block.marks;
      const name = `${page}${repository ? ' (in this repository)' : ''}`;
      if (!projects.has(name)) projects.set(name, { name, repository, files: [] });
      projects.get(name)!.files.push(block);
    }
  }
  return [...projects.values()];
}

/**
 * The project the files of `project` are written into, returned as its root: a plugin project after `gymnos init`
 * and `gymnos create-new tracker --name my_tracker` (the tracker the pages use), or a copy of this repository after
 * the same create-new. Removed by project.ts's removeProjects.
 */
export async function writeSnippetProject(project: SnippetProject): Promise<string> {
  const root = project.repository ? copyOfRepository() : pluginProject();
  const commands = [...(project.repository ? [] : [['init']]), ['create-new', 'tracker', '--name', 'my_tracker']];
  for (const args of commands) {
    const result = await gymnosInProcess(args, { cwd: root });
    if (result.status !== 0) throw new Error(`gymnos ${args.join(' ')} in ${project.name}'s project: ${result.stderr}`);
  }
  for (const block of project.files) {
    mkdirSync(path.dirname(path.join(root, block.marks.file!)), { recursive: true });
    writeFileSync(path.join(root, block.marks.file!), block.code);
  }
  return root;
}
