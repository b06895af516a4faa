/** What a MemoryTracker holds, as the conformance kit's read-back: the memory tracker's backend is itself. */
import { readFileSync } from 'node:fs';
import type { BackendRecord } from '../../src/testing/index.js';
import type { MemoryTracker } from '../../src/trackers/memory.js';

export function memoryRecord(memory: MemoryTracker): BackendRecord {
  return {
    metrics: memory.metrics,
    params: memory.params,
    tags: memory.tags,
    files: [
      // Assets and images are kept as the paths logged: their content is the file's, read now.
      ...[...memory.assets, ...memory.images].map((file) => ({
        name: file.name,
        content: readFileSync(file.filePath),
      })),
      ...memory.figures.map((figure) => ({ name: figure.name, content: figure.figure })),
    ],
  };
}
