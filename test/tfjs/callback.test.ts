/**
 * `gymnos/tfjs` with the real TensorFlow.js: tiny models trained through `fit` and `fitDataset`, the tracker
 * callback beside a plain callback that captures what tfjs passed to callbacks; what the memory tracker recorded
 * must be exactly that, under the documented names and steps.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MemoryTracker } from '../../src/trackers/memory.js';
import type { Tracker } from '../../src/trackers/tracker.js';
import { TrackerList } from '../../src/registry/tracker_list.js';
import { trackerCallback } from '../../src/tfjs/index.js';
import type { TrackerCallback } from '../../src/tfjs/index.js';
import {
  captureCallback,
  expectedMetrics,
  sorted,
  tf,
  TINY_MODEL_PARAMS,
  tinyData,
  tinyDataset,
  tinyModel,
} from './helpers.js';

let dir: string;
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'gymnos-tfjs-test-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** tfjs's `callbacks` type: the tracker callback is a plain callback object. */
const asArgs = (callback: TrackerCallback) => callback as tf.CustomCallbackArgs;

async function started(tracker: MemoryTracker): Promise<MemoryTracker> {
  await (tracker as Tracker).start(undefined, dir);
  return tracker;
}

/** One epoch of `model` on 8 samples with `callbacks`; the data disposed whatever happens. */
async function fitTiny(model: tf.LayersModel, callbacks: tf.CustomCallbackArgs | tf.CustomCallbackArgs[]) {
  const { xs, ys } = tinyData(8);
  try {
    await model.fit(xs, ys, { epochs: 1, verbose: 0, callbacks });
  } finally {
    tf.dispose([xs, ys]);
  }
}

describe('fit with validation data', () => {
  test('every epoch and batch metric tfjs passed to callbacks, exact, under batch/epoch/validation names', async () => {
    const memory = await started(new MemoryTracker());
    const model = tinyModel();
    const { xs, ys } = tinyData(40);
    const { captured, callback: capture } = captureCallback(model);
    const callback = trackerCallback(memory, { model, updateFreq: 'batch', filesDir: dir });
    await model.fit(xs, ys, {
      epochs: 3,
      batchSize: 8,
      validationSplit: 0.25,
      verbose: 0,
      callbacks: [asArgs(callback), capture],
    });
    tf.dispose([xs, ys]);
    assert.equal(captured.batches.length, 12); // 30 training samples in batches of 8, 3 epochs
    assert.ok(captured.epochs.every(({ logs }) => 'val_loss' in logs && 'val_mae' in logs));
    assert.deepEqual(sorted(memory.metrics), sorted(expectedMetrics(captured, { batchEvery: 1 })));
    const names = new Set(memory.metrics.map(({ name }) => name));
    for (const name of ['epoch_loss/train', 'epoch_loss/validation', 'epoch_mae/train', 'epoch_mae/validation']) {
      assert.ok(names.has(name), name);
    }
    assert.ok(!names.has('batch_batch/train') && !names.has('batch_size/train'), 'batch and size are not metrics');
  });

  test('updateFreq N logs every Nth batch, the batch counter running across epochs', async () => {
    const memory = await started(new MemoryTracker());
    const model = tinyModel();
    const { xs, ys } = tinyData(30);
    const { captured, callback: capture } = captureCallback(model);
    const callback = trackerCallback(memory, { model, updateFreq: 3, filesDir: dir });
    await model.fit(xs, ys, { epochs: 2, batchSize: 8, verbose: 0, callbacks: [asArgs(callback), capture] });
    tf.dispose([xs, ys]);
    const batchSteps = memory.metrics.filter(({ name }) => name === 'batch_loss/train').map(({ step }) => step);
    assert.deepEqual(batchSteps, [0, 3, 6]); // 4 batches an epoch: global batches 0..7
    assert.deepEqual(sorted(memory.metrics), sorted(expectedMetrics(captured, { batchEvery: 3 })));
  });

  test("updateFreq 'epoch' logs no batch and has no batch hook (tfjs would read every batch's logs)", async () => {
    const memory = await started(new MemoryTracker());
    const model = tinyModel();
    const callback = trackerCallback(memory, { model, filesDir: dir });
    assert.equal(callback.onBatchEnd, undefined);
    assert.equal(callback.onBatchBegin, undefined);
    const { xs, ys } = tinyData(16);
    const { captured, callback: capture } = captureCallback(model);
    await model.fit(xs, ys, { epochs: 2, batchSize: 8, verbose: 0, callbacks: [asArgs(callback), capture] });
    tf.dispose([xs, ys]);
    assert.deepEqual(sorted(memory.metrics), sorted(expectedMetrics(captured)));
    assert.ok(memory.metrics.every(({ name }) => name.startsWith('epoch_')));
  });

  test('a batch hook returns at once: no promise, nothing awaited on the training loop', async () => {
    const memory = await started(new MemoryTracker());
    const callback = trackerCallback(memory, { updateFreq: 'batch' });
    await callback.onTrainBegin();
    assert.equal(callback.onBatchEnd!(0, { batch: 0, size: 8, loss: 0.5 }), undefined);
    assert.deepEqual(memory.metrics, [{ name: 'batch_loss/train', value: 0.5, step: 0 }]);
    await callback.onTrainEnd();
  });

  test('a prefix goes before every name', async () => {
    const memory = await started(new MemoryTracker());
    const model = tinyModel();
    const { xs, ys } = tinyData(16);
    const { captured, callback: capture } = captureCallback(model);
    const callback = trackerCallback(memory, { model, prefix: 'pretrain', updateFreq: 'batch', filesDir: dir });
    await model.fit(xs, ys, {
      epochs: 2,
      batchSize: 8,
      verbose: 0,
      validationData: [xs, ys],
      callbacks: [asArgs(callback), capture],
    });
    tf.dispose([xs, ys]);
    assert.deepEqual(sorted(memory.metrics), sorted(expectedMetrics(captured, { batchEvery: 1, prefix: 'pretrain' })));
    assert.ok(Object.keys(memory.params).every((name) => name.startsWith('pretrain/')));
    assert.deepEqual(
      memory.assets.map(({ name }) => name),
      ['pretrain-model-topology'],
    );
  });
});

