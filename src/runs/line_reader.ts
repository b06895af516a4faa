/**
 * Streams a text file line by line as byte ranges of one reused buffer: no string per line unless the caller
 * makes one, and memory bounded by the longest line. A last line without its newline is a write cut short (a
 * crash, or a write in progress): it is not passed on, and the result says so.
 */
import { closeSync, openSync, readSync } from 'node:fs';

const CHUNK_BYTES = 1 << 20;
const NEWLINE = 0x0a;
const QUOTE = 0x22;

/** Called with `buffer[start, end)`, the line without its newline. */
export type LineHandler = (buffer: Buffer, start: number, end: number) => void;

export interface LineReadResult {
  /** The file offset after the last whole line read. */
  bytes: number;
  truncatedTail: boolean;
}

/**
 * The chunk loop under every reader here: reads `file` from `from` a megabyte at a time into one reused buffer
 * and calls `consume(buffer, end)`, which handles the whole lines in `buffer[0, end)` and returns where the first
 * incomplete one starts; that rest is carried to the front of the buffer for the next read (the buffer grows for
 * a line longer than itself). Synchronous: the commands that use it do nothing else meanwhile, and one
 * `readSync` per megabyte is the cheapest loop.
 */
export function readChunks(
  file: string,
  from: number,
  consume: (buffer: Buffer, end: number) => number,
): LineReadResult {
  const fd = openSync(file, 'r');
  let buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let held = 0; // bytes of an incomplete line carried over at the start of `buffer`
  let bytes = from;
  let position = from;
  try {
    for (;;) {
      if (held === buffer.length) {
        // A line longer than the buffer: grow it (a huge param value, not the scalars).
        const larger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(larger, 0, 0, held);
        buffer = larger;
      }
      const read = readSync(fd, buffer, held, buffer.length - held, position);
      if (read === 0) break;
      position += read;
      const end = held + read;
      const start = consume(buffer, end);
      bytes += start;
      held = end - start;
      if (start > 0 && held > 0) buffer.copy(buffer, 0, start, end);
    }
  } finally {
    closeSync(fd);
  }
  return { bytes, truncatedTail: held > 0 };
}

/** `quoted`: CSV rules, a newline inside double quotes (RFC 4180) does not end the line. */
export function readLines(
  file: string,
  onLine: LineHandler,
  options: { quoted?: boolean; from?: number } = {},
): LineReadResult {
  let held = 0;
  return readChunks(file, options.from ?? 0, (buffer, end) => {
    let start = 0;
    // Unquoted, the carried-over bytes hold no newline: search from after them.
    let searchFrom = options.quoted ? 0 : held;
    for (;;) {
      let newline = buffer.indexOf(NEWLINE, searchFrom);
      if (newline === -1 || newline >= end) break;
      if (options.quoted) newline = quotedLineEnd(buffer, start, newline, end);
      if (newline === -1) break;
      onLine(buffer, start, newline);
      start = newline + 1;
      searchFrom = start;
    }
    held = end - start;
    return start;
  });
}

/**
 * The newline that ends a CSV row starting at `start`, given the first newline after it: while the row has an
 * odd number of quotes before the newline, that newline is inside a quoted field. -1 when the row is not whole
 * in `buffer[0, end)`.
 */
function quotedLineEnd(buffer: Buffer, start: number, newline: number, end: number): number {
  const quote = buffer.indexOf(QUOTE, start);
  if (quote === -1 || quote > newline) return newline; // the common case: no quotes in the row
  let quotes = 0;
  for (let at = start; at < end; at++) {
    const byte = buffer[at];
    if (byte === QUOTE) quotes++;
    else if (byte === NEWLINE && quotes % 2 === 0) return at;
  }
  return -1;
}

type Latin1Buffer = Buffer & { latin1Slice(start: number, end: number): string };

/** `buffer.toString('latin1', start, end)` without its argument checks: Node's own latin1Slice, on the hot path. */
export function latin1(buffer: Buffer, start: number, end: number): string {
  return (buffer as Latin1Buffer).latin1Slice(start, end);
}
