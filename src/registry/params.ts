/**
 * The params type of each tracker name, so that `load('jsonl', { flushIntervalMS: 5 })` is a type error. The
 * built-in trackers are listed here; a plugin project adds its own by declaration merging, as the tracker
 * `gymnos create-new` generates does for its name:
 *
 * ```ts
 * declare module 'gymnos' {
 *   interface TrackerParamsMap {
 *     my_tracker: MyTrackerParams;
 *   }
 * }
 * ```
 *
 * A name that is not in the map takes any object, as before.
 */
import { COMET_CONNECTION_PARAMS } from '../trackers/comet/connection_params.js';
import { MLFLOW_CONNECTION_PARAMS } from '../trackers/mlflow/connection_params.js';
import { WANDB_CONNECTION_PARAMS } from '../trackers/wandb/connection_params.js';
import { REMOTE_SESSION_PARAMS } from '../trackers/remote/session_params.js';
import type { BuiltinTrackerName } from './builtins.js';
import { closestName } from '../util/closest.js';
import type { CometTrackerParams } from '../trackers/comet.js';
import type { CsvTrackerParams } from '../trackers/csv.js';
import type { JsonlTrackerParams } from '../trackers/jsonl.js';
import type { MemoryTrackerParams } from '../trackers/memory.js';
import type { MlflowTrackerParams } from '../trackers/mlflow.js';
import type { TensorboardTrackerParams } from '../trackers/tensorboard.js';
import type { WandbTrackerParams } from '../trackers/wandb.js';

// An interface, not a type alias: only an interface can be merged into from another module.
export interface TrackerParamsMap {
  memory: MemoryTrackerParams;
  tensorboard: TensorboardTrackerParams;
  mlflow: MlflowTrackerParams;
  comet: CometTrackerParams;
  wandb: WandbTrackerParams;
  jsonl: JsonlTrackerParams;
  csv: CsvTrackerParams;
}

/** The params `load(name, params)` takes: the mapped type for a known name, any object otherwise. */
export type TrackerParamsOf<Name extends string> = Name extends keyof TrackerParamsMap
  ? TrackerParamsMap[Name]
  : object;

/** Every param key of each built-in tracker, for the run-time check of `load`. */
const BUILTIN_PARAM_KEYS = {
  memory: ['rankZeroOnly'],
  tensorboard: ['rankZeroOnly', 'flushIntervalMs', 'bufferBytes', 'maxHeldBytes', 'resume'],
  mlflow: [
    'rankZeroOnly',
    ...MLFLOW_CONNECTION_PARAMS,
    'experimentName',
    'runName',
    ...REMOTE_SESSION_PARAMS,
    'maxParamValueLength',
    'maxTagValueLength',
  ],
  comet: [
    'rankZeroOnly',
    ...COMET_CONNECTION_PARAMS,
    'workspace',
    'projectName',
    'experimentName',
    'tags',
    'offline',
    'endpoints',
    'rateLimits',
    ...REMOTE_SESSION_PARAMS,
  ],
  wandb: [
    'rankZeroOnly',
    ...WANDB_CONNECTION_PARAMS,
    'entity',
    'project',
    'name',
    'id',
    'tags',
    'mode',
    ...REMOTE_SESSION_PARAMS,
    'heartbeatIntervalMs',
  ],
  jsonl: ['rankZeroOnly', 'flushIntervalMs', 'maxBufferBytes', 'maxHeldBytes', 'resume'],
  csv: ['rankZeroOnly', 'flushIntervalMs', 'maxBufferBytes', 'maxHeldBytes', 'resume'],
} as const satisfies { [Name in BuiltinTrackerName]: readonly (keyof TrackerParamsMap[Name])[] };

/** The keys a built-in's params type has that the list above lacks: the build fails until they are listed. */
type Unlisted = {
  [Name in keyof typeof BUILTIN_PARAM_KEYS]: Exclude<
    keyof TrackerParamsMap[Name],
    (typeof BUILTIN_PARAM_KEYS)[Name][number]
  >;
}[keyof typeof BUILTIN_PARAM_KEYS];
const _everyParamKeyListed: [Unlisted] extends [never] ? true : Unlisted = true;

const warned = new Set<string>();

/**
 * Warns once per tracker and key (a `GymnosWarning`, code GYMNOS_UNKNOWN_PARAM) about a param a built-in tracker
 * does not know, naming the closest known one: a misspelled option would otherwise be silently ignored.
 */
export function warnUnknownParams(name: string, params: object): void {
  if (!Object.hasOwn(BUILTIN_PARAM_KEYS, name)) return;
  const known: readonly string[] = BUILTIN_PARAM_KEYS[name as keyof typeof BUILTIN_PARAM_KEYS];
  for (const key of Object.keys(params)) {
    if (known.includes(key) || warned.has(`${name}\0${key}`)) continue;
    warned.add(`${name}\0${key}`);
    const suggestion = closestName(key, known);
    process.emitWarning(
      `load('${name}'): unknown param "${key}", ignored` +
        (suggestion ? `; did you mean "${suggestion}"?` : `; known: ${known.join(', ')}`),
      { type: 'GymnosWarning', code: 'GYMNOS_UNKNOWN_PARAM' },
    );
  }
}
