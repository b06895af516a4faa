/**
 * Conditions on runs, one language for `gymnos runs --where` and the report page's filter box:
 *
 *   lr<0.01   lr>=1e-4   optimizer=adam   optimizer!=sgd   model.layers=[64,32]   name~resnet   optimizer=ad*
 *   status=finished   tracker=tensorboard   tag.team=vision   run=sweep/*   params.status=done   !status=failed
 *
 * A key is a param (a key path into nested params, `optimizer.lr`), or one of `run` (the id), `tracker`,
 * `status`, `tag.<key>`; `params.<key>` reaches a param named like one of those. `=` compares numbers as numbers
 * (`lr=1e-3` matches 0.001), other values as their text or JSON, with `*` and `?` as wildcards; `<`, `<=`, `>`,
 * `>=` compare numbers; `~` finds text (or a /regex/) within the value. A run without the key matches no
 * condition but `!=`. In the page, a word without an operator finds text within the run id.
 *
 * Pure, with no Node import: the report page bundles it. Syntax errors are `FilterSyntaxError`s; the CLI makes
 * them usage errors, the page shows them under its filter box.
 */
import { flattenParams, paramAt, sameValue } from './param_paths.js';

export type Operator = '=' | '!=' | '<' | '<=' | '>' | '>=' | '~';

export type Field =
  | { kind: 'run' }
  | { kind: 'tracker' }
  | { kind: 'status' }
  | { kind: 'tag'; key: string }
  | { kind: 'param'; key: string };

export interface Condition {
  /** As written, for messages. */
  text: string;
  field: Field;
  operator: Operator;
  value: string;
  /** True for `!key=value`: the condition must not hold. */
  negated: boolean;
}

/** What a condition is checked against: a run's summary has all of it. */
export interface FilterableRun {
  id: string;
  trackers: readonly string[];
  status: string;
  tags: Record<string, string>;
  params: Record<string, unknown>;
}

export class FilterSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FilterSyntaxError';
  }
}

const OPERATORS: Operator[] = ['!=', '<=', '>=', '=', '<', '>', '~']; // two-character ones first
const RUN_FIELDS = new Set(['run', 'id', 'tracker', 'status']);

/** Where an operator starts in `text` (the first one after the key), and which. */
function findOperator(text: string): { at: number; operator: Operator } | undefined {
  for (let i = 1; i < text.length; i++) {
    const operator = OPERATORS.find((candidate) => text.startsWith(candidate, i));
    if (operator !== undefined) return { at: i, operator };
  }
  return undefined;
}

function fieldOf(key: string): Field {
  if (key === 'run' || key === 'id') return { kind: 'run' };
  if (key === 'tracker' || key === 'status') return { kind: key };
  const tag = /^tags?\.(.+)$/s.exec(key);
  if (tag) return { kind: 'tag', key: tag[1]! };
  const param = /^params?\.(.+)$/s.exec(key);
  return { kind: 'param', key: param ? param[1]! : key };
}

/** One condition, `key<op>value`; the value is the rest of the text, spaces and all. */
export function parseCondition(text: string): Condition {
  const trimmed = text.trim();
  const negated = trimmed.startsWith('!') && !trimmed.startsWith('!=');
  const body = negated ? trimmed.slice(1) : trimmed;
  const found = findOperator(body);
  if (found === undefined) {
    throw new FilterSyntaxError(
      `${text}: expected a condition such as lr=0.001, lr<0.01, optimizer!=sgd or status=finished`,
    );
  }
  const key = body.slice(0, found.at).trim();
  const skip = found.operator.length + (found.operator === '=' && body[found.at + 1] === '=' ? 1 : 0);
  const value = body.slice(found.at + skip).trim();
  const condition: Condition = { text: trimmed, field: fieldOf(key), operator: found.operator, value, negated };
  if (['<', '<=', '>', '>='].includes(found.operator) && (value === '' || Number.isNaN(Number(value)))) {
    throw new FilterSyntaxError(`${text}: ${found.operator} compares numbers, and ${value || 'nothing'} is not one`);
  }
  if (found.operator === '~') textMatcher(condition); // a bad /regex/ is an error now, not a silent no-match
  return condition;
}

/**
 * A query of the page's filter box: conditions separated by spaces, a value in quotes when it holds spaces
 * (`note="two words"`); a word with no operator finds text within the run id (`lr-0.1`, `sweep/*`).
 */
