/**
 * The CRC32C of TFRecord framing (src/runtime/tfrecord.ts): the JavaScript slice-by-4 CRC that the scalar hot path
 * uses agrees with an independent implementation (@aws-crypto/crc32c) and with the native one, on every length
 * and alignment a record can have.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32c as awsCrc32c } from '@aws-crypto/crc32c';
import { maskedCrc32c, maskedCrc32cOfRange } from '../../src/runtime/tfrecord.js';

/** TensorFlow's CRC mask (tensorflow/core/lib/hash/crc32c.h). */
function maskCrc32c(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

describe('maskedCrc32cOfRange', () => {
  it('gives the check value of CRC-32C for "123456789" (0xe3069283), masked as TensorFlow masks it', () => {
    const bytes = new TextEncoder().encode('123456789');
    assert.equal(maskedCrc32cOfRange(bytes, 0, bytes.length), maskCrc32c(0xe3069283));
  });

  it('agrees with @aws-crypto/crc32c and the native CRC for every range of 0 to 300 bytes at offsets 0 to 8', () => {
    const bytes = new Uint8Array(320);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 151 + 17) & 0xff;
    bytes.fill(0xff, 100, 140); // runs of ones and zeros too
    bytes.fill(0, 200, 240);
    for (let start = 0; start <= 8; start++) {
      for (let end = start; end <= start + 300; end++) {
        const range = bytes.subarray(start, end);
        const expected = maskCrc32c(awsCrc32c(range));
        assert.equal(maskedCrc32cOfRange(bytes, start, end), expected, `bytes ${start} to ${end}`);
        assert.equal(maskedCrc32c(range), expected, `native, bytes ${start} to ${end}`);
      }
    }
  });
});
