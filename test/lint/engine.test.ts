import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { PathLike, Stats, StatSyncOptions } from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { lintProject } from '../../src/lint/engine.js';
import { listProjectFiles } from '../../src/lint/files.js';
import { cacheDirectory, computeFingerprint, FingerprintStore, rootTag } from '../../src/lint/fingerprint.js';
import type { FingerprintInput } from '../../src/lint/fingerprint.js';
import { GymnosError } from '../../src/errors.js';
import type { LintReport } from '../../src/lint/types.js';
import { lineOf, makeProject, removeLintProjects } from './helpers.js';

const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');

after(removeLintProjects);

/** Runs `body` with node:fs's `name` replaced, as fingerprint.ts sees it (syncBuiltinESMExports). */
async function withFs<K extends 'readFileSync' | 'statSync' | 'mkdirSync'>(
  name: K,
  replace: (original: (typeof fs)[K]) => (typeof fs)[K],
  body: () => Promise<void>,
): Promise<void> {
  const original = fs[name];
  fs[name] = replace(original);
  syncBuiltinESMExports();
  try {
    await body();
  } finally {
    fs[name] = original;
    syncBuiltinESMExports();
  }
}

const CLEAN_TS = 'export function greet(name: string): string {\n  return `hello ${name}`;\n}\n';

function problems(report: LintReport): string[] {
  return report.files.flatMap((file) =>
    file.diagnostics.map((diagnostic) => `${file.path}:${diagnostic.line} ${diagnostic.ruleId}`),
  );
}

describe('the files linted', () => {
  test('inside git: tracked and untracked files .gitignore keeps; never dist, coverage, node_modules', async () => {
    const root = makeProject(
      {
        '.gitignore': 'generated/\n*.log\n',
        'src/a.ts': CLEAN_TS,
        'src/nested/b.mts': CLEAN_TS,
        'generated/skip.ts': CLEAN_TS,
        'dist/built.js': 'x',
        'packages/p/dist/built.js': 'x',
        'coverage/report.js': 'x',
        'README.md': '# hi\n',
        'notes.txt': 'not linted',
        'package-lock.json': '{}\n',
      },
      { git: true },
    );
    const files = await listProjectFiles(root);
    assert.equal(files.via, 'git');
    assert.deepEqual(files.lint, ['README.md', 'package.json', 'src/a.ts', 'src/nested/b.mts']);
    assert.ok(files.all.includes('.gitignore'));
    assert.ok(!files.all.some((file) => file.startsWith('generated/') || file.includes('dist/')));
  });

  test("a tracker's run directories are output, not linted", async () => {
    const root = makeProject({
      'src/a.ts': CLEAN_TS,
      'logs/run-1/events.jsonl': '',
      'logs/run-1/summary.json': '{"a":[1,2]}',
      'logs/run-1/figures/spec.vl.json': '{"b":1}',
      'logs/sweep/csv-run/metrics.csv': '',
      'logs/sweep/csv-run/params.json': '{"c":[3,4]}',
      'logs/notes.md': '# kept\n',
    });
    assert.deepEqual((await listProjectFiles(root)).lint, ['logs/notes.md', 'package.json', 'src/a.ts']);
  });

  test('outside git: a glob of the tree, with the same exclusions', async () => {
    const root = makeProject({ 'src/a.ts': CLEAN_TS, 'dist/built.js': 'x', 'lib/c.cjs': 'module.exports = 1;\n' });
    const files = await listProjectFiles(root);
    assert.equal(files.via, 'glob');
    assert.deepEqual(files.lint, ['lib/c.cjs', 'package.json', 'src/a.ts']);
  });

  test("outside git, the tree's .gitignore files leave out what git would: the same files as git lists", async () => {
    const tree = {
      '.gitignore': 'output/\n*.log\n!keep.log\n/only-root.ts\nbuild\ndocs/**/draft.md\n!output/back.ts\n',
      'output/run1/params.json': '{}\n',
      'output/back.ts': CLEAN_TS,
      'src/a.ts': CLEAN_TS,
      'src/debug.log': 'x',
      'keep.log': 'x',
      'only-root.ts': CLEAN_TS,
      'src/only-root.ts': CLEAN_TS,
      'build/x.ts': CLEAN_TS,
      'src/build': 'a file named build',
      'docs/a/b/draft.md': '# draft\n',
      'docs/a/final.md': '# final\n',
      'pkg/.gitignore': 'tmp/\n*.ts\n!important.ts\n',
      'pkg/tmp/t.json': '{}\n',
      'pkg/skip.ts': CLEAN_TS,
      'pkg/important.ts': CLEAN_TS,
      'pkg/readme.md': '# pkg\n',
    };
    const outside = await listProjectFiles(makeProject(tree));
    const inside = await listProjectFiles(makeProject(tree, { git: true }));
    assert.deepEqual([outside.via, inside.via], ['glob', 'git']);
    assert.deepEqual(outside.all, inside.all);
    assert.deepEqual(outside.lint, [
      'docs/a/final.md',
      'package.json',
      'pkg/important.ts',
      'pkg/readme.md',
      'src/a.ts',
      'src/only-root.ts',
    ]);
  });

  test('paths narrow the set; a path that matches nothing is a usage error', async () => {
    const root = makeProject(
      {
        '.gitignore': 'ignored.ts\n',
        'src/a.ts': CLEAN_TS,
        'src/b.ts': CLEAN_TS,
        'test/c.ts': CLEAN_TS,
        'ignored.ts': '',
      },
      { git: true },
    );
    assert.deepEqual((await listProjectFiles(root, ['src'])).lint, ['src/a.ts', 'src/b.ts']);
    assert.deepEqual((await listProjectFiles(root, ['test/c.ts', 'src/b.ts'])).lint, ['src/b.ts', 'test/c.ts']);
    assert.deepEqual((await listProjectFiles(root, ['src/*.ts'])).lint, ['src/a.ts', 'src/b.ts']);
    assert.deepEqual((await listProjectFiles(root, ['a.ts'], path.join(root, 'src'))).lint, ['src/a.ts']);
    const refused = async (paths: string[], code: string) => {
      await assert.rejects(listProjectFiles(root, paths), (error: unknown) => {
        assert.ok(error instanceof GymnosError);
        assert.equal(error.kind, 'usage');
        assert.equal(error.code, code);
        return true;
      });
    };
    await refused(['src/missing.ts'], 'PATH_MISSING');
    await refused(['ignored.ts'], 'PATH_MATCHES_NOTHING');
    await refused(['.gitignore'], 'PATH_MATCHES_NOTHING');
    await refused(['lib/*.ts'], 'PATH_MATCHES_NOTHING');
    await refused([path.dirname(root)], 'PATH_OUTSIDE_PROJECT');
  });
});

