/**
 * Reads a csv run (docs/trackers/csv.md): `metrics.csv` (`step,name,value,timestamp`, RFC 4180 quoting) streamed
 * once, plus `params.json` and `tags.json`. The csv tracker records no end status.
 */
import path from 'node:path';
import { GymnosError } from '../errors.js';
import { readJsonObject } from './jsonl_reader.js';
import { latin1, readLines } from './line_reader.js';
import type { ReadReport, ResumeAt, RunVisitor } from './types.js';

const HEADER = 'step,name,value,timestamp';
const COMMA = 0x2c;
const QUOTE = 0x22;

export function readCsvRun(dir: string, visitor: RunVisitor, resume?: ResumeAt): ReadReport {
  const file = path.join(dir, 'metrics.csv');
  const names = new Map<string, string>();
  let lineNumber = resume?.lines ?? 0;
  const invalid = (what: string) =>
    new GymnosError('RUN_FILE_INVALID', `${file}:${lineNumber}: ${what}`, {
      kind: 'failure',
      details: { file, line: lineNumber },
    });
  const read = readLines(
    file,
    (buffer, start, end) => {
      lineNumber++;
      if (buffer[end - 1] === 0x0d) end--; // CRLF, if another program wrote the file
      if (lineNumber === 1) {
        if (latin1(buffer, start, end) !== HEADER) throw invalid(`the header is not "${HEADER}"`);
        return;
      }
      if (end === start) return;
      const stepEnd = buffer.indexOf(COMMA, start);
      if (stepEnd === -1 || stepEnd >= end) throw invalid('not a step,name,value,timestamp row');
      const step = Number(latin1(buffer, start, stepEnd));
      let name: string;
      let nameEnd: number;
      if (buffer[stepEnd + 1] === QUOTE) {
        // A quoted name: up to the quote that is not doubled; "" inside stands for one quote.
        let at = stepEnd + 2;
        for (;;) {
          at = buffer.indexOf(QUOTE, at);
          if (at === -1 || at >= end) throw invalid('a quoted name is not closed');
          if (buffer[at + 1] === QUOTE) at += 2;
          else break;
        }
        name = buffer.toString('utf8', stepEnd + 2, at).replaceAll('""', '"');
        nameEnd = at + 1;
      } else {
        nameEnd = buffer.indexOf(COMMA, stepEnd + 1);
        if (nameEnd === -1 || nameEnd >= end) throw invalid('not a step,name,value,timestamp row');
        const key = latin1(buffer, stepEnd + 1, nameEnd);
        let known = names.get(key);
        if (known === undefined) {
          known = buffer.toString('utf8', stepEnd + 1, nameEnd);
          if (names.size < 100_000) names.set(key, known);
        }
        name = known;
      }
      const valueEnd = buffer.indexOf(COMMA, nameEnd + 1);
      if (buffer[nameEnd] !== COMMA || valueEnd === -1 || valueEnd >= end) {
        throw invalid('not a step,name,value,timestamp row');
      }
      // Number() reads what the tracker wrote (JavaScript's shortest form, NaN, Infinity, -Infinity) exactly.
      const value = Number(latin1(buffer, nameEnd + 1, valueEnd));
      const time = Number(latin1(buffer, valueEnd + 1, end));
      if (Number.isNaN(step) || Number.isNaN(time)) throw invalid('the step or the timestamp is not a number');
      visitor.time?.(time);
      visitor.metric(name, step, value, time, -1);
    },
    { quoted: true, from: resume?.offset ?? 0 },
  );
  for (const [name, value] of Object.entries(readJsonObject(dir, 'params.json'))) visitor.param?.(name, value);
  for (const [key, value] of Object.entries(readJsonObject(dir, 'tags.json'))) visitor.tag?.(key, String(value));
  return { truncatedTail: read.truncatedTail, warnings: [], consumed: { offset: read.bytes, lines: lineNumber } };
}
