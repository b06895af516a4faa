/**
 * MLflow's part of `gymnos sync` (the work is the remote layer's: trackers/remote/sync.ts): where a spool goes (the
 * given URI, MLFLOW_TRACKING_URI, the one recorded), how it is delivered (`MlflowTracker.deliverSpool`), and the
 * check of the URIs the user gave.
 */
import { GymnosError } from '../../errors.js';
import { redactCredentials } from '../../util/redact.js';
import { MlflowTracker } from '../mlflow.js';
import { checkLogdir } from '../remote/sync.js';
import type { SyncBackend } from '../remote/sync.js';
import type { MlflowRunMeta } from './protocol.js';

export const MLFLOW_SYNC_BACKEND: SyncBackend = {
  targetUri: (meta, trackingUri) =>
    trackingUri ?? (process.env.MLFLOW_TRACKING_URI || undefined) ?? meta?.trackingUri ?? '',
  runIdOf: (meta) => (meta as MlflowRunMeta | undefined)?.mlflowRunId,
  deliverSpool: (spoolDir, options) => MlflowTracker.deliverSpool(spoolDir, options),
};

/** Checks what the user gave before anything is read or sent: a usage error (exit 2) when it is not usable. */
export async function checkSyncInputs(logdir: string, trackingUri: string | undefined): Promise<void> {
  await checkLogdir(logdir);
  const checks: [string, string | undefined][] = [
    ['--tracking-uri', trackingUri],
    ['MLFLOW_TRACKING_URI', trackingUri === undefined ? process.env.MLFLOW_TRACKING_URI || undefined : undefined],
  ];
  for (const [source, uri] of checks) {
    if (uri !== undefined && !isHttpUrl(uri)) {
      throw new GymnosError(
        'MLFLOW_BAD_TRACKING_URI',
        redactCredentials(
          `${source} ${JSON.stringify(uri)} is not the http(s) URL of an MLflow tracking server ` +
            '(e.g. http://127.0.0.1:5000); gymnos delivers over the REST API only',
        ),
        { details: { source, trackingUri: redactCredentials(uri) } },
      );
    }
  }
}

function isHttpUrl(uri: string): boolean {
  try {
    const { protocol } = new URL(uri);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
