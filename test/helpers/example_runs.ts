/**
 * The runs the docs' examples of `gymnos runs` and `gymnos report` read: a small lr sweep logged by the real
 * jsonl, csv and tensorboard trackers into `<dir>`, with params, tags and a figure, one run failed.
 */
import path from 'node:path';
import { CsvTracker } from '../../src/trackers/csv.js';
import { JsonlTracker } from '../../src/trackers/jsonl.js';
import { TensorboardTracker } from '../../src/trackers/tensorboard.js';
import type { Tracker } from '../../src/trackers/tracker.js';

export async function writeExampleRuns(logdir: string): Promise<void> {
  const runs: { id: string; tracker: Tracker; lr: number; optimizer: string; fail?: boolean }[] = [
    { id: 'sweep/lr-0.1', tracker: new JsonlTracker(), lr: 0.1, optimizer: 'adam', fail: true },
    { id: 'sweep/lr-0.01', tracker: new JsonlTracker(), lr: 0.01, optimizer: 'adam' },
    { id: 'sweep/lr-0.001', tracker: new TensorboardTracker(), lr: 0.001, optimizer: 'adam' },
    { id: 'baseline', tracker: new CsvTracker(), lr: 0.01, optimizer: 'sgd' },
  ];
  for (const run of runs) {
    await run.tracker.start(run.id, path.resolve(logdir));
    run.tracker.logParams({ lr: run.lr, optimizer: run.optimizer, batch: 64 });
    run.tracker.logTag('dataset', 'cifar10');
    for (let step = 0; step <= 1000; step++) {
      const loss = 0.2 + Math.exp(-step * run.lr * 0.3) + 0.05 * Math.sin(step / 3);
      run.tracker.logMetric('loss', loss, step);
      if (step % 50 === 0) run.tracker.logMetric('acc', 1 - loss / 2, step);
    }
    run.tracker.logFigure('per-class', {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      mark: 'bar',
      data: { values: ['cat', 'dog', 'ship'].map((c, i) => ({ c, acc: 0.9 - i / 10 - run.lr })) },
      encoding: { x: { field: 'c', type: 'nominal' }, y: { field: 'acc', type: 'quantitative' } },
    });
    await run.tracker.end(run.fail ? new Error('loss diverged') : undefined);
  }
}
