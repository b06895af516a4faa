/**
 * Rendered TypeScript from templates that do not come from gymnos is parsed before anything is written: a
 * template that renders invalid code is reported with its file, line and column. TypeScript (a peer
 * dependency, loaded here only: it costs hundreds of milliseconds) gives the syntax diagnostics; gymnos's own
 * templates are known good and skip this.
 */
import path from 'node:path';
import type TS from 'typescript';
import { requireCjs } from '../util/require_cjs.js';
import { displayPath } from '../util/package_root.js';
import type { RenderedFile } from './templates.js';
import { packageManagerOf } from '../util/package_manager.js';

const TYPESCRIPT_TARGET = /\.[cm]?ts$/;

/**
 * What is wrong with a template; plan.ts turns it into the GymnosError.
 */
interface TemplateProblem {
  code: string;
  message: string;
}

async function loadTypeScript(root: string): Promise<typeof TS | TemplateProblem> {
  try {
    return requireCjs('typescript') as typeof TS;
  } catch (error) {
    if ((error as NodeJS.ErrnoException)?.code !== 'MODULE_NOT_FOUND') throw error;
    return {
      code: 'TYPESCRIPT_MISSING',
      message:
        "the project's templates render TypeScript, which gymnos checks with TypeScript's parser, but typescript " +
        `(a peer dependency of gymnos) is not installed: ${packageManagerOf(root).add('typescript', { dev: true })}`,
    };
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The column in `templateLine` of `column` in `renderedLine`, when the rendered line is that template line with
 * its {{...}} expressions filled in (text outside them is copied as is); else undefined.
 */
function columnInTemplateLine(templateLine: string, renderedLine: string, column: number): number | undefined {
  // Odd parts are the expressions, even parts the literal text around them.
  const parts = templateLine.split(/(\{\{[^}]*\}\}\}?)/);
  // A line of expressions only ({{/if}}) could be anything: only literal text identifies a line.
  if (parts.every((part, index) => index % 2 === 1 || part.trim() === '')) return undefined;
  const pattern = parts.map((part, index) => (index % 2 ? '([\\s\\S]*?)' : `(${escapeRegExp(part)})`)).join('');
  const match = new RegExp(`^${pattern}$`, 'd').exec(renderedLine);
  if (!match?.indices) return undefined;
  let templateOffset = 0;
  for (let index = 0; index < parts.length; index++) {
    const [start, end] = match.indices[index + 1]!;
    if (column >= start && (column < end || index === parts.length - 1)) {
      return templateOffset + (index % 2 ? 0 : Math.min(column - start, parts[index]!.length));
    }
    templateOffset += parts[index]!.length;
  }
  return undefined;
}

/** Where a position of the rendered output comes from: the template line nearest to it that renders to it. */
function templatePosition(templateText: string, renderedLine: string, line: number, column: number) {
  let best: { line: number; column: number } | undefined;
  templateText.split(/\r?\n/).forEach((templateLine, index) => {
    if (best && Math.abs(best.line - line) <= Math.abs(index - line)) return;
    const mapped = columnInTemplateLine(templateLine, renderedLine, column);
    if (mapped !== undefined) best = { line: index, column: mapped };
  });
  return best;
}

/** The problem with the first rendered .ts file (of a template not from gymnos) that does not parse, if any. */
export async function checkRenderedTypeScript(
  files: readonly RenderedFile[],
  root: string,
): Promise<TemplateProblem | undefined> {
  const targets = files.filter((file) => file.template.source !== 'builtin' && TYPESCRIPT_TARGET.test(file.path));
  if (targets.length === 0) return undefined;
  const ts = await loadTypeScript(root);
  if (!('transpileModule' in ts)) return ts;
  for (const file of targets) {
    const { diagnostics = [] } = ts.transpileModule(file.content, {
      fileName: path.basename(file.path),
      reportDiagnostics: true,
      compilerOptions: { target: ts.ScriptTarget.ESNext, module: ts.ModuleKind.ESNext },
    });
    const first = diagnostics.find((diagnostic) => diagnostic.file && diagnostic.start !== undefined);
    if (!first) continue;
    const { line, character } = first.file!.getLineAndCharacterOfPosition(first.start!);
    const renderedLine = file.content.split(/\r?\n/)[line] ?? '';
    const mapped = templatePosition(file.templateText, renderedLine, line, character);
    const at = mapped ? `:${mapped.line + 1}:${mapped.column + 1}` : '';
    const message = ts.flattenDiagnosticMessageText(first.messageText, ' ').replace(/\.$/, '');
    const more = diagnostics.length > 1 ? `, and ${diagnostics.length - 1} more` : '';
    return {
      code: 'TEMPLATE_INVALID_TYPESCRIPT',
      message:
        `${displayPath(file.template.file)}${at}: renders invalid TypeScript in ${file.path} (line ${line + 1}, ` +
        `column ${character + 1}): ${message} in ${JSON.stringify(renderedLine.trim())}${more}; nothing was written`,
    };
  }
  return undefined;
}
