/**
 * The spool of a remote tracker on its own (trackers/remote/spool.ts): what it keeps, in what order, through a
 * reopen, a compaction, a cut line or a cursor left by a crash; its bound; its lock; its files. Only the file system:
 * fast, no server.
 */
import assert from 'node:assert/strict';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  statSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import type { ArtifactRecord, DataRecord, QueueRecord } from '../../src/trackers/remote/records.js';
import { Spool, SpoolAppendError } from '../../src/trackers/remote/spool.js';
import type { RunMeta } from '../../src/trackers/remote/spool.js';
import { skipUnless } from '../helpers/prerequisite.js';
import { fill, mountSmallDisk, unmountSmallDisk } from '../helpers/small_disk.js';

let dir: string;
let spoolDir: string;
const opened: Spool[] = [];
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-remote-spool-'));
  spoolDir = path.join(dir, 'spool');
});
afterEach(async () => {
  for (const spool of opened.splice(0)) await spool.close();
  await rm(dir, { recursive: true, force: true });
});

async function openSpool(maxBytes = 1 << 20): Promise<Spool> {
  const spool = new Spool(spoolDir, maxBytes);
  await spool.open();
  opened.push(spool);
  return spool;
}

const metric = (step: number, key = 'loss'): DataRecord => ({ t: 'metric', key, value: step, timestamp: 1, step });
const lineOf = (record: QueueRecord) => `${JSON.stringify(record)}\n`;
const bytesOf = (records: QueueRecord[]) => records.reduce((sum, record) => sum + Buffer.byteLength(lineOf(record)), 0);

/** Everything the spool holds undelivered, read window after window without delivering it. */
async function pendingRecords(spool: Spool): Promise<(QueueRecord | undefined)[]> {
  return (await spool.readWindow()).map((entry) => entry.record);
}

/** Delivers the whole spool, window by window; the records, in order. */
async function deliverAll(spool: Spool): Promise<(QueueRecord | undefined)[]> {
  const records: (QueueRecord | undefined)[] = [];
  for (let entries = await spool.readWindow(2); entries.length > 0; entries = await spool.readWindow(2)) {
    records.push(...entries.map((entry) => entry.record));
    await spool.advance(entries.at(-1)!.end);
  }
  return records;
}

const queueFile = () => path.join(spoolDir, 'queue.jsonl');
const offsetFile = () => path.join(spoolDir, 'queue.offset');
const cursor = () =>
  JSON.parse(readFileSync(offsetFile(), 'utf8')) as { generation: string; offset: number; doubt?: unknown };
const header = () => readFileSync(queueFile(), 'utf8').split('\n')[0]!;

