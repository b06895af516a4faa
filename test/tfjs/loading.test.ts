/**
 * What a user installs and imports: `import 'gymnos'` and `import 'gymnos/tfjs'` (through the package's exports,
 * from the built dist/) load no TensorFlow.js; the callback's declarations fit tfjs's own types for `callbacks`
 * and `model`; the checkpoint's save handler comes from the installed tfjs, or is built as tfjs builds it.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { loadWithSaveHandler, snapshotModel } from '../../src/tfjs/checkpoint.js';
import { runChildSync } from '../helpers/children.js';
import { pluginProject } from '../helpers/plugin_project.js';
import { missingPrerequisite } from '../helpers/prerequisite.js';
import { removeProjects, REPO } from '../helpers/project.js';
import { tsc } from '../helpers/typescript_compile.js';
import { tf, tinyModel } from './helpers.js';

after(removeProjects);

describe('imports', () => {
  test("import 'gymnos' and 'gymnos/tfjs' load no tfjs module (and the check sees one once tfjs is imported)", (t) => {
    if (!existsSync(path.join(REPO, 'dist/tfjs/index.js'))) {
      return missingPrerequisite(t, 'dist/ is not built: run `npm run build` first (npm test does)');
    }
    const script = `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const tfjsModules = () => Object.keys(require.cache).filter((file) => file.includes('@tensorflow')).length;
const { TrackerList } = await import('gymnos');
const { trackerCallback } = await import('gymnos/tfjs');
trackerCallback(new TrackerList([]), { updateFreq: 'batch', checkpoint: true });
const before = tfjsModules();
await import('@tensorflow/tfjs');
console.log(JSON.stringify([before, tfjsModules() > 0]));
`;
    // From a project that installed gymnos and tfjs (pluginProject links both): 'gymnos/tfjs' resolves through the
    // package's exports map.
    const root = pluginProject();
    const result = runChildSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root });
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout.trim().split('\n').at(-1)!), [0, true]);
  });
});

test('every export of gymnos/tfjs is documented in docs/api.md', async () => {
  const docs = readFileSync(path.join(REPO, 'docs/api.md'), 'utf8');
  const exported = Object.keys(await import('../../src/tfjs/index.js'));
  assert.deepEqual(exported, ['trackerCallback']);
  for (const name of exported) assert.match(docs, new RegExp(`\`${name}[\`(]`), `${name} in docs/api.md`);
});

describe('types', () => {
  test("the callback type-checks against tfjs's own types: fit, fitDataset, a list, after tfjs's callbacks", (t) => {
    if (!existsSync(path.join(REPO, 'dist/tfjs/index.d.ts'))) {
      return missingPrerequisite(t, 'dist/ is not built: run `npm run build` first (npm test does)');
    }
    const root = pluginProject({
      'tsconfig.json': JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
        },
        include: ['train.ts'],
      }),
      'train.ts': `import * as tf from '@tensorflow/tfjs';
import { TrackerList } from 'gymnos';
import { trackerCallback } from 'gymnos/tfjs';

export async function train(model: tf.LayersModel, dataset: tf.data.Dataset<tf.TensorContainer>): Promise<void> {
  const trackers = await TrackerList.fromSpecs([{ type: 'jsonl' }]);
  const xs = tf.zeros([4, 1]);
  await model.fit(xs, xs, { callbacks: trackerCallback(trackers, { model, updateFreq: 'batch' }) });
  await model.fit(xs, xs, { callbacks: [trackerCallback(trackers, { model, checkpoint: { monitor: 'val_loss' } })] });
  await model.fitDataset(dataset, { epochs: 1, callbacks: trackerCallback(trackers, { model, updateFreq: 10 }) });
  const afterTfjs = trackerCallback(trackers) as unknown as tf.Callback;
  await model.fit(xs, xs, { callbacks: [tf.callbacks.earlyStopping(), afterTfjs] });
  // @ts-expect-error: updateFreq is 'epoch', 'batch' or a number
  trackerCallback(trackers, { updateFreq: 'step' });
  // @ts-expect-error: a tfjs model, not a string
  trackerCallback(trackers, { model: 'model.json' });
}
`,
    });
    assert.equal(tsc(root, 'tsconfig.json'), '');
  });
});

describe('the save handler', () => {
  test('tf.io.withSaveHandler of the installed tfjs', async () => {
    assert.equal(await loadWithSaveHandler(), tf.io.withSaveHandler);
  });

  test('where @tensorflow/tfjs does not resolve, the handler is built as withSaveHandler builds it', async () => {
    const missing = Object.assign(new Error("Cannot find package '@tensorflow/tfjs'"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    const built = await loadWithSaveHandler(() => Promise.reject(missing));
    const model = tinyModel();
    const [ours, tfjs] = [
      await snapshotModel(model, built),
      await snapshotModel(model, tf.io.withSaveHandler as never),
    ];
    assert.deepEqual(ours.weightSpecs, tfjs.weightSpecs);
    assert.deepEqual(ours.modelTopology, tfjs.modelTopology);
  });

  test('any other import failure is thrown, not replaced by a guess', async () => {
    const broken = new SyntaxError('Unexpected token in @tensorflow/tfjs');
    await assert.rejects(
      loadWithSaveHandler(() => Promise.reject(broken)),
      broken,
    );
  });
});
