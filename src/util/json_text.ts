/**
 * Strict JSON text as gymnos reads its inputs (package.json, var/trackers.json): jsonc-parser's tree, for
 * positions and structured edits, with JSON.parse as the judge of validity (jsonc-parser is lenient in corners,
 * such as control characters). A syntax error comes back with the line and column a user can go to.
 */
import { parseTree, printParseErrorCode } from 'jsonc-parser';
import type { Node, ParseError } from 'jsonc-parser';

/** 1-based line and column of a character offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

interface JsonSyntaxError {
  line: number;
  column: number;
  /** `invalid JSON (close brace expected)`. */
  reason: string;
}

/** The tree of `text`, or where and why it is not valid JSON. */
export function parseJsonText(text: string): { tree: Node | undefined; error: JsonSyntaxError | undefined } {
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false });
  let failure: { offset: number; reason: string } | undefined;
  if (errors.length > 0) {
    const reason = printParseErrorCode(errors[0]!.error)
      .replace(/([a-z])([A-Z])/g, '$1 $2')
      .toLowerCase();
    failure = { offset: errors[0]!.offset, reason: `invalid JSON (${reason})` };
  } else {
    try {
      JSON.parse(text);
    } catch (error) {
      // V8 names the position in its message and nowhere else.
      failure = { offset: Number(/position (\d+)/.exec(String(error))?.[1] ?? text.length), reason: 'invalid JSON' };
    }
  }
  if (!failure) return { tree, error: undefined };
  return { tree, error: { ...lineAndColumn(text, failure.offset), reason: failure.reason } };
}
