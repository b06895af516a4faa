/**
 * The mlflow tracker's delivery: the remote layer's (trackers/remote/delivery.ts) around MLflow's protocol
 * (protocol.ts), with MLflow's warning codes.
 */
import { RemoteDelivery } from '../remote/delivery.js';
import type { DeliveryOptions } from '../remote/delivery.js';
import type { DeliveryReport } from '../remote/ledger.js';
import type { MlflowRestClient } from './client.js';
import type { BatchLimits } from './limits.js';
import { MLFLOW_RUN_FIELDS, MlflowProtocol } from './protocol.js';
import type { MlflowRunMeta } from './protocol.js';

export type { DeliveryCounts } from '../remote/records.js';
export type { RejectedItem } from '../remote/ledger.js';

/** What happened to everything an mlflow tracker (or `MlflowTracker.deliverSpool`) was given. */
export type MlflowDeliveryReport = DeliveryReport & { experimentId: string | undefined };

export interface MlflowDeliveryOptions extends Omit<
  DeliveryOptions<MlflowRunMeta>,
  'protocol' | 'warningPrefix' | 'name' | 'resumedFields'
> {
  client: MlflowRestClient;
  limits?: BatchLimits;
}

export class MlflowDelivery extends RemoteDelivery<MlflowRunMeta> {
  constructor({ client, limits, ...options }: MlflowDeliveryOptions) {
    super({
      ...options,
      protocol: (signal) => new MlflowProtocol(client, signal, limits),
      warningPrefix: 'GYMNOS_MLFLOW',
      name: 'mlflow',
      resumedFields: MLFLOW_RUN_FIELDS,
    });
  }

  override report(): Promise<MlflowDeliveryReport> {
    return super.report() as Promise<MlflowDeliveryReport>;
  }
}
