/**
 * Protobuf encoding of TensorBoard's `Event` records, by hand.
 *
 * Why not a protobuf library: `logMetric` is a hot path (the target is over a million scalars a second into
 * a file), and a scalar event is 30-odd bytes whose layout only depends on its tag. The encoder precomputes
 * those constant bytes per tag and writes the wall time, step and value straight into the tracker's buffer:
 * no message object, no intermediate array per scalar. The cold paths (images, text, hparams) use the small
 * `ProtoBuilder` below. The tests decode every record with protobufjs and a `.proto` schema written from
 * TensorFlow's published field numbers, an implementation independent of this one.
 *
 * Field numbers (TensorFlow `event.proto`, `summary.proto`, `tensor.proto`, `tensor_shape.proto`,
 * `types.proto`; TensorBoard `plugins/hparams/plugin_data.proto`, `api.proto`; `google/protobuf/struct.proto`)
 * are named in the constants below.
 */
import { maskedCrc32cOfRange, maskedLengthCrc, TFRECORD_FOOTER_BYTES, TFRECORD_HEADER_BYTES } from './tfrecord.js';

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH_DELIMITED = 2;
const WIRE_FIXED32 = 5;

// Event
const EVENT_WALL_TIME = 1; // double
const EVENT_STEP = 2; // int64
const EVENT_FILE_VERSION = 3; // string
const EVENT_SUMMARY = 5; // Summary
// Summary
const SUMMARY_VALUE = 1; // repeated Summary.Value
// Summary.Value
const VALUE_TAG = 1; // string
const VALUE_SIMPLE_VALUE = 2; // float
const VALUE_IMAGE = 4; // Summary.Image
const VALUE_TENSOR = 8; // TensorProto
const VALUE_METADATA = 9; // SummaryMetadata
// Summary.Image
const IMAGE_HEIGHT = 1;
const IMAGE_WIDTH = 2;
const IMAGE_COLORSPACE = 3;
const IMAGE_ENCODED = 4;
// SummaryMetadata, SummaryMetadata.PluginData
const METADATA_PLUGIN_DATA = 1;
const METADATA_DATA_CLASS = 4;
const PLUGIN_NAME = 1;
const PLUGIN_CONTENT = 2;
const DATA_CLASS_TENSOR = 2;
// TensorProto, TensorShapeProto, DataType
const TENSOR_DTYPE = 1;
const TENSOR_SHAPE = 2;
const TENSOR_STRING_VAL = 8;
const SHAPE_DIM = 2;
const DT_FLOAT = 1;
const DT_STRING = 7;
// hparams HParamsPluginData, SessionStartInfo, SessionEndInfo
const HPARAMS_SESSION_START_INFO = 3;
const HPARAMS_SESSION_END_INFO = 4;
const START_INFO_HPARAMS = 1; // map<string, google.protobuf.Value>
const START_INFO_START_TIME = 5; // double
const END_INFO_STATUS = 1; // Status enum
const END_INFO_END_TIME = 2; // double
const MAP_KEY = 1;
const MAP_VALUE = 2;
// google.protobuf.Value
const GVALUE_NUMBER = 2;
const GVALUE_STRING = 3;
const GVALUE_BOOL = 4;

/** The first record of every event file. */
const FILE_VERSION = 'brain.Event:2';

export const HPARAMS_SESSION_START_TAG = '_hparams_/session_start_info';
export const HPARAMS_SESSION_END_TAG = '_hparams_/session_end_info';

/** hparams `Status` values for `session_end_info` (`unknown`: gymnos's run that ended with records lost). */
export const HPARAMS_STATUS = { unknown: 0, success: 1, failure: 2 } as const;

/** Summary.Image colorspace: 1 grayscale, 2 grayscale + alpha, 3 RGB, 4 RGBA. */
export type ImageColorspace = 1 | 2 | 3 | 4;

const utf8 = new TextEncoder();

/** Bytes of `value` as a base-128 varint (non-negative safe integers). */
function varintLength(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  let length = 4;
  for (let rest = Math.floor(value / 0x10000000); rest > 0; rest = Math.floor(rest / 0x80)) length += 1;
  return length;
}

