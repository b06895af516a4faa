/**
 * One tfjs training run logged through `gymnos/tfjs` to the jsonl, tensorboard, csv and mlflow trackers at once,
 * read back with readers that are not the trackers: events.jsonl line by line, the event files with gymnos's reader
 * and, where it is installed, TensorBoard's own EventAccumulator, metrics.csv as text, and what a loopback MLflow
 * server received; then `gymnos runs` and `gymnos report` on the logdir.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { JsonlTracker, readJsonlEvents } from '../../src/trackers/jsonl.js';
import { TensorboardTracker } from '../../src/trackers/tensorboard.js';
import { CsvTracker } from '../../src/trackers/csv.js';
import { MlflowTracker } from '../../src/trackers/mlflow.js';
import { MlflowTestServer } from '../fixtures/mlflow_server.js';
import { TrackerList } from '../../src/registry/tracker_list.js';
import { readTensorboardRun } from '../../src/runs/tfevents_reader.js';
import { trackerCallback } from '../../src/tfjs/index.js';
import type { MemoryMetric } from '../../src/trackers/memory.js';
import { runChildSync } from '../helpers/children.js';
import { gymnosInProcess } from '../helpers/in_process.js';
import { embeddedData } from '../helpers/report_data.js';
import { missingPrerequisite } from '../helpers/prerequisite.js';
import { missingPythonModule, PYTHON, PYTHON_HINT } from '../helpers/python.js';
import { captureCallback, expectedMetrics, sorted, tf, TINY_MODEL_PARAMS, tinyData, tinyModel } from './helpers.js';
import type { Captured } from './helpers.js';

const RUN_ID = 'tfjs-run';
let dir: string;
let logdir: string;
let runDir: string;
let captured: Captured;
let model: tf.Sequential;
let server: MlflowTestServer;
let mlflow: MlflowTracker;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'gymnos-tfjs-backends-'));
  logdir = path.join(dir, 'logs');
  runDir = path.join(logdir, RUN_ID);
  server = await MlflowTestServer.start();
  mlflow = new MlflowTracker({ trackingUri: server.url, flushIntervalMs: 20, endTimeoutMs: 10_000 });
  const trackers = new TrackerList([new JsonlTracker(), new TensorboardTracker(), new CsvTracker(), mlflow]);
  model = tinyModel();
  const { xs, ys } = tinyData(32);
  const capture = captureCallback(model);
  captured = capture.captured;
  const fitArgs = { epochs: 4, batchSize: 8, validationSplit: 0.25 };
  const callback = trackerCallback(trackers, {
    model,
    fitArgs,
    updateFreq: 'batch',
    checkpoint: { monitor: 'val_loss' },
    logdir,
    runId: RUN_ID,
    filesDir: path.join(dir, 'files'),
  });
  await model.fit(xs, ys, { ...fitArgs, verbose: 0, callbacks: [callback as tf.CustomCallbackArgs, capture.callback] });
  tf.dispose([xs, ys]);
});
after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const PARAMS = {
  epochs: 4,
  initialEpoch: 0,
  batchSize: 8,
  samples: 24,
  doValidation: true,
  validationSplit: 0.25,
  ...TINY_MODEL_PARAMS,
};

/** What TensorBoard keeps of a value: a float32. tfjs's own values are float32 already; the learning rate is not. */
const asFloat32 = (metrics: MemoryMetric[]) =>
  metrics.map((metric) => ({ ...metric, value: Math.fround(metric.value) }));

