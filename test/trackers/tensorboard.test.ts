/**
 * The `tensorboard` tracker, checked with readers that are not this project's code: the TFRecord framing and
 * masked CRC32C with @aws-crypto/crc32c, every Event with protobufjs driven by a `.proto` schema written from
 * TensorFlow's published field numbers, and, where it is installed, TensorBoard's own EventAccumulator.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { deflateSync, crc32 as zlibCrc32 } from 'node:zlib';
import { crc32c as awsCrc32c } from '@aws-crypto/crc32c';
import protobuf from 'protobufjs';
import { load } from '../../src/registry/load.js';
import { isGymnosError } from '../../src/errors.js';
import { readTfRecords, TFRECORD_CORRUPT } from '../helpers/tfrecord.js';
import {
  describeTrackerConformance,
  PLOTLY_FIGURE,
  TINY_PNG,
  TINY_SVG,
  VEGA_LITE_SPEC,
} from '../../src/testing/index.js';
import { TensorboardTracker } from '../../src/trackers/tensorboard.js';
import { runChildSync } from '../helpers/children.js';
import { missingPythonModule, PYTHON, PYTHON_HINT } from '../helpers/python.js';
import { missingPrerequisite } from '../helpers/prerequisite.js';
import { TS_LOADER } from '../helpers/ts_loader.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const schema = protobuf.parse(await readFile(path.join(here, 'fixtures', 'tensorboard_event.proto'), 'utf8'), {
  keepCase: true,
}).root;
const EventType = schema.lookupType('tensorflow.Event');
const HParamsPluginDataType = schema.lookupType('tensorflow.HParamsPluginData');
const TextPluginDataType = schema.lookupType('tensorflow.TextPluginData');

// ---- an independent reader: framing and CRCs by the book, messages by protobufjs ----

interface RawRecord {
  offset: number;
  data: Buffer;
  lengthCrcOk: boolean;
  dataCrcOk: boolean;
}

/** TensorFlow's CRC mask (tensorflow/core/lib/hash/crc32c.h), applied to @aws-crypto's CRC32C. */
function masked(bytes: Uint8Array): number {
  const crc = awsCrc32c(bytes);
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}

function splitRecords(bytes: Buffer): RawRecord[] {
  const records: RawRecord[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    assert.ok(offset + 12 <= bytes.length, `truncated header at byte ${offset}`);
    const length = Number(bytes.readBigUInt64LE(offset));
    assert.ok(offset + 16 + length <= bytes.length, `truncated record at byte ${offset}`);
    const data = bytes.subarray(offset + 12, offset + 12 + length);
    records.push({
      offset,
      data,
      lengthCrcOk: masked(bytes.subarray(offset, offset + 8)) === bytes.readUInt32LE(offset + 8),
      dataCrcOk: masked(data) === bytes.readUInt32LE(offset + 12 + length),
    });
    offset += 16 + length;
  }
  return records;
}

interface DecodedValue {
  tag: string;
  simple_value?: number;
  image?: { height: number; width: number; colorspace: number; encoded_image_string: Buffer };
  tensor?: { dtype: number; tensor_shape?: { dim?: { size?: number }[] }; string_val?: Buffer[] };
  metadata?: { plugin_data?: { plugin_name: string; content?: Buffer }; data_class?: number };
}

interface DecodedEvent {
  wall_time: number;
  step?: number;
  file_version?: string;
  summary?: { value: DecodedValue[] };
}

/** Every record of the file, CRCs checked with @aws-crypto/crc32c, decoded with protobufjs. */
async function readEvents(file: string): Promise<DecodedEvent[]> {
  const records = splitRecords(await readFile(file));
  for (const record of records) {
    assert.ok(record.lengthCrcOk, `length CRC of the record at byte ${record.offset}`);
    assert.ok(record.dataCrcOk, `data CRC of the record at byte ${record.offset}`);
  }
  return records.map(
    (record) =>
      EventType.toObject(EventType.decode(record.data), { longs: Number, bytes: Buffer, arrays: true }) as DecodedEvent,
  );
}

