/**
 * Figures a tracker can be given, and how to tell them apart.
 *
 * The original project logged Matplotlib figures; in TypeScript a figure reaches a tracker either already
 * rendered (PNG or SVG bytes) or as a JSON chart spec (Vega-Lite, Plotly). Backends call `describeFigure`
 * and keep what they can: an image backend keeps PNG, a file backend keeps everything.
 */

/** A Vega-Lite spec: recognised by its `$schema` URL. */
export interface VegaLiteSpec {
  $schema: string;
  [key: string]: unknown;
}

/** A Plotly figure: `data` traces and an optional `layout`. */
export interface PlotlySpec {
  data: unknown[];
  layout?: Record<string, unknown>;
  [key: string]: unknown;
}

/** What `logFigure` accepts: PNG or SVG bytes, SVG markup, or a JSON chart spec. */
export type Figure = Uint8Array | string | VegaLiteSpec | PlotlySpec;

export type DescribedFigure =
  | { kind: 'png'; bytes: Uint8Array; width: number; height: number; extension: 'png'; mediaType: 'image/png' }
  | { kind: 'svg'; bytes: Uint8Array; extension: 'svg'; mediaType: 'image/svg+xml' }
  | { kind: 'vega-lite'; spec: VegaLiteSpec; extension: 'vl.json'; mediaType: 'application/json' }
  | { kind: 'plotly'; spec: PlotlySpec; extension: 'plotly.json'; mediaType: 'application/json' };

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** True when `bytes` start with the PNG signature and an IHDR chunk. */
export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 24 && PNG_SIGNATURE.every((byte, i) => bytes[i] === byte);
}

/** Width and height from a PNG's IHDR chunk (bytes 16..23, big-endian). */
export function pngSize(bytes: Uint8Array): { width: number; height: number } {
  if (!isPng(bytes)) throw new TypeError('not a PNG image');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

function looksLikeSvg(text: string): boolean {
  // Skip a BOM, an XML declaration, comments and a doctype before the root element.
  const head = text
    .slice(0, 4096)
    .replace(/^\uFEFF/, '')
    .replace(/<\?xml[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>]*>/gi, '')
    .trimStart();
  return /^<svg[\s>]/i.test(head);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value);
}

/**
 * Classifies a figure. Throws a TypeError naming the figure when it is none of the supported kinds, so a
 * wrong argument fails at the call site rather than deep inside a backend.
 */
export function describeFigure(name: string, figure: unknown): DescribedFigure {
  if (figure instanceof Uint8Array) {
    if (isPng(figure))
      return { kind: 'png', bytes: figure, ...pngSize(figure), extension: 'png', mediaType: 'image/png' };
    if (looksLikeSvg(new TextDecoder().decode(figure.subarray(0, 4096)))) {
      return { kind: 'svg', bytes: figure, extension: 'svg', mediaType: 'image/svg+xml' };
    }
  } else if (typeof figure === 'string') {
    if (looksLikeSvg(figure)) {
      return { kind: 'svg', bytes: new TextEncoder().encode(figure), extension: 'svg', mediaType: 'image/svg+xml' };
    }
  } else if (isRecord(figure)) {
    if (typeof figure.$schema === 'string' && figure.$schema.includes('vega-lite')) {
      return { kind: 'vega-lite', spec: figure as VegaLiteSpec, extension: 'vl.json', mediaType: 'application/json' };
    }
    if (Array.isArray(figure.data)) {
      return { kind: 'plotly', spec: figure as PlotlySpec, extension: 'plotly.json', mediaType: 'application/json' };
    }
  }
  throw new TypeError(
    `logFigure("${name}"): expected PNG or SVG bytes, SVG markup, a Vega-Lite spec (with a vega-lite $schema) ` +
      'or a Plotly figure (with a data array)',
  );
}
