/**
 * Reads a tensorboard run: every `events.out.tfevents.*` file of the run directory, streamed record by record
 * (TFRecord framing, both CRCs checked), each record's `Event` decoded by hand (proto_reader.ts) for what a
 * summary and a report need:
 *
 * - scalars: `simple_value` (what gymnos and tensorboardX's add_scalar write), or a `scalars`-plugin tensor;
 * - gymnos's text summaries: `params/<name>`, `tags/<key>`, `assets/<name>`, figures (SVG, Vega-Lite, Plotly)
 *   written as fenced code;
 * - images (`Summary.Image`, PNG or JPEG);
 * - the hparams plugin's `session_start_info` (typed params) and `session_end_info` (the run's status).
 *
 * A file cut short in its last record (a crash, or a write in progress) is read up to it; a record whose CRC
 * does not match stops the reading of that file with a warning, as TensorBoard does.
 */
import { closeSync, readSync } from 'node:fs';
import path from 'node:path';
import { eventFiles } from '../runtime/event_files.js';
import { maskedCrc32c, TFRECORD_FOOTER_BYTES, TFRECORD_HEADER_BYTES } from '../runtime/tfrecord.js';
import { openRunFile, readableJson } from '../runtime/run_dir/run_files.js';
import { ProtoReader, WIRE_FIXED32, WIRE_FIXED64, WIRE_LENGTH_DELIMITED } from './proto_reader.js';
import type { ReadReport, RunVisitor } from './types.js';

const CHUNK_BYTES = 1 << 20;
const DT_FLOAT = 1;
const DT_DOUBLE = 2;
const HPARAMS_STATUS_UNKNOWN = 0;
const HPARAMS_STATUS_SUCCESS = 1;
const HPARAMS_STATUS_FAILURE = 2;

export function readTensorboardRun(dir: string, visitor: RunVisitor): ReadReport {
  const report: ReadReport = { truncatedTail: false, warnings: [], sessionStarted: false };
  const params = new Map<string, unknown>();
  const typedParams = new Set<string>();
  const decoder = new EventDecoder(visitor, report, (name, value, typed) => {
    // The hparams session's typed values win over the text summaries' strings.
    if (typed) typedParams.add(name);
    else if (typedParams.has(name)) return;
    params.set(name, value);
  });
  for (const file of eventFiles(dir)) {
    const name = path.basename(file);
    readRecords(dir, name, report, (data, index) => {
      try {
        decoder.decode(data);
      } catch (error) {
        // A record whose CRCs match but whose bytes are no Event (another program's, or made to look like one).
        if (!(error instanceof RangeError)) throw error;
        visitor.skip?.(index, `in ${name}, not an Event (${error.message})`);
      }
    });
  }
  for (const [name, value] of params) visitor.param?.(name, value);
  return report;
}

/** A record larger than this is no TensorBoard event (a summary image is kilobytes): the file is read up to it. */
const MAX_RECORD_BYTES = 256 * 1024 * 1024;

/**
 * Streams the records of one TFRecord file. A record that announces more bytes than the file holds is a file cut
 * short (never a reason to allocate them); a CRC that does not match stops the file, as TensorBoard does.
 */
function readRecords(
  dir: string,
  name: string,
  report: ReadReport,
  onRecord: (data: Uint8Array, index: number) => void,
): void {
  const handle = openRunFile(dir, name);
  if (handle === undefined) return; // removed since the directory was listed
  const { fd, size } = handle;
  let buffer = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, Math.max(size, 1)));
  let held = 0;
  let base = 0; // the file offset of buffer[0]
  let index = 0;
  try {
    for (;;) {
      const read = readSync(fd, buffer, held, buffer.length - held, null);
      const end = held + read;
      let at = 0;
      while (end - at >= TFRECORD_HEADER_BYTES) {
        const length = Number(buffer.readBigUInt64LE(at));
        if (maskedCrc32c(buffer.subarray(at, at + 8)) !== buffer.readUInt32LE(at + 8)) {
          report.warnings.push(`${name}: record ${index}: length CRC mismatch; the rest of the file was skipped`);
          return;
        }
        const recordEnd = at + TFRECORD_HEADER_BYTES + length + TFRECORD_FOOTER_BYTES;
        if (recordEnd > end) {
          if (base + recordEnd > size) {
            report.truncatedTail = true; // the file ends inside this record
            return;
          }
          if (length > MAX_RECORD_BYTES) {
            report.warnings.push(
              `${name}: record ${index} announces ${length} bytes; the rest of the file was skipped`,
            );
            return;
          }
          if (recordEnd - at > buffer.length) {
            // One record larger than the buffer (a big image): make room for it.
            const larger = Buffer.allocUnsafe(recordEnd - at);
            buffer.copy(larger, 0, at, end);
            buffer = larger;
            base += at;
            held = end - at;
            at = -1;
          }
          break;
        }
        const data = buffer.subarray(at + TFRECORD_HEADER_BYTES, recordEnd - TFRECORD_FOOTER_BYTES);
        if (maskedCrc32c(data) !== buffer.readUInt32LE(recordEnd - TFRECORD_FOOTER_BYTES)) {
          report.warnings.push(`${name}: record ${index}: data CRC mismatch; the rest of the file was skipped`);
          return;
        }
        onRecord(data, index);
        index++;
        at = recordEnd;
      }
      if (at >= 0) {
        held = end - at;
        base += at;
        if (held > 0 && at > 0) buffer.copy(buffer, 0, at, end);
      }
      if (read === 0) break;
    }
    if (held > 0) report.truncatedTail = true;
  } finally {
    closeSync(fd);
  }
}