describe('jsonl', () => {
  test('events.jsonl holds every metric tfjs passed to callbacks, exact, and the run finished', async () => {
    const events = await readJsonlEvents(path.join(runDir, 'events.jsonl'));
    const metrics = events.flatMap((event) =>
      event.kind === 'metric' ? [{ name: event.name, step: event.step, value: event.value }] : [],
    );
    assert.deepEqual(sorted(metrics), sorted(expectedMetrics(captured, { batchEvery: 1 })));
    assert.deepEqual(events.at(-1), { ...events.at(-1), kind: 'status', value: 'finished' });
    assert.deepEqual(JSON.parse(readFileSync(path.join(runDir, 'params.json'), 'utf8')), PARAMS);
  });

  test('the topology and the checkpoints are in assets/, each model JSON beside the weights it names', async () => {
    const assets = path.join(runDir, 'assets');
    assert.deepEqual(
      JSON.parse(readFileSync(path.join(assets, 'model-topology.json'), 'utf8')),
      model.toJSON(null, false),
    );
    let best = Infinity;
    const improved = captured.epochs.filter(({ logs }) => logs.val_loss! < best && ((best = logs.val_loss!), true));
    assert.ok(improved.length >= 1);
    for (const { epoch } of improved) {
      const modelJson = JSON.parse(readFileSync(path.join(assets, `checkpoint-epoch-${epoch}.json`), 'utf8'));
      const [weightsFile] = modelJson.weightsManifest[0].paths as string[];
      assert.equal(weightsFile, `checkpoint-epoch-${epoch}.weights.bin`);
      assert.ok(existsSync(path.join(assets, weightsFile!)), weightsFile);
    }
    const last = improved.at(-1)!.epoch;
    assert.equal(
      JSON.parse(readFileSync(path.join(runDir, 'tags.json'), 'utf8')).checkpoint,
      `checkpoint-epoch-${last}`,
    );
  });
});

describe('tensorboard', () => {
  function eventFileScalars(): MemoryMetric[] {
    const metrics: MemoryMetric[] = [];
    readTensorboardRun(runDir, { metric: (name, step, value) => void metrics.push({ name, step, value }) });
    return metrics;
  }

  test('the event file holds every metric as its float32', () => {
    assert.deepEqual(sorted(eventFileScalars()), sorted(asFloat32(expectedMetrics(captured, { batchEvery: 1 }))));
  });

  test("TensorBoard's EventAccumulator reads the same scalars, the params as hparams, the run as finished", (t) => {
    const missing = missingPythonModule('tensorboard');
    if (missing) return missingPrerequisite(t, `${missing}; ${PYTHON_HINT}`);
    const program = `
import json, sys
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2
acc = EventAccumulator(sys.argv[1], size_guidance={'scalars': 0, 'tensors': 0})
acc.Reload()
content = acc.PluginTagToContent('hparams')
start = plugin_data_pb2.HParamsPluginData.FromString(content['_hparams_/session_start_info']).session_start_info
end = plugin_data_pb2.HParamsPluginData.FromString(content['_hparams_/session_end_info']).session_end_info
print(json.dumps({
  'scalars': [[tag, e.step, e.value] for tag in acc.Tags()['scalars'] for e in acc.Scalars(tag)],
  'hparams': {k: getattr(v, v.WhichOneof('kind')) for k, v in start.hparams.items()},
  'status': end.status,
}))
`;
    const result = runChildSync(PYTHON, ['-c', program, runDir]);
    assert.equal(result.status, 0, result.stderr);
    const read = JSON.parse(result.stdout) as {
      scalars: [string, number, number][];
      hparams: Record<string, unknown>;
      status: number;
    };
    const scalars = read.scalars.map(([name, step, value]) => ({ name, step, value }));
    assert.deepEqual(sorted(scalars), sorted(asFloat32(expectedMetrics(captured, { batchEvery: 1 }))));
    assert.equal(read.hparams.optimizer, 'Adam');
    assert.equal(read.hparams['optimizer/learningRate'], 0.05);
    assert.equal(read.hparams.trainableParams, 21);
    assert.equal(read.hparams.metrics, '["loss","mae"]');
    assert.equal(read.status, 1); // STATUS_SUCCESS
  });
});

