/**
 * How a tfjs log key becomes a metric name. Keras's TensorBoard callback writes `epoch_loss` into a `train` and a
 * `validation` run and `batch_loss` into `train`, so TensorBoard draws both curves of a metric together. A gymnos
 * run is one run, so the split becomes the last part of the name instead: `epoch_loss/train` and
 * `epoch_loss/validation` (from tfjs's `val_loss`), `batch_loss/train`, and `epoch_learning_rate`. TensorBoard
 * groups tags by what comes before the first `/`, so the two curves of a metric sit side by side in one section;
 * `gymnos report` sorts charts by name, so they are neighbours there too. Batch and epoch curves, which count
 * different steps, never share a name.
 */

/** Keys of tfjs's batch logs that are not metrics: the batch's index and its number of samples. */
export const BATCH_LOG_KEYS: ReadonlySet<string> = new Set(['batch', 'size']);

const VALIDATION_PREFIX = 'val_';

/** A name under the user's prefix, joined with `/` as the trackers' bulk helpers join theirs. */
export function prefixed(prefix: string | undefined, name: string): string {
  return prefix ? `${prefix}/${name}` : name;
}

/** `loss` → `epoch_loss/train`, `val_loss` → `epoch_loss/validation`. */
export function epochMetricName(key: string): string {
  return key.startsWith(VALIDATION_PREFIX)
    ? `epoch_${key.slice(VALIDATION_PREFIX.length)}/validation`
    : `epoch_${key}/train`;
}

/** `loss` → `batch_loss/train`. */
export function batchMetricName(key: string): string {
  return `batch_${key}/train`;
}

/** The learning rate the optimizer had during an epoch. */
export const LEARNING_RATE_NAME = 'epoch_learning_rate';

/** A cache of names per log key: the batch path runs every batch and builds no string once a key was seen. */
export class MetricNames {
  readonly #names = new Map<string, string>();
  readonly #name: (key: string) => string;

  constructor(prefix: string | undefined, name: (key: string) => string) {
    this.#name = (key) => prefixed(prefix, name(key));
  }

  of(key: string): string {
    let name = this.#names.get(key);
    if (name === undefined) {
      name = this.#name(key);
      this.#names.set(key, name);
    }
    return name;
  }
}