type ParamSink = (name: string, value: unknown, typed: boolean) => void;

class EventDecoder {
  readonly #visitor: RunVisitor;
  readonly #report: ReadReport;
  readonly #param: ParamSink;

  constructor(visitor: RunVisitor, report: ReadReport, param: ParamSink) {
    this.#visitor = visitor;
    this.#report = report;
    this.#param = param;
  }

  decode(data: Uint8Array): void {
    const event = new ProtoReader(data);
    let wallTime = 0;
    let step = 0;
    let summary: ProtoReader | undefined;
    while (event.next()) {
      if (event.field === 1 && event.wire === WIRE_FIXED64) wallTime = event.double();
      else if (event.field === 2) step = event.varint();
      else if (event.field === 5 && event.wire === WIRE_LENGTH_DELIMITED) summary = event.message();
      else event.skip();
    }
    const time = wallTime * 1000;
    this.#visitor.time?.(time);
    if (!summary) return;
    while (summary.next()) {
      if (summary.field === 1 && summary.wire === WIRE_LENGTH_DELIMITED) this.#value(summary.message(), step, time);
      else summary.skip();
    }
  }

  #value(value: ProtoReader, step: number, time: number): void {
    let tag = '';
    let simple: number | undefined;
    let image: ProtoReader | undefined;
    let tensor: ProtoReader | undefined;
    let plugin = '';
    let pluginContent: Uint8Array | undefined;
    while (value.next()) {
      if (value.field === 1) tag = value.string();
      else if (value.field === 2 && value.wire === WIRE_FIXED32) simple = value.float();
      else if (value.field === 4 && value.wire === WIRE_LENGTH_DELIMITED) image = value.message();
      else if (value.field === 8 && value.wire === WIRE_LENGTH_DELIMITED) tensor = value.message();
      else if (value.field === 9 && value.wire === WIRE_LENGTH_DELIMITED) {
        const metadata = value.message();
        while (metadata.next()) {
          if (metadata.field === 1 && metadata.wire === WIRE_LENGTH_DELIMITED) {
            const pluginData = metadata.message();
            while (pluginData.next()) {
              if (pluginData.field === 1) plugin = pluginData.string();
              else if (pluginData.field === 2) pluginContent = pluginData.bytesField();
              else pluginData.skip();
            }
          } else metadata.skip();
        }
      } else value.skip();
    }
    if (simple !== undefined) {
      this.#visitor.metric(tag, step, simple, time, -1);
      return;
    }
    if (image) {
      this.#image(tag, image, time);
      return;
    }
    if (plugin === 'hparams' && pluginContent) {
      this.#hparams(pluginContent, time);
      return;
    }
    if (!tensor) return;
    if (plugin === 'scalars') {
      const scalar = tensorNumber(tensor);
      if (scalar !== undefined) this.#visitor.metric(tag, step, scalar, time, -1);
    } else if (plugin === 'text') {
      const text = tensorString(tensor);
      if (text !== undefined) this.#text(tag, text, time);
    }
  }

  #image(tag: string, image: ProtoReader, time: number): void {
    while (image.next()) {
      if (image.field === 4 && image.wire === WIRE_LENGTH_DELIMITED) {
        // A copy: the record's bytes belong to the read buffer, which is reused.
        const bytes = image.bytesField().slice();
        this.#visitor.file?.({ kind: 'image', name: tag, path: null, bytes, time });
      } else image.skip();
    }
  }

  /** gymnos's text summaries: params, tags, assets, and figures written as fenced code. */
  #text(fullTag: string, text: string, time: number): void {
    // tensorboardX's add_text (like TensorFlow 1's text summaries) suffixes the tag with /text_summary.
    const tag = fullTag.endsWith('/text_summary') ? fullTag.slice(0, -'/text_summary'.length) : fullTag;
    if (tag.startsWith('params/')) {
      const name = tag.slice('params/'.length);
      this.#param(name, readableJson(parseParamText(text)), false);
    } else if (tag.startsWith('tags/')) {
      this.#visitor.tag?.(tag.slice('tags/'.length), text);
    } else if (tag.startsWith('assets/')) {
      this.#visitor.file?.({ kind: 'asset', name: tag.slice('assets/'.length), path: text, time });
    } else {
      const fenced = /^```(svg|json)\n([\s\S]*)\n```$/.exec(text);
      if (!fenced) return;
      const [, language, code] = fenced;
      let format = 'svg';
      if (language === 'json') {
        try {
          const spec = JSON.parse(code!) as Record<string, unknown>;
          format = typeof spec.$schema === 'string' && spec.$schema.includes('vega-lite') ? 'vega-lite' : 'plotly';
        } catch {
          return;
        }
      }
      const bytes = new TextEncoder().encode(code);
      this.#visitor.file?.({ kind: 'figure', name: tag, path: null, bytes, format, time });
    }
  }

  #hparams(content: Uint8Array, time: number): void {
    const data = new ProtoReader(content);
    while (data.next()) {
      if (data.field === 3 && data.wire === WIRE_LENGTH_DELIMITED) {
        this.#report.sessionStarted = true;
        const start = data.message();
        while (start.next()) {
          if (start.field === 1 && start.wire === WIRE_LENGTH_DELIMITED) {
            const entry = start.message();
            let key = '';
            let entryValue: unknown;
            while (entry.next()) {
              if (entry.field === 1) key = entry.string();
              else if (entry.field === 2 && entry.wire === WIRE_LENGTH_DELIMITED)
                entryValue = protobufValue(entry.message());
              else entry.skip();
            }
            this.#param(key, entryValue, true);
          } else start.skip();
        }
      } else if (data.field === 4 && data.wire === WIRE_LENGTH_DELIMITED) {
        const end = data.message();
        while (end.next()) {
          if (end.field === 1) {
            const status = end.varint();
            if (status === HPARAMS_STATUS_SUCCESS) this.#visitor.status?.('finished', time);
            else if (status === HPARAMS_STATUS_FAILURE) this.#visitor.status?.('failed', time);
            // Written out, STATUS_UNKNOWN is gymnos's: the run ended with records lost (proto3 writers omit a 0).
            else if (status === HPARAMS_STATUS_UNKNOWN) this.#visitor.status?.('incomplete', time);
          } else end.skip();
        }
      } else data.skip();
    }
  }
}