describe('fitDataset', () => {
  test('with validation data: every metric exact; stepsPerEpoch and initialEpoch as params', async () => {
    const memory = await started(new MemoryTracker());
    const model = tinyModel();
    const { captured, callback: capture } = captureCallback(model);
    const callback = trackerCallback(memory, { model, updateFreq: 'batch', filesDir: dir });
    await model.fitDataset(tinyDataset(24, 8), {
      epochs: 4,
      initialEpoch: 1,
      validationData: tinyDataset(8, 8, 7),
      verbose: 0,
      callbacks: [asArgs(callback), capture],
    });
    assert.equal(captured.epochs.length, 3);
    assert.ok(captured.epochs.every(({ logs }) => 'val_loss' in logs));
    // tfjs numbers the epochs from initialEpoch: 1, 2, 3, and so do the steps of a run's first fit.
    assert.deepEqual(sorted(memory.metrics), sorted(expectedMetrics(captured, { batchEvery: 1, firstEpochStep: 1 })));
    assert.equal(memory.params.stepsPerEpoch, 3); // a dataset of arrays knows its size
    assert.equal(memory.params.initialEpoch, 1);
    assert.equal(memory.params.epochs, 4);
    assert.equal(memory.params.doValidation, true);
  });

  test('batchesPerEpoch is the stepsPerEpoch', async () => {
    const memory = await started(new MemoryTracker());
    const model = tinyModel();
    const callback = trackerCallback(memory, { model, filesDir: dir });
    await model.fitDataset(tinyDataset(24, 8), {
      epochs: 1,
      batchesPerEpoch: 2,
      verbose: 0,
      callbacks: asArgs(callback),
    });
    assert.equal(memory.params.stepsPerEpoch, 2);
  });
});

