/**
 * The gymnos runtime, as a user calls it: the Tracker base and its types, the fan-out list, `load`, the built-in
 * trackers (values: their classes and static methods are called), and the one error class. Each export is
 * documented in docs/api.md; what is not exported here is internal and may change.
 */
export { Tracker, describeFigure } from './trackers/tracker.js';
export type {
  BulkOptions,
  DescribedFigure,
  Figure,
  ParamValue,
  PlotlySpec,
  TagValue,
  TrackerOptions,
  TrackerState,
  VegaLiteSpec,
} from './trackers/tracker.js';
export { TrackerList } from './registry/tracker_list.js';
export type { TrackerSpec } from './registry/tracker_list.js';
export type { TrackerErrorContext, TrackerListOptions } from './trackers/tracker_list.js';
export { load, loadTrackerClass } from './registry/load.js';
export type { LoadedTrackerClass, LoadOptions } from './registry/load.js';
export type { TrackerParamsMap, TrackerParamsOf } from './registry/params.js';
export type { TrackerSource } from './registry/project.js';
export type { Registry, RegistryEntry, RegistryProblem } from './registry/registry.js';
export { generateRunId } from './runtime/run_id.js';
export { trackerSpecsFromEnv, TRACKERS_VARIABLE } from './registry/env_specs.js';
export { GymnosError, isGymnosError } from './errors.js';
export type { ErrorKind, GymnosErrorOptions } from './errors.js';
export { MemoryTracker } from './trackers/memory.js';
export type { MemoryFigure, MemoryFile, MemoryMetric, MemoryTrackerParams } from './trackers/memory.js';
export { TensorboardTracker } from './trackers/tensorboard.js';
export type { TensorboardTrackerParams } from './trackers/tensorboard.js';
export { MlflowTracker } from './trackers/mlflow.js';
export type {
  DeliverSpoolOptions,
  MlflowConnectionParams,
  MlflowDeliveryReport,
  MlflowTrackerParams,
} from './trackers/mlflow.js';
export { CometTracker } from './trackers/comet.js';
export type {
  CometConnectionParams,
  CometDeliveryReport,
  CometRateLimits,
  CometRateLimitsParam,
  CometTrackerParams,
  DeliverCometSpoolOptions,
} from './trackers/comet.js';
export { WandbTracker } from './trackers/wandb.js';
export type {
  WandbConnectionParams,
  WandbDeliverSpoolOptions,
  WandbDeliveryReport,
  WandbTrackerParams,
} from './trackers/wandb.js';
export { JsonlTracker, readJsonlEvents, iterateJsonlEvents } from './trackers/jsonl.js';
export type { JsonlEvent, JsonlEventKind, JsonlTrackerParams } from './trackers/jsonl.js';
export { CsvTracker } from './trackers/csv.js';
export type { CsvTrackerParams } from './trackers/csv.js';
