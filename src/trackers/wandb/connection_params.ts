/**
 * The names of the wandb tracker's connection parameters: part of the keys `load('wandb', params)` knows. A module
 * of its own so that the registry can list them without loading the tracker.
 */
export const WANDB_CONNECTION_PARAMS = [
  'apiKey',
  'baseUrl',
  'requestTimeoutMs',
  'retryBaseMs',
  'retryMaxMs',
  'minRequestIntervalMs',
] as const;
