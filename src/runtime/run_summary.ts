/**
 * The summary a jsonl tracker keeps while it logs and writes beside its run as `summary.json` (see
 * run_dir/sidecar.ts), so that `gymnos runs` and `gymnos report` need not read millions of lines back. It is the
 * state the reader builds from the file, built from the values before they were printed: per metric its count,
 * first and last step, last value, min and max (with steps), the samples a report draws, and the run's params,
 * tags, files, status and first and last event times.
 *
 * On the logging hot path a point costs a few compares and stores here (the tracker looks the metric up once
 * for its line and its summary). Samples are kept for the first MAX_SAMPLED_NAMES metric names; a run with
 * more writes none, and a report reads its file instead.
 */
import { SeriesSampler } from './run_dir/downsample.js';
import path from 'node:path';
import { readSidecar, readSidecarSamples, SAMPLES_NAME, SIDECAR_NAME, writeSidecar } from './run_dir/sidecar.js';
import { emptySummaryState, metricOf, trackPoint } from './run_dir/summary_state.js';
import type { SummaryState, TrackedMetric } from './run_dir/summary_state.js';
import type { EndStatus, RunFile, RunFileKind } from './run_dir/types.js';
import { removeFile } from '../util/remove_file.js';
import { defineName } from './name_table.js';

const MAX_SAMPLED_NAMES = 256;

/** One metric's summary and sampler, held by the tracker beside the metric's line prefix. */
export interface MetricRecord {
  summary: TrackedMetric;
  sampler: SeriesSampler | undefined;
}

export class RunSummaryWriter {
  readonly #state: SummaryState = emptySummaryState();
  readonly #samplers = new Map<string, SeriesSampler>();
  readonly #media = new Map<string, RunFile>();
  #lines = 0;
  #sampling = true;
  /** False once the summary may not match the file (a resumed run without a matching sidecar, a lost write). */
  #valid = true;

  /**
   * Goes on from the sidecar of a run being resumed, if it covers the whole of its `events.jsonl` (`size`
   * bytes); otherwise this session writes none (a sidecar left by an earlier session stays true of the bytes it
   * covers, and readers read the rest).
   */
  resume(dir: string, size: number): void {
    if (size === 0) {
      // Left by a run whose events.jsonl was deleted.
      for (const name of [SIDECAR_NAME, SAMPLES_NAME]) removeFile(path.join(dir, name));
      return;
    }
    const sidecar = readSidecar(dir);
    const samples = sidecar && readSidecarSamples(dir, sidecar);
    if (sidecar === undefined || samples === undefined || sidecar.resume.offset !== size) {
      this.#valid = false;
      return;
    }
    for (const [name, snapshot] of Object.entries(samples)) {
      const sampler = SeriesSampler.restore(snapshot);
      if (sampler === undefined) {
        this.#valid = false;
        return;
      }
      this.#samplers.set(name, sampler);
    }
    Object.assign(this.#state, sidecar.state);
    for (const file of sidecar.media) this.#media.set(`${file.kind}/${file.name}`, file);
    this.#lines = sidecar.resume.lines;
    this.#sampling = this.#samplers.size < MAX_SAMPLED_NAMES;
  }

  /** A summary's writes were lost (a failed write dropped buffered lines): no sidecar from now on. */
  invalidate(): void {
    this.#valid = false;
  }

  /** The record of metric `name`, made at its first point. */
  record(name: string): MetricRecord {
    const summary = metricOf(this.#state.metrics, name);
    let sampler = this.#samplers.get(name);
    if (sampler === undefined && this.#sampling) {
      if (this.#samplers.size === MAX_SAMPLED_NAMES) {
        this.#sampling = false;
        this.#samplers.clear();
      } else {
        sampler = new SeriesSampler();
        this.#samplers.set(name, sampler);
      }
    }
    return { summary, sampler };
  }

  /** One metric line: the hot path. */
  point(record: MetricRecord, step: number, value: number, time: number): void {
    this.#event(time);
    this.#state.points++;
    this.#state.ended = null; // as the reader: points after an end record mean the run was resumed
    trackPoint(record.summary, step, value, time);
    if (this.#sampling) record.sampler?.add(step, value, time);
  }

  param(name: string, value: unknown, time: number): void {
    this.#event(time);
    defineName(this.#state.params, name, value);
  }

  tag(key: string, value: string, time: number): void {
    this.#event(time);
    defineName(this.#state.tags, key, value);
  }

  file(kind: RunFileKind, name: string, relative: string, time: number): void {
    this.#event(time);
    this.#state.files[kind]++;
    if (kind !== 'asset') this.#media.set(`${kind}/${name}`, { kind, name, path: relative, time });
  }

  status(status: EndStatus, time: number): void {
    this.#event(time);
    this.#state.ended = status;
  }

  /** Writes `summary.json` for the `offset` bytes of `events.jsonl` on disk (every line logged so far). */
  save(dir: string, offset: number): void {
    if (!this.#valid) return;
    const samples = this.#sampling
      ? Object.fromEntries([...this.#samplers].map(([name, sampler]) => [name, sampler.snapshot()]))
      : null;
    writeSidecar(dir, {
      resume: { offset, lines: this.#lines },
      state: this.#state,
      samples,
      media: [...this.#media.values()],
    });
  }

  #event(time: number): void {
    this.#lines++;
    const state = this.#state;
    if (state.end === null || time > state.end) state.end = time;
    if (state.start === null || time < state.start) state.start = time;
  }
}
