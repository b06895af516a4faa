/**
 * A hosted tracker's settings, looked up the way its official clients do: a tracker parameter first, then an
 * environment variable, then each configuration file in turn (Comet: `./.comet.config`, then `~/.comet.config`).
 * Each value found says where it came from (`COMET_WORKSPACE`, `~/.comet.config [comet] workspace`), so that a
 * message can name the source of a setting without ever quoting a secret's value.
 */
import os from 'node:os';
import path from 'node:path';
import { GymnosError } from '../../errors.js';
import { readIniFile } from '../../util/ini.js';
import type { IniSections } from '../../util/ini.js';

export interface Setting {
  value: string;
  /** Where it was found: `workspace` (a parameter), `COMET_WORKSPACE`, `./.comet.config [comet] workspace`. */
  source: string;
}

/** One configuration file a setting may come from, read once. */
export interface SettingsFile {
  /** How messages name it (`~/.comet.config`). */
  label: string;
  sections: IniSections;
}

/** Where a setting may be: the names it has in each place. */
export interface SettingSpec {
  /** The tracker parameter's name and value. */
  param?: [name: string, value: string | undefined];
  /** Environment variables, in order. */
  env?: readonly string[];
  /** The section and key in the configuration files. */
  file?: [section: string, key: string];
}

/** A path as messages show it: under the home directory as `~/…`, under the working directory as `./…`. */
function shownPath(file: string, cwd = process.cwd()): string {
  const home = os.homedir();
  const relativeToCwd = path.relative(cwd, file);
  if (!relativeToCwd.startsWith('..') && !path.isAbsolute(relativeToCwd)) return `./${relativeToCwd}`;
  const relativeToHome = path.relative(home, file);
  if (!relativeToHome.startsWith('..') && !path.isAbsolute(relativeToHome)) return `~/${relativeToHome}`;
  return file;
}

/**
 * Reads the configuration files that exist among `files` (absolute paths, in order of precedence); a file that
 * cannot be read (permissions) is a GymnosError naming it, not a silent miss.
 */
export function readSettingsFiles(files: readonly string[], owner: string): SettingsFile[] {
  const found: SettingsFile[] = [];
  for (const file of files) {
    let sections: IniSections | undefined;
    try {
      sections = readIniFile(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === undefined) throw error;
      throw new GymnosError('CONFIG_FILE_UNREADABLE', `${owner}: cannot read ${shownPath(file)} (${code})`, {
        details: { file },
        cause: error,
      });
    }
    if (sections) found.push({ label: shownPath(file), sections });
  }
  return found;
}

/** The first value of `spec` that is set and not empty: the parameter, the variables, then the files. */
export function findSetting(
  spec: SettingSpec,
  files: readonly SettingsFile[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): Setting | undefined {
  const [paramName, paramValue] = spec.param ?? ['', undefined];
  if (paramValue !== undefined && paramValue !== '') return { value: paramValue, source: paramName };
  for (const name of spec.env ?? []) {
    const value = env[name]?.trim();
    if (value) return { value, source: name };
  }
  if (spec.file) {
    const [section, key] = spec.file;
    for (const file of files) {
      const value = file.sections[section]?.[key]?.trim();
      if (value) return { value, source: `${file.label} [${section}] ${key}` };
    }
  }
  return undefined;
}

/** How to set what `spec` names, for a message: "pass workspace, set COMET_WORKSPACE or workspace in [comet] of …". */
export function settingHint(spec: SettingSpec, fileLabels: readonly string[]): string {
  const ways = [
    ...(spec.param ? [`pass ${spec.param[0]}`] : []),
    ...(spec.env ?? []).map((name) => `set ${name}`),
    ...(spec.file ? [`write ${spec.file[1]}= under [${spec.file[0]}] in ${fileLabels.join(' or ')}`] : []),
  ];
  return ways.length <= 1 ? (ways[0] ?? '') : `${ways.slice(0, -1).join(', ')} or ${ways.at(-1)}`;
}
