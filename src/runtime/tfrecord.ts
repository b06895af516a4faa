/**
 * TFRecord framing, the container of TensorBoard event files:
 *
 *   uint64 length (little-endian) · uint32 masked_crc32c(length bytes) · data · uint32 masked_crc32c(data)
 *
 * The CRC32C itself comes from `@node-rs/crc32` (native, SSE4.2); only the masking is TensorFlow's own:
 * `((crc >>> 15) | (crc << 17)) + 0xa282ead8`, so that a CRC of data that embeds CRCs stays well spread.
 */
import { crc32c } from '@node-rs/crc32';

const MASK_DELTA = 0xa282ead8;

/** Bytes of framing around each record: 8 (length) + 4 (length CRC) before, 4 (data CRC) after. */
export const TFRECORD_HEADER_BYTES = 12;
export const TFRECORD_FOOTER_BYTES = 4;

/** TensorFlow's masking of a CRC32C value (crc32c.h `Mask`). */
export function maskCrc32c(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + MASK_DELTA) >>> 0;
}

/** The masked CRC32C of `bytes`, as stored in a TFRecord. */
export function maskedCrc32c(bytes: Uint8Array): number {
  return maskCrc32c(crc32c(bytes));
}

/**
 * Masked CRCs of the 8-byte little-endian length header, by length. Event records of one tag mostly share
 * a length, so the hot path computes each header CRC once.
 */
const lengthCrcCache = new Map<number, number>();
const lengthScratch = Buffer.alloc(8);

/** The masked CRC32C of the 8-byte length header for a record of `length` bytes (cached). */
export function maskedLengthCrc(length: number): number {
  let crc = lengthCrcCache.get(length);
  if (crc === undefined) {
    lengthScratch.writeBigUInt64LE(BigInt(length));
    crc = maskedCrc32c(lengthScratch);
    if (lengthCrcCache.size < 4096) lengthCrcCache.set(length, crc);
  }
  return crc;
}

/** One framed record: header, `data`, footer. */
export function frameTfRecord(data: Uint8Array): Buffer {
  const record = Buffer.allocUnsafe(TFRECORD_HEADER_BYTES + data.length + TFRECORD_FOOTER_BYTES);
  record.writeBigUInt64LE(BigInt(data.length), 0);
  record.writeUInt32LE(maskedLengthCrc(data.length), 8);
  record.set(data, TFRECORD_HEADER_BYTES);
  record.writeUInt32LE(maskedCrc32c(data), TFRECORD_HEADER_BYTES + data.length);
  return record;
}
