/**
 * The conformance kit (`gymnos/testing`): drives a tracker through the whole Tracker contract with `node:test`
 * and checks what reached its backend, so a plugin's test is one call:
 *
 *   describeTrackerConformance('my_tracker', () => load('my_tracker'), {
 *     readBack: ({ logdir, runId }) => readWhatMyBackendHas(logdir, runId),
 *   });
 *
 * Every check can fail for some tracker (test/testing/kit.test.ts shows each failing on a tracker with the bug it
 * is for). What was logged must be read back from the backend (through `readBack`, the plugin's own reader of
 * the files or requests it produced) in full: every metric's exact value, every batch, every param's value,
 * every file's content. Log hooks must return at once (no promise, no blocking); `start`, `flush` and `end` must
 * settle; the hooks callers get must be the base class's guards. Without a `readBack` the read-back checks are
 * `todo` tests: green, but listed as to do in every run. docs/api.md says what the kit proves and what it does
 * not.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { explainConstructionError } from '../trackers/tracker.js';
import type { Tracker } from '../trackers/tracker.js';
import {
  checkArguments,
  checkEndSendsEverything,
  checkFactory,
  checkLifecycle,
  checkLogCallsReturnAtOnce,
  checkMetricsReadBack,
  checkOthersReadBack,
  checkGuardsServeTheHooks,
  settlesWithin,
} from './checks.js';
import type { Kit } from './checks.js';
import { ASSET_CONTENT, TINY_PNG } from './logged.js';
import type { Files } from './logged.js';
import type { ConformanceOptions } from './types.js';

export { PLOTLY_FIGURE, TINY_PNG, TINY_SVG, VEGA_LITE_SPEC } from './logged.js';
export type { BackendFile, BackendRecord, ConformanceContext, ConformanceOptions } from './types.js';

const READ_BACK_TODO =
  'give describeTrackerConformance a readBack option that reads what reached the backend (see docs/api.md)';

/** A fresh temporary directory per test, with an asset and an image file to log. */
function useFiles(name: string): () => { dir: string; files: Files } {
  let dir: string;
  let files: Files;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), `gymnos-conformance-${name}-`));
    files = { asset: path.join(dir, 'config.json'), image: path.join(dir, 'sample.png') };
    await writeFile(files.asset, ASSET_CONTENT);
    await writeFile(files.image, TINY_PNG);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  return () => ({ dir, files });
}

/**
 * Declares a `node:test` suite named after the tracker. `factory` must return a new, unstarted tracker each
 * time it is called.
 */
export function describeTrackerConformance<T extends Tracker>(
  name: string,
  factory: () => T | Promise<T>,
  options: ConformanceOptions<T> = {},
): void {
  const timeout = options.timeout ?? 10_000;
  // Each call a check awaits has `timeout` to settle, and a hang fails naming it; node:test's own timeout, later,
  // only backs that up (it names no hook).
  const backstop = timeout * 2 + 1_000;
  const maxLogCallMs = options.maxLogCallMs ?? 50;
  const { readBack } = options;
  const readingBack = { timeout: backstop, ...(readBack ? {} : { todo: READ_BACK_TODO }) };

  describe(`${name} conforms to the gymnos Tracker contract`, () => {
    const temp = useFiles(name);
    const kit: Kit<T> = {
      options,
      finiteOnly: options.finiteOnly ?? false,
      maxLogCallMs,
      build: async () => {
        try {
          return await settlesWithin(name, 'the factory', factory(), timeout);
        } catch (error) {
          throw explainConstructionError(error, name);
        }
      },
      run: (tracker, runId = 'conformance-run') => ({ tracker, logdir: path.join(temp().dir, 'logs'), runId }),
      files: () => temp().files,
      within: (hook, settled) => settlesWithin(name, hook, settled, timeout),
    };
    it('the factory builds a new, idle Tracker subclass each time', () => checkFactory(kit));
    it('start, flush and end settle within the timeout, and end leaves the tracker ended', { timeout: backstop }, () =>
      checkLifecycle(kit),
    );
    it(
      `log hooks return at once: none returns a promise or blocks the event loop over ${maxLogCallMs} ms`,
      { timeout: backstop },
      () => checkLogCallsReturnAtOnce(kit),
    );
    it(
      'every metric logged reaches the backend with its name, step and exact value, in every batch (read back)',
      readingBack,
      () => (readBack ? checkMetricsReadBack(kit, readBack) : undefined),
    );
    it('params, tags and files reach the backend with their values and content (read back)', readingBack, () =>
      readBack ? checkOthersReadBack(kit, readBack) : undefined,
    );
    it("callers get the base class's guards, which drop calls outside the run: no wrapper bypasses them", () =>
      checkGuardsServeTheHooks(kit));
    it(
      'end() resolves once everything is sent: later, and after a second end(), the backend holds the same',
      { timeout: backstop },
      () => checkEndSendsEverything(kit),
    );
    it("the base class's argument checks hold: no hook bypasses them", { timeout: backstop }, () =>
      checkArguments(kit),
    );
  });
}
