/**
 * Module hooks that run this repository's TypeScript (src/, test/, bench/) for the test suite.
 *
 * Why not tsx: every test file is a process of its own, and `--import tsx` costs about 0.5 s of CPU per process
 * before the first test (tsx and esbuild's JavaScript load in the process and in the loader thread). These hooks
 * load nothing on the usual path: each file's JavaScript comes from a content-addressed cache, and esbuild is
 * loaded only to transform a file that changed. Only what the sources use is supported: ES modules, TypeScript's
 * NodeNext specifiers (`./x.js` naming `./x.ts`), and no path aliases. Projects the tests create are run with
 * their own tsx, as users run them.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'gymnos-test-ts');
const TYPESCRIPT = /\.(?:ts|mts)$/;
const require = createRequire(import.meta.url);
/** Part of every cache key: a new esbuild, or a change to these options, compiles everything afresh. */
const ESBUILD_VERSION = JSON.parse(readFileSync(require.resolve('esbuild/package.json'), 'utf8')).version;
const TRANSFORM = {
  loader: 'ts',
  format: 'esm',
  target: 'node20',
  sourcemap: 'inline',
  // As tsconfig.json: the ES2022 class-field semantics, imports kept as written.
  tsconfigRaw: { compilerOptions: { target: 'ES2022', verbatimModuleSyntax: true, useDefineForClassFields: true } },
};
const KEY_PREFIX = `${ESBUILD_VERSION}\0${JSON.stringify(TRANSFORM)}\0`;

let esbuild;

export async function resolve(specifier, context, nextResolve) {
  const parent = context.parentURL;
  if (parent?.startsWith('file:') && /^\.\.?\//.test(specifier) && /\.m?js$/.test(specifier)) {
    // TypeScript's NodeNext convention: a source imports './x.js' and the file beside it is './x.ts'.
    const url = new URL(specifier, parent);
    const file = fileURLToPath(url);
    if (!existsSync(file)) {
      const source = file.replace(/\.(m?)js$/, '.$1ts');
      if (existsSync(source)) return { url: pathToFileURL(source).href + url.search, shortCircuit: true };
    }
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (!url.startsWith('file:') || !TYPESCRIPT.test(new URL(url).pathname)) return nextLoad(url, context);
  const file = fileURLToPath(url);
  if (file.split(path.sep).includes('node_modules')) return nextLoad(url, context);
  const source = readFileSync(file, 'utf8');
  const key = createHash('sha1').update(KEY_PREFIX).update(file).update('\0').update(source).digest('hex');
  const cached = path.join(CACHE, `${key}.js`);
  let code;
  try {
    code = readFileSync(cached, 'utf8');
  } catch {
    esbuild ??= require('esbuild');
    code = esbuild.transformSync(source, { ...TRANSFORM, sourcefile: file }).code;
    // Written aside and renamed: test processes run side by side and may compile the same file at once.
    mkdirSync(CACHE, { recursive: true });
    const temporary = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    writeFileSync(temporary, code);
    renameSync(temporary, cached);
  }
  return { format: 'module', source: code, shortCircuit: true };
}