/** A param's text summary: JSON for numbers, booleans and objects; a string param is its text. */
function parseParamText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** `google.protobuf.Value`: number (2), string (3), bool (4); null otherwise. */
function protobufValue(value: ProtoReader): unknown {
  let result: unknown = null;
  while (value.next()) {
    if (value.field === 2 && value.wire === WIRE_FIXED64) result = value.double();
    else if (value.field === 3) result = value.string();
    else if (value.field === 4) result = value.varint() !== 0;
    else value.skip();
  }
  return result;
}

/** The first number of a float or double tensor (float_val, double_val or tensor_content). */
function tensorNumber(tensor: ProtoReader): number | undefined {
  let dtype = 0;
  let content: Uint8Array | undefined;
  let result: number | undefined;
  while (tensor.next()) {
    if (tensor.field === 1) dtype = tensor.varint();
    else if (tensor.field === 4) content = tensor.bytesField();
    else if ((tensor.field === 5 || tensor.field === 6) && result === undefined) {
      const double = tensor.field === 6;
      if (tensor.wire === WIRE_LENGTH_DELIMITED) {
        const packed = tensor.message();
        if (packed.end > packed.position) result = double ? packed.double() : packed.float();
      } else result = double ? tensor.double() : tensor.float();
    } else tensor.skip();
  }
  if (result === undefined && content !== undefined) {
    const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
    if (dtype === DT_FLOAT && content.length >= 4) result = view.getFloat32(0, true);
    else if (dtype === DT_DOUBLE && content.length >= 8) result = view.getFloat64(0, true);
  }
  return result;
}

/** The first string_val of a DT_STRING tensor. */
function tensorString(tensor: ProtoReader): string | undefined {
  while (tensor.next()) {
    if (tensor.field === 8) return tensor.string();
    tensor.skip();
  }
  return undefined;
}
