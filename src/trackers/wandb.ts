/**
 * The `wandb` tracker: logs to Weights & Biases (its cloud, or a dedicated or self-managed server) over the
 * protocol W&B's own clients use, with no SDK: GraphQL `UpsertBucket` for the run, its config and tags; the run's
 * `file_stream` for history rows and the summary at explicit line offsets; `CreateRunFiles` and a PUT for files and
 * images; `complete` with the exit code once everything else is delivered (wandb/protocol.ts).
 *
 * Training never waits for W&B and never dies because of it: log calls queue; the remote delivery layer
 * (trackers/remote/) sends in the background, retries with backoff, honours 429s and W&B's RateLimit-* headers,
 * and spools to disk what cannot go yet, for this process, a resumed one, or `gymnos sync`. Metrics logged at one
 * step make one history row whose `_step` is that step. WANDB_MODE=offline sends nothing and keeps the whole run in
 * the spool for `gymnos sync`. See docs/trackers/wandb.md.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { cancelFlushAtExit, flushAtExit } from '../runtime/exit_flush.js';
import type { SyncFlushable } from '../runtime/exit_flush.js';
import type { ProcessEnding } from '../runtime/process_end.js';
import { contentTypeOf } from '../runtime/content_type.js';
import { describeFigure } from '../runtime/figure.js';
import { imageInfo } from '../runtime/image_info.js';
import { artifactPath } from './remote/artifacts.js';
import { wireDouble } from './remote/records.js';
import type { ArtifactRecord, RowRecord, RowValue } from './remote/records.js';
import { numericParams, readSpoolMeta, redeliverSpool, RemoteTracker } from './remote/remote_tracker.js';
import type { RemoteBackend } from './remote/remote_tracker.js';
import { REMOTE_DEFAULTS } from './remote/session_params.js';
import type { RemoteRequestParams, RemoteSessionParams, SpoolDeliveryParams } from './remote/session_params.js';
import { httpFailure } from './remote/http.js';
import { WandbDelivery } from './wandb/delivery.js';
import type { WandbDeliveryReport } from './wandb/delivery.js';
import type { WandbProtocol, WandbRecord, WandbRunMeta } from './wandb/protocol.js';
import { noApiKey, wandbSettings } from './wandb/settings.js';
import type { WandbSettings } from './wandb/settings.js';
import type { Figure, ParamValue, TrackerOptions } from './tracker.js';

export type { WandbDeliveryReport } from './wandb/delivery.js';

/** How to reach W&B (shared by the tracker and `deliverSpool`); `requestTimeoutMs` as every remote tracker's. */
export interface WandbConnectionParams extends RemoteRequestParams {
  /** Default: WANDB_API_KEY, else the `~/.netrc` entry of the server (`wandb login`). */
  apiKey?: string;
  /** The W&B server. Default: WANDB_BASE_URL, else https://api.wandb.ai. */
  baseUrl?: string;
  /** First retry delay after a failure; doubles each failure (with jitter). Default 1 000 ms. */
  retryBaseMs?: number;
  /** Longest retry delay. Default 60 000 ms (W&B's own client waits 2 to 60 s). */
  retryMaxMs?: number;
  /** Shortest time between two file_stream requests of the run. Default 500 ms (W&B takes 2 a second). */
  minRequestIntervalMs?: number;
}

/**
 * The spool (`spoolDir`: `<logdir>/<runId>/wandb-spool`, bounded by `maxSpoolBytes`: queued records and spooled
 * files), `resume` (the same W&B run), the memory queue (`maxQueueItems`: history rows and other records), the
 * timer (`flushIntervalMs`: it also closes a row still open) and the waits are every remote tracker's
 * (RemoteSessionParams).
 */
