/**
 * `gymnos report` as a library: collect the selected runs (one streaming pass each), render the page, and
 * write it atomically, so a report being rewritten is never seen half-written.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { GymnosError } from '../errors.js';
import { logdirLabels } from '../runs/discover.js';
import { writeFileAtomicSync } from '../util/atomic_write.js';
import type { SkippedRun } from '../runs/discover.js';
import { collectReportRuns } from './collect.js';
import type { CollectOptions, ReportRun } from './collect.js';
import { renderReportHtml } from './html.js';
import { buildReportData } from './page_data.js';

export interface WriteReportOptions extends CollectOptions {
  output: string;
  title?: string;
}

export interface ReportResult {
  output: string;
  bytes: number;
  runs: number;
  metrics: number;
  media: number;
  /** One line per run problem worth telling (a cut last line, a corrupt record, media left out). */
  warnings: string[];
}

export async function writeReport(options: WriteReportOptions): Promise<ReportResult> {
  const outputDir = path.dirname(path.resolve(options.output));
  if (!existsSync(outputDir) || !statSync(outputDir).isDirectory()) {
    throw new GymnosError('OUTPUT_DIR_MISSING', `-o ${options.output}: the directory ${outputDir} does not exist`);
  }
  // A run whose files cannot be read is told and left out; the others make the report.
  const skipped: SkippedRun[] = [];
  const runs: ReportRun[] = await collectReportRuns({ ...options, onSkip: (run) => skipped.push(run) });
  if (runs.length === 0) {
    const filtered = options.run !== undefined || (options.where ?? []).length > 0;
    throw new GymnosError(
      'NO_RUNS',
      filtered
        ? `no run under ${options.logdirs.join(', ')} matches the filters; nothing written`
        : `no runs under ${options.logdirs.join(', ')} (looked for events.jsonl, metrics.csv and ` +
            'events.out.tfevents.* files); nothing written',
      { kind: 'failure' },
    );
  }
  const labels = logdirLabels(options.logdirs);
  const html = renderReportHtml(
    buildReportData(runs, {
      title: options.title ?? `gymnos report: ${labels.join(', ')}`,
      generated: Date.now(),
      logdirs: options.logdirs,
      labels,
    }),
  );
  writeFileAtomicSync(options.output, html);
  const warnings: string[] = skipped.map((run) => `${run.id}: ${run.message}; skipped`);
  for (const run of runs) {
    if (run.summary.truncatedTail)
      warnings.push(`${run.summary.id}: the last line or record was cut short; read up to it`);
    for (const warning of run.summary.warnings) warnings.push(`${run.summary.id}: ${warning}`);
    for (const skipped of run.skippedMedia) warnings.push(`${run.summary.id}: ${skipped}`);
  }
  return {
    output: options.output,
    bytes: Buffer.byteLength(html),
    runs: runs.length,
    metrics: new Set(runs.flatMap((run) => Object.keys(run.series))).size,
    media: runs.reduce((count, run) => count + run.media.length, 0),
    warnings,
  };
}
