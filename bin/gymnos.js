#!/usr/bin/env node
// Thin shim: the CLI lives in the bundle built from src/cli/main.ts (`npm run build`, run by `npm ci`). CommonJS,
// as the bundle is (bin/package.json says so): Node starts a CommonJS entry without its ES module loader, ~10 ms
// sooner (bin/build.mjs). Keep the name: `npx gymnos` in this repository links the bin once into npm's npx cache
// and never relinks it, so a renamed bin is "gymnos: not found" wherever npx ran before.
'use strict';
const { existsSync } = require('node:fs');
const path = require('node:path');

const bundle = path.join(__dirname, '..', 'dist', 'cli-bundle', 'main.cjs');
if (!existsSync(bundle)) {
  process.stderr.write('gymnos: the CLI is not built; run `npm run build` (or `npm ci`) in the gymnos package\n');
  process.exit(2);
}
// A reader that goes away early (`gymnos lint | head`) is not an error: stop printing, let the command finish
// what it is doing (a commit, a fix), and exit with its own code instead of crashing on EPIPE. The handler goes on
// each stream when the stream is created: most output is written without them (src/cli/stdio.ts).
for (const name of ['stdout', 'stderr']) {
  const { get } = Object.getOwnPropertyDescriptor(process, name);
  Object.defineProperty(process, name, {
    configurable: true,
    enumerable: true,
    get() {
      const stream = get.call(process);
      stream.on('error', (error) => {
        if (!['EPIPE', 'ECONNRESET', 'ERR_STREAM_DESTROYED'].includes(error.code)) throw error;
      });
      Object.defineProperty(process, name, { configurable: true, enumerable: true, writable: true, value: stream });
      return stream;
    },
  });
}
require(bundle)
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