export interface WandbTrackerParams extends TrackerOptions, WandbConnectionParams, RemoteSessionParams {
  /** The W&B entity (user or team). Default: WANDB_ENTITY, else the API key's default entity. */
  entity?: string;
  /** Default: WANDB_PROJECT, else `uncategorized`. */
  project?: string;
  /** The run's name in W&B's pages. Default: WANDB_NAME, else the gymnos run id. */
  name?: string;
  /**
   * The W&B run id. Default: WANDB_RUN_ID, else 8 random characters (kept in the spool, so that a resumed session
   * or a sync reaches the same run). A run id that exists on the server is continued: history after its last line.
   */
  id?: string;
  /** W&B tags of the run (plain strings). Default: WANDB_TAGS, comma-separated. */
  tags?: string[];
  /** `online`, `offline` (spool only, for `gymnos sync`) or `disabled` (nothing at all). Default: WANDB_MODE. */
  mode?: 'online' | 'offline' | 'disabled';
  /** A request to file_stream at least this often while the run is idle (W&B's own client: 30 s). */
  heartbeatIntervalMs?: number;
}

export interface WandbDeliverSpoolOptions extends WandbConnectionParams, SpoolDeliveryParams {}

const DEFAULTS = {
  ...REMOTE_DEFAULTS,
  retryBaseMs: 1_000,
  retryMaxMs: 60_000,
  minRequestIntervalMs: 500,
  heartbeatIntervalMs: 30_000,
};

const WANDB: RemoteBackend<typeof DEFAULTS> = { label: 'WandbTracker', name: 'wandb', defaults: DEFAULTS };

/** W&B keeps tags of 1 to 64 characters. */
const MAX_TAG_LENGTH = 64;
const MAX_RENAME_WARNINGS = 10;
/** Image formats W&B shows in a media panel, by what `imageInfo` reads. */
const IMAGE_FORMATS = { png: 'png', jpeg: 'jpg' } as const;

/** A W&B run id as W&B's clients make them: 8 characters of [a-z0-9]. */
function newWandbRunId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(8)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

/** The row being filled: the values logged at one step, until a value of another step (or a flush) closes it. */
interface OpenRow {
  step: number;
  timestamp: number;
  values: Record<string, RowValue>;
  metrics: number;
}