describe('the project fingerprint', () => {
  async function input(root: string, typeAware = false): Promise<FingerprintInput> {
    const files = await listProjectFiles(root);
    return {
      root,
      gymnosVersion: '1.0.0',
      allFiles: files.all,
      lintFiles: files.lint,
      typeAware,
      typeScriptVersion: undefined,
    };
  }

  test('changes with a file, the Prettier config, the lockfile, the file list, the options; only then', async () => {
    const root = makeProject({
      'src/a.ts': CLEAN_TS,
      '.prettierrc.json': '{ "singleQuote": true }\n',
      'package-lock.json': '{ "lockfileVersion": 3 }\n',
    });
    const first = computeFingerprint(await input(root));
    assert.equal(computeFingerprint(await input(root)), first, 'stable when nothing changed');

    const seen = new Set([first]);
    const changed = async (what: string, change: () => void) => {
      change();
      const now = computeFingerprint(await input(root));
      assert.ok(!seen.has(now), `the fingerprint changes when ${what}`);
      seen.add(now);
    };
    await changed('a file changes', () => writeFileSync(path.join(root, 'src/a.ts'), `${CLEAN_TS}// more\n`));
    await changed('the config changes', () =>
      writeFileSync(path.join(root, '.prettierrc.json'), '{ "semi": false }\n'),
    );
    await changed('the lockfile changes', () =>
      writeFileSync(path.join(root, 'package-lock.json'), '{ "lockfileVersion": 2 }\n'),
    );
    await changed('a file is added', () => writeFileSync(path.join(root, 'src/new.ts'), CLEAN_TS));
    assert.ok(!seen.has(computeFingerprint(await input(root, true))), 'type-aware is another question');
    assert.ok(!seen.has(computeFingerprint({ ...(await input(root)), gymnosVersion: '1.0.1' })), 'another gymnos');
  });

  test('changes when any linter gymnos runs is updated or missing: no report of the old one is replayed', async () => {
    const root = makeProject({ 'src/a.ts': CLEAN_TS });
    const fingerprint = async () => computeFingerprint(await input(root));
    const seen = new Set([await fingerprint()]);
    const linters = ['eslint', 'prettier', 'typescript-eslint', '@eslint/js', '@stylistic/eslint-plugin', 'globals'];
    for (const name of [...linters, 'eslint-config-prettier', 'typescript']) {
      const manifest = `${path.sep}node_modules${path.sep}${name.split('/').join(path.sep)}${path.sep}package.json`;
      for (const version of ['999.0.0', undefined]) {
        // gymnos reads the version it resolves from the package's manifest: as `npm update` (or a removal) leaves it.
        const reading = (readFileSync: typeof fs.readFileSync) =>
          ((file: unknown, ...rest: unknown[]) => {
            if (typeof file !== 'string' || !file.endsWith(manifest)) {
              return (readFileSync as (...args: unknown[]) => unknown)(file, ...rest);
            }
            if (version === undefined) throw Object.assign(new Error(`ENOENT: ${file}`), { code: 'ENOENT' });
            return JSON.stringify({ name, version });
          }) as typeof fs.readFileSync;
        await withFs('readFileSync', reading, async () => {
          const now = await fingerprint();
          assert.ok(!seen.has(now), `the fingerprint changes when ${name} is ${version ?? 'missing'}`);
          seen.add(now);
        });
      }
    }
  });

  test('linting one file, it changes with the registry and every source the contract rules may follow', async () => {
    const sources = ['src/trackers/a.ts', 'src/trackers/b.mts', 'src/trackers/c.cts', 'src/trackers/d.js'];
    const root = makeProject({
      'src/a.ts': CLEAN_TS,
      'var/trackers.json': '{}\n',
      'data/values.json': '[1]\n',
      'notes.md': '# notes\n',
      ...Object.fromEntries(sources.map((file) => [file, CLEAN_TS])),
    });
    const narrowed = async () => computeFingerprint({ ...(await input(root)), lintFiles: ['src/a.ts'] });
    const seen = new Set([await narrowed()]);
    // A registry entry's module, and what it imports, may be any of these: a change must not replay the old report.
    for (const file of ['var/trackers.json', ...sources]) {
      writeFileSync(path.join(root, file), `${readFileSync(path.join(root, file), 'utf8')}// changed\n`);
      const now = await narrowed();
      assert.ok(!seen.has(now), `the fingerprint changes with ${file}`);
      seen.add(now);
    }
    // Files no rule reads: the last report stays good.
    const last = await narrowed();
    writeFileSync(path.join(root, 'data/values.json'), '[2]\n');
    writeFileSync(path.join(root, 'notes.md'), '# other notes\n');
    assert.equal(await narrowed(), last);
  });

  test('a tracker may be anywhere the registry says; with no registry nor src/trackers no source is read', async () => {
    const root = makeProject({ 'src/a.ts': CLEAN_TS, 'src/lib/model.ts': CLEAN_TS });
    const narrowed = async () => computeFingerprint({ ...(await input(root)), lintFiles: ['src/a.ts'] });
    const edit = (file: string) =>
      writeFileSync(path.join(root, file), `${readFileSync(path.join(root, file), 'utf8')}// changed\n`);
    // No registry, no src/trackers/: the contract rules have nothing to follow, an edit elsewhere keeps the report.
    const before = await narrowed();
    edit('src/lib/model.ts');
    assert.equal(await narrowed(), before);
    // A tracker in src/trackers/, registered or not yet: every source counts.
    mkdirSync(path.join(root, 'src/trackers'));
    writeFileSync(path.join(root, 'src/trackers/mine.ts'), CLEAN_TS);
    const unregistered = await narrowed();
    edit('src/lib/model.ts');
    assert.notEqual(await narrowed(), unregistered);
    rmSync(path.join(root, 'src/trackers'), { recursive: true });
    // A registry naming src/lib/model.ts: its module, wherever it is, is read by the rules.
    mkdirSync(path.join(root, 'var'));
    writeFileSync(path.join(root, 'var/trackers.json'), '{ "model": "./src/lib/model.js#ModelTracker" }\n');
    const registered = await narrowed();
    edit('src/lib/model.ts');
    assert.notEqual(await narrowed(), registered);
  });

  test('text moved from the end of one file to the start of the next changes it (each input is framed)', async () => {
    const root = makeProject({ 'src/a.ts': `${CLEAN_TS}// ab`, 'src/b.ts': `c\n${CLEAN_TS}` });
    const first = computeFingerprint(await input(root));
    writeFileSync(path.join(root, 'src/a.ts'), `${CLEAN_TS}// a`);
    writeFileSync(path.join(root, 'src/b.ts'), `bc\n${CLEAN_TS}`);
    assert.notEqual(computeFingerprint(await input(root)), first);
  });

  test('changes with the options: type-aware or not, and the TypeScript version the project resolves', async () => {
    // Every file linted, so that type-aware keys no other file: only the options tell the two questions apart.
    const root = makeProject({ 'src/a.ts': CLEAN_TS });
    const base = await input(root);
    assert.deepEqual(base.lintFiles, ['package.json', 'src/a.ts']);
    const fingerprints = [false, true].flatMap((typeAware) =>
      [undefined, '5.9.3', '6.0.3'].map((typeScriptVersion) =>
        computeFingerprint({ ...base, typeAware, typeScriptVersion }),
      ),
    );
    assert.equal(new Set(fingerprints).size, 6, 'each question has a fingerprint of its own');
  });

  test('type-aware, it changes with each file the type checker may read, linted or not, and no other', async () => {
    // What the program of src/main.ts may read: sources of every kind, declarations, the JSON they import.
    const read = ['src/lib.ts', 'src/other.mts', 'src/legacy.cts', 'src/helper.js', 'src/view.tsx', 'src/types.d.ts'];
    const root = makeProject({
      'src/main.ts': CLEAN_TS,
      'src/data.json': '{ "value": 1 }\n',
      ...Object.fromEntries(read.map((file) => [file, CLEAN_TS])),
      'data/metrics.tsv': 'step\tloss\n0\t1\n',
      'notes.txt': 'notes\n',
    });
    const narrowed = async (typeAware: boolean) =>
      computeFingerprint({ ...(await input(root, typeAware)), lintFiles: ['src/main.ts'] });
    const seen = new Set([await narrowed(true)]);
    for (const file of [...read, 'src/data.json']) {
      const before = await narrowed(false);
      writeFileSync(path.join(root, file), `${readFileSync(path.join(root, file), 'utf8')} `);
      const now = await narrowed(true);
      assert.ok(!seen.has(now), `the type-aware fingerprint changes with ${file}`);
      seen.add(now);
      // Without types, a file not linted (nor read by the contract rules: no registry) is not read.
      assert.equal(await narrowed(false), before, `the fingerprint without types ignores ${file}`);
    }
    // Data no import reads (a .tsv, whose name holds ".ts"; text): the last report still holds.
    const last = await narrowed(true);
    writeFileSync(path.join(root, 'data/metrics.tsv'), 'step\tloss\n0\t2\n');
    writeFileSync(path.join(root, 'notes.txt'), 'other notes\n');
    assert.equal(await narrowed(true), last);
  });

  test('a module a config imports, renamed where the import no longer finds it, changes it', async () => {
    // A monorepo's shared rules above the project: require() finds rules.js, not rules.cjs, so after the rename
    // ESLint cannot load the config. The same content, at another name: the name is part of the key.
    const root = makeProject(
      { 'src/a.ts': CLEAN_TS, 'eslint.config.cjs': "module.exports = require('../shared/rules');\n" },
      { nested: true },
    );
    mkdirSync(path.join(root, '../shared'));
    writeFileSync(path.join(root, '../shared/rules.js'), 'module.exports = [];\n');
    const before = computeFingerprint(await input(root));
    renameSync(path.join(root, '../shared/rules.js'), path.join(root, '../shared/rules.cjs'));
    assert.notEqual(computeFingerprint(await input(root)), before);
  });

  test("a linter missing, or whose exports hide its manifest, is keyed as such; a disk's fault is said", async () => {
    const root = makeProject({ 'src/a.ts': CLEAN_TS });
    const fingerprint = async () => computeFingerprint(await input(root));
    const installed = await fingerprint();
    const moduleApi = createRequire(import.meta.url)('node:module') as {
      _resolveFilename: (...args: unknown[]) => string;
    };
    const resolve = moduleApi._resolveFilename;
    for (const code of ['MODULE_NOT_FOUND', 'ERR_PACKAGE_PATH_NOT_EXPORTED']) {
      // How require.resolve('prettier/package.json') fails without prettier, or with a package that hides it.
      moduleApi._resolveFilename = (request: unknown, ...rest: unknown[]) => {
        if (request === 'prettier/package.json') throw Object.assign(new Error(`${code}: ${request}`), { code });
        return resolve.call(moduleApi, request, ...rest);
      };
      try {
        assert.notEqual(await fingerprint(), installed, code);
      } finally {
        moduleApi._resolveFilename = resolve;
      }
    }
    const manifest = `${path.sep}node_modules${path.sep}prettier${path.sep}package.json`;
    const reading = (text: string | Error) => (readFileSync: typeof fs.readFileSync) =>
      ((file: unknown, ...rest: unknown[]) => {
        if (typeof file !== 'string' || !file.endsWith(manifest)) {
          return (readFileSync as (...args: unknown[]) => unknown)(file, ...rest);
        }
        if (text instanceof Error) throw text;
        return text;
      }) as typeof fs.readFileSync;
    await withFs('readFileSync', reading('{ "version": '), async () => {
      assert.notEqual(await fingerprint(), installed, 'a manifest that is not JSON');
    });
    await withFs('readFileSync', reading(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' })), async () => {
      await assert.rejects(fingerprint, /EIO/);
    });
  });

  test("a file that cannot be read is keyed by the file system's reason; an error without one is said", async () => {
    const root = makeProject({ 'src/a.ts': CLEAN_TS });
    const failing = (error: Error) => (readFileSync: typeof fs.readFileSync) =>
      ((file: unknown, ...rest: unknown[]) => {
        if (file === path.join(root, 'src/a.ts')) throw error;
        return (readFileSync as (...args: unknown[]) => unknown)(file, ...rest);
      }) as typeof fs.readFileSync;
    const seen = new Set([computeFingerprint(await input(root))]);
    for (const code of ['EACCES', 'EIO']) {
      await withFs('readFileSync', failing(Object.assign(new Error(code), { code })), async () => {
        const now = computeFingerprint(await input(root));
        assert.ok(!seen.has(now), code);
        seen.add(now);
      });
    }
    await withFs('readFileSync', failing(new TypeError('a bug')), async () => {
      await assert.rejects(async () => computeFingerprint(await input(root)), /a bug/);
    });
  });

  test('changes when gymnos is rebuilt: a code file of the lint engine with another size or time', async () => {
    const root = makeProject({ 'src/a.ts': CLEAN_TS });
    const fingerprint = async () => computeFingerprint(await input(root));
    const seen = new Set([await fingerprint()]);
    // A rebuild during development keeps the version: the engine's own files (here, the sources) tell it apart.
    const engine = path.join(import.meta.dirname, '..', '..', 'src', 'lint', 'engine.ts');
    for (const [what, change] of [
      ['its time', (stat: Stats) => Object.assign(stat, { mtimeMs: stat.mtimeMs + 1000 })],
      ['its size', (stat: Stats) => Object.assign(stat, { size: stat.size + 1 })],
    ] as const) {
      const statting = (statSync: typeof fs.statSync) =>
        ((file: PathLike, options?: StatSyncOptions) => {
          const stat = statSync(file, options);
          return path.resolve(String(file)) === engine && stat ? change(stat as Stats) : stat;
        }) as typeof fs.statSync;
      await withFs('statSync', statting, async () => {
        const now = await fingerprint();
        assert.ok(!seen.has(now), `the fingerprint changes with ${what}`);
        seen.add(now);
      });
    }
  });
});

