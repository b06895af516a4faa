/**
 * Tiny models trained with the real `@tensorflow/tfjs` (its pure JavaScript CPU backend), and a plain callback
 * that captures exactly what tfjs passed to callbacks, for the tests of `gymnos/tfjs` to compare with what the
 * trackers recorded.
 */
import * as tf from '@tensorflow/tfjs';
import type { MemoryMetric } from '../../src/trackers/memory.js';

export { tf };

/** tfjs prints a hint to install tfjs-node once, on first use: said here, before any test's output. */
await tf.setBackend('cpu');

/** A two-layer regression model, compiled with `optimizer`. */
export function tinyModel(optimizer: tf.Optimizer = tf.train.adam(0.05)): tf.Sequential {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 4, inputShape: [3], activation: 'relu', kernelInitializer: 'glorotUniform' }),
      tf.layers.dense({ units: 1 }),
    ],
  });
  model.compile({ optimizer, loss: 'meanSquaredError', metrics: ['mae'] });
  return model;
}

/** The params `tinyModel()` (Adam at 0.05) logs besides the training ones. */
export const TINY_MODEL_PARAMS = {
  metrics: ['loss', 'mae'],
  optimizer: 'Adam',
  'optimizer/learningRate': 0.05,
  'optimizer/beta1': 0.9,
  'optimizer/beta2': 0.999,
  'optimizer/epsilon': 1e-7,
  loss: 'meanSquaredError',
  layers: 2,
  trainableParams: 3 * 4 + 4 + 4 * 1 + 1,
};

/** `samples` rows of y = x·w + noise, seeded; the caller disposes them. */
export function tinyData(samples: number, seed = 1): { xs: tf.Tensor2D; ys: tf.Tensor2D } {
  return tf.tidy(() => {
    const xs = tf.randomNormal([samples, 3], 0, 1, 'float32', seed) as tf.Tensor2D;
    const ys = xs
      .matMul(tf.tensor2d([[0.5], [-1], [2]]))
      .add(tf.randomNormal([samples, 1], 0, 0.1, 'float32', seed + 1));
    return { xs, ys: ys as tf.Tensor2D };
  });
}

/** The same data as a tfjs dataset of `batchSize` batches. */
export function tinyDataset(samples: number, batchSize: number, seed = 1): tf.data.Dataset<tf.TensorContainer> {
  const { xs, ys } = tinyData(samples, seed);
  const rows = xs.arraySync().map((x, index) => ({ xs: x, ys: ys.arraySync()[index]! }));
  tf.dispose([xs, ys]);
  return tf.data
    .array(rows)
    .map((row) => {
      const { xs: x, ys: y } = row as { xs: number[]; ys: number[] };
      return { xs: tf.tensor1d(x), ys: tf.tensor1d(y) };
    })
    .batch(batchSize);
}

export interface Captured {
  batches: Record<string, number>[];
  epochs: { epoch: number; logs: Record<string, number> }[];
  /** The learning rate the optimizer had at each epoch's end. */
  rates: number[];
}

/**
 * A plain callback that keeps a copy of every batch's and epoch's logs (numbers: tfjs resolved them), to put
 * after the tracker callback in the same `fit`.
 */
export function captureCallback(model?: tf.LayersModel): { captured: Captured; callback: tf.CustomCallbackArgs } {
  const captured: Captured = { batches: [], epochs: [], rates: [] };
  return {
    captured,
    callback: {
      onBatchEnd: (_batch, logs) => void captured.batches.push({ ...logs }),
      onEpochEnd: (epoch, logs) => {
        captured.epochs.push({ epoch, logs: { ...logs } });
        const rate = model?.optimizer.getConfig().learningRate;
        if (typeof rate === 'number') captured.rates.push(rate);
      },
    },
  };
}

/** The metrics the tracker callback should have logged for what was captured, in the trackers' order. */
export function expectedMetrics(
  captured: Captured,
  options: { batchEvery?: number; firstEpochStep?: number; firstBatchStep?: number; prefix?: string } = {},
): MemoryMetric[] {
  const { batchEvery, firstEpochStep = 0, firstBatchStep = 0 } = options;
  const name = (base: string) => (options.prefix ? `${options.prefix}/${base}` : base);
  const metrics: MemoryMetric[] = [];
  captured.batches.forEach((logs, index) => {
    const step = firstBatchStep + index;
    if (batchEvery === undefined || step % batchEvery !== 0) return;
    for (const [key, value] of Object.entries(logs)) {
      if (key !== 'batch' && key !== 'size') metrics.push({ name: name(`batch_${key}/train`), value, step });
    }
  });
  captured.epochs.forEach(({ logs }, index) => {
    const step = firstEpochStep + index;
    for (const [key, value] of Object.entries(logs)) {
      const metric = key.startsWith('val_') ? `epoch_${key.slice(4)}/validation` : `epoch_${key}/train`;
      metrics.push({ name: name(metric), value, step });
    }
    const rate = captured.rates[index];
    if (rate !== undefined) metrics.push({ name: name('epoch_learning_rate'), value: rate, step });
  });
  return metrics;
}

/** Metrics in a fixed order (name, then step), to compare logs that interleave batches and epochs. */
export function sorted(metrics: readonly MemoryMetric[]): MemoryMetric[] {
  return [...metrics]
    .map(({ name, step, value }) => ({ name, step, value }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.step - b.step);
}
