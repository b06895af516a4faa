/**
 * The condition language of `gymnos runs --where` and the report's filter box, on run summaries.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FilterSyntaxError,
  knownKeys,
  matchesAll,
  parseCondition,
  parseQuery,
  unknownFields,
} from '../../src/runs/run_filter.js';
import type { FilterableRun } from '../../src/runs/run_filter.js';

const run = (id: string, params: Record<string, unknown>, extra: Partial<FilterableRun> = {}): FilterableRun => ({
  id,
  trackers: ['jsonl'],
  status: 'finished',
  tags: {},
  params,
  ...extra,
});

const RUNS = [
  run('sweep/lr-0.1', { lr: 0.1, optimizer: 'adam', model: { layers: [64, 32], act: 'relu' } }),
  run('sweep/lr-0.01', { lr: 0.01, optimizer: 'adamw' }, { status: 'failed', tags: { team: 'vision' } }),
  run('tb/sgd', { lr: 10 ** -4, optimizer: 'sgd', status: 'done' }, { trackers: ['tensorboard', 'csv'] }),
];

function select(query: string): string[] {
  const conditions = parseQuery(query);
  return RUNS.filter((candidate) => matchesAll(candidate, conditions)).map((candidate) => candidate.id);
}

describe('run conditions', () => {
  it('compares numbers as numbers', () => {
    assert.deepEqual(select('lr<0.01'), ['tb/sgd']);
    assert.deepEqual(select('lr<=0.01'), ['sweep/lr-0.01', 'tb/sgd']);
    assert.deepEqual(select('lr>0.01'), ['sweep/lr-0.1']);
    assert.deepEqual(select('lr>=1e-2'), ['sweep/lr-0.1', 'sweep/lr-0.01']);
    assert.deepEqual(select('lr=1e-1'), ['sweep/lr-0.1']);
    assert.deepEqual(select('lr==0.1'), ['sweep/lr-0.1']);
  });

  it('matches text exactly, with wildcards, or within it', () => {
    assert.deepEqual(select('optimizer=adam'), ['sweep/lr-0.1']);
    assert.deepEqual(select('optimizer=adam*'), ['sweep/lr-0.1', 'sweep/lr-0.01']);
    assert.deepEqual(select('optimizer!=sgd'), ['sweep/lr-0.1', 'sweep/lr-0.01']);
    assert.deepEqual(select('optimizer~DAM'), ['sweep/lr-0.1', 'sweep/lr-0.01']);
    assert.deepEqual(select('optimizer~/^s/'), ['tb/sgd']);
  });

  it('reaches nested params by key path and compares JSON values', () => {
    assert.deepEqual(select('model.act=relu'), ['sweep/lr-0.1']);
    assert.deepEqual(select('model.layers=[64,32]'), ['sweep/lr-0.1']);
    assert.deepEqual(select('model.layers="[64, 32]"'), ['sweep/lr-0.1']);
    // a run without the key meets no condition but !=
    assert.deepEqual(select('model.act!=relu'), ['sweep/lr-0.01', 'tb/sgd']);
  });

  it('reads the run id, status, tracker and tags, and params named like them', () => {
    assert.deepEqual(select('status=failed'), ['sweep/lr-0.01']);
    assert.deepEqual(select('!status=failed'), ['sweep/lr-0.1', 'tb/sgd']);
    assert.deepEqual(select('params.status=done'), ['tb/sgd']);
    assert.deepEqual(select('tracker=csv'), ['tb/sgd']);
    assert.deepEqual(select('tracker!=jsonl'), ['tb/sgd']);
    assert.deepEqual(select('tag.team=vision'), ['sweep/lr-0.01']);
    assert.deepEqual(select('run=sweep/*'), ['sweep/lr-0.1', 'sweep/lr-0.01']);
    assert.deepEqual(select('lr-0.0'), ['sweep/lr-0.01']); // a word alone: text within the id
    assert.deepEqual(select('sweep lr<0.05'), ['sweep/lr-0.01']);
  });

  it('takes quoted values with spaces, and one condition with spaces as a --where', () => {
    const spaced = [run('a', { note: 'two words' }), run('b', { note: 'two' })];
    const conditions = parseQuery('note="two words"');
    assert.deepEqual(
      spaced.filter((candidate) => matchesAll(candidate, conditions)).map((candidate) => candidate.id),
      ['a'],
    );
    assert.deepEqual(parseCondition('note=two words').value, 'two words');
  });

  it('refuses what it cannot read, saying what a condition looks like', () => {
    assert.throws(() => parseCondition('lr'), FilterSyntaxError);
    assert.throws(() => parseCondition('lr<fast'), /< compares numbers, and fast is not one/);
    assert.throws(() => parseCondition('lr<'), /< compares numbers, and nothing is not one/);
    assert.throws(() => parseQuery('name~/(/'), /Invalid regular expression/);
  });

  it('names the params and tags no run has', () => {
    const known = knownKeys(RUNS);
    assert.deepEqual(known.params, ['lr', 'model', 'model.act', 'model.layers', 'optimizer', 'status']);
    assert.deepEqual(known.tags, ['team']);
    const unknown = unknownFields(parseQuery('lrr<0.1 status=done tag.tem=x model.act=relu'), known);
    assert.deepEqual(
      unknown.map(({ key }) => key),
      ['lrr', 'tem'],
    );
  });
});