function values(events: DecodedEvent[], tag: string): (DecodedValue & { step: number; wall_time: number })[] {
  return events.flatMap((event) =>
    (event.summary?.value ?? [])
      .filter((value) => value.tag === tag)
      .map((value) => ({ ...value, step: event.step ?? 0, wall_time: event.wall_time })),
  );
}

function textOf(value: DecodedValue): string {
  assert.equal(value.metadata?.plugin_data?.plugin_name, 'text');
  assert.equal(value.tensor?.dtype, 7, 'DT_STRING');
  assert.equal(value.tensor?.string_val?.length, 1);
  return value.tensor!.string_val![0]!.toString('utf8');
}

const isText = (value: DecodedValue) => value.metadata?.plugin_data?.plugin_name === 'text';

/** A file's content as TensorBoard holds it: an image's bytes, a figure's fenced text, or the asset at its path. */
function fileContentOf(value: DecodedValue): Buffer | string {
  if (value.image) return value.image.encoded_image_string;
  const text = textOf(value);
  if (value.tag.startsWith('assets/')) return readFileSync(text);
  const fenced = /^```\w+\n([\s\S]*)\n```$/.exec(text);
  assert.ok(fenced, `the figure ${value.tag} is not a fenced code block: ${text}`);
  return fenced[1]!;
}

async function eventFiles(runDir: string): Promise<string[]> {
  return (await readdir(runDir)).filter((name) => name.includes('tfevents')).map((name) => path.join(runDir, name));
}