describe('what a run records besides metrics', () => {
  test('params at train begin: training, optimizer and its learning rate, loss, metrics, layers', async () => {
    const memory = await started(new MemoryTracker());
    const model = tinyModel(tf.train.adam(0.05));
    const { xs, ys } = tinyData(20);
    const fitArgs = { epochs: 2, batchSize: 4, validationSplit: 0.2, shuffle: false };
    const callback = trackerCallback(memory, { model, fitArgs, filesDir: dir });
    await model.fit(xs, ys, { ...fitArgs, verbose: 0, callbacks: asArgs(callback) });
    tf.dispose([xs, ys]);
    assert.deepEqual(memory.params, {
      epochs: 2,
      initialEpoch: 0,
      batchSize: 4,
      samples: 16,
      doValidation: true,
      validationSplit: 0.2,
      shuffle: false,
      ...TINY_MODEL_PARAMS,
    });
  });

  test("the model's topology JSON is an asset, written once per model and run", async () => {
    const memory = await started(new MemoryTracker());
    const model = tinyModel();
    const { xs, ys } = tinyData(8);
    const callback = trackerCallback(memory, { model, filesDir: dir });
    await model.fit(xs, ys, { epochs: 1, verbose: 0, callbacks: asArgs(callback) });
    await model.fit(xs, ys, { epochs: 1, verbose: 0, callbacks: asArgs(callback) });
    tf.dispose([xs, ys]);
    assert.equal(memory.assets.length, 1);
    const [asset] = memory.assets;
    assert.equal(asset!.name, 'model-topology');
    assert.equal(asset!.filePath, path.join(dir, memory.runId!, 'model-topology.json'));
    assert.deepEqual(JSON.parse(readFileSync(asset!.filePath, 'utf8')), model.toJSON(null, false));
  });

  test('the learning rate of every epoch, as a schedule changes it', async () => {
    const memory = await started(new MemoryTracker());
    const optimizer = tf.train.sgd(0.1);
    const model = tinyModel(optimizer);
    const { xs, ys } = tinyData(8);
    const schedule: tf.CustomCallbackArgs = { onEpochBegin: (epoch) => optimizer.setLearningRate(0.1 / (epoch + 1)) };
    const callback = trackerCallback(memory, { model, filesDir: dir });
    await model.fit(xs, ys, { epochs: 3, verbose: 0, callbacks: [schedule, asArgs(callback)] });
    tf.dispose([xs, ys]);
    assert.deepEqual(
      memory.metrics.filter(({ name }) => name === 'epoch_learning_rate').map(({ step, value }) => [step, value]),
      [
        [0, 0.1],
        [1, 0.05],
        [2, 0.1 / 3],
      ],
    );
  });

  test('logParams: false logs no params and no topology', async () => {
    const memory = await started(new MemoryTracker());
    const model = tinyModel();
    await fitTiny(model, asArgs(trackerCallback(memory, { model, logParams: false, filesDir: dir })));
    assert.deepEqual(memory.params, {});
    assert.deepEqual(memory.assets, []);
    assert.ok(memory.metrics.length > 0);
  });
});

