/**
 * What every remote tracker (mlflow, comet, wandb) does the same way around its backend's delivery, so that a
 * backend keeps only what is its own (its settings, its log hooks, its protocol): its numeric parameters checked,
 * its warnings, the spool directory of a session and the refusal of an earlier session's run id, the delivery's
 * timer and the bounded first connection of `start`, `flush`, `end` (session_end.ts) and the delivery report; and,
 * for `<Backend>Tracker.deliverSpool`, the delivery of a spool left by an earlier session (deliver_spool.ts).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { redactCredentials } from '../../util/redact.js';
import { booleanParam, numberParam, refuseExistingRun } from '../../runtime/tracker_params.js';
import { Tracker } from '../tracker.js';
import type { TrackerOptions } from '../tracker.js';
import type { DeliveryOptions, RemoteDelivery } from './delivery.js';
import { deliverSpoolWith } from './deliver_spool.js';
import type { DeliveryReport } from './ledger.js';
import type { BatchRecord, DataRecord } from './records.js';
import { endSession } from './session_end.js';
import { REMOTE_DEFAULTS } from './session_params.js';
import type { RemoteSessionParams, SpoolDeliveryParams } from './session_params.js';
import { Spool } from './spool.js';
import type { RunMeta } from './spool.js';

/** A backend's delivery, which reports in the backend's own report type. */
type Delivery<Meta extends RunMeta, Report extends DeliveryReport, Data extends BatchRecord> = RemoteDelivery<
  Meta,
  Data
> & { report(): Promise<Report> };

/** The numeric parameters every remote tracker takes (a backend may add its own, or change a default). */
type RemoteNumbers = typeof REMOTE_DEFAULTS;

type Warn = (code: string, message: string) => void;

/** What tells one remote tracker from another to the part they share. */
export interface RemoteBackend<Numbers extends RemoteNumbers> {
  /** The tracker's class, as its messages start: `MlflowTracker`. */
  label: string;
  /** The backend's name: its spool is `<logdir>/<runId>/<name>-spool`, its warnings `GYMNOS_<NAME>_…`. */
  name: string;
  /** The defaults of its numeric parameters, each a positive number (of ms, bytes or items). */
  defaults: Numbers;
  /**
   * `flush()` stops as soon as the next request must wait for the backend's rate limits, which can hold it for
   * minutes (Comet's): what waits is in the spool by then, and the timer delivers it.
   */
  flushStopsAtPace?: boolean;
}

/** How `end()` names the server, and whether the session sent nothing by design (the backend's offline mode). */
export interface RemoteSession {
  /** The server as messages name it: `the MLflow server http://…`. */
  server: string;
  offline?: boolean;
}

/** The tracker's warnings, as `GymnosWarning`s starting with its class name, credentials masked. */
export function trackerWarnings(label: string): Warn {
  return (code, message) =>
    process.emitWarning(redactCredentials(`${label}: ${message}`), { type: 'GymnosWarning', code });
}

/** The numeric parameters `names` of `params`: each a positive number, its default when not given. */
export function numericParams<Name extends string>(
  label: string,
  params: object,
  defaults: Readonly<Record<Name, number>>,
  names: readonly Name[] = Object.keys(defaults) as Name[],
): Record<Name, number> {
  const given = params as Record<string, unknown>;
  return Object.fromEntries(
    names.map((name) => [name, numberParam(label, name, given[name], defaults[name], { min: 0, exclusive: true })]),
  ) as Record<Name, number>;
}

/** The run.json of the spool in `spoolDir`, if it has one (the run the spool was written for). */
export function readSpoolMeta<Meta extends RunMeta>(spoolDir: string): Promise<Meta | undefined> {
  return new Spool(path.resolve(spoolDir), 0).readMeta<Meta>();
}

/** The part of a delivery's options that every backend's `deliverSpool` gives the same way. */
type RedeliveryOptions = Omit<DeliveryOptions, 'protocol' | 'warningPrefix' | 'name' | 'resumedFields' | 'meta'>;

/**
 * `<Backend>Tracker.deliverSpool`: the delivery `make` builds from the options every backend gives the same way
 * (with its client and the spool's placeholder run description), delivered until done or `timeoutMs` without
 * progress (deliver_spool.ts).
 */
export function redeliverSpool<Meta extends RunMeta, Report extends DeliveryReport, Data extends BatchRecord>(
  spoolDir: string,
  options: SpoolDeliveryParams & { retryBaseMs?: number; retryMaxMs?: number },
  backend: RemoteBackend<RemoteNumbers>,
  make: (common: RedeliveryOptions) => Delivery<Meta, Report, Data>,
): Promise<Report> {
  const numbers = numericParams(backend.label, options, backend.defaults, ['retryBaseMs', 'retryMaxMs']);
  const delivery = make({
    spoolDir: path.resolve(spoolDir),
    maxSpoolBytes: Number.MAX_SAFE_INTEGER,
    mode: 'redeliver',
    retryBaseMs: numbers.retryBaseMs,
    retryMaxMs: numbers.retryMaxMs,
    maxQueueItems: backend.defaults.maxQueueItems,
    runTags: {},
    warn: options.onWarning ?? trackerWarnings(backend.label),
  });
  return deliverSpoolWith(delivery, {
    timeoutMs: options.timeoutMs ?? backend.defaults.endTimeoutMs,
    signal: options.signal,
    onOutage: options.onOutage,
  });
}

/**
 * The base of a remote tracker. A backend's `start` builds its delivery with `sessionOptions` and gives it to
 * `openSession`; its log hooks queue records on `delivery`; `flush`, `end`, `spoolDir` and `deliveryReport` are
 * this class's.
 */
