#!/usr/bin/env node
/**
 * `gymnos lint` against the tools users would otherwise run, side by side in one run, on a generated corpus of
 * real-world-sized TypeScript (250 modules of 150-400 lines: interfaces, classes, generics, async code, switch
 * statements, JSDoc; Prettier-formatted, with a few real problems planted), in a git repository:
 *
 * - cold: `gymnos lint` with no cache at all, against raw `eslint .` followed by `prettier --check .`, both
 *   under exactly the rules and options gymnos applies (an eslint.config.js that exports gymnos/eslint-config,
 *   the config `gymnos lint` itself runs, and a .prettierrc with gymnos's printWidth 120 and single quotes),
 *   taken two ways: one after the other, and both at once (started together, timed until both are done: the
 *   best a user could do by hand). Targets: gymnos at most 1.1x both at once, and 0.8x one after the other.
 * - warm: `gymnos lint` again on the unchanged corpus (the project fingerprint), against ESLint's own warm
 *   `eslint --cache` run. Target: at most a fifth of it.
 * - one file changed: `gymnos lint` (the fingerprint misses; ESLint's and Prettier's content caches serve the
 *   other files), against `eslint --cache` and `prettier --check --cache` back to back. For information.
 *
 * Runs are interleaved round-robin so that machine noise hits every command alike; medians are reported.
 *
 *   npm run build && node bench/lint.mjs [--files 250] [--rounds 5] [--keep]
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as prettier from 'prettier';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(repo, 'bin', 'gymnos.js');
const eslintBin = path.join(repo, 'node_modules', 'eslint', 'bin', 'eslint.js');
const prettierBin = path.join(repo, 'node_modules', 'prettier', 'bin', 'prettier.cjs');
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);
const fileCount = option('--files', 250);
const rounds = option('--rounds', 5);

if (!existsSync(path.join(repo, 'dist', 'cli-bundle', 'main.cjs'))) {
  console.error('bench: build first (npm run build)');
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------------------------
// The corpus
// ---------------------------------------------------------------------------------------------------------------

/** A small deterministic PRNG (mulberry32), so every run lints the same corpus. */
function random(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['metric', 'sample', 'batch', 'epoch', 'record', 'window', 'buffer', 'entry', 'series', 'point'];
const VERBS = ['collect', 'normalize', 'merge', 'resolve', 'format', 'compute', 'validate', 'flush', 'index'];
const TYPES = ['string', 'number', 'boolean', 'string[]', 'number[]', 'Date', 'Record<string, number>'];

function moduleSource(index, rand) {
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const id = String(index).padStart(3, '0');
  const cap = (word) => word[0].toUpperCase() + word.slice(1);
  const target = 150 + Math.floor(rand() * 250);
  const lines = [
    '/**',
    ` * Module ${id}: ${pick(VERBS)}s ${pick(WORDS)}s for the ${pick(WORDS)} pipeline,`,
    ` * with helpers to ${pick(VERBS)} them.`,
    ' */',
  ];
  const dependencies = index > 0 ? [...new Set([0, 1, 2].map(() => Math.floor(rand() * index)))] : [];
  for (const dependency of dependencies) {
    const other = String(dependency).padStart(3, '0');
    lines.push(`import { score${other}, Store${other} } from './module_${other}.js';`);
    lines.push(`import type { Item${other} } from './module_${other}.js';`);
  }
  lines.push('');
  const fields = Array.from({ length: 3 + Math.floor(rand() * 6) }, (_, k) => [`${pick(WORDS)}${k}`, pick(TYPES)]);
  lines.push(`/** One ${pick(WORDS)} as the store keeps it. */`, `export interface Item${id} {`, '  id: string;');
  lines.push('  weight: number;', ...fields.map(([name, type]) => `  ${name}?: ${type};`), '}', '');
  lines.push(`export type Status${id} = 'pending' | 'running' | 'done' | 'failed';`, '');
  lines.push(`export enum Level${id} {`, '  Low = 1,', '  Medium = 2,', '  High = 3,', '}', '');
  lines.push(
    `export function score${id}(items: readonly Item${id}[]): number {`,
    '  let total = 0;',
    '  for (const item of items) {',
    '    if (item.weight > 10) {',
    '      total += item.weight * 2;',
    '    } else if (item.weight > 0) {',
    '      total += item.weight;',
    '    } else {',
    '      total -= 1;',
    '    }',
    '  }',
    '  return total;',
    '}',
    '',
  );
  lines.push(
    `export class Store${id} {`,
    `  readonly #items = new Map<string, Item${id}>();`,
    `  #status: Status${id} = 'pending';`,
    '',
    `  constructor(private readonly name: string) {}`,
    '',
    `  get status(): Status${id} {`,
    '    return this.#status;',
    '  }',
    '',
    `  add(item: Item${id}): this {`,
    '    this.#items.set(item.id, item);',
    '    return this;',
    '  }',
    '',
    `  heaviest(limit = 3): Item${id}[] {`,
    '    return [...this.#items.values()].sort((a, b) => b.weight - a.weight).slice(0, limit);',
    '  }',
    '',
    '  describe(): string {',
    '    return `${this.name}: ${this.#items.size} items, status ${this.#status}`;',
    '  }',
    '',
    `  static of(name: string, items: Item${id}[]): Store${id} {`,
    `    const store = new Store${id}(name);`,
    '    for (const item of items) store.add(item);',
    '    return store;',
    '  }',
    '}',
    '',
  );
  for (const dependency of dependencies) {
    const other = String(dependency).padStart(3, '0');
    lines.push(
      `/** What module ${other} makes of these items. */`,
      `export function summarize${other}(items: Item${other}[]): string {`,
      `  return \`\${Store${other}.of('module ${id}', items).describe()}, score \${score${other}(items)}\`;`,
      '}',
      '',
    );
  }
  let block = 0;
  while (lines.length < target) {
    block++;
    const name = `${pick(VERBS)}${cap(pick(WORDS))}${block}`;
    switch (Math.floor(rand() * 6)) {
      case 0:
        lines.push(
          `/** Groups items by a key; the order inside each group is kept. */`,
          `export function ${name}<T, K extends string>(items: readonly T[], key: (item: T) => K): Record<K, T[]> {`,
          '  const groups = {} as Record<K, T[]>;',
          '  for (const item of items) {',
          '    const group = key(item);',
          '    (groups[group] ??= []).push(item);',
          '  }',
          '  return groups;',
          '}',
          '',
        );
        break;
      case 1:
        lines.push(
          `export async function ${name}(urls: string[], attempts = 3): Promise<string[]> {`,
          '  const results: string[] = [];',
          '  for (const url of urls) {',
          '    for (let attempt = 1; attempt <= attempts; attempt++) {',
          '      try {',
          '        results.push(await Promise.resolve(`${url}#${attempt}`));',
          '        break;',
          '      } catch (error) {',
          '        if (attempt === attempts) throw new Error(`giving up on ${url}`, { cause: error });',
          '      }',
          '    }',
          '  }',
          '  return results;',
          '}',
          '',
        );
        break;
      case 2:
        lines.push(
          `export function ${name}(level: Level${id}): string {`,
          '  switch (level) {',
          `    case Level${id}.Low:`,
          "      return 'low';",
          `    case Level${id}.Medium:`,
          "      return 'medium';",
          `    case Level${id}.High:`,
          "      return 'high';",
          '    default:',
          "      return 'unknown';",
          '  }',
          '}',
          '',
        );
        break;
      case 3:
        lines.push(
          `export const ${name}Config = {`,
          `  name: '${name}',`,
          `  retries: ${Math.floor(rand() * 9)},`,
          `  thresholds: [${Array.from({ length: 5 }, () => (rand() * 100).toFixed(2)).join(', ')}],`,
          `  nested: { enabled: ${rand() > 0.5}, label: '${pick(WORDS)} ${pick(WORDS)}', depth: ${block} },`,
          '} as const;',
          '',
        );
        break;
      case 4: {
        const dependency = dependencies.length ? String(dependencies[0]).padStart(3, '0') : id;
        lines.push(
          '/**',
          ` * Scores the ${pick(WORDS)}s of another module and keeps the ones above the mean, so that later stages`,
          ` * only see what matters; an empty input gives an empty output.`,
          ' */',
          `export function ${name}(items: Item${dependency}[]): Item${dependency}[] {`,
          '  if (items.length === 0) return [];',
          `  const mean = score${dependency}(items) / items.length;`,
          `  const store = Store${dependency}.of('${name}', items);`,
          '  return store.heaviest(items.length).filter((item) => item.weight >= mean);',
          '}',
          '',
        );
        break;
      }
      default:
        lines.push(
          `export function ${name}(values: number[]): { min: number; max: number; mean: number } {`,
          '  const sorted = [...values].sort((a, b) => a - b);',
          '  const sum = sorted.reduce((total, value) => total + value, 0);',
          '  return {',
          '    min: sorted[0] ?? Number.NaN,',
          '    max: sorted[sorted.length - 1] ?? Number.NaN,',
          '    mean: sorted.length ? sum / sorted.length : Number.NaN,',
          '  };',
          '}',
          '',
        );
    }
  }
  return `${lines.join('\n')}\n`;
}

async function makeCorpus() {
  const root = mkdtempSync(path.join(os.tmpdir(), 'gymnos-lint-bench-'));
  const prettierOptions = { printWidth: 120, singleQuote: true };
  const write = (file, content) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), content);
  };
  write('package.json', `${JSON.stringify({ name: 'lint-corpus', private: true, type: 'module' }, null, 2)}\n`);
  write('.prettierrc.json', `${JSON.stringify(prettierOptions, null, 2)}\n`);
  write('.gitignore', 'node_modules/\n.eslintcache\n');
  write('README.md', '# Lint corpus\n\nGenerated by bench/lint.mjs.\n');
  const configUrl = pathToFileURL(path.join(repo, 'dist', 'lint', 'eslint_config.js')).href;
  write('eslint.config.js', `export { default } from '${configUrl}';\n`);
  const rand = random(20261126);
  let lines = 0;
  for (let index = 0; index < fileCount; index++) {
    let source = await prettier.format(moduleSource(index, rand), { ...prettierOptions, parser: 'typescript' });
    // A few real problems, as in any code base: a comment past 120 columns, a badly formatted line.
    if (index % 25 === 7) source += `// ${'TODO: '.repeat(22)}\n`;
    if (index % 40 === 13) source += 'export const   spaced = {a:1};\n';
    lines += source.split('\n').length - 1;
    write(`src/module_${String(index).padStart(3, '0')}.ts`, source);
  }
  mkdirSync(path.join(root, 'node_modules'));
  spawnSync('git', ['init', '-q'], { cwd: root });
  return { root, lines };
}