describe('the stored reports', () => {
  const report = (root: string) => ({ root }) as unknown as LintReport;

  test('one per key (paths and options), the latest eight, each replayed only for its own fingerprint', () => {
    const root = makeProject({});
    const store = new FingerprintStore(cacheDirectory(root)!, root);
    store.save('all', 'fp-1', report('all files'));
    store.save('src', 'fp-2', report('src only'));
    assert.equal(store.lookup('all', 'fp-1')?.root, 'all files');
    assert.equal(store.lookup('src', 'fp-2')?.root, 'src only');
    assert.equal(store.lookup('all', 'fp-2'), undefined, "another key's fingerprint");
    store.save('all', 'fp-3', report('all files, again'));
    assert.equal(store.lookup('all', 'fp-1'), undefined, 'replaced');
    assert.equal(store.lookup('all', 'fp-3')?.root, 'all files, again');
    const stored = () => JSON.parse(readFileSync(store.file, 'utf8')) as { entries: { key: string }[] };
    assert.deepEqual(
      stored().entries.map((entry) => entry.key),
      ['all', 'src'],
    );
    for (let index = 0; index < 9; index++) store.save(`key ${index}`, 'fp', report(`${index}`));
    assert.deepEqual(
      stored().entries.map((entry) => entry.key),
      [8, 7, 6, 5, 4, 3, 2, 1, 0].map((index) => `key ${index}`).slice(0, 8),
    );
    // A file of another format (or another shape) is not read as this one.
    const { format, entries } = JSON.parse(readFileSync(store.file, 'utf8')) as { format: string; entries: unknown };
    writeFileSync(store.file, JSON.stringify({ format: 'gymnos-lint-fingerprint/2', entries }));
    assert.equal(store.lookup('key 8', 'fp'), undefined);
    writeFileSync(store.file, JSON.stringify({ format, entries: {} }));
    store.save('fresh', 'fp', report('fresh'));
    assert.deepEqual(
      stored().entries.map((entry) => entry.key),
      ['fresh'],
    );
  });

  test('a stored file of another shape is none; a disk fault reading or writing it is said, not hidden', async () => {
    const root = makeProject({});
    const store = new FingerprintStore(cacheDirectory(root)!, root);
    store.save('all', 'fp', report('all files'));
    const { format } = JSON.parse(readFileSync(store.file, 'utf8')) as { format: string };
    // Anyone may edit node_modules: what is not save()'s shape is read as no report, and save() starts afresh.
    const entry = { key: 'all', fingerprint: 'fp', report: { root: 'r' } };
    for (const text of [
      'null',
      '[]',
      '"text"',
      JSON.stringify({ format, entries: [null] }),
      JSON.stringify({ format, entries: [entry, null] }),
      JSON.stringify({ format, entries: [{ ...entry, key: 1 }] }),
      JSON.stringify({ format, entries: [{ ...entry, fingerprint: null }] }),
      JSON.stringify({ format, entries: [{ ...entry, report: null }] }),
      JSON.stringify({ format, entries: [{ ...entry, report: 'r' }] }),
      '{ "format": ',
    ]) {
      writeFileSync(store.file, text);
      assert.equal(store.lookup('all', 'fp'), undefined, text);
      store.save('other', 'fp', report('other'));
      assert.equal(store.lookup('other', 'fp')?.root, 'other', text);
    }
    writeFileSync(store.file, JSON.stringify({ format, entries: [entry] }));
    assert.equal(store.lookup('all', 'fp')?.root, 'r', 'the shape checked is the shape save() writes');
    /** node:fs's function failing with `code` for the cache's directory and what is in it. */
    const failing =
      (code: string) =>
      <F>(original: F): F =>
        ((file: unknown, ...rest: unknown[]) => {
          if (typeof file === 'string' && file.startsWith(path.dirname(store.file))) {
            throw Object.assign(new Error(`${code}: ${file}`), { code });
          }
          return (original as (...args: unknown[]) => unknown)(file, ...rest);
        }) as F;
    // Unreadable (no permission): no report, the lint runs. A disk's EIO: said, not taken for "no report".
    await withFs('readFileSync', failing('EACCES'), async () => {
      assert.equal(store.lookup('all', 'fp'), undefined);
    });
    await withFs('readFileSync', failing('EIO'), async () => {
      assert.throws(() => store.lookup('all', 'fp'), /EIO/);
    });
    // A read-only node_modules or a full disk costs only the replay; EIO is said.
    for (const code of ['EROFS', 'EACCES', 'ENOSPC']) {
      await withFs('mkdirSync', failing(code), async () => store.save('new', 'fp', report('new')));
    }
    assert.equal(store.lookup('new', 'fp'), undefined);
    await withFs('mkdirSync', failing('EIO'), async () => {
      assert.throws(() => store.save('new', 'fp', report('new')), /EIO/);
    });
  });

  test('live in node_modules/.cache/gymnos under a tag of the root; nowhere without a node_modules directory', () => {
    const root = makeProject({});
    assert.equal(cacheDirectory(root), path.join(root, 'node_modules', '.cache', 'gymnos'));
    assert.equal(cacheDirectory(makeProject({}, { nodeModules: false })), undefined);
    assert.equal(cacheDirectory(makeProject({ node_modules: 'a file' }, { nodeModules: false })), undefined);
    assert.match(rootTag(root), /^[0-9a-f]{12}$/);
    assert.notEqual(rootTag(root), rootTag(`${root}-other`), 'node_modules may be shared between projects');
  });
});

