/**
 * Reads a csv run (docs/trackers/csv.md): `metrics.csv` (`step,name,value,timestamp`, RFC 4180 quoting) streamed
 * once, plus `params.json` and `tags.json`. The csv tracker records no end status.
 */
import path from 'node:path';
import { GymnosError } from '../errors.js';
import { readParamsAndTags } from './jsonl_reader.js';
import { latin1, MAX_LINE_BYTES, readLines } from './line_reader.js';
import { openRunFile, runFileError } from '../runtime/run_dir/run_files.js';
import type { ReadReport, RunVisitor } from './types.js';
import type { ResumeAt } from '../runtime/run_dir/types.js';

const HEADER = 'step,name,value,timestamp';
const COMMA = 0x2c;
const QUOTE = 0x22;

/** The number a field holds, or undefined when it is none (`Number('')` would be 0, `Number('x')` NaN). */
function numberField(text: string, nonFinite: boolean): number | undefined {
  if (text === '' || text.trim() !== text) return undefined;
  const value = Number(text);
  if (Number.isNaN(value) && text !== 'NaN') return undefined;
  if (!nonFinite && !Number.isFinite(value)) return undefined;
  return value;
}

export function readCsvRun(dir: string, visitor: RunVisitor, resume?: ResumeAt): ReadReport {
  const file = path.join(dir, 'metrics.csv');
  const handle = openRunFile(dir, 'metrics.csv');
  if (handle === undefined) throw runFileError(dir, 'metrics.csv', 'is gone');
  const names = new Map<string, string>();
  let lineNumber = resume?.lines ?? 0;
  const row = (buffer: Buffer, start: number, end: number): string | undefined => {
    if (buffer[end - 1] === 0x0d) end--; // CRLF, if another program wrote the file
    if (lineNumber === 1) {
      if (latin1(buffer, start, end) === HEADER) return undefined;
      throw new GymnosError('RUN_FILE_INVALID', `${file}: the header is not "${HEADER}"`, {
        kind: 'failure',
        details: { file, line: 1 },
      });
    }
    if (end === start) return undefined;
    const notARow = 'not a step,name,value,timestamp row';
    const stepEnd = buffer.indexOf(COMMA, start);
    if (stepEnd === -1 || stepEnd >= end) return notARow;
    const step = numberField(latin1(buffer, start, stepEnd), false);
    let name: string;
    let nameEnd: number;
    if (buffer[stepEnd + 1] === QUOTE) {
      // A quoted name: up to the quote that is not doubled; "" inside stands for one quote.
      let at = stepEnd + 2;
      for (;;) {
        at = buffer.indexOf(QUOTE, at);
        if (at === -1 || at >= end) return 'a quoted name is not closed';
        if (buffer[at + 1] === QUOTE) at += 2;
        else break;
      }
      name = buffer.toString('utf8', stepEnd + 2, at).replaceAll('""', '"');
      nameEnd = at + 1;
    } else {
      nameEnd = buffer.indexOf(COMMA, stepEnd + 1);
      if (nameEnd === -1 || nameEnd >= end) return notARow;
      const key = latin1(buffer, stepEnd + 1, nameEnd);
      let known = names.get(key);
      if (known === undefined) {
        known = buffer.toString('utf8', stepEnd + 1, nameEnd);
        if (names.size < 100_000) names.set(key, known);
      }
      name = known;
    }
    const valueEnd = buffer.indexOf(COMMA, nameEnd + 1);
    if (buffer[nameEnd] !== COMMA || valueEnd === -1 || valueEnd >= end) return notARow;
    // Number() reads what the tracker wrote (JavaScript's shortest form, NaN, Infinity, -Infinity) exactly.
    const value = numberField(latin1(buffer, nameEnd + 1, valueEnd), true);
    const time = numberField(latin1(buffer, valueEnd + 1, end), false);
    if (step === undefined) return 'the step is not a number';
    if (value === undefined) return 'the value is not a number';
    if (time === undefined) return 'the timestamp is not a number';
    visitor.time?.(time);
    visitor.metric(name, step, value, time, -1);
    return undefined;
  };
  const read = readLines(
    handle,
    (buffer, start, end) => {
      lineNumber++;
      const why = row(buffer, start, end);
      if (why !== undefined) visitor.skip?.(lineNumber, why);
    },
    {
      quoted: true,
      from: resume?.offset ?? 0,
      onOversized: () => visitor.skip?.(++lineNumber, `longer than ${MAX_LINE_BYTES / 1024 / 1024} MiB`),
    },
  );
  readParamsAndTags(dir, visitor);
  return { truncatedTail: read.truncatedTail, warnings: [], consumed: { offset: read.bytes, lines: lineNumber } };
}
