/**
 * `tsc -p <config>` through the TypeScript API in the test process, for tests that compile several plugin
 * projects: the parsed lib and node_modules declarations (about half of a compile: lib.*.d.ts, @types/node) are
 * kept between compiles, where each `npm run typecheck` would start a process and parse them again. The real
 * `npm run typecheck` and `npm run build` run from a packed install in test/e2e/journey.test.ts.
 */
import path from 'node:path';
import type TS from 'typescript';
import { requireCjs } from '../../src/util/require_cjs.js';
import { REPO } from './project.js';

// Required, not imported: an ES import of TypeScript's 9 MB makes Node scan it for exports (util/require_cjs.ts).
const ts = requireCjs('typescript') as typeof TS;

/** Files that are the same in every project: TypeScript's libs and the declarations under node_modules. */
const SHARED = [path.dirname(ts.getDefaultLibFilePath({})), path.join(REPO, 'node_modules')].map(
  (dir) => dir + path.sep,
);
const parsed = new Map<string, TS.SourceFile | undefined>();

const FORMAT: TS.FormatDiagnosticsHost = {
  getCanonicalFileName: (fileName) => fileName,
  getCurrentDirectory: () => process.cwd(),
  getNewLine: () => '\n',
};

/**
 * Compiles the project of `root/config` as `tsc -p config` does (type-checks, and emits unless noEmit), and
 * returns its diagnostics as tsc prints them: an empty string when the compile succeeds. With `only` (paths
 * relative to `root`), just those files are checked and emitted, against the types of everything they import: the
 * checker then reads the other files' declarations but not their bodies, which a build checks anyway.
 */
export function tsc(root: string, config: string, only?: readonly string[]): string {
  const problems: TS.Diagnostic[] = [];
  const command = ts.getParsedCommandLineOfConfigFile(path.join(root, config), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => problems.push(diagnostic),
  });
  if (!command) return ts.formatDiagnostics(problems, FORMAT);
  const host = ts.createCompilerHost(command.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersionOrOptions, onError, shouldCreate) => {
    if (!SHARED.some((dir) => fileName.startsWith(dir))) {
      return getSourceFile(fileName, languageVersionOrOptions, onError, shouldCreate);
    }
    const key = `${fileName}\0${JSON.stringify(languageVersionOrOptions)}`;
    if (!parsed.has(key)) parsed.set(key, getSourceFile(fileName, languageVersionOrOptions, onError, shouldCreate));
    return parsed.get(key);
  };
  const program = ts.createProgram({
    rootNames: command.fileNames,
    options: command.options,
    projectReferences: command.projectReferences,
    configFileParsingDiagnostics: ts.getConfigFileParsingDiagnostics(command),
    host,
  });
  // undefined: the whole program. For one file, getPreEmitDiagnostics adds the config's, options' and global ones.
  const sources = only?.map((file) => {
    const source = program.getSourceFile(path.join(root, file));
    if (!source) throw new Error(`tsc: ${file} is not in the program of ${config}`);
    return source;
  }) ?? [undefined];
  const diagnostics = sources.flatMap((source) => [
    ...ts.getPreEmitDiagnostics(program, source),
    ...program.emit(source).diagnostics,
  ]);
  return ts.formatDiagnostics(ts.sortAndDeduplicateDiagnostics(diagnostics), FORMAT);
}
