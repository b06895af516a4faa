/**
 * A minimal protobuf wire-format reader: the few fields of TensorBoard's Event, Summary and hparams messages
 * that `gymnos runs` and `gymnos report` need. Why by hand: a dozen fields, and no runtime dependency or
 * schema compilation for them (protobufjs stays a test-only dependency; the tests decode the same files with
 * it and compare).
 */

const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH_DELIMITED = 2;
export const WIRE_FIXED32 = 5;

/** Reads fields of one message in `bytes[start, end)`; `next()` returns false at the end. */
export class ProtoReader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  position: number;
  readonly end: number;
  field = 0;
  wire = 0;

  constructor(bytes: Uint8Array, start = 0, end = bytes.length) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.position = start;
    this.end = end;
  }

  /** Moves to the next field's key; false at the end of the message. */
  next(): boolean {
    if (this.position >= this.end) return false;
    const key = this.varint();
    this.field = Math.floor(key / 8);
    this.wire = key % 8;
    return true;
  }

  /** An unsigned varint (int32, int64, enum, bool): exact up to 2^53. */
  varint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (this.position >= this.end) throw new RangeError('protobuf: truncated varint');
      const byte = this.bytes[this.position++]!;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
  }

  double(): number {
    const value = this.view.getFloat64(this.position, true);
    this.position += 8;
    return value;
  }

  float(): number {
    const value = this.view.getFloat32(this.position, true);
    this.position += 4;
    return value;
  }

  /** A length-delimited field: its bounds; the reader moves past it. */
  delimited(): [start: number, end: number] {
    const length = this.varint();
    const start = this.position;
    this.position += length;
    if (this.position > this.end) throw new RangeError('protobuf: truncated field');
    return [start, this.position];
  }

  bytesField(): Uint8Array {
    const [start, end] = this.delimited();
    return this.bytes.subarray(start, end);
  }

  string(): string {
    const [start, end] = this.delimited();
    return utf8.decode(this.bytes.subarray(start, end));
  }

  /** A reader over an embedded message. */
  message(): ProtoReader {
    const [start, end] = this.delimited();
    return new ProtoReader(this.bytes, start, end);
  }

  skip(): void {
    switch (this.wire) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_FIXED64:
        this.position += 8;
        return;
      case WIRE_LENGTH_DELIMITED:
        this.delimited();
        return;
      case WIRE_FIXED32:
        this.position += 4;
        return;
      default:
        throw new RangeError(`protobuf: unsupported wire type ${this.wire}`);
    }
  }
}

const utf8 = new TextDecoder();
