/**
 * docs/tfjs.md's examples run as written. Every ```js block there is a whole script whose first line names its
 * file (`// train.mjs: ...`); they are written into a project that depends on gymnos (node_modules/gymnos links
 * to this repository's built dist/, as installed) and on @tensorflow/tfjs, and run with node, in the page's
 * order, in one directory. What they logged is then read with `gymnos runs`. In the end-to-end tier, as are
 * docs/cli.md's examples (docs_examples.test.ts); the page's first example also runs from a packed install in
 * pack.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { gymnosInProcess } from '../helpers/in_process.js';
import { pluginProject } from '../helpers/plugin_project.js';
import { missingPrerequisite } from '../helpers/prerequisite.js';
import { removeProjects, REPO, run } from '../helpers/project.js';

interface Script {
  file: string;
  line: number;
  source: string;
}

function scripts(markdown: string): Script[] {
  const found: Script[] = [];
  for (const match of markdown.matchAll(/^```js\n([\s\S]*?)^```$/gm)) {
    const source = match[1]!;
    const file = /^\/\/ ([\w-]+\.mjs)\b/.exec(source)?.[1];
    const line = markdown.slice(0, match.index).split('\n').length;
    assert.ok(file, `docs/tfjs.md:${line}: a js example starts with a comment naming its file (// train.mjs: ...)`);
    found.push({ file, line, source });
  }
  return found;
}

interface ListedRun {
  id: string;
  status: string;
  params: Record<string, unknown>;
  metrics: Record<string, { points: number; firstStep: number; lastStep: number }>;
}

describe('docs/tfjs.md', () => {
  after(removeProjects);
  const examples = scripts(readFileSync(path.join(REPO, 'docs/tfjs.md'), 'utf8'));

  test('its examples run as written, and gymnos runs lists what they logged', async (t) => {
    if (!existsSync(path.join(REPO, 'dist/tfjs/index.js'))) {
      return missingPrerequisite(t, 'dist/ is not built: run `npm run build` first (npm test does)');
    }
    assert.deepEqual(
      examples.map(({ file }) => file),
      ['train.mjs', 'finetune.mjs', 'load-checkpoint.mjs'],
    );
    const root = pluginProject(Object.fromEntries(examples.map(({ file, source }) => [file, source])));
    mkdirSync(path.join(root, 'node_modules/@tensorflow'));
    symlinkSync(path.join(REPO, 'node_modules/@tensorflow/tfjs'), path.join(root, 'node_modules/@tensorflow/tfjs'));
    const outputs: Record<string, string> = {};
    for (const { file, line } of examples) {
      const result = run(process.execPath, [file], root);
      assert.equal(result.status, 0, `docs/tfjs.md:${line} (${file}) failed:\n${result.stderr}`);
      outputs[file] = result.stdout;
    }
    const listing = await gymnosInProcess(['runs', 'logs', '--json', '--sort', 'id'], {
      cwd: root,
      env: { GYMNOS_CACHE_DIR: path.join(root, '.cache') },
    });
    assert.equal(listing.status, 0, listing.stderr);
    const [trained, finetuned, ...others] = (JSON.parse(listing.stdout) as { runs: ListedRun[] }).runs;
    assert.equal(others.length, 0);
    assert.match(outputs['train.mjs']!, new RegExp(`logged run ${trained!.id} to logs/`));
    // train.mjs: 20 epochs of 13 batches (410 training samples, batches of 32), with validation, two trackers.
    assert.equal(trained!.status, 'finished');
    assert.deepEqual(trained!.metrics['epoch_loss/validation'], {
      ...trained!.metrics['epoch_loss/validation'],
      points: 20,
    });
    assert.deepEqual(trained!.metrics['batch_loss/train'], { ...trained!.metrics['batch_loss/train'], points: 260 });
    assert.equal(trained!.params.validationSplit, 0.2);
    assert.ok(readFileSync(path.join(root, 'logs', trained!.id, 'tags.json'), 'utf8').includes('checkpoint-epoch-'));
    // finetune.mjs: two fits, one run, the epochs continuing.
    assert.equal(finetuned!.status, 'finished');
    const epochs = finetuned!.metrics['epoch_loss/train']!;
    assert.deepEqual([epochs.points, epochs.firstStep, epochs.lastStep], [10, 0, 9]);
    assert.deepEqual([finetuned!.params.epochs, finetuned!.params['fit2/optimizer']], [5, 'SGD']);
    // load-checkpoint.mjs: the model back from the checkpoint predicts about 0 for 0.5.
    const prediction = Number(/\[\[(-?[\d.e-]+)\]/.exec(outputs['load-checkpoint.mjs']!)?.[1]);
    assert.ok(Math.abs(prediction) < 0.2, outputs['load-checkpoint.mjs']);
  });
});
