/**
 * The `memory` tracker keeps everything it is given in plain arrays and objects (the original project's
 * `History`). Useful in tests, notebooks, and as the reference implementation of the hooks.
 */
import { Tracker } from './tracker.js';
import type { Figure, ParamValue, TrackerOptions } from './tracker.js';
import { defineName } from '../runtime/name_table.js';

export interface MemoryMetric {
  name: string;
  value: number;
  step: number;
}

export interface MemoryFile {
  name: string;
  filePath: string;
}

export interface MemoryFigure {
  name: string;
  figure: Figure;
}

export type MemoryTrackerParams = TrackerOptions;

export class MemoryTracker extends Tracker {
  logdir: string | undefined;
  readonly metrics: MemoryMetric[] = [];
  readonly params: Record<string, ParamValue> = {};
  readonly tags: Record<string, string> = {};
  readonly assets: MemoryFile[] = [];
  readonly images: MemoryFile[] = [];
  readonly figures: MemoryFigure[] = [];
  flushes = 0;
  ended = false;
  /** The error `end` was given, if the run failed. */
  failure: unknown;

  constructor(params: MemoryTrackerParams = {}) {
    super(params);
  }

  /** The run id is the base class's `runId`. */
  override start(_runId: string, logdir: string): void {
    this.logdir = logdir;
  }

  override logTag(key: string, value: string): void {
    defineName(this.tags, key, value);
  }

  override logAsset(name: string, filePath: string): void {
    this.assets.push({ name, filePath });
  }

  override logImage(name: string, filePath: string): void {
    this.images.push({ name, filePath });
  }

  override logFigure(name: string, figure: Figure): void {
    this.figures.push({ name, figure });
  }

  override logMetric(name: string, value: number, step = 0): void {
    this.metrics.push({ name, value, step });
  }

  override logParam(name: string, value: ParamValue): void {
    defineName(this.params, name, value);
  }

  override flush(): void {
    this.flushes += 1;
  }

  override end(error?: unknown): void {
    this.ended = true;
    this.failure = error;
  }

  /** The values logged for one metric, in call order. */
  values(name: string): number[] {
    return this.metrics.filter((metric) => metric.name === name).map((metric) => metric.value);
  }
}
