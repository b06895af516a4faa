#!/usr/bin/env node
// Builds dist/: the library with its type declarations (tsc), the templates precompiled for the Handlebars
// runtime, and the CLI bundled into a few files so `gymnos --help` resolves almost no modules at start-up.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const dist = path.join(root, 'dist');
const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
/** The author's tools: gymnos's optional peer dependencies, installed in the user's project (gymnos init adds them). */
const AUTHOR_TOOLS = Object.keys(manifest.peerDependencies ?? {});

// A fresh checkout has no node_modules: `npm pack` runs this build through the prepack script without installing
// the build tools first. Install them from the lockfile, then build. What the
// build reads is every package gymnos depends on: the compiler and bundler, and the libraries bundled into dist/.
const missing = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies }).filter(
  (name) => !existsSync(path.join(root, 'node_modules', name, 'package.json')),
);
if (missing.length > 0) {
  process.stderr.write(
    `gymnos build: ${missing.length} of its packages (${missing[0]}...) not installed; installing from the ` +
      'lockfile (npm ci)\n',
  );
  const npm = process.env.npm_execpath;
  const [command, args] = npm ? [process.execPath, [npm]] : ['npm', []];
  execFileSync(command, [...args, 'ci', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
});

// Templates: precompiled specs keyed by path, each with its source so that an edited template is noticed at
// run time (and compiled with the full Handlebars compiler instead of served stale).
const Handlebars = require('handlebars');
const templatesDir = path.join(root, 'templates');
const entries = [];
for (const kind of readdirSync(templatesDir)) {
  for (const file of readdirSync(path.join(templatesDir, kind))
    .filter((f) => f.endsWith('.hbs'))
    .sort()) {
    const source = readFileSync(path.join(templatesDir, kind, file), 'utf8');
    const spec = Handlebars.precompile(source, { strict: true, noEscape: true });
    entries.push(`  ${JSON.stringify(`${kind}/${file}`)}: { source: ${JSON.stringify(source)}, spec: ${spec} },`);
  }
}
// CommonJS, required at run time: an import() of an ES module would start Node's ES module loader in create-new.
writeFileSync(path.join(dist, 'templates.precompiled.cjs'), `module.exports = {\n${entries.join('\n')}\n};\n`);

// The CLI bundle. Heavy or lazily-needed packages stay external and are imported on the paths that use them.
const esbuild = await import('esbuild');
// main holds commander and the command table only; each command is its own self-contained bundle, imported
// when it runs. One command's run then loads three or four ES modules instead of the dozen small chunks that
// code splitting makes, and module loading is most of a short command's start-up time. The shared code is
// duplicated across the command bundles, on disk only.
// The commands are those src/cli/commands.ts imports dynamically (the command table): found while main is bundled.
const COMMANDS = [];
const shared = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  mainFields: ['module', 'main'],
  target: 'node20.19',
  minifyWhitespace: true,
  // The author's tools stay real packages, resolved from the user's project (its devDependencies, which
  // `gymnos init` adds): ESLint loads plugins and configs by package, editors use the same ones, and they are
  // far too big for a runtime install. Each is imported dynamically, on the path that needs it: without code
  // splitting, a static import of an external package would be hoisted to the top of the bundle and load at
  // start-up. Everything else the CLI uses is bundled (small packages inline; lazily needed ones as vendor files).
  external: [
    ...AUTHOR_TOOLS,
    // A native addon (runs reads tensorboard files with it, as the tensorboard tracker writes them): esbuild
    // cannot bundle a .node file, and it is one of gymnos's few runtime dependencies anyway.
    '@node-rs/crc32',
  ],
  banner: {
    js:
      "import { createRequire as __gymnosRequire } from 'node:module'; " +
      'const require = __gymnosRequire(import.meta.url);',
  },
  logLevel: 'warning',
};
// The built-in trackers' table (src/registry/builtins.ts) imports each tracker relative to itself. Those imports
// stay imports in the bundle: from dist/cli-bundle/ they reach dist/trackers/, as from dist/registry/, so a command
// carries no tracker code and `load` imports the same modules as the library does.
const builtinTrackersExternal = {
  name: 'builtin-trackers-external',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/trackers\/[a-z0-9_]+\.js$/ }, (args) =>
      path.basename(args.importer) === 'builtins.ts' ? { path: args.path, external: true } : undefined,
    );
  },
};
/**
 * main and every command but lint are CommonJS (.cjs, started by bin/gymnos.js): Node loads a CommonJS file with
 * none of the ES module loader's resolve, link and evaluate steps, about 10 ms less of every command's start-up
 * here. Their `import.meta.url` becomes the file's own URL; the packages and vendor files they import() stay ES.
 * lint stays an ES module: it needs code splitting, which esbuild does for ES modules only.
 */