/** A valid RGB PNG of the given size (zlib-compressed rows, CRC32 per chunk). */
function makePng(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(8 + data.length + 4);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(zlibCrc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows = Buffer.alloc((1 + width * 3) * height, 0x7f);
  for (let y = 0; y < height; y++) rows[y * (1 + width * 3)] = 0; // filter: none
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The head of a baseline JPEG: SOI, an APP0 segment, then SOF0 with the size and 3 components. */
function makeJpegHead(width: number, height: number): Buffer {
  const app0 = Buffer.from([0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
  const sof0 = Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 3]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, sof0, Buffer.alloc(9), Buffer.from([0xff, 0xd9])]);
}

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gymnos-tensorboard-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describeTrackerConformance('tensorboard', () => new TensorboardTracker(), {
  // Read back with protobufjs: scalars as metrics (float32: TensorBoard's scalars are); params and tags from their
  // text summaries (params/<name>, tags/<key>); images, figures and assets (text summaries of the path) as files.
  async readBack({ logdir, runId }) {
    const events = (await Promise.all((await eventFiles(path.join(logdir, runId))).map(readEvents))).flat();
    const summaries = events.flatMap((event) =>
      (event.summary?.value ?? []).map((value) => ({ ...value, step: event.step ?? 0 })),
    );
    return {
      metrics: summaries
        .filter((value) => value.simple_value !== undefined)
        .map((value) => ({ name: value.tag, step: value.step, value: value.simple_value! })),
      params: Object.fromEntries(
        summaries
          .filter((value) => value.tag.startsWith('params/'))
          .map((value) => [value.tag.slice(7), textOf(value)]),
      ),
      tags: Object.fromEntries(
        summaries.filter((value) => value.tag.startsWith('tags/')).map((value) => [value.tag.slice(5), textOf(value)]),
      ),
      files: summaries
        .filter((value) => value.image || (isText(value) && !/^(params|tags)\//.test(value.tag)))
        .map((value) => ({ name: value.tag, content: fileContentOf(value) })),
    };
  },
  float32: true,
  async afterLifecycle({ logdir, runId }) {
    const files = await eventFiles(path.join(logdir, runId));
    assert.equal(files.length, 1);
    const events = await readEvents(files[0]!);
    assert.equal(events[0]!.file_version, 'brain.Event:2');
    assert.deepEqual(
      values(events, 'loss').map((value) => [value.step, value.simple_value]),
      [
        [0, 0.5],
        [10, 0.25],
        [11, 0.125],
      ],
    );
    assert.equal(values(events, 'sample')[0]?.image?.width, 1);
    assert.equal(values(events, 'val/curve').length, 3);
  },
});

describe('tensorboard tracker', () => {
  it("is what load('tensorboard') returns", async () => {
    const tracker = await load('tensorboard');
    assert.ok(tracker instanceof TensorboardTracker);
  });

  it('writes events.out.tfevents.<secs>.<host>.<pid>.<n> in <logdir>/<runId>, opening with the version', async () => {
    const before = Math.floor(Date.now() / 1000);
    const tracker = new TensorboardTracker();
    await tracker.start('named-run', path.join(dir, 'names'));
    await tracker.end();
    const files = await eventFiles(path.join(dir, 'names', 'named-run'));
    assert.equal(files.length, 1);
    assert.equal(files[0], tracker.file);
    const match = /^events\.out\.tfevents\.(\d+)\.(.+)\.(\d+)\.(\d+)$/.exec(path.basename(files[0]!));
    assert.ok(match, path.basename(files[0]!));
    assert.ok(Number(match[1]) >= before && Number(match[1]) <= Date.now() / 1000);
    assert.equal(match[2], os.hostname());
    assert.equal(Number(match[3]), process.pid);
    const events = await readEvents(files[0]!);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.file_version, 'brain.Event:2');
    assert.ok(Math.abs(events[0]!.wall_time - Date.now() / 1000) < 60, 'wall_time is in seconds');
  });

  const RUN_ID_RULE = 'must be a relative name without "." or ".." segments';

  it('refuses a run id that leaves logdir', async () => {
    for (const runId of ['../escape', '/abs/olute', '.', 'a/./b', 'a/../../b']) {
      const tracker = new TensorboardTracker();
      assert.throws(() => tracker.start(runId, path.join(dir, 'inside')), {
        name: 'TypeError',
        message: `TensorboardTracker: start(): runId ${JSON.stringify(runId)} ${RUN_ID_RULE}`,
      });
    }
    const nested = new TensorboardTracker();
    await nested.start('sweep/seed-1', path.join(dir, 'inside'));
    await nested.end();
    assert.equal((await eventFiles(path.join(dir, 'inside', 'sweep', 'seed-1'))).length, 1);
  });

  it('refuses a run that has event files unless resumed, which adds a distinct file', async () => {
    const first = new TensorboardTracker();
    const second = new TensorboardTracker({ resume: true });
    await first.start('twice', path.join(dir, 'twice'));
    assert.throws(() => new TensorboardTracker().start('twice', path.join(dir, 'twice')), {
      code: 'RUN_EXISTS',
      message: /TensorboardTracker: run "twice" already exists .*pass resume: true/,
    });
    await second.start('twice', path.join(dir, 'twice'));
    await Promise.all([first.end(), second.end()]);
    assert.notEqual(first.file, second.file);
    assert.equal((await eventFiles(path.join(dir, 'twice', 'twice'))).length, 2);
  });

  it('writes scalars as simple_value with tag, step and float32 value, NaN and infinities included', async () => {
    const tracker = new TensorboardTracker();
    const start = Date.now() / 1000;
    await tracker.start('scalars', path.join(dir, 'scalars'));
    const logged: [string, number, number][] = [
      ['loss', 0.1, 0],
      ['loss', 0.05, 1],
      ['train/accuracy', 0.875, 7],
      ['nan', Number.NaN, 0],
      ['inf', Number.POSITIVE_INFINITY, 0],
      ['ninf', Number.NEGATIVE_INFINITY, 0],
      ['big-step', -3.5, 2 ** 40 + 3],
      ['héllo wörld ✓', 1e30, 127],
      ['edge', 128, 128],
      ['x'.repeat(300), 2, 16384],
    ];
    for (const [name, value, step] of logged) tracker.logMetric(name, value, step);
    tracker.logMetric('auto', 1);
    tracker.logMetric('auto', 2);
    await tracker.end();
    const events = await readEvents(tracker.file!);
    const seen = new Map<string, number>();
    for (const [name, value, step] of logged) {
      const occurrence = seen.get(name) ?? 0;
      seen.set(name, occurrence + 1);
      const decoded = values(events, name)[occurrence];
      assert.ok(decoded, name);
      assert.equal(decoded.step, step, `${name} step`);
      if (Number.isNaN(value)) assert.ok(Number.isNaN(decoded.simple_value), `${name} value`);
      else assert.equal(decoded.simple_value, Math.fround(value), `${name} value`);
      assert.ok(decoded.wall_time >= start - 1 && decoded.wall_time <= Date.now() / 1000 + 1, 'wall_time in seconds');
      assert.equal(decoded.metadata, undefined);
    }
    assert.deepEqual(
      values(events, 'auto').map((value) => [value.step, value.simple_value]),
      [
        [0, 1],
        [1, 2],
      ],
    );
  });

  it('writes images and PNG figures as Summary.Image with width, height and the file bytes', async () => {
    const png = makePng(5, 3);
    const jpeg = makeJpegHead(640, 480);
    await writeFile(path.join(dir, 'wide.png'), png);
    await writeFile(path.join(dir, 'photo.jpg'), jpeg);
    await writeFile(path.join(dir, 'anim.gif'), 'GIF89a not an image tensorboard shows');
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    const tracker = new TensorboardTracker();
    await tracker.start('images', path.join(dir, 'images'));
    tracker.logImage('samples/wide', path.join(dir, 'wide.png'));
    tracker.logImage('samples/wide', path.join(dir, 'wide.png'));
    tracker.logImage('samples/photo', path.join(dir, 'photo.jpg'));
    tracker.logImage('samples/gif', path.join(dir, 'anim.gif'));
    tracker.logImage('samples/gif2', path.join(dir, 'anim.gif'));
    tracker.logImage('samples/missing', path.join(dir, 'missing.png'));
    tracker.logFigure('figure', png);
    await tracker.end();
    await sleep(10);
    process.off('warning', onWarning);
    const events = await readEvents(tracker.file!);
    const wide = values(events, 'samples/wide');
    assert.deepEqual(
      wide.map((value) => value.step),
      [0, 1],
    );
    assert.deepEqual(
      { ...wide[0]!.image, encoded_image_string: undefined },
      { height: 3, width: 5, colorspace: 3, encoded_image_string: undefined },
    );
    assert.ok(wide[0]!.image!.encoded_image_string.equals(png));
    const [photo] = values(events, 'samples/photo');
    assert.equal(photo?.image?.width, 640);
    assert.equal(photo?.image?.height, 480);
    assert.ok(photo?.image?.encoded_image_string.equals(jpeg));
    const [figure] = values(events, 'figure');
    assert.equal(figure?.image?.width, 5);
    assert.ok(figure?.image?.encoded_image_string.equals(png));
    assert.equal(values(events, 'samples/gif').length, 0);
    assert.equal(values(events, 'samples/missing').length, 0);
    assert.equal(warnings.filter((message) => message.includes('neither PNG nor JPEG')).length, 1, warnings.join('\n'));
    assert.ok(warnings.some((message) => message.includes('missing.png')));
  });

  it('keeps SVG, Vega-Lite and Plotly figures as text summaries', async () => {
    const tracker = new TensorboardTracker();
    await tracker.start('figures', path.join(dir, 'figures'));
    tracker.logFigure('svg', TINY_SVG);
    tracker.logFigure('vega', VEGA_LITE_SPEC);
    tracker.logFigure('plotly', PLOTLY_FIGURE);
    tracker.logFigure('png', TINY_PNG);
    await tracker.end();
    const events = await readEvents(tracker.file!);
    assert.equal(textOf(values(events, 'svg')[0]!), '```svg\n' + TINY_SVG + '\n```');
    const fenced = /^```json\n([\s\S]*)\n```$/;
    assert.deepEqual(JSON.parse(fenced.exec(textOf(values(events, 'vega')[0]!))![1]!), VEGA_LITE_SPEC);
    assert.deepEqual(JSON.parse(fenced.exec(textOf(values(events, 'plotly')[0]!))![1]!), PLOTLY_FIGURE);
    assert.equal(values(events, 'png')[0]?.image?.height, 1);
  });

  it('writes params as an hparams session_start_info and as text; tags and assets as text', async () => {
    const tracker = new TensorboardTracker();
    await tracker.start('params', path.join(dir, 'params'));
    tracker.logParams({ lr: 0.001, optimizer: 'adam', amsgrad: false, layers: [64, 32], extra: null });
    tracker.logTag('team', 'vision');
    tracker.logTags({ seed: 42 });
    tracker.logAsset('config', 'relative/config.json');
    await tracker.end();
    const events = await readEvents(tracker.file!);

    const [start] = values(events, '_hparams_/session_start_info');
    assert.equal(start?.metadata?.plugin_data?.plugin_name, 'hparams');
    const startData = HParamsPluginDataType.toObject(
      HParamsPluginDataType.decode(start!.metadata!.plugin_data!.content!),
      { longs: Number, oneofs: true },
    );
    assert.equal(startData.data, 'session_start_info');
    assert.deepEqual(startData.session_start_info.hparams, {
      lr: { number_value: 0.001, kind: 'number_value' },
      optimizer: { string_value: 'adam', kind: 'string_value' },
      amsgrad: { bool_value: false, kind: 'bool_value' },
      layers: { string_value: '[64,32]', kind: 'string_value' },
      extra: { string_value: 'null', kind: 'string_value' },
    });
    assert.ok(Math.abs(startData.session_start_info.start_time_secs - Date.now() / 1000) < 60);

    const [end] = values(events, '_hparams_/session_end_info');
    const endData = HParamsPluginDataType.toObject(HParamsPluginDataType.decode(end!.metadata!.plugin_data!.content!), {
      longs: Number,
      enums: String,
    });
    assert.equal(endData.session_end_info.status, 'STATUS_SUCCESS');

    assert.equal(textOf(values(events, 'params/lr')[0]!), '0.001');
    assert.equal(textOf(values(events, 'params/optimizer')[0]!), 'adam');
    assert.equal(textOf(values(events, 'params/layers')[0]!), '[64,32]');
    assert.equal(textOf(values(events, 'tags/team')[0]!), 'vision');
    assert.equal(textOf(values(events, 'tags/seed')[0]!), '42');
    assert.equal(textOf(values(events, 'assets/config')[0]!), path.resolve('relative/config.json'));
    const text = values(events, 'tags/team')[0]!;
    assert.equal(text.metadata?.data_class, 2, 'DATA_CLASS_TENSOR');
    assert.deepEqual(
      TextPluginDataType.toObject(TextPluginDataType.decode(text.metadata!.plugin_data!.content ?? new Uint8Array(0))),
      {},
    );
  });

  it('params are exact in their text summaries too: NaN, Infinity and -0 are not null and 0', async () => {
    const tracker = new TensorboardTracker();
    await tracker.start('exact', path.join(dir, 'exact'));
    tracker.logParam('nan', Number.NaN);
    tracker.logParam('inf', Number.NEGATIVE_INFINITY);
    tracker.logParam('zero', -0);
    tracker.logParam('none', null);
    tracker.logParam('nested', { lr: Number.POSITIVE_INFINITY, layers: [1, 2] });
    await tracker.end();
    const events = await readEvents(tracker.file!);
    const text = (name: string) => textOf(values(events, `params/${name}`)[0]!);
    assert.deepEqual(['nan', 'inf', 'zero', 'none', 'nested'].map(text), [
      'NaN',
      '-Infinity',
      '-0',
      'null',
      '{"lr":"Infinity","layers":[1,2]}',
    ]);
  });

  it('warns once that a step of 2^31 or more breaks the HPARAMS tab', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      const tracker = new TensorboardTracker();
      await tracker.start('large-steps', path.join(dir, 'large-steps'));
      tracker.logMetric('loss', 1, 2 ** 31 - 1);
      await sleep(0);
      assert.deepEqual(warnings, [], 'below 2^31: no warning');
      tracker.logMetric('loss', 1, 2 ** 31);
      tracker.logMetric('acc', 1, 2 ** 40);
      await tracker.end();
      await sleep(0);
    } finally {
      process.off('warning', onWarning);
    }
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /logMetric\("loss"\) at step 2147483648: .*HPARAMS tab fails .*below 2\^31/);
  });

  it('records a failed run in session_end_info', async () => {
    const tracker = new TensorboardTracker();
    await tracker.start('failed', path.join(dir, 'failed'));
    tracker.logParam('lr', 0.1);
    await tracker.end(new Error('diverged'));
    const [end] = values(await readEvents(tracker.file!), '_hparams_/session_end_info');
    const data = HParamsPluginDataType.toObject(HParamsPluginDataType.decode(end!.metadata!.plugin_data!.content!), {
      enums: String,
    });
    assert.equal(data.session_end_info.status, 'STATUS_FAILURE');
  });

  it('flushes on its timer, without flush() or end()', async () => {
    const tracker = new TensorboardTracker({ flushIntervalMs: 20 });
    await tracker.start('timer', path.join(dir, 'timer'));
    tracker.logMetric('loss', 0.5, 3);
    await writeFile(path.join(dir, 'timer.png'), TINY_PNG);
    tracker.logImage('image', path.join(dir, 'timer.png'));
    // Polled until a generous deadline, not a count of polls: a loaded machine runs the timer late, not never.
    let found: number | undefined;
    for (const deadline = Date.now() + 20_000; found === undefined && Date.now() < deadline;) {
      await sleep(20);
      found = values(await readEvents(tracker.file!), 'loss')[0]?.step;
    }
    assert.equal(found, 3);
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(20)) {
      if (values(await readEvents(tracker.file!), 'image').length > 0) break;
    }
    assert.equal(values(await readEvents(tracker.file!), 'image')[0]?.image?.width, 1);
    await tracker.end();
  });

  it('writes a full buffer at once, so what it holds stays under bufferBytes', async () => {
    const tracker = new TensorboardTracker({ bufferBytes: 4096, flushIntervalMs: 0 });
    await tracker.start('spill', path.join(dir, 'spill'));
    for (let step = 0; step < 10_000; step++) tracker.logMetric('loss', step, step);
    const { size } = await import('node:fs').then((fs) => fs.statSync(tracker.file!));
    await tracker.end();
    const total = (await readFile(tracker.file!)).length;
    assert.ok(size > 0 && total - size < 4096, `on disk before end: ${size} of ${total} bytes`);
    assert.equal(values(await readEvents(tracker.file!), 'loss').length, 10_000);
  });

  it('writes what it buffered when the process exits without end()', async () => {
    const script = path.join(dir, 'exit-without-end.mts');
    const trackerUrl = new URL('../../src/trackers/tensorboard.ts', import.meta.url).href;
    await writeFile(
      script,
      `import { TensorboardTracker } from ${JSON.stringify(trackerUrl)};\n` +
        `const tracker = new TensorboardTracker({ flushIntervalMs: 0 });\n` +
        `await tracker.start('exited', ${JSON.stringify(path.join(dir, 'exit'))});\n` +
        `tracker.logParam('lr', 0.5);\n` +
        `for (let step = 0; step < 100; step++) tracker.logMetric('loss', step, step);\n` +
        `console.log(tracker.file);\n` +
        `process.exit(0);\n`,
    );
    const result = runChildSync(process.execPath, [...TS_LOADER, script], {
      cwd: path.join(here, '..', '..'),
    });
    assert.equal(result.status, 0, result.stderr);
    const events = await readEvents(result.stdout.trim());
    assert.equal(values(events, 'loss').length, 100);
    assert.equal(values(events, '_hparams_/session_start_info').length, 1);
  });

  it('lets a corrupted record be detected, never silently dropped', async () => {
    const tracker = new TensorboardTracker();
    await tracker.start('corrupt', path.join(dir, 'corrupt'));
    for (let step = 0; step < 5; step++) tracker.logMetric('loss', step / 10, step);
    await tracker.end();
    const bytes = await readFile(tracker.file!);
    const records = splitRecords(bytes);
    assert.equal(records.length, 6);
    assert.deepEqual(readTfRecords(bytes).length, 6);

    // One bit flipped in the data of the third record: the independent check fails on that record alone.
    const damaged = Buffer.from(bytes);
    damaged[records[2]!.offset + 12 + 3]! ^= 0x01;
    const checked = splitRecords(damaged);
    assert.deepEqual(
      checked.map((record) => record.dataCrcOk),
      [true, true, false, true, true, true],
    );
    assert.throws(
      () => readTfRecords(damaged),
      (error: unknown) => {
        assert.ok(isGymnosError(error));
        assert.equal(error.code, TFRECORD_CORRUPT);
        assert.deepEqual(error.details, { index: 2, offset: splitRecords(damaged)[2]!.offset });
        assert.match(error.message, /data CRC mismatch/);
        return true;
      },
    );

    // A damaged length is caught by the length CRC, a cut file as truncated.
    const badLength = Buffer.from(bytes);
    badLength[records[1]!.offset]! ^= 0x04;
    assert.throws(() => readTfRecords(badLength), /TFRecord 1 at byte \d+: length CRC mismatch/);
    assert.throws(() => readTfRecords(bytes.subarray(0, bytes.length - 3)), /TFRecord 5 .*truncated/);
  });
});

