/**
 * `gymnos sync`'s work (trackers/remote/sync.ts) on its own, without a server: the walk of a logdir for spools, each
 * delivered by a backend faked in memory (or the mlflow one where no request is made), and what each run's result
 * says (status, counts, ids, error, warnings, killed), as `gymnos sync` prints it and `--json` gives it; then
 * mlflow's part (trackers/mlflow/sync.ts): where a spool goes, and the URIs a user gives.
 */
import assert from 'node:assert/strict';
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import fsPromises, { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { GymnosError } from '../../src/errors.js';
import { checkSyncInputs, MLFLOW_SYNC_BACKEND } from '../../src/trackers/mlflow/sync.js';
import type { DeliveryReport } from '../../src/trackers/remote/ledger.js';
import type { RunMeta } from '../../src/trackers/remote/spool.js';
import { syncLogdir } from '../../src/trackers/remote/sync.js';
import type { SpoolDeliveryOptions, SyncBackend, SyncedRun } from '../../src/trackers/remote/sync.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-remote-sync-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const zero = { metrics: 0, params: 0, tags: 0, artifacts: 0 };

describe('gymnos sync: every spool under a logdir, each with its backend', () => {
  /** A spool directory with a run.json (`meta` over a valid one; `null`: no run.json at all). */
  async function spoolAt(relative: string, meta: Record<string, unknown> | null = {}) {
    const spoolDir = path.join(dir, relative);
    await mkdir(spoolDir, { recursive: true });
    if (meta !== null) {
      const full = {
        version: 1,
        trackingUri: 'http://recorded.test',
        runName: 'r',
        gymnosRunId: path.basename(relative),
        startTime: 1,
        ...meta,
      };
      writeFileSync(path.join(spoolDir, 'run.json'), JSON.stringify(full));
    }
    return spoolDir;
  }

  const report = (fields: Partial<DeliveryReport> = {}): DeliveryReport => ({
    trackingUri: 'http://target.test',
    runId: 'backend-run',
    complete: true,
    logged: { ...zero },
    delivered: { ...zero },
    undelivered: { ...zero, status: undefined },
    rejected: [],
    rejectedCount: 0,
    refused: { ...zero },
    dropped: { ...zero },
    spoolDir: '',
    spoolError: undefined,
    lastError: undefined,
    ...fields,
  });

  /** A backend whose deliveries answer with the reports given per run id (or throw them), recording the options. */
  function fakeBackend(
    reports: Record<string, DeliveryReport | Error | ((options: SpoolDeliveryOptions) => DeliveryReport)>,
  ) {
    const calls: { spoolDir: string; options: SpoolDeliveryOptions }[] = [];
    const backend: SyncBackend = {
      targetUri: (meta, trackingUri) => trackingUri ?? meta?.trackingUri ?? '',
      runIdOf: (meta) => (meta as { fakeRunId?: string } | undefined)?.fakeRunId,
      deliverSpool: async (spoolDir, options) => {
        calls.push({ spoolDir, options });
        const answer = reports[path.basename(spoolDir)];
        if (answer instanceof Error) throw answer;
        if (typeof answer === 'function') return answer(options);
        return answer ?? report();
      },
    };
    return { backend, calls };
  }

  /** A run its sync sent nothing of, with no id known: what `fields` do not say is empty. */
  const notSent = (
    fields: Pick<SyncedRun, 'runId' | 'spoolDir' | 'status' | 'backend' | 'trackingUri' | 'error'>,
  ): SyncedRun => ({
    experimentId: null,
    backendRunId: null,
    mlflowRunId: null,
    killed: false,
    delivered: { ...zero, status: null },
    undelivered: { ...zero, status: null },
    rejected: [],
    rejectedCount: 0,
    warnings: [],
    ...fields,
  });

  test('finds every spool (sorted; not in node_modules, .git, a lock, a spool), runs said as they go', async () => {
    // Sorted by the whole path, whatever order the file system lists (a-b/… before a/…: '-' sorts before '/').
    await spoolAt('b/run-2', { fakeRunId: 'x' });
    await spoolAt('a/run-1');
    await spoolAt('a-b/run-3');
    await spoolAt('a/run-1/inner');
    await spoolAt('node_modules/pkg');
    await spoolAt('.git/run');
    await spoolAt('c.lock/run');
    await spoolAt('d/not-a-spool', { version: 2 });
    await spoolAt('e/no-meta', null);
    writeFileSync(path.join(dir, 'f-file'), '');
    const { backend, calls } = fakeBackend({});
    const seen: string[] = [];
    const runs = await syncLogdir(dir, { mlflow: backend }, { onRun: (run) => seen.push(run.runId) });
    assert.deepEqual(
      calls.map((call) => path.relative(dir, call.spoolDir)),
      [path.join('a-b', 'run-3'), path.join('a', 'run-1'), path.join('b', 'run-2')],
    );
    assert.deepEqual(seen, ['run-3', 'run-1', 'run-2']);
    assert.deepEqual(
      runs.map((run) => run.runId),
      ['run-3', 'run-1', 'run-2'],
    );
  });

  test("the walk follows no symbolic link: a run.json linked to a spool's is not a second spool", async () => {
    await spoolAt('real');
    await mkdir(path.join(dir, 'linked'));
    writeFileSync(path.join(dir, 'linked', 'queue.jsonl'), '');
    symlinkSync(path.join(dir, 'real', 'run.json'), path.join(dir, 'linked', 'run.json'));
    symlinkSync(path.join(dir, 'real'), path.join(dir, 'linked-dir'));
    const { backend, calls } = fakeBackend({});
    await syncLogdir(dir, { mlflow: backend });
    assert.deepEqual(
      calls.map((call) => path.relative(dir, call.spoolDir)),
      ['real'],
    );
  });

  test('a run.json of another shape is no spool: a field of another type, null, an array, torn, a folder', async () => {
    await spoolAt('good');
    await spoolAt('uri', { trackingUri: 5 });
    await spoolAt('id', { gymnosRunId: 5 });
    await spoolAt('start', { startTime: '1' });
    for (const [name, text] of [
      ['null', 'null'],
      ['array', '[]'],
      ['torn', '{"version":1,'],
    ]) {
      await mkdir(path.join(dir, name));
      writeFileSync(path.join(dir, name, 'run.json'), text);
    }
    await mkdir(path.join(dir, 'folder', 'run.json'), { recursive: true });
    const { backend, calls } = fakeBackend({});
    await syncLogdir(dir, { mlflow: backend });
    assert.deepEqual(
      calls.map((call) => path.relative(dir, call.spoolDir)),
      ['good'],
    );
  });

  const fsError = (code: string, call: string, target: string) =>
    Object.assign(new Error(`${code}: ${call} '${target}'`), { code });

  /** Makes `call` (fs/promises' readFile or readdir) fail on `target` with `error`; returns what undoes it. */
  const fail = (call: 'readFile' | 'readdir', target: string, error: Error) => {
    const original = fsPromises[call] as (...args: unknown[]) => Promise<unknown>;
    (fsPromises as unknown as Record<string, unknown>)[call] = (file: unknown, ...rest: unknown[]) =>
      String(file) === target ? Promise.reject(error) : original(file, ...rest);
    syncBuiltinESMExports();
    return () => {
      (fsPromises as unknown as Record<string, unknown>)[call] = original;
      syncBuiltinESMExports();
    };
  };

  test('a directory or run.json gone, unreadable or not what its name says while the walk looks is none', async () => {
    await spoolAt('a');
    await spoolAt('b');
    for (const code of ['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM', 'ELOOP']) {
      for (const [call, target] of [
        ['readFile', path.join(dir, 'a', 'run.json')],
        ['readdir', path.join(dir, 'a')],
      ] as const) {
        const restore = fail(call, target, fsError(code, call, target));
        try {
          const { backend, calls } = fakeBackend({});
          await syncLogdir(dir, { mlflow: backend });
          assert.deepEqual(
            calls.map((made) => path.basename(made.spoolDir)),
            ['b'],
            `${code} on ${call}`,
          );
        } finally {
          restore();
        }
      }
    }
  });

  test("a disk's EIO on a run.json or a directory is reported, never taken for no spool", async () => {
    await spoolAt('a');
    for (const [call, target] of [
      ['readFile', path.join(dir, 'a', 'run.json')],
      ['readdir', path.join(dir, 'a')],
    ] as const) {
      const restore = fail(call, target, fsError('EIO', call, target));
      try {
        await assert.rejects(
          syncLogdir(dir, { mlflow: fakeBackend({}).backend }),
          {
            code: 'SPOOL_UNREADABLE',
            kind: 'failure',
            message: `${target}: cannot read it (EIO)`,
            hint: 'check the disk, then run gymnos sync again',
            details: { file: target, errorCode: 'EIO' }, // --json's error.details
          },
          call,
        );
      } finally {
        restore();
      }
    }
    // An error without a code is a bug of ours, thrown as it is (an internal error, with its stack).
    const bug = new TypeError('a bug');
    const restore = fail('readFile', path.join(dir, 'a', 'run.json'), bug);
    try {
      await assert.rejects(syncLogdir(dir, { mlflow: fakeBackend({}).backend }), (error) => error === bug);
    } finally {
      restore();
    }
    assert.equal((await syncLogdir(dir, { mlflow: fakeBackend({}).backend })).length, 1);
  });

  test('the backend run.json names (mlflow if none); one not known is said, the rest synced', async () => {
    await spoolAt('a', { backend: 'nope', trackingUri: 'http://recorded.test//' });
    await spoolAt('b', { backend: 'toString' });
    await spoolAt('c');
    const { backend } = fakeBackend({});
    const runs = await syncLogdir(dir, { mlflow: backend, fake: backend });
    assert.deepEqual(
      runs.map((run) => [run.runId, run.status, run.backend, run.error]),
      [
        ['a', 'failed', 'nope', 'its backend "nope" is not one of mlflow, fake'],
        ['b', 'failed', 'toString', 'its backend "toString" is not one of mlflow, fake'],
        ['c', 'delivered', 'mlflow', null],
      ],
    );
    assert.deepEqual(
      runs[0],
      notSent({
        runId: 'a',
        spoolDir: path.join(dir, 'a'),
        status: 'failed',
        backend: 'nope',
        trackingUri: 'http://recorded.test', // as every URI is shown: without its trailing slashes
        error: 'its backend "nope" is not one of mlflow, fake',
      }),
    );
  });

  test('delivered, in sync, incomplete, failed (why), with the counts, ids and warnings of each', async () => {
    await spoolAt('delivered', { backend: 'fake', pendingStatus: { status: 'FINISHED' } });
    await spoolAt('insync', { backend: 'fake', fakeRunId: 'known' });
    await spoolAt('fresh', { backend: 'fake' });
    await spoolAt('incomplete', { backend: 'fake', fakeRunId: 'known' });
    await spoolAt('stopped', { backend: 'fake', fakeRunId: 'known', pendingStatus: { status: 'FAILED' } });
    await spoolAt('timeout', { backend: 'fake', fakeRunId: 'known' });
    const rejected = [{ kind: 'param' as const, key: 'lr', reason: 'HTTP 400' }];
    const { backend } = fakeBackend({
      delivered: (options) => {
        options.onWarning('GYMNOS_FAKE_REJECTED', 'FakeTracker: something said');
        options.onWarning('GYMNOS_FAKE_REJECTED', 'tag "MyTracker: note" was not logged: HTTP 400'); // kept whole
        options.onWarning('GYMNOS_FAKE_UNAVAILABLE', 'said by the status');
        options.onWarning('GYMNOS_FAKE_DELIVERY_STOPPED', 'said by the error');
        return report({ delivered: { ...zero, metrics: 3 }, experimentId: '7' } as Partial<DeliveryReport>);
      },
      insync: report(),
      fresh: report(),
      incomplete: report({ delivered: { ...zero, params: 1 }, rejected, rejectedCount: 1 }),
      stopped: report({
        undelivered: { ...zero, metrics: 2, status: 'FAILED' },
        stoppedReason: 'run deleted',
        lastError: 'run deleted',
      }),
      timeout: report({
        undelivered: { ...zero, tags: 1, status: undefined },
        lastError: 'request timed out after 10 s',
      }),
    });
    const runs = await syncLogdir(dir, { fake: backend }, { timeoutMs: 1_000 });
    const byId = Object.fromEntries(runs.map((run) => [run.runId, run])) as Record<string, SyncedRun>;
    assert.deepEqual(byId.delivered, {
      runId: 'delivered',
      spoolDir: path.join(dir, 'delivered'),
      status: 'delivered',
      killed: false,
      backend: 'fake',
      trackingUri: 'http://target.test',
      experimentId: '7',
      backendRunId: 'backend-run',
      mlflowRunId: 'backend-run',
      delivered: { ...zero, metrics: 3, status: 'FINISHED' },
      undelivered: { ...zero, status: null },
      rejected: [],
      rejectedCount: 0,
      error: null,
      warnings: ['something said', 'tag "MyTracker: note" was not logged: HTTP 400'],
    });
    assert.equal(byId.insync!.status, 'in-sync');
    assert.equal(byId.fresh!.status, 'delivered', 'a run created now is news, even with nothing else sent');
    assert.deepEqual([byId.incomplete!.status, byId.incomplete!.error], ['incomplete', 'the server refused 1 item(s)']);
    assert.deepEqual(byId.incomplete!.rejected, rejected);
    assert.deepEqual(
      [byId.stopped!.status, byId.stopped!.error, byId.stopped!.undelivered, byId.stopped!.delivered.status],
      ['failed', 'run deleted', { ...zero, metrics: 2, status: 'FAILED' }, null],
    );
    assert.deepEqual(
      [byId.timeout!.status, byId.timeout!.error],
      [
        'failed',
        'http://target.test did not answer in time (request timed out after 10 s); a server that needs longer per ' +
          'request can be given it with --request-timeout <seconds>',
      ],
    );
  });

  test('whatever is left fails a run (the kinds added, never set off); a timeout overcome is no error', async () => {
    // Each its own server: a run that sent nothing and failed would leave the next runs of its server untried.
    const names = ['metric-param', 'tag-artifact', 'status', 'more', 'retried'];
    for (const name of names) {
      await spoolAt(name, { backend: 'fake', trackingUri: `http://${name}.test`, fakeRunId: 'known' });
    }
    const { backend } = fakeBackend({
      'metric-param': report({ undelivered: { ...zero, metrics: 1, params: 1, status: undefined } }),
      'tag-artifact': report({ undelivered: { ...zero, tags: 1, artifacts: 1, status: undefined } }),
      status: report({ delivered: { ...zero, metrics: 2 }, undelivered: { ...zero, status: 'FINISHED' } }),
      more: report({ delivered: { ...zero, metrics: 2 } }),
      retried: report({
        delivered: { ...zero, metrics: 1 },
        lastError: 'runs/log-batch: request timed out after 10 s',
      }),
    });
    const runs = await syncLogdir(dir, { fake: backend });
    const noAnswer = 'http://target.test did not take it in time (no answer)';
    assert.deepEqual(
      runs.map((run) => [run.runId, run.status, run.error]),
      [
        ['metric-param', 'failed', noAnswer],
        ['more', 'delivered', null],
        ['retried', 'delivered', null],
        ['status', 'failed', noAnswer],
        ['tag-artifact', 'failed', noAnswer],
      ],
    );
  });

  test('a spool whose cursor cannot move (a full disk) fails its run for that, not for the server', async () => {
    await spoolAt('stuck', { backend: 'fake' });
    await spoolAt('at-the-end', { backend: 'fake' });
    const full = "ENOSPC: no space left on device, open '.queue.offset.1'";
    const { backend } = fakeBackend({
      // The delivery stops reading the spool there, and says so in a warning the run's error says better.
      stuck: (options) => {
        options.onWarning('GYMNOS_FAKE_SPOOL_UNAVAILABLE', `cannot write the spool (${full})`);
        return report({
          delivered: { ...zero, metrics: 1 },
          undelivered: { ...zero, metrics: 1, status: undefined },
          spoolError: full,
        });
      },
      // Everything was taken before: delivered (the next sync asks about the last request before sending it again).
      'at-the-end': report({ delivered: { ...zero, metrics: 1 }, spoolError: full }),
    });
    const runs = await syncLogdir(dir, { fake: backend });
    assert.deepEqual(
      runs.map((run) => [run.runId, run.status, run.error, run.warnings]),
      [
        ['at-the-end', 'delivered', null, []],
        [
          'stuck',
          'failed',
          `its spool could not be written (${full}); make it writable, then run gymnos sync again`,
          [],
        ],
      ],
    );
  });

  test('a run that made progress before it failed leaves its server to the next run', async () => {
    await spoolAt('a', { backend: 'fake' });
    await spoolAt('b', { backend: 'fake' });
    const { backend, calls } = fakeBackend({
      a: report({
        delivered: { ...zero, metrics: 1 },
        undelivered: { ...zero, metrics: 1, status: undefined },
        lastError: 'runs/log-batch: read ECONNRESET',
      }),
    });
    const runs = await syncLogdir(dir, { fake: backend });
    assert.deepEqual(
      runs.map((run) => [run.runId, run.status]),
      [
        ['a', 'failed'],
        ['b', 'delivered'],
      ],
    );
    assert.equal(calls.length, 2);
  });

  test('a spool whose run.json is gone when its turn comes is named by its directory, never a crash', async () => {
    await spoolAt('a');
    const b = await spoolAt('b');
    const goneOnA =
      (deliverB: SyncBackend['deliverSpool']): SyncBackend['deliverSpool'] =>
      (spoolDir, options) => {
        if (spoolDir === b) return deliverB(spoolDir, options);
        rmSync(path.join(b, 'run.json')); // deleted meanwhile, by hand or by a cleanup
        return Promise.resolve(report());
      };
    // The mlflow backend refuses it: the run fails, saying why; no request is made.
    const mlflow = { ...MLFLOW_SYNC_BACKEND, deliverSpool: goneOnA(MLFLOW_SYNC_BACKEND.deliverSpool) };
    const refused = await syncLogdir(dir, { mlflow }, { trackingUri: 'http://127.0.0.1:9' });
    assert.deepEqual(
      refused[1],
      notSent({
        runId: 'b',
        spoolDir: b,
        status: 'failed',
        backend: 'mlflow',
        trackingUri: 'http://127.0.0.1:9',
        error: `${b} holds no spool of a run (run.json)`,
      }),
    );
    // A backend that delivers it all the same (from what it keeps of its own): said as it says.
    await spoolAt('b');
    const delivered = await syncLogdir(dir, {
      mlflow: {
        ...fakeBackend({}).backend,
        deliverSpool: goneOnA(async () => report({ delivered: { ...zero, metrics: 1 } })),
      },
    });
    assert.deepEqual(
      [delivered[1]!.runId, delivered[1]!.backend, delivered[1]!.status, delivered[1]!.killed, delivered[1]!.delivered],
      ['b', 'mlflow', 'delivered', false, { ...zero, metrics: 1, status: null }],
    );
  });

  test('a run left without its run id, or not answered, fails; that server is not waited for again', async () => {
    await spoolAt('a', { backend: 'fake' });
    await spoolAt('b', { backend: 'fake' });
    await spoolAt('c', { backend: 'fake', trackingUri: 'http://other.test' });
    const { backend, calls } = fakeBackend({ a: report({ runId: undefined, lastError: undefined }) });
    const runs = await syncLogdir(dir, { fake: backend }, {});
    assert.deepEqual(
      runs.map((run) => [run.runId, run.status, run.error]),
      [
        ['a', 'failed', 'http://target.test did not take it in time (no answer)'],
        ['b', 'failed', 'not tried: http://recorded.test did not answer for run "a"'],
        ['c', 'delivered', null],
      ],
    );
    assert.equal(calls.length, 2);
  });

  test("what a run's delivery is given: the URI, the timeouts, the signal, an announced wait", async () => {
    await spoolAt('a', { backend: 'fake', trackingUri: 'http://alice:pw@recorded.test/' });
    const { backend, calls } = fakeBackend({
      a: (options) => {
        options.onOutage?.('ECONNREFUSED');
        return report();
      },
    });
    const signal = new AbortController().signal;
    const waits: string[][] = [];
    await syncLogdir(
      dir,
      { fake: backend },
      {
        timeoutMs: 4_000,
        requestTimeoutMs: 5_000,
        retryBaseMs: 6,
        signal,
        onWaiting: (...said) => waits.push(said),
      },
    );
    const { onWarning, onOutage, ...given } = calls[0]!.options;
    assert.equal(typeof onWarning, 'function');
    assert.equal(typeof onOutage, 'function');
    assert.deepEqual(given, { timeoutMs: 4_000, requestTimeoutMs: 5_000, retryBaseMs: 6, signal });
    assert.deepEqual(waits, [
      [
        'a',
        path.join(dir, 'a'),
        'http://recorded.test does not answer (ECONNREFUSED); retrying for up to 4 s without progress (Ctrl-C stops)',
      ],
    ]);
    calls.length = 0;
    await syncLogdir(dir, { fake: backend }, { trackingUri: 'http://given.test', timeoutMs: 1_999 });
    const { onWarning: _w, ...short } = calls[0]!.options;
    assert.deepEqual(short, { trackingUri: 'http://given.test', timeoutMs: 1_999 }, 'a short wait is not announced');
    calls.length = 0;
    await syncLogdir(dir, { fake: backend }, { timeoutMs: 2_000 });
    assert.equal(typeof calls[0]!.options.onOutage, 'function', 'a wait of 2 s is announced (docs/cli.md)');
    calls.length = 0;
    await syncLogdir(dir, { fake: backend });
    assert.equal(calls[0]!.options.timeoutMs, 30_000);
    assert.equal(typeof calls[0]!.options.onOutage, 'function');
  });

  test('busy, a delivery error, an interrupted sync: each run says so; a bug is thrown', async () => {
    await spoolAt('a', { backend: 'fake', fakeRunId: 'known', experimentId: '3' });
    await spoolAt('b', { backend: 'fake' });
    await spoolAt('c', { backend: 'fake' });
    const busy = new GymnosError('MLFLOW_SPOOL_BUSY', 'busy', { details: { pid: 4242 } });
    const quoting = new GymnosError('X', 'the spool of run "OldTracker: x" is torn'); // kept whole
    const { backend } = fakeBackend({ a: busy, b: new GymnosError('X', 'FakeTracker: cannot read it') });
    const controller = new AbortController();
    const runs = await syncLogdir(
      dir,
      { fake: backend },
      { onRun: () => controller.abort(), signal: controller.signal },
    );
    assert.deepEqual(
      runs.map((run) => [run.status, run.error, run.experimentId, run.backendRunId, run.mlflowRunId]),
      [
        ['busy', 'in use by another process (pid 4242) (a run still logging, or another sync)', '3', 'known', 'known'],
        ['skipped', 'interrupted before this run', null, null, null],
        ['skipped', 'interrupted before this run', null, null, null],
      ],
    );
    const again = await syncLogdir(dir, {
      fake: fakeBackend({
        a: new GymnosError('MLFLOW_SPOOL_BUSY', 'busy'),
        b: new GymnosError('X', 'FakeTracker: cannot read it'),
        c: quoting,
      }).backend,
    });
    assert.deepEqual(
      again.map((run) => [run.status, run.error]),
      [
        ['busy', 'in use by another process (a run still logging, or another sync)'],
        ['failed', 'cannot read it'],
        ['failed', 'the spool of run "OldTracker: x" is torn'],
      ],
    );
    await assert.rejects(syncLogdir(dir, { fake: fakeBackend({ a: new TypeError('bug') }).backend }), TypeError);
  });

  test('a run killed before its end: KILLED sent and said; a later sync finds it sent', async () => {
    // The delivery of a session still open with no live holder sets it KILLED (its report: `killed`).
    await spoolAt('open', { backend: 'fake', session: 'open' });
    // A resumed run's RUNNING not sent yet: KILLED is set over it, and KILLED is what is sent.
    await spoolAt('resumed', { backend: 'fake', session: 'open', pendingStatus: { status: 'RUNNING' } });
    // Marked so by an earlier sync that could not send KILLED: sent now.
    await spoolAt('marked', { backend: 'fake', session: 'killed', pendingStatus: { status: 'KILLED' } });
    // Marked and sent by an earlier sync: nothing left to send, nothing to say of it.
    await spoolAt('sent', { backend: 'fake', session: 'killed', fakeRunId: 'known' });
    // Its session open when the sync looked, ended by the run itself before its delivery: not killed.
    await spoolAt('ended', { backend: 'fake', session: 'open' });
    // Stopped by a signal, the run ended itself KILLED (its exit handler ran): its own status, no kill to say.
    await spoolAt('signalled', { backend: 'fake', session: 'ended', pendingStatus: { status: 'KILLED' } });
    const killed = report({ killed: true });
    const { backend } = fakeBackend({ open: killed, resumed: killed, marked: killed, sent: killed });
    const runs = await syncLogdir(dir, { fake: backend });
    assert.deepEqual(
      runs.map((run) => [run.runId, run.status, run.killed, run.delivered.status]),
      [
        ['ended', 'delivered', false, null],
        ['marked', 'delivered', true, 'KILLED'],
        ['open', 'delivered', true, 'KILLED'],
        ['resumed', 'delivered', true, 'KILLED'],
        ['sent', 'in-sync', false, null],
        ['signalled', 'delivered', false, 'KILLED'],
      ],
    );
  });

  test('a logdir that is missing or a file is a usage error before anything is read', async () => {
    writeFileSync(path.join(dir, 'file'), '');
    await assert.rejects(checkSyncInputs(path.join(dir, 'file'), undefined), {
      code: 'LOGDIR_NOT_A_DIRECTORY',
      message: `${path.join(dir, 'file')} is not a directory; give the logdir your runs were logged to`,
      details: { logdir: path.join(dir, 'file') }, // --json's error.details
    });
    await assert.rejects(checkSyncInputs(path.join(dir, 'missing'), undefined), {
      code: 'LOGDIR_NOT_FOUND',
      message: `${path.join(dir, 'missing')} does not exist; give the logdir your runs were logged to`,
      details: { logdir: path.join(dir, 'missing') },
    });
  });
});

describe('gymnos sync, mlflow: where a spool goes, and the URIs a user gives', () => {
  const saved = process.env.MLFLOW_TRACKING_URI;
  afterEach(() => {
    if (saved === undefined) delete process.env.MLFLOW_TRACKING_URI;
    else process.env.MLFLOW_TRACKING_URI = saved;
  });
  const meta = {
    version: 1,
    trackingUri: 'http://recorded.test',
    runName: 'r',
    gymnosRunId: 'g',
    startTime: 1,
  } as const;

  test('--tracking-uri, then MLFLOW_TRACKING_URI (unless empty), then the URI the spool recorded', () => {
    delete process.env.MLFLOW_TRACKING_URI;
    assert.equal(MLFLOW_SYNC_BACKEND.targetUri(meta, 'http://given.test'), 'http://given.test');
    assert.equal(MLFLOW_SYNC_BACKEND.targetUri(meta, undefined), 'http://recorded.test');
    assert.equal(MLFLOW_SYNC_BACKEND.targetUri(undefined, undefined), '');
    process.env.MLFLOW_TRACKING_URI = 'http://env.test';
    assert.equal(MLFLOW_SYNC_BACKEND.targetUri(meta, 'http://given.test'), 'http://given.test');
    assert.equal(MLFLOW_SYNC_BACKEND.targetUri(meta, undefined), 'http://env.test');
    process.env.MLFLOW_TRACKING_URI = '';
    assert.equal(MLFLOW_SYNC_BACKEND.targetUri(meta, undefined), 'http://recorded.test');
    assert.equal(MLFLOW_SYNC_BACKEND.runIdOf({ ...meta, mlflowRunId: 'abc' } as RunMeta), 'abc');
    assert.equal(MLFLOW_SYNC_BACKEND.runIdOf(undefined), undefined);
  });

  test('a URI that is not http(s) is refused, named by where it came from, without its password', async () => {
    delete process.env.MLFLOW_TRACKING_URI;
    await checkSyncInputs(dir, 'https://host.test');
    await checkSyncInputs(dir, undefined);
    await assert.rejects(checkSyncInputs(dir, 'file:///tmp/mlruns'), (error: GymnosError) => {
      assert.equal(error.code, 'MLFLOW_BAD_TRACKING_URI');
      assert.equal(
        error.message,
        '--tracking-uri "file:///tmp/mlruns" is not the http(s) URL of an MLflow tracking server (e.g. ' +
          'http://127.0.0.1:5000); gymnos delivers over the REST API only',
      );
      assert.deepEqual(error.details, { source: '--tracking-uri', trackingUri: 'file:///tmp/mlruns' });
      return true;
    });
    await assert.rejects(checkSyncInputs(dir, 'not a url'), { code: 'MLFLOW_BAD_TRACKING_URI' });
    process.env.MLFLOW_TRACKING_URI = 'ftp://bob:pw@host.test';
    await assert.rejects(checkSyncInputs(dir, undefined), (error: GymnosError) => {
      assert.match(error.message, /^MLFLOW_TRACKING_URI "ftp:\/\/host\.test" is not/);
      assert.deepEqual(error.details, { source: 'MLFLOW_TRACKING_URI', trackingUri: 'ftp://host.test' });
      return true;
    });
    await checkSyncInputs(dir, 'http://given.test'); // the variable is not used then
    process.env.MLFLOW_TRACKING_URI = '';
    await checkSyncInputs(dir, undefined);
  });
});