describe('csv and mlflow', () => {
  test('metrics.csv has a row for every metric, exact', () => {
    const [header, ...rows] = readFileSync(path.join(runDir, 'metrics.csv'), 'utf8').trim().split('\n');
    assert.equal(header, 'step,name,value,timestamp');
    const metrics = rows.map((row) => {
      const [step, name, value] = row.split(',');
      return { name: name!, step: Number(step), value: Number(value) };
    });
    assert.deepEqual(sorted(metrics), sorted(expectedMetrics(captured, { batchEvery: 1 })));
  });

  test('the MLflow server has every metric, the params, the topology and checkpoints as artifacts', () => {
    const run = server.runs.get(mlflow.mlflowRunId ?? '');
    assert.ok(run, 'the MLflow run exists');
    assert.equal(run.info.status, 'FINISHED');
    const metrics = run.metrics.map(({ key, step, value }) => ({ name: key, step, value }));
    assert.deepEqual(sorted(metrics), sorted(expectedMetrics(captured, { batchEvery: 1 })));
    assert.equal(run.params.get('optimizer/learningRate'), '0.05');
    assert.equal(run.params.get('validationSplit'), '0.25');
    const prefix = `${run.info.experiment_id}/${run.info.run_id}/artifacts/`;
    const artifacts = [...server.artifacts.keys()]
      .filter((key) => key.startsWith(prefix))
      .map((key) => key.slice(prefix.length));
    assert.ok(artifacts.includes('model-topology.json'), artifacts.join(', '));
    const checkpoints = artifacts.filter((name) => name.startsWith('checkpoint-epoch-')).sort();
    assert.ok(checkpoints.length >= 2 && checkpoints.length % 2 === 0, checkpoints.join(', '));
    for (const json of checkpoints.filter((name) => name.endsWith('.json'))) {
      const manifest = JSON.parse(server.artifacts.get(prefix + json)!.toString()).weightsManifest;
      assert.ok(artifacts.includes(manifest[0].paths[0]), `${json} names a weights file the run has`);
    }
  });
});

describe('gymnos runs and gymnos report', () => {
  test('gymnos runs lists the run with the last and best validation loss tfjs reported', async () => {
    const cacheDir = path.join(dir, 'cache');
    const result = await gymnosInProcess(['runs', logdir, '--metric', 'epoch_loss/validation', '--json'], {
      cwd: dir,
      env: { GYMNOS_CACHE_DIR: cacheDir },
    });
    assert.equal(result.status, 0, result.stderr);
    const [run, ...others] = (JSON.parse(result.stdout) as { runs: Record<string, never>[] }).runs;
    assert.equal(others.length, 0);
    assert.equal(run!.id, RUN_ID);
    assert.equal(run!.status, 'finished');
    const losses = captured.epochs.map(({ logs }) => logs.val_loss!);
    const metric = (run!.metrics as Record<string, { last: number; min: number; points: number }>)[
      'epoch_loss/validation'
    ]!;
    assert.deepEqual([metric.points, metric.last, metric.min], [4, losses.at(-1), Math.min(...losses)]);
    const table = await gymnosInProcess(
      ['runs', logdir, '--metric', 'epoch_loss/train', '--metric', 'epoch_loss/validation'],
      {
        cwd: dir,
        env: { GYMNOS_CACHE_DIR: cacheDir },
      },
    );
    assert.match(table.stdout, new RegExp(`^${RUN_ID} .*finished`, 'm'));
    assert.match(table.stdout, /epoch_loss\/train last +epoch_loss\/train min +epoch_loss\/validation last/);
  });

  test('gymnos report draws a chart per metric, train and validation side by side, and shows the params', async () => {
    const out = path.join(dir, 'report.html');
    const result = await gymnosInProcess(['report', logdir, '-o', out], { cwd: dir });
    assert.equal(result.status, 0, result.stderr);
    const html = readFileSync(out, 'utf8');
    // the page draws a chart per metric of its data block (test/e2e/report_browser.test.ts checks the drawing)
    assert.deepEqual(embeddedData(html).metrics, [
      'batch_loss/train',
      'batch_mae/train',
      'epoch_learning_rate',
      'epoch_loss/train',
      'epoch_loss/validation',
      'epoch_mae/train',
      'epoch_mae/validation',
    ]);
    for (const param of ['optimizer/learningRate', 'trainableParams', 'validationSplit'])
      assert.ok(html.includes(param), param);
  });
});
