/**
 * What a report shows, gathered in one streaming pass per run: the summary (exact last and best values), each
 * metric downsampled for drawing, and the last image and figure of each name the run logged.
 */
import { isGymnosError } from '../errors.js';
import { sniffMedia } from '../runs/media_format.js';
import { readRunFile } from '../runtime/run_dir/run_files.js';
import type { SampledSeries } from '../runtime/run_dir/downsample.js';
import { selectRunLocations } from '../runs/list.js';
import type { SeenKeys } from '../runs/list.js';
import { checkConditionKeys } from '../runs/query.js';
import { listRuns } from '../runs/parallel.js';
import type { RunSelection } from '../runs/list.js';
import type { RunSummary } from '../runs/summary.js';
import type { RunFile } from '../runtime/run_dir/types.js';
import type { ReportMedia } from './report_data.js';

export interface ReportRun {
  summary: RunSummary;
  series: Record<string, SampledSeries>;
  media: ReportMedia[];
  /** Media left out, one line each: unreadable, too large, or of a format a page cannot show. */
  skippedMedia: string[];
}

export interface CollectOptions extends RunSelection {
  /** Points drawn per chart, shared by its series (each series gets at least 150, at most 2000). */
  pointsPerChart?: number;
  /** False: read every run from its start, ignoring the summaries jsonl trackers write (`summary.json`). */
  sidecars?: boolean;
}

/** Media larger than this stay out of the page (the run's directory still has them). */
const MAX_MEDIA_BYTES = 5 * 1024 * 1024;

/**
 * A run's file as the page shows it, or why it cannot. A jsonl run's file is read only from inside its run
 * directory (run_files.ts: an absolute path, a `../` or a symlink out of it is refused), and what it is comes from
 * its content (media_format.ts), not from its name. The reasons name the file as the run does, never a path of
 * this machine.
 */
function toMedia(dir: string, file: RunFile): ReportMedia | string {
  const kind = file.kind === 'figure' ? 'figure' : 'image';
  let bytes = file.bytes;
  if (bytes === undefined) {
    if (file.path === null) return `${file.name}: no content`;
    try {
      bytes = readRunFile(dir, file.path, MAX_MEDIA_BYTES);
    } catch (error) {
      if (!isGymnosError(error) || error.code !== 'RUN_FILE_INVALID') throw error;
      return `${file.name}: its file ${String(error.details.reason)}`;
    }
    if (bytes === undefined) return `${file.name}: ${file.path} is missing`;
  }
  const media = sniffMedia(bytes);
  if (media === undefined) return `${file.name}: not a format a page can show`;
  if ('spec' in media) return { kind: 'figure', name: file.name, format: media.format, spec: media.spec };
  const type = media.format === 'svg' ? 'image/svg+xml' : `image/${media.format}`;
  return {
    kind,
    name: file.name,
    format: media.format,
    dataUri: `data:${type};base64,${Buffer.from(bytes).toString('base64')}`,
  };
}

/** The selected runs with what the page shows of each, read on every core. */
export async function collectReportRuns(options: CollectOptions): Promise<ReportRun[]> {
  // Each chart shares a budget of points between its series, so a report of many runs stays light to draw: 2 000
  // points for one run, 150 each for up to 266 runs, then fewer, down to 50 (a line of 50 points, picked to keep its
  // shape, is still its shape in a chart of 500 lines; 150 would make that chart three times as slow to draw).
  const selected = selectRunLocations(options).locations.length;
  const budget = options.pointsPerChart ?? 40_000;
  const perRun = Math.floor(budget / Math.max(selected, 1));
  const points = Math.min(2000, selected <= 266 ? Math.max(150, perRun) : Math.max(50, perRun));
  const seen: SeenKeys = { params: new Set(), tags: new Set() };
  const listed = await listRuns({ ...options, sample: { metrics: 'all', points }, media: true, seen });
  checkConditionKeys(options.where ?? [], seen); // a typo is named, not reported as no run matching
  return listed.map((run) => {
    const media: ReportMedia[] = [];
    const skippedMedia: string[] = [];
    for (const file of run.media) {
      const made = toMedia(run.summary.dir, file);
      if (typeof made === 'string') skippedMedia.push(made);
      else media.push(made);
    }
    return { summary: run.summary, series: run.series, media, skippedMedia };
  });
}
