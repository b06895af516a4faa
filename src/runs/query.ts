/**
 * Choosing runs: a pattern on the run id (a glob, or a /regex/ as TensorBoard's run selector takes) and
 * conditions (`lr<0.01`, `status=finished`; run_filter.ts). Bad patterns are usage errors, reported before any
 * file is read.
 */
import { GymnosError } from '../errors.js';
import { FilterSyntaxError, parseCondition, slashRegex } from './run_filter.js';
import type { Condition } from './run_filter.js';
import type { SeenKeys } from './list.js';
import { closestName } from '../util/closest.js';

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

/** A usage error for a name no run has, with the closest one when there is one. */
export function unknownNameError(code: string, what: string, name: string, names: Iterable<string>): GymnosError {
  const list = [...names];
  const suggestion = closestName(name, list);
  const hint = suggestion
    ? `did you mean ${suggestion}?`
    : list.length > 0
      ? `the runs have ${list.slice(0, 8).join(', ')}${list.length > 8 ? ', ...' : ''}`
      : undefined;
  return new GymnosError(code, `${what} ${name}: no run listed has it`, { hint, details: { name } });
}

/**
 * A condition on a param or tag that no run looked at has (`seen`, all of them, matching or not) is a typo until
 * shown otherwise: a usage error naming the closest key.
 */
export function checkConditionKeys(where: readonly string[], seen: SeenKeys): void {
  for (const condition of parseWhere(where)) {
    const { field } = condition;
    if (field.kind === 'param' && !seen.params.has(field.key)) {
      throw unknownNameError('PARAM_UNKNOWN', `--where ${condition.text}: param`, field.key, seen.params);
    }
    if (field.kind === 'tag' && !seen.tags.has(field.key)) {
      throw unknownNameError('TAG_UNKNOWN', `--where ${condition.text}: tag`, field.key, seen.tags);
    }
  }
}
