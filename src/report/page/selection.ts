/**
 * Which runs the page shows: those meeting every condition of the filter box (the language of `gymnos runs
 * --where`, runs/run_filter.ts) and inside every brush of the parallel coordinates; and each run's value of the
 * metric the page ranks by. Computed once per change, read by every section.
 */
import { ownValue } from '../../runs/param_paths.js';
import { FilterSyntaxError, knownKeys, matchesAll, parseQuery, unknownFields } from '../../runs/run_filter.js';
import type { Condition } from '../../runs/run_filter.js';
import { closestName } from '../../util/closest.js';
import type { Model, RunModel } from './model.js';
import { OBJECTIVE_AXIS } from './state.js';
import type { Brush, ViewState } from './state.js';

export interface Selection {
  /** By run index. */
  visible: boolean[];
  runs: RunModel[];
  /** Each run's value of the ranking metric (its best in the mode, or its last), null without one. */
  objective: (number | null)[];
  /** What is wrong with the filter, one line each (those conditions are left out, the others apply). */
  problems: string[];
}

/** The filter box's conditions that can be applied, and what is wrong with the others. */
function filterConditions(model: Model, text: string): { conditions: Condition[]; problems: string[] } {
  let conditions: Condition[];
  try {
    conditions = parseQuery(text);
  } catch (error) {
    if (!(error instanceof FilterSyntaxError)) throw error;
    return { conditions: [], problems: [error.message] };
  }
  const unknown = unknownFields(conditions, knownKeys(model.runs.map((run) => run.data)));
  const problems = unknown.map(({ condition, key, names }) => {
    const suggestion = closestName(key, names);
    const what = condition.field.kind === 'tag' ? 'tag' : 'param';
    return `${condition.text}: no run has the ${what} ${key}${suggestion ? `; did you mean ${suggestion}?` : ''}`;
  });
  const skipped = new Set(unknown.map(({ condition }) => condition));
  return { conditions: conditions.filter((condition) => !skipped.has(condition)), problems };
}

function objectiveOf(run: RunModel, state: Pick<ViewState, 'metric' | 'mode' | 'value'>): number | null {
  const metric = Object.prototype.hasOwnProperty.call(run.data.metrics, state.metric)
    ? run.data.metrics[state.metric]
    : undefined;
  if (metric === undefined) return null;
  const value = state.value === 'last' ? metric.last : state.mode === 'min' ? metric.min : metric.max;
  return value === null || Number.isNaN(value) ? null : value;
}

/** A run's value on a brushed axis, as the brush compares it. */
function inBrush(brush: Brush, value: unknown): boolean {
  if (brush.kind === 'set') return brush.values.includes(value === undefined ? '' : categoryOf(value));
  return typeof value === 'number' && value >= brush.low && value <= brush.high;
}

/** A value's category on an axis of text: the text itself, or the JSON of anything else. */
export function categoryOf(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
}

export function select(model: Model, state: ViewState): Selection {
  const { conditions, problems } = filterConditions(model, state.filter);
  const objective = model.runs.map((run) => objectiveOf(run, state));
  const visible = model.runs.map((run) => {
    if (!matchesAll(run.data, conditions)) return false;
    for (const [key, brush] of state.brushes) {
      const value = key === OBJECTIVE_AXIS ? (objective[run.index] ?? undefined) : ownValue(run.flat, key);
      if (!inBrush(brush, value)) return false;
    }
    return true;
  });
  return { visible, runs: model.runs.filter((run) => visible[run.index]), objective, problems };
}
