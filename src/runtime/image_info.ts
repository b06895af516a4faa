/**
 * Format, size and colour channels of PNG and JPEG files, read from their headers (the two formats
 * TensorBoard's image dashboard shows). Anything else is `undefined`.
 */
import { isPng, pngSize } from './figure.js';

/** Channels as TensorBoard's `Summary.Image.colorspace` counts them: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. */
export type Colorspace = 1 | 2 | 3 | 4;

export interface ImageInfo {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
  colorspace: Colorspace;
}

// PNG IHDR colour type -> channels: 0 gray, 2 RGB, 3 palette (shown as RGB), 4 gray + alpha, 6 RGBA.
const PNG_COLORSPACE: Record<number, Colorspace> = { 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 };

/** Width, height and channels of a PNG or JPEG image, or undefined for other or truncated bytes. */
export function imageInfo(bytes: Uint8Array): ImageInfo | undefined {
  if (isPng(bytes)) {
    return { format: 'png', ...pngSize(bytes), colorspace: PNG_COLORSPACE[bytes[25]!] ?? 3 };
  }
  return jpegInfo(bytes);
}

/** Reads the first start-of-frame segment (SOF0..SOF15 but DHT, JPG and DAC) of a JPEG file. */
function jpegInfo(bytes: Uint8Array): ImageInfo | undefined {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  let offset = 2;
  while (offset + 9 < bytes.length) {
    if (bytes[offset] !== 0xff) return undefined;
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2; // markers without a length
      continue;
    }
    const length = (bytes[offset + 2]! << 8) | bytes[offset + 3]!;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      const height = (bytes[offset + 5]! << 8) | bytes[offset + 6]!;
      const width = (bytes[offset + 7]! << 8) | bytes[offset + 8]!;
      const components = bytes[offset + 9]!;
      return { format: 'jpeg', width, height, colorspace: components === 1 ? 1 : 3 };
    }
    offset += 2 + length;
  }
  return undefined;
}
