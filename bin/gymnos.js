#!/usr/bin/env node
// Thin shim: the CLI lives in the bundle built from src/cli/main.ts (`npm run build`, run by `npm ci`).
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/cli-bundle/main.js', import.meta.url);
if (!existsSync(bundle)) {
  process.stderr.write('gymnos: the CLI is not built; run `npm run build` (or `npm ci`) in the gymnos package\n');
  process.exit(2);
}
const { main } = await import(bundle.href);
process.exitCode = await main(process.argv.slice(2));