describe('lintProject', () => {
  test('replays an unchanged project; lints again when a file, the config or the lockfile changes', async () => {
    const root = makeProject({
      'src/a.ts': CLEAN_TS,
      'src/long.ts': `${lineOf('comment', 121)}\nexport {};\n`,
      '.prettierrc.json': '{ "singleQuote": true }\n',
      'package-lock.json': '{}\n',
    });
    const options = { root, gymnosVersion: '1.0.0' };
    const first = await lintProject(options);
    assert.equal(first.cache, 'miss');
    assert.deepEqual(problems(first), ['src/long.ts:1 @stylistic/max-len']);

    const second = await lintProject(options);
    assert.equal(second.cache, 'hit');
    assert.deepEqual(second.files, first.files);

    const edits: [string, string][] = [
      ['src/a.ts', `${CLEAN_TS}export const two = 2;\n`],
      ['.prettierrc.json', '{ "singleQuote": false }\n'],
      ['package-lock.json', '{ "lockfileVersion": 3 }\n'],
    ];
    for (const [file, content] of edits) {
      writeFileSync(path.join(root, file), content);
      assert.equal((await lintProject(options)).cache, 'miss', `a change to ${file} is noticed`);
      assert.equal((await lintProject(options)).cache, 'hit');
    }
    // Under double quotes, the TypeScript file with a template literal is still formatted; nothing else changed.
    assert.deepEqual(problems(await lintProject(options)), ['src/long.ts:1 @stylistic/max-len']);
    assert.equal((await lintProject({ ...options, cache: false })).cache, 'off');
  });

  test("Prettier's content cache is keyed by the options: a config change re-checks every file", async () => {
    const root = makeProject({ 'src/quoted.ts': "export const quoted = 'single';\n", 'src/other.ts': CLEAN_TS });
    const options = { root, gymnosVersion: '1.0.0' };
    assert.deepEqual(problems(await lintProject(options)), []);
    const cacheDirectory = path.join(root, 'node_modules/.cache/gymnos');
    const stored = readdirSync(cacheDirectory).find((name) => name.startsWith('prettier-'))!;
    const known = JSON.parse(readFileSync(path.join(cacheDirectory, stored), 'utf8')).files;
    assert.deepEqual(Object.keys(known).sort(), ['package.json', 'src/other.ts', 'src/quoted.ts']);

    writeFileSync(path.join(root, '.prettierrc.json'), '{ "singleQuote": false }\n');
    assert.deepEqual(problems(await lintProject(options)), ['src/quoted.ts:1 prettier']);
    writeFileSync(path.join(root, '.prettierrc.json'), '{ "singleQuote": true }\n');
    assert.deepEqual(problems(await lintProject(options)), []);
  });

  test('Prettier: an unformatted file is one diagnostic naming the first line that differs', async () => {
    const root = makeProject({
      'src/a.ts': 'export const a = 1;\nexport const b = {c:1};\nexport const d = {e:2};\n',
      'docs/guide.md': '# Title\n\n*  item\n',
      'data/config.json': '{"a":1,\n"b":2}\n',
      'data/broken.json': '{ "a": }\n',
    });
    const report = await lintProject({ root, gymnosVersion: '1.0.0', cache: false });
    assert.deepEqual(problems(report), [
      'data/broken.json:1 prettier',
      'data/config.json:1 prettier',
      'docs/guide.md:3 prettier',
      'src/a.ts:2 prettier',
    ]);
    const broken = report.files.find((file) => file.path === 'data/broken.json')!.diagnostics[0]!;
    assert.equal(broken.fatal, true);
    assert.match(broken.message, /^Prettier cannot parse the file/);
    const unformatted = report.files.find((file) => file.path === 'src/a.ts')!.diagnostics[0]!;
    assert.match(unformatted.message, /first difference is on line 2/);
    assert.equal(unformatted.fixable, true);
    assert.equal(
      unformatted.detail,
      ['@@ -1,3 +1,3 @@', ' export const a = 1;', '-export const b = {c:1};', '-export const d = {e:2};']
        .concat(['+export const b = { c: 1 };', '+export const d = { e: 2 };'])
        .join('\n'),
    );
  });

  test('Prettier: the finding shows a short unified diff, its first two changes, each at most 12 lines', async () => {
    const far = (line: number) => `export const v${line} = ${line};`;
    const lines = Array.from({ length: 60 }, (_, index) => far(index));
    lines[5] = 'export const v5 = [5,5];';
    lines[20] = `export const v20 = [\n${Array.from({ length: 20 }, (_, n) => `  ${n},`).join('\n')}\n];`;
    lines[50] = 'export const v50 = {a:1};';
    const root = makeProject({ 'src/long.ts': `${lines.join('\n')}\n` });
    const report = await lintProject({ root, gymnosVersion: '1.0.0', cache: false });
    const { detail } = report.files.find((file) => file.path === 'src/long.ts')!.diagnostics[0]!;
    const shown = detail!.split('\n');
    assert.deepEqual(shown.slice(0, 4), [
      '@@ -5,3 +5,3 @@',
      ' ' + far(4),
      '-export const v5 = [5,5];',
      '+export const v5 = [5, 5];',
    ]);
    assert.equal(shown[5], '@@ -20,24 +20,3 @@');
    assert.equal(shown.slice(6).filter((line) => line !== '…' && !line.startsWith('… ')).length, 12, detail);
    assert.deepEqual(shown.slice(-2), ['…', '… 1 more change (npx gymnos lint --fix makes them all)']);
    // In a pnpm project, pnpm's command.
    const pnpmRoot = makeProject({
      'src/long.ts': `${lines.join('\n')}\n`,
      'pnpm-lock.yaml': "lockfileVersion: '9.0'\n",
    });
    const pnpmReport = await lintProject({ root: pnpmRoot, gymnosVersion: '1.0.0', cache: false });
    const pnpmDetail = pnpmReport.files.find((file) => file.path === 'src/long.ts')!.diagnostics[0]!.detail!;
    assert.equal(pnpmDetail.split('\n').at(-1), '… 1 more change (pnpm exec gymnos lint --fix makes them all)');
  });

  test('the registry: unformatted is gymnos/registry-format; contract findings come with the rest', async () => {
    const root = makeProject({
      'var/trackers.json': '{"good":"trackers/good.js#GoodTracker"}',
      'src/trackers/good.ts': "import { Tracker } from 'gymnos';\n\nexport class GoodTracker extends Tracker {}\n",
      'src/trackers/other.ts': "import { Tracker } from 'gymnos';\n\nexport class OtherTracker extends Tracker {}\n",
    });
    const report = await lintProject({ root, gymnosVersion: '1.0.0', cache: false });
    assert.deepEqual(problems(report), [
      'src/trackers/other.ts:3 gymnos/tracker-unregistered',
      'var/trackers.json:1 gymnos/registry-format',
    ]);
    assert.equal(report.rules['gymnos/tracker-unregistered']?.description?.includes('registered'), true);
  });

  test('--fix writes ESLint fixes, then Prettier formatting, and reports what is left where it now is', async () => {
    const source = [
      'export function f(x: number) {',
      '  if (!!x) {return 1}',
      '  return 2',
      '}',
      lineOf('comment', 125),
      '',
    ].join('\n');
    const root = makeProject({ 'src/a.ts': source, 'src/clean.ts': CLEAN_TS, 'data.json': '{"a":1}' });
    const before = await lintProject({ root, gymnosVersion: '1.0.0' });
    assert.deepEqual(problems(before), [
      'data.json:1 prettier',
      'src/a.ts:2 prettier',
      'src/a.ts:2 no-extra-boolean-cast',
      'src/a.ts:5 @stylistic/max-len',
    ]);
    const fixed = await lintProject({ root, gymnosVersion: '1.0.0', fix: true });
    assert.equal(fixed.cache, 'miss', 'a stored report with fixable problems is not replayed under --fix');
    assert.deepEqual(fixed.fixedFiles, ['data.json', 'src/a.ts']);
    assert.equal(
      readFileSync(path.join(root, 'src/a.ts'), 'utf8'),
      [
        'export function f(x: number) {',
        '  if (x) {',
        '    return 1;',
        '  }',
        '  return 2;',
        '}',
        lineOf('comment', 125),
        '',
      ].join('\n'),
    );
    assert.equal(readFileSync(path.join(root, 'data.json'), 'utf8'), '{ "a": 1 }\n');
    // What --fix cannot fix, at its new line.
    assert.deepEqual(problems(fixed), ['src/a.ts:7 @stylistic/max-len']);
    const again = await lintProject({ root, gymnosVersion: '1.0.0', fix: true });
    assert.equal(again.cache, 'hit', 'nothing left to fix: replayed');
    assert.deepEqual(again.fixedFiles, []);
  });

  test('a project on TypeScript 7 is refused with a clear message', async () => {
    const root = makeProject({
      'src/a.ts': CLEAN_TS,
      'node_modules/typescript/package.json': '{ "name": "typescript", "version": "7.0.1" }\n',
    });
    await assert.rejects(lintProject({ root, gymnosVersion: '1.0.0' }), (error: unknown) => {
      assert.ok(error instanceof GymnosError);
      assert.equal(error.kind, 'usage');
      assert.equal(error.code, 'TYPESCRIPT_UNSUPPORTED');
      assert.match(error.message, /TypeScript 7\.0\.1 .* has no compiler API/);
      return true;
    });
  });
});