describe('remote spool: records in, in order, out', () => {
  test('appended in order, read with the offset past each line, delivered from the front; then files go', async () => {
    const spool = await openSpool();
    assert.equal(spool.hasPending, false);
    assert.deepEqual(await spool.readWindow(), []);
    const records = [metric(0), { t: 'param', key: 'lr', value: '0.1' } as const, metric(1)];
    assert.deepEqual(spool.appendSync(records), { refused: [] });
    assert.equal(spool.hasPending, true);
    assert.match(header(), /^\{"spool":2,"generation":"[0-9a-z]+-[0-9a-z]+"\}$/);
    const start = Buffer.byteLength(`${header()}\n`);
    assert.equal(spool.offset, start);
    assert.equal(spool.liveBytes, bytesOf(records));
    const entries = await spool.readWindow();
    assert.deepEqual(
      entries.map((entry) => entry.record),
      records,
    );
    assert.deepEqual(
      entries.map((entry) => entry.end),
      [1, 2, 3].map((count) => start + bytesOf(records.slice(0, count))),
    );
    assert.deepEqual(
      (await spool.readWindow(2)).map((entry) => entry.record),
      records.slice(0, 2),
    );
    await spool.advance(entries[0]!.end);
    assert.equal(spool.offset, entries[0]!.end);
    assert.deepEqual(cursor(), { generation: JSON.parse(header()).generation, offset: entries[0]!.end });
    assert.equal(spool.liveBytes, bytesOf(records.slice(1)));
    assert.deepEqual(await pendingRecords(spool), records.slice(1));
    await spool.advance(entries[0]!.end - 5);
    assert.equal(spool.offset, entries[0]!.end, 'never backwards');
    await spool.advance(entries[2]!.end + 100);
    assert.equal(spool.hasPending, false);
    assert.equal(existsSync(queueFile()), false);
    assert.equal(existsSync(offsetFile()), false);
    assert.equal(spool.offset, 0);
    assert.equal(spool.liveBytes, 0);
    spool.appendSync([metric(5)]);
    assert.deepEqual(await pendingRecords(spool), [metric(5)], 'a new queue after an empty one');
  });

  test('a later process resumes where the cursor is; the async append is the same append', async () => {
    const first = await openSpool();
    await first.append([metric(0), metric(1), metric(2)]);
    const [entry] = await first.readWindow(1);
    await first.advance(entry!.end);
    await first.close();
    await first.close(); // idempotent
    const second = await openSpool();
    assert.deepEqual(await pendingRecords(second), [metric(1), metric(2)]);
    assert.equal(second.offset, entry!.end);
    second.appendSync([metric(3)]);
    assert.deepEqual(await deliverAll(second), [metric(1), metric(2), metric(3)]);
  });

  test('a spool of an earlier gymnos (no header, a bare offset) is read as it was written', async () => {
    mkdirSync(spoolDir, { recursive: true });
    writeFileSync(queueFile(), [metric(0), metric(1), metric(2)].map(lineOf).join(''));
    writeFileSync(offsetFile(), `${Buffer.byteLength(lineOf(metric(0)))}\n`);
    const spool = await openSpool();
    assert.deepEqual(await pendingRecords(spool), [metric(1), metric(2)]);
    spool.appendSync([metric(3)]);
    assert.deepEqual(await deliverAll(spool), [metric(1), metric(2), metric(3)]);
  });

  test('a cursor cut short, out of the queue or of another generation: the queue is read from its start', async () => {
    for (const text of [
      '{"generation":"x","off',
      '{"generation":"GEN","offset":99999}',
      '{"generation":"GEN","offset":3}',
      '{"generation":"GEN","offset":"12"}',
      '{"generation":7,"offset":60}',
      '{"generation":"other","offset":60}',
      'garbage',
      'null', // JSON, but not a cursor: before, opening the spool failed and the run's spool was called unusable
      '[]',
      '"GEN"',
    ]) {
      const spool = await openSpool();
      spool.appendSync([metric(0), metric(1)]);
      await spool.close();
      writeFileSync(offsetFile(), text.replace('GEN', JSON.parse(header()).generation));
      const again = await openSpool();
      assert.deepEqual(await pendingRecords(again), [metric(0), metric(1)], text);
      await deliverAll(again);
      await again.close();
    }
  });

  test('a cursor no gymnos writes (a number spelled otherwise, no generation): read from the start', async () => {
    // In a queue of an earlier gymnos, where a bare offset would be taken as it is: only digits are one.
    const records = [metric(0), metric(1), metric(2)];
    const boundary = Buffer.byteLength(lineOf(records[0]!));
    for (const text of [`${boundary}.0`, `${boundary}e0`, `{"offset":${boundary}}`]) {
      mkdirSync(spoolDir, { recursive: true });
      writeFileSync(queueFile(), records.map(lineOf).join(''));
      writeFileSync(offsetFile(), text);
      const spool = await openSpool();
      assert.deepEqual(await pendingRecords(spool), records, text);
      await spool.close();
    }
  });

  test('a cursor at the very end of its queue: all of it was delivered, nothing is sent again', async () => {
    const spool = await openSpool();
    spool.appendSync([metric(0), metric(1)]);
    await spool.close();
    const generation = JSON.parse(header()).generation as string;
    writeFileSync(offsetFile(), JSON.stringify({ generation, offset: statSync(queueFile()).size }));
    const again = await openSpool();
    assert.equal(again.hasPending, false);
    assert.deepEqual(await again.readWindow(), []);
    await again.close();
    // The same in a queue of an earlier gymnos (a bare offset).
    writeFileSync(queueFile(), lineOf(metric(0)));
    writeFileSync(offsetFile(), `${Buffer.byteLength(lineOf(metric(0)))}\n`);
    const legacy = await openSpool();
    assert.equal(legacy.hasPending, false);
    assert.deepEqual(await legacy.readWindow(), []);
  });

  test('opening reads the queue header only, whatever its size (a queue larger than a string can hold)', async () => {
    const spool = await openSpool();
    spool.appendSync([metric(0), metric(1)]);
    const [first] = await spool.readWindow(1);
    await spool.advance(first!.end);
    await spool.close();
    // Sparse: no disk is taken, and the header is still what the file starts with.
    truncateSync(queueFile(), 600 * 1024 * 1024);
    const again = await openSpool();
    assert.equal(again.offset, first!.end, 'the header read: the cursor of its generation applies');
    assert.deepEqual(
      (await again.readWindow(1)).map((entry) => entry.record),
      [metric(1)],
    );
  });

  test('a line cut by a crash reads as unreadable, the lines after as usual; a window holds whole lines', async () => {
    const spool = await openSpool();
    spool.appendSync([metric(0)]);
    appendFileSync(queueFile(), '{"t":"metric","ke\n');
    await spool.close();
    const again = await openSpool();
    again.appendSync([metric(2)]);
    assert.deepEqual(await pendingRecords(again), [metric(0), undefined, metric(2)]);
    const small = await again.readWindow(Infinity, Buffer.byteLength(lineOf(metric(0))) + 3);
    assert.deepEqual(
      small.map((entry) => entry.record),
      [metric(0)],
      'the line the window cuts goes to the next read',
    );
  });

  test('a line longer than the window is skipped whole, as unreadable', async () => {
    const spool = await openSpool();
    spool.appendSync([metric(0, 'x'.repeat(200)), metric(1)]);
    const [entry, ...rest] = await spool.readWindow(Infinity, 50);
    assert.equal(entry!.record, undefined);
    assert.equal(entry!.end, spool.offset + 50);
    assert.deepEqual(rest, []);
  });

  test('counts what waits by kind (a row as its metrics); the newest record waiting', async () => {
    const spool = await openSpool();
    assert.deepEqual(await spool.countPending(), { metric: 0, param: 0, tag: 0, artifact: 0 });
    assert.equal(await spool.lastPending(), undefined);
    const row = { t: 'row', key: 'step 1', step: 1, timestamp: 1, values: { a: 1, b: 2 }, metrics: 2 } as const;
    spool.appendSync([
      metric(0),
      { t: 'param', key: 'lr', value: '1' },
      { t: 'tag', key: 'x', value: 'y' },
      { t: 'tag', key: 'z', value: 'w' },
      row,
      { t: 'artifact', path: 'a.txt', contentType: 'text/plain', file: '/nowhere/a.txt' },
      metric(1),
    ]);
    appendFileSync(queueFile(), '{"t":"metric"\n\n{"t":"weird"}\n');
    await spool.close();
    const again = await openSpool();
    assert.deepEqual(await again.countPending(), { metric: 4, param: 1, tag: 2, artifact: 1 });
    assert.deepEqual(await again.lastPending(), { t: 'weird' });
    const [first] = await again.readWindow(1);
    await again.advance(first!.end);
    assert.equal((await again.countPending()).metric, 3, 'only what waits');
  });

  test('the newest record: a torn last line is passed over', async () => {
    const spool = await openSpool();
    spool.appendSync([metric(0), metric(1)]);
    appendFileSync(queueFile(), '{"t":"met');
    await spool.close();
    const again = await openSpool();
    assert.deepEqual(await again.lastPending(), metric(1));
  });

  test('the newest record: the only one waiting, before a torn line; none when only a torn line waits', async () => {
    const spool = await openSpool();
    spool.appendSync([metric(0), metric(1)]);
    const [first] = await spool.readWindow(1);
    await spool.advance(first!.end);
    appendFileSync(queueFile(), '{"t":"met');
    await spool.close();
    const again = await openSpool();
    assert.deepEqual(await again.lastPending(), metric(1), 'the one whole line that waits');
    const [second] = await again.readWindow(1);
    await again.advance(second!.end);
    assert.equal(again.hasPending, true, 'the torn line waits');
    assert.equal(await again.lastPending(), undefined, 'never a record already delivered');
  });

  test("a torn last line a crash left: the next session's records are whole, none glued onto it", async () => {
    const spool = await openSpool();
    spool.appendSync([metric(0)]);
    appendFileSync(queueFile(), '{"t":"met'); // a process killed mid-append
    await spool.close();
    const again = await openSpool();
    again.appendSync([metric(1), metric(2)]);
    const torn = undefined; // the torn line, on a line of its own: passed over as unreadable
    assert.deepEqual(await pendingRecords(again), [metric(0), torn, metric(1), metric(2)]);
  });
});

