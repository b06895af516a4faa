/**
 * Streams a text file line by line as byte ranges of one reused buffer: no string per line unless the caller
 * makes one, and memory bounded by the longest line, itself bounded: a line longer than MAX_LINE_BYTES is skipped
 * unread, and said so. A last line without its newline is a write cut short (a crash, or a write in progress): it
 * is not passed on, and the result says so.
 */
import { closeSync, readSync } from 'node:fs';
import type { RunFileHandle } from '../runtime/run_dir/run_files.js';

const CHUNK_BYTES = 1 << 20;
const NEWLINE = 0x0a;
const QUOTE = 0x22;
/** The longest line a reader holds: a 200 MB param line would otherwise cost gigabytes to parse. */
export const MAX_LINE_BYTES = 32 * 1024 * 1024;
/**
 * The longest CSV row a quoted field may stretch over newlines: a name with a newline is short, while a stray
 * quote would otherwise take the rest of the file for one row (and drop it as a cut-short last line).
 */
const MAX_QUOTED_ROW_BYTES = 64 * 1024;

/** Called with `buffer[start, end)`, the line without its newline. */
export type LineHandler = (buffer: Buffer, start: number, end: number) => void;

export interface LineReadResult {
  /** The file offset after the last whole line read. */
  bytes: number;
  truncatedTail: boolean;
}

export interface ChunkOptions {
  /** The longest line to hold (default MAX_LINE_BYTES); a longer one is skipped, unread. */
  maxLineBytes?: number;
  /** A line was skipped for its length; `next` is the file offset of the first byte after it. */
  onOversized?: (next: number) => void;
}

/**
 * The chunk loop under every reader here: reads the open file from `from` a megabyte at a time into one reused
 * buffer and calls `consume(buffer, end, atEnd)`, which handles the whole lines in `buffer[0, end)` and returns
 * where the first incomplete one starts; that rest is carried to the front of the buffer for the next read (the
 * buffer grows for a line longer than itself, up to `maxLineBytes`). `atEnd`: no more bytes will come (a last call
 * with what is left). Synchronous: the commands that use it do nothing else meanwhile, and one `readSync` per
 * megabyte is the cheapest loop. Closes the file.
 */
export function readChunks(
  file: RunFileHandle,
  from: number,
  consume: (buffer: Buffer, end: number, atEnd: boolean) => number,
  options: ChunkOptions = {},
): LineReadResult {
  const { fd } = file;
  const maxLine = options.maxLineBytes ?? MAX_LINE_BYTES;
  let buffer = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, maxLine));
  let held = 0; // bytes of an incomplete line carried over at the start of `buffer`
  let bytes = from;
  let position = from;
  try {
    for (;;) {
      if (held === buffer.length) {
        if (buffer.length >= maxLine) {
          // A line too long to hold: skipped to its newline, unread.
          const skipped = skipPastNewline(fd, buffer, position);
          bytes += held + skipped.bytes;
          position += skipped.read;
          held = skipped.rest;
          options.onOversized?.(bytes);
          if (skipped.atEnd) {
            held = 0;
            break;
          }
        } else {
          // A line longer than the buffer: grow it (a huge param value, not the scalars).
          const larger = Buffer.allocUnsafe(Math.min(buffer.length * 2, maxLine));
          buffer.copy(larger, 0, 0, held);
          buffer = larger;
        }
      }
      const read = readSync(fd, buffer, held, buffer.length - held, position);
      position += read;
      const end = held + read;
      const start = read === 0 ? (held > 0 ? consume(buffer, end, true) : 0) : consume(buffer, end, false);
      bytes += start;
      held = end - start;
      if (start > 0 && held > 0) buffer.copy(buffer, 0, start, end);
      if (read === 0 && start === 0) break;
    }
  } finally {
    closeSync(fd);
  }
  return { bytes, truncatedTail: held > 0 };
}

/**
 * Reads on from `position` into `buffer` until a newline: `bytes` skipped (up to and with the newline), `read`
 * from the file, and the `rest` after the newline left at the buffer's front; `atEnd` when the file ended first.
 */
function skipPastNewline(
  fd: number,
  buffer: Buffer,
  position: number,
): { bytes: number; read: number; rest: number; atEnd: boolean } {
  let total = 0;
  for (;;) {
    const read = readSync(fd, buffer, 0, buffer.length, position + total);
    if (read === 0) return { bytes: total, read: total, rest: 0, atEnd: true };
    const newline = buffer.indexOf(NEWLINE);
    if (newline !== -1 && newline < read) {
      buffer.copy(buffer, 0, newline + 1, read);
      return { bytes: total + newline + 1, read: total + read, rest: read - newline - 1, atEnd: false };
    }
    total += read;
  }
}

/**
 * `quoted`: CSV rules, a newline inside double quotes (RFC 4180) does not end the line, for at most
 * MAX_QUOTED_ROW_BYTES: a row still open beyond that, or at the file's end, is passed on as far as its first
 * newline (its reader finds the quote unclosed), and the next line is read as a row again.
 */
export function readLines(
  file: RunFileHandle,
  onLine: LineHandler,
  options: ChunkOptions & { quoted?: boolean; from?: number } = {},
): LineReadResult {
  let held = 0;
  return readChunks(
    file,
    options.from ?? 0,
    (buffer, end, atEnd) => {
      let start = 0;
      // Unquoted, the carried-over bytes hold no newline: search from after them.
      let searchFrom = options.quoted ? 0 : held;
      for (;;) {
        const first = buffer.indexOf(NEWLINE, searchFrom);
        if (first === -1 || first >= end) break;
        let newline = options.quoted ? quotedLineEnd(buffer, start, first, end) : first;
        if (newline === -1) {
          if (!atEnd && end - start <= MAX_QUOTED_ROW_BYTES) break;
          newline = first; // a stray quote: the row ends at its first newline
        }
        onLine(buffer, start, newline);
        start = newline + 1;
        searchFrom = start;
      }
      held = end - start;
      return start;
    },
    options,
  );
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
  const limit = Math.min(end, start + MAX_QUOTED_ROW_BYTES);
  for (let at = start; at < limit; at++) {
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
