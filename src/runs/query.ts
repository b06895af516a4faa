/**
 * Choosing runs: a pattern on the run id (a glob, or a /regex/ as TensorBoard's run selector takes) and
 * conditions on params (`lr=0.001`). Bad patterns are usage errors, reported before any file is read.
 */
import { GymnosError } from '../errors.js';

/** A glob (`*` within a path segment, `**` across them, `?` one character) or `/regex/flags`: a test on run ids. */
export function runIdMatcher(pattern: string): (id: string) => boolean {
  const regex = /^\/(.*)\/([a-z]*)$/s.exec(pattern);
  if (regex) {
    let compiled: RegExp;
    try {
      compiled = new RegExp(regex[1]!, regex[2]);
    } catch (error) {
      throw new GymnosError('RUN_PATTERN_INVALID', `--run ${pattern}: ${(error as Error).message}`, {
        hint: 'write a glob (sweep/*) or a JavaScript regular expression between slashes (/seed-[0-9]+/)',
      });
    }
    return (id) => compiled.test(id);
  }
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[\\^$.+()|{}[\]]/g, '\\$&');
  }
  const glob = new RegExp(`^${source}$`);
  return (id) => glob.test(id);
}

export interface ParamCondition {
  key: string;
  value: string;
}

/** `key=value` (the value may hold `=`); anything else is a usage error. */
export function parseWhere(conditions: readonly string[]): ParamCondition[] {
  return conditions.map((condition) => {
    const equals = condition.indexOf('=');
    if (equals <= 0) {
      throw new GymnosError('WHERE_INVALID', `--where ${condition}: expected key=value, e.g. --where lr=0.001`);
    }
    return { key: condition.slice(0, equals), value: condition.slice(equals + 1) };
  });
}

/** A param by its key, or by a dotted path into an object param (`optimizer.lr`). */
function paramAt(params: Record<string, unknown>, key: string): unknown {
  if (key in params) return params[key];
  let current: unknown = params;
  for (const part of key.split('.')) {
    if (current === null || typeof current !== 'object' || !(part in current)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/**
 * True when every condition holds: the param's text equals the value (`optimizer=adam`), its JSON does
 * (`layers=[64,32]`), or, for a number, the value reads as the same number (`lr=1e-3` for 0.001).
 */
export function matchesParams(params: Record<string, unknown>, conditions: readonly ParamCondition[]): boolean {
  return conditions.every(({ key, value }) => {
    const param = paramAt(params, key);
    if (param === undefined) return false;
    if (typeof param === 'number') return value.trim() !== '' && Number(value) === param;
    if (typeof param === 'string') return param === value;
    return JSON.stringify(param) === value || String(param) === value;
  });
}
