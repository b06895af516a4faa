/**
 * `gymnos test [paths...]`: the project's tests (test/**\/*.test.ts by default) on Node's built-in runner
 * through tsx, the `test` script `gymnos init` writes. Options it does not know go on to node, if node knows
 * them; `--tracker <name>` runs one tracker's test and the conformance kit against it.
 */
import path from 'node:path';
import { GymnosError } from '../errors.js';
import { requireProjectRoot } from '../util/package_root.js';
import {
  collectTestFiles,
  DEFAULT_TEST_DIRECTORY,
  needsTypeScriptLoader,
  nodeOptionsProblem,
  runTestFiles,
  trackerTestRun,
} from '../test_runner/project_tests.js';
import { resolveTsxLoader } from '../util/tsx_loader.js';
import { EXIT } from './exit_codes.js';
import { printLine } from './output.js';
import { gymnosCommand, packageManagerOf } from '../util/package_manager.js';

export async function runTest(args: string[], options: { cwd?: string; tracker?: string }): Promise<number> {
  const nodeOptions = args.filter((arg) => arg.startsWith('-'));
  const paths = args.filter((arg) => !arg.startsWith('-'));
  const problem = nodeOptionsProblem(nodeOptions);
  if (problem) throw new GymnosError('BAD_OPTION', problem, { details: { options: nodeOptions } });
  if (options.tracker !== undefined && paths.length > 0) {
    throw new GymnosError('BAD_OPTION', `give --tracker or test paths, not both (got ${paths.join(' ')})`);
  }
  const root = requireProjectRoot(options.cwd);
  const base = options.cwd ? path.resolve(options.cwd) : process.cwd();
  let files: string[];
  let env: Record<string, string> = {};
  if (options.tracker !== undefined) ({ files, env } = trackerTestRun(root, options.tracker));
  else files = collectTestFiles(root, paths, base);
  if (files.length === 0) {
    // A project just initialized has no tests yet: that is not a failure.
    printLine(
      `No test files (*.test.ts) under ${DEFAULT_TEST_DIRECTORY}/ yet: nothing to run. ` +
        `\`${gymnosCommand(root, 'create-new tracker --name my_tracker')}\` generates a tracker and its test.`,
    );
    return EXIT.ok;
  }
  // A tracker's module is the project's TypeScript as often as not: --tracker always runs under tsx.
  const needsLoader = options.tracker !== undefined || needsTypeScriptLoader(files);
  const loader = needsLoader ? resolveTsxLoader(root) : undefined;
  if (needsLoader && !loader) {
    const pm = packageManagerOf(root);
    throw new GymnosError(
      'TSX_MISSING',
      `tsx is not installed in this project, and Node cannot run TypeScript tests without it: run \`${pm.install}\` ` +
        `(gymnos init adds tsx to devDependencies) or \`${pm.add('tsx', { dev: true })}\``,
    );
  }
  return runTestFiles({ root, files, loader, nodeOptions, env });
}
