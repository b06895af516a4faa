/**
 * The names of the mlflow tracker's connection parameters: what `deliverSpool` carries over from a tracker, and
 * part of the keys `load('mlflow', params)` knows. A module of its own so that the registry can list them
 * without loading the tracker.
 */
export const MLFLOW_CONNECTION_PARAMS = [
  'trackingUri',
  'token',
  'username',
  'password',
  'requestTimeoutMs',
  'retryBaseMs',
  'retryMaxMs',
] as const;