// ---- TensorBoard's own reader, where the Python package is installed ----

const ACCUMULATE = `
import json, math, sys
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2
from tensorboard.util import tensor_util

acc = EventAccumulator(sys.argv[1], size_guidance={'scalars': 0, 'images': 0, 'tensors': 0})
acc.Reload()
tags = acc.Tags()
def num(v):
    return v if math.isfinite(v) else str(v)
def plugin(name):
    try:
        return acc.PluginTagToContent(name)
    except KeyError:
        return {}
start = plugin_data_pb2.HParamsPluginData.FromString(plugin('hparams')['_hparams_/session_start_info'])
print(json.dumps({
    'scalars': {t: [[e.step, num(e.value)] for e in acc.Scalars(t)] for t in tags['scalars']},
    'images': {
        t: [[e.step, e.width, e.height, len(e.encoded_image_string)] for e in acc.Images(t)] for t in tags['images']
    },
    'text': {
        t: [tensor_util.make_ndarray(e.tensor_proto).item().decode() for e in acc.Tensors(t)] for t in plugin('text')
    },
    'hparams': {
        k: v.WhichOneof('kind') + '=' + str(getattr(v, v.WhichOneof('kind')))
        for k, v in start.session_start_info.hparams.items()
    },
}))
`;

describe('tensorboard tracker read by TensorBoard', () => {
  it("is read back by TensorBoard's EventAccumulator", async (t) => {
    const missing = missingPythonModule('tensorboard');
    if (missing) {
      missingPrerequisite(t, `${missing}; ${PYTHON_HINT}`);
      return;
    }
    const png = makePng(4, 2);
    await writeFile(path.join(dir, 'tb.png'), png);
    const tracker = new TensorboardTracker();
    await tracker.start('accumulated', path.join(dir, 'accumulated'));
    tracker.logMetrics({ loss: [1, 0.5, 0.25] });
    tracker.logMetric('nan', Number.NaN, 4);
    tracker.logMetric('inf', Number.POSITIVE_INFINITY, 5);
    tracker.logImage('sample', path.join(dir, 'tb.png'));
    tracker.logParams({ lr: 0.01, optimizer: 'sgd', nesterov: true });
    tracker.logTag('team', 'vision');
    await tracker.end();
    const result = runChildSync(PYTHON, ['-c', ACCUMULATE, path.dirname(tracker.file!)]);
    assert.equal(result.status, 0, result.stderr);
    const read = JSON.parse(result.stdout) as Record<string, Record<string, unknown>>;
    assert.deepEqual(read.scalars!.loss, [
      [0, 1],
      [1, 0.5],
      [2, 0.25],
    ]);
    assert.deepEqual(read.scalars!.nan, [[4, 'nan']]);
    assert.deepEqual(read.scalars!.inf, [[5, 'inf']]);
    assert.deepEqual(read.images!.sample, [[0, 4, 2, png.length]]);
    assert.deepEqual(read.text!['tags/team'], ['vision']);
    assert.deepEqual(read.text!['params/optimizer'], ['sgd']);
    assert.deepEqual(read.hparams, {
      lr: 'number_value=0.01',
      optimizer: 'string_value=sgd',
      nesterov: 'bool_value=True',
    });
  });
});
