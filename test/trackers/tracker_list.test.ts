import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryTracker, Tracker, TrackerList } from '../../src/index.js';
import type { TrackerErrorContext } from '../../src/index.js';
import { describeTrackerConformance } from '../../src/testing/index.js';
import { memoryRecord } from '../helpers/memory_record.js';

class Exploding extends Tracker {
  override logMetric(): void {
    throw new Error('metric backend down');
  }
  override async start(): Promise<void> {
    throw new Error('cannot connect');
  }
}

// Read back from the second of its trackers: everything must have fanned out that far.
describeTrackerConformance('tracker_list', () => new TrackerList([new MemoryTracker(), new MemoryTracker()]), {
  readBack: ({ tracker }) => memoryRecord(tracker.trackers[1] as MemoryTracker),
});

describe('TrackerList', () => {
  test('fans every call out to every tracker, with the same resolved steps', async () => {
    const a = new MemoryTracker();
    const b = new MemoryTracker();
    const list = new TrackerList([a, b]);
    await list.start('run', '/tmp/logs');
    list.logMetric('loss', 1);
    list.logMetric('loss', 2, 5);
    list.logMetrics({ curve: [3, 4] });
    list.logParam('lr', 0.1);
    list.logTag('team', 'vision');
    list.logAsset('cfg', '/tmp/cfg.json');
    list.logImage('img', '/tmp/img.png');
    await list.end();
    for (const tracker of [a, b]) {
      assert.equal(tracker.runId, 'run');
      assert.deepEqual(tracker.metrics, [
        { name: 'loss', value: 1, step: 0 },
        { name: 'loss', value: 2, step: 5 },
        { name: 'curve', value: 3, step: 0 },
        { name: 'curve', value: 4, step: 1 },
      ]);
      assert.deepEqual(tracker.params, { lr: 0.1 });
      assert.deepEqual(tracker.tags, { team: 'vision' });
      assert.equal(tracker.assets.length, 1);
      assert.equal(tracker.images.length, 1);
      assert.equal(tracker.ended, true);
    }
  });

  test('one tracker that throws does not stop the others; end raises an AggregateError after ending all', async () => {
    const healthy = new MemoryTracker();
    const list = new TrackerList([new Exploding(), healthy]);
    await list.start('run', '/tmp/logs');
    list.logMetric('loss', 1);
    list.logMetric('loss', 2);
    await assert.rejects(list.end(), (error: unknown) => {
      assert.ok(error instanceof AggregateError);
      assert.equal(error.errors.length, 3);
      assert.match(error.message, /3 tracker error\(s\): Exploding\.start: cannot connect; Exploding\.logMetric/);
      return true;
    });
    assert.deepEqual(healthy.values('loss'), [1, 2]);
    assert.equal(healthy.ended, true);
  });

  test('with onError, each error is passed on at once and end resolves', async () => {
    const seen: [string, TrackerErrorContext][] = [];
    const healthy = new MemoryTracker();
    const exploding = new Exploding();
    const list = new TrackerList([exploding, healthy], {
      onError: (error, context) => seen.push([(error as Error).message, context]),
    });
    await list.start('run', '/tmp/logs');
    assert.equal(seen.length, 1);
    list.logMetric('loss', 1);
    assert.equal(seen.length, 2);
    assert.equal(seen[1]![1].tracker, exploding);
    assert.equal(seen[1]![1].hook, 'logMetric');
    await list.end();
    assert.equal(healthy.ended, true);
  });

  test('fromSpecs builds each tracker through load', async () => {
    const list = await TrackerList.fromSpecs([{ type: 'memory' }, { type: 'memory', rankZeroOnly: false }]);
    assert.equal(list.trackers.length, 2);
    assert.ok(list.trackers.every((tracker) => tracker instanceof MemoryTracker));
  });

  test('fromSpecs with an unknown type fails naming it', async () => {
    await assert.rejects(
      TrackerList.fromSpecs([{ type: 'memroy' }]),
      /unknown tracker "memroy"\. Did you mean "memory"\?/,
    );
  });
});
