/**
 * TFRecord files read back whole, every CRC verified: what the tests read the tensorboard tracker's files with
 * (gymnos itself reads them streaming, runs/tfevents_reader.ts).
 */
import { GymnosError } from '../../src/errors.js';
import { maskedCrc32c, TFRECORD_FOOTER_BYTES, TFRECORD_HEADER_BYTES } from '../../src/runtime/tfrecord.js';

/** The code of a TFRecord file that is truncated or whose CRCs do not match its bytes. */
export const TFRECORD_CORRUPT = 'TFRECORD_CORRUPT';

/**
 * Splits TFRecord bytes into the records' data, verifying both CRCs of every record. Throws a
 * GymnosError TFRECORD_CORRUPT naming the record (`details`: its `index` and byte `offset`) on a CRC mismatch or
 * a truncated record: corruption is reported, never skipped. The returned arrays are views into `bytes`.
 */
export function readTfRecords(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const index = records.length;
    const fail = (what: string) => {
      throw new GymnosError(TFRECORD_CORRUPT, `TFRecord ${index} at byte ${offset}: ${what}`, {
        kind: 'failure',
        details: { index, offset },
      });
    };
    if (bytes.length - offset < TFRECORD_HEADER_BYTES) fail('truncated header');
    const header = bytes.subarray(offset, offset + 8);
    if (maskedCrc32c(header) !== view.getUint32(offset + 8, true)) fail('length CRC mismatch');
    const length = Number(view.getBigUint64(offset, true));
    const start = offset + TFRECORD_HEADER_BYTES;
    const end = start + length;
    if (end + TFRECORD_FOOTER_BYTES > bytes.length) fail(`truncated data (${length} bytes announced)`);
    const data = bytes.subarray(start, end);
    if (maskedCrc32c(data) !== view.getUint32(end, true)) fail('data CRC mismatch');
    records.push(data);
    offset = end + TFRECORD_FOOTER_BYTES;
  }
  return records;
}
