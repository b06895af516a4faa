/**
 * W&B's part of `gymnos sync` (the work is the remote layer's: trackers/remote/sync.ts): where a spool goes
 * (WANDB_BASE_URL, else the server it was logged for; `--tracking-uri` names MLflow's server, not W&B's) and how it
 * is delivered (`WandbTracker.deliverSpool`, with WANDB_API_KEY or the `~/.netrc` entry).
 */
import type { SyncBackend } from '../remote/sync.js';
import { WandbTracker } from '../wandb.js';
import type { WandbRunMeta } from './protocol.js';

export const WANDB_SYNC_BACKEND: SyncBackend = {
  targetUri: (meta) => process.env.WANDB_BASE_URL || meta?.trackingUri || '',
  runIdOf: (meta) => ((meta as WandbRunMeta | undefined)?.bucketId ? (meta as WandbRunMeta).wandbRunId : undefined),
  deliverSpool: (spoolDir, options) =>
    WandbTracker.deliverSpool(spoolDir, {
      timeoutMs: options.timeoutMs,
      signal: options.signal,
      onWarning: options.onWarning,
      ...(options.onOutage ? { onOutage: options.onOutage } : {}),
      ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
      ...(options.retryBaseMs ? { retryBaseMs: options.retryBaseMs } : {}),
    }),
};
