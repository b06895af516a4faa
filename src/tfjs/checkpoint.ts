/**
 * Checkpoints without a file system handler. `model.save(tf.io.withSaveHandler(save))` hands `save` the model's
 * artifacts in memory (tfjs reads the weights while the callback holds training at the end of an epoch), so no
 * `file://` handler of tfjs-node is needed; the callback then writes them in tfjs's own layout, `<name>.json`
 * (the topology and a weights manifest) beside `<name>.weights.bin`, which `tf.loadLayersModel` reads back.
 * Logged as the assets `<name>` and `<name>.weights`, the two files keep those names in a jsonl run's `assets/`
 * and in MLflow's artifacts, so the manifest still finds the weights there.
 */
import type { RunFile } from './run_files.js';
import type { ModelArtifactsLike, SaveResultLike, TfjsModelLike } from './tfjs_types.js';

export type SaveFunction = (artifacts: ModelArtifactsLike) => Promise<SaveResultLike>;
/** tfjs-core's `tf.io.withSaveHandler`: an IOHandler whose `save` is the function given. */
export type WithSaveHandler = (save: SaveFunction) => unknown;

/** Whether a higher or a lower monitored value is better. */
export type MonitorMode = 'min' | 'max';

/**
 * `tf.io.withSaveHandler` of the installed tfjs, imported when a checkpoint is first asked for (never by
 * `import 'gymnos'` or `import 'gymnos/tfjs'`). Where `@tensorflow/tfjs` cannot be resolved from gymnos (a
 * project with tfjs-node under a strict package manager), the handler is built as withSaveHandler builds it.
 */
export async function loadWithSaveHandler(
  importTfjs: () => Promise<unknown> = () => import('@tensorflow/tfjs'),
): Promise<WithSaveHandler> {
  try {
    const tf = (await importTfjs()) as { io?: { withSaveHandler?: unknown } };
    const withSaveHandler = tf.io?.withSaveHandler;
    if (typeof withSaveHandler === 'function') return withSaveHandler as WithSaveHandler;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
  }
  return (save) => ({ save });
}

/** The model's artifacts now: its topology and a copy of its weights. */
export async function snapshotModel(
  model: TfjsModelLike & Required<Pick<TfjsModelLike, 'save'>>,
  withSaveHandler: WithSaveHandler,
): Promise<ModelArtifactsLike> {
  let saved: ModelArtifactsLike | undefined;
  await model.save(
    withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!saved) throw new Error('model.save() did not call the save handler');
  return saved;
}

/** `<stem>.json` and `<stem>.weights.bin`, as tfjs's file handlers write a model. */
export function checkpointFiles(stem: string, artifacts: ModelArtifactsLike): [RunFile, RunFile] {
  const { weightData, weightSpecs, ...rest } = artifacts;
  const weightsFile = `${stem}.weights.bin`;
  const modelJson = { ...rest, weightsManifest: [{ paths: [weightsFile], weights: weightSpecs ?? [] }] };
  const buffers: readonly ArrayBuffer[] =
    weightData === undefined ? [] : Array.isArray(weightData) ? weightData : [weightData as ArrayBuffer];
  return [
    { fileName: `${stem}.json`, data: JSON.stringify(modelJson) },
    { fileName: weightsFile, data: buffers.map((buffer) => new Uint8Array(buffer)) },
  ];
}

/** Keras's `mode: 'auto'`: accuracy-like metrics are maximized, everything else minimized. */
export function monitorMode(monitor: string, mode: MonitorMode | 'auto'): MonitorMode {
  if (mode !== 'auto') return mode;
  return monitor.includes('acc') || monitor.startsWith('fmeasure') ? 'max' : 'min';
}

/** True when `value` beats `best` (or is the first value); NaN never does. */
export function improves(value: number, best: number | undefined, mode: MonitorMode): boolean {
  if (Number.isNaN(value)) return false;
  if (best === undefined) return true;
  return mode === 'min' ? value < best : value > best;
}
