import assert from 'node:assert/strict';
import { once } from 'node:events';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isGymnosError } from '../../src/errors.js';
import { lockFile } from '../../src/util/file_lock.js';
import { runChildSync, spawnInTest } from '../helpers/children.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'gymnos-lock-'));

/** A node process that takes the lock on `file`, says `held`, and keeps it until killed. */
function holderArgs(file: string): string[] {
  const lockModule = pathToFileURL(path.resolve('src/util/file_lock.ts')).href;
  return [
    '--import',
    pathToFileURL(path.resolve('test/loader/register.mjs')).href,
    '--input-type=module',
    '-e',
    `const { lockFile } = await import(${JSON.stringify(lockModule)});
await lockFile(${JSON.stringify(file)}); process.stdout.write('held\\n'); setInterval(() => {}, 1000);`,
  ];
}
after(() => rmSync(dir, { recursive: true, force: true }));

describe('lockFile', () => {
  test('holders follow one another: a second locker waits until the first releases', async () => {
    const file = path.join(dir, 'serial.json');
    const order: string[] = [];
    const first = await lockFile(file);
    assert.ok(existsSync(`${file}.lock`));
    const second = lockFile(file).then((release) => {
      order.push('second acquired');
      return release;
    });
    await sleep(50);
    order.push('first releases');
    await first();
    await (
      await second
    )();
    assert.deepEqual(order, ['first releases', 'second acquired']);
    assert.ok(!existsSync(`${file}.lock`), 'released');
  });

  test('many lockers at once each get the lock alone', async () => {
    const file = path.join(dir, 'many.json');
    let holders = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        const release = await lockFile(file);
        most = Math.max(most, ++holders);
        await sleep(5);
        holders--;
        await release();
      }),
    );
    assert.equal(most, 1);
  });

  test('a lock left by a killed process is taken over once stale; a fresh one times out, naming it', async () => {
    const file = path.join(dir, 'stale.json');
    mkdirSync(`${file}.lock`);
    // A holder this host cannot check: only its age says it is gone.
    writeFileSync(`${file}.lock/owner.json`, JSON.stringify({ pid: 1, host: 'elsewhere', id: 'x' }));
    await assert.rejects(lockFile(file, { staleMs: 10_000, timeoutMs: 100 }), /stale\.json\.lock is held by another/);
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${file}.lock`, old, old);
    const release = await lockFile(file, { staleMs: 10_000, timeoutMs: 100 });
    await release();
    assert.ok(!existsSync(`${file}.lock`));
  });

  test('a stale lock is taken over by one taker only, however many find it stale at once', async () => {
    for (let round = 0; round < 10; round++) {
      const file = path.join(dir, `race-${round}.json`);
      mkdirSync(`${file}.lock`);
      const old = new Date(Date.now() - 60_000);
      utimesSync(`${file}.lock`, old, old);
      let holders = 0;
      let most = 0;
      await Promise.all(
        Array.from({ length: 6 }, async () => {
          const release = await lockFile(file, { staleMs: 1_000, timeoutMs: 5_000 });
          most = Math.max(most, ++holders);
          await sleep(10);
          holders--;
          await release();
        }),
      );
      assert.equal(most, 1, `round ${round}: two takers held the lock at once`);
    }
  });

  test('a held lock stays fresh, so a long holder is never taken for a killed one', async () => {
    const file = path.join(dir, 'long.json');
    const release = await lockFile(file, { staleMs: 300, timeoutMs: 5_000 });
    await sleep(700); // more than twice staleMs: only the refresh keeps it from being stale
    await assert.rejects(lockFile(file, { staleMs: 300, timeoutMs: 200 }), (error: unknown) => {
      assert.ok(isGymnosError(error));
      assert.equal(error.code, 'LOCK_TIMEOUT');
      return true;
    });
    await release();
    await (
      await lockFile(file, { staleMs: 300, timeoutMs: 200 })
    )();
  });

  test('a lock whose holder on this host has ended is taken over at once, however fresh it looks', async () => {
    const file = path.join(dir, 'dead.json');
    const ended = runChildSync(process.execPath, ['-e', '']).pid!;
    mkdirSync(`${file}.lock`);
    writeFileSync(`${file}.lock/owner.json`, JSON.stringify({ pid: ended, host: os.hostname() }));
    const release = await lockFile(file, { staleMs: 10_000, timeoutMs: 100 });
    const owner = JSON.parse(readFileSync(`${file}.lock/owner.json`, 'utf8'));
    assert.deepEqual([owner.pid, owner.host], [process.pid, os.hostname()]);
    release.sync();
    assert.ok(!existsSync(`${file}.lock`), 'released synchronously');
  });

  test('a waiter says once that it waits, naming the holder; a queue of short holders is no reason to', async () => {
    const file = path.join(dir, 'held.json');
    mkdirSync(`${file}.lock`);
    writeFileSync(`${file}.lock/owner.json`, JSON.stringify({ pid: process.ppid, host: os.hostname(), id: 'x' }));
    const notices: string[] = [];
    await assert.rejects(
      // The notice is due after 1 s of the 5: a loaded machine may leave seconds between two polls, not four.
      lockFile(file, { timeoutMs: 5_000, onWait: (line) => notices.push(line) }),
      new RegExp(`held\\.json\\.lock is held by another process \\(pid ${process.ppid}\\); remove it`),
    );
    assert.equal(notices.length, 1, notices.join('\n'));
    assert.match(
      notices[0]!,
      new RegExp(
        `^waiting for .*held\\.json\\.lock, held by another process \\(pid ${process.ppid}\\), for up to 5 s$`,
      ),
    );
    rmSync(`${file}.lock`, { recursive: true });

    const queued = path.join(dir, 'queued.json');
    const quiet: string[] = [];
    let longestHold = 0;
    await Promise.all(
      Array.from({ length: 5 }, async () => {
        const release = await lockFile(queued, { onWait: (line) => quiet.push(line) });
        const held = performance.now();
        await sleep(250); // the last waits more than a second, but never a second on one holder
        await release();
        longestHold = Math.max(longestHold, performance.now() - held);
      }),
    );
    // Unless a stalled machine really kept one holder a second (the notice is then right), nobody was told.
    if (longestHold < 1_000) assert.deepEqual(quiet, []);
  });

  test('an empty lock, left by a holder killed between the two steps of its release, is taken at once', async (t) => {
    const file = path.join(dir, 'half-released.json');
    const holder = spawnInTest(t, process.execPath, holderArgs(file), { stdio: ['ignore', 'pipe', 'inherit'] });
    await once(holder.stdout!, 'data');
    // The release's first step (its owner file removed), then the SIGKILL before its second (the directory).
    rmSync(`${file}.lock/owner.json`);
    holder.kill('SIGKILL');
    await once(holder, 'exit');
    assert.deepEqual(readdirSync(`${file}.lock`), [], 'an empty lock is left');
    // Fresh, and far from stale: before, it was waited for until staleMs.
    const notices: string[] = [];
    const release = await lockFile(file, { staleMs: 60_000, timeoutMs: 2_000, onWait: (line) => notices.push(line) });
    assert.deepEqual(notices, []);
    assert.equal(JSON.parse(readFileSync(`${file}.lock/owner.json`, 'utf8')).pid, process.pid);
    await release();
  });

  test('processes taking turns each hold the lock alone, removing empty locks included', async (t) => {
    const file = path.join(dir, 'turns.json');
    const log = path.join(dir, 'turns.log');
    writeFileSync(log, '');
    const lockModule = pathToFileURL(path.resolve('src/util/file_lock.ts')).href;
    const children = Array.from({ length: 4 }, () =>
      spawnInTest(
        t,
        process.execPath,
        [
          '--import',
          pathToFileURL(path.resolve('test/loader/register.mjs')).href,
          '--input-type=module',
          '-e',
          `const { appendFileSync } = await import('node:fs');
const { lockFile } = await import(${JSON.stringify(lockModule)});
for (let i = 0; i < 40; i++) {
  const release = await lockFile(${JSON.stringify(file)}, { timeoutMs: 60_000 });
  appendFileSync(${JSON.stringify(log)}, 'in ' + process.pid + '\\n');
  await new Promise((resolve) => setTimeout(resolve, 5));
  appendFileSync(${JSON.stringify(log)}, 'out ' + process.pid + '\\n');
  await release();
}`,
        ],
        { stdio: ['ignore', 'inherit', 'inherit'] },
      ),
    );
    const codes = await Promise.all(children.map(async (child) => (await once(child, 'exit'))[0]));
    assert.deepEqual(codes, [0, 0, 0, 0]);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    assert.equal(lines.length, 4 * 40 * 2);
    for (let i = 0; i < lines.length; i += 2) {
      assert.deepEqual([lines[i]!.split(' ')[0], lines[i + 1]!.split(' ')[0]], ['in', 'out'], `line ${i + 1}`);
      assert.equal(lines[i]!.split(' ')[1], lines[i + 1]!.split(' ')[1], `line ${i + 1}: another holder came in`);
    }
  });

  test("a lock whose holder was killed is taken over at once; a live holder's is not", async (t) => {
    const file = path.join(dir, 'killed.json');
    const holder = spawnInTest(t, process.execPath, holderArgs(file), { stdio: ['ignore', 'pipe', 'inherit'] });
    await once(holder.stdout!, 'data');
    // Alive, and fresh: another locker waits for it (staleMs is far away).
    await assert.rejects(lockFile(file, { staleMs: 60_000, timeoutMs: 100 }), /killed\.json\.lock is held by another/);
    holder.kill('SIGKILL');
    await once(holder, 'exit');
    assert.ok(existsSync(`${file}.lock`), 'a SIGKILL leaves the lock behind');
    const release = await lockFile(file, { staleMs: 60_000, timeoutMs: 100 });
    await release();
  });
});