const commonJs = {
  ...shared,
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  define: { 'import.meta.url': '__gymnosModuleUrl' },
  banner: { js: "const __gymnosModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  // Any other use of import.meta (resolve, dirname) would be empty here, and fail only when that code runs: an error.
  logOverride: { 'empty-import-meta': 'error' },
};
/**
 * Built-in modules a command may never use, loaded on first use instead of at start-up, each of which costs
 * milliseconds to load: commander requires child_process (for executable subcommands, which gymnos has none of),
 * which brings net and dgram; fs/promises brings readline and the streams; tty (which chalk asks whether stdout
 * is a terminal) brings net. The bundles require a stand-in, dist/cli-bundle/lazy/<name>.cjs, whose property reads
 * load the real module; tty's isatty answers false for what is not a character device (a pipe, a socket, a file)
 * without loading tty (its fstat is a bigint one: src/cli/stdio.ts's isTerminal says why). The stand-ins are
 * external: a bundled one would be copied property by property into the importing module, loading the real one at
 * once.
 */
const LAZY_BUILTINS = ['child_process', 'fs/promises', 'timers/promises', 'tty'];
const lazyFile = (name) => `./lazy/${name.replace('/', '-')}.cjs`;
mkdirSync(path.join(dist, 'cli-bundle', 'lazy'), { recursive: true });
for (const name of LAZY_BUILTINS) {
  const real = `require(${JSON.stringify(`node:${name}`)})`;
  const isatty =
    name === 'tty'
      ? '    if (key === "isatty") return (fd) => {\n' +
        '      try {\n' +
        '        if (!require("node:fs").fstatSync(fd, { bigint: true }).isCharacterDevice()) return false;\n' +
        '      } catch {\n' +
        '        return false;\n' +
        '      }\n' +
        `      return ${real}.isatty(fd);\n    };\n`
      : '';
  writeFileSync(
    path.join(dist, 'cli-bundle', lazyFile(name)),
    `'use strict';\n// node:${name}, loaded on first use (bin/build.mjs).\n` +
      `module.exports = new Proxy({}, {\n  get(_, key) {\n${isatty}    return ${real}[key];\n  },\n});\n`,
  );
}
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(build) {
    const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|')})$`);
    build.onResolve({ filter }, (args) => ({ path: lazyFile(args.path.replace(/^node:/, '')), external: true }));
  },
};
await esbuild.build({
  ...commonJs,
  entryPoints: [path.join(root, 'src/cli/main.ts')],
  outdir: path.join(dist, 'cli-bundle'),
  plugins: [
    lazyBuiltins,
    {
      name: 'commands-external',
      setup(build) {
        const cliDir = path.join(root, 'src', 'cli');
        build.onResolve({ filter: /^\.\/[a-z_]+\.js$/ }, (args) => {
          if (args.kind !== 'dynamic-import' || path.dirname(args.importer) !== cliDir) return undefined;
          const command = args.path.slice(2, -3);
          if (!COMMANDS.includes(command)) COMMANDS.push(command);
          return { path: command === 'lint' ? args.path : `./${command}.cjs`, external: true };
        });
      },
    },
  ],
});
// A command's import() of its CommonJS bundle becomes a require(): import() would start the ES module loader.
const mainBundle = path.join(dist, 'cli-bundle', 'main.cjs');
const commandImport = /\bimport\("(\.\/[a-z_]+\.cjs)"\)/g;
const mainCode = readFileSync(mainBundle, 'utf8');
const commandImports = mainCode.match(commandImport)?.length ?? 0;
if (commandImports !== COMMANDS.length - 1) {
  throw new Error(`gymnos build: main.cjs imports ${commandImports} CommonJS commands, not ${COMMANDS.length - 1}`);
}
writeFileSync(mainBundle, mainCode.replace(commandImport, 'Promise.resolve().then(() => require("$1"))'));
/**
 * Packages the commands import lazily, on the paths that need them, each bundled into a file of its own under
 * dist/cli-bundle/vendor/: they are no runtime install, and a command that does not reach them does not parse
 * them. The full Handlebars compiler serves templates edited since the build or owned by a project (the small
 * runtime that renders the precompiled templates is bundled into create-new); prompts and diffs serve create-new.
 */
