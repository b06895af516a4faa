/**
 * The params a training run logs at train begin: what tfjs tells callbacks (`setParams`), what the model says
 * about itself (optimizer, loss, layers, weights), and what only the caller knows (`fitArgs`: tfjs passes
 * `validationSplit` or `shuffle` to no callback). Names are tfjs's own words (`batchSize`, `initialEpoch`).
 */
import type { ParamValue } from '../trackers/tracker.js';
import type { TfjsModelLike, TfjsOptimizerLike, TfjsTrainingParams } from './tfjs_types.js';

type Params = Record<string, ParamValue>;

/** Keys of fit's arguments that are not hyper-parameters (or not JSON): never logged from `fitArgs`. */
const FIT_ARGS_LEFT_OUT = new Set([
  'callbacks',
  'validationData',
  'sampleWeight',
  'classWeight',
  'verbose',
  'yieldEvery',
]);

function isScalarParam(value: unknown): value is string | number | boolean {
  return (
    typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))
  );
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * tfjs's training params, then the caller's `fitArgs` for what tfjs does not pass. `fit` gives `samples` (after
 * the validation split), `fitDataset` gives `steps` (batches per epoch), logged as `stepsPerEpoch`; the metric
 * names are the training ones (`val_` names are the same metrics on the validation data).
 */
export function trainingParams(
  params: TfjsTrainingParams | undefined,
  fitArgs: Readonly<Record<string, unknown>> | undefined,
): Params {
  const result: Params = {};
  const set = (name: string, value: ParamValue | undefined) => {
    if (value !== undefined && !(name in result)) result[name] = value;
  };
  set('epochs', count(params?.epochs));
  set('initialEpoch', count(params?.initialEpoch));
  set('batchSize', count(params?.batchSize));
  set('samples', count(params?.samples));
  set('stepsPerEpoch', count(params?.steps));
  if (typeof params?.doValidation === 'boolean') set('doValidation', params.doValidation);
  for (const [key, value] of Object.entries(fitArgs ?? {})) {
    if (!FIT_ARGS_LEFT_OUT.has(key) && isScalarParam(value)) set(key, value);
  }
  const metrics = params?.metrics;
  if (Array.isArray(metrics))
    set(
      'metrics',
      metrics.filter((name: string) => !name.startsWith('val_')),
    );
  return result;
}

/** The optimizer's class name (`Adam`), as tfjs serializes it. */
function optimizerName(optimizer: TfjsOptimizerLike): string {
  const name = typeof optimizer.getClassName === 'function' ? optimizer.getClassName() : undefined;
  return typeof name === 'string' && name !== '' ? name : optimizer.constructor.name;
}

/** The optimizer's config (`learningRate`, `beta1`...): its scalar entries. */
function optimizerConfig(optimizer: TfjsOptimizerLike): Params {
  const config = typeof optimizer.getConfig === 'function' ? optimizer.getConfig() : {};
  const result: Params = {};
  for (const [key, value] of Object.entries(config)) if (isScalarParam(value)) result[key] = value;
  return result;
}

/** The learning rate the optimizer has now, when its config exposes one. */
export function learningRate(optimizer: TfjsOptimizerLike | null | undefined): number | undefined {
  if (!optimizer || typeof optimizer.getConfig !== 'function') return undefined;
  const rate = optimizer.getConfig().learningRate;
  return typeof rate === 'number' ? rate : undefined;
}

/** A loss as a name: tfjs takes a name, a function, or one of those per output (a list or an object). */
function lossName(loss: unknown): ParamValue | undefined {
  if (typeof loss === 'string') return loss;
  if (typeof loss === 'function') return loss.name || 'custom';
  if (Array.isArray(loss)) return loss.map((item) => lossName(item) ?? null);
  if (loss !== null && typeof loss === 'object') {
    return Object.fromEntries(Object.entries(loss).map(([output, item]) => [output, lossName(item) ?? null]));
  }
  return undefined;
}

/** The number of weights training changes: what Keras's `model.summary()` calls trainable params. */
function trainableParamCount(model: TfjsModelLike): number | undefined {
  const weights = model.trainableWeights;
  if (weights === undefined) return undefined;
  let total = 0;
  for (const weight of weights) total += weight.shape.reduce<number>((size, dim) => size * (dim ?? 1), 1);
  return total;
}

/** The model's params: `optimizer` and `optimizer/<config key>`, `loss`, `layers`, `trainableParams`. */
export function modelParams(model: TfjsModelLike): Params {
  const result: Params = {};
  const optimizer = model.optimizer;
  if (optimizer) {
    result.optimizer = optimizerName(optimizer);
    for (const [key, value] of Object.entries(optimizerConfig(optimizer))) result[`optimizer/${key}`] = value;
  }
  const loss = lossName(model.loss);
  if (loss !== undefined) result.loss = loss;
  if (Array.isArray(model.layers)) result.layers = model.layers.length;
  const trainable = trainableParamCount(model);
  if (trainable !== undefined) result.trainableParams = trainable;
  return result;
}
