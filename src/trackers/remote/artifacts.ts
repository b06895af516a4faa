/**
 * The artifact records a remote tracker queues for `logAsset`, `logImage` and `logFigure`, whatever the backend:
 * a file read from its path when sent (keep it until `end`), or a figure's bytes taken now; under a `/`-separated
 * path the backend maps to its own names.
 */
import path from 'node:path';
import { contentTypeOf } from '../../runtime/content_type.js';
import { describeFigure } from '../../runtime/figure.js';
import type { Figure } from '../../runtime/figure.js';
import type { ArtifactRecord } from './records.js';

/**
 * `<prefix>/<name><extension>` from a user-given name: `/`-separated, no empty, `.` or `..` segments, each segment
 * as `clean` makes it (a backend's safe characters); the extension added unless the name ends with it.
 */
export function artifactPath(
  prefix: string,
  name: string,
  extension: string,
  clean: (segment: string) => string = (segment) => segment,
): string {
  const cleaned =
    name
      .split(/[\\/]+/)
      .filter((segment) => segment !== '' && segment !== '.' && segment !== '..')
      .map(clean)
      .join('/') || 'artifact';
  const named = extension && !cleaned.toLowerCase().endsWith(extension.toLowerCase()) ? cleaned + extension : cleaned;
  return prefix ? `${prefix}/${named}` : named;
}

/** A file to upload from its path, under the path `pathOf(extension)` gives. */
export function fileRecord(filePath: string, pathOf: (extension: string) => string): ArtifactRecord {
  const extension = path.extname(filePath);
  return {
    t: 'artifact',
    path: pathOf(extension),
    file: path.resolve(filePath),
    contentType: contentTypeOf(extension),
  };
}

/** A figure's bytes (PNG, SVG) or its spec as JSON (Vega-Lite, Plotly), taken now. */
export function figureRecord(name: string, figure: Figure, pathOf: (extension: string) => string): ArtifactRecord {
  const described = describeFigure(name, figure);
  const bytes =
    'bytes' in described ? described.bytes : new TextEncoder().encode(JSON.stringify(described.spec, null, 2));
  return {
    t: 'artifact',
    path: pathOf(`.${described.extension}`),
    bytes: Uint8Array.from(bytes),
    contentType: described.mediaType,
  };
}