describe('checkpoints', () => {
  /** The model a checkpoint's two files hold, loaded as `tf.loadLayersModel` loads one. */
  async function loadCheckpoint(jsonFile: string): Promise<tf.LayersModel> {
    const modelJson = JSON.parse(readFileSync(jsonFile, 'utf8')) as tf.io.ModelJSON;
    const [group] = modelJson.weightsManifest;
    assert.deepEqual(group!.paths, [`${path.basename(jsonFile, '.json')}.weights.bin`]);
    const weights = readFileSync(path.join(path.dirname(jsonFile), group!.paths[0]!));
    return tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology,
        weightSpecs: group!.weights,
        weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
      }),
    );
  }

  const weightsOf = (model: tf.LayersModel) => model.getWeights().map((weight) => Array.from(weight.dataSync()));

  test('checkpoint: true saves the weights at the end of training, loadable, equal to the trained model', async () => {
    const memory = await started(new MemoryTracker());
    const model = tinyModel();
    const { xs, ys } = tinyData(16);
    const callback = trackerCallback(memory, { model, checkpoint: true, filesDir: dir });
    await model.fit(xs, ys, { epochs: 3, batchSize: 8, verbose: 0, callbacks: asArgs(callback) });
    tf.dispose([xs, ys]);
    const names = memory.assets.map(({ name }) => name);
    assert.deepEqual(names, ['model-topology', 'checkpoint-epoch-2', 'checkpoint-epoch-2.weights']);
    assert.equal(memory.tags.checkpoint, 'checkpoint-epoch-2');
    const loaded = await loadCheckpoint(memory.assets[1]!.filePath);
    assert.deepEqual(weightsOf(loaded), weightsOf(model));
    loaded.dispose();
  });

  test('checkpoint { monitor }: saved at each epoch the metric improved, with the weights of that epoch', async () => {
    const memory = await started(new MemoryTracker());
    const model = tinyModel(tf.train.sgd(0.3)); // a rate high enough that val_loss goes up and down
    const { xs, ys } = tinyData(24);
    const weightsAt: number[][][] = [];
    const { captured, callback: capture } = captureCallback(model);
    const keepWeights: tf.CustomCallbackArgs = { onEpochEnd: () => void weightsAt.push(weightsOf(model)) };
    const callback = trackerCallback(memory, { model, checkpoint: { monitor: 'val_loss' }, filesDir: dir });
    await model.fit(xs, ys, {
      epochs: 6,
      batchSize: 4,
      validationSplit: 0.25,
      verbose: 0,
      callbacks: [asArgs(callback), capture, keepWeights],
    });
    tf.dispose([xs, ys]);
    let best = Infinity;
    const improved = captured.epochs.filter(({ logs }) => logs.val_loss! < best && ((best = logs.val_loss!), true));
    const saved = memory.assets.filter(({ name }) => name.startsWith('checkpoint-') && !name.endsWith('.weights'));
    assert.deepEqual(
      saved.map(({ name }) => name),
      improved.map(({ epoch }) => `checkpoint-epoch-${epoch}`),
    );
    for (const { name, filePath } of saved) {
      const loaded = await loadCheckpoint(filePath);
      assert.deepEqual(weightsOf(loaded), weightsAt[Number(name.split('-').at(-1))], name);
      loaded.dispose();
    }
  });

  test('training waits while the weights are copied: a checkpoint holds the weights of its epoch', async () => {
    const memory = await started(new MemoryTracker());
    // A model whose save reads its weights later, as an asynchronous backend does, and a loop that changes them as
    // soon as the epoch's hooks return: a checkpoint written in the background would hold the next batch's weights.
    const weights = new Float32Array([0.25]);
    const model = {
      save: async (handler: { save: (artifacts: object) => Promise<unknown> }) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        const weightSpecs = [{ name: 'w', shape: [1], dtype: 'float32' }];
        return handler.save({ modelTopology: {}, weightSpecs, weightData: weights.slice().buffer });
      },
    };
    const callback = trackerCallback(memory, { model, checkpoint: { monitor: 'val_loss' }, filesDir: dir });
    await callback.onTrainBegin();
    await callback.onEpochBegin(0);
    await callback.onEpochEnd(0, { val_loss: 1 });
    weights[0] = 0.5; // the next batch
    await callback.onTrainEnd();
    const saved = memory.assets.find(({ name }) => name === 'checkpoint-epoch-0.weights');
    assert.ok(saved, memory.assets.map(({ name }) => name).join(', '));
    const bytes = readFileSync(saved.filePath);
    assert.deepEqual([...new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)], [0.25]);
  });

  test('checkpoints are logged in the order of their epochs, the tag naming the best, whatever the sizes', async () => {
    const memory = await started(new MemoryTracker());
    // The first checkpoint is 32 MiB, the next ones 4 bytes: written side by side, the small ones finish first.
    let saves = 0;
    const model = {
      save: async (handler: { save: (artifacts: object) => Promise<unknown> }) => {
        const weightData = new Float32Array(saves++ === 0 ? 8 * 1024 * 1024 : 1).buffer;
        const weightSpecs = [{ name: 'w', shape: [weightData.byteLength / 4], dtype: 'float32' }];
        return handler.save({ modelTopology: {}, weightSpecs, weightData });
      },
    };
    const callback = trackerCallback(memory, { model, checkpoint: { monitor: 'val_loss' }, filesDir: dir });
    await callback.onTrainBegin();
    for (const [epoch, valLoss] of [0.9, 0.5, 0.3].entries()) {
      await callback.onEpochBegin(epoch);
      await callback.onEpochEnd(epoch, { val_loss: valLoss });
    }
    await callback.onTrainEnd();
    assert.deepEqual(
      memory.assets.map(({ name }) => name).filter((name) => name.startsWith('checkpoint-')),
      ['checkpoint-epoch-0', 'checkpoint-epoch-0.weights', 'checkpoint-epoch-1', 'checkpoint-epoch-1.weights'].concat([
        'checkpoint-epoch-2',
        'checkpoint-epoch-2.weights',
      ]),
    );
    assert.equal(memory.tags.checkpoint, 'checkpoint-epoch-2');
  });

  test('a monitor missing from the logs is warned about once, and nothing is saved for it', async () => {
    const memory = await started(new MemoryTracker());
    const model = tinyModel();
    const { xs, ys } = tinyData(8);
    const warnings: string[] = [];
    const listener = (warning: Error & { code?: string }) => void warnings.push(`${warning.code}: ${warning.message}`);
    process.on('warning', listener);
    try {
      const callback = trackerCallback(memory, { model, checkpoint: { monitor: 'val_loss' }, filesDir: dir });
      await model.fit(xs, ys, { epochs: 2, verbose: 0, callbacks: asArgs(callback) });
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    } finally {
      process.off('warning', listener);
      tf.dispose([xs, ys]);
    }
    assert.deepEqual(warnings.filter((warning) => warning.startsWith('GYMNOS_TFJS_MONITOR')).length, 1);
    assert.match(
      warnings.find((warning) => warning.startsWith('GYMNOS_TFJS_MONITOR'))!,
      /"val_loss" is not in the epoch logs \(they have: loss, mae\)/,
    );
    assert.ok(memory.assets.every(({ name }) => !name.startsWith('checkpoint')));
  });
});

