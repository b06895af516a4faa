/**
 * Trackers chosen without code: GYMNOS_TRACKERS parsed into specs (names, a JSON list with params, none),
 * unknown names in one error listing the known ones, TrackerList.fromEnv building the list; and the run ids
 * made for runs started without one sort in the order they were made.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { trackerSpecsFromEnv } from '../../src/registry/env_specs.js';
import { generateRunId } from '../../src/runtime/run_id.js';
import { CsvTracker } from '../../src/trackers/csv.js';
import { JsonlTracker } from '../../src/trackers/jsonl.js';
import { TrackerList } from '../../src/registry/tracker_list.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('GYMNOS_TRACKERS', () => {
  const parse = (value: string | undefined) => trackerSpecsFromEnv({ GYMNOS_TRACKERS: value });

  it('reads names, a JSON list of names and specs, and none', () => {
    assert.equal(parse(undefined), undefined);
    assert.equal(parse('  '), undefined);
    assert.deepEqual(parse('none'), []);
    assert.deepEqual(parse('jsonl, tensorboard,'), [{ type: 'jsonl' }, { type: 'tensorboard' }]);
    assert.deepEqual(parse('[{"type":"jsonl","flushIntervalMs":500},"csv"]'), [
      { type: 'jsonl', flushIntervalMs: 500 },
      { type: 'csv' },
    ]);
  });

  it('reports every unknown name in one error that lists the known ones', () => {
    assert.throws(() => parse('jsonl,tensorbord,neptune'), {
      code: 'TRACKERS_ENV_UNKNOWN',
      kind: 'usage',
      message:
        'GYMNOS_TRACKERS names unknown trackers "tensorbord", "neptune"; known trackers: comet, csv, jsonl, memory, ' +
        'mlflow, tensorboard, wandb',
    });
    assert.throws(() => trackerSpecsFromEnv({ GYMNOS_TRACKERS: 'mine' }, ['jsonl']), {
      message: 'GYMNOS_TRACKERS names an unknown tracker "mine"; known trackers: jsonl',
    });
  });

  it('rejects JSON that is not a list of names and specs', () => {
    for (const value of ['[1]', '{"type":"jsonl"}', '[{"params":{}}]', '[jsonl']) {
      assert.throws(() => parse(value), { code: 'TRACKERS_ENV_INVALID' }, value);
    }
  });

  it('a list of commas only names no tracker: an error, not a run logged nowhere (none says that)', () => {
    for (const value of [',', ' , ,']) {
      assert.throws(() => parse(value), {
        code: 'TRACKERS_ENV_INVALID',
        message: 'GYMNOS_TRACKERS: names no tracker (write none to log nowhere)',
      });
    }
  });

  it('an item nested too deep to print is described in the one-line error, not a RangeError', () => {
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    assert.throws(() => parse(`[${deep}]`), {
      code: 'TRACKERS_ENV_INVALID',
      message:
        'GYMNOS_TRACKERS: item 0 must be a tracker name or an object with a "type" (a value nested too deep to show)',
    });
    assert.throws(() => parse(`[[${'1,'.repeat(100)}1]]`), { message: /\(\[1,1,1,.{60,}\.\.\.\)$/ });
  });

  it('TrackerList.fromEnv builds the trackers it names, with their params, and falls back to jsonl', async () => {
    const logdir = mkdtempSync(path.join(os.tmpdir(), 'gymnos-env-'));
    dirs.push(logdir);
    const list = await TrackerList.fromEnv({
      env: { GYMNOS_TRACKERS: '[{"type":"jsonl","flushIntervalMs":0},"csv"]' },
    });
    assert.deepEqual(
      list.trackers.map((tracker) => tracker.constructor),
      [JsonlTracker, CsvTracker],
    );
    assert.equal((list.trackers[0] as JsonlTracker).flushIntervalMs, 0);
    await list.start('r', logdir);
    list.logMetric('loss', 1, 0);
    await list.end();
    assert.ok(existsSync(path.join(logdir, 'r', 'events.jsonl')));
    assert.ok(existsSync(path.join(logdir, 'r', 'metrics.csv')));
    const fallback = await TrackerList.fromEnv({ env: {} });
    assert.deepEqual(
      fallback.trackers.map((tracker) => tracker.constructor),
      [JsonlTracker],
    );
    await assert.rejects(TrackerList.fromEnv({ env: { GYMNOS_TRACKERS: 'nope' } }), { code: 'TRACKERS_ENV_UNKNOWN' });
  });
});

describe('generated run ids', () => {
  it('are the UTC time to the millisecond and a random suffix, sorting as they were made', () => {
    assert.equal(generateRunId(new Date(Date.UTC(2026, 10, 30, 9, 5, 7, 42)), 'abc123'), '20261130-090507-042-abc123');
    const ids = Array.from({ length: 200 }, (_, i) => generateRunId(new Date(1_764_000_000_000 + i * 997)));
    assert.deepEqual([...ids].sort(), ids);
    // Within one process, never the same id, however many are made in one millisecond.
    const now = new Date();
    assert.equal(new Set(Array.from({ length: 20_000 }, () => generateRunId(now))).size, 20_000);
    assert.match(generateRunId(), /^\d{8}-\d{6}-\d{3}-[0-9a-f]{6}$/);
  });
});
