import assert from 'node:assert/strict';
import { test } from 'node:test';
import { load, MemoryTracker } from '../../src/index.js';
import { describeTrackerConformance, TINY_PNG } from '../../src/testing/index.js';
import { memoryRecord } from '../helpers/memory_record.js';

describeTrackerConformance('memory', () => new MemoryTracker(), {
  readBack: ({ tracker }) => memoryRecord(tracker),
  afterLifecycle: ({ tracker, runId }) => {
    assert.equal(tracker.runId, runId);
    assert.ok(tracker.ended);
    assert.ok(tracker.flushes >= 1);
  },
});

test('memory keeps everything it is given', async () => {
  const tracker = new MemoryTracker();
  await tracker.start('run-7', '/tmp/logs');
  tracker.logMetric('loss', 0.5);
  tracker.logParam('lr', 0.01);
  tracker.logTag('team', 'vision');
  tracker.logAsset('cfg', '/tmp/cfg.json');
  tracker.logImage('sample', '/tmp/sample.png');
  tracker.logFigure('fig', TINY_PNG);
  const failure = new Error('diverged');
  await tracker.end(failure);
  assert.deepEqual(tracker.metrics, [{ name: 'loss', value: 0.5, step: 0 }]);
  assert.deepEqual(tracker.params, { lr: 0.01 });
  assert.deepEqual(tracker.tags, { team: 'vision' });
  assert.deepEqual(tracker.assets, [{ name: 'cfg', filePath: '/tmp/cfg.json' }]);
  assert.deepEqual(tracker.images, [{ name: 'sample', filePath: '/tmp/sample.png' }]);
  assert.equal(tracker.figures[0]!.figure, TINY_PNG);
  assert.equal(tracker.failure, failure);
});

test("load('memory') returns a MemoryTracker built with the params", async () => {
  const tracker = await load('memory', { rankZeroOnly: false });
  assert.ok(tracker instanceof MemoryTracker);
});
