/**
 * What every section of the page draws from: the model, the reader's choices, the runs they select, and, when
 * grouping, the groups of those runs.
 */
import { formatValue } from '../../runs/number_format.js';
import { groupRuns } from '../../runs/sweep.js';
import { colorOf } from './dom.js';
import type { Model, RunModel } from './model.js';
import type { Selection } from './selection.js';
import type { ViewState } from './state.js';

export interface GroupModel {
  /** `optimizer=adam, lr=0.01` */
  label: string;
  values: Record<string, unknown>;
  members: RunModel[];
  color: string;
}

export interface PageContext {
  model: Model;
  state: ViewState;
  selection: Selection;
  /** The selected runs grouped by `state.groupBy`, or null when not grouping. */
  groups: GroupModel[] | null;
}

export function groupsOf(selection: Selection, keys: readonly string[]): GroupModel[] | null {
  if (keys.length === 0) return null;
  const byData = new Map(selection.runs.map((run) => [run.data, run]));
  return groupRuns(
    selection.runs.map((run) => run.data),
    keys,
  ).map((group, index) => ({
    label: keys
      .map((key) => `${key}=${group.values[key] === undefined ? '(none)' : formatValue(group.values[key])}`)
      .join(', '),
    values: group.values,
    members: group.runs.map((data) => byData.get(data)!),
    color: colorOf(index),
  }));
}