export class WandbTracker
  extends RemoteTracker<WandbRunMeta, WandbDeliveryReport, WandbRecord, typeof DEFAULTS>
  implements SyncFlushable
{
  readonly #settings: WandbSettings;
  #row: OpenRow | undefined;
  /** Images being read (logImage reads the file in the background, as the tensorboard tracker does). */
  readonly #pendingReads = new Set<Promise<void>>();
  /** Each image or figure name's own step counter (logImage and logFigure take no step). */
  readonly #mediaSteps = new Map<string, number>();
  readonly #renamed = new Set<string>();
  #rowTimer: NodeJS.Timeout | undefined;
  #heartbeatTimer: NodeJS.Timeout | undefined;
  /** The session's protocol, for the heartbeat. */
  #protocol: WandbProtocol | undefined;

  constructor(params: WandbTrackerParams = {}) {
    super(params, WANDB);
    this.#settings = wandbSettings(params);
    if (this.#settings.mode === 'online' && !this.#settings.apiKey) throw noApiKey();
  }

  /** The W&B run id (known after `start`). */
  get wandbRunId(): string | undefined {
    return this.#wandbRunId;
  }

  #wandbRunId: string | undefined;

  override async start(runId: string, logdir: string): Promise<void> {
    if (this.#settings.mode === 'disabled') return;
    const spoolDir = this.sessionSpoolDir(runId, logdir);
    const script = process.argv[1];
    const meta: WandbRunMeta = {
      version: 1,
      backend: 'wandb',
      trackingUri: this.#settings.baseUrl,
      runName: this.#settings.name ?? runId,
      gymnosRunId: runId,
      startTime: Date.now(),
      session: 'open',
      ...(this.#settings.entity ? { entity: this.#settings.entity } : {}),
      project: this.#settings.project,
      wandbRunId: this.#settings.runId ?? newWandbRunId(),
      nextLine: 0,
      config: {},
      wandbTags: this.#settings.tags,
      summary: {},
      ...(script ? { program: path.basename(script) } : {}),
    };
    const offline = this.#settings.mode === 'offline';
    const delivery = new WandbDelivery({
      ...this.sessionOptions(spoolDir, meta, {}),
      baseUrl: this.#settings.baseUrl,
      apiKey: this.#settings.apiKey,
      requestTimeoutMs: this.numbers.requestTimeoutMs,
      protocolOptions: {
        minRequestIntervalMs: this.numbers.minRequestIntervalMs,
        onStopRequested: () =>
          this.warn(
            'GYMNOS_WANDB_STOP_REQUESTED',
            `the W&B run ${meta.wandbRunId} was stopped from W&B's page; training goes on and gymnos keeps ` +
              'logging to it (end the training yourself to stop it)',
          ),
      },
      offline,
    });
    this.#wandbRunId = meta.wandbRunId;
    this.#protocol = delivery.protocol;
    // The open row is the tracker's, not yet the delivery's: an end without end() queues it before the delivery
    // writes its queue to the spool.
    flushAtExit(this);
    this.openSession(delivery, { server: `the W&B server ${this.#settings.baseUrl}`, offline });
    // A row left open (no value of a later step came) is closed on the same beat, so that it is delivered.
    this.#rowTimer = setInterval(() => this.#closeRow(), this.numbers.flushIntervalMs);
    this.#rowTimer.unref();
    // The spool is this machine's: opened before start settles, however slow the disk (a log call that finds the
    // memory queue full then spools instead of dropping). Only the server's answer is bounded by startTimeoutMs.
    await delivery.ready.catch(() => undefined);
    this.#wandbRunId = delivery.meta.wandbRunId; // a resumed session's: the spool's
    if (offline) return;
    this.#heartbeatTimer = setInterval(() => this.#heartbeat(), Math.min(this.numbers.heartbeatIntervalMs, 5_000));
    this.#heartbeatTimer.unref();
    await this.connect();
  }

  /** The process ends without `end()`: the open row joins the queue, which the delivery writes to the spool. */
  flushAtExit(ending?: ProcessEnding): void {
    this.#closeRow();
    this.delivery?.flushAtExit(ending);
  }

  #heartbeat(): void {
    if (!this.#protocol || this.delivery?.outage !== false) return;
    this.#protocol.heartbeat(this.numbers.heartbeatIntervalMs).catch((error: unknown) => {
      // Only a beat: a failure here is found (and retried) by the data's own requests.
      if (!httpFailure(error)) this.warn('GYMNOS_WANDB_INTERNAL_ERROR', `heartbeat: ${(error as Error).message}`);
    });
  }

  /** A metric or media key W&B can take: its own keys start with `_` (`_step`, `_runtime`, `_timestamp`). */
  #key(name: string): string {
    if (!name.startsWith('_')) return name;
    const key = `gymnos${name}`;
    if (!this.#renamed.has(name) && this.#renamed.size < MAX_RENAME_WARNINGS) {
      this.#renamed.add(name);
      this.warn(
        'GYMNOS_WANDB_KEY_RENAMED',
        `"${name}" is logged as "${key}": W&B keeps keys starting with _ for itself`,
      );
    }
    return key;
  }

  /** Queues the open row. */
  #closeRow(): void {
    const row = this.#row;
    if (!row) return;
    this.#row = undefined;
    this.delivery?.enqueue({
      t: 'row',
      key: `step ${row.step}`,
      step: row.step,
      timestamp: row.timestamp,
      values: row.values,
      metrics: row.metrics,
    } satisfies RowRecord);
  }

  /** Adds a value to the row of `step` (a row of another step, or holding `key` already, is closed first). */
  #addToRow(step: number, key: string, value: RowValue, metric: boolean): void {
    if (this.#row && (this.#row.step !== step || Object.hasOwn(this.#row.values, key))) this.#closeRow();
    this.#row ??= { step, timestamp: Date.now(), values: {}, metrics: 0 };
    Object.defineProperty(this.#row.values, key, { value, enumerable: true, writable: true, configurable: true });
    if (metric) this.#row.metrics += 1;
  }

  override logMetric(name: string, value: number, step = 0): void {
    if (!this.delivery) return;
    this.#addToRow(step, this.#key(name), wireDouble(value), true);
  }

  override logParam(name: string, value: ParamValue): void {
    this.delivery?.enqueue({ t: 'param', key: name, value: JSON.stringify(value) });
  }

  /** A W&B tag `key:value` (plain strings of at most 64 characters: longer ones are cut, with a warning). */
  override logTag(name: string, value: string): void {
    const text = value === '' ? name : `${name}:${value}`;
    let key = name;
    let kept = value;
    if ([...text].length > MAX_TAG_LENGTH) {
      const cut = [...text].slice(0, MAX_TAG_LENGTH).join('');
      this.warn(
        'GYMNOS_WANDB_TRUNCATED',
        `tag "${name}" is ${[...text].length} characters as "key:value"; W&B keeps at most ${MAX_TAG_LENGTH}, so it ` +
          `is sent as ${JSON.stringify(cut)}`,
      );
      key = cut;
      kept = '';
    }
    this.delivery?.enqueue({ t: 'tag', key, value: kept });
  }

  /** A run file at `<name><ext>` (W&B's Files tab), uploaded from its path when the delivery gets to it. */
  override logAsset(name: string, filePath: string): void {
    const extension = path.extname(filePath);
    this.delivery?.enqueue({
      t: 'artifact',
      path: artifactPath('', name, extension, cleanSegment),
      file: path.resolve(filePath),
      contentType: contentTypeOf(extension),
    });
  }

  /** The next step of an image or figure name (each has its own counter, as in the tensorboard tracker). */
  #mediaStep(key: string): number {
    const step = this.#mediaSteps.get(key) ?? 0;
    this.#mediaSteps.set(key, step + 1);
    return step;
  }

  /**
   * A W&B image (a media panel with a step slider): the file, read in the background, is uploaded to
   * `media/images/<name>_<step>_<hash>.<ext>` and an `image-file` value of that step is logged. A file W&B cannot
   * show as an image is uploaded as a run file under `media/images/`, with a warning.
   */
  override logImage(name: string, filePath: string): void {
    if (!this.delivery) return;
    const key = this.#key(name);
    const step = this.#mediaStep(key);
    const timestamp = Date.now();
    const read = readFile(filePath).then(
      (bytes) => this.#queueImage(key, step, timestamp, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length)),
      (error: NodeJS.ErrnoException) => {
        const record: ArtifactRecord = { t: 'artifact', path: `media/images/${key}`, contentType: 'image/png' };
        this.delivery?.countLogged(record);
        this.delivery?.reject('artifact', filePath, `the image cannot be read (${error.code ?? error.message})`);
      },
    );
    const pending = read.finally(() => this.#pendingReads.delete(pending));
    this.#pendingReads.add(pending);
  }

  #queueImage(key: string, step: number, timestamp: number, bytes: Uint8Array, caption?: string): void {
    const info = imageInfo(bytes);
    if (!info) {
      this.warn(
        'GYMNOS_WANDB_NOT_AN_IMAGE',
        `"${key}" is neither PNG nor JPEG: it is uploaded as a run file, not shown as an image`,
      );
      this.#queueFile(`media/images/${safeName(key)}_${step}`, bytes, 'application/octet-stream');
      return;
    }
    const format = IMAGE_FORMATS[info.format];
    const file = this.#queueMedia(
      'images',
      key,
      step,
      format,
      bytes,
      info.format === 'png' ? 'image/png' : 'image/jpeg',
    );
    this.#addMedia(step, timestamp, key, {
      _type: 'image-file',
      ...file,
      format,
      width: info.width,
      height: info.height,
      ...(caption ? { caption } : {}),
    });
  }

  /** Uploads media bytes to `media/<kind>/<key>_<step>_<hash>.<ext>`, as W&B's clients name them. */
  #queueMedia(kind: string, key: string, step: number, extension: string, bytes: Uint8Array, contentType: string) {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const filePath = `media/${kind}/${safeName(key)}_${step}_${sha256.slice(0, 20)}.${extension}`;
    this.#queueFile(filePath, bytes, contentType);
    return { path: filePath, sha256, size: bytes.byteLength };
  }

  #queueFile(filePath: string, bytes: Uint8Array, contentType: string): void {
    this.delivery?.enqueue({ t: 'artifact', path: filePath, bytes, contentType });
  }

  /** A media value in a row of its own step (not merged with the metrics being logged). */
  #addMedia(step: number, timestamp: number, key: string, value: Record<string, unknown>): void {
    this.#closeRow();
    this.delivery?.enqueue({ t: 'row', key: `step ${step}`, step, timestamp, values: { [key]: value }, metrics: 0 });
  }

  /**
   * PNG bytes are an image; SVG is shown in an HTML panel (`html-file`); a Plotly spec is W&B's `plotly-file`; a
   * Vega-Lite spec, which W&B has no panel for, is a run file `media/figures/<name>_<step>.vl.json`.
   */
  override logFigure(name: string, figure: Figure): void {
    if (!this.delivery) return;
    const described = describeFigure(name, figure);
    const key = this.#key(name);
    const step = this.#mediaStep(key);
    const timestamp = Date.now();
    const encode = (text: string) => new TextEncoder().encode(text);
    switch (described.kind) {
      case 'png':
        this.#queueImage(key, step, timestamp, Uint8Array.from(described.bytes));
        return;
      case 'svg': {
        const svg = new TextDecoder().decode(described.bytes);
        const html = encode(`<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>${svg}</body></html>\n`);
        const file = this.#queueMedia('html', key, step, 'html', html, 'text/html');
        this.#addMedia(step, timestamp, key, { _type: 'html-file', ...file });
        return;
      }
      case 'plotly': {
        const file = this.#queueMedia(
          'plotly',
          key,
          step,
          'plotly.json',
          encode(JSON.stringify(described.spec)),
          'application/json',
        );
        this.#addMedia(step, timestamp, key, { _type: 'plotly-file', ...file });
        return;
      }
      case 'vega-lite':
        this.#queueFile(
          `media/figures/${safeName(key)}_${step}.vl.json`,
          encode(JSON.stringify(described.spec, null, 2)),
          'application/json',
        );
        return;
    }
  }

  /** Closes the open row and waits for the images being read, so that everything logged is queued. */
  protected override async queueHeld(): Promise<void> {
    while (this.#pendingReads.size > 0) await Promise.all([...this.#pendingReads]);
    this.#closeRow();
  }

  protected override closeSession(): void {
    cancelFlushAtExit(this);
    clearInterval(this.#rowTimer);
    clearInterval(this.#heartbeatTimer);
  }

  /**
   * Delivers a spool left by an earlier session (offline, or the server was down when it ended): reaches the run,
   * sends the rows at their lines, the config, tags and files, then the end. Resolves with the report; what could
   * not be delivered within `timeoutMs` without progress stays in the spool. Throws a GymnosError when there is no
   * API key, when `spoolDir` holds no spool, or when another process is using it.
   */
  static async deliverSpool(spoolDir: string, options: WandbDeliverSpoolOptions = {}): Promise<WandbDeliveryReport> {
    const recorded = await readSpoolMeta<WandbRunMeta>(spoolDir);
    const settings = wandbSettings({
      ...options,
      ...(options.baseUrl || process.env.WANDB_BASE_URL || !recorded ? {} : { baseUrl: recorded.trackingUri }),
      mode: 'online',
    });
    if (!settings.apiKey) throw noApiKey();
    const numbers = numericParams(WANDB.label, options, DEFAULTS, ['requestTimeoutMs', 'minRequestIntervalMs']);
    return redeliverSpool(spoolDir, options, WANDB, (common) => {
      const meta: WandbRunMeta = {
        version: 1,
        trackingUri: settings.baseUrl,
        runName: '',
        gymnosRunId: '',
        startTime: Date.now(),
        project: settings.project,
        wandbRunId: '',
        nextLine: 0,
        config: {},
        wandbTags: [],
        summary: {},
      };
      return new WandbDelivery({
        baseUrl: settings.baseUrl,
        apiKey: settings.apiKey,
        requestTimeoutMs: numbers.requestTimeoutMs,
        protocolOptions: { minRequestIntervalMs: numbers.minRequestIntervalMs },
        meta,
        ...common,
      });
    });
  }
}

/** A media key as a file name: W&B's clients keep `/` (subdirectories) and replace what a path cannot hold. */
function safeName(key: string): string {
  return artifactPath('', key, '', cleanSegment);
}

/** A path segment with what a file name cannot hold replaced by `_`. */
function cleanSegment(segment: string): string {
  return segment.replace(/[^\p{L}\p{N}_.\- ]/gu, '_');
}

export type { WandbRecord };
