#!/usr/bin/env node
/**
 * CLI start-up and generation time, side by side in one run:
 *   bare `node -e 0`, `gymnos --help`, `gymnos create-new tracker` in a temp project,
 *   and plop 4 / hygen 6 doing the same generation (the three files and the registry edit).
 *
 * plop and hygen are installed for the benchmark only, into bench/.tools (git-ignored), not as dependencies.
 * Runs are interleaved round-robin so that machine noise hits every command alike; the table gives the
 * median wall time of each, its distance from bare node and its ratio to it, against the targets (`--help` at
 * most 1.3x bare node, create-new 1.5x). Every generation of every tool is checked, not only timed: the three
 * files are there, the module declares the class, and var/trackers.json parses with the new entry.
 *
 *   npm run build && node bench/cli-startup.mjs [--runs 30] [--no-install]
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(repo, 'bin', 'gymnos.js');
const tools = path.join(repo, 'bench', '.tools');
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) || 30;
const install = !args.includes('--no-install');

if (!existsSync(path.join(repo, 'dist', 'cli-bundle', 'main.cjs'))) {
  console.error('bench: build first (npm run build)');
  process.exit(2);
}

function installTools() {
  const wanted = ['plop@4', 'hygen@6'];
  const have = (name) => existsSync(path.join(tools, 'node_modules', name, 'package.json'));
  if (have('plop') && have('hygen')) return true;
  if (!install) return false;
  mkdirSync(tools, { recursive: true });
  if (!existsSync(path.join(tools, 'package.json')))
    writeFileSync(path.join(tools, 'package.json'), '{"private":true}\n');
  console.error(`bench: installing ${wanted.join(' ')} into bench/.tools (once)...`);
  const result = spawnSync('npm', ['install', '--no-audit', '--no-fund', ...wanted], { cwd: tools, stdio: 'inherit' });
  return result.status === 0;
}

const templates = path.join(repo, 'templates', 'tracker');
const registry = '{\n  "existing": "trackers/existing.js#ExistingTracker"\n}\n';

/** A fresh project: package.json, the registry, and the generator configs plop and hygen need. */
function freshProject(scratch, i) {
  const dir = path.join(scratch, `p${i}`);
  mkdirSync(path.join(dir, 'var'), { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), '{ "name": "bench-project", "private": true }\n');
  writeFileSync(path.join(dir, 'var', 'trackers.json'), registry);
  // plop: the same Handlebars templates, three add actions and a modify of the registry.
  const plopTemplates = path.join(dir, 'plop-templates');
  cpSync(templates, plopTemplates, { recursive: true });
  writeFileSync(
    path.join(dir, 'plopfile.cjs'),
    `const pascal = (name) => name.split('_').map((part) => part[0].toUpperCase() + part.slice(1)).join('');
// As gymnos names the class: MyTracker for my_tracker, AlphaTracker for alpha.
const className = (name) => pascal(name).replace(/(?<!Tracker)$/, 'Tracker');
module.exports = (plop) => {
  plop.setGenerator('tracker', {
    prompts: [{ type: 'input', name: 'name' }],
    actions: (answers) => {
      Object.assign(answers, {
        className: className(answers.name),
        trackerImport: 'gymnos',
        loadImport: 'gymnos',
        testingImport: 'gymnos/testing',
        paramsModule: 'gymnos',
      });
      return [
        { type: 'add', path: 'src/trackers/{{name}}.ts', templateFile: 'plop-templates/tracker.ts.hbs' },
        { type: 'add', path: 'test/trackers/{{name}}.test.ts', templateFile: 'plop-templates/tracker.test.ts.hbs' },
        { type: 'add', path: 'docs/trackers/{{name}}.md', templateFile: 'plop-templates/tracker.md.hbs' },
        {
          type: 'modify',
          path: 'var/trackers.json',
          pattern: /\\n}\\n$/,
          template: ',\\n  "{{name}}": "trackers/{{name}}.js#{{className}}"\\n}\\n',
        },
      ];
    },
  });
};
`,
  );
  // hygen: EJS templates with front matter, the same three files and an inject into the registry.
  const hygen = path.join(dir, '_templates', 'tracker', 'new');
  mkdirSync(hygen, { recursive: true });
  const ejs = (file) => readFileSync(path.join(templates, file), 'utf8').replace(/\{\{(\w+)\}\}/g, '<%= $1 %>');
  const locals =
    "<% className = h.changeCase.pascal(name).replace(/(?<!Tracker)$/, 'Tracker'); trackerImport = 'gymnos'; " +
    "loadImport = 'gymnos'; testingImport = 'gymnos/testing'; paramsModule = 'gymnos' %>";
  writeFileSync(
    path.join(hygen, 'module.ejs.t'),
    `---\nto: src/trackers/<%= name %>.ts\n---\n${locals}${ejs('tracker.ts.hbs')}`,
  );
  writeFileSync(
    path.join(hygen, 'test.ejs.t'),
    `---\nto: test/trackers/<%= name %>.test.ts\n---\n${locals}${ejs('tracker.test.ts.hbs')}`,
  );
  writeFileSync(
    path.join(hygen, 'docs.ejs.t'),
    `---\nto: docs/trackers/<%= name %>.md\n---\n${locals}${ejs('tracker.md.hbs')}`,
  );
  writeFileSync(
    path.join(hygen, 'registry.ejs.t'),
    '---\ninject: true\nto: var/trackers.json\nbefore: "^}"\n---\n' +
      '  ,"<%= name %>": "trackers/<%= name %>.js#' +
      "<%= h.changeCase.pascal(name).replace(/(?<!Tracker)$/, 'Tracker') %>\"",
  );
  return dir;
}

