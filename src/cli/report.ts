/**
 * `gymnos report [logdir...] -o report.html`: one self-contained HTML file comparing the runs (charts,
 * params side by side, images and figures). The work is in src/report/; this file parses flags and prints.
 */
import { writeReport } from '../report/write_report.js';
import { escapeControls } from '../util/display_text.js';
import { EXIT } from './exit_codes.js';
import { printError, printJson, printLine } from './output.js';

export interface ReportOptions {
  output?: string;
  title?: string;
  run?: string;
  where?: string[];
  json?: boolean;
  /** commander's --no-cache */
  cache?: boolean;
}

export async function runReport(logdirs: string[], options: ReportOptions): Promise<number> {
  const result = await writeReport({
    logdirs: logdirs.length > 0 ? logdirs : ['./logs'],
    output: options.output ?? 'report.html',
    title: options.title,
    run: options.run,
    where: options.where,
    sidecars: options.cache !== false,
  });
  // Run ids and names come from files: their control characters are shown, not acted on.
  for (const warning of result.warnings) printError(escapeControls(warning));
  if (options.json) printJson(result);
  else {
    const size =
      result.bytes >= 1024 * 1024
        ? `${(result.bytes / 1024 / 1024).toFixed(1)} MB`
        : `${Math.ceil(result.bytes / 1024)} KB`;
    printLine(
      `Wrote ${result.output} (${size}): ${result.runs} runs, ${result.metrics} metrics, ` +
        `${result.media} images and figures`,
    );
  }
  return EXIT.ok;
}