const VENDORED = {
  handlebars: {
    file: 'handlebars',
    // The CommonJS build without lib/index.js's require.extensions hook; its optional source-map support is
    // required inside a try, and gymnos compiles without source maps.
    source: "import Handlebars from 'handlebars/dist/cjs/handlebars.js'; export default Handlebars;",
  },
  // Only the prompts create-new shows: the others (the editor prompt's encodings above all) are big.
  '@inquirer/prompts': {
    file: 'inquirer-prompts',
    source: "export { confirm, input, select } from '@inquirer/prompts';",
  },
  diff: { file: 'diff', source: "export * from 'diff';" },
};
const vendoredImports = {
  name: 'vendored-imports',
  setup(build) {
    const filter = new RegExp(`^(${Object.keys(VENDORED).join('|')})$`);
    build.onResolve({ filter }, (args) => ({ path: `./vendor/${VENDORED[args.path].file}.js`, external: true }));
  },
};
await esbuild.build({
  ...shared,
  entryPoints: Object.values(VENDORED).map(({ file }) => ({ in: `vendor:${file}`, out: `vendor/${file}` })),
  outdir: path.join(dist, 'cli-bundle'),
  minify: true,
  external: [...shared.external, 'source-map'],
  plugins: [
    {
      name: 'vendor-entries',
      setup(build) {
        build.onResolve({ filter: /^vendor:/ }, (args) => ({ path: args.path, namespace: 'vendor' }));
        build.onLoad({ filter: /.*/, namespace: 'vendor' }, (args) => ({
          contents: Object.values(VENDORED).find(({ file }) => `vendor:${file}` === args.path).source,
          resolveDir: root,
        }));
      },
    },
  ],
});
// uPlot's script and style, inlined into every report: copied beside the bundles with its licence.
mkdirSync(path.join(dist, 'vendor', 'uplot'), { recursive: true });
for (const file of ['dist/uPlot.iife.min.js', 'dist/uPlot.min.css', 'LICENSE']) {
  copyFileSync(require.resolve(`uplot/${file}`), path.join(dist, 'vendor', 'uplot', path.basename(file)));
}
// The report page's own script, a browser program with a tsconfig of its own (the DOM's types, no Node's):
// type-checked, then bundled into the one script every report inlines.
execFileSync(
  process.execPath,
  [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'src', 'report', 'page', 'tsconfig.json')],
  { stdio: 'inherit' },
);
const { pageBuildOptions } = require('./report_page.cjs');
await esbuild.build({ ...pageBuildOptions(root), outfile: path.join(dist, 'vendor', 'report-page.js') });
/**
 * jsonc-parser builds, when loaded, 1 200 strings of line breaks and indentation (up to 200 columns, for each
 * line ending and for tabs): 200 kB, which costs a command such as create-new one more garbage collection (about
 * 4 ms). Formatting reads the cache only while an indent fits in it and builds the string otherwise, so a cache of
 * 20 gives the same edits.
 */
const smallJsoncCache = {
  name: 'small-jsonc-cache',
  setup(build) {
    build.onLoad({ filter: /jsonc-parser[/\\]lib[/\\](?:esm|umd)[/\\]impl[/\\]string-intern\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const patched = source.replace('const maxCachedValues = 200;', 'const maxCachedValues = 20;');
      if (patched === source) throw new Error(`gymnos build: ${args.path} has changed; review smallJsoncCache`);
      return { contents: patched, loader: 'js' };
    });
  },
};
await esbuild.build({
  ...commonJs,
  entryPoints: COMMANDS.filter((command) => command !== 'lint').map((command) =>
    path.join(root, `src/cli/${command}.ts`),
  ),
  outdir: path.join(dist, 'cli-bundle'),
  plugins: [
    lazyBuiltins,
    vendoredImports,
    builtinTrackersExternal,
    smallJsoncCache,
    {
      // The command table's run functions, in a command that reads the table (completion): the other commands'
      // bundles, as from main, not copies of every command.
      name: 'table-commands-external',
      setup(build) {
        build.onResolve({ filter: /^\.\/[a-z_]+\.js$/ }, (args) => {
          if (args.kind !== 'dynamic-import' || path.basename(args.importer) !== 'commands.ts') return undefined;
          const command = args.path.slice(2, -3);
          return { path: command === 'lint' ? args.path : `./${command}.cjs`, external: true };
        });
      },
    },
  ],
});
/**
 * A default import of a built-in module (`import path from 'node:path'`) becomes esbuild's __toESM(require(...)),
 * which copies every property of the module onto a new object: node:process and node:fs have hundreds, and the
 * copies cost a command about 2 ms. An object whose prototype is the module reads the same, copies nothing, and
 * reaches the lazy stand-ins' properties through their proxies.
 */
const DEFAULT_IS_MODULE = '{ default: { value: module, enumerable: true } }';
const builtinInterop = /__toESM\((require\("(?:node:[a-z_/]+|\.\/lazy\/[a-z-]+\.cjs)"\))(?:, ?1)?\)/g;
for (const file of readdirSync(path.join(dist, 'cli-bundle')).filter((name) => name.endsWith('.cjs'))) {
  const bundle = path.join(dist, 'cli-bundle', file);
  const code = readFileSync(bundle, 'utf8');
  writeFileSync(
    bundle,
    code
      .replace(builtinInterop, '__gymnosBuiltin($1)')
      // Once: a bundle this build did not write again (none should be) keeps the one it has.
      .replace(
        /^(?!const __gymnosBuiltin )/,
        `const __gymnosBuiltin = (module) => Object.create(module, ${DEFAULT_IS_MODULE});\n`,
      ),
  );
}
// lint keeps code splitting: its ESLint config, linters and formatters are separate chunks, so that a re-run
// answered from the fingerprint cache loads none of them. The Prettier worker is an entry of its own: the lint
// chunks start it as ./prettier_worker.js, beside them.
await esbuild.build({
  ...shared,
  entryPoints: {
    lint: path.join(root, 'src/cli/lint.ts'),
    prettier_worker: path.join(root, 'src/lint/prettier_worker.ts'),
  },
  outdir: path.join(dist, 'cli-bundle'),
  splitting: true,
  chunkNames: 'lint-[name]-[hash]',
  plugins: [vendoredImports, builtinTrackersExternal],
});
mkdirSync(path.join(dist, 'cli-bundle'), { recursive: true });