export abstract class RemoteTracker<
  Meta extends RunMeta,
  Report extends DeliveryReport,
  Data extends BatchRecord = DataRecord,
  Numbers extends RemoteNumbers = RemoteNumbers,
> extends Tracker {
  /** The numeric parameters, checked, with their defaults. */
  protected readonly numbers: Numbers;
  protected readonly warn: Warn;
  readonly #backend: RemoteBackend<Numbers>;
  readonly #spoolParams: Pick<RemoteSessionParams, 'spoolDir' | 'resume'>;
  #delivery: Delivery<Meta, Report, Data> | undefined;
  #session: RemoteSession | undefined;
  /** The logdir given to `start`, for the `gymnos sync` hint. */
  #logdir = '.';
  /** What `end` could and could not deliver; set once `end` has settled. */
  endReport: Report | undefined;

  constructor(params: TrackerOptions & RemoteSessionParams, backend: RemoteBackend<Numbers>) {
    super(params);
    booleanParam(backend.label, 'resume', params.resume);
    this.#backend = backend;
    this.#spoolParams = { spoolDir: params.spoolDir, resume: params.resume };
    this.numbers = numericParams(backend.label, params, backend.defaults) as Numbers;
    this.warn = trackerWarnings(backend.label);
  }

  /** Where undelivered data is spooled (known after `start`). */
  get spoolDir(): string | undefined {
    return this.#delivery?.spoolDir;
  }

  /** Where delivery stands now (undefined before `start`). */
  async deliveryReport(): Promise<Report | undefined> {
    return this.#delivery?.report() as Promise<Report> | undefined;
  }

  /** The session's delivery (undefined before `start`, and for a session that delivers nothing at all). */
  protected get delivery(): Delivery<Meta, Report, Data> | undefined {
    return this.#delivery;
  }

  /**
   * The spool directory of the session `start(runId, logdir)` opens. A spool there that names a run (run.json) is an
   * earlier session of this run id: continuing it means the same run on the server, done only when asked (`resume`).
   */
  protected sessionSpoolDir(runId: string, logdir: string): string {
    const { label, name } = this.#backend;
    const spoolDir = path.resolve(this.#spoolParams.spoolDir ?? path.join(logdir, runId, `${name}-spool`));
    refuseExistingRun(label, spoolDir, runId, {
      existing: (dir) => existsSync(path.join(dir, 'run.json')),
      resume: this.#spoolParams.resume === true,
    });
    this.#logdir = logdir;
    return spoolDir;
  }

  /** The options of the session's delivery that every backend gives the same way. */
  protected sessionOptions(spoolDir: string, meta: Meta, runTags: Record<string, string>) {
    return {
      spoolDir,
      maxSpoolBytes: this.numbers.maxSpoolBytes,
      meta,
      mode: 'session' as const,
      retryBaseMs: this.numbers.retryBaseMs,
      retryMaxMs: this.numbers.retryMaxMs,
      maxQueueItems: this.numbers.maxQueueItems,
      runTags,
      warn: this.warn,
    };
  }

  /** The session's delivery starts: its timer sends what is queued every `flushIntervalMs`. */
  protected openSession(delivery: Delivery<Meta, Report, Data>, session: RemoteSession): void {
    this.#delivery = delivery;
    this.#session = session;
    delivery.startTimer(this.numbers.flushIntervalMs);
  }

  /**
   * One attempt to create the run now, so that it exists when `start` settles; if the server does not answer within
   * `startTimeoutMs`, the background sender creates it when it does.
   */
  protected async connect(): Promise<void> {
    await this.#delivery?.connect(Date.now() + this.numbers.startTimeoutMs);
  }

  /** Queues what the tracker still holds itself (W&B's open row), before a flush or an end delivers. */
  protected queueHeld(): void | Promise<void> {}

  /**
   * Sends what is queued and waits for it, at most `flushTimeoutMs`. During an outage already known, writes it to the
   * spool (on disk) and returns at once: the background sender delivers it (RemoteDelivery.flush). Never throws for a
   * server problem.
   */
  override async flush(): Promise<void> {
    // Within `end`, the base class flushes first: `end` does its own bounded wait.
    const delivery = this.#delivery;
    if (this.state === 'ended' || !delivery) return;
    await this.queueHeld();
    if (this.#session?.offline) return;
    await delivery.flush(Date.now() + this.numbers.flushTimeoutMs, {
      untilDeferred: this.#backend.flushStopsAtPace === true,
    });
  }

  /**
   * Sends the final status (FINISHED, or FAILED when given an error) behind everything else, waits at most
   * `endTimeoutMs`, then warns about (and reports in `endReport`) what it could not deliver.
   */
  override async end(error?: unknown): Promise<void> {
    const delivery = this.#delivery;
    if (!delivery) return;
    await this.queueHeld();
    this.closeSession();
    const { label, name } = this.#backend;
    this.endReport = await endSession(delivery, {
      failed: error !== undefined && error !== null,
      endTimeoutMs: this.numbers.endTimeoutMs,
      logdir: this.#logdir,
      server: this.#session!.server,
      warningPrefix: `GYMNOS_${name.toUpperCase()}`,
      deliverSpoolCall: `${label}.deliverSpool(dir)`,
      ...(this.#session!.offline ? { offline: true } : {}),
      warn: this.warn,
    });
  }

  /** Stops what the tracker runs beside its delivery (W&B's timers) before `end` delivers what is left. */
  protected closeSession(): void {}
}
