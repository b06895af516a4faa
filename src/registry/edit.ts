/**
 * Structured edits of var/trackers.json: the file is edited as JSON (jsonc-parser computes the minimal text
 * edit), so key order, indentation, line endings and the trailing newline stay as the author left them.
 */
import { applyEdits, modify } from 'jsonc-parser';

/** The indentation and line endings a JSON text already uses, for edits that match them. */
export function detectFormatting(text: string): { insertSpaces: boolean; tabSize: number; eol: string } {
  const indent = /^([ \t]+)"/m.exec(text)?.[1] ?? '  ';
  return {
    insertSpaces: !indent.startsWith('\t'),
    tabSize: indent.startsWith('\t') ? 1 : indent.length,
    eol: text.includes('\r\n') ? '\r\n' : '\n',
  };
}

/**
 * The registry text with `name` mapped to `target`, appended after the existing entries (or replacing the
 * value of an existing key in place). Returns `text` itself when that exact entry is already there.
 */
export function setRegistryEntry(text: string, name: string, target: string): string {
  if (text.trim() === '') return `${JSON.stringify({ [name]: target }, null, 2)}\n`;
  const current = JSON.parse(text) as Record<string, unknown>;
  if (Object.hasOwn(current, name) && current[name] === target) return text;
  const formattingOptions = detectFormatting(text);
  let edited = applyEdits(text, modify(text, [name], target, { formattingOptions }));
  // An object written on one line ({}) comes back on one line; keep the file's trailing-newline habit.
  if (text.endsWith('\n') && !edited.endsWith('\n')) edited += formattingOptions.eol;
  return edited;
}
