/**
 * `gymnos test [paths...]`: the project's tests (test/**\/*.test.ts by default) on Node's built-in runner
 * through tsx, the `test` script `gymnos init` writes. Options it does not know go on to node.
 */
import path from 'node:path';
import { GymnosError } from '../registry/errors.js';
import {
  collectTestFiles,
  DEFAULT_TEST_DIRECTORY,
  needsTypeScriptLoader,
  resolveTsxLoader,
  runTestFiles,
} from '../test_runner/project_tests.js';
import { CliError, EXIT } from './exit_codes.js';
import { findProjectRoot, printLine } from './output.js';

export async function runTest(args: string[], options: { cwd?: string }): Promise<number> {
  const root = findProjectRoot(options.cwd);
  const base = options.cwd ? path.resolve(options.cwd) : process.cwd();
  const nodeOptions = args.filter((arg) => arg.startsWith('-'));
  const paths = args.filter((arg) => !arg.startsWith('-'));
  let files: string[];
  try {
    files = collectTestFiles(root, paths, base);
  } catch (error) {
    if (error instanceof GymnosError) throw new CliError(EXIT.usage, error.code, error.message);
    throw error;
  }
  if (files.length === 0) {
    // A project just initialized has no tests yet: that is not a failure.
    printLine(
      `No test files (*.test.ts) under ${DEFAULT_TEST_DIRECTORY}/ yet: nothing to run. ` +
        '`npx gymnos create-new tracker --name my_tracker` generates a tracker and its test.',
    );
    return EXIT.ok;
  }
  const needsLoader = needsTypeScriptLoader(files);
  const loader = needsLoader ? resolveTsxLoader(root) : undefined;
  if (needsLoader && !loader) {
    throw new CliError(
      EXIT.usage,
      'TSX_MISSING',
      'tsx is not installed in this project, and Node cannot run TypeScript tests without it: run `npm install` ' +
        '(gymnos init adds tsx to devDependencies) or `npm install --save-dev tsx`',
    );
  }
  return runTestFiles({ root, files, loader, nodeOptions });
}
