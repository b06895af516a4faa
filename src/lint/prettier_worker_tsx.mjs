// The Prettier worker's entry when gymnos runs from its TypeScript sources under tsx (prettier_check.ts's
// startWorker): tsx's --import hooks do not reach a worker's entry on Node 20, so this imports prettier_worker.ts
// through tsx's API. A file rather than eval'd code so that 'tsx/esm/api' resolves from here as any import does,
// without import.meta.resolve (empty in bin/build.mjs's CommonJS bundles).
import { workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

await tsImport(workerData.entry, import.meta.url);