describe('tensors', () => {
  test('tf.memory().numTensors is the same before and after a fit with batches and checkpoints', async () => {
    const model = tinyModel();
    const { xs, ys } = tinyData(24);
    const fitArgs = { epochs: 3, batchSize: 8, validationSplit: 0.25, verbose: 0 } as const;
    await model.fit(xs, ys, fitArgs); // the optimizer makes its variables at its first fit
    const before = tf.memory().numTensors;
    const memory = await started(new MemoryTracker());
    const options = { model, updateFreq: 'batch', checkpoint: { monitor: 'val_loss' }, filesDir: dir } as const;
    await model.fit(xs, ys, { ...fitArgs, callbacks: asArgs(trackerCallback(memory, options)) });
    assert.equal(tf.memory().numTensors, before);
    // After tfjs's own callbacks, the callback gets logs holding Scalars: it reads them and leaks none either.
    await model.fit(xs, ys, {
      ...fitArgs,
      callbacks: [
        tf.callbacks.earlyStopping({ patience: 99 }),
        trackerCallback(memory, options) as unknown as tf.Callback,
      ],
    });
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([xs, ys]);
    assert.ok(memory.metrics.length > 0 && memory.assets.length > 0);
  });
});

describe("after tfjs's own callbacks, used as one of them", () => {
  test('logs holding Scalars are read once each: the values tfjs passed, exact', async () => {
    const memory = await started(new MemoryTracker());
    const model = tinyModel();
    const { xs, ys } = tinyData(24);
    // A capture tfjs also calls directly: it reads the scalars itself (and leaves them to tfjs to dispose).
    const batches: Record<string, number>[] = [];
    const epochs: { epoch: number; logs: Record<string, number> }[] = [];
    const read = async (logs: Record<string, unknown> = {}) =>
      Object.fromEntries(
        await Promise.all(
          Object.entries(logs).map(async ([key, value]) => [
            key,
            typeof value === 'number' ? value : (await (value as tf.Scalar).data())[0]!,
          ]),
        ),
      ) as Record<string, number>;
    class Capture extends tf.Callback {
      override async onBatchEnd(_batch: number, logs?: tf.Logs) {
        batches.push(await read(logs));
      }
      override async onEpochEnd(epoch: number, logs?: tf.Logs) {
        epochs.push({ epoch, logs: await read(logs) });
      }
    }
    const callback = trackerCallback(memory, { updateFreq: 'batch', filesDir: dir });
    await model.fit(xs, ys, {
      epochs: 2,
      batchSize: 8,
      validationSplit: 0.25,
      verbose: 0,
      callbacks: [tf.callbacks.earlyStopping({ patience: 99 }), callback as unknown as tf.Callback, new Capture()],
    });
    tf.dispose([xs, ys]);
    assert.ok(batches.length === 6 && epochs.length === 2);
    // The model came from tfjs's setModel: the learning rate is logged without the model option.
    const rates = epochs.map(() => 0.05);
    assert.deepEqual(sorted(memory.metrics), sorted(expectedMetrics({ batches, epochs, rates }, { batchEvery: 1 })));
    assert.equal(memory.params.optimizer, 'Adam');
    assert.equal(memory.params.samples, 18);
  });

  test('a custom loop passing Scalars: logged once read, and never disposed by the callback', async () => {
    const memory = await started(new MemoryTracker());
    const callback = trackerCallback(memory, { updateFreq: 'batch' });
    await callback.onTrainBegin();
    const before = tf.memory().numTensors;
    const loss = tf.scalar(0.25);
    callback.onBatchEnd!(0, { loss });
    assert.equal(loss.isDisposed, false);
    loss.dispose(); // the loop owns its tensors: the read started before it returned still completes
    await callback.onEpochBegin(0);
    const epochLoss = tf.scalar(0.5);
    await callback.onEpochEnd(0, { loss: epochLoss, val_loss: 0.75 });
    epochLoss.dispose();
    await callback.onTrainEnd();
    assert.equal(tf.memory().numTensors, before);
    assert.deepEqual(sorted(memory.metrics), [
      { name: 'batch_loss/train', step: 0, value: 0.25 },
      { name: 'epoch_loss/train', step: 0, value: 0.5 },
      { name: 'epoch_loss/validation', step: 0, value: 0.75 },
    ]);
  });
});

