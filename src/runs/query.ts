/**
 * Choosing runs: a pattern on the run id (a glob, or a /regex/ as TensorBoard's run selector takes) and
 * conditions (`lr<0.01`, `status=finished`; run_filter.ts). Bad patterns are usage errors, reported before any
 * file is read.
 */
import { GymnosError } from '../errors.js';
import { FilterSyntaxError, parseCondition, slashRegex } from './run_filter.js';
import type { Condition } from './run_filter.js';

/** A glob (`*` within a path segment, `**` across them, `?` one character) or `/regex/flags`: a test on run ids. */
export function runIdMatcher(pattern: string): (id: string) => boolean {
  const compiled = slashRegex(
    pattern,
    (message) =>
      new GymnosError('RUN_PATTERN_INVALID', `--run ${pattern}: ${message}`, {
        hint: 'write a glob (sweep/*) or a JavaScript regular expression between slashes (/seed-[0-9]+/)',
      }),
  );
  if (compiled) return (id) => compiled.test(id);
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

/** `--where` conditions (run_filter.ts), each a usage error when it does not parse. */
export function parseWhere(conditions: readonly string[]): Condition[] {
  return conditions.map((condition) => {
    try {
      return parseCondition(condition);
    } catch (error) {
      if (!(error instanceof FilterSyntaxError)) throw error;
      throw new GymnosError('WHERE_INVALID', `--where ${error.message}`);
    }
  });
}
