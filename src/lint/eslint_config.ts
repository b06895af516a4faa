/**
 * The ESLint flat config `gymnos lint` applies, exported as `gymnos/eslint-config` so that editors show the
 * same diagnostics:
 *
 * ```js
 * // eslint.config.js
 * export { default } from 'gymnos/eslint-config';
 * ```
 *
 * or, with rules of the project's own after gymnos's:
 *
 * ```js
 * import gymnos from 'gymnos/eslint-config';
 * export default [...gymnos, { rules: { 'no-console': 'error' } }];
 * ```
 *
 * Order matters: `@eslint/js` recommended, typescript-eslint recommended, `eslint-config-prettier` (which turns
 * off every rule Prettier makes redundant, `max-len` and `@stylistic/max-len` included), then the gymnos block
 * last, which turns `@stylistic/max-len` back on at the project's Prettier print width (120 when it sets none):
 * lines are wrapped by Prettier where it can, and what it cannot wrap (long strings, comments) is still held to
 * the same limit. Core `max-len` is deprecated.
 */
import type JsConfigs from '@eslint/js';
import stylistic from '@stylistic/eslint-plugin';
import type { Linter } from 'eslint';
import type PrettierConfig from 'eslint-config-prettier/flat';
import type Globals from 'globals';
import type TsEslint from 'typescript-eslint';
import { MAX_LINE_LENGTH_COLUMNS, TAB_WIDTH_COLUMNS } from './limits.js';
import { isCommonJsScript } from './module_type.js';
import { effectivePrintWidth } from '../util/prettier_options.js';
import { requireCjs } from '../util/require_cjs.js';

// CommonJS packages, required (util/require_cjs.ts says why); @stylistic/eslint-plugin is an ES module.
const js = requireCjs('@eslint/js') as typeof JsConfigs;
const prettierConfig = requireCjs('eslint-config-prettier/flat') as typeof PrettierConfig;
const globals = requireCjs('globals') as typeof Globals;
const tseslint = requireCjs('typescript-eslint') as typeof TsEslint;

/**
 * The files Node runs as CommonJS, as a `files` matcher. ESLint's config arrays take a function there (it is
 * given the file's absolute path); its types only list glob strings, hence the cast. A glob cannot say it: a
 * `.js` file's module type is in the nearest package.json.
 */
const COMMONJS_FILES = [isCommonJsScript as unknown as string];

export { MAX_LINE_LENGTH_COLUMNS, TAB_WIDTH_COLUMNS } from './limits.js';

/** The files ESLint lints. */
export const LINTED_FILES = ['**/*.{ts,mts,cts,tsx,js,mjs,cjs,jsx}'];
const JS_FILES = ['**/*.{js,mjs,cjs,jsx}'];

export interface GymnosConfigOptions {
  /**
   * Add typescript-eslint's type-checked rules (`recommendedTypeChecked`), which need the TypeScript program:
   * slower, and the project's tsconfig must include the files linted.
   */
  typeAware?: boolean;
  /** Where the tsconfig files are looked up from, for type-aware rules. Default: the current directory. */
  tsconfigRootDir?: string;
  /** The project root, whose Prettier print width `@stylistic/max-len` follows. Default: the current directory. */
  root?: string;
}

/**
 * The gymnos block: the one place where gymnos's own choices live. It comes last among gymnos's blocks.
 * `printWidth` is the project's Prettier print width (prettier_options.ts).
 */
export function gymnosRules(printWidth: number = MAX_LINE_LENGTH_COLUMNS): Linter.Config {
  return {
    name: 'gymnos/rules',
    files: LINTED_FILES,
    plugins: { '@stylistic': stylistic },
    rules: {
      '@stylistic/max-len': [
        'error',
        {
          code: printWidth,
          tabWidth: TAB_WIDTH_COLUMNS,
          ignoreUrls: true,
          ignoreComments: false,
          ignoreTrailingComments: false,
          ignoreStrings: false,
          ignoreTemplateLiterals: false,
          ignoreRegExpLiterals: false,
        },
      ],
      // Parameters a subclass must accept but does not use (as in generated trackers) are written `_name`.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrors: 'all',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  };
}

/** The rules of the gymnos block that a project's own config must keep on (gymnos lint says when it does not). */
export const GYMNOS_RULE_IDS = ['@stylistic/max-len', '@typescript-eslint/no-unused-vars'] as const;

/**
 * What `--type-aware` adds: the TypeScript program for TypeScript files (tsconfig files looked up from
 * `tsconfigRootDir`), the type-checked rules off again for JavaScript. On top of a project's own config, the
 * type-checked rules themselves too (`withRules`).
 */
export function typeAwareBlocks(tsconfigRootDir: string, options: { withRules?: boolean } = {}): Linter.Config[] {
  const rules = options.withRules ? (tseslint.configs.recommendedTypeCheckedOnly as Linter.Config[]) : [];
  return [
    ...rules,
    {
      name: 'gymnos/type-aware',
      languageOptions: { parserOptions: { projectService: true, tsconfigRootDir } },
    },
    { ...(tseslint.configs.disableTypeChecked as Linter.Config), name: 'gymnos/js-not-type-aware', files: JS_FILES },
  ];
}

/** The gymnos ESLint config, as a flat config array. */
export function createGymnosConfig(options: GymnosConfigOptions = {}): Linter.Config[] {
  const typescript = (options.typeAware ? tseslint.configs.recommendedTypeChecked : tseslint.configs.recommended) as
    Linter.Config[] | undefined;
  const typeAware = options.typeAware ? typeAwareBlocks(options.tsconfigRootDir ?? process.cwd()) : [];
  return [
    { name: 'gymnos/ignores', ignores: ['**/dist/', '**/coverage/', '**/node_modules/'] },
    {
      name: 'gymnos/files',
      files: LINTED_FILES,
      languageOptions: { globals: { ...globals.nodeBuiltin } },
    },
    // JavaScript files Node runs as CommonJS (.cjs, and .js in a package without "type": "module"): require,
    // module and exports are theirs, and require() is how they load modules.
    {
      name: 'gymnos/commonjs',
      files: COMMONJS_FILES,
      languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    },
    { name: '@eslint/js/recommended', ...js.configs.recommended },
    ...(typescript ?? []),
    ...typeAware,
    prettierConfig,
    // CommonJS files load modules with require(); that is not the mistake the rule is about.
    {
      name: 'gymnos/commonjs-rules',
      files: COMMONJS_FILES,
      rules: { '@typescript-eslint/no-require-imports': 'off' },
    },
    gymnosRules(effectivePrintWidth(options.root ?? process.cwd())),
  ];
}

const config: Linter.Config[] = createGymnosConfig();
export default config;