describe('the run follows training', () => {
  test('trackers not started are started at train begin and ended at train end', async () => {
    const memory = new MemoryTracker();
    const model = tinyModel();
    await fitTiny(
      model,
      asArgs(trackerCallback(memory, { model, logdir: dir, runId: 'started-by-callback', filesDir: dir })),
    );
    assert.equal(memory.runId, 'started-by-callback');
    assert.equal(memory.logdir, dir);
    assert.equal(memory.state, 'ended');
    assert.equal(memory.failure, undefined);
  });

  test("a tracker's error when the callback ends the run rejects fit's promise, after training", async () => {
    class FailingEnd extends MemoryTracker {
      override end(): void {
        throw new Error('disk full');
      }
    }
    const failing = new FailingEnd();
    const trackers = new TrackerList([failing, new MemoryTracker()]);
    const model = tinyModel();
    const { captured, callback: capture } = captureCallback(model);
    const callback = trackerCallback(trackers, { model, logdir: dir, filesDir: dir });
    await assert.rejects(
      fitTiny(model, [asArgs(callback), capture]),
      /1 tracker error\(s\): FailingEnd.end: disk full/,
    );
    assert.equal(captured.epochs.length, 1); // trained
    assert.equal(trackers.state, 'ended');
  });

  test('trackers the caller started are flushed at train end, not ended', async () => {
    const memory = await started(new MemoryTracker());
    const model = tinyModel();
    await fitTiny(model, asArgs(trackerCallback(memory, { model, filesDir: dir })));
    assert.equal(memory.state, 'started');
    assert.equal(memory.flushes, 1);
    await memory.end();
  });

  test('an exception out of fit leaves the run started; the caller ends it as failed', async () => {
    const memory = new MemoryTracker();
    const model = tinyModel();
    const { xs, ys } = tinyData(8);
    const failure = new Error('out of memory, say');
    const failing: tf.CustomCallbackArgs = {
      onEpochEnd: (epoch) => {
        if (epoch === 1) throw failure;
      },
    };
    const callback = trackerCallback(memory, { model, logdir: dir, filesDir: dir });
    try {
      await model.fit(xs, ys, { epochs: 3, verbose: 0, callbacks: [asArgs(callback), failing] });
      assert.fail('fit did not throw');
    } catch (error) {
      assert.equal(error, failure);
      assert.equal(memory.state, 'started'); // the callback ends only a run whose training ended
      await memory.end(error);
    } finally {
      tf.dispose([xs, ys]);
    }
    assert.equal(memory.failure, failure);
    assert.deepEqual(
      memory.metrics.filter(({ name }) => name === 'epoch_loss/train').map(({ step }) => step),
      [0, 1],
    );
  });

  test('several fits in one run continue the epoch and batch steps; later params go under fit2/', async () => {
    const memory = await started(new MemoryTracker());
    const model = tinyModel();
    const { xs, ys } = tinyData(16);
    const first = captureCallback(model);
    await model.fit(xs, ys, {
      epochs: 2,
      batchSize: 8,
      verbose: 0,
      callbacks: [asArgs(trackerCallback(memory, { model, updateFreq: 'batch', filesDir: dir })), first.callback],
    });
    // Fine-tuning with a new callback for the same trackers, from epoch 0 again as tfjs counts it.
    (model.optimizer as tf.AdamOptimizer & { learningRate: number }).learningRate = 0.01;
    const second = captureCallback(model);
    await model.fit(xs, ys, {
      epochs: 3,
      batchSize: 8,
      verbose: 0,
      callbacks: [asArgs(trackerCallback(memory, { model, updateFreq: 'batch', filesDir: dir })), second.callback],
    });
    tf.dispose([xs, ys]);
    assert.deepEqual(
      sorted(memory.metrics),
      sorted([
        ...expectedMetrics(first.captured, { batchEvery: 1 }),
        ...expectedMetrics(second.captured, { batchEvery: 1, firstEpochStep: 2, firstBatchStep: 4 }),
      ]),
    );
    assert.equal(memory.params.epochs, 2);
    assert.equal(memory.params['fit2/epochs'], 3);
    assert.equal(memory.params['optimizer/learningRate'], 0.05);
    assert.equal(memory.params['fit2/optimizer/learningRate'], 0.01);
    await memory.end();
  });

  test('a later fit that continues from initialEpoch keeps its epochs', async () => {
    const memory = await started(new MemoryTracker());
    const model = tinyModel();
    const { xs, ys } = tinyData(8);
    const callback = trackerCallback(memory, { model, filesDir: dir });
    await model.fit(xs, ys, { epochs: 2, verbose: 0, callbacks: asArgs(callback) });
    await model.fit(xs, ys, { epochs: 4, initialEpoch: 2, verbose: 0, callbacks: asArgs(callback) });
    tf.dispose([xs, ys]);
    assert.deepEqual(
      memory.metrics.filter(({ name }) => name === 'epoch_loss/train').map(({ step }) => step),
      [0, 1, 2, 3],
    );
  });

  test('a TrackerList: every tracker records the same steps', async () => {
    const [a, b] = [new MemoryTracker(), new MemoryTracker()];
    const trackers = new TrackerList([a, b]);
    const model = tinyModel();
    const { xs, ys } = tinyData(8);
    const callback = trackerCallback(trackers, { model, updateFreq: 'batch', logdir: dir, filesDir: dir });
    await model.fit(xs, ys, { epochs: 2, batchSize: 4, verbose: 0, callbacks: asArgs(callback) });
    tf.dispose([xs, ys]);
    assert.ok(a.metrics.length > 0);
    assert.deepEqual(a.metrics, b.metrics);
    assert.deepEqual(a.params, b.params);
    assert.equal(a.state, 'ended');
  });
});

