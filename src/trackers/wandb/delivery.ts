/**
 * The wandb tracker's delivery: the remote layer's (trackers/remote/delivery.ts) around W&B's protocol
 * (protocol.ts), with W&B's warning codes and the run.json fields a resumed session keeps.
 */
import { RemoteDelivery } from '../remote/delivery.js';
import type { DeliveryOptions } from '../remote/delivery.js';
import type { DeliveryReport } from '../remote/ledger.js';
import { RequestTimeouts } from '../remote/request_timeouts.js';
import { WandbClient } from './client.js';
import { WANDB_RUN_FIELDS, WandbProtocol } from './protocol.js';
import type { WandbProtocolOptions, WandbRecord, WandbRunMeta } from './protocol.js';

/** What happened to everything a wandb tracker (or `WandbTracker.deliverSpool`) was given. */
export type WandbDeliveryReport = DeliveryReport & {
  entity: string | undefined;
  project: string;
  wandbRunId: string;
};

export interface WandbDeliveryOptions extends Omit<
  DeliveryOptions<WandbRunMeta, WandbRecord>,
  'protocol' | 'warningPrefix' | 'name' | 'resumedFields'
> {
  baseUrl: string;
  apiKey: string | undefined;
  requestTimeoutMs: number;
  protocolOptions: WandbProtocolOptions;
}

export class WandbDelivery extends RemoteDelivery<WandbRunMeta, WandbRecord> {
  #protocol: WandbProtocol | undefined;

  constructor({ baseUrl, apiKey, requestTimeoutMs, protocolOptions, ...options }: WandbDeliveryOptions) {
    let made: WandbProtocol | undefined;
    super({
      ...options,
      protocol: (signal) =>
        (made = new WandbProtocol(
          new WandbClient(baseUrl, apiKey),
          signal,
          new RequestTimeouts(requestTimeoutMs),
          protocolOptions,
        )),
      warningPrefix: 'GYMNOS_WANDB',
      name: 'wandb',
      resumedFields: WANDB_RUN_FIELDS,
    });
    this.#protocol = made;
  }

  /** The protocol, for the tracker's heartbeat. */
  get protocol(): WandbProtocol {
    return this.#protocol!;
  }

  override report(): Promise<WandbDeliveryReport> {
    return super.report() as Promise<WandbDeliveryReport>;
  }
}
