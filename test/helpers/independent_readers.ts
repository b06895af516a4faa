/**
 * A run's `loss` steps and end status as readers that are not gymnos's see them: Python's json module line by line
 * for jsonl (a last line without its newline skipped, as docs/trackers/jsonl.md tells readers to), pandas.read_csv
 * with its defaults for csv, TensorBoard's EventAccumulator for tensorboard. One python per call.
 */
import { runChildSync } from './children.js';
import { missingPythonModule, PYTHON } from './python.js';

export type RunKind = 'jsonl' | 'csv' | 'tensorboard';

export interface IndependentRead {
  steps: number[];
  /** jsonl: the status line's value; tensorboard: the hparams session end's status number; csv: null. */
  status: string | number | null;
}

const PROGRAM = `
import json, os, sys

def read(kind, run):
  steps, status = [], None
  if kind == 'jsonl':
      with open(os.path.join(run, 'events.jsonl'), encoding='utf-8') as f:
          lines = f.read().split('\\n')
      for line in lines[:-1]:
          event = json.loads(line)
          if event['kind'] == 'metric' and event['name'] == 'loss':
              steps.append(event['step'])
          elif event['kind'] == 'status':
              status = event['value']
  elif kind == 'csv':
      import pandas
      frame = pandas.read_csv(os.path.join(run, 'metrics.csv'))
      steps = [int(step) for step in frame[frame['name'] == 'loss']['step']]
  else:
      from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
      from tensorboard.plugins.hparams import plugin_data_pb2
      acc = EventAccumulator(run, size_guidance={'scalars': 0, 'tensors': 0})
      acc.Reload()
      steps = [event.step for event in acc.Scalars('loss')] if 'loss' in acc.Tags()['scalars'] else []
      try:
          content = acc.PluginTagToContent('hparams')
      except KeyError:
          content = {}
      if '_hparams_/session_end_info' in content:
          end = plugin_data_pb2.HParamsPluginData.FromString(content['_hparams_/session_end_info'])
          status = end.session_end_info.status
  return {'steps': steps, 'status': status}

results = []
for kind, run in zip(sys.argv[1::2], sys.argv[2::2]):
  try:
    results.append(read(kind, run))
  except Exception as error:
    results.append({'error': type(error).__name__ + ': ' + str(error)[:300]})
print(json.dumps(results))
`;

const MODULES: Record<RunKind, string> = { jsonl: 'json', csv: 'pandas', tensorboard: 'tensorboard' };

/** Why `kind`'s reader cannot run here, or undefined when it can. */
export function missingReader(kind: RunKind): string | undefined {
  return missingPythonModule(MODULES[kind]);
}

/**
 * What the reader of each run's kind reads from its directory, in one python (TensorBoard's reader takes a second
 * to import): per run, the steps and status, or `error`, the reader's own, when it refuses the files.
 */
export function readIndependently(
  runs: readonly { kind: RunKind; dir: string }[],
): (IndependentRead | { error: string })[] {
  if (runs.length === 0) return []; // no reader here: nothing to start python for
  const args = runs.flatMap(({ kind, dir }) => [kind, dir]);
  const result = runChildSync(PYTHON, ['-c', PROGRAM, ...args], { maxBuffer: 64 << 20 });
  if (result.status !== 0) {
    const why = result.error?.message ?? result.stderr?.trim().slice(-500) ?? `exit ${result.status}`;
    throw new Error(`the python readers failed: ${why}`);
  }
  return JSON.parse(result.stdout) as (IndependentRead | { error: string })[];
}
