/**
 * What a logged image or figure is, by its content: never by its name, so that a file named `x.png` that is a
 * text file (a key, a config) is not put into a page as a picture, and a figure is shown as what it is. No Node
 * API: the report page's types reach this module.
 */

export type PictureFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'svg';

export type MediaContent = { format: PictureFormat } | { format: 'vega-lite' | 'plotly'; spec: unknown };

function startsWith(bytes: Uint8Array, ascii: string, at = 0): boolean {
  for (let i = 0; i < ascii.length; i++) if (bytes[at + i] !== ascii.charCodeAt(i)) return false;
  return true;
}

/** An SVG document: its root element is `<svg`, after an optional BOM, XML declaration, comments and doctype. */
const SVG_START = /^\s*(?:<\?xml[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*|<!DOCTYPE[^>]*>\s*)*<svg[\s>/]/i;

/** The format of `bytes`, or undefined when it is none a page shows. */
export function sniffMedia(bytes: Uint8Array): MediaContent | undefined {
  if (startsWith(bytes, '\x89PNG\r\n\x1a\n')) return { format: 'png' };
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return { format: 'jpeg' };
  if (startsWith(bytes, 'GIF87a') || startsWith(bytes, 'GIF89a')) return { format: 'gif' };
  if (startsWith(bytes, 'RIFF') && startsWith(bytes, 'WEBP', 8)) return { format: 'webp' };
  const text = new TextDecoder();
  const head = text.decode(bytes.subarray(0, 4096));
  if (SVG_START.test(head)) return { format: 'svg' };
  if (!/^\s*\{/.test(head)) return undefined;
  let spec: unknown;
  try {
    spec = JSON.parse(text.decode(bytes)); // TextDecoder drops a BOM
  } catch {
    return undefined; // not JSON: not a chart spec
  }
  const object = spec as { $schema?: unknown; data?: unknown };
  if (typeof object.$schema === 'string' && object.$schema.includes('vega-lite')) return { format: 'vega-lite', spec };
  if (Array.isArray(object.data)) return { format: 'plotly', spec };
  return undefined;
}