describe('failures of the logging never stop training', () => {
  /** The GymnosWarnings emitted while `body` runs (and one turn of the event loop after). */
  async function warningsDuring(body: () => Promise<void>): Promise<string[]> {
    const warnings: string[] = [];
    const listener = (warning: Error & { code?: string }) => void warnings.push(`${warning.code}: ${warning.message}`);
    process.on('warning', listener);
    try {
      await body();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listener);
    }
    return warnings.filter((warning) => warning.startsWith('GYMNOS_'));
  }

  test('a file that cannot be written is a warning; the fit completes and logs its metrics', async () => {
    const memory = await started(new MemoryTracker());
    const model = tinyModel();
    const notADirectory = path.join(dir, 'a-file');
    writeFileSync(notADirectory, '');
    const warnings = await warningsDuring(() =>
      fitTiny(model, asArgs(trackerCallback(memory, { model, checkpoint: true, filesDir: notADirectory }))),
    );
    assert.equal(warnings.length, 2, warnings.join('\n'));
    assert.match(warnings[0]!, /^GYMNOS_FILE_NOT_SAVED: gymnos\/tfjs: the model topology was not saved: ENOTDIR/);
    assert.match(warnings[1]!, /^GYMNOS_FILE_NOT_SAVED: gymnos\/tfjs: checkpoint checkpoint-epoch-0 was not saved: /);
    assert.deepEqual(memory.assets, []);
    assert.ok(memory.metrics.some(({ name }) => name === 'epoch_loss/train'));
  });

  test('a scalar that cannot be read is a warning; the other metrics are logged', async () => {
    const memory = await started(new MemoryTracker());
    const callback = trackerCallback(memory, { updateFreq: 'batch' });
    const unreadable = { data: () => Promise.reject(new Error('the tensor was disposed')) };
    const warnings = await warningsDuring(async () => {
      await callback.onTrainBegin();
      callback.onBatchEnd!(0, { loss: unreadable, mae: 0.5 });
      await callback.onTrainEnd();
    });
    assert.deepEqual(warnings, [
      'GYMNOS_TFJS_UNREAD: gymnos/tfjs: the metrics of step 0 could not be read: the tensor was disposed',
    ]);
    assert.deepEqual(memory.metrics, [{ name: 'batch_mae/train', value: 0.5, step: 0 }]);
  });
});

