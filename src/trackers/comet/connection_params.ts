/**
 * The names of the comet tracker's connection parameters: what `deliverSpool` carries over from a tracker, and part
 * of the keys `load('comet', params)` knows. A module of its own so that the registry can list them without loading
 * the tracker.
 */
export const COMET_CONNECTION_PARAMS = ['apiKey', 'url', 'requestTimeoutMs', 'retryBaseMs', 'retryMaxMs'] as const;