describe('remote spool: its bound, its files', () => {
  test('records beyond maxBytes are refused, the first that does not fit and all after it', async () => {
    const records = [metric(0), metric(1), metric(2), metric(3)];
    const spool = await openSpool(bytesOf(records.slice(0, 2)) + 5);
    const { refused } = spool.appendSync(records);
    assert.deepEqual(refused, records.slice(2));
    assert.deepEqual(await pendingRecords(spool), records.slice(0, 2));
    assert.deepEqual(spool.appendSync([metric(9)]).refused, [metric(9)]);
    const exact = await openSpool2(bytesOf(records.slice(0, 2)));
    assert.deepEqual(exact.appendSync(records).refused, records.slice(2), 'taken up to the last byte of the bound');
  });

  test('an append of nothing writes nothing; nor does clearing a doubt when there is none', async () => {
    // (At every exit of a process whose memory queue is empty, the spool is appended nothing.)
    const spool = await openSpool();
    assert.deepEqual(spool.appendSync([]), { refused: [] });
    spool.clearDoubt();
    assert.deepEqual(readdirSync(spoolDir), []);
    spool.appendSync([metric(0)]);
    await deliverAll(spool);
    spool.appendSync([]);
    spool.clearDoubt();
    assert.deepEqual(readdirSync(spoolDir), [], 'all delivered: no queue files');
  });

  test('a full spool drops its delivered prefix (compaction) when a round appends, not a log call', async () => {
    const records = [0, 1, 2, 3, 4, 5].map((step) => metric(step));
    const spool = await openSpool(bytesOf(records.slice(0, 3)) + 5);
    spool.appendSync(records.slice(0, 3));
    const [, second] = await spool.readWindow(2);
    await spool.advance(second!.end);
    const generation = JSON.parse(header()).generation as string;
    const before = statSync(queueFile()).size;
    assert.deepEqual(spool.appendSync(records.slice(3)).refused, records.slice(5), 'what fits the bound is taken');
    assert.equal(JSON.parse(header()).generation, generation, 'a log call does not compact');
    assert.equal(statSync(queueFile()).size, before + bytesOf(records.slice(3, 5)));
    spool.markInDoubt({ start: spool.offset, end: spool.offset + bytesOf([records[2]!]), settleBy: 77 });
    assert.deepEqual(spool.appendSync(records.slice(5), { compact: true }).refused, records.slice(5), 'still full');
    const compacted = JSON.parse(header()).generation as string;
    assert.notEqual(compacted, generation, 'a new generation');
    const start = Buffer.byteLength(`${header()}\n`);
    assert.equal(spool.offset, start);
    const doubt = { start, end: start + bytesOf([records[2]!]), settleBy: 77 };
    assert.deepEqual(cursor(), { generation: compacted, offset: start, doubt });
    assert.equal(statSync(queueFile()).size, start + bytesOf(records.slice(2, 5)));
    assert.deepEqual(spool.doubt, doubt, 'the doubt moved with its records');
    assert.deepEqual(readdirSync(spoolDir).sort(), ['queue.jsonl', 'queue.offset'], 'no temporary file left');
    await spool.close();
    const again = await openSpool(bytesOf(records.slice(0, 3)) + 5);
    assert.deepEqual(again.doubt, doubt);
    assert.deepEqual(await deliverAll(again), records.slice(2, 5));
  });

  test('the queue is rewritten (compacted) only when full with a delivered prefix to drop', async () => {
    // Compaction copies every undelivered byte of the queue: a round may not pay that for nothing.
    const records = [0, 1, 2, 3].map((step) => metric(step));
    const spool = await openSpool(bytesOf(records.slice(0, 3))); // full to the byte, then full to the byte again
    spool.appendSync(records.slice(0, 3));
    const text = readFileSync(queueFile(), 'utf8');
    const { ino } = statSync(queueFile());
    assert.deepEqual((await spool.append([records[3]!])).refused, [records[3]], 'full');
    assert.equal(readFileSync(queueFile(), 'utf8'), text, 'full, nothing delivered: not rewritten');
    const [first] = await spool.readWindow(1);
    await spool.advance(first!.end);
    assert.deepEqual((await spool.append([records[3]!])).refused, [], 'room again');
    assert.equal(readFileSync(queueFile(), 'utf8'), text + lineOf(records[3]!), 'appended to, not rewritten');
    assert.equal(statSync(queueFile()).ino, ino);
    assert.deepEqual(await deliverAll(spool), records.slice(1));
  });

  test('compacted, killed before the cursor was written: the new queue from its start, the doubt moved', async () => {
    const records = [0, 1, 2, 3, 4, 5].map((step) => metric(step));
    const maxBytes = bytesOf(records.slice(0, 3)) + 5;
    const spool = await openSpool(maxBytes);
    spool.appendSync(records.slice(0, 3));
    const [, second] = await spool.readWindow(2);
    await spool.advance(second!.end);
    spool.appendSync(records.slice(3, 5));
    spool.markInDoubt({ start: spool.offset, end: spool.offset + bytesOf([records[2]!]), settleBy: 77 });
    const before = readFileSync(offsetFile(), 'utf8');
    assert.deepEqual(spool.appendSync([records[5]!], { compact: true }).refused, [records[5]]);
    await spool.close();
    writeFileSync(offsetFile(), before); // what a crash between the queue's rename and the cursor's write leaves
    const again = await openSpool(maxBytes);
    const start = Buffer.byteLength(`${header()}\n`);
    assert.equal(again.offset, start);
    assert.deepEqual(again.doubt, { start, end: start + bytesOf([records[2]!]), settleBy: 77 });
    assert.deepEqual(await deliverAll(again), records.slice(2, 5));
  });

  test('a queue of an earlier gymnos compacted, killed before the cursor was written: from its start', async () => {
    const records = [0, 1, 2, 3].map((step) => metric(step));
    mkdirSync(spoolDir, { recursive: true });
    writeFileSync(queueFile(), records.slice(0, 3).map(lineOf).join(''));
    const bare = `${bytesOf(records.slice(0, 1))}\n`; // the first record delivered
    writeFileSync(offsetFile(), bare);
    const maxBytes = bytesOf(records.slice(1, 3)) + 5;
    const spool = await openSpool(maxBytes);
    assert.deepEqual(spool.appendSync([records[3]!], { compact: true }).refused, [records[3]]);
    assert.match(header(), /^\{"spool":2,/, 'compacted into a queue with a header');
    await spool.close();
    writeFileSync(offsetFile(), bare); // the crash: the bare offset of the queue that was replaced
    const again = await openSpool(maxBytes);
    assert.deepEqual(await pendingRecords(again), records.slice(1, 3));
  });

  test('figure bytes are spooled as files (named safely), counted in the bound, deleted when released', async () => {
    const spool = await openSpool();
    const bytes = new Uint8Array([1, 2, 3, 4, 5]);
    spool.appendSync([
      { t: 'artifact', path: 'figures/loss curve?.png', contentType: 'image/png', bytes },
      { t: 'artifact', path: 'b.png', contentType: 'image/png', bytes: new Uint8Array(2) },
    ]);
    const [stored, other] = (await pendingRecords(spool)) as { file: string; owned: boolean }[];
    assert.deepEqual(stored, {
      t: 'artifact',
      path: 'figures/loss curve?.png',
      contentType: 'image/png',
      file: path.join(spoolDir, 'files', '000001-loss_curve_.png'),
      owned: true,
    });
    assert.equal(other!.file, path.join(spoolDir, 'files', '000002-b.png'));
    assert.deepEqual([...readFileSync(stored!.file)], [1, 2, 3, 4, 5]);
    const lineBytes = Buffer.byteLength(readFileSync(queueFile(), 'utf8').split('\n').slice(1, 3).join('\n')) + 1;
    assert.equal(spool.liveBytes, lineBytes + 5 + 2);
    await spool.release(stored as never);
    assert.equal(existsSync(stored!.file), false);
    assert.equal(spool.liveBytes, lineBytes + 2);
    await spool.release({ t: 'artifact', path: 'x', contentType: 'text/plain', file: other!.file });
    assert.equal(existsSync(other!.file), true, 'a file the spool does not own is never deleted');
    await spool.release(stored as never);
    assert.equal(spool.liveBytes, lineBytes + 2, 'released twice (its file gone): nothing more is counted off');
    await spool.close();
    const again = await openSpool();
    assert.equal(again.liveBytes, lineBytes + 2, 'the files are counted on open');
    again.appendSync([{ t: 'artifact', path: 'c.png', contentType: 'image/png', bytes: new Uint8Array(1) }]);
    const records = (await pendingRecords(again)) as { file: string }[];
    assert.equal(records[2]!.file, path.join(spoolDir, 'files', '000003-c.png'), 'numbered after the highest');
    await deliverAll(again);
    assert.equal(existsSync(path.join(spoolDir, 'files')), false);
  });

  test('a figure is taken while its line and bytes fit, and never past the bound', async () => {
    const figure: ArtifactRecord = {
      t: 'artifact',
      path: 'plots/loss.png',
      contentType: 'image/png',
      bytes: new Uint8Array(100),
    };
    const file = path.join(spoolDir, 'files', '000001-loss.png');
    const stored = lineOf({ t: 'artifact', path: 'plots/loss.png', contentType: 'image/png', file, owned: true });
    const one = Buffer.byteLength(stored) + 100;
    const spool = await openSpool(2 * one - 1);
    for (let count = 0; count < 3; count += 1) spool.appendSync([figure]);
    assert.equal(spool.liveBytes, one, 'the first taken, the next two refused');
  });

  test('files in files/ the spool did not name (a stray file, a link to nothing): counted as they are', async () => {
    mkdirSync(path.join(spoolDir, 'files'), { recursive: true });
    writeFileSync(path.join(spoolDir, 'files', 'notes.txt'), 'abc');
    symlinkSync(path.join(dir, 'nowhere'), path.join(spoolDir, 'files', '000007-gone.png'));
    const spool = await openSpool(1_000);
    assert.equal(spool.liveBytes, 3);
    const figure = (byte: number): ArtifactRecord => ({
      t: 'artifact',
      path: 'fig.png',
      contentType: 'image/png',
      bytes: new Uint8Array([byte]),
    });
    spool.appendSync([figure(1), figure(2)]);
    const files = ((await pendingRecords(spool)) as { file: string }[]).map((record) => record.file);
    assert.deepEqual(
      files.map((file) => [...readFileSync(file)]),
      [[1], [2]],
      'each figure in a file of its own',
    );
    const { refused } = spool.appendSync(Array.from({ length: 40 }, (_, step) => metric(step)));
    assert.ok(refused.length > 0 && spool.liveBytes <= 1_000, 'the bound holds');
  });

  test('bytes that do not fit are refused before any file is written', async () => {
    const spool = await openSpool(300);
    const { refused } = spool.appendSync([
      { t: 'artifact', path: 'big.png', contentType: 'image/png', bytes: new Uint8Array(400) },
    ]);
    assert.equal(refused.length, 1);
    assert.equal(existsSync(path.join(spoolDir, 'files')), false);
    assert.equal(spool.hasPending, false);
  });
});

describe('remote spool: a request in doubt, the lock, run.json', () => {
  test('a range in doubt is kept through a reopen, trimmed by what is delivered, gone once past', async () => {
    const spool = await openSpool();
    spool.appendSync([metric(0), metric(1), metric(2)], { inDoubt: 2, settleBy: 55 });
    const entries = await spool.readWindow();
    const start = spool.offset;
    assert.deepEqual(spool.doubt, { start, end: entries[1]!.end, settleBy: 55 });
    assert.deepEqual(cursor().doubt, { start, end: entries[1]!.end, settleBy: 55 });
    await spool.close();
    const again = await openSpool();
    assert.deepEqual(again.doubt, { start, end: entries[1]!.end, settleBy: 55 });
    await again.advance(entries[0]!.end);
    assert.deepEqual(again.doubt, { start: entries[0]!.end, end: entries[1]!.end, settleBy: 55 });
    await again.advance(entries[1]!.end);
    assert.equal(again.doubt, undefined);
    again.markInDoubt({ start: entries[1]!.end, end: entries[2]!.end, settleBy: 1 });
    again.clearDoubt();
    again.clearDoubt();
    assert.equal(cursor().doubt, undefined);
    await again.close();
    const third = await openSpool();
    assert.equal(third.doubt, undefined);
  });

  test('an append of records after others marks only its own first records in doubt', async () => {
    const spool = await openSpool();
    spool.appendSync([metric(0)]);
    spool.appendSync([metric(1), metric(2)], { inDoubt: 1 });
    const entries = await spool.readWindow();
    assert.deepEqual(spool.doubt, { start: entries[0]!.end, end: entries[1]!.end, settleBy: 0 });
    const full = await openSpool2(bytesOf([metric(0)]) + 5);
    full.appendSync([metric(0), metric(1)], { inDoubt: 2 });
    assert.equal(full.doubt, undefined, 'a batch in doubt that did not fit whole is not marked');
  });

  test('records delivered before a range in doubt leave it as it was: no other record comes into doubt', async () => {
    const spool = await openSpool();
    spool.appendSync([metric(0), metric(1)]);
    spool.appendSync([metric(2)], { inDoubt: 1, settleBy: 7 });
    const entries = await spool.readWindow();
    const inDoubt = { start: entries[1]!.end, end: entries[2]!.end, settleBy: 7 };
    await spool.advance(entries[0]!.end);
    assert.deepEqual([spool.doubt, cursor().doubt], [inDoubt, inDoubt]);
  });

  test('a doubt outside the undelivered queue, or empty, is dropped on open; one up to its end, kept', async () => {
    const spool = await openSpool();
    spool.appendSync([metric(0), metric(1), metric(2)]);
    const [first] = await spool.readWindow(1);
    await spool.advance(first!.end);
    const offset = spool.offset;
    await spool.close();
    const generation = JSON.parse(header()).generation as string;
    const size = statSync(queueFile()).size;
    for (const [doubt, kept] of [
      [{ start: offset, end: size, settleBy: 5 }, true],
      [{ start: offset, end: offset }, false],
      [{ start: offset - 1, end: size }, false],
      [{ start: offset, end: size + 1 }, false],
      [{ start: 'a', end: size }, false],
    ] as const) {
      writeFileSync(offsetFile(), JSON.stringify({ generation, offset, doubt }));
      const again = await openSpool();
      assert.deepEqual(again.doubt, kept ? doubt : undefined, JSON.stringify(doubt));
      await again.close();
    }
    // The usual way to it: an exit that spools a whole batch whose answer it never read.
    writeFileSync(offsetFile(), JSON.stringify({ generation, offset: size }));
    const third = await openSpool();
    third.appendSync([metric(3)], { inDoubt: 1, settleBy: 9 });
    const doubt = third.doubt;
    await third.close();
    assert.equal(doubt?.end, statSync(queueFile()).size);
    assert.deepEqual((await openSpool()).doubt, doubt);
  });

  test('one process writes a spool at a time: the next is told who holds it', async () => {
    await openSpool();
    const second = new Spool(spoolDir, 1 << 20);
    await assert.rejects(second.open(), (error: Error & { code?: string; details?: Record<string, unknown> }) => {
      assert.equal(error.code, 'MLFLOW_SPOOL_BUSY');
      assert.equal(
        error.message,
        `${spoolDir} is in use by another process (pid ${process.pid}) (a run still logging, or another delivery)`,
      );
      assert.deepEqual(error.details, { spoolDir, pid: process.pid });
      return true;
    });
  });

  test('a lock whose holder left no pid (no room for it) is held all the same: busy, said without a pid', async () => {
    mkdirSync(path.join(`${spoolDir}.lock`, 'held'), { recursive: true });
    await assert.rejects(new Spool(spoolDir, 1 << 20).open(), (error: Error & { code?: string; details?: object }) => {
      assert.equal(error.code, 'MLFLOW_SPOOL_BUSY');
      assert.equal(
        error.message,
        `${spoolDir} is in use by another process (a run still logging, or another delivery)`,
      );
      assert.deepEqual(error.details, { spoolDir });
      return true;
    });
  });

  test('a spool directory that cannot be made, or locked, is not called busy', async () => {
    writeFileSync(path.join(dir, 'file'), '');
    const spool = new Spool(path.join(dir, 'file', 'spool'), 1 << 20);
    await assert.rejects(spool.open(), { code: 'ENOTDIR' });
    // A name its lock (<dir>.lock) cannot have.
    await assert.rejects(new Spool(path.join(dir, 'x'.repeat(252)), 1 << 20).open(), { code: 'ENAMETOOLONG' });
  });

  test('run.json: written (async or at exit) and read back; absent or of another version, none', async () => {
    const spool = await openSpool();
    assert.equal(await spool.readMeta(), undefined);
    const meta: RunMeta = { version: 1, trackingUri: 'http://x', runName: 'r', gymnosRunId: 'g', startTime: 5 };
    await spool.writeMeta(meta);
    assert.deepEqual(await spool.readMeta(), meta);
    assert.equal(readFileSync(path.join(spoolDir, 'run.json'), 'utf8'), `${JSON.stringify(meta, null, 2)}\n`);
    spool.writeMetaSync({ ...meta, runName: 's' });
    assert.equal((await spool.readMeta())?.runName, 's');
    const text = `${JSON.stringify({ ...meta, runName: 's' }, null, 2)}\n`;
    assert.equal(readFileSync(path.join(spoolDir, 'run.json'), 'utf8'), text, 'the same text at exit');
    writeFileSync(path.join(spoolDir, 'run.json'), JSON.stringify({ ...meta, version: 2 }));
    assert.equal(await spool.readMeta(), undefined);
    writeFileSync(path.join(spoolDir, 'run.json'), 'null');
    assert.equal(await spool.readMeta(), undefined);
  });

  test('the last write time: the newer of the queue and run.json; now when there is neither', async () => {
    const spool = await openSpool();
    const before = Date.now();
    const none = await spool.lastWriteTime();
    assert.ok(none >= before && none <= Date.now());
    await spool.writeMeta({ version: 1, trackingUri: 'x', runName: 'r', gymnosRunId: 'g', startTime: 1 });
    utimesSync(path.join(spoolDir, 'run.json'), 500, 500);
    assert.equal(await spool.lastWriteTime(), 500_000, 'run.json alone');
    spool.appendSync([metric(0)]);
    utimesSync(queueFile(), 1_000, 1_000);
    utimesSync(path.join(spoolDir, 'run.json'), 2_000, 2_000);
    assert.equal(await spool.lastWriteTime(), 2_000_000);
    utimesSync(queueFile(), 3_000, 3_000);
    assert.equal(await spool.lastWriteTime(), 3_000_000);
  });
});

/** A second spool in a directory of its own (the test's first is `spoolDir`). */
async function openSpool2(maxBytes: number): Promise<Spool> {
  const spool = new Spool(path.join(dir, 'second'), maxBytes);
  await spool.open();
  opened.push(spool);
  return spool;
}

/** The records of `spool` that wait (the spools of these tests hold less than a window). */
const waiting = pendingRecords;

/** An append that fails: its error, checked to be the spool's, with how many records it had written. */
function appendFailure(spool: Spool, records: QueueRecord[], options = {}): SpoolAppendError {
  try {
    spool.appendSync(records, options);
  } catch (error) {
    assert.ok(error instanceof SpoolAppendError, String(error));
    return error;
  }
  assert.fail('the append did not fail');
}

describe('remote spool: a queue file that fails under it', () => {
  test('a queue removed from under the spool (a tmp cleaner): the compacting append says so', async () => {
    const records = [0, 1, 2].map((step) => metric(step));
    const spool = await openSpool(bytesOf(records) + 5);
    spool.appendSync(records);
    const [first] = await spool.readWindow(1);
    await spool.advance(first!.end);
    rmSync(queueFile());
    const error = appendFailure(spool, [metric(3, 'a key longer than the room left')], { compact: true });
    assert.deepEqual([error.code, error.written], ['ENOENT', 0]);
    assert.match(error.message, /queue\.jsonl/);
    assert.deepEqual(readdirSync(spoolDir), ['queue.offset'], 'no temporary file left');
  });
});

const disk = mountSmallDisk();

/** On a 2 MiB disk of their own (a tmpfs), which they fill: what the spool keeps when the disk refuses. */
describe(
  'remote spool: on a disk that fills',
  { skip: skipUnless('dir' in disk, 'why' in disk ? disk.why : '') },
  () => {
    const diskDir = 'dir' in disk ? disk.dir : '';
    const maxBytes = 64 * 1024;
    let filler: string | undefined;
    after(() => unmountSmallDisk(diskDir));
    beforeEach(() => {
      spoolDir = path.join(diskDir, 'spool');
    });
    afterEach(async () => {
      for (const spool of opened.splice(0)) await spool.close();
      if (filler) unlinkSync(filler);
      filler = undefined;
      rmSync(spoolDir, { recursive: true, force: true });
    });
    /** Fills the disk but for `bytes`. */
    const fillBut = (bytes: number) => {
      filler = fill(diskDir);
      truncateSync(filler, statSync(filler).size - bytes);
    };
    const freeBlocks = () => statfsSync(diskDir).bavail;

    /** A spool full to maxBytes, after half of it was delivered: its queue file holds half as much again. */
    async function fullSpool(): Promise<Spool> {
      const spool = await openSpool(maxBytes);
      let step = 0;
      const more = () => Array.from({ length: 1_200 }, () => metric(step++));
      spool.appendSync(more());
      const entries = await spool.readWindow();
      await spool.advance(entries[Math.floor(entries.length / 2)]!.end);
      assert.notDeepEqual(spool.appendSync(more()).refused, [], 'full');
      return spool;
    }

    test('an append the disk cuts short is cut back to the records before it: none torn or counted twice', async () => {
      const spool = await openSpool(maxBytes);
      const first = [0, 1, 2].map((step) => metric(step));
      spool.appendSync(first);
      const size = statSync(queueFile()).size;
      fillBut(8 * 1024);
      const error = appendFailure(
        spool,
        Array.from({ length: 900 }, (_, step) => metric(3 + step)),
      );
      assert.deepEqual(
        [error.code, error.written, (error.cause as NodeJS.ErrnoException).code],
        ['ENOSPC', 0, 'ENOSPC'],
      );
      assert.equal(statSync(queueFile()).size, size, 'the part that landed cut off again');
      unlinkSync(filler!);
      filler = undefined;
      spool.appendSync([metric(1_000)]);
      assert.deepEqual(await deliverAll(spool), [...first, metric(1_000)], 'a later append on a line of its own');
    });

    test('a compaction the disk refuses keeps the queue as it was and the records appended before it', async () => {
      const spool = await fullSpool();
      const [entry] = await spool.readWindow(1);
      await spool.advance(entry!.end); // room for a short record, not a long one
      const before = await waiting(spool);
      const generation = header();
      fillBut(32 * 1024); // half the undelivered bytes: the compacted queue cannot be written
      const free = freeBlocks();
      const short: QueueRecord = { t: 'param', key: 'k', value: 'v' };
      const error = appendFailure(spool, [short, metric(0, 'k'.repeat(200))], { compact: true });
      assert.deepEqual([error.code, error.written], ['ENOSPC', 1], 'the short record is in the queue');
      assert.ok(freeBlocks() >= free - 1, `the temporary file's space given back (${free} -> ${freeBlocks()} blocks)`);
      assert.deepEqual(readdirSync(spoolDir).sort(), ['queue.jsonl', 'queue.offset'], 'no temporary file left');
      assert.equal(header(), generation, 'the queue as it was');
      unlinkSync(filler!);
      filler = undefined;
      await spool.close();
      const again = await openSpool(maxBytes);
      assert.deepEqual(await waiting(again), [...before, short], 'nothing lost, nothing twice');
    });

    test('a compaction the disk cuts short inside a copy chunk: the disk is full, the queue as it was', async () => {
      // More undelivered than the compaction copies at once (1 MiB), on a disk with less than that left.
      const spool = await openSpool(1_300_000);
      const long = (step: number) => metric(step, 'k'.repeat(1_000));
      assert.deepEqual(spool.appendSync(Array.from({ length: 1_150 }, (_, step) => long(step))).refused, []);
      const entries = await spool.readWindow(40);
      await spool.advance(entries.at(-1)!.end);
      const generation = header();
      const error = appendFailure(spool, [metric(0, 'x'.repeat(200_000))], { compact: true });
      assert.deepEqual([error.code, error.written], ['ENOSPC', 0], 'the disk is full, nothing of the call written');
      assert.deepEqual(readdirSync(spoolDir).sort(), ['queue.jsonl', 'queue.offset'], 'no temporary file left');
      assert.equal(header(), generation, 'the queue as it was');
      await spool.close();
      const again = await openSpool(1_300_000);
      const rest: (QueueRecord | undefined)[] = [];
      for (let window = await again.readWindow(); window.length > 0; window = await again.readWindow()) {
        rest.push(...window.map((entry) => entry.record));
        await again.advance(window.at(-1)!.end);
      }
      assert.deepEqual(
        rest,
        Array.from({ length: 1_110 }, (_, step) => long(40 + step)),
        'nothing lost, nothing twice',
      );
    });

    test('a compaction gives the delivered prefix back to the disk', async () => {
      const empty = freeBlocks();
      const spool = await fullSpool();
      assert.ok(freeBlocks() < empty - 20, 'the queue takes its room');
      assert.deepEqual(spool.appendSync([metric(0)], { compact: true }).refused, [metric(0)], 'full');
      const kept = Math.ceil(statSync(queueFile()).size / statfsSync(diskDir).bsize);
      // The queue as compacted, its cursor, a block of slack.
      assert.ok(freeBlocks() >= empty - kept - 2, `${empty} blocks free before, ${freeBlocks()} after (${kept} kept)`);
    });
  },
);