describe('ranks', () => {
  test('on a rank other than zero nothing is logged and no file is written', async () => {
    const saved = process.env.RANK;
    process.env.RANK = '1';
    let memory: MemoryTracker;
    try {
      memory = new MemoryTracker(); // rankZeroOnly: inactive on rank 1
    } finally {
      if (saved === undefined) delete process.env.RANK;
      else process.env.RANK = saved;
    }
    const filesDir = path.join(dir, 'rank-1-files');
    const model = tinyModel();
    const options = { model, updateFreq: 'batch', checkpoint: true, logdir: dir, filesDir } as const;
    await fitTiny(model, asArgs(trackerCallback(memory, options)));
    assert.equal(memory.active, false);
    assert.deepEqual([memory.metrics, memory.assets, memory.params], [[], [], {}]);
    assert.equal(existsSync(filesDir), false);
  });
});

describe('options', () => {
  test('what is not a tracker, and options of the wrong kind, are TypeErrors naming the option', () => {
    const memory = new MemoryTracker();
    assert.throws(() => trackerCallback({} as MemoryTracker), /trackers must be a gymnos Tracker or TrackerList/);
    const cases: [object, RegExp][] = [
      [{ updateFreq: 0 }, /updateFreq must be 'epoch', 'batch' or a positive integer, got 0/],
      [{ updateFreq: 'step' }, /updateFreq must be .*, got "step"/],
      [{ updateFreq: 1.5 }, /updateFreq/],
      [{ checkpoint: { monitor: '' } }, /checkpoint.monitor must be a log key/],
      [
        { checkpoint: { monitor: 'val_loss', mode: 'best' } },
        /checkpoint.mode must be 'min', 'max' or 'auto', got "best"/,
      ],
      [{ checkpoint: 'yes' }, /checkpoint must be true, false or \{ monitor \}/],
      [{ prefix: 3 }, /prefix must be a string, got 3/],
      [{ logParams: 'no' }, /logParams must be true or false/],
      [{ model: 'model' }, /model must be an object/],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => trackerCallback(memory, options as never), { name: 'TypeError', message });
    }
  });
});
