/**
 * Comet's part of `gymnos sync` (the work is the remote layer's: trackers/remote/sync.ts): where a comet spool goes
 * (the server configured now, COMET_URL_OVERRIDE or `.comet.config`, else the one the spool recorded; `--tracking-uri`
 * is MLflow's and does not apply) and how it is delivered (`CometTracker.deliverSpool`, the API key from
 * COMET_API_KEY or `.comet.config`).
 */
import { CometTracker } from '../comet.js';
import type { SyncBackend } from '../remote/sync.js';
import type { CometRunMeta } from './protocol.js';
import { readCometSettings } from './settings.js';

export const COMET_SYNC_BACKEND: SyncBackend = {
  targetUri: (meta) => {
    const settings = readCometSettings({});
    return settings.serverSource || !meta ? settings.server.root : meta.trackingUri;
  },
  runIdOf: (meta) => {
    const comet = meta as CometRunMeta | undefined;
    return comet?.ready ? comet.experimentKey : undefined;
  },
  deliverSpool: (spoolDir, { trackingUri: _mlflowOnly, ...options }) => CometTracker.deliverSpool(spoolDir, options),
};
