/**
 * What a report shows, gathered in one streaming pass per run: the summary (exact last and best values), each
 * metric downsampled for drawing, and the last image and figure of each name the run logged.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { SampledSeries } from '../runs/downsample.js';
import { selectRunLocations } from '../runs/list.js';
import type { SeenKeys } from '../runs/list.js';
import { checkConditionKeys } from '../runs/query.js';
import { listRuns } from '../runs/parallel.js';
import type { RunSelection } from '../runs/list.js';
import type { RunSummary } from '../runs/summary.js';
import type { RunFile } from '../runs/types.js';
import type { PictureFormat, ReportMedia } from './report_data.js';

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

const PICTURE_EXTENSIONS: Record<string, PictureFormat> = {
  '.png': 'png',
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.gif': 'gif',
  '.webp': 'webp',
  '.svg': 'svg',
};

function sniffPicture(bytes: Uint8Array): PictureFormat | undefined {
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'jpeg';
  return undefined;
}

/** The format of a jsonl run's file from its name: `x.png`, `x.svg`, `x.vl.json`, `x.plotly.json`. */
function formatOfPath(file: string): string | undefined {
  if (file.endsWith('.vl.json')) return 'vega-lite';
  if (file.endsWith('.plotly.json')) return 'plotly';
  return PICTURE_EXTENSIONS[path.extname(file).toLowerCase()];
}

/** A run's file as the page shows it, or why it cannot. */
function toMedia(dir: string, file: RunFile): ReportMedia | string {
  const kind = file.kind === 'figure' ? 'figure' : 'image';
  let bytes = file.bytes;
  let format = file.format;
  if (bytes === undefined) {
    if (file.path === null) return `${file.name}: no content`;
    const absolute = path.resolve(dir, file.path);
    format = formatOfPath(file.path);
    try {
      if (statSync(absolute).size > MAX_MEDIA_BYTES) return `${file.name}: larger than 5 MiB, left out`;
      bytes = readFileSync(absolute);
    } catch (error) {
      // The code, not the message: the message holds the file's path, which has no place in a report.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === undefined) throw error;
      return `${file.name}: ${file.path} cannot be read (${code})`;
    }
  }
  if (format === 'vega-lite' || format === 'plotly') {
    try {
      return { kind: 'figure', name: file.name, format, spec: JSON.parse(Buffer.from(bytes).toString('utf8')) };
    } catch {
      return `${file.name}: the ${format} spec is not valid JSON`;
    }
  }
  const picture = (format as PictureFormat | undefined) ?? sniffPicture(bytes);
  if (picture === undefined) return `${file.name}: not a format a page can show`;
  const type = picture === 'svg' ? 'image/svg+xml' : `image/${picture}`;
  return {
    kind,
    name: file.name,
    format: picture,
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
