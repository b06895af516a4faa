/** The project's own tsx, which `gymnos test` runs the tests under and `gymnos list` registers to resolve them. */
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The file URL of the tsx loader installed in the project at `root`, or undefined when it has none. */
export function resolveTsxLoader(root: string): string | undefined {
  try {
    return pathToFileURL(createRequire(path.join(root, 'package.json')).resolve('tsx')).href;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}
