/**
 * The prompts, on a real terminal: `script` (util-linux) gives the CLI a pseudo-terminal, and the test types
 * into it when the prompt shows, as a person would.
 */
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { runChildSync, spawnInTest } from '../helpers/children.js';
import { skipUnless } from '../helpers/prerequisite.js';
import { BIN, copyOfRepository, gymnos, removeProjects, snapshot } from '../helpers/project.js';

after(removeProjects);

const hasScript = runChildSync('script', ['--version']).status === 0;

/**
 * Runs `gymnos args` on a pseudo-terminal; each step waits for `prompt` on screen, then types `keys`. The terminal
 * is killed when test `t` ends, if it is still open.
 */
function onTerminal(t: TestContext, args: string[], cwd: string, steps: { prompt: string; keys: string }[]) {
  return new Promise<{ status: number | null; screen: string }>((resolve, reject) => {
    const command = [process.execPath, BIN, ...args].map((word) => `'${word}'`).join(' ');
    const env = { ...process.env, NO_COLOR: '1' };
    const child = spawnInTest(t, 'script', ['-qfec', command, '/dev/null'], { cwd, env });
    let screen = '';
    const pending = [...steps];
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`timed out waiting for ${JSON.stringify(pending[0]?.prompt)}; screen:\n${screen}`));
    }, 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      screen += chunk.toString();
      while (pending.length > 0 && screen.includes(pending[0]!.prompt)) {
        screen += '\n'; // consume: the next step waits for fresh output
        child.stdin.write(pending.shift()!.keys);
      }
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, screen });
    });
  });
}

describe(
  'create-new on a terminal',
  { skip: skipUnless(hasScript, 'script(1) is not installed: install util-linux') },
  () => {
    test('asks for the kind and the name, validating the name inline', async (t) => {
      const root = copyOfRepository();
      const { status, screen } = await onTerminal(t, ['create-new'], root, [
        { prompt: 'What do you want to create?', keys: '\r' },
        { prompt: 'Tracker name', keys: 'my__tracker\r' },
        { prompt: 'not a snake_case name', keys: '\x7f'.repeat(11) + 'MyTracker\r' },
      ]);
      assert.equal(status, 0, screen);
      assert.match(screen, /CREATE +src\/trackers\/my_tracker\.ts/);
      assert.match(screen, /normalized the name "MyTracker" to "my_tracker"/);
      assert.ok(existsSync(path.join(root, 'src/trackers/my_tracker.ts')));
      assert.match(readFileSync(path.join(root, 'var/trackers.json'), 'utf8'), /"my_tracker"/);
    });

    test('a name already registered is refused inline', async (t) => {
      const root = copyOfRepository();
      const { status, screen } = await onTerminal(t, ['create-new', 'tracker'], root, [
        { prompt: 'Tracker name', keys: 'memory\r' },
        { prompt: 'taken by the built-in memory tracker', keys: '\x7f'.repeat(6) + 'other\r' },
      ]);
      assert.equal(status, 0, screen);
      assert.ok(existsSync(path.join(root, 'src/trackers/other.ts')));
    });

    test('Ctrl-C at a prompt exits 130 and writes nothing', async (t) => {
      const root = copyOfRepository();
      const before = snapshot(root);
      const { status, screen } = await onTerminal(t, ['create-new', 'tracker'], root, [
        { prompt: 'Tracker name', keys: 'half\x03' },
      ]);
      assert.equal(status, 130, screen);
      assert.match(screen, /cancelled; nothing was written/);
      assert.deepEqual(snapshot(root), before);
    });

    test('--force on a file you edited shows the diff and asks: n keeps it (exit 3), y replaces it', async (t) => {
      const root = copyOfRepository();
      const create = ['create-new', 'tracker', '--name', 'my_tracker'];
      assert.equal(gymnos(create, { cwd: root }).status, 0);
      const module = path.join(root, 'src/trackers/my_tracker.ts');
      const generated = readFileSync(module, 'utf8');
      appendFileSync(module, '// mine\n');
      const edited = snapshot(root);
      const question = { prompt: 'Replace the files you edited?', keys: 'n\r' };

      const declined = await onTerminal(t, [...create, '--force'], root, [question]);
      assert.equal(declined.status, 3, declined.screen);
      assert.match(declined.screen, /You edited src\/trackers\/my_tracker\.ts since create-new generated it/);
      assert.match(declined.screen, /^-\/\/ mine\r?$/m, 'the diff shows the line that would be lost');
      assert.match(declined.screen, /gymnos: kept your edits to src\/trackers\/my_tracker\.ts; nothing was written/);
      assert.deepEqual(snapshot(root), edited);

      const accepted = await onTerminal(t, [...create, '--force'], root, [{ ...question, keys: 'y\r' }]);
      assert.equal(accepted.status, 0, accepted.screen);
      assert.match(accepted.screen, /OVERWRITE +src\/trackers\/my_tracker\.ts/);
      assert.equal(readFileSync(module, 'utf8'), generated);
    });
  },
);
