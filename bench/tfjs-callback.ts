/**
 * The cost of `gymnos/tfjs`'s callback to a TensorFlow.js training loop: a small model's `fit` (pure JavaScript
 * CPU backend) with the tracker callback at `updateFreq: 'batch'` logging to jsonl and tensorboard, against the
 * same `fit` with no callback and with a plain callback that only reads the logs. The three are interleaved in one
 * process, round after round (the order rotating), so that the host's load and the JIT touch them alike; each
 * variant's figure is the median of its rounds, and the ratio to the plain callback is also given per round.
 * Then one `fit` of 100 epochs with the tracker callback: tfjs's tensor count and the heap (after a full GC) at
 * epochs 10 and 100. Last, the batch hook alone, called in a loop (`--hook-calls`, 20 000 a round, 7 rounds):
 * the CPU time of one `onBatchEnd` with two metrics to jsonl and tensorboard, the least load-sensitive figure.
 *
 *   node --expose-gc --import tsx bench/tfjs-callback.ts [--rounds 12] [--epochs 4] [--samples 4096]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { TrackerList } from '../src/registry/tracker_list.js';
import { trackerCallback } from '../src/tfjs/index.js';
import { JsonlTracker } from '../src/trackers/jsonl.js';
import { TensorboardTracker } from '../src/trackers/tensorboard.js';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

const ROUNDS = option('rounds', 12);
const EPOCHS = option('epochs', 4);
const SAMPLES = option('samples', 4096);
const BATCH_SIZE = 32;
const gc = (globalThis as { gc?: () => void }).gc;

await tf.setBackend('cpu');
const logdir = mkdtempSync(path.join(os.tmpdir(), 'gymnos-bench-tfjs-'));

/** 20 features → 64 → 1, Adam, mean squared error and mean absolute error: two metrics a batch. */
function model(): tf.Sequential {
  const built = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [20], units: 64, activation: 'relu' }), tf.layers.dense({ units: 1 })],
  });
  built.compile({ optimizer: tf.train.adam(0.001), loss: 'meanSquaredError', metrics: ['mae'] });
  return built;
}

const xs = tf.randomNormal([SAMPLES, 20], 0, 1, 'float32', 1);
const ys = tf.tidy(() => xs.sum(1, true).add(tf.randomNormal([SAMPLES, 1], 0, 0.1, 'float32', 2)));

type Variant = 'none' | 'plain' | 'gymnos';
const VARIANTS: Variant[] = ['none', 'plain', 'gymnos'];
let runs = 0;
/** Seconds spent inside the tracker callback's hooks (their synchronous part: all of a batch hook's work). */
let inHooks = 0;

/** The callback with each hook timed; `this` passed on (tfjs's wrapper gives the params through it). */
function timedHooks(callback: ReturnType<typeof trackerCallback>): tf.CustomCallbackArgs {
  const timed: Record<string, unknown> = {};
  for (const hook of ['onTrainBegin', 'onTrainEnd', 'onEpochBegin', 'onEpochEnd', 'onBatchBegin', 'onBatchEnd']) {
    const original = (callback as unknown as Record<string, ((...args: unknown[]) => unknown) | undefined>)[hook];
    if (!original) continue;
    timed[hook] = function (this: unknown, ...args: unknown[]) {
      const started = performance.now();
      const result = original.apply(this, args);
      inHooks += (performance.now() - started) / 1000;
      return result;
    };
  }
  return timed as tf.CustomCallbackArgs;
}

/** One timed `fit` of `variant` (the trackers are started before and ended after the timed part). */
async function timedFit(variant: Variant, trained: tf.Sequential, epochs: number, extra: tf.CustomCallbackArgs[] = []) {
  let trackers: TrackerList | undefined;
  const callbacks: tf.CustomCallbackArgs[] = [...extra];
  if (variant === 'plain') {
    let sum = 0;
    const read = (logs?: tf.Logs) => {
      for (const key in logs) sum += logs[key]!;
    };
    callbacks.unshift({ onBatchEnd: (_batch, logs) => read(logs), onEpochEnd: (_epoch, logs) => read(logs) });
    void sum;
  } else if (variant === 'gymnos') {
    trackers = new TrackerList([new JsonlTracker(), new TensorboardTracker()]);
    await trackers.start(`run-${runs++}`, logdir);
    callbacks.unshift(timedHooks(trackerCallback(trackers, { model: trained, updateFreq: 'batch' })));
  }
  inHooks = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await trained.fit(xs, ys, { epochs, batchSize: BATCH_SIZE, verbose: 0, callbacks });
  const { user, system } = process.cpuUsage(cpu);
  const wall = (performance.now() - started) / 1000;
  await trackers?.end();
  return { cpu: (user + system) / 1e6, wall, inHooks };
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const quartiles = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return [sorted[Math.floor((sorted.length - 1) / 4)]!, sorted[Math.ceil(((sorted.length - 1) * 3) / 4)]!];
};