/** Writes `value` (a non-negative safe integer) as a varint at `offset`; returns the offset after it. */
function writeVarint(buffer: Uint8Array, offset: number, value: number): number {
  while (value >= 0x80) {
    buffer[offset++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  buffer[offset++] = value;
  return offset;
}

/** A protobuf message under construction, for the cold paths: fields are appended in order. */
class ProtoBuilder {
  readonly #parts: Uint8Array[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  #push(bytes: Uint8Array): this {
    this.#parts.push(bytes);
    this.#length += bytes.length;
    return this;
  }

  #key(field: number, wire: number): this {
    return this.#varintBytes(field * 8 + wire);
  }

  #varintBytes(value: number): this {
    const bytes = new Uint8Array(varintLength(value));
    writeVarint(bytes, 0, value);
    return this.#push(bytes);
  }

  /** An unsigned varint field (int32, int64, enum, bool); always written, even when zero (oneof members). */
  varint(field: number, value: number): this {
    return this.#key(field, WIRE_VARINT).#varintBytes(value);
  }

  double(field: number, value: number): this {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, value, true);
    return this.#key(field, WIRE_FIXED64).#push(bytes);
  }

  float(field: number, value: number): this {
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    return this.#key(field, WIRE_FIXED32).#push(bytes);
  }

  bytes(field: number, value: Uint8Array): this {
    return this.#key(field, WIRE_LENGTH_DELIMITED).#varintBytes(value.length).#push(value);
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  message(field: number, build: (message: ProtoBuilder) => void): this {
    const message = new ProtoBuilder();
    build(message);
    return this.bytes(field, message.finish());
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let offset = 0;
    for (const part of this.#parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }
}

/** The `Event` holding the file version, which must open every event file. */
export function encodeFileVersionEvent(wallTime: number): Uint8Array {
  return new ProtoBuilder().double(EVENT_WALL_TIME, wallTime).string(EVENT_FILE_VERSION, FILE_VERSION).finish();
}

/** An `Event` holding a `Summary` of the given encoded `Summary.Value`s. */
export function encodeSummaryEvent(wallTime: number, step: number, values: readonly Uint8Array[]): Uint8Array {
  const event = new ProtoBuilder().double(EVENT_WALL_TIME, wallTime);
  if (step !== 0) event.varint(EVENT_STEP, step);
  return event
    .message(EVENT_SUMMARY, (summary) => {
      for (const value of values) summary.bytes(SUMMARY_VALUE, value);
    })
    .finish();
}

export interface EncodedImage {
  width: number;
  height: number;
  colorspace: ImageColorspace;
  /** The PNG or JPEG file's bytes. */
  encoded: Uint8Array;
}

/** A `Summary.Value` holding a `Summary.Image`. */
export function encodeImageValue(tag: string, image: EncodedImage): Uint8Array {
  return new ProtoBuilder()
    .string(VALUE_TAG, tag)
    .message(VALUE_IMAGE, (message) => {
      message
        .varint(IMAGE_HEIGHT, image.height)
        .varint(IMAGE_WIDTH, image.width)
        .varint(IMAGE_COLORSPACE, image.colorspace)
        .bytes(IMAGE_ENCODED, image.encoded);
    })
    .finish();
}

function pluginMetadata(message: ProtoBuilder, pluginName: string, content: Uint8Array): void {
  message.message(METADATA_PLUGIN_DATA, (plugin) => {
    plugin.string(PLUGIN_NAME, pluginName);
    if (content.length > 0) plugin.bytes(PLUGIN_CONTENT, content);
  });
  message.varint(METADATA_DATA_CLASS, DATA_CLASS_TENSOR);
}

/**
 * A `Summary.Value` for TensorBoard's text plugin: metadata `plugin_name: "text"` (TextPluginData version 0,
 * which encodes to no bytes) and a scalar `DT_STRING` tensor holding the UTF-8 text, rendered as Markdown.
 */
export function encodeTextValue(tag: string, text: string): Uint8Array {
  return new ProtoBuilder()
    .string(VALUE_TAG, tag)
    .message(VALUE_METADATA, (metadata) => pluginMetadata(metadata, 'text', new Uint8Array(0)))
    .message(VALUE_TENSOR, (tensor) => {
      tensor.varint(TENSOR_DTYPE, DT_STRING);
      tensor.bytes(TENSOR_SHAPE, new Uint8Array(0)); // a scalar: a present, empty TensorShapeProto
      tensor.string(TENSOR_STRING_VAL, text);
    })
    .finish();
}

/** An hparams value: what the hparams plugin understands (number, string, bool). */
export type HparamValue = number | string | boolean;

/** `HParamsPluginData { version: 0, session_start_info { hparams, start_time_secs } }`, encoded. */
export function encodeSessionStartInfo(hparams: ReadonlyMap<string, HparamValue>, startTimeSecs: number): Uint8Array {
  return new ProtoBuilder()
    .message(HPARAMS_SESSION_START_INFO, (info) => {
      for (const [name, value] of hparams) {
        info.message(START_INFO_HPARAMS, (entry) => {
          entry.string(MAP_KEY, name);
          entry.message(MAP_VALUE, (gvalue) => {
            if (typeof value === 'number') gvalue.double(GVALUE_NUMBER, value);
            else if (typeof value === 'boolean') gvalue.varint(GVALUE_BOOL, value ? 1 : 0);
            else gvalue.string(GVALUE_STRING, value);
          });
        });
      }
      info.double(START_INFO_START_TIME, startTimeSecs);
    })
    .finish();
}

/** `HParamsPluginData { version: 0, session_end_info { status, end_time_secs } }`, encoded. */
export function encodeSessionEndInfo(status: number, endTimeSecs: number): Uint8Array {
  return new ProtoBuilder()
    .message(HPARAMS_SESSION_END_INFO, (info) => {
      info.varint(END_INFO_STATUS, status).double(END_INFO_END_TIME, endTimeSecs);
    })
    .finish();
}

/** hparams `NULL_TENSOR`: an empty float vector, the minimal tensor the hparams summaries carry. */
const NULL_TENSOR = new ProtoBuilder()
  .varint(TENSOR_DTYPE, DT_FLOAT)
  .message(TENSOR_SHAPE, (shape) => shape.message(SHAPE_DIM, () => {}))
  .finish();

/** A `Summary.Value` for the hparams plugin, `pluginData` being an encoded `HParamsPluginData`. */
export function encodeHparamsValue(tag: string, pluginData: Uint8Array): Uint8Array {
  return new ProtoBuilder()
    .string(VALUE_TAG, tag)
    .message(VALUE_METADATA, (metadata) => pluginMetadata(metadata, 'hparams', pluginData))
    .bytes(VALUE_TENSOR, NULL_TENSOR)
    .finish();
}

/**
 * The bytes of a scalar event that depend only on its tag: from the `summary` key of the Event to the
 * `simple_value` key of its Summary.Value, i.e. everything between the step and the float.
 */
export function scalarTagPrefix(tag: string): Uint8Array {
  const tagBytes = utf8.encode(tag);
  const valueLength = 1 + varintLength(tagBytes.length) + tagBytes.length + 1 + 4;
  const summaryLength = 1 + varintLength(valueLength) + valueLength;
  const prefix = new Uint8Array(1 + varintLength(summaryLength) + summaryLength - 4);
  let offset = 0;
  prefix[offset++] = (EVENT_SUMMARY << 3) | WIRE_LENGTH_DELIMITED;
  offset = writeVarint(prefix, offset, summaryLength);
  prefix[offset++] = (SUMMARY_VALUE << 3) | WIRE_LENGTH_DELIMITED;
  offset = writeVarint(prefix, offset, valueLength);
  prefix[offset++] = (VALUE_TAG << 3) | WIRE_LENGTH_DELIMITED;
  offset = writeVarint(prefix, offset, tagBytes.length);
  prefix.set(tagBytes, offset);
  offset += tagBytes.length;
  prefix[offset] = (VALUE_SIMPLE_VALUE << 3) | WIRE_FIXED32;
  return prefix;
}

/** The most bytes `writeScalarRecord` writes for a tag prefix of `prefixLength` bytes (a 10-byte step). */
export function maxScalarRecordBytes(prefixLength: number): number {
  return TFRECORD_HEADER_BYTES + 9 + 1 + 10 + prefixLength + 4 + TFRECORD_FOOTER_BYTES;
}

/**
 * The hot path: writes one framed scalar event (`Event { wall_time, step, summary { value { tag,
 * simple_value } } }`) into `buffer` at `offset` and returns the offset after it. `prefix` comes from
 * `scalarTagPrefix`; `view` is a DataView over the same bytes as `buffer`; the caller checks there is room
 * (`maxScalarRecordBytes`). A step of 0 is written too, which protobuf allows and keeps the layout fixed.
 */
export function writeScalarRecord(
  buffer: Uint8Array,
  view: DataView,
  offset: number,
  prefix: Uint8Array,
  wallTime: number,
  step: number,
  value: number,
): number {
  const length = 9 + 1 + varintLength(step) + prefix.length + 4;
  view.setUint32(offset, length, true);
  view.setUint32(offset + 4, 0, true);
  view.setUint32(offset + 8, maskedLengthCrc(length), true);
  const start = offset + TFRECORD_HEADER_BYTES;
  let at = start;
  buffer[at] = (EVENT_WALL_TIME << 3) | WIRE_FIXED64;
  view.setFloat64(at + 1, wallTime, true);
  buffer[at + 9] = (EVENT_STEP << 3) | WIRE_VARINT;
  at = writeVarint(buffer, at + 10, step);
  const prefixLength = prefix.length;
  for (let i = 0; i < prefixLength; i++) buffer[at + i] = prefix[i]!;
  at += prefixLength;
  view.setFloat32(at, value, true);
  at += 4;
  view.setUint32(at, maskedCrc32cOfRange(buffer, start, at), true);
  return at + TFRECORD_FOOTER_BYTES;
}
