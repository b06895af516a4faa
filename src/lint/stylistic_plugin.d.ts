// @stylistic/eslint-plugin 6.0.0 points `types` at dist/dts/index.d.ts but ships index.d.mts.
declare module '@stylistic/eslint-plugin' {
  import type { ESLint } from 'eslint';

  const plugin: ESLint.Plugin;
  export default plugin;
}
