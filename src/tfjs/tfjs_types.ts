/**
 * The parts of TensorFlow.js that `gymnos/tfjs` reads, as structural types: gymnos never imports tfjs for its
 * types, so its declarations hold no reference to a package a user may not have installed, and a model of
 * `@tensorflow/tfjs`, `@tensorflow/tfjs-node` or another copy of tfjs-layers fits them alike.
 */

/** A tfjs `Scalar` as logs may hold it: `fit` resolves them before a plain callback runs, custom loops may not. */
export interface ScalarLike {
  data(): Promise<ArrayLike<number>>;
}

/** The logs tfjs passes to a callback: metric name → number (or an unresolved scalar). */
export type TfjsLogs = Readonly<Record<string, number | ScalarLike | undefined>>;

/** What `fit` and `fitDataset` tell callbacks through `setParams` (tfjs-layers' `configureCallbacks`). */
export interface TfjsTrainingParams {
  readonly epochs?: number | null;
  readonly initialEpoch?: number | null;
  readonly samples?: number | null;
  readonly steps?: number | null;
  readonly batchSize?: number | null;
  readonly doValidation?: boolean | null;
  readonly metrics?: readonly string[] | null;
  readonly [key: string]: unknown;
}

export interface TfjsOptimizerLike {
  getClassName?(): string;
  getConfig?(): Readonly<Record<string, unknown>>;
}

/** A tfjs weight, by its shape. */
export interface TfjsWeightLike {
  readonly shape: readonly (number | null)[];
}

/** What a save handler of `model.save` receives (tfjs-core's `ModelArtifacts`). */
export interface ModelArtifactsLike {
  readonly modelTopology?: unknown;
  readonly weightSpecs?: readonly unknown[];
  readonly weightData?: ArrayBuffer | readonly ArrayBuffer[];
  readonly [key: string]: unknown;
}

/** What a save handler returns (tfjs-core's `SaveResult`). */
export interface SaveResultLike {
  modelArtifactsInfo: {
    dateSaved: Date;
    modelTopologyType: 'JSON';
    modelTopologyBytes?: number;
    weightSpecsBytes?: number;
    weightDataBytes?: number;
  };
}

/** The model being trained: a tfjs `LayersModel` (`tf.sequential()`, `tf.model()`, a loaded model). */
export interface TfjsModelLike {
  readonly optimizer?: TfjsOptimizerLike | null;
  readonly loss?: unknown;
  readonly layers?: readonly unknown[];
  readonly trainableWeights?: readonly TfjsWeightLike[];
  toJSON?(unused?: null, returnString?: boolean): unknown;
  save?(handler: unknown): Promise<unknown>;
}
