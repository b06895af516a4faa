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
import { createRequire, syncBuiltinESMExports } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isGymnosError } from '../../src/errors.js';
import { lockFile, removeAbandonedLock, tryLockFileSync } from '../../src/util/file_lock.js';
import { runChildSync, spawnInTest } from '../helpers/children.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'gymnos-lock-'));
/**
 * The staleness of the tests that hold a lock past it, kept fresh by its refresh (every third of it): one and a half
 * seconds, so that only an event loop kept from running for that long by the machine's load takes it for abandoned
 * (at 300 ms, a refresh 200 ms late would). The refresh's cadence itself is checked on a clock of its own below.
 */
const KEPT_FRESH_STALE_MS = 1_500;

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
    const release = await lockFile(file, { staleMs: KEPT_FRESH_STALE_MS, timeoutMs: 5_000 });
    await sleep(2 * KEPT_FRESH_STALE_MS + 100); // only the refresh keeps it from being stale
    await assert.rejects(lockFile(file, { staleMs: KEPT_FRESH_STALE_MS, timeoutMs: 200 }), (error: unknown) => {
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

/** A pid of this host that no longer runs: a child's, once it has ended. */
const endedPid = () => runChildSync(process.execPath, ['-e', '']).pid!;

/** A lock directory as a holder leaves it: its owner file (undefined: none), its mtime `ageMs` ago. */
function plantLock(lockDir: string, owner: unknown, ageMs = 0): void {
  mkdirSync(lockDir);
  if (owner !== undefined) writeFileSync(path.join(lockDir, 'owner.json'), JSON.stringify(owner));
  const time = new Date(Date.now() - ageMs);
  utimesSync(lockDir, time, time);
}

const STALE = 60_000;
/** A holder this host cannot check (another host's): only a lock's age says it was abandoned. */
const FAR = { pid: 1, host: 'elsewhere.example', id: 'far' };

/** Replaces a function of a built-in module for `run`, as every module that imports it sees it. */
async function withBuiltin<T>(
  name: string,
  key: string,
  replacement: (original: (...args: never[]) => unknown) => unknown,
  run: () => Promise<T>,
): Promise<T> {
  const builtin = createRequire(import.meta.url)(name) as Record<string, (...args: never[]) => unknown>;
  const original = builtin[key]!;
  builtin[key] = replacement(original) as (...args: never[]) => unknown;
  syncBuiltinESMExports();
  try {
    return await run();
  } finally {
    builtin[key] = original;
    syncBuiltinESMExports();
  }
}

describe('lockFile and who holds a lock', () => {
  test('a lock held on another host is waited for, never taken for dead; the error names the host', async () => {
    const file = path.join(dir, 'remote.json');
    const pid = endedPid();
    plantLock(`${file}.lock`, { pid, host: 'elsewhere.example', id: 'x' });
    await assert.rejects(lockFile(file, { staleMs: STALE, timeoutMs: 150 }), (error: unknown) => {
      assert.ok(isGymnosError(error));
      assert.equal(error.code, 'LOCK_TIMEOUT');
      assert.equal(error.kind, 'failure');
      assert.match(
        error.message,
        /remote\.json\.lock is held by another process \(pid \d+ on elsewhere\.example\); remove/,
      );
      assert.deepEqual(error.details, { file: `${file}.lock`, timeoutMs: 150, pid, host: 'elsewhere.example' });
      return true;
    });
    assert.ok(existsSync(`${file}.lock/owner.json`));
  });

  test('an owner file without a numeric pid and a host names no holder: the lock is waited for', async () => {
    const pid = endedPid();
    const owners = [{ host: os.hostname() }, { pid }, { pid: String(pid), host: os.hostname() }, '{"pid":'];
    for (const [index, owner] of owners.entries()) {
      const file = path.join(dir, `owner-${index}.json`);
      mkdirSync(`${file}.lock`);
      writeFileSync(`${file}.lock/owner.json`, typeof owner === 'string' ? owner : JSON.stringify(owner));
      await assert.rejects(lockFile(file, { staleMs: STALE, timeoutMs: 100 }), (error: unknown) => {
        assert.ok(isGymnosError(error));
        assert.match(error.message, /\.lock is held by another process; remove it if/, JSON.stringify(owner));
        assert.deepEqual(error.details, { file: `${file}.lock`, timeoutMs: 100 }, JSON.stringify(owner));
        return true;
      });
    }
  });

  test('a holder the system will not let us signal (EPERM: another user) runs: its lock is waited for', async () => {
    const file = path.join(dir, 'other-user.json');
    const pid = endedPid();
    plantLock(`${file}.lock`, { pid, host: os.hostname(), id: 'x' });
    const kill = process.kill;
    process.kill = ((target: number, signal?: string | number) => {
      if (target !== pid) return kill.call(process, target, signal);
      throw Object.assign(new Error('kill EPERM'), { code: 'EPERM' });
    }) as typeof process.kill;
    try {
      await assert.rejects(lockFile(file, { staleMs: STALE, timeoutMs: 100 }), { code: 'LOCK_TIMEOUT' });
    } finally {
      process.kill = kill;
    }
    // Once the system says it has ended, the lock goes at once.
    await (
      await lockFile(file, { staleMs: STALE, timeoutMs: 100 })
    )();
  });

  test("a lock in a directory that does not exist fails at once, with the file system's error", async () => {
    await assert.rejects(lockFile(path.join(dir, 'missing', 'file.json'), { timeoutMs: 60_000 }), { code: 'ENOENT' });
  });

  test('waits grow: a few milliseconds at first, then up to about fifty, randomized', async () => {
    const file = path.join(dir, 'backoff.json');
    plantLock(`${file}.lock`, { pid: process.ppid, host: os.hostname(), id: 'x' });
    const waits: number[] = [];
    const random = Math.random;
    Math.random = () => 0.5;
    try {
      const release = await withBuiltin(
        'node:timers/promises',
        'setTimeout',
        () => async (ms: number) => {
          waits.push(ms);
          if (waits.length === 8) rmSync(`${file}.lock`, { recursive: true });
        },
        () => lockFile(file, { staleMs: STALE, timeoutMs: 60_000 }),
      );
      await release();
    } finally {
      Math.random = random;
    }
    assert.deepEqual(waits, [2.5, 3, 4, 6, 10, 18, 27, 27]);
  });
});

describe('taking over an abandoned lock', () => {
  test('a takeover guard left by a killed taker goes; one a running taker holds is waited for', async () => {
    const file = path.join(dir, 'guarded.json');
    plantLock(`${file}.lock`, FAR, STALE);
    plantLock(`${file}.lock.takeover`, { pid: process.ppid, host: os.hostname(), id: 'taker' });
    await assert.rejects(lockFile(file, { staleMs: 10_000, timeoutMs: 150 }), { code: 'LOCK_TIMEOUT' });
    assert.ok(existsSync(`${file}.lock`), 'the stale lock waits for the running taker');
    rmSync(`${file}.lock.takeover`, { recursive: true });
    plantLock(`${file}.lock.takeover`, { pid: endedPid(), host: os.hostname(), id: 'killed taker' });
    const release = await lockFile(file, { staleMs: 10_000, timeoutMs: 5_000 });
    assert.ok(!existsSync(`${file}.lock.takeover`), 'the guard is let go once the lock is taken');
    await release();
    assert.deepEqual(
      readdirSync(dir).filter((name) => name.startsWith('guarded')),
      [],
    );
  });

  test("a lock renewed between the look and the takeover is its new holder's: it stays", async () => {
    const file = path.join(dir, 'renewed.json');
    const lockDir = `${file}.lock`;
    plantLock(lockDir, FAR, STALE);
    let renewed = false;
    await withBuiltin(
      'node:fs/promises',
      'stat',
      (stat) =>
        async (...args: never[]) => {
          const result = await (stat as (...args: never[]) => Promise<unknown>)(...args);
          if (!renewed && String(args[0]) === lockDir) {
            // Seen stale; before this taker gets the guard, another has taken the lock over.
            renewed = true;
            rmSync(lockDir, { recursive: true });
            plantLock(lockDir, { pid: process.ppid, host: os.hostname(), id: 'new holder' });
          }
          return result;
        },
      () => assert.rejects(lockFile(file, { staleMs: 10_000, timeoutMs: 150 }), { code: 'LOCK_TIMEOUT' }),
    );
    assert.ok(renewed);
    assert.equal(JSON.parse(readFileSync(`${lockDir}/owner.json`, 'utf8')).id, 'new holder');
    assert.ok(!existsSync(`${lockDir}.takeover`));
  });

  test("removeAbandonedLock removes a lock a killed process left, and leaves a running holder's", async () => {
    const gone = path.join(dir, 'gone.json');
    plantLock(`${gone}.lock`, { pid: endedPid(), host: os.hostname(), id: 'x' });
    const stale = path.join(dir, 'stale-only.json');
    plantLock(`${stale}.lock`, FAR, STALE);
    const live = path.join(dir, 'live.json');
    plantLock(`${live}.lock`, { pid: process.ppid, host: os.hostname(), id: 'x' });
    for (const file of [gone, stale, live, path.join(dir, 'never-locked.json')]) await removeAbandonedLock(file);
    assert.ok(!existsSync(`${gone}.lock`), 'its holder has ended');
    assert.ok(!existsSync(`${stale}.lock`), 'stale');
    assert.ok(existsSync(`${live}.lock/owner.json`), 'its holder runs');
    assert.deepEqual(
      readdirSync(dir).filter((name) => /^(gone|stale-only|never-locked)/.test(name)),
      [],
      'no guard left behind',
    );
  });

  test('tryLockFileSync takes a free lock at once, keeps it fresh, and gives nothing while it is held', async () => {
    const file = path.join(dir, 'sync.json');
    const release = tryLockFileSync(file, { staleMs: KEPT_FRESH_STALE_MS });
    assert.ok(release);
    assert.equal(tryLockFileSync(file), undefined);
    await sleep(2 * KEPT_FRESH_STALE_MS + 100); // only the refresh keeps it from being stale
    await assert.rejects(lockFile(file, { staleMs: KEPT_FRESH_STALE_MS, timeoutMs: 200 }), { code: 'LOCK_TIMEOUT' });
    release.sync();
    assert.ok(!existsSync(`${file}.lock`));
    const again = tryLockFileSync(file);
    assert.ok(again);
    again.sync();
  });
});

describe('what a taker finds changed under it', () => {
  test('a guard another taker removed between the look and the removal: the lock is taken all the same', async () => {
    const file = path.join(dir, 'guard-gone.json');
    const guard = `${file}.lock.takeover`;
    plantLock(`${file}.lock`, FAR, STALE);
    plantLock(guard, FAR, STALE); // a taker's this host cannot check: only its age tells
    let removed = false;
    const release = await withBuiltin(
      'node:fs/promises',
      'stat',
      (stat) =>
        async (...args: never[]) => {
          const result = await (stat as (...args: never[]) => Promise<unknown>)(...args);
          if (!removed && String(args[0]) === guard) {
            removed = true;
            rmSync(guard, { recursive: true });
          }
          return result;
        },
      () => lockFile(file, { staleMs: 10_000, timeoutMs: 5_000 }),
    );
    assert.ok(removed);
    await release();
    assert.ok(!existsSync(`${file}.lock`) && !existsSync(guard));
  });

  test('a stale lock its slow holder releases during the takeover: the lock is taken all the same', async () => {
    const file = path.join(dir, 'released-meanwhile.json');
    const lockDir = `${file}.lock`;
    plantLock(lockDir, FAR, STALE);
    let looks = 0;
    const release = await withBuiltin(
      'node:fs/promises',
      'stat',
      (stat) =>
        async (...args: never[]) => {
          const result = await (stat as (...args: never[]) => Promise<unknown>)(...args);
          // The second look is the one under the guard: still stale; then its holder lets go.
          if (String(args[0]) === lockDir && ++looks === 2) rmSync(lockDir, { recursive: true });
          return result;
        },
      () => lockFile(file, { staleMs: 10_000, timeoutMs: 5_000 }),
    );
    assert.equal(looks, 2);
    const owner = JSON.parse(readFileSync(`${lockDir}/owner.json`, 'utf8'));
    assert.equal(owner.pid, process.pid);
    await release();
  });
});

/**
 * Runs `run` on a clock of its own: Date.now() starts at the real time and moves only by the waits lockFile asks
 * for (each resolved at once), so what it says and when does not depend on the machine's load. `onWait` sees each
 * wait with the clock's time since the start, after the clock has moved.
 */
async function onOwnClock<T>(onWait: (elapsed: number) => void, run: () => Promise<T>): Promise<T> {
  const now = Date.now;
  const start = now();
  let elapsed = 0;
  const random = Math.random;
  Date.now = () => start + elapsed;
  Math.random = () => 0; // every wait is its shortest, 2 ms
  try {
    return await withBuiltin(
      'node:timers/promises',
      'setTimeout',
      () => async (ms: number) => {
        elapsed += ms;
        onWait(elapsed);
      },
      run,
    );
  } finally {
    Date.now = now;
    Math.random = random;
  }
}

// The notice is tested on the lock's own clock: on a loaded machine a real second of waiting may pass between two
// looks, or a holder's short hold last a second.
describe('the notice that a locker waits', () => {
  test('comes once, a second after one holder took the lock, naming it', async () => {
    const file = path.join(dir, 'notice-one.json');
    plantLock(`${file}.lock`, { pid: process.ppid, host: os.hostname(), id: 'one' });
    const notices: Array<[number, string]> = [];
    let clock = 0;
    const release = await onOwnClock(
      (elapsed) => {
        clock = elapsed;
        if (elapsed === 1_500) rmSync(`${file}.lock`, { recursive: true });
      },
      () => lockFile(file, { staleMs: STALE, timeoutMs: 60_000, onWait: (line) => notices.push([clock, line]) }),
    );
    await release();
    assert.deepEqual(notices, [
      [1_000, `waiting for ${file}.lock, held by another process (pid ${process.ppid}), for up to 60 s`],
    ]);
  });

  test('never comes for holders that take turns, however long the wait', async () => {
    const file = path.join(dir, 'notice-turns.json');
    const holder = (n: number) => ({ pid: process.ppid, host: os.hostname(), id: `holder ${n}` });
    plantLock(`${file}.lock`, holder(0));
    const notices: string[] = [];
    const release = await onOwnClock(
      (elapsed) => {
        // A new holder every 600 ms for 3 s, the lock then free.
        if (elapsed % 600 !== 0) return;
        rmSync(`${file}.lock`, { recursive: true });
        if (elapsed < 3_000) plantLock(`${file}.lock`, holder(elapsed / 600));
      },
      () => lockFile(file, { staleMs: STALE, timeoutMs: 60_000, onWait: (line) => notices.push(line) }),
    );
    await release();
    assert.deepEqual(notices, []);
  });
});

describe('keeping a held lock fresh', () => {
  test('every third of staleMs, never more often than every 10 ms; stopped once the lock is gone', async () => {
    const intervals: Array<{ ms: number; refresh: () => void; handle: unknown }> = [];
    const cleared: unknown[] = [];
    const { setInterval: realSetInterval, clearInterval: realClearInterval } = globalThis;
    globalThis.setInterval = ((refresh: () => void, ms: number) => {
      const handle = realSetInterval(refresh, ms);
      intervals.push({ ms, refresh, handle });
      return handle;
    }) as typeof setInterval;
    globalThis.clearInterval = ((handle: Parameters<typeof clearInterval>[0]) => {
      cleared.push(handle);
      realClearInterval(handle);
    }) as typeof clearInterval;
    try {
      const file = path.join(dir, 'fresh.json');
      const release = await lockFile(file, { staleMs: 300 });
      const tiny = await lockFile(path.join(dir, 'fresh-tiny.json'), { staleMs: 3 });
      assert.deepEqual(
        intervals.map(({ ms }) => ms),
        [100, 10],
      );
      // Removed by someone else: the next refresh finds it gone and stops.
      rmSync(`${file}.lock`, { recursive: true });
      intervals[0]!.refresh();
      for (let turn = 0; turn < 1_000 && !cleared.includes(intervals[0]!.handle); turn++) await sleep(5);
      assert.ok(cleared.includes(intervals[0]!.handle), 'the refresh stopped');
      assert.ok(!existsSync(`${file}.lock`), 'and did not bring the lock back');
      await release();
      await tiny();
    } finally {
      globalThis.setInterval = realSetInterval;
      globalThis.clearInterval = realClearInterval;
    }
  });
});

describe('releasing a lock', () => {
  test('a release removes the lock whatever was removed from it', async () => {
    const file = path.join(dir, 'release.json');
    const ownerless = await lockFile(file);
    rmSync(`${file}.lock/owner.json`);
    ownerless.sync();
    assert.ok(!existsSync(`${file}.lock`), 'no owner file');
    const removed = await lockFile(file);
    rmSync(`${file}.lock`, { recursive: true });
    await removed();
    assert.ok(!existsSync(`${file}.lock`), 'already removed');
  });

  test('a process that exits holding a lock (process.exit, an uncaught error) releases it', () => {
    const lockModule = pathToFileURL(path.resolve('src/util/file_lock.ts')).href;
    const loader = pathToFileURL(path.resolve('test/loader/register.mjs')).href;
    for (const [index, ending] of ['process.exit(0);', "throw new Error('boom');"].entries()) {
      const file = path.join(dir, `exit-${index}.json`);
      const child = runChildSync(process.execPath, [
        '--import',
        loader,
        '--input-type=module',
        '-e',
        `const { lockFile } = await import(${JSON.stringify(lockModule)});
await lockFile(${JSON.stringify(file)});
if (!(await import('node:fs')).existsSync(${JSON.stringify(`${file}.lock`)})) process.exit(3);
${ending}`,
      ]);
      assert.equal(child.status, index === 0 ? 0 : 1, child.stderr);
      assert.ok(!existsSync(`${file}.lock`), ending);
    }
  });
});

/** An error as the file system gives it. */
const fault = (code: string, syscall: string) => Object.assign(new Error(`${code}: ${syscall}`), { code, syscall });

/** `original`, except on `target` (once, or every time), where `instead` runs. */
function on(
  target: string,
  instead: (original: (...args: never[]) => unknown, ...args: never[]) => unknown,
  { once = false } = {},
) {
  return (original: (...args: never[]) => unknown) => {
    let done = false;
    return (...args: never[]) => {
      if (String(args[0]) !== target || (once && done)) return original(...args);
      done = true;
      return instead(original, ...args);
    };
  };
}

describe('the two steps of taking a lock, and what happens between them', () => {
  test('without room for its owner file (a full disk) a lock is still taken, held by a marker', async () => {
    const file = path.join(dir, 'full.json');
    const lockDir = `${file}.lock`;
    const noRoom = on(path.join(lockDir, 'owner.json'), () => {
      throw fault('ENOSPC', 'open');
    });
    const release = await withBuiltin('node:fs', 'writeFileSync', noRoom, () => lockFile(file, { timeoutMs: 2_000 }));
    assert.deepEqual(readdirSync(lockDir), ['held']);
    // Held, not empty: no other taker removes it, and it is not abandoned while fresh.
    assert.equal(tryLockFileSync(file), undefined);
    await removeAbandonedLock(file, { staleMs: STALE });
    assert.ok(existsSync(path.join(lockDir, 'held')));
    await release();
    assert.ok(!existsSync(lockDir), 'released whole');
  });

  test('without room for the marker either, the lock is not taken: the error, and nothing left', async () => {
    const file = path.join(dir, 'no-room.json');
    const lockDir = `${file}.lock`;
    await withBuiltin(
      'node:fs',
      'writeFileSync',
      on(path.join(lockDir, 'owner.json'), () => {
        throw fault('ENOSPC', 'open');
      }),
      () =>
        withBuiltin(
          'node:fs',
          'mkdirSync',
          on(path.join(lockDir, 'held'), () => {
            throw fault('ENOSPC', 'mkdir');
          }),
          () => assert.rejects(lockFile(file, { timeoutMs: 2_000 }), { code: 'ENOSPC' }),
        ),
    );
    assert.ok(!existsSync(lockDir));
  });

  test('a lock removed as empty between our mkdir and our owner file is taken again, and held', async () => {
    const file = path.join(dir, 'removed-between.json');
    const lockDir = `${file}.lock`;
    // Another taker's removeEmptyLock, between the two steps: the owner file's exclusive create finds no directory.
    const removedFirst = on(
      path.join(lockDir, 'owner.json'),
      (write, ...args) => {
        rmSync(lockDir, { recursive: true });
        return write(...args);
      },
      { once: true },
    );
    const release = await withBuiltin('node:fs', 'writeFileSync', removedFirst, async () => tryLockFileSync(file));
    assert.ok(release, 'taken on the second try');
    assert.equal(JSON.parse(readFileSync(path.join(lockDir, 'owner.json'), 'utf8')).pid, process.pid);
    release.sync();
  });

  test('a lock another took between our mkdir and our owner file is theirs, never overwritten', async () => {
    const file = path.join(dir, 'taken-between.json');
    const lockDir = `${file}.lock`;
    const theirs = { pid: process.ppid, host: os.hostname(), id: 'theirs' };
    // Our empty lock removed and created again by another, with its owner file, before ours is written.
    const takenFirst = on(
      path.join(lockDir, 'owner.json'),
      (write, ...args) => {
        write(...([path.join(lockDir, 'owner.json'), JSON.stringify(theirs)] as never[]));
        return write(...args);
      },
      { once: true },
    );
    const release = await withBuiltin('node:fs', 'writeFileSync', takenFirst, async () => tryLockFileSync(file));
    assert.equal(release, undefined);
    assert.deepEqual(JSON.parse(readFileSync(path.join(lockDir, 'owner.json'), 'utf8')), theirs);
    rmSync(lockDir, { recursive: true });
  });

  test('each holding has an id of its own, even in one process: the wait notice tells them apart', async () => {
    const file = path.join(dir, 'ids.json');
    const ids = [];
    for (let holding = 0; holding < 2; holding++) {
      const release = await lockFile(file);
      ids.push(JSON.parse(readFileSync(`${file}.lock/owner.json`, 'utf8')).id);
      await release();
    }
    assert.equal(new Set(ids).size, 2, ids.join(' '));
    assert.ok(
      ids.every((id) => typeof id === 'string' && id.startsWith(`${process.pid}.`)),
      ids.join(' '),
    );
  });

  test('an empty lock is taken at once by tryLockFileSync, and removed by removeAbandonedLock', async () => {
    const file = path.join(dir, 'empty-sync.json');
    const lockDir = `${file}.lock`;
    plantLock(lockDir, undefined);
    const release = tryLockFileSync(file, { staleMs: STALE });
    assert.ok(release, 'taken at once');
    assert.equal(JSON.parse(readFileSync(path.join(lockDir, 'owner.json'), 'utf8')).pid, process.pid);
    release.sync();
    plantLock(lockDir, undefined);
    await removeAbandonedLock(file, { staleMs: STALE });
    assert.ok(!existsSync(lockDir), 'removed at once, however fresh');
  });

  test('a lock released between the look and the removal of an empty one is taken at once', async () => {
    const file = path.join(dir, 'released-between.json');
    const lockDir = `${file}.lock`;
    plantLock(lockDir, { pid: process.ppid, host: os.hostname(), id: 'leaving' });
    // Its holder releases it just as we try to remove it as empty: rmdir finds nothing.
    const releasedFirst = on(
      lockDir,
      (rmdir, ...args) => {
        rmSync(lockDir, { recursive: true });
        return rmdir(...args);
      },
      { once: true },
    );
    const release = await withBuiltin('node:fs', 'rmdirSync', releasedFirst, async () => tryLockFileSync(file));
    assert.ok(release);
    release.sync();
  });

  test("a held lock's rmdir: not empty is not ours (ENOTEMPTY or EEXIST); any other error is thrown", async () => {
    const file = path.join(dir, 'rmdir-faults.json');
    const lockDir = `${file}.lock`;
    plantLock(lockDir, { pid: process.ppid, host: os.hostname(), id: 'holder' });
    const failing = (code: string) =>
      on(lockDir, () => {
        throw fault(code, 'rmdir');
      });
    // Some systems say EEXIST for a directory that is not empty.
    await withBuiltin('node:fs', 'rmdirSync', failing('EEXIST'), async () =>
      assert.equal(tryLockFileSync(file), undefined),
    );
    await withBuiltin('node:fs', 'rmdirSync', failing('EIO'), async () =>
      assert.throws(() => tryLockFileSync(file), { code: 'EIO' }),
    );
    assert.ok(existsSync(path.join(lockDir, 'owner.json')));
    rmSync(lockDir, { recursive: true });
  });

  test('an empty takeover guard goes at once; one another taker takes just after is waited for', async () => {
    const file = path.join(dir, 'empty-guard.json');
    const guard = `${file}.lock.takeover`;
    plantLock(`${file}.lock`, FAR, STALE);
    plantLock(guard, undefined);
    const release = await lockFile(file, { staleMs: STALE, timeoutMs: 2_000 });
    await release();
    assert.ok(!existsSync(guard));
    plantLock(`${file}.lock`, FAR, STALE);
    plantLock(guard, undefined);
    // The empty guard removed, another taker creates its own before we do.
    const takenFirst = on(
      guard,
      (rmdir, ...args) => {
        rmdir(...args);
        plantLock(guard, { pid: process.ppid, host: os.hostname(), id: 'other taker' });
      },
      { once: true },
    );
    await withBuiltin('node:fs', 'rmdirSync', takenFirst, () =>
      assert.rejects(lockFile(file, { staleMs: STALE, timeoutMs: 300 }), { code: 'LOCK_TIMEOUT' }),
    );
    assert.equal(JSON.parse(readFileSync(path.join(guard, 'owner.json'), 'utf8')).id, 'other taker');
    rmSync(guard, { recursive: true });
    rmSync(`${file}.lock`, { recursive: true });
  });
});

describe('what a release cannot remove', () => {
  test('an owner file, a marker or a directory that cannot be removed fails the release, saying why', async () => {
    const file = path.join(dir, 'release-faults.json');
    const lockDir = `${file}.lock`;
    for (const [builtin, key, target] of [
      ['node:fs', 'unlinkSync', path.join(lockDir, 'owner.json')],
      ['node:fs', 'rmdirSync', lockDir],
    ] as const) {
      const release = await lockFile(file);
      await withBuiltin(
        builtin,
        key,
        on(target, () => {
          throw fault('EIO', key);
        }),
        async () => assert.throws(() => release.sync(), { code: 'EIO' }),
      );
      rmSync(lockDir, { recursive: true, force: true });
    }
    // Held by its marker (no room for the owner file), which cannot be removed.
    const noRoom = on(path.join(lockDir, 'owner.json'), () => {
      throw fault('ENOSPC', 'open');
    });
    const marked = await withBuiltin('node:fs', 'writeFileSync', noRoom, () => lockFile(file));
    const stuck = on(path.join(lockDir, 'held'), () => {
      throw fault('EIO', 'rmdir');
    });
    await withBuiltin('node:fs', 'rmdirSync', stuck, async () => assert.throws(() => marked.sync(), { code: 'EIO' }));
    rmSync(lockDir, { recursive: true, force: true });
  });

  test('a lock another took once ours was empty stays theirs (ENOTEMPTY, or EEXIST on some systems)', async () => {
    const file = path.join(dir, 'release-taken.json');
    const lockDir = `${file}.lock`;
    // Linux says ENOTEMPTY for the new holder's lock, some systems EEXIST: the directory is the new holder's.
    for (const code of ['ENOTEMPTY', 'EEXIST']) {
      const release = await lockFile(file);
      const takenMeanwhile = on(lockDir, () => {
        throw fault(code, 'rmdir');
      });
      await withBuiltin('node:fs', 'rmdirSync', takenMeanwhile, () => release());
      assert.ok(existsSync(lockDir), `the new holder's lock (${code})`);
      rmSync(lockDir, { recursive: true });
    }
  });
});
