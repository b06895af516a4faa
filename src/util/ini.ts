/**
 * INI files as the Python clients of hosted trackers read them (`configparser`: Comet's `.comet.config`, W&B's
 * `settings`): `[section]` headers, `key = value` or `key: value` lines, `#` and `;` comment lines, keys in any case
 * (read lower-cased), values trimmed, an indented line continuing the value above it.
 */
import { readTextIfPresent } from './read_text.js';

export type IniSections = Record<string, Record<string, string>>;

function parseIni(text: string): IniSections {
  const sections: IniSections = {};
  let section: Record<string, string> | undefined;
  let lastKey: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) {
      lastKey = undefined;
      continue;
    }
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header) {
      section = sections[header[1]!.trim()] ??= {};
      lastKey = undefined;
      continue;
    }
    if (/^\s/.test(raw) && section && lastKey !== undefined) {
      section[lastKey] = `${section[lastKey]}\n${line}`;
      continue;
    }
    const pair = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (!pair || !section) continue; // a line outside any section or without a separator: configparser refuses it
    lastKey = pair[1]!.toLowerCase();
    section[lastKey] = pair[2]!;
  }
  return sections;
}

/** The sections of the INI file at `path`, or undefined when there is no file there this process may read. */
export function readIniFile(path: string): IniSections | undefined {
  const text = readTextIfPresent(path);
  return text === undefined ? undefined : parseIni(text);
}