export function parseQuery(query: string): Condition[] {
  const conditions: Condition[] = [];
  const pattern = /(?:[^\s"']+|"[^"]*"|'[^']*')+/g;
  for (const match of query.matchAll(pattern)) {
    const word = match[0].replace(/(["'])(.*?)\1/g, '$2');
    const plain = findOperator(word.startsWith('!') ? word.slice(1) : word) === undefined;
    conditions.push(plain ? parseCondition(`run~${word}`) : parseCondition(word));
  }
  return conditions;
}

/** A glob (`*`, `?`) as a whole-text test. */
function globMatcher(pattern: string): (text: string) => boolean {
  const source = pattern
    .replace(/[\\^$.+()|{}[\]]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  const regex = new RegExp(`^${source}$`, 's');
  return (text) => regex.test(text);
}

/**
 * `/source/flags` compiled (a JavaScript regular expression between slashes, as TensorBoard's run filter takes), or
 * undefined for text not written so; `fail` makes the error for one that does not compile, from its message.
 */
export function slashRegex(text: string, fail: (message: string) => Error): RegExp | undefined {
  const parts = /^\/(.*)\/([a-z]*)$/s.exec(text);
  if (!parts) return undefined;
  try {
    return new RegExp(parts[1]!, parts[2]);
  } catch (error) {
    throw fail((error as Error).message);
  }
}

/** `~`: a /regex/, a glob, or text found anywhere (ignoring case). */
function makeTextMatcher(value: string, text: string): (candidate: string) => boolean {
  const compiled = slashRegex(value, (message) => new FilterSyntaxError(`${text}: ${message}`));
  if (compiled) return (candidate) => compiled.test(candidate);
  if (/[*?]/.test(value)) return globMatcher(`*${value}*`);
  const lower = value.toLowerCase();
  return (candidate) => candidate.toLowerCase().includes(lower);
}

const textMatchers = new WeakMap<Condition, (candidate: string) => boolean>();

/** The `~` test of a condition, compiled once. */
function textMatcher(condition: Condition): (candidate: string) => boolean {
  let matcher = textMatchers.get(condition);
  if (matcher === undefined) {
    matcher = makeTextMatcher(condition.value, condition.text);
    textMatchers.set(condition, matcher);
  }
  return matcher;
}

function textOf(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** `=`: numbers by value, else the text or JSON, with wildcards. */
function equals(actual: unknown, expected: string): boolean {
  if (typeof actual === 'number') return expected.trim() !== '' && Number(expected) === actual;
  if (typeof actual === 'string') return /[*?]/.test(expected) ? globMatcher(expected)(actual) : actual === expected;
  if (typeof actual === 'boolean' || actual === null) return String(actual) === expected;
  try {
    return sameValue(actual, JSON.parse(expected));
  } catch {
    return textOf(actual) === expected; // not JSON: compared as written
  }
}

function valueOf(run: FilterableRun, field: Field): unknown {
  switch (field.kind) {
    case 'run':
      return run.id;
    case 'status':
      return run.status;
    case 'tracker':
      return run.trackers;
    case 'tag':
      return Object.prototype.hasOwnProperty.call(run.tags, field.key) ? run.tags[field.key] : undefined;
    case 'param':
      return paramAt(run.params, field.key);
  }
}

function holds(actual: unknown, condition: Condition): boolean {
  const { operator, value } = condition;
  if (Array.isArray(actual) && condition.field.kind === 'tracker') {
    return operator === '!='
      ? actual.every((tracker) => !holds(tracker, { ...condition, operator: '=' }))
      : actual.some((tracker) => holds(tracker, condition));
  }
  if (actual === undefined) return operator === '!=';
  switch (operator) {
    case '=':
      return equals(actual, value);
    case '!=':
      return !equals(actual, value);
    case '~':
      return textMatcher(condition)(textOf(actual));
    default: {
      if (typeof actual !== 'number') return false;
      const bound = Number(value);
      return operator === '<'
        ? actual < bound
        : operator === '<='
          ? actual <= bound
          : operator === '>'
            ? actual > bound
            : actual >= bound;
    }
  }
}

function matchesCondition(run: FilterableRun, condition: Condition): boolean {
  return holds(valueOf(run, condition.field), condition) !== condition.negated;
}

export function matchesAll(run: FilterableRun, conditions: readonly Condition[]): boolean {
  return conditions.every((condition) => matchesCondition(run, condition));
}

/** The params' and tags' key paths of a set of runs: what a condition's key may name. */
export function knownKeys(runs: Iterable<Pick<FilterableRun, 'params' | 'tags'>>): {
  params: string[];
  tags: string[];
} {
  const params = new Set<string>();
  const tags = new Set<string>();
  for (const run of runs) {
    for (const key of Object.keys(run.params)) params.add(key); // an object param by its own name, too
    for (const key of Object.keys(flattenParams(run.params))) params.add(key);
    for (const key of Object.keys(run.tags)) tags.add(key);
  }
  return { params: [...params].sort(), tags: [...tags].sort() };
}

/** The conditions naming a param or tag no run has (a typo, most likely), with the key they name. */
export function unknownFields(
  conditions: readonly Condition[],
  known: { params: readonly string[]; tags: readonly string[] },
): { condition: Condition; key: string; names: readonly string[] }[] {
  const unknown: { condition: Condition; key: string; names: readonly string[] }[] = [];
  for (const condition of conditions) {
    const { field } = condition;
    if (field.kind === 'param' && !known.params.includes(field.key) && !RUN_FIELDS.has(field.key)) {
      unknown.push({ condition, key: field.key, names: known.params });
    } else if (field.kind === 'tag' && !known.tags.includes(field.key)) {
      unknown.push({ condition, key: field.key, names: known.tags });
    }
  }
  return unknown;
}
