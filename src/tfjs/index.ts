/**
 * `gymnos/tfjs`: a TensorFlow.js callback that logs `model.fit` and `model.fitDataset` to gymnos trackers
 * (docs/tfjs.md). Importing it loads no tfjs: tfjs is an optional peer dependency, imported only to save a
 * checkpoint.
 */
export { trackerCallback } from './callback.js';
export type { CheckpointOptions, TrackerCallback, TrackerCallbackOptions } from './callback.js';
export type { ScalarLike, TfjsLogs, TfjsModelLike, TfjsTrainingParams } from './tfjs_types.js';
