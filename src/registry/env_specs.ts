/**
 * Trackers chosen without code, as Hugging Face's `report_to` does: `GYMNOS_TRACKERS` names the backends of a
 * `TrackerList` at launch. Either a comma-separated list of registered names (`jsonl,tensorboard`), or a JSON
 * list whose items are names or specs with params (`[{"type":"jsonl","flushIntervalMs":500},"tensorboard"]`),
 * or `none`. Unset or empty: no choice made (the caller's default applies).
 */
import { GymnosError } from '../errors.js';
import { redactCredentials } from '../util/redact.js';
import type { TrackerSpec } from './tracker_list.js';
import { BUILTIN_TRACKERS } from './builtins.js';

export const TRACKERS_VARIABLE = 'GYMNOS_TRACKERS';

/** The message quotes the variable's text, whose tracking URIs may hold credentials: never shown. */
function invalid(message: string): GymnosError {
  return new GymnosError('TRACKERS_ENV_INVALID', redactCredentials(`${TRACKERS_VARIABLE}: ${message}`), {
    hint: 'write names separated by commas (jsonl,tensorboard) or a JSON list ([{"type":"jsonl"},"csv"])',
  });
}

/** An item of the list as a message may quote it: its JSON, cut short; a list nested too deep to write, described. */
function shortJson(item: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(item) ?? String(item);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error; // nested deeper than the stack
    return 'a value nested too deep to show';
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * The specs `GYMNOS_TRACKERS` asks for, checked against the `known` tracker names (default: the built-in
 * ones); undefined when the variable is unset or empty. Pure: reads nothing but its arguments. Every unknown
 * name is reported in one error that lists the known ones.
 */
export function trackerSpecsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  known: Iterable<string> = Object.keys(BUILTIN_TRACKERS),
): TrackerSpec[] | undefined {
  const text = env[TRACKERS_VARIABLE]?.trim();
  if (!text) return undefined;
  if (text === 'none') return [];
  let specs: TrackerSpec[];
  if (text.startsWith('[') || text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw invalid(`not valid JSON (${(error as Error).message})`);
    }
    if (!Array.isArray(parsed)) throw invalid('a JSON value must be a list');
    specs = parsed.map((item: unknown, index) => {
      if (typeof item === 'string') return { type: item };
      if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
        const spec = item as Record<string, unknown>;
        if (typeof spec.type === 'string') return { ...spec, type: spec.type };
      }
      throw invalid(`item ${index} must be a tracker name or an object with a "type" (${shortJson(item)})`);
    });
  } else {
    specs = text
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '')
      .map((type) => ({ type }));
    // Only commas: a list that lost its names (`none` is how to log nowhere), not a choice to log nowhere.
    if (specs.length === 0) throw invalid('names no tracker (write none to log nowhere)');
  }
  const knownNames = [...new Set(known)].sort();
  const unknown = [...new Set(specs.map((spec) => spec.type).filter((type) => !knownNames.includes(type)))];
  if (unknown.length > 0) {
    const names = unknown.map((name) => JSON.stringify(name)).join(', ');
    throw new GymnosError(
      'TRACKERS_ENV_UNKNOWN',
      `${TRACKERS_VARIABLE} names ${unknown.length === 1 ? 'an unknown tracker' : 'unknown trackers'} ${names}; ` +
        `known trackers: ${knownNames.join(', ')}`,
      { details: { unknown, known: knownNames } },
    );
  }
  return specs;
}
