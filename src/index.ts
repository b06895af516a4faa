/** The gymnos runtime: one Tracker interface, a fan-out list, and the registry loader. */
export { Tracker, TRACKER_BRAND, isTrackerClass, describeFigure } from './trackers/tracker.js';
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
export { TrackerList } from './trackers/tracker_list.js';
export type { TrackerErrorContext, TrackerListOptions, TrackerSpec } from './trackers/tracker_list.js';
export { MemoryTracker } from './trackers/memory.js';
export type { MemoryFigure, MemoryFile, MemoryMetric, MemoryTrackerParams } from './trackers/memory.js';
export { load, loadTrackerClass } from './registry/load.js';
export type { LoadedTrackerClass, LoadOptions } from './registry/load.js';
export type { TrackerSource } from './registry/project.js';
export { GymnosError } from './registry/errors.js';
export { readRegistry, parseRegistry, REGISTRY_PATH } from './registry/registry.js';
export type { Registry, RegistryEntry, RegistryProblem } from './registry/registry.js';
export { nonZeroRank, RANK_VARIABLES } from './runtime/rank.js';
export { generateRunId } from './runtime/run_id.js';
export { trackerSpecsFromEnv, TRACKERS_VARIABLE } from './registry/env_specs.js';
export type { TensorboardTrackerParams } from './trackers/tensorboard.js';
export type {
  DeliverSpoolOptions,
  MlflowConnectionParams,
  MlflowDeliveryReport,
  MlflowTracker,
  MlflowTrackerParams,
} from './trackers/mlflow.js';
export { JsonlTracker, readJsonlEvents, iterateJsonlEvents } from './trackers/jsonl.js';
export type { JsonlEvent, JsonlEventKind, JsonlTrackerParams } from './trackers/jsonl.js';
export { CsvTracker, csvField, CSV_HEADER } from './trackers/csv.js';
export type { CsvTrackerParams } from './trackers/csv.js';
