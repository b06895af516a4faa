/**
 * Comet's limits, as documented (https://comet.com/docs/v2/guides/experiment-management/limits-and-performance and
 * the REST API's "15,000 submissions per hour" per API key) and as its Python client batches (at most 1 000 values a
 * batch request): what the comet protocol paces itself by, so that a run never exceeds them, whatever it logs.
 */
import type { RateLimit } from '../remote/pacer.js';

/**
 * The documented rates, each overridable with the tracker's `rateLimits`: a number is per the documented window (a
 * minute, or an hour for REST requests), `{ limit, windowMs }` any window (a self-hosted Comet's own quota).
 */
export type CometRateLimitsParam = { [Name in keyof CometRateLimits]?: number | RateLimit };

export interface CometRateLimits {
  /** Metric values a minute, per experiment (documented: 12 000). */
  metricsPerMinute: number;
  /** Parameter values a minute, per experiment (documented: 10 000). */
  paramsPerMinute: number;
  /** Everything else a minute, per experiment (others, tags, assets, times; documented: 8 000). */
  othersPerMinute: number;
  /** REST API requests an hour, per API key (documented: 15 000; the default leaves room for other processes). */
  restRequestsPerHour: number;
}

export const COMET_RATE_LIMITS: CometRateLimits = {
  metricsPerMinute: 12_000,
  paramsPerMinute: 10_000,
  othersPerMinute: 8_000,
  restRequestsPerHour: 12_000,
};

export const RATE_LIMIT_KEYS = Object.keys(COMET_RATE_LIMITS) as (keyof CometRateLimits)[];

/** A limit as the pacer takes it: a number is per the limit's documented window. */
export function rateLimit(name: keyof CometRateLimits, value: number | RateLimit): RateLimit {
  if (typeof value !== 'number') return value;
  return { limit: value, windowMs: name === 'restRequestsPerHour' ? 3_600_000 : 60_000 };
}

/** Values in one batch request (comet_ml's `comet.message_batch.metric_max_size`). */
export const MAX_BATCH_VALUES = 1_000;
/** Bytes of one batch's JSON before compression: a bound of this client's (Comet documents none). */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;
/** Bytes of one uploaded asset (comet_ml's asset upload limit). */
export const MAX_ASSET_BYTES = 200 * 1024 * 1024;
