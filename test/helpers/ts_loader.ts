/**
 * Node options that run this repository's TypeScript in a child process the way the suite runs it: through
 * test/loader/ (a content-addressed cache, esbuild only on a miss), which costs a process about 0.5 s of CPU less
 * than `--import tsx`. For this repository's sources and scripts that import them; projects the tests create run
 * with their own tsx, as users run them.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const LOADER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'loader', 'register.mjs');

export const TS_LOADER: readonly string[] = ['--import', pathToFileURL(LOADER).href];
