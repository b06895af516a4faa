/**
 * The module type Node gives a JavaScript file, so that it is linted as what it is: `.cjs` is always CommonJS,
 * `.mjs` always an ES module, and `.js` (or `.jsx`) follows the "type" of the nearest package.json (CommonJS
 * when it sets none, as `npm init -y` projects do). Used as an ESLint `files` matcher, in `gymnos lint` and in
 * editors alike. Every package.json of the tree is part of the lint fingerprint (fingerprint.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** directory -> whether a .js file there is CommonJS; package.json files do not change during a lint run. */
const commonJsByDirectory = new Map<string, boolean>();

function isCommonJsDirectory(directory: string): boolean {
  const known = commonJsByDirectory.get(directory);
  if (known !== undefined) return known;
  let result: boolean;
  let text: string | undefined;
  try {
    text = readFileSync(path.join(directory, 'package.json'), 'utf8');
  } catch {
    text = undefined;
  }
  if (text !== undefined) {
    let type: unknown;
    try {
      type = (JSON.parse(text) as { type?: unknown }).type;
    } catch {
      type = undefined; // Node refuses such a package.json; lint the file as CommonJS, Node's default
    }
    result = type !== 'module';
  } else {
    const parent = path.dirname(directory);
    result = parent === directory ? true : isCommonJsDirectory(parent);
  }
  commonJsByDirectory.set(directory, result);
  return result;
}

/** True when Node runs the JavaScript `file` (absolute) as CommonJS; false for ES modules and non-JS files. */
export function isCommonJsScript(file: string): boolean {
  const extension = path.extname(file);
  if (extension === '.cjs') return true;
  if (extension !== '.js' && extension !== '.jsx') return false;
  return isCommonJsDirectory(path.dirname(path.resolve(file)));
}
