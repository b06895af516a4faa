/**
 * The comet tracker's delivery: the remote layer's (trackers/remote/delivery.ts) around Comet's protocol
 * (protocol.ts), with Comet's warning codes.
 */
import { RemoteDelivery } from '../remote/delivery.js';
import type { DeliveryOptions } from '../remote/delivery.js';
import type { DeliveryReport } from '../remote/ledger.js';
import type { CometClient } from './client.js';
import { COMET_RUN_FIELDS, CometProtocol } from './protocol.js';
import type { CometProtocolOptions, CometRunMeta } from './protocol.js';

/** What happened to everything a comet tracker (or `CometTracker.deliverSpool`) was given. */
export type CometDeliveryReport = DeliveryReport & {
  /** Comet's key of the experiment, once created. */
  experimentKey: string | undefined;
  /** The experiment's page, as Comet answered its creation. */
  link: string | undefined;
};

export interface CometDeliveryOptions
  extends
    Omit<DeliveryOptions<CometRunMeta>, 'protocol' | 'warningPrefix' | 'name' | 'resumedFields'>,
    Omit<CometProtocolOptions, 'warn'> {
  client: CometClient;
  requestTimeoutMs: number;
}

export class CometDelivery extends RemoteDelivery<CometRunMeta> {
  constructor({ client, requestTimeoutMs, limits, endpoints, ...options }: CometDeliveryOptions) {
    super({
      ...options,
      protocol: (signal) =>
        new CometProtocol(client, signal, requestTimeoutMs, {
          ...(limits ? { limits } : {}),
          ...(endpoints ? { endpoints } : {}),
          warn: options.warn,
        }),
      warningPrefix: 'GYMNOS_COMET',
      name: 'comet',
      resumedFields: COMET_RUN_FIELDS,
    });
  }

  override report(): Promise<CometDeliveryReport> {
    return super.report() as Promise<CometDeliveryReport>;
  }
}
