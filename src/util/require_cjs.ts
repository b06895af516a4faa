/**
 * The CommonJS packages gymnos loads (ESLint, typescript-eslint, TypeScript and the configs' packages), loaded with
 * require() instead of import(). An ES import of a CommonJS file makes Node read its whole source again for its
 * named exports (cjs-module-lexer), and for a `.js` of a package without "type" for module syntax first: on
 * TypeScript's 9 MB and ESLint's entry that was about 0.5 s of every cold `gymnos lint`, which require() skips.
 * The lookup is the one a bare import does from gymnos's own files: node_modules at or above them.
 */
import { createRequire } from 'node:module';

export const requireCjs: NodeJS.Require = createRequire(import.meta.url);