// ---------------------------------------------------------------------------------------------------------------
// The runs
// ---------------------------------------------------------------------------------------------------------------

function timed(command, commandArgs, cwd) {
  const started = performance.now();
  const result = spawnSync(process.execPath, [command, ...commandArgs], { cwd, encoding: 'utf8' });
  const ms = performance.now() - started;
  if (result.status !== 0 && result.status !== 1) {
    throw new Error(`${path.basename(command)} ${commandArgs.join(' ')} failed (${result.status}): ${result.stderr}`);
  }
  return { ms, status: result.status, stdout: result.stdout };
}

/** Runs the commands at once; the wall time until the last one is done. */
async function timedTogether(commands, cwd) {
  const started = performance.now();
  const statuses = await Promise.all(
    commands.map(
      ([command, commandArgs]) =>
        new Promise((resolve) => {
          const child = spawn(process.execPath, [command, ...commandArgs], { cwd, stdio: 'ignore' });
          child.on('close', (status) => resolve(status));
        }),
    ),
  );
  if (statuses.some((status) => status !== 0 && status !== 1)) throw new Error(`a command failed: ${statuses}`);
  return { ms: performance.now() - started };
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const { root, lines } = await makeCorpus();
console.log(`corpus: ${fileCount} TypeScript files, ${lines} lines, in ${root}`);
console.log(`${os.cpus().length} CPUs, Node ${process.version}; ${rounds} interleaved rounds, medians\n`);

const clearCaches = () => {
  rmSync(path.join(root, 'node_modules', '.cache'), { recursive: true, force: true });
  rmSync(path.join(root, '.eslintcache'), { force: true });
};
const samples = {
  gymnosCold: [],
  eslint: [],
  prettier: [],
  together: [],
  gymnosWarm: [],
  eslintWarm: [],
  gymnosOneChanged: [],
  rawOneChanged: [],
};
const counts = {};
for (let round = 0; round < rounds; round++) {
  clearCaches();
  const cold = timed(bin, ['lint'], root);
  samples.gymnosCold.push(cold.ms);
  counts.gymnos = /✖ (\d+) problems/.exec(cold.stdout)?.[1];
  samples.gymnosWarm.push(timed(bin, ['lint'], root).ms);
  const eslint = timed(eslintBin, ['.'], root);
  samples.eslint.push(eslint.ms);
  counts.eslint = /✖ (\d+) problems/.exec(eslint.stdout)?.[1];
  samples.prettier.push(timed(prettierBin, ['--check', '.'], root).ms);
  const together = await timedTogether(
    [
      [eslintBin, ['.']],
      [prettierBin, ['--check', '.']],
    ],
    root,
  );
  samples.together.push(together.ms);
  timed(eslintBin, ['--cache', '.'], root); // primes ESLint's cache
  samples.eslintWarm.push(timed(eslintBin, ['--cache', '.'], root).ms);
  timed(prettierBin, ['--check', '--cache', '.'], root); // primes Prettier's cache
  // One file changes: the fingerprint misses, the content caches serve the other files.
  appendFileSync(path.join(root, 'src', 'module_100.ts'), `export const touched${round} = ${round};\n`);
  samples.gymnosOneChanged.push(timed(bin, ['lint'], root).ms);
  samples.rawOneChanged.push(
    timed(eslintBin, ['--cache', '.'], root).ms + timed(prettierBin, ['--check', '--cache', '.'], root).ms,
  );
  process.stderr.write(`round ${round + 1}/${rounds} done\n`);
}

const m = Object.fromEntries(Object.entries(samples).map(([key, values]) => [key, median(values)]));
const rawCold = m.eslint + m.prettier;
const row = (label, ms, note = '') =>
  console.log(`${label.padEnd(46)} ${`${(ms / 1000).toFixed(2)} s`.padStart(8)}  ${note}`);
row('gymnos lint, cold (no cache)', m.gymnosCold, `${counts.gymnos ?? '?'} problems`);
row('eslint .  (same config, no cache)', m.eslint, `${counts.eslint ?? '?'} ESLint problems`);
row('prettier --check .', m.prettier);
row('eslint + prettier --check, one after the other', rawCold);
row('eslint + prettier --check, both at once', m.together);
row('gymnos lint, re-run on the unchanged corpus', m.gymnosWarm);
row('eslint --cache, warm', m.eslintWarm);
row('gymnos lint, one file changed', m.gymnosOneChanged, '(ESLint and Prettier content caches)');
row('eslint --cache + prettier --check --cache, same', m.rawOneChanged);
console.log('');
const verdict = (met) => (met ? 'ok' : 'MISSED');
const sequentialRatio = m.gymnosCold / rawCold;
const togetherRatio = m.gymnosCold / m.together;
const warmRatio = m.gymnosWarm / m.eslintWarm;
const ratio = (label, value, target) =>
  console.log(
    `${label.padEnd(36)} = ${value.toFixed(2)}  (target <= ${target.toFixed(2)}) ${verdict(value <= target)}`,
  );
ratio('cold: gymnos / both at once', togetherRatio, 1.1);
ratio('cold: gymnos / one after the other', sequentialRatio, 0.8);
ratio('warm: gymnos / eslint --cache', warmRatio, 0.2);
if (!args.includes('--keep')) rmSync(root, { recursive: true, force: true });
