/**
 * typescript-eslint parses TypeScript with the TypeScript compiler API, which TypeScript 7 (the native port) no
 * longer has. A project on 7.x gets one clear line instead of a stack trace from deep inside the parser.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

interface TypeScriptInstall {
  version: string;
  /** The package.json found. */
  manifest: string;
}

/** The TypeScript the project resolves (from its root, as its own tools would), if any. */
export function projectTypeScript(root: string): TypeScriptInstall | undefined {
  try {
    const manifest = createRequire(path.join(root, 'package.json')).resolve('typescript/package.json');
    const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
    return { version, manifest };
  } catch {
    return undefined;
  }
}

/** Why this TypeScript cannot be used for linting, or undefined when it can. */
export function typeScriptProblem(install: TypeScriptInstall | undefined, root: string): string | undefined {
  if (!install) return undefined; // typescript-eslint then uses the TypeScript gymnos depends on
  const major = Number(/^(\d+)\./.exec(install.version)?.[1]);
  if (major >= 7) {
    return (
      `the project uses TypeScript ${install.version} (${path.relative(root, install.manifest)}), which has no ` +
      'compiler API; typescript-eslint, and so gymnos lint, needs TypeScript 5.x or 6.0: install typescript@~6.0'
    );
  }
  return undefined;
}
