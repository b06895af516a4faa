/**
 * Names a user or a file supplied (a tracker name, a registry key) shown in messages and tables: control
 * characters, a newline or an escape sequence would otherwise forge or garble the terminal line, so they are
 * shown escaped, as JSON writes them. Ordinary names are shown as they are.
 */

/** Characters JSON.stringify leaves raw that a terminal still acts on: DEL, C1 controls, line and bidi marks. */
const UNSAFE_AFTER_JSON = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `text` in double quotes, with quotes, backslashes and every control character escaped. */
export function quoted(text: string): string {
  return JSON.stringify(text).replace(
    UNSAFE_AFTER_JSON,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** `text` as is when it holds nothing a terminal acts on, else escaped (without the quotes). */
export function escaped(text: string): string {
  const json = quoted(text);
  return json.slice(1, -1) === text ? text : json.slice(1, -1);
}

/** Characters a terminal acts on: C0 and C1 controls (ESC starts its sequences), DEL, line and bidi marks. */
// eslint-disable-next-line no-control-regex -- control characters are what this finds
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` with every control character written as `\uXXXX`, and nothing else changed: for a line that carries
 * data from files (run ids, metric names, a quoted bad line), so that it cannot retitle the terminal, set the
 * clipboard, forge a link or break the line.
 */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