try {
  const batches = Math.ceil(SAMPLES / BATCH_SIZE) * EPOCHS;
  console.log(
    `tfjs ${tf.version.tfjs} (${tf.getBackend()}), Node ${process.version}, ${os.cpus().length} CPUs; ` +
      `fit of ${EPOCHS} epochs × ${batches / EPOCHS} batches of ${BATCH_SIZE}, ${ROUNDS} rounds after a warm-up`,
  );
  const trained = model();
  for (const variant of VARIANTS) await timedFit(variant, trained, 1); // warm-up: the JIT, the optimizer's variables
  const cpu: Record<Variant, number[]> = { none: [], plain: [], gymnos: [] };
  const wall: Record<Variant, number[]> = { none: [], plain: [], gymnos: [] };
  /** Per gymnos round: the share of the fit's wall time spent inside the tracker callback's hooks. */
  const hookShares: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < VARIANTS.length; i++) {
      const variant = VARIANTS[(round + i) % VARIANTS.length]!;
      const measured = await timedFit(variant, trained, EPOCHS);
      cpu[variant].push(measured.cpu);
      wall[variant].push(measured.wall);
      if (variant === 'gymnos') hookShares.push(measured.inHooks / measured.wall);
    }
  }
  for (const variant of VARIANTS) {
    const perBatch = (median(cpu[variant]) / batches) * 1e6;
    console.log(
      `${variant.padEnd(7)} CPU median ${median(cpu[variant]).toFixed(3)} s (${perBatch.toFixed(1)} µs a batch), ` +
        `wall median ${median(wall[variant]).toFixed(3)} s`,
    );
  }
  const pairs: [Variant, Variant][] = [
    ['gymnos', 'plain'],
    ['gymnos', 'none'],
    ['plain', 'none'],
  ];
  for (const [measure, values] of [
    ['CPU', cpu],
    ['wall', wall],
  ] as const) {
    for (const [of, to] of pairs) {
      const ratios = values[of].map((value, round) => value / values[to][round]!);
      const [low, high] = quartiles(ratios);
      console.log(
        `${measure} ${of} / ${to}: ${(median(values[of]) / median(values[to])).toFixed(3)}× (medians); per round ` +
          `${median(ratios).toFixed(3)}× (quartiles ${low!.toFixed(3)} to ${high!.toFixed(3)})`,
      );
    }
  }

  const [lowShare, highShare] = quartiles(hookShares);
  console.log(
    `inside the tracker callback's hooks: ${(median(hookShares) * 100).toFixed(2)} % of the fit's wall time ` +
      `(quartiles ${(lowShare! * 100).toFixed(2)} to ${(highShare! * 100).toFixed(2)} %)`,
  );

  // 100 epochs with the tracker callback: tensors and heap at epochs 10 and 100.
  const samples: { epoch: number; tensors: number; heap: number }[] = [];
  const probe: tf.CustomCallbackArgs = {
    onEpochEnd: (epoch) => {
      if (epoch !== 9 && epoch !== 99) return;
      gc?.();
      samples.push({ epoch: epoch + 1, tensors: tf.memory().numTensors, heap: process.memoryUsage().heapUsed });
    },
  };
  const long = option('long-epochs', 100);
  await timedFit('gymnos', model(), long, [probe]);
  for (const { epoch, tensors, heap } of samples) {
    console.log(`after epoch ${epoch}: ${tensors} tensors, heap ${(heap / 1024 / 1024).toFixed(1)} MiB`);
  }
  if (!gc) console.log('(heap without a full GC first: run with node --expose-gc for comparable heap figures)');

  // The batch hook alone: CPU time a call, logs of two metrics (float32 values, as tfjs gives them).
  const calls = option('hook-calls', 20_000);
  const perCall: number[] = [];
  for (let round = 0; round < 7; round++) {
    const trackers = new TrackerList([new JsonlTracker(), new TensorboardTracker()]);
    await trackers.start(`hook-${round}`, logdir);
    const onBatchEnd = trackerCallback(trackers, { updateFreq: 'batch' }).onBatchEnd!;
    const logs = Array.from({ length: 64 }, (_, i) => ({
      batch: i,
      size: BATCH_SIZE,
      loss: Math.fround(0.05 + i / 50),
      mae: Math.fround(0.01 + i / 300),
    }));
    const cpu = process.cpuUsage();
    for (let call = 0; call < calls; call++) onBatchEnd(call, logs[call & 63]);
    const { user, system } = process.cpuUsage(cpu);
    perCall.push((user + system) / calls);
    await trackers.end();
  }
  const [lowCall, highCall] = quartiles(perCall);
  console.log(
    `onBatchEnd alone (two metrics to jsonl and tensorboard), CPU a call: median ${median(perCall).toFixed(2)} µs ` +
      `(quartiles ${lowCall!.toFixed(2)} to ${highCall!.toFixed(2)}), ${calls} calls × 7 rounds`,
  );
} finally {
  tf.dispose([xs, ys]);
  rmSync(logdir, { recursive: true, force: true });
}
