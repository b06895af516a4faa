/**
 * The CLI's output to a file, a pipe and a reader that goes away (src/cli/stdio.ts): everything arrives, in the
 * order written across stdout and stderr, without process.stdout or process.stderr being created, and a closed
 * pipe ends the output, not the process. Real child processes on the built dist/ (npm test builds first).
 */
import assert from 'node:assert/strict';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { pathToFileURL } from 'node:url';
import { spawnInTest } from '../helpers/children.js';
import { skipUnless } from '../helpers/prerequisite.js';
import { REPO } from '../helpers/project.js';

const STDIO = path.join(REPO, 'dist', 'cli', 'stdio.js');
const NOT_BUILT = skipUnless(existsSync(STDIO), 'dist/ is not built: run npm run build');
const dir = mkdtempSync(path.join(os.tmpdir(), 'gymnos-stdio-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const LINES = 2000;
const LINE = 'x'.repeat(2000); // 4 MB in all: far more than a pipe holds

/** Writes LINES numbered lines on stdout, one on stderr every 100; then says on stderr whether a stream was made. */
const SCRIPT = `
const made = [];
for (const name of ['stdout', 'stderr']) {
  const { get } = Object.getOwnPropertyDescriptor(process, name);
  Object.defineProperty(process, name, { configurable: true, get() { made.push(name); return get.call(process); } });
}
const { writeStdout, writeStderr } = await import(${JSON.stringify(pathToFileURL(STDIO).href)});
for (let line = 0; line < ${LINES}; line++) {
  if (line % 100 === 0) writeStderr('err ' + line + '\\n');
  writeStdout('out ' + line + ' ${LINE}\\n');
}
writeStderr('streams made: ' + (made.join(',') || 'none') + '\\n');
`;

function expected(): string[] {
  const lines: string[] = [];
  for (let line = 0; line < LINES; line++) {
    if (line % 100 === 0) lines.push(`err ${line}`);
    lines.push(`out ${line} ${LINE}`);
  }
  return lines;
}

function child(t: TestContext, stdio: ('pipe' | 'ignore' | number)[]) {
  const spawned = spawnInTest(t, process.execPath, ['--input-type=module', '-e', SCRIPT], { stdio });
  const ended = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    spawned.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { spawned, ended };
}

describe('stdout and stderr written directly', { skip: NOT_BUILT }, () => {
  test('to one file: every line, in the order written, and no stream made', async (t) => {
    const file = path.join(dir, 'both.txt');
    const fd = openSync(file, 'w');
    const { ended } = child(t, ['ignore', fd, fd]);
    const { code } = await ended;
    closeSync(fd);
    assert.equal(code, 0);
    assert.deepEqual(readFileSync(file, 'utf8').trimEnd().split('\n'), [...expected(), 'streams made: none']);
  });

  test('to a pipe read slowly: everything arrives, in order', async (t) => {
    const { spawned, ended } = child(t, ['ignore', 'pipe', 'pipe']);
    const chunks: Buffer[] = [];
    let stderr = '';
    spawned.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    spawned.stdout!.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // A reader slower than the writer: the pipe fills, and the writer waits for it.
      if (chunks.length % 8 === 0) {
        spawned.stdout!.pause();
        setTimeout(() => spawned.stdout!.resume(), 2);
      }
    });
    const { code } = await ended;
    assert.equal(code, 0, stderr);
    const out = expected().filter((line) => line.startsWith('out '));
    assert.deepEqual(Buffer.concat(chunks).toString('utf8').trimEnd().split('\n'), out);
    assert.match(stderr, /streams made: none\n$/);
  });

  test('to a reader that goes away: the output stops, the process does not fail', async (t) => {
    const { spawned, ended } = child(t, ['ignore', 'pipe', 'pipe']);
    let stderr = '';
    spawned.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    spawned.stdout!.once('data', () => spawned.stdout!.destroy());
    const { code, signal } = await ended;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, stderr);
    assert.match(stderr, /streams made: none\n$/);
    assert.doesNotMatch(stderr, /EPIPE|Error/);
  });
});

/**
 * A program that, with stdout a pipe, resolves a package behind a symlink (as pnpm lays every package out) after
 * asking whether stdout is a terminal with `ask`: what Node resolved, which must be the link's real path. A plain
 * fstatSync of the pipe leaves it in the buffer Node's realpathSync reads for path components it has cached, and
 * resolution then returns the link's own path (nodejs/node#51142): under pnpm the project's tsx could not load its
 * esbuild, and `gymnos list trackers 2>&1 | cat` called a TypeScript tracker "not built".
 */
function resolvesAfterAsking(t: TestContext, ask: string) {
  const project = mkdtempSync(path.join(dir, 'project-'));
  const elsewhere = mkdtempSync(path.join(dir, 'store-'));
  for (const [root, name] of [
    [project, 'warm'],
    [elsewhere, 'linked'],
  ] as const) {
    mkdirSync(path.join(root, 'node_modules', name), { recursive: true });
    writeFileSync(path.join(root, 'node_modules', name, 'index.js'), '');
  }
  writeFileSync(path.join(project, 'package.json'), '{}');
  symlinkSync(path.join(elsewhere, 'node_modules', 'linked'), path.join(project, 'node_modules', 'linked'));
  const script = [
    "const { createRequire } = await import('node:module');",
    `const require = createRequire(${JSON.stringify(path.join(project, 'package.json'))});`,
    "require.resolve('warm'); // the project's directories are now in the resolver's realpath cache",
    ask,
    "process.stderr.write(require.resolve('linked'));",
  ].join('\n');
  const spawned = spawnInTest(t, process.execPath, ['--input-type=module', '-e', script], { stdio: 'pipe' });
  let stderr = '';
  spawned.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise<{ resolved: string; expected: string }>((resolve) =>
    spawned.on('close', () =>
      resolve({ resolved: stderr, expected: path.join(elsewhere, 'node_modules', 'linked', 'index.js') }),
    ),
  );
}

describe('asking whether a pipe is a terminal leaves module resolution intact', { skip: NOT_BUILT }, () => {
  test("stdio.ts's isTerminal", async (t) => {
    const ask = `(await import(${JSON.stringify(pathToFileURL(STDIO).href)})).isTerminal(1);`;
    const { resolved, expected } = await resolvesAfterAsking(t, ask);
    assert.equal(resolved, expected);
  });

  test("the CLI bundle's stand-in for tty.isatty (chalk asks it at start-up)", async (t) => {
    const tty = path.join(REPO, 'dist', 'cli-bundle', 'lazy', 'tty.cjs');
    const ask = `createRequire(import.meta.url)(${JSON.stringify(tty)}).isatty(1);`;
    const { resolved, expected } = await resolvesAfterAsking(t, ask);
    assert.equal(resolved, expected);
  });
});
