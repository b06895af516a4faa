/**
 * The remote delivery layer on its own (trackers/remote/: the queue, the spool, the rounds, the outcomes, the ledger
 * and the report), driven through a backend protocol faked in memory: what any backend gets from the layer, each
 * promise checked without a server, a network or a timer to wait for (the retry backoff is a millisecond here).
 */
import assert from 'node:assert/strict';
import fs, { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import fsPromises, { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { RemoteDelivery } from '../../src/trackers/remote/delivery.js';
import type { DeliveryOptions } from '../../src/trackers/remote/delivery.js';
import type {
  CreateRunResult,
  DataResult,
  Doubt,
  RemoteProtocol,
  SendResult,
} from '../../src/trackers/remote/protocol.js';
import { MemoryQueue } from '../../src/trackers/remote/queue.js';
import type {
  ArtifactRecord,
  DataRecord,
  QueueRecord,
  RowRecord,
  RunStatus,
} from '../../src/trackers/remote/records.js';
import { RequestTimeouts } from '../../src/trackers/remote/request_timeouts.js';
import type { RunMeta } from '../../src/trackers/remote/spool.js';
import { roundAction, transition } from '../../src/trackers/remote/states.js';
import type { DeliveryEvent, DeliveryState } from '../../src/trackers/remote/states.js';

interface FakeMeta extends RunMeta {
  fakeRunId?: string;
  /** What `stamp` gave out so far (a backend's positions, as W&B's history lines). */
  stamped?: number;
}

type Record_ = DataRecord | ArtifactRecord;

/** What the fake server was asked, in order, in a short text per request. */
const describeRecord = (record: Record_) =>
  record.t === 'artifact'
    ? `artifact ${record.path}`
    : `${record.t} ${record.key}${record.t === 'metric' ? `@${record.step}` : ''}`;

/**
 * A backend faked in memory: it answers each request with the next scripted answer of its kind, else takes it. Every
 * request is logged; what it took is kept.
 */
class FakeProtocol implements RemoteProtocol<FakeMeta> {
  readonly name = 'Fake';
  readonly baseUrl = 'http://fake.test';
  readonly timeouts = new RequestTimeouts(1_000);
  batchSize = 3;
  readonly requests: string[] = [];
  readonly taken: DataRecord[] = [];
  readonly files: string[] = [];
  readonly statuses: { status: RunStatus; endTime: number | undefined }[] = [];
  readonly doubts: (Doubt | undefined)[] = [];
  createdTags: Record<string, string> | undefined;
  readonly answers: {
    create: (CreateRunResult | Error)[];
    batch: ((records: readonly DataRecord[]) => DataResult | Error)[];
    file: (SendResult | Error)[];
    status: (SendResult | Error)[];
  } = { create: [], batch: [], file: [], status: [] };

  /** Each request is answered only once the clock has passed this (ms since the epoch): a server that takes time. */
  slowUntil = 0;

  async #answerLater(): Promise<void> {
    while (Date.now() <= this.slowUntil) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  runIdOf(meta: FakeMeta): string | undefined {
    return meta.fakeRunId;
  }

  async createRun(meta: FakeMeta, tags: Record<string, string>): Promise<CreateRunResult> {
    this.requests.push('create');
    await this.#answerLater();
    const answer = this.answers.create.shift() ?? { kind: 'delivered' };
    if (answer instanceof Error) throw answer;
    if (answer.kind === 'delivered') {
      meta.fakeRunId = 'fake-run';
      this.createdTags = tags;
    }
    return answer;
  }

  takeBatch(_meta: FakeMeta, records: readonly DataRecord[]): number {
    return Math.min(records.length, this.batchSize);
  }

  async sendBatch(_meta: FakeMeta, records: readonly DataRecord[], options: { doubt?: Doubt }): Promise<DataResult> {
    this.requests.push(`batch ${records.map(describeRecord).join(', ')}${options.doubt ? ' (in doubt)' : ''}`);
    this.doubts.push(options.doubt);
    await this.#answerLater();
    const answer = this.answers.batch.shift()?.(records) ?? { settled: records.length, refused: [] };
    if (answer instanceof Error) throw answer;
    const refused = new Set(answer.refused.map(({ record }) => record));
    this.taken.push(...records.slice(0, answer.settled).filter((record) => !refused.has(record)));
    return answer;
  }

  async sendFile(_meta: FakeMeta, record: ArtifactRecord): Promise<SendResult> {
    this.requests.push(`file ${record.path}`);
    await this.#answerLater();
    const answer = this.answers.file.shift() ?? { kind: 'delivered' };
    if (answer instanceof Error) throw answer;
    if (answer.kind === 'delivered') {
      this.files.push(record.file ? readFileSync(record.file, 'utf8') : Buffer.from(record.bytes!).toString());
    }
    return answer;
  }

  async sendStatus(_meta: FakeMeta, status: RunStatus, endTime: number | undefined): Promise<SendResult> {
    this.requests.push(`status ${status}`);
    await this.#answerLater();
    const answer = this.answers.status.shift() ?? { kind: 'delivered' };
    if (answer instanceof Error) throw answer;
    if (answer.kind === 'delivered') this.statuses.push({ status, endTime });
    return answer;
  }

  reportFields(meta: FakeMeta): Record<string, unknown> {
    return { fakeProject: `project of ${meta.runName}` };
  }
}

/** A failure a retry may help with (a server down). */
const down = (error = 'connect ECONNREFUSED'): DataResult => ({
  settled: 0,
  refused: [],
  failure: { kind: 'retryable', error, retryAfterMs: undefined },
});

/** A batch answered with a pause the backend's own pace asks for (ten minutes): not an outage. */
const paced = (): DataResult => ({
  settled: 0,
  refused: [],
  failure: { kind: 'retryable', error: 'rate limited', retryAfterMs: 600_000, waiting: true },
});
const metric = (step: number, key = 'loss'): DataRecord => ({ t: 'metric', key, value: step, timestamp: 1, step });
const steps = (records: readonly DataRecord[]) =>
  records.map((record) => (record.t === 'metric' ? record.step : record.key));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-remote-delivery-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

interface Made {
  delivery: RemoteDelivery<FakeMeta>;
  fake: FakeProtocol;
  warnings: { code: string; message: string }[];
  spoolDir: string;
}

/** The run a delivery of these tests starts (its session open). */
const FIRST_META: FakeMeta = {
  version: 1,
  trackingUri: 'http://fake.test',
  runName: 'first',
  gymnosRunId: 'g1',
  startTime: 1_000,
  session: 'open',
};
/** A delivery of run `g1` through `fake`, spooling under the test's directory; `options` override the defaults. */
function makeDelivery(options: Partial<DeliveryOptions<FakeMeta>> = {}, fake = new FakeProtocol()): Made {
  const warnings: { code: string; message: string }[] = [];
  const spoolDir = options.spoolDir ?? path.join(dir, 'spool');
  const delivery = new RemoteDelivery<FakeMeta>({
    protocol: () => fake,
    warningPrefix: 'GYMNOS_FAKE',
    name: 'fake',
    spoolDir,
    maxSpoolBytes: 1 << 20,
    meta: { ...FIRST_META },
    resumedFields: ['fakeRunId'],
    mode: 'session',
    retryBaseMs: 1,
    retryMaxMs: 2,
    maxQueueItems: 100,
    runTags: {},
    warn: (code, message) => warnings.push({ code, message }),
    ...options,
  });
  return { delivery, fake, warnings, spoolDir };
}

/** Drains with a deadline far away: the fake answers at once, a deadline never decides these tests. */
const drainAll = (delivery: RemoteDelivery<FakeMeta>) => delivery.drain(Date.now() + 20_000);

const readRunJson = (spoolDir: string) => JSON.parse(readFileSync(path.join(spoolDir, 'run.json'), 'utf8')) as FakeMeta;

/**
 * Runs `run` while `call` of `module` (node:fs or node:fs/promises, whose exports the modules under test import)
 * fails with `code` for the files whose name starts with `prefix` (or that it accepts): a disk fault on those files
 * only (ENOSPC: a disk whose last blocks an append just took; EIO: a failing disk).
 */
async function withFault<T>(
  module: object,
  call: string,
  prefix: string | ((name: string) => boolean),
  code: string,
  run: () => Promise<T>,
) {
  const target = module as Record<string, (...args: unknown[]) => unknown>;
  const original = target[call]!;
  const fails = typeof prefix === 'string' ? (name: string) => name.startsWith(prefix) : prefix;
  target[call] = (file: unknown, ...rest: unknown[]) => {
    if (!fails(path.basename(String(file)))) return original(file, ...rest);
    const error = Object.assign(new Error(`${code}: ${call} '${String(file)}'`), { code });
    if (module === fsPromises) return Promise.reject(error);
    throw error;
  };
  syncBuiltinESMExports();
  try {
    return await run();
  } finally {
    target[call] = original;
    syncBuiltinESMExports();
  }
}

/**
 * The records a spool holds undelivered (from its cursor on), read from its files as they are on disk: the delivery
 * that writes them holds the spool's lock meanwhile.
 */
function spooled(spoolDir: string): QueueRecord[] {
  const queueFile = path.join(spoolDir, 'queue.jsonl');
  if (!existsSync(queueFile)) return [];
  const offsetFile = path.join(spoolDir, 'queue.offset');
  const offset = existsSync(offsetFile)
    ? (JSON.parse(readFileSync(offsetFile, 'utf8')) as { offset: number }).offset
    : 0;
  return readFileSync(queueFile)
    .subarray(offset)
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as QueueRecord & { spool?: number })
    .filter((record) => record.spool === undefined);
}

const codes = (warnings: { code: string }[]) => warnings.map((warning) => warning.code);
const zero = { metrics: 0, params: 0, tags: 0, artifacts: 0 };

describe('remote delivery: the order the server sees, and the report', () => {
  test('the run first (tagged), then batches in logging order, artifacts one by one, the status last', async () => {
    const { delivery, fake, spoolDir } = makeDelivery({
      meta: { ...FIRST_META, tags: { 'mlflow.user': 'ada', shared: 'from the run' } },
      runTags: { shared: 'from the tracker' },
    });
    await delivery.ready;
    for (let step = 0; step < 5; step += 1) delivery.enqueue(metric(step));
    delivery.enqueue({ t: 'param', key: 'lr', value: '0.1' });
    delivery.enqueue({ t: 'artifact', path: 'a.txt', contentType: 'text/plain', bytes: Buffer.from('A') });
    delivery.enqueue({ t: 'tag', key: 'phase', value: 'train' });
    delivery.setStatus('FINISHED', 5_000);
    assert.equal(delivery.pending, true);
    assert.equal(await drainAll(delivery), true);
    assert.deepEqual(fake.requests, [
      'create',
      'batch metric loss@0, metric loss@1, metric loss@2',
      'batch metric loss@3, metric loss@4, param lr',
      'batch tag phase',
      'file a.txt',
      'status FINISHED',
    ]);
    assert.deepEqual(fake.createdTags, { 'gymnos.run_id': 'g1', 'mlflow.user': 'ada', shared: 'from the tracker' });
    assert.deepEqual(fake.files, ['A']);
    assert.deepEqual(fake.statuses, [{ status: 'FINISHED', endTime: 5_000 }]);
    assert.equal(delivery.pending, false);
    assert.equal(delivery.state, 'delivering');
    const report = await delivery.report();
    await delivery.close();
    assert.deepEqual(report, {
      trackingUri: 'http://fake.test',
      fakeProject: 'project of first',
      runId: 'fake-run',
      complete: true,
      logged: { metrics: 5, params: 1, tags: 1, artifacts: 1 },
      delivered: { metrics: 5, params: 1, tags: 1, artifacts: 1 },
      undelivered: { ...zero, status: undefined },
      rejected: [],
      rejectedCount: 0,
      refused: zero,
      dropped: zero,
      spoolDir,
      spoolError: undefined,
      lastError: undefined,
    });
    const saved = readRunJson(spoolDir);
    assert.equal(saved.fakeRunId, 'fake-run', 'the run id is kept for a later session');
    assert.equal(saved.pendingStatus, undefined, 'the status sent is no longer pending');
    assert.equal(saved.session, 'ended');
    assert.equal(delivery.state, 'closed');
  });

  test('a run created without a final status does not send RUNNING; a status set meanwhile is sent last', async () => {
    const { delivery, fake } = makeDelivery();
    await delivery.ready;
    delivery.setStatus('RUNNING');
    delivery.enqueue(metric(0));
    assert.equal(await drainAll(delivery), true);
    assert.deepEqual(fake.requests, ['create', 'batch metric loss@0']);
    delivery.setStatus('FAILED');
    assert.equal(await drainAll(delivery), true);
    assert.deepEqual(fake.statuses, [{ status: 'FAILED', endTime: undefined }]);
    await delivery.close();
  });

  test('each kind of refusal is reported, counted, and never retried', async () => {
    const { delivery, fake, warnings } = makeDelivery();
    await delivery.ready;
    fake.answers.batch.push((records) => ({
      settled: records.length,
      refused: [
        { record: records[1]!, reason: 'HTTP 400: bad value' },
        { record: records[2]!, reason: 'HTTP 400: too long' },
      ],
    }));
    fake.answers.file.push({ kind: 'refused', reason: 'HTTP 413: too large' });
    fake.answers.status.push({ kind: 'refused', reason: 'HTTP 400: no such status' });
    delivery.enqueue(metric(0));
    delivery.enqueue({ t: 'param', key: 'lr', value: 'x' });
    delivery.enqueue({ t: 'tag', key: 'phase', value: 'y' });
    delivery.enqueue({
      t: 'artifact',
      path: 'big.bin',
      contentType: 'application/octet-stream',
      bytes: Buffer.from('B'),
    });
    delivery.setStatus('FINISHED');
    assert.equal(await drainAll(delivery), true, 'a refusal settles the record: nothing is left to send');
    const report = await delivery.report();
    await delivery.close();
    assert.deepEqual(report.rejected, [
      { kind: 'param', key: 'lr', reason: 'HTTP 400: bad value' },
      { kind: 'tag', key: 'phase', reason: 'HTTP 400: too long' },
      { kind: 'artifact', key: 'big.bin', reason: 'HTTP 413: too large' },
      { kind: 'status', key: 'FINISHED', reason: 'HTTP 400: no such status' },
    ]);
    assert.equal(report.rejectedCount, 4);
    assert.deepEqual(report.refused, { metrics: 0, params: 1, tags: 1, artifacts: 1 }, 'a status is no record');
    assert.deepEqual(report.delivered, { metrics: 1, params: 0, tags: 0, artifacts: 0 });
    assert.equal(report.complete, false);
    assert.deepEqual(report.undelivered, { ...zero, status: undefined });
    assert.deepEqual(
      warnings.map(({ code, message }) => `${code} ${message}`),
      [
        'GYMNOS_FAKE_REJECTED param "lr" was not logged: HTTP 400: bad value',
        'GYMNOS_FAKE_REJECTED tag "phase" was not logged: HTTP 400: too long',
        'GYMNOS_FAKE_REJECTED artifact "big.bin" was not logged: HTTP 413: too large',
        'GYMNOS_FAKE_REJECTED status "FINISHED" was not logged: HTTP 400: no such status',
      ],
    );
    assert.equal(fake.requests.filter((request) => request.startsWith('batch')).length, 1, 'never sent again');
  });

  test("a history row refused is a metric refusal, counted as the row's metrics", async () => {
    const { delivery, fake, warnings } = makeDelivery();
    await delivery.ready;
    fake.answers.batch.push((records) => ({
      settled: records.length,
      refused: [{ record: records[0]!, reason: 'HTTP 400: bad row' }],
    }));
    const row: RowRecord = {
      t: 'row',
      key: 'step 3',
      step: 3,
      timestamp: 1,
      values: { loss: 0.5, acc: 0.9, image: { _type: 'image-file', path: 'media/a.png' } },
      metrics: 2,
    };
    // Rows are W&B's records; the layer hands them to any backend's batches alike.
    delivery.enqueue(row as unknown as DataRecord);
    assert.equal(await drainAll(delivery), true);
    const report = await delivery.report();
    await delivery.close();
    assert.deepEqual(report.rejected, [{ kind: 'metric', key: 'step 3', reason: 'HTTP 400: bad row' }]);
    assert.deepEqual(report.refused, { ...zero, metrics: 2 });
    assert.deepEqual(
      warnings.map(({ code, message }) => `${code} ${message}`),
      ['GYMNOS_FAKE_REJECTED metric "step 3" was not logged: HTTP 400: bad row'],
    );
  });

  test('a record the tracker refuses itself is counted as logged: the report adds up', async () => {
    const { delivery, warnings } = makeDelivery();
    await delivery.ready;
    const relogged = { t: 'param', key: 'lr', value: '0.2' } as const; // a param logged again with another value
    delivery.countLogged(relogged);
    delivery.reject('param', 'lr', 'already logged as 0.1');
    assert.equal(await drainAll(delivery), true);
    const report = await delivery.report();
    await delivery.close();
    assert.deepEqual(report.logged, { ...zero, params: 1 });
    assert.deepEqual(report.refused, { ...zero, params: 1 });
    assert.deepEqual(codes(warnings), ['GYMNOS_FAKE_REJECTED']);
  });

  test('the first ten refusals are said (the tenth says the rest are counted), the first hundred listed', async () => {
    const { delivery, fake, warnings } = makeDelivery({ maxQueueItems: 1_000 });
    await delivery.ready;
    fake.batchSize = 1_000;
    fake.answers.batch.push((records) => ({
      settled: records.length,
      refused: records.map((record) => ({ record, reason: 'no' })),
    }));
    for (let step = 0; step < 120; step += 1) delivery.enqueue(metric(step, `m${step}`));
    await drainAll(delivery);
    const report = await delivery.report();
    await delivery.close();
    assert.equal(report.rejectedCount, 120);
    assert.equal(report.refused.metrics, 120);
    assert.equal(report.rejected.length, 100);
    assert.equal(report.rejected[99]!.key, 'm99');
    const said = warnings
      .filter((warning) => warning.code === 'GYMNOS_FAKE_REJECTED')
      .map((warning) => warning.message);
    assert.equal(said.length, 10);
    assert.equal(said[8], 'metric "m8" was not logged: no');
    assert.equal(said[9], 'metric "m9" was not logged: no (further refusals are only counted)');
  });
});

/** The next batch's answer is lost, then the server says `questions` times that it is still at it. */
function answerLostThenInDoubt(fake: ReturnType<typeof makeDelivery>['fake'], questions: number): void {
  const stillInDoubt = (): DataResult => ({
    settled: 0,
    refused: [],
    failure: { kind: 'retryable', error: 'still', retryAfterMs: undefined, inDoubt: { settleBy: 1 }, waiting: true },
  });
  fake.answers.batch.push(() => ({
    settled: 0,
    refused: [],
    failure: { kind: 'retryable', error: 'lost', retryAfterMs: undefined, inDoubt: { settleBy: 1 } },
  }));
  for (let question = 0; question < questions; question += 1) fake.answers.batch.push(stillInDoubt);
}

describe('remote delivery: a server that fails, stops, or asks to wait', () => {
  test('an outage: said once, the data spooled meanwhile, delivered in order once the server answers', async () => {
    const { delivery, fake, warnings, spoolDir } = makeDelivery();
    await delivery.ready;
    fake.answers.batch.push(
      () => down(),
      () => down(),
    );
    for (let step = 0; step < 3; step += 1) delivery.enqueue(metric(step));
    await delivery.round();
    assert.equal(delivery.state, 'outage');
    assert.equal(delivery.outage, true);
    assert.deepEqual(
      steps(spooled(spoolDir) as DataRecord[]),
      [0, 1, 2],
      'the memory queue moved to the spool when the request failed',
    );
    assert.deepEqual(codes(warnings), ['GYMNOS_FAKE_UNAVAILABLE']);
    assert.equal(
      warnings[0]!.message,
      `Fake server http://fake.test unavailable: connect ECONNREFUSED; training goes on, data is spooled to ${spoolDir}; ` +
        'it is sent when the server answers again',
    );
    delivery.enqueue(metric(3));
    assert.equal(await drainAll(delivery), true);
    assert.equal(delivery.state, 'delivering');
    assert.equal(delivery.outage, false);
    assert.deepEqual(steps(fake.taken), [0, 1, 2, 3], 'the spool first, then memory, each once');
    assert.deepEqual(codes(warnings), ['GYMNOS_FAKE_UNAVAILABLE'], 'said once per outage');
    const report = await delivery.report();
    await delivery.close();
    assert.equal(report.complete, true);
    assert.equal(report.lastError, 'connect ECONNREFUSED', 'the last error stays in the report');
  });

  test('each new outage is said, the first five of a session only', async () => {
    const { delivery, fake, warnings } = makeDelivery();
    await delivery.ready;
    for (let outage = 0; outage < 7; outage += 1) {
      fake.answers.batch.push(() => down(`outage ${outage}`));
      delivery.enqueue(metric(outage));
      assert.equal(await drainAll(delivery), true);
    }
    await delivery.close();
    assert.deepEqual(
      warnings.map((warning) => /unavailable: (outage \d)/.exec(warning.message)?.[1]),
      ['outage 0', 'outage 1', 'outage 2', 'outage 3', 'outage 4'],
    );
    assert.deepEqual(steps(fake.taken), [0, 1, 2, 3, 4, 5, 6]);
  });

  test('a run refused for good: said, nothing more sent this session, everything kept in the spool', async () => {
    const { delivery, fake, warnings, spoolDir } = makeDelivery();
    await delivery.ready;
    fake.answers.batch.push(() => ({
      settled: 1,
      refused: [],
      failure: { kind: 'stopped', reason: 'run fake-run is deleted' },
    }));
    for (let step = 0; step < 3; step += 1) delivery.enqueue(metric(step));
    delivery.setStatus('FINISHED');
    assert.equal(await drainAll(delivery), false);
    assert.equal(delivery.state, 'stopped');
    const sent = fake.requests.length;
    delivery.enqueue(metric(3));
    await delivery.round();
    assert.equal(await drainAll(delivery), false);
    assert.equal(fake.requests.length, sent, 'no request after the stop');
    const report = await delivery.report();
    await delivery.close();
    assert.deepEqual(codes(warnings), ['GYMNOS_FAKE_DELIVERY_STOPPED']);
    assert.equal(
      warnings[0]!.message,
      `run fake-run is deleted; nothing more is sent this session, undelivered data is kept in ${spoolDir}`,
    );
    assert.equal(report.stoppedReason, 'run fake-run is deleted');
    assert.equal(report.lastError, 'run fake-run is deleted');
    assert.deepEqual(report.delivered, { ...zero, metrics: 1 });
    assert.deepEqual(report.undelivered, { ...zero, metrics: 3, status: 'FINISHED' });
    assert.equal(report.complete, false);
    assert.deepEqual(steps(spooled(spoolDir) as DataRecord[]), [1, 2, 3]);
    assert.equal(readRunJson(spoolDir).pendingStatus?.status, 'FINISHED');
  });

  for (const kind of ['file', 'status'] as const) {
    test(`a ${kind} refused for good (credentials): delivery stops, the ${kind} is kept, not refused`, async () => {
      const { delivery, fake, warnings, spoolDir } = makeDelivery();
      await delivery.ready;
      fake.answers[kind].push({ kind: 'stopped', reason: 'HTTP 403: forbidden' });
      if (kind === 'file') {
        delivery.enqueue({ t: 'artifact', path: 'a.txt', contentType: 'text/plain', bytes: Buffer.from('A') });
      }
      delivery.setStatus('FINISHED');
      assert.equal(await drainAll(delivery), false);
      assert.equal(delivery.state, 'stopped');
      const report = await delivery.report();
      await delivery.close();
      assert.deepEqual(codes(warnings), ['GYMNOS_FAKE_DELIVERY_STOPPED']);
      assert.deepEqual(report.rejected, []);
      assert.deepEqual(report.refused, zero);
      assert.deepEqual(report.undelivered, {
        ...zero,
        artifacts: kind === 'file' ? 1 : 0,
        status: 'FINISHED',
      });
      assert.equal(readRunJson(spoolDir).pendingStatus?.status, 'FINISHED');
    });
  }

  test('an artifact whose upload fails is kept (spooled) and uploaded once the server answers', async () => {
    const { delivery, fake, spoolDir } = makeDelivery();
    await delivery.ready;
    await delivery.connect(Date.now() + 20_000);
    fake.answers.file.push({ kind: 'retryable', error: 'connect ECONNREFUSED', retryAfterMs: undefined });
    delivery.enqueue({ t: 'artifact', path: 'a.txt', contentType: 'text/plain', bytes: Buffer.from('A') });
    await delivery.round(); // the upload fails: the artifact goes to the spool
    assert.deepEqual(
      spooled(spoolDir).map((record) => (record as ArtifactRecord).path),
      ['a.txt'],
    );
    assert.equal(await drainAll(delivery), true);
    await delivery.close();
    assert.deepEqual(fake.requests.slice(1), ['file a.txt', 'file a.txt']);
    assert.deepEqual(fake.files, ['A']);
  });

  test('a run whose creation is refused for good is reported as such', async () => {
    const fake = new FakeProtocol();
    fake.answers.create.push({ kind: 'stopped', reason: 'HTTP 403: credentials refused' });
    const { delivery, warnings } = makeDelivery({}, fake);
    await delivery.ready;
    delivery.enqueue(metric(0));
    assert.equal(await drainAll(delivery), false);
    const report = await delivery.report();
    await delivery.close();
    assert.deepEqual(report.rejected, [{ kind: 'run', key: 'first', reason: 'HTTP 403: credentials refused' }]);
    assert.deepEqual(report.refused, zero);
    assert.equal(report.runId, undefined);
    assert.equal(report.complete, false);
    assert.deepEqual(codes(warnings), ['GYMNOS_FAKE_REJECTED', 'GYMNOS_FAKE_DELIVERY_STOPPED']);
  });

  test('a bug in the protocol is said once as a bug, the data kept and retried, never counted refused', async () => {
    const { delivery, fake, warnings } = makeDelivery();
    await delivery.ready;
    fake.answers.batch.push(
      () => new TypeError('records.at is not a function'),
      () => new TypeError('records.at is not a function'),
    );
    delivery.enqueue(metric(0));
    assert.equal(await drainAll(delivery), true);
    const report = await delivery.report();
    await delivery.close();
    assert.deepEqual(steps(fake.taken), [0]);
    assert.deepEqual(codes(warnings), ['GYMNOS_FAKE_INTERNAL_ERROR'], 'once, and no outage is claimed');
    assert.match(
      warnings[0]!.message,
      new RegExp(
        '^internal error in the fake delivery: records\\.at is not a function; the data is kept \\(queued or ' +
          'spooled\\) and retried\\. This is a bug in gymnos: please report it with this stack: ' +
          'TypeError: records\\.at',
      ),
    );
    assert.equal(report.lastError, 'internal error in the fake delivery: records.at is not a function');
    assert.equal(report.rejectedCount, 0);
    assert.equal(report.complete, true);
  });

  test('a pause the server asks for on an answer it took: no request before it is over, and no outage', async () => {
    const { delivery, fake, warnings } = makeDelivery();
    await delivery.ready;
    fake.answers.batch.push((records) => ({ settled: records.length, refused: [], paceMs: 600_000 }));
    for (let step = 0; step < 6; step += 1) delivery.enqueue(metric(step));
    await delivery.round();
    assert.deepEqual(fake.requests, ['create', 'batch metric loss@0, metric loss@1, metric loss@2']);
    await delivery.round();
    await delivery.drain(Date.now() + 600_000, { untilDeferred: true }); // a drain that waited would hang here
    assert.equal(fake.requests.length, 2, 'the pause holds for a round and for a flush that does not wait');
    assert.equal(delivery.outage, false);
    assert.deepEqual(warnings, []);
    await delivery.close();
  });

  test("a wait the backend's own pace asks for: no outage, nothing said, no request before it is over", async () => {
    const { delivery, fake, warnings } = makeDelivery();
    await delivery.ready;
    await delivery.connect(Date.now() + 20_000);
    fake.answers.batch.push(paced);
    delivery.enqueue(metric(0));
    await delivery.round();
    assert.equal(delivery.outage, false);
    assert.equal(delivery.state, 'delivering');
    assert.deepEqual(warnings, []);
    await delivery.round();
    assert.equal(fake.requests.length, 2, 'the next request waits for the pace');
    const report = await delivery.report();
    assert.equal(report.lastError, undefined);
    await delivery.close();
  });

  test('a pace is waited for whole: a drain shorter than it makes no request meanwhile', async () => {
    const { delivery, fake } = makeDelivery();
    await delivery.ready;
    await delivery.connect(Date.now() + 20_000);
    fake.answers.batch.push(paced);
    delivery.enqueue(metric(0));
    assert.equal(await delivery.drain(Date.now() + 1_500), false);
    assert.equal(fake.requests.length, 2, 'create, and the batch the pace deferred');
    await delivery.close();
  });

  test('a request in doubt is asked about again, further apart each time; its answer ends the outage', async () => {
    const { delivery, fake } = makeDelivery();
    await delivery.ready;
    await delivery.connect(Date.now() + 20_000);
    answerLostThenInDoubt(fake, 1_000);
    delivery.enqueue(metric(0));
    await delivery.round();
    assert.equal(delivery.state, 'outage');
    await delivery.drain(Date.now() + 20_000, { untilDeferred: true });
    assert.equal(delivery.state, 'delivering', 'the server answered the question');
    assert.equal(delivery.outage, false);
    // Then one at once (a drain tries at once), the next 200, 400, 800 ms apart: in 1.5 s at most 6 in all, however
    // fast the machine (a slow one asks fewer).
    await delivery.drain(Date.now() + 1_500);
    const questions = fake.requests.filter((request) => request.endsWith('(in doubt)')).length;
    assert.ok(questions <= 6, `${questions} questions`);
    await delivery.close();
  });

  test('a request in doubt is asked about again within 0.2 s at first, and never more than 3.2 s apart', async (t) => {
    // The delivery's clock, moved by hand 50 ms at a time, a round tried at each: the time between two questions is
    // read off that clock, so a slow machine changes nothing. (A user's run that ends while the server carries out a
    // long request waits at most one interval after the server is done.)
    let now = Date.now();
    t.mock.method(Date, 'now', () => now);
    const { delivery, fake } = makeDelivery();
    await delivery.ready;
    await delivery.connect(now + 20_000);
    answerLostThenInDoubt(fake, 100);
    const questions = () => fake.requests.filter((request) => request.endsWith('(in doubt)')).length;
    delivery.enqueue(metric(0));
    await delivery.round(); // the answer is lost
    /** The clock's time until a round asks the next question (a minute at most). */
    const untilAsked = async () => {
      const [asked, start] = [questions(), now];
      while (questions() === asked && now - start < 60_000) {
        now += 50;
        await delivery.round();
      }
      return now - start;
    };
    await untilAsked(); // the first question, after the outage's backoff (a millisecond here)
    const intervals: number[] = [];
    for (let question = 0; question < 8; question += 1) intervals.push(await untilAsked());
    await delivery.close();
    assert.ok(intervals[0]! <= 200, `the first question answered, the next within 0.2 s: ${intervals.join(', ')} ms`);
    assert.ok(
      intervals.every((interval, index) => interval <= 3_200 && interval >= (intervals[index - 1] ?? 0)),
      `further apart each time, never more than 3.2 s: ${intervals.join(', ')} ms`,
    );
    assert.ok(intervals.at(-1)! > intervals[0]!, `further apart: ${intervals.join(', ')} ms`);
  });

  test('a run creation that asks for a pause: the round ends after it', async () => {
    const fake = new FakeProtocol();
    fake.answers.create.push({ kind: 'delivered', paceMs: 600_000 });
    fake.batchSize = 1;
    const { delivery } = makeDelivery({}, fake);
    await delivery.ready;
    delivery.enqueue(metric(0));
    delivery.enqueue(metric(1));
    await delivery.round();
    await delivery.round();
    assert.deepEqual(fake.requests, ['create', 'batch metric loss@0'], 'the request under way goes, no other');
    await delivery.close();
  });

  test('a Retry-After holds for a flush too; a flush during a known outage spools at once', async () => {
    const { delivery, fake, spoolDir } = makeDelivery({ retryMaxMs: 600_000 });
    await delivery.ready;
    fake.answers.batch.push(() => ({
      settled: 0,
      refused: [],
      failure: { kind: 'retryable', error: 'HTTP 503', retryAfterMs: 600_000 },
    }));
    delivery.enqueue(metric(0));
    await delivery.round();
    assert.equal(delivery.outage, true);
    delivery.enqueue(metric(1));
    await delivery.flush(Date.now() + 60_000);
    assert.deepEqual(steps(spooled(spoolDir) as DataRecord[]), [0, 1], 'flushed to the spool, not waited for');
    assert.equal(await delivery.drain(Date.now() + 600_000, { untilDeferred: true }), false); // without waiting
    assert.equal(fake.requests.filter((request) => request.startsWith('batch')).length, 1, 'not asked again sooner');
    await delivery.close();
  });
});

describe('remote delivery: the report while records wait', () => {
  test('complete only when nothing of any kind waits (memory, spool); an unreadable spool is no error', async () => {
    const { delivery, fake, spoolDir } = makeDelivery();
    await delivery.ready;
    await delivery.connect(Date.now() + 20_000);
    fake.answers.batch.push(() => down());
    delivery.enqueue(metric(0));
    delivery.enqueue({ t: 'param', key: 'lr', value: '0.1' });
    delivery.enqueue({ t: 'tag', key: 'phase', value: 'train' });
    delivery.enqueue({ t: 'artifact', path: 'a.txt', contentType: 'text/plain', bytes: Buffer.from('A') });
    await delivery.round();
    assert.equal(spooled(spoolDir).length, 4);
    const waiting = await delivery.report();
    assert.deepEqual(waiting.undelivered, { metrics: 1, params: 1, tags: 1, artifacts: 1, status: undefined });
    assert.equal(waiting.complete, false);
    // A spool that cannot be read any more: the report still comes, with what memory holds.
    delivery.enqueue(metric(1));
    rmSync(path.join(spoolDir, 'queue.jsonl'));
    const unreadable = await delivery.report();
    assert.deepEqual(unreadable.undelivered, { metrics: 1, params: 0, tags: 0, artifacts: 0, status: undefined });
    await delivery.close();
  });

  test('incomplete while a status waits or the run is not created; a backend with no fields of its own', async () => {
    const fake = new FakeProtocol();
    Object.assign(fake, { reportFields: undefined });
    fake.answers.create.push({ kind: 'retryable', error: 'down', retryAfterMs: undefined });
    const { delivery } = makeDelivery({}, fake);
    await delivery.ready;
    await delivery.round();
    const notCreated = await delivery.report();
    assert.equal(notCreated.runId, undefined);
    assert.equal(notCreated.complete, false, 'nothing logged, but the run does not exist');
    assert.equal('fakeProject' in notCreated, false);
    assert.equal(await drainAll(delivery), true);
    assert.equal((await delivery.report()).complete, true);
    delivery.setStatus('FINISHED');
    const statusLeft = await delivery.report();
    assert.deepEqual(statusLeft.undelivered, { ...zero, status: 'FINISHED' });
    assert.equal(statusLeft.complete, false);
    await delivery.close();
  });

  test('a metric and a record of another kind waiting: incomplete (the kinds are added, never set off)', async () => {
    for (const other of [
      { t: 'param', key: 'lr', value: '0.1' },
      { t: 'tag', key: 'phase', value: 'train' },
      { t: 'artifact', path: 'a.txt', contentType: 'text/plain', bytes: Buffer.from('A') },
    ] as const) {
      const { delivery } = makeDelivery();
      await delivery.ready;
      await delivery.connect(Date.now() + 20_000);
      delivery.enqueue(metric(0));
      delivery.enqueue(other);
      const report = await delivery.report();
      await delivery.close();
      assert.equal(report.complete, false, other.t);
    }
  });

  test('a record of each kind dropped makes the run incomplete', async () => {
    for (const record of [
      metric(0),
      { t: 'param', key: 'lr', value: '0.1' },
      { t: 'tag', key: 'phase', value: 'train' },
      { t: 'artifact', path: 'a.txt', contentType: 'text/plain', bytes: Buffer.from('A') },
    ] as const) {
      const { delivery } = makeDelivery({ maxQueueItems: 1 });
      delivery.enqueue(metric(1));
      delivery.enqueue(record); // the queue is full before the spool is open: dropped
      await delivery.ready;
      assert.equal(await drainAll(delivery), true);
      const report = await delivery.report();
      await delivery.close();
      assert.equal(report.complete, false, record.t);
      assert.equal(
        Object.values(report.dropped).reduce((sum, count) => sum + count, 0),
        1,
        record.t,
      );
    }
  });
});

describe('remote delivery: memory bounded, the spool full or broken', () => {
  test('a full memory queue moves to the spool at once, nothing dropped, everything delivered in order', async () => {
    const { delivery, fake, warnings, spoolDir } = makeDelivery({ maxQueueItems: 4 });
    await delivery.ready;
    for (let step = 0; step < 11; step += 1) delivery.enqueue(metric(step));
    // Each fifth record found four waiting: the four and it went to the spool.
    assert.deepEqual(steps(spooled(spoolDir) as DataRecord[]), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(await drainAll(delivery), true);
    assert.deepEqual(steps(fake.taken), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const report = await delivery.report();
    await delivery.close();
    assert.deepEqual(report.dropped, zero);
    assert.deepEqual(warnings, []);
  });

  test('a full queue before the spool is open drops what does not fit, counted and said once', async () => {
    const { delivery, fake, warnings } = makeDelivery({ maxQueueItems: 2 });
    for (let step = 0; step < 5; step += 1) delivery.enqueue(metric(step));
    await delivery.ready;
    assert.equal(await drainAll(delivery), true);
    const report = await delivery.report();
    await delivery.close();
    assert.deepEqual(steps(fake.taken), [0, 1]);
    assert.deepEqual(report.dropped, { ...zero, metrics: 3 });
    assert.deepEqual(report.logged, { ...zero, metrics: 5 });
    assert.equal(report.complete, false, 'something was dropped');
    assert.deepEqual(
      warnings.map(({ code, message }) => `${code} ${message}`),
      [
        'GYMNOS_FAKE_QUEUE_FULL more than 2 items wait in memory and the spool cannot take them; further items are ' +
          'dropped until the queue drains',
      ],
    );
  });

  test('a spool given up on (run.json cannot be written): what waits stays in memory and is delivered', async () => {
    const spoolDir = path.join(dir, 'spool');
    await mkdir(path.join(spoolDir, 'run.json'), { recursive: true }); // a directory where run.json goes
    const { delivery, fake, warnings } = makeDelivery();
    await delivery.ready;
    assert.ok(delivery.spoolError, 'the spool is broken');
    fake.answers.create.push(down().failure!);
    delivery.enqueue(metric(0));
    await delivery.round(); // an outage: nothing may go to the broken spool
    assert.ok(codes(warnings).includes('GYMNOS_FAKE_SPOOL_UNAVAILABLE'));
    assert.equal(await drainAll(delivery), true);
    assert.deepEqual(steps(fake.taken), [0]);
    await delivery.close();
    assert.equal(existsSync(path.join(spoolDir, 'queue.jsonl')), false);
  });

  test('a spool full to maxSpoolBytes drops the newest records, counted and said once; the rest goes', async () => {
    const { delivery, fake, warnings, spoolDir } = makeDelivery({ maxQueueItems: 2, maxSpoolBytes: 700 });
    await delivery.ready;
    fake.answers.create.push({ kind: 'retryable', error: 'down', retryAfterMs: undefined });
    await delivery.round(); // an outage: nothing is sent, everything goes to the spool
    for (let step = 0; step < 40; step += 1) delivery.enqueue(metric(step));
    const kept = steps(spooled(spoolDir) as DataRecord[]);
    assert.ok(kept.length > 0 && kept.length < 38, `${kept.length} records kept`);
    assert.equal(await drainAll(delivery), true);
    const report = await delivery.report();
    await delivery.close();
    assert.equal(report.dropped.metrics, 40 - fake.taken.length);
    assert.equal(report.delivered.metrics, fake.taken.length);
    assert.deepEqual(steps(fake.taken), [...kept, ...steps(fake.taken).slice(kept.length)]);
    const full = warnings.filter((warning) => warning.code === 'GYMNOS_FAKE_SPOOL_FULL');
    assert.deepEqual(
      full.map((warning) => warning.message),
      [`the spool ${spoolDir} reached maxSpoolBytes (700 bytes); newer data is dropped until the server takes some`],
    );
  });

  test('a spool that cannot be written: said once, data kept in memory, what is left at the end dropped', async () => {
    const blocked = path.join(dir, 'a-file');
    writeFileSync(blocked, '');
    const { delivery, fake, warnings } = makeDelivery({ spoolDir: path.join(blocked, 'spool'), maxQueueItems: 3 });
    await delivery.ready;
    assert.match(delivery.spoolError ?? '', /ENOTDIR/);
    fake.answers.create.push({ kind: 'retryable', error: 'down', retryAfterMs: undefined });
    for (let step = 0; step < 5; step += 1) delivery.enqueue(metric(step));
    await delivery.round();
    const report = await delivery.report();
    await delivery.close();
    const closed = await delivery.report();
    assert.deepEqual(codes(warnings), [
      'GYMNOS_FAKE_SPOOL_UNAVAILABLE',
      'GYMNOS_FAKE_QUEUE_FULL',
      'GYMNOS_FAKE_UNAVAILABLE',
    ]);
    assert.match(
      warnings[0]!.message,
      new RegExp(
        '^cannot write the spool .*spool \\(ENOTDIR.*\\): what the server has not taken is kept in memory only ' +
          '\\(at most 3 items, more are dropped\\) and lost if the process ends first; give spoolDir a writable ' +
          'directory$',
      ),
    );
    assert.match(warnings[1]!.message, /^more than 3 items wait in memory and the spool cannot take them \(ENOTDIR/);
    assert.match(
      warnings[2]!.message,
      new RegExp(
        'data is kept in memory only \\(at most 3 items; the spool .* cannot be written: ENOTDIR.*\\), lost if the ' +
          'process ends first; it is sent',
      ),
    );
    assert.deepEqual(report.undelivered, { ...zero, metrics: 3, status: undefined }, 'waiting in memory');
    assert.deepEqual(report.dropped, { ...zero, metrics: 2 });
    assert.match(report.spoolError ?? '', /ENOTDIR/);
    assert.deepEqual(closed.undelivered, { ...zero, status: undefined });
    assert.deepEqual(closed.dropped, { ...zero, metrics: 5 }, 'lost with the process: dropped, not waiting');
  });
});

describe('remote delivery: a spool full to its bound, a disk that fills during an append', () => {
  /** The bytes of `count` one-digit metrics' lines in the queue: the spool's bound in these tests. */
  const linesOf = (count: number) => count * Buffer.byteLength(`${JSON.stringify(metric(0))}\n`);
  const queueFile = (spoolDir: string) => path.join(spoolDir, 'queue.jsonl');
  /** The queue's bytes on disk past its header line. */
  const queueBytes = (spoolDir: string) => {
    const content = readFileSync(queueFile(spoolDir));
    return content.byteLength - (content.indexOf('\n') + 1);
  };

  /**
   * A session whose spool holds six metrics (its bound), 0 to 2 then delivered, 3 to 5 not: the server fails again
   * with 6 to 9 logged meanwhile, which go to the spool after 3 to 5 (`during`: while that happens).
   */
  async function fillPastTheBound(during: (run: () => Promise<unknown>) => Promise<unknown> = (run) => run()) {
    const made = makeDelivery({ maxSpoolBytes: linesOf(6) });
    const { delivery, fake } = made;
    await delivery.ready;
    await delivery.connect(Date.now() + 20_000);
    fake.answers.batch.push(() => down());
    for (let step = 0; step < 6; step += 1) delivery.enqueue(metric(step));
    await delivery.round(); // the server fails: 0 to 5 go to the spool, which is then full
    assert.deepEqual(steps(spooled(made.spoolDir) as DataRecord[]), [0, 1, 2, 3, 4, 5]);
    fake.answers.batch.push(
      (records) => ({ settled: records.length, refused: [] }),
      () => down(),
    );
    for (let step = 6; step < 10; step += 1) delivery.enqueue(metric(step));
    await during(() => delivery.drain(Date.now() + 20_000, { untilFailure: true }));
    assert.deepEqual(steps(fake.taken), [0, 1, 2]);
    return made;
  }

  test('a spool that reaches its bound gives back the space of what was delivered before it refuses more', async () => {
    const { delivery, spoolDir, warnings } = await fillPastTheBound();
    // 3 to 8 fill the bound; 9 is dropped (said); the lines of 0 to 2, delivered, are no longer on disk.
    assert.deepEqual(steps(spooled(spoolDir) as DataRecord[]), [3, 4, 5, 6, 7, 8]);
    assert.ok(
      queueBytes(spoolDir) <= linesOf(6),
      `the queue holds ${queueBytes(spoolDir)} bytes, more than maxSpoolBytes (${linesOf(6)})`,
    );
    assert.deepEqual(codes(warnings), ['GYMNOS_FAKE_UNAVAILABLE', 'GYMNOS_FAKE_UNAVAILABLE', 'GYMNOS_FAKE_SPOOL_FULL']);
    await delivery.close();
  });

  test('the disk full after part of an append: what was written is delivered once (later), the rest now', async () => {
    // The append writes 6 to 8, then needs a new queue file to drop the delivered lines, and the disk is full.
    const { delivery, fake, spoolDir, warnings } = await fillPastTheBound((run) =>
      withFault(fs, 'openSync', '.queue.jsonl.', 'ENOSPC', run),
    );
    assert.match(delivery.spoolError ?? '', /ENOSPC/);
    assert.deepEqual(codes(warnings), [
      'GYMNOS_FAKE_UNAVAILABLE',
      'GYMNOS_FAKE_UNAVAILABLE',
      'GYMNOS_FAKE_SPOOL_UNAVAILABLE',
    ]);
    assert.equal(await drainAll(delivery), true); // the server is back
    const report = await delivery.report();
    await delivery.close();
    assert.deepEqual(steps(fake.taken), [0, 1, 2, 9], 'what the spool could not take, from memory');
    assert.deepEqual(report.undelivered, { ...zero, metrics: 6, status: undefined }, 'kept in the spool');
    assert.deepEqual(report.dropped, zero);
    // The disk freed, a later delivery of the spool (gymnos sync) sends the rest: each metric once, none lost.
    const later = makeDelivery({ spoolDir, mode: 'redeliver' });
    await later.delivery.ready;
    assert.equal(await drainAll(later.delivery), true);
    await later.delivery.close();
    assert.deepEqual(steps(later.fake.taken), [3, 4, 5, 6, 7, 8]);
  });

  /**
   * A session whose batch 0 to 2 gets its answer lost while a log call (3, then 4, which finds the queue full) moves
   * the memory queue to the spool, synchronously. The log call comes between the lost answer and the round's own move
   * to the spool, as one from a training loop whose steps are microtasks may (the outcome reaches the round a few
   * microtasks after the answer is read): the outage's warning, said in between, puts it there. `during`: while the
   * round runs.
   */
  async function logCallAfterALostAnswer(during: (run: () => Promise<unknown>) => Promise<unknown> = (run) => run()) {
    const seen = { byTheLogCall: [] as unknown[] };
    const made = makeDelivery({
      maxQueueItems: 4,
      warn: (code) => {
        if (code !== 'GYMNOS_FAKE_UNAVAILABLE') return;
        made.delivery.enqueue(metric(3));
        made.delivery.enqueue(metric(4));
        seen.byTheLogCall = steps(spooled(made.spoolDir) as DataRecord[]);
      },
    });
    const { delivery, fake } = made;
    await delivery.ready;
    await delivery.connect(Date.now() + 20_000);
    fake.answers.batch.push(() => ({
      settled: 0,
      refused: [],
      failure: { kind: 'retryable', error: 'socket hang up', retryAfterMs: undefined, inDoubt: { settleBy: 1 } },
    }));
    for (let step = 0; step < 3; step += 1) delivery.enqueue(metric(step));
    await during(() => delivery.round());
    assert.deepEqual(seen.byTheLogCall, [0, 1, 2, 3, 4], 'the log call spooled the memory queue');
    return made;
  }

  test('a log call that spools a batch whose answer was lost: it is asked about before it is sent again', async () => {
    const { delivery, fake } = await logCallAfterALostAnswer();
    assert.equal(await drainAll(delivery), true);
    await delivery.close();
    assert.deepEqual(fake.requests.slice(1), [
      'batch metric loss@0, metric loss@1, metric loss@2',
      'batch metric loss@0, metric loss@1, metric loss@2 (in doubt)',
      'batch metric loss@3, metric loss@4',
    ]);
  });

  test('a log call spools a batch in doubt on a disk that fills: what it wrote is not kept in memory too', async () => {
    // The records' lines go in, then the cursor saying which of them are in doubt cannot be written.
    const { delivery, fake, spoolDir } = await logCallAfterALostAnswer((run) =>
      withFault(fs, 'openSync', '.queue.offset.', 'ENOSPC', run),
    );
    assert.match(delivery.spoolError ?? '', /ENOSPC/);
    for (let step = 5; step < 8; step += 1) delivery.enqueue(metric(step));
    assert.equal(await drainAll(delivery), true);
    const report = await delivery.report();
    await delivery.close();
    assert.deepEqual(
      fake.requests.slice(2),
      ['batch metric loss@5, metric loss@6, metric loss@7'],
      'all of 0 to 4 is in the spool, none in memory; what is logged next is sent as usual, not as the batch in doubt',
    );
    assert.deepEqual(report.undelivered, { ...zero, metrics: 5, status: undefined });
    assert.deepEqual(report.dropped, zero);
    const later = makeDelivery({ spoolDir, mode: 'redeliver' });
    await later.delivery.ready;
    assert.equal(await drainAll(later.delivery), true);
    await later.delivery.close();
    assert.deepEqual(steps(later.fake.taken), [0, 1, 2, 3, 4], 'each once');
  });
});

describe('remote delivery: the end of a process without end()', () => {
  for (const [ending, status] of [
    [{ signal: 'SIGTERM' as const }, 'KILLED'],
    [{ exitCode: 1 }, 'FAILED'],
    [{ exitCode: 0 }, 'FINISHED'],
    [{}, 'FINISHED'],
  ] as const) {
    test(`${JSON.stringify(ending)}: the memory queue is spooled and the run's status is ${status}`, async () => {
      const { delivery, spoolDir } = makeDelivery();
      await delivery.ready;
      delivery.enqueue(metric(0));
      delivery.enqueue({ t: 'param', key: 'lr', value: '0.1' });
      const before = Date.now();
      delivery.flushAtExit(ending);
      const meta = readRunJson(spoolDir);
      assert.equal(meta.pendingStatus?.status, status);
      assert.ok(meta.pendingStatus!.endTime! >= before);
      assert.equal(meta.session, 'ended');
      assert.deepEqual(spooled(spoolDir), [metric(0), { t: 'param', key: 'lr', value: '0.1' }]);
      assert.equal(delivery.pending, true);
      await delivery.close();
      assert.deepEqual(spooled(spoolDir).length, 2, 'written once');
    });
  }

  test('a batch in flight at the exit is spooled in doubt: the next delivery asks before sending again', async () => {
    const { delivery, fake } = makeDelivery();
    await delivery.ready;
    await delivery.connect(Date.now() + 20_000);
    let answer: (result: DataResult) => void = () => undefined;
    fake.sendBatch = () => {
      fake.requests.push('batch in flight');
      return new Promise((resolve) => (answer = resolve));
    };
    delivery.enqueue(metric(0));
    delivery.enqueue(metric(1));
    const round = delivery.round();
    while (!fake.requests.includes('batch in flight')) await new Promise((resolve) => setImmediate(resolve));
    delivery.enqueue(metric(2));
    const exit = Date.now();
    delivery.flushAtExit({ signal: 'SIGTERM' });
    // The process would end here; this one goes on, so the request ends (aborted) and the lock is released.
    answer(down('aborted'));
    await round;
    await delivery.close();
    const next = makeDelivery({ mode: 'redeliver' });
    await next.delivery.ready;
    assert.equal(await drainAll(next.delivery), true);
    assert.deepEqual(next.fake.requests, [
      'batch metric loss@0, metric loss@1 (in doubt)',
      'batch metric loss@2',
      'status KILLED',
    ]);
    assert.ok(next.fake.doubts[0]!.settleBy >= exit, 'with the time the request may still take');
    await next.delivery.close();
  });

  test('records queued at a clean exit are spooled as they are, none of them in doubt', async () => {
    const { delivery, fake } = makeDelivery();
    await delivery.ready;
    fake.answers.create.push(down().failure!);
    delivery.enqueue(metric(0));
    await delivery.round(); // an outage: metric 0 is spooled
    delivery.enqueue(metric(1));
    delivery.flushAtExit({});
    await delivery.close();
    const next = makeDelivery({ mode: 'redeliver' });
    await next.delivery.ready;
    assert.equal(await drainAll(next.delivery), true);
    assert.deepEqual(next.fake.requests, ['create', 'batch metric loss@0, metric loss@1', 'status FINISHED']);
    await next.delivery.close();
  });

  test('after end() set the status, an exit keeps it; a closed delivery writes nothing more', async () => {
    const { delivery, spoolDir } = makeDelivery();
    await delivery.ready;
    delivery.setStatus('FINISHED', 42);
    delivery.flushAtExit({ signal: 'SIGINT' });
    assert.deepEqual(readRunJson(spoolDir).pendingStatus, { status: 'FINISHED', endTime: 42 });
    await delivery.close();
    delivery.enqueue(metric(9));
    delivery.flushAtExit({ signal: 'SIGINT' });
    assert.deepEqual(spooled(spoolDir), []);
  });
});

/** Another run (g2) than the one the deliveries log by default (g1). */
const SECOND_RUN: FakeMeta = {
  version: 1,
  trackingUri: 'http://fake.test',
  runName: 'second',
  gymnosRunId: 'g2',
  startTime: 2_000,
  session: 'open',
};

describe('remote delivery: a spool left by an earlier session, delivered again', () => {
  /** A session of run g1 whose server went down after the run was created: it leaves a spool and exits. */
  async function leaveSpool(options: Partial<DeliveryOptions<FakeMeta>> = {}, ending = {}) {
    const made = makeDelivery(options);
    await made.delivery.ready;
    made.fake.answers.batch.push(() => down());
    made.delivery.enqueue(metric(0));
    made.delivery.enqueue(metric(1));
    await made.delivery.round();
    made.delivery.flushAtExit(ending);
    await made.delivery.close();
    return made;
  }

  test('the same run in a later session: resumed (its ids, start time), leftovers first, RUNNING again', async () => {
    const { spoolDir } = await leaveSpool({}, {});
    const { delivery, fake } = makeDelivery({
      meta: { ...FIRST_META, startTime: 9_999 },
    });
    await delivery.ready;
    assert.equal(delivery.runId, 'fake-run', 'the run is not created again');
    assert.equal(delivery.meta.startTime, 1_000);
    assert.equal(delivery.state, 'delivering');
    delivery.enqueue(metric(2));
    assert.equal(await drainAll(delivery), true);
    assert.deepEqual(fake.requests, ['batch metric loss@0, metric loss@1', 'batch metric loss@2', 'status RUNNING']);
    await delivery.close();
    assert.equal(readRunJson(spoolDir).startTime, 1_000);
  });

  test("a status set before the spool was opened stands over the earlier session's", async () => {
    await leaveSpool();
    const { delivery, fake } = makeDelivery();
    delivery.setStatus('FAILED', 7);
    await delivery.ready;
    assert.equal(await drainAll(delivery), true);
    assert.deepEqual(fake.statuses, [{ status: 'FAILED', endTime: 7 }]);
    await delivery.close();
  });

  test("another run's spool with records left is never delivered to this run: a sibling spool is used", async () => {
    const { spoolDir } = await leaveSpool();
    const { delivery, fake, warnings } = makeDelivery({ meta: SECOND_RUN });
    await delivery.ready;
    assert.notEqual(delivery.spoolDir, spoolDir);
    assert.ok(delivery.spoolDir.startsWith(`${spoolDir}-${process.pid}-`), delivery.spoolDir);
    assert.deepEqual(codes(warnings), ['GYMNOS_FAKE_SPOOL_BUSY']);
    assert.equal(
      warnings[0]!.message,
      `${spoolDir} holds the spool of run "g1"; this session spools to ${delivery.spoolDir}`,
    );
    delivery.enqueue(metric(5));
    assert.equal(await drainAll(delivery), true);
    assert.deepEqual(fake.requests, ['create', 'batch metric loss@5']);
    await delivery.close();
    assert.equal(readRunJson(spoolDir).gymnosRunId, 'g1', "the other run's spool is left as it was");
    assert.equal(spooled(spoolDir).length, 2);
  });

  test("another run's spool with nothing left is reused", async () => {
    const first = makeDelivery();
    await first.delivery.ready;
    first.delivery.enqueue(metric(0));
    await drainAll(first.delivery);
    await first.delivery.close();
    const { delivery, fake, warnings, spoolDir } = makeDelivery({ meta: SECOND_RUN });
    await delivery.ready;
    assert.equal(delivery.spoolDir, spoolDir);
    assert.deepEqual(warnings, []);
    assert.equal(await drainAll(delivery), true);
    assert.deepEqual(fake.requests, ['create'], 'a new run, not the first one resumed');
    await delivery.close();
    assert.equal(readRunJson(spoolDir).gymnosRunId, 'g2');
  });

  test('a spool held by a live delivery: a second session of the run uses a sibling', async () => {
    const first = makeDelivery();
    await first.delivery.ready;
    const { delivery, warnings, spoolDir } = makeDelivery();
    await delivery.ready;
    assert.ok(delivery.spoolDir.startsWith(`${spoolDir}-`));
    assert.equal(
      warnings[0]?.message,
      `${spoolDir} is in use by another process; this session spools to ${delivery.spoolDir}`,
    );
    await delivery.close();
    await first.delivery.close();
  });

  test('a spool held by a live delivery and no room for a sibling: said, what waits is sent from memory', async () => {
    const first = makeDelivery();
    await first.delivery.ready;
    const { delivery, fake, warnings, spoolDir } = await withFault(
      fsPromises,
      'mkdir',
      'spool-',
      'ENOSPC',
      async () => {
        const made = makeDelivery();
        await made.delivery.ready;
        return made;
      },
    );
    assert.deepEqual(codes(warnings), ['GYMNOS_FAKE_SPOOL_BUSY', 'GYMNOS_FAKE_SPOOL_UNAVAILABLE']);
    assert.match(warnings[1]!.message, new RegExp(`^cannot write the spool ${spoolDir}-\\S+ \\(ENOSPC`));
    delivery.enqueue(metric(0));
    assert.equal(await drainAll(delivery), true);
    assert.deepEqual(steps(fake.taken), [0]);
    await delivery.close();
    await first.delivery.close();
  });

  test('a cursor that cannot move past what the server took: said; the next delivery asks about it first', async () => {
    await leaveSpool(); // metrics 0 and 1
    const { delivery, fake, warnings, spoolDir } = makeDelivery();
    await delivery.ready;
    fake.batchSize = 1;
    // The disk fills while metric 0 is sent: its range in doubt is in the cursor, the move past it is not.
    let full = false;
    const sendBatch = fake.sendBatch.bind(fake);
    fake.sendBatch = (meta, records, options) => {
      full = true;
      return sendBatch(meta, records, options);
    };
    const cursorFile = (name: string) => full && name.startsWith('.queue.offset.');
    await withFault(fs, 'openSync', cursorFile, 'ENOSPC', () => drainAll(delivery));
    await delivery.close();
    assert.deepEqual(fake.requests, ['batch metric loss@0', 'status RUNNING'], 'the spool is not read any more');
    assert.deepEqual(codes(warnings), ['GYMNOS_FAKE_SPOOL_UNAVAILABLE']);
    assert.match(warnings[0]!.message, /ENOSPC/);
    const later = makeDelivery({ spoolDir, mode: 'redeliver' });
    await later.delivery.ready;
    later.fake.answers.batch.push(() => ({ settled: 1, refused: [] })); // the server has it: nothing sent twice
    assert.equal(await drainAll(later.delivery), true);
    await later.delivery.close();
    assert.deepEqual(later.fake.requests.slice(0, 2), ['batch metric loss@0 (in doubt)', 'batch metric loss@1']);
  });

  test('redeliver: a spool as it is, to the URI given; a killed session is set KILLED at its last write', async () => {
    const { spoolDir } = await leaveSpool();
    const meta = readRunJson(spoolDir);
    meta.session = 'open';
    delete meta.pendingStatus;
    writeFileSync(path.join(spoolDir, 'run.json'), JSON.stringify(meta));
    const { delivery, fake } = makeDelivery({
      mode: 'redeliver',
      meta: { version: 1, trackingUri: 'http://elsewhere.test', runName: '', gymnosRunId: '', startTime: 0 },
    });
    await delivery.ready;
    assert.equal(delivery.meta.trackingUri, 'http://elsewhere.test');
    assert.equal(delivery.meta.gymnosRunId, 'g1');
    assert.equal(await drainAll(delivery), true);
    const report = await delivery.report();
    await delivery.close();
    assert.deepEqual(fake.requests, ['batch metric loss@0, metric loss@1', 'status KILLED']);
    const endTime = fake.statuses[0]!.endTime!;
    assert.ok(Math.abs(endTime - Date.now()) < 600_000 && endTime > 1_000, String(endTime));
    assert.equal(report.killed, true);
    assert.equal(readRunJson(spoolDir).session, 'killed');
  });

  test('redeliver: a directory without a run.json is no spool; a busy spool is said', async () => {
    await mkdir(path.join(dir, 'empty'));
    const { delivery } = makeDelivery({ mode: 'redeliver', spoolDir: path.join(dir, 'empty') });
    await assert.rejects(delivery.ready, (error: Error & { code?: string }) => {
      assert.equal(error.code, 'MLFLOW_SPOOL_NOT_FOUND');
      assert.equal(error.message, `${path.join(dir, 'empty')} holds no spool of a run (run.json)`);
      return true;
    });
    const first = makeDelivery();
    await first.delivery.ready;
    const second = makeDelivery({ mode: 'redeliver' });
    await assert.rejects(second.delivery.ready, { code: 'MLFLOW_SPOOL_BUSY' });
    await first.delivery.close();
  });
});

describe('remote delivery: a spool that cannot be read, or holds lines that are no records', () => {
  /** A session whose server was down: it leaves metrics `from` to `to` - 1 in its spool and ends. */
  async function leaveSpool(to: number) {
    const made = makeDelivery();
    await made.delivery.ready;
    made.fake.answers.batch.push(() => down());
    for (let step = 0; step < to; step += 1) made.delivery.enqueue(metric(step));
    await made.delivery.round();
    await made.delivery.close();
    assert.deepEqual(steps(spooled(made.spoolDir) as DataRecord[]), [...Array(to).keys()]);
    return made.spoolDir;
  }

  test("a disk error reading the spool: said, the spool's records kept for later, the memory queue sent", async () => {
    await leaveSpool(2);
    const { delivery, fake, warnings } = makeDelivery();
    await delivery.ready;
    delivery.enqueue(metric(2));
    assert.equal(await withFault(fsPromises, 'open', 'queue.jsonl', 'EIO', () => drainAll(delivery)), true);
    const report = await delivery.report();
    await delivery.close();
    assert.deepEqual(fake.requests, ['batch metric loss@2', 'status RUNNING']);
    assert.deepEqual(codes(warnings), ['GYMNOS_FAKE_SPOOL_UNAVAILABLE']);
    assert.match(warnings[0]!.message, /EIO/);
    assert.deepEqual(report.undelivered, { ...zero, metrics: 2, status: undefined }, 'kept in the spool');
    // The disk mended, a later delivery (gymnos sync) sends them.
    const later = makeDelivery({ mode: 'redeliver' });
    await later.delivery.ready;
    assert.equal(await drainAll(later.delivery), true);
    await later.delivery.close();
    assert.deepEqual(steps(later.fake.taken), [0, 1]);
  });

  test('lines that are no records at the front (a write cut by a crash) are passed over, the rest sent', async () => {
    const spoolDir = await leaveSpool(5);
    // Metrics 0 and 1 garbled in place, as a power cut leaves the pages of an append (the cursor still before them).
    const queue = path.join(spoolDir, 'queue.jsonl');
    const lines = readFileSync(queue, 'utf8').split('\n');
    for (const index of [1, 2]) lines[index] = '\0'.repeat(lines[index]!.length);
    writeFileSync(queue, lines.join('\n'));
    const { delivery, fake, warnings } = makeDelivery({ mode: 'redeliver' });
    await delivery.ready;
    assert.equal(await drainAll(delivery), true);
    await delivery.close();
    assert.deepEqual(fake.requests, ['batch metric loss@2, metric loss@3, metric loss@4', 'status KILLED']);
    assert.deepEqual(codes(warnings), []);
    assert.equal(existsSync(queue), false, 'the spool delivered is removed');
  });

  test('a queue cut short by another program under a live delivery: no outage said, nothing sent', async () => {
    const { delivery, fake, warnings, spoolDir } = makeDelivery({ maxQueueItems: 1 });
    await delivery.ready;
    await delivery.connect(Date.now() + 20_000);
    delivery.enqueue(metric(0));
    delivery.enqueue(metric(1)); // the queue is full: both go to the spool
    const queue = path.join(spoolDir, 'queue.jsonl');
    writeFileSync(queue, readFileSync(queue, 'utf8').split('\n')[0] + '\n'); // its header only
    await delivery.drain(Date.now() + 300);
    await delivery.close();
    assert.deepEqual(fake.requests, ['create']);
    assert.deepEqual(codes(warnings), []);
    assert.equal(delivery.outage, false);
  });

  test('a cursor whose range in doubt ends inside a line (corrupt): the range is dropped, records sent', async () => {
    const spoolDir = await leaveSpool(3);
    const queue = readFileSync(path.join(spoolDir, 'queue.jsonl'), 'utf8');
    const header = queue.slice(0, queue.indexOf('\n') + 1);
    const start = Buffer.byteLength(header);
    const generation = (JSON.parse(header) as { generation: string }).generation;
    writeFileSync(
      path.join(spoolDir, 'queue.offset'),
      JSON.stringify({ generation, offset: start, doubt: { start, end: start + 5, settleBy: 0 } }),
    );
    const { delivery, fake, warnings } = makeDelivery({ mode: 'redeliver' });
    await delivery.ready;
    assert.equal(await drainAll(delivery), true);
    await delivery.close();
    assert.deepEqual(fake.requests, ['batch metric loss@0, metric loss@1, metric loss@2', 'status KILLED']);
    assert.deepEqual(codes(warnings), []);
  });

  test('a spool of nothing but such lines is passed over whole', async () => {
    const spoolDir = await leaveSpool(2);
    const queue = path.join(spoolDir, 'queue.jsonl');
    const [header, ...lines] = readFileSync(queue, 'utf8').split('\n');
    writeFileSync(queue, [header, ...lines.map((line) => (line ? '\0'.repeat(line.length) : line))].join('\n'));
    const { delivery, fake, warnings } = makeDelivery({ mode: 'redeliver' });
    await delivery.ready;
    assert.equal(await drainAll(delivery), true);
    await delivery.close();
    assert.deepEqual(fake.requests, ['status KILLED']);
    assert.deepEqual(codes(warnings), []);
    assert.equal(existsSync(queue), false);
  });
});

describe('remote delivery: a batch whose answer was lost', () => {
  const lost = (): DataResult => ({
    settled: 0,
    refused: [],
    failure: { kind: 'retryable', error: 'socket hang up', retryAfterMs: undefined, inDoubt: { settleBy: 123 } },
  });

  test('from memory: sent again as it was, with its doubt, never merged with newer records', async () => {
    const { delivery, fake } = makeDelivery({ maxQueueItems: 1_000 });
    await delivery.ready;
    await delivery.connect(Date.now() + 60_000);
    fake.batchSize = 2;
    fake.answers.batch.push(lost);
    delivery.enqueue(metric(0));
    delivery.enqueue(metric(1));
    await delivery.round();
    // The outage spools the batch with its doubt; records logged since follow it.
    delivery.enqueue(metric(2));
    assert.equal(await drainAll(delivery), true);
    assert.deepEqual(fake.requests.slice(1), [
      'batch metric loss@0, metric loss@1',
      'batch metric loss@0, metric loss@1 (in doubt)',
      'batch metric loss@2',
    ]);
    assert.equal(fake.doubts[1]?.settleBy, 123, 'with the time the server may take to carry it out');
    await delivery.close();
  });

  test('the spool unwritable: asked about from memory, with its doubt, before it is sent again', async () => {
    const { delivery, fake, spoolDir } = makeDelivery();
    await delivery.ready;
    await delivery.connect(Date.now() + 60_000);
    fake.answers.batch.push(lost);
    delivery.enqueue(metric(0));
    delivery.enqueue(metric(1));
    rmSync(spoolDir, { recursive: true, force: true });
    writeFileSync(spoolDir, 'not a directory');
    await delivery.round(); // the answer is lost, and the batch cannot go to the spool: it stays in memory
    assert.match(delivery.spoolError ?? '', /ENOTDIR|ENOENT|EEXIST/);
    assert.equal(await drainAll(delivery), true);
    await delivery.close();
    assert.deepEqual(fake.requests.slice(1), [
      'batch metric loss@0, metric loss@1',
      'batch metric loss@0, metric loss@1 (in doubt)',
    ]);
    assert.equal(fake.doubts[1]?.settleBy, 123, 'with the time the server may take to carry it out');
    assert.deepEqual(steps(fake.taken), [0, 1]);
  });

  for (const from of ['memory', 'spool'] as const) {
    test(`from the ${from}: a batch partly taken, then an answer lost: what was taken is not sent again`, async () => {
      // A queue of two: the third record logged moves all three to the spool.
      const { delivery, fake } = makeDelivery({ maxQueueItems: from === 'spool' ? 2 : 100 });
      await delivery.ready;
      await delivery.connect(Date.now() + 20_000);
      fake.answers.batch.push(() => ({
        settled: 1,
        refused: [],
        failure: { kind: 'retryable', error: 'socket hang up', retryAfterMs: undefined, inDoubt: { settleBy: 123 } },
      }));
      for (let step = 0; step < 3; step += 1) delivery.enqueue(metric(step));
      assert.equal(spooled(delivery.spoolDir).length, from === 'spool' ? 3 : 0);
      assert.equal(await drainAll(delivery), true);
      await delivery.close();
      assert.equal(fake.requests[1], 'batch metric loss@0, metric loss@1, metric loss@2');
      assert.ok(
        fake.requests.slice(2).every((request) => !request.includes('loss@0')),
        fake.requests.slice(2).join('; '),
      );
      assert.deepEqual(steps(fake.taken), [0, 1, 2]);
    });
  }

  test('a server that answers the question (waiting) is no outage: asked again, then delivered', async () => {
    const { delivery, fake, warnings } = makeDelivery();
    await delivery.ready;
    fake.answers.batch.push(lost, () => ({
      settled: 0,
      refused: [],
      failure: {
        kind: 'retryable',
        error: 'still in doubt',
        retryAfterMs: undefined,
        inDoubt: { settleBy: 123 },
        waiting: true,
      },
    }));
    delivery.enqueue(metric(0));
    assert.equal(await drainAll(delivery), true);
    assert.deepEqual(fake.requests, [
      'create',
      'batch metric loss@0',
      'batch metric loss@0 (in doubt)',
      'batch metric loss@0 (in doubt)',
    ]);
    assert.deepEqual(codes(warnings), ['GYMNOS_FAKE_UNAVAILABLE'], 'the lost answer only');
    await delivery.close();
  });
});

describe('remote delivery: drain', () => {
  test('onOutage is called once, at once, with the error; untilFailure stops at the first failure', async () => {
    const { delivery, fake } = makeDelivery();
    await delivery.ready;
    fake.answers.create.push(
      { kind: 'retryable', error: 'ECONNRESET', retryAfterMs: undefined },
      { kind: 'retryable', error: 'ECONNRESET again', retryAfterMs: undefined },
    );
    delivery.enqueue(metric(0));
    const outages: string[] = [];
    assert.equal(
      await delivery.drain(Date.now() + 60_000, { untilFailure: true, onOutage: (error) => outages.push(error) }),
      false,
    );
    assert.deepEqual(fake.requests, ['create']);
    assert.deepEqual(outages, ['ECONNRESET']);
    assert.equal(await delivery.drain(Date.now() + 60_000, { onOutage: (error) => outages.push(error) }), true);
    assert.deepEqual(outages, ['ECONNRESET', 'ECONNRESET again']);
    assert.deepEqual(fake.requests, ['create', 'create', 'create', 'batch metric loss@0']);
    await delivery.close();
  });

  test('onOutage is not called while the server answers, however many rounds the drain takes', async () => {
    const { delivery, fake } = makeDelivery({ maxQueueItems: 1_000 });
    await delivery.ready;
    fake.batchSize = 1;
    for (let step = 0; step < 70; step += 1) delivery.enqueue(metric(step)); // more requests than one round makes
    const outages: string[] = [];
    assert.equal(await delivery.drain(Date.now() + 20_000, { onOutage: (error) => outages.push(error) }), true);
    assert.equal(fake.taken.length, 70);
    assert.deepEqual(outages, []);
    await delivery.close();
  });

  test('between attempts the drain waits for the backoff (no polling), and leaves no listener behind', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    try {
      // Backoffs of 50 to 100 ms: a drain that polled every 10 ms instead would make several rounds for each.
      const { delivery, fake } = makeDelivery({ retryBaseMs: 100, retryMaxMs: 100 });
      await delivery.ready;
      // 12 waits: a listener left by each would pass the 10 that Node warns about.
      for (let failure = 0; failure < 12; failure += 1) {
        fake.answers.create.push({ kind: 'retryable', error: 'down', retryAfterMs: undefined });
      }
      delivery.enqueue(metric(0));
      let rounds = 0;
      const round = delivery.round.bind(delivery);
      delivery.round = () => {
        rounds += 1;
        return round();
      };
      assert.equal(await drainAll(delivery), true);
      await delivery.close();
      assert.equal(fake.requests.length, 14, '12 failed creations, the 13th, the batch');
      // A timer may fire a millisecond before the clock shows the backoff over: then one more short wait.
      assert.ok(rounds <= 2 * 13 + 1, `${rounds} rounds for 13 attempts: one once each backoff is over`);
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
      assert.deepEqual(warnings, []);
    } finally {
      process.off('warning', onWarning);
    }
  });

  test('untilFailure and untilDeferred go on while the server answers, however many rounds that takes', async () => {
    for (const options of [{ untilFailure: true }, { untilDeferred: true }]) {
      const { delivery, fake } = makeDelivery({ maxQueueItems: 1_000 });
      await delivery.ready;
      fake.batchSize = 1;
      for (let step = 0; step < 70; step += 1) delivery.enqueue(metric(step));
      assert.equal(await delivery.drain(Date.now() + 20_000, options), true, JSON.stringify(options));
      assert.equal(fake.taken.length, 70);
      await delivery.close();
    }
  });

  test('idleMs: each answer (a request taken, a question answered, a pace asked) moves the deadline on', async () => {
    // Each case has the drain reach its deadline (100 ms) with records left, just after an answer of the server.
    const cases: [string, (fake: FakeProtocol, deadline: number) => void][] = [
      [
        'a request taken',
        (fake, deadline) => {
          fake.batchSize = 1; // 70 requests: more than a round makes
          fake.answers.batch.push((records) => {
            fake.slowUntil = deadline; // the next request is answered after the deadline
            return { settled: records.length, refused: [] };
          });
        },
      ],
      [
        'a question about a request in doubt answered (the next is asked 200 ms later)',
        (fake) =>
          fake.answers.batch.push(
            () => ({
              settled: 0,
              refused: [],
              failure: { kind: 'retryable', error: 'lost', retryAfterMs: undefined, inDoubt: { settleBy: 1 } },
            }),
            () => ({
              settled: 0,
              refused: [],
              failure: {
                kind: 'retryable',
                error: 'still',
                retryAfterMs: undefined,
                inDoubt: { settleBy: 1 },
                waiting: true,
              },
            }),
          ),
      ],
      [
        'a pace asked for (300 ms)',
        (fake) =>
          fake.answers.batch.push(() => ({
            settled: 0,
            refused: [],
            failure: { kind: 'retryable', error: 'pace', retryAfterMs: 300, waiting: true },
          })),
      ],
    ];
    for (const [what, setUp] of cases) {
      const { delivery, fake } = makeDelivery({ maxQueueItems: 1_000 });
      await delivery.ready;
      await delivery.connect(Date.now() + 20_000);
      for (let step = 0; step < 70; step += 1) delivery.enqueue(metric(step));
      const deadline = Date.now() + 100;
      setUp(fake, deadline);
      assert.equal(await delivery.drain(deadline, { idleMs: 20_000 }), true, what);
      assert.equal(fake.taken.length, 70, what);
      await delivery.close();
    }
  });

  test('a drain ends at its deadline, in the middle of a long backoff', async () => {
    const { delivery, fake } = makeDelivery({ retryBaseMs: 600_000, retryMaxMs: 600_000 });
    await delivery.ready;
    fake.answers.create.push(down().failure!);
    delivery.enqueue(metric(0));
    assert.equal(await delivery.drain(Date.now() + 200), false);
    assert.deepEqual(fake.requests, ['create']);
    await delivery.close();
  });

  test('idleMs: a server that does not answer is given up at the deadline', async () => {
    // 200 failures take at least 400 ms of backoff: the drain gives up long before the server would answer.
    const { delivery, fake } = makeDelivery({ retryBaseMs: 4, retryMaxMs: 4 });
    await delivery.ready;
    for (let attempt = 0; attempt < 200; attempt += 1) fake.answers.create.push(down().failure!);
    delivery.enqueue(metric(0));
    assert.equal(await delivery.drain(Date.now() + 100, { idleMs: 600_000 }), false);
    await delivery.close();
  });

  test('a deadline already passed sends nothing; idleMs moves it on with each answer', async () => {
    const { delivery, fake } = makeDelivery();
    await delivery.ready;
    delivery.enqueue(metric(0));
    assert.equal(await delivery.drain(Date.now() - 1), false);
    assert.deepEqual(fake.requests, []);
    assert.equal(await delivery.drain(Date.now() - 1, { idleMs: 60_000 }), false, 'idleMs counts from an answer');
    await delivery.close();
  });

  test('a stopped delivery is not drained again', async () => {
    const fake = new FakeProtocol();
    fake.answers.create.push({ kind: 'stopped', reason: 'no' });
    const { delivery } = makeDelivery({}, fake);
    await delivery.ready;
    delivery.enqueue(metric(0));
    assert.equal(await drainAll(delivery), false);
    assert.deepEqual(fake.requests, ['create']);
    await delivery.close();
  });

  test('stop(): no new request; the wait between rounds ends at once', async () => {
    const { delivery, fake } = makeDelivery({ retryBaseMs: 600_000, retryMaxMs: 600_000 });
    await delivery.ready;
    fake.answers.create.push({ kind: 'retryable', error: 'down', retryAfterMs: undefined });
    delivery.enqueue(metric(0));
    // onOutage is called after the failed attempt, just before the drain starts waiting for the backoff.
    let stopped: Promise<void> | undefined;
    const drained = delivery.drain(Date.now() + 600_000, {
      onOutage: () => setImmediate(() => (stopped = delivery.stop(60_000))),
    });
    assert.equal(await drained, false);
    await stopped;
    assert.equal(delivery.state, 'stopping');
    assert.deepEqual(fake.requests, ['create']);
    await delivery.close();
  });
});

describe('remote delivery: its states (states.ts) and its memory queue', () => {
  test('the transitions the diagram draws, and no other', () => {
    const drawn: Record<DeliveryState, Partial<Record<DeliveryEvent, DeliveryState>>> = {
      opening: { opened: 'connecting', offline: 'offline', stop: 'stopping', close: 'closed' },
      connecting: { created: 'delivering', failed: 'outage', refused: 'stopped', stop: 'stopping', close: 'closed' },
      delivering: { failed: 'outage', refused: 'stopped', stop: 'stopping', close: 'closed' },
      outage: { answered: 'delivering', created: 'delivering', refused: 'stopped', stop: 'stopping', close: 'closed' },
      stopped: { stop: 'stopping', close: 'closed' },
      offline: { stop: 'stopping', close: 'closed' },
      stopping: { close: 'closed' },
      closed: {},
    };
    const events: DeliveryEvent[] = ['opened', 'offline', 'created', 'answered', 'failed', 'refused', 'stop', 'close'];
    for (const [state, moves] of Object.entries(drawn) as [
      DeliveryState,
      Partial<Record<DeliveryEvent, DeliveryState>>,
    ][]) {
      for (const event of events)
        assert.equal(transition(state, event), moves[event] ?? state, `${state} --${event}-->`);
    }
    const actions = (Object.keys(drawn) as DeliveryState[]).map((state) => [
      state,
      roundAction(state, true),
      roundAction(state, false),
    ]);
    assert.deepEqual(actions, [
      ['opening', 'nothing', 'nothing'],
      ['connecting', 'send', 'spill'],
      ['delivering', 'send', 'spill'],
      ['outage', 'send', 'spill'],
      ['stopped', 'spill', 'spill'],
      ['offline', 'spill', 'spill'],
      ['stopping', 'nothing', 'nothing'],
      ['closed', 'nothing', 'nothing'],
    ]);
  });

  test('offline: nothing is sent, everything is spooled for a later sync', async () => {
    const { delivery, fake, spoolDir } = makeDelivery({ offline: true });
    await delivery.ready;
    assert.equal(delivery.state, 'offline');
    delivery.enqueue(metric(0));
    await delivery.round();
    assert.equal(await drainAll(delivery), false);
    await delivery.close();
    assert.deepEqual(fake.requests, []);
    assert.deepEqual(spooled(spoolDir), [metric(0)]);
  });

  test('a new run: connecting until the server has created it, then delivering', async () => {
    const { delivery, fake } = makeDelivery();
    await delivery.ready;
    assert.equal(delivery.state, 'connecting');
    fake.answers.create.push(down().failure!);
    await delivery.round();
    assert.equal(delivery.state, 'outage');
    assert.equal(await delivery.connect(Date.now() + 20_000), true);
    assert.equal(delivery.state, 'delivering');
    await delivery.close();
    assert.equal(delivery.state, 'closed');
  });

  test("offline is a session's mode only: a redelivery given it sends (gymnos sync of an offline run)", async () => {
    const first = makeDelivery({ offline: true });
    await first.delivery.ready;
    first.delivery.enqueue(metric(0));
    first.delivery.setStatus('FINISHED');
    await first.delivery.close();
    const { delivery, fake } = makeDelivery({ mode: 'redeliver', offline: true });
    await delivery.ready;
    assert.equal(delivery.state, 'connecting');
    assert.equal(await drainAll(delivery), true);
    await delivery.close();
    assert.deepEqual(fake.requests, ['create', 'batch metric loss@0', 'status FINISHED']);
  });

  test('a delivery closed while its spool opens leaves no exit handler behind (nothing of it to write)', async () => {
    const listening = () => ['exit', 'SIGINT', 'SIGTERM'].map((event) => process.listenerCount(event));
    const before = listening();
    const { delivery } = makeDelivery();
    const closed = delivery.close(); // before the spool is open
    await delivery.ready;
    await closed;
    assert.deepEqual(listening(), before);
  });

  test('the queue forgets the first records of a snapshot in its order (data, then artifacts), newer ones kept', () => {
    const artifact = (name: string): ArtifactRecord => ({
      t: 'artifact',
      path: name,
      contentType: 'text/plain',
      file: name,
    });
    const fill = () => {
      const queue = new MemoryQueue(10);
      queue.push(metric(0));
      queue.push(artifact('a'));
      queue.push(metric(1));
      queue.push(artifact('b'));
      return queue;
    };
    const contents = (queue: MemoryQueue) => queue.snapshot().records.map((record) => describeRecord(record));
    for (const [count, left] of [
      [1, ['metric loss@1', 'metric loss@9', 'artifact a', 'artifact b']],
      [2, ['metric loss@9', 'artifact a', 'artifact b']],
      [3, ['metric loss@9', 'artifact b']],
      [4, ['metric loss@9']],
    ] as const) {
      const queue = fill();
      const snapshot = queue.snapshot();
      queue.push(metric(9));
      queue.forgetFirst(snapshot, count);
      assert.deepEqual(contents(queue), left, `the first ${count}`);
    }
    const bounded = new MemoryQueue(3);
    assert.equal(bounded.push(artifact('a')), true);
    assert.equal(bounded.push(artifact('b')), true);
    assert.equal(bounded.push(metric(0)), true);
    assert.equal(bounded.push(metric(1)), false, 'artifacts count toward maxItems');
    assert.equal(bounded.size, 3);
    const queue = fill();
    assert.deepEqual(queue.takeBeyond(1, 1).map(describeRecord), ['metric loss@1', 'artifact b']);
    assert.deepEqual(contents(queue), ['metric loss@0', 'artifact a']);
    assert.deepEqual(queue.counts(), { metrics: 1, params: 0, tags: 0, artifacts: 1 });
  });
});

describe('remote delivery: rounds started by log calls, the timer, a flush', () => {
  /** Waits (at most 20 s: a bound for a hang, not a timing) until `done()`. */
  async function until(done: () => boolean): Promise<void> {
    for (const giveUp = Date.now() + 20_000; !done() && Date.now() < giveUp;) {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }

  test('a thousand data records waiting start a round at once; fewer, and artifacts, wait', async () => {
    const { delivery, fake } = makeDelivery({ maxQueueItems: 5_000 });
    await delivery.ready;
    fake.batchSize = 1_000;
    delivery.enqueue({ t: 'artifact', path: 'first.txt', contentType: 'text/plain', bytes: Buffer.from('x') });
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(fake.requests, [], 'an artifact starts no round');
    for (let step = 0; step < 999; step += 1) delivery.enqueue(metric(step));
    for (let file = 0; file < 1_001; file += 1) {
      delivery.enqueue({ t: 'artifact', path: `${file}.txt`, contentType: 'text/plain', bytes: Buffer.from('x') });
    }
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(fake.requests, [], 'no round before the thousandth data record');
    delivery.enqueue(metric(999));
    await until(() => fake.taken.length === 1_000);
    assert.equal(fake.taken.length, 1_000);
    assert.equal(
      fake.requests[1],
      `batch ${Array.from({ length: 1_000 }, (_, step) => `metric loss@${step}`).join(', ')}`,
    );
    await delivery.close();
  });

  test('the timer sends what waits; after a stop it moves the memory queue to the spool; close ends it', async () => {
    const { delivery, fake, spoolDir } = makeDelivery();
    await delivery.ready;
    delivery.startTimer(5);
    delivery.enqueue(metric(0));
    await until(() => fake.taken.length === 1);
    assert.deepEqual(steps(fake.taken), [0]);
    fake.answers.batch.push(() => ({ settled: 0, refused: [], failure: { kind: 'stopped', reason: 'gone' } }));
    delivery.enqueue(metric(1));
    await until(() => delivery.state === 'stopped');
    delivery.enqueue(metric(2));
    await until(() => spooled(spoolDir).length === 2);
    assert.deepEqual(steps(spooled(spoolDir) as DataRecord[]), [1, 2]);
    await delivery.close();
    const requests = fake.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(fake.requests.length, requests);
  });

  test('the timer sends the spool once the server is back, with nothing new logged', async () => {
    const { delivery, fake } = makeDelivery();
    await delivery.ready;
    await delivery.connect(Date.now() + 20_000);
    fake.answers.batch.push(() => down());
    delivery.enqueue(metric(0));
    delivery.enqueue(metric(1));
    await delivery.round(); // the server fails: 0 and 1 go to the spool, memory is empty
    delivery.startTimer(5);
    await until(() => fake.taken.length === 2);
    await delivery.close();
    assert.deepEqual(steps(fake.taken), [0, 1]);
  });

  test('kicks while a round waits start no more rounds; none after close', async () => {
    const { delivery, fake } = makeDelivery();
    await delivery.ready;
    await delivery.connect(Date.now() + 20_000);
    let rounds = 0;
    const round = delivery.round.bind(delivery);
    delivery.round = () => {
      rounds += 1;
      return round();
    };
    let answer: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (answer = resolve));
    const sendBatch = fake.sendBatch.bind(fake);
    fake.sendBatch = async (meta, records, options) => {
      await held;
      return sendBatch(meta, records, options);
    };
    delivery.enqueue(metric(0));
    const first = delivery.round(); // its request waits for the server
    for (let kick = 0; kick < 5; kick += 1) delivery.kick(); // log calls, timer ticks meanwhile
    assert.equal(rounds, 2, 'the round under way, and one waiting behind it');
    answer();
    await first;
    await delivery.close();
    delivery.kick();
    assert.equal(rounds, 2, 'none after close');
    assert.deepEqual(steps(fake.taken), [0]);
  });

  test('a round makes at most 64 requests (a flush or an end checks its deadline between rounds)', async () => {
    const { delivery, fake } = makeDelivery({ maxQueueItems: 1_000 });
    await delivery.ready;
    fake.batchSize = 1;
    for (let step = 0; step < 100; step += 1) delivery.enqueue(metric(step));
    await delivery.round();
    assert.equal(fake.requests.filter((request) => request.startsWith('batch')).length, 64);
    assert.equal(await drainAll(delivery), true);
    await delivery.close();
    assert.equal(fake.taken.length, 100);
  });

  test('connect creates the run now: true once it exists, false when the server does not answer', async () => {
    const fake = new FakeProtocol();
    fake.answers.create.push(down().failure!);
    const { delivery } = makeDelivery({}, fake);
    assert.equal(await delivery.connect(Date.now() + 20_000), false);
    assert.equal(await delivery.connect(Date.now() + 20_000), true);
    assert.equal(delivery.runId, 'fake-run');
    assert.equal(delivery.requestTimeoutMs, 1_000);
    assert.equal(delivery.timeoutsExhausted, false);
    await delivery.close();
  });

  test('a flush in an outage, the spool broken, waits for one attempt: the server is all that is left', async () => {
    const blocked = path.join(dir, 'a-file');
    writeFileSync(blocked, '');
    const { delivery, fake } = makeDelivery({ spoolDir: path.join(blocked, 'spool') });
    await delivery.ready;
    fake.answers.create.push(down().failure!, down().failure!);
    delivery.enqueue(metric(0));
    await delivery.round();
    assert.equal(delivery.outage, true);
    await delivery.flush(Date.now() + 20_000);
    assert.deepEqual(fake.requests, ['create', 'create'], 'one attempt, then back');
    await delivery.flush(Date.now() + 20_000);
    assert.deepEqual(steps(fake.taken), [0]);
    await delivery.close();
  });

  test('a flush during an outage whose spool breaks on the way waits for the server, the only place left', async () => {
    const { delivery, fake, warnings, spoolDir } = makeDelivery();
    await delivery.ready;
    fake.answers.create.push(down().failure!);
    await delivery.round();
    assert.equal(delivery.outage, true);
    rmSync(spoolDir, { recursive: true, force: true });
    writeFileSync(spoolDir, 'not a directory');
    delivery.enqueue(metric(0));
    await delivery.flush(Date.now() + 20_000);
    assert.ok(codes(warnings).includes('GYMNOS_FAKE_SPOOL_UNAVAILABLE'));
    assert.deepEqual(steps(fake.taken), [0], 'delivered before flush returned');
    assert.deepEqual((await delivery.report()).dropped, zero, 'back in memory, not lost');
    await delivery.close();
  });

  test('a Retry-After longer than retryMaxMs is cut to it', async () => {
    const { delivery, fake } = makeDelivery({ retryBaseMs: 1, retryMaxMs: 5 });
    await delivery.ready;
    fake.answers.batch.push(() => ({
      settled: 0,
      refused: [],
      failure: { kind: 'retryable', error: 'HTTP 429', retryAfterMs: 600_000 },
    }));
    delivery.enqueue(metric(0));
    assert.equal(await drainAll(delivery), true);
    await delivery.close();
  });

  test('after a pause the server asked for, a round makes as many requests as it may again', async () => {
    const { delivery, fake } = makeDelivery();
    await delivery.ready;
    await delivery.connect(Date.now() + 20_000);
    fake.batchSize = 1;
    fake.answers.batch.push((records) => ({ settled: records.length, refused: [], paceMs: 1 }));
    for (let step = 0; step < 6; step += 1) delivery.enqueue(metric(step));
    await delivery.round();
    assert.equal(fake.taken.length, 1, 'the round ends at the pause');
    await until(() => Date.now() > 0 && fake.taken.length === 1); // (no wait: the pause is 1 ms)
    await new Promise((resolve) => setTimeout(resolve, 5));
    await delivery.round();
    assert.equal(fake.taken.length, 6, 'one round for the five left');
    await delivery.close();
  });

  test('a failure answered after close is not an outage', async () => {
    const { delivery, fake, warnings } = makeDelivery();
    await delivery.ready;
    await delivery.connect(Date.now() + 20_000);
    let answer: (result: DataResult) => void = () => undefined;
    fake.answers.batch.push(() => down()); // unused: the request below is answered by hand
    const sendBatch = fake.sendBatch.bind(fake);
    fake.sendBatch = () => {
      fake.sendBatch = sendBatch;
      fake.requests.push('batch held');
      return new Promise((resolve) => (answer = resolve));
    };
    delivery.enqueue(metric(0));
    const round = delivery.round();
    await until(() => fake.requests.includes('batch held'));
    const closed = delivery.close();
    answer(down('aborted'));
    await round;
    await closed;
    assert.deepEqual(warnings, []);
    assert.equal(delivery.outage, false);
  });
});

describe('remote delivery: records logged while a request is in flight', () => {
  test('the queue full meanwhile: the rest is spooled, the batch in flight stays; each record sent once', async () => {
    const { delivery, fake, spoolDir } = makeDelivery({ maxQueueItems: 4 });
    await delivery.ready;
    await delivery.connect(Date.now() + 20_000);
    let answer: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (answer = resolve));
    const sendBatch = fake.sendBatch.bind(fake);
    fake.sendBatch = async (meta, records, options) => {
      fake.sendBatch = sendBatch;
      await held;
      return sendBatch(meta, records, options);
    };
    for (let step = 0; step < 3; step += 1) delivery.enqueue(metric(step));
    const round = delivery.round(); // sends 0, 1, 2 and waits for the answer
    await new Promise((resolve) => setImmediate(resolve));
    for (let step = 3; step < 6; step += 1) delivery.enqueue(metric(step)); // the queue is full at the 5th
    assert.deepEqual(steps(spooled(spoolDir) as DataRecord[]), [3, 4], 'not the batch in flight');
    answer();
    await round;
    assert.equal(await drainAll(delivery), true);
    assert.deepEqual(steps(fake.taken), [0, 1, 2, 3, 4, 5]);
    await delivery.close();
  });

  test('a spool that breaks mid-session: said, the data kept in memory and delivered from there', async () => {
    const { delivery, fake, warnings, spoolDir } = makeDelivery();
    await delivery.ready;
    await delivery.connect(Date.now() + 20_000);
    fake.answers.batch.push(() => down());
    delivery.enqueue(metric(0));
    rmSync(spoolDir, { recursive: true, force: true });
    writeFileSync(spoolDir, 'not a directory');
    await delivery.round(); // fails: the memory queue cannot move to the spool
    assert.match(delivery.spoolError ?? '', /ENOTDIR|ENOENT|EEXIST/);
    assert.deepEqual(codes(warnings), ['GYMNOS_FAKE_UNAVAILABLE', 'GYMNOS_FAKE_SPOOL_UNAVAILABLE']);
    delivery.enqueue(metric(1));
    assert.equal(await drainAll(delivery), true);
    assert.deepEqual(steps(fake.taken), [0, 1]);
    const report = await delivery.report();
    await delivery.close();
    assert.equal(report.complete, true);
  });
});

describe('remote delivery: stop() while a request is in flight', () => {
  test('the drain ends once the request is answered, not after the backoff that follows it', async () => {
    const { delivery, fake } = makeDelivery({ retryBaseMs: 600_000, retryMaxMs: 600_000 });
    await delivery.ready;
    let answer: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (answer = resolve));
    const createRun = fake.createRun.bind(fake);
    fake.createRun = async () => {
      fake.requests.push('create held');
      await held;
      return down('no answer').failure!;
    };
    delivery.enqueue(metric(0));
    const drained = delivery.drain(Date.now() + 600_000);
    while (!fake.requests.includes('create held')) await new Promise((resolve) => setImmediate(resolve));
    const stopped = delivery.stop(60_000);
    answer();
    await stopped;
    assert.equal(await drained, false);
    assert.deepEqual(fake.requests, ['create held']);
    fake.createRun = createRun;
    await delivery.close();
  });
});

/** A backend whose records carry positions of their own (as W&B's history lines): given once, kept for good. */
class StampingProtocol extends FakeProtocol {
  stamp(meta: FakeMeta, records: readonly Record_[]): void {
    for (const record of records as (Record_ & { line?: number })[]) {
      if (record.line === undefined) record.line = meta.stamped = (meta.stamped ?? 0) + 1;
    }
  }

  unstamp(meta: FakeMeta, records: readonly Record_[]): void {
    meta.stamped = (meta.stamped ?? 0) - records.length;
    for (const record of records as (Record_ & { line?: number })[]) delete record.line;
  }

  resumeAfter(meta: FakeMeta, last: Record_): void {
    meta.stamped = (last as { line?: number }).line;
  }
}

const lines = (records: readonly QueueRecord[]) => records.map((record) => (record as { line?: number }).line);

describe('remote delivery: a backend whose records carry positions (stamp)', () => {
  test('positions given once, in logging order, kept through the spool and a re-send of a batch in doubt', async () => {
    const fake = new StampingProtocol();
    const { delivery, spoolDir } = makeDelivery({}, fake);
    await delivery.ready;
    await delivery.connect(Date.now() + 20_000);
    fake.answers.batch.push(() => ({
      settled: 0,
      refused: [],
      failure: { kind: 'retryable', error: 'lost', retryAfterMs: undefined, inDoubt: { settleBy: 1 } },
    }));
    for (let step = 0; step < 4; step += 1) delivery.enqueue(metric(step));
    await delivery.round(); // the first batch (3) is stamped and sent, its answer lost; all four are spooled
    assert.deepEqual(lines(spooled(spoolDir)), [1, 2, 3, 4]);
    assert.equal(readRunJson(spoolDir).stamped, 4, 'what was given out is in run.json');
    delivery.enqueue(metric(4));
    assert.equal(await drainAll(delivery), true);
    assert.deepEqual(lines(fake.taken), [1, 2, 3, 4, 5]);
    await delivery.close();
  });

  test('an artifact sent from memory is given its position too, after the records sent before it', async () => {
    const fake = new StampingProtocol();
    const sent: (number | undefined)[] = [];
    const sendFile = fake.sendFile.bind(fake);
    fake.sendFile = (meta, record) => {
      sent.push((record as { line?: number }).line);
      return sendFile(meta, record);
    };
    const { delivery } = makeDelivery({}, fake);
    await delivery.ready;
    delivery.enqueue(metric(0));
    delivery.enqueue({ t: 'artifact', path: 'a.txt', contentType: 'text/plain', bytes: Buffer.from('A') });
    delivery.enqueue(metric(1));
    assert.equal(await drainAll(delivery), true);
    await delivery.close();
    assert.deepEqual(lines(fake.taken), [1, 2]);
    assert.deepEqual(sent, [3]);
  });

  test('a full queue spooled by a log call: stamped, run.json saying so before anything else is spooled', async () => {
    const fake = new StampingProtocol();
    const { delivery, spoolDir } = makeDelivery({ maxQueueItems: 2 }, fake);
    await delivery.ready;
    for (let step = 0; step < 3; step += 1) delivery.enqueue(metric(step));
    assert.deepEqual(lines(spooled(spoolDir)), [1, 2, 3]);
    assert.equal(readRunJson(spoolDir).stamped, 3, 'written at once, synchronously');
    await delivery.close();
  });

  test('records the spool has no room for give their positions back', async () => {
    const fake = new StampingProtocol();
    // Room for two metric lines (69 bytes each, with their position).
    const { delivery, spoolDir } = makeDelivery({ maxQueueItems: 2, maxSpoolBytes: 150 }, fake);
    await delivery.ready;
    for (let step = 0; step < 3; step += 1) delivery.enqueue(metric(step)); // the third finds the queue full
    assert.deepEqual(lines(spooled(spoolDir)), [1, 2]);
    delivery.enqueue(metric(3));
    assert.equal(await drainAll(delivery), true);
    assert.deepEqual(lines(fake.taken), [1, 2, 3], "the dropped record's position is given again");
    assert.deepEqual(steps(fake.taken), [0, 1, 3]);
    await delivery.close();
  });

  test('a later session gives positions after the last one its spool holds', async () => {
    const first = makeDelivery({}, new StampingProtocol());
    await first.delivery.ready;
    first.fake.answers.create.push(down().failure!);
    for (let step = 0; step < 3; step += 1) first.delivery.enqueue(metric(step));
    await first.delivery.round();
    first.delivery.flushAtExit({});
    await first.delivery.close();
    const fake = new StampingProtocol();
    const { delivery } = makeDelivery({}, fake);
    await delivery.ready;
    delivery.enqueue(metric(3));
    assert.equal(await drainAll(delivery), true);
    assert.deepEqual(lines(fake.taken), [1, 2, 3, 4]);
    await delivery.close();
  });
});
