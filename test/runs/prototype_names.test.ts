/**
 * A metric, param or tag named like a property of every object (`__proto__`, `constructor`, `toString`) is a
 * name like any other: each file tracker records it and the readers list and sample it, and no object of the
 * process gains a property (a metric named __proto__ once counted its points on Object.prototype).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import { listRuns } from '../../src/runs/parallel.js';
import { CsvTracker } from '../../src/trackers/csv.js';
import { JsonlTracker } from '../../src/trackers/jsonl.js';
import { TensorboardTracker } from '../../src/trackers/tensorboard.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'gymnos-prototype-names-'));
after(() => rmSync(root, { recursive: true, force: true }));

const NAMES = ['__proto__', 'constructor', 'toString'];

function inherited(): string[] {
  const keys: string[] = [];
  for (const key in {}) keys.push(key); // inherited keys are what is checked
  return keys;
}

it('records and reads metrics, params and tags named like Object.prototype, which stays as it was', async () => {
  const logdir = path.join(root, 'logs');
  for (const Tracker of [JsonlTracker, CsvTracker, TensorboardTracker]) {
    const tracker = new Tracker();
    await tracker.start(Tracker.name, logdir);
    for (const name of NAMES) {
      tracker.logParam(name, `${name} value`);
      tracker.logTag(name, `${name} tag`);
      for (let step = 0; step < 3; step++) tracker.logMetric(name, step + 1, step);
    }
    await tracker.end();
  }
  assert.deepEqual(inherited(), [], 'the trackers left Object.prototype as it was');
  for (const options of [{}, { sidecars: false }, { sample: { metrics: 'all', points: 50 } as const }]) {
    const runs = await listRuns({ logdirs: [logdir], ...options });
    assert.deepEqual(inherited(), [], 'the readers left Object.prototype as it was');
    assert.equal(runs.length, 3);
    for (const { summary, series } of runs) {
      assert.deepEqual(Object.keys(summary.metrics).sort(), [...NAMES].sort(), summary.id);
      for (const name of NAMES) {
        assert.equal(Object.getOwnPropertyDescriptor(summary.metrics, name)?.value.points, 3, `${summary.id} ${name}`);
        assert.equal(Object.getOwnPropertyDescriptor(summary.params, name)?.value, `${name} value`);
        assert.equal(Object.getOwnPropertyDescriptor(summary.tags, name)?.value, `${name} tag`);
      }
      if ('sample' in options) assert.deepEqual(Object.keys(series).sort(), [...NAMES].sort());
    }
  }
});