const scratch = mkdtempSync(path.join(os.tmpdir(), 'gymnos-bench-cli-'));
const haveTools = installTools();
const node = process.execPath;
const commands = [
  { id: 'node -e 0', make: () => [node, ['-e', '0']] },
  { id: 'gymnos --help', make: () => [node, [bin, '--help']] },
  {
    id: 'gymnos create-new tracker',
    fresh: true,
    make: (dir) => [node, [bin, 'create-new', 'tracker', '--name', 'my_tracker', '--cwd', dir]],
  },
];
if (haveTools) {
  const plop = path.join(tools, 'node_modules', 'plop', 'bin', 'plop.js');
  const hygen = path.join(tools, 'node_modules', 'hygen', 'dist', 'bin.js');
  commands.push(
    { id: 'plop --help', make: () => [node, [plop, '--help']] },
    {
      id: 'plop tracker (generate)',
      fresh: true,
      make: (dir) => [
        node,
        [plop, '--plopfile', path.join(dir, 'plopfile.cjs'), '--cwd', dir, 'tracker', 'my_tracker'],
      ],
    },
    {
      id: 'hygen tracker new (generate)',
      fresh: true,
      make: () => [node, [hygen, 'tracker', 'new', '--name', 'my_tracker']],
      cwd: true,
    },
  );
} else {
  console.error('bench: plop and hygen are not installed (run without --no-install); comparing gymnos with node only');
}

/** Throws unless `dir` holds what every generator must produce for my_tracker. */
function checkGenerated(id, dir) {
  const fail = (what) => {
    throw new Error(`${id}: ${what} in ${dir}`);
  };
  for (const file of [
    'src/trackers/my_tracker.ts',
    'test/trackers/my_tracker.test.ts',
    'docs/trackers/my_tracker.md',
  ]) {
    if (!existsSync(path.join(dir, file))) fail(`${file} was not generated`);
  }
  const module = readFileSync(path.join(dir, 'src/trackers/my_tracker.ts'), 'utf8');
  if (!/^export class MyTracker extends Tracker \{$/m.test(module)) fail('the module does not declare MyTracker');
  let entries;
  try {
    entries = JSON.parse(readFileSync(path.join(dir, 'var/trackers.json'), 'utf8'));
  } catch (error) {
    fail(`var/trackers.json is not valid JSON (${error.message})`);
  }
  if (entries.my_tracker !== 'trackers/my_tracker.js#MyTracker' || entries.existing === undefined) {
    fail(`var/trackers.json lacks the entry or lost the old one: ${JSON.stringify(entries)}`);
  }
}

const times = new Map(commands.map((command) => [command.id, []]));
let project = 0;
for (let run = -2; run < runs; run++) {
  // Two warm-up rounds (file cache, npm's first-run costs) are not counted.
  for (const command of commands) {
    const dir = command.fresh ? freshProject(scratch, project++) : scratch;
    const [file, argv] = command.make(dir);
    const started = process.hrtime.bigint();
    const result = spawnSync(file, argv, {
      cwd: command.cwd || command.fresh ? dir : scratch,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const output = `${result.stderr}${result.stdout}`;
    if (result.status !== 0) throw new Error(`${command.id} failed (${result.status}): ${output}`);
    if (command.fresh) checkGenerated(command.id, dir);
    if (run >= 0) times.get(command.id).push(ms);
  }
}
rmSync(scratch, { recursive: true, force: true });

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const base = median(times.get('node -e 0'));
/** Targets, as a multiple of bare node's time. */
const targets = { 'gymnos --help': 1.3, 'gymnos create-new tracker': 1.5 };
console.log(
  `CLI start-up, ${runs} interleaved runs each, median wall time ` +
    `(Node ${process.version}, ${os.cpus().length} cores)\n`,
);
console.log('| command | median ms | over bare node | x bare node | target | x gymnos |');
console.log('| --- | ---: | ---: | ---: | --- | ---: |');
const gymnosCreate = median(times.get('gymnos create-new tracker')) - base;
for (const [id, values] of times) {
  const m = median(values);
  const over = m - base;
  const multiple = m / base;
  const target = targets[id] ? `≤ ${targets[id]}x: ${multiple <= targets[id] ? 'met' : 'MISSED'}` : '';
  const ratio = /generate/.test(id) ? `${(over / gymnosCreate).toFixed(1)}x` : '';
  const overText = id === 'node -e 0' ? '-' : `+${over.toFixed(1)}`;
  console.log(`| ${id} | ${m.toFixed(1)} | ${overText} | ${multiple.toFixed(2)}x | ${target} | ${ratio} |`);
}
console.log('\n"x gymnos": generation time over bare node, as a multiple of gymnos create-new\'s.');
