import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import { formatGithub, formatGithubSummary } from '../../src/lint/formatters/github.js';
import { formatJson } from '../../src/lint/formatters/json.js';
import { formatSarif } from '../../src/lint/formatters/sarif.js';
import { formatStylish } from '../../src/lint/formatters/stylish.js';
import { countDiagnostics, onlyErrors } from '../../src/lint/types.js';
import type { Diagnostic, FileReport, LintReport } from '../../src/lint/types.js';

const ROOT = path.join(path.sep, 'work', 'repo', 'project');

function diagnostic(overrides: Partial<Diagnostic> = {}): Diagnostic {
  return {
    ruleId: '@stylistic/max-len',
    severity: 'error',
    message: 'This line has a length of 121. Maximum allowed is 120.',
    line: 3,
    column: 1,
    source: 'eslint',
    fixable: false,
    ...overrides,
  };
}

function report(files: FileReport[], overrides: Partial<LintReport> = {}): LintReport {
  return {
    root: ROOT,
    files,
    ...countDiagnostics(files),
    rules: {
      '@stylistic/max-len': { description: 'Enforce a maximum line length', url: 'https://eslint.style/rules/max-len' },
    },
    cache: 'miss',
    fixedFiles: [],
    typeAware: false,
    durationMs: 1,
    ...overrides,
  };
}

const MIXED = report([
  { path: 'src/clean.ts', diagnostics: [] },
  {
    path: 'src/a.ts',
    diagnostics: [
      diagnostic({ endLine: 3, endColumn: 122 }),
      diagnostic({ ruleId: 'prettier', line: 7, message: 'File is not formatted with Prettier', fixable: true }),
      diagnostic({ ruleId: null, severity: 'error', line: 9, column: 4, message: 'Parsing error: oops', fatal: true }),
    ],
  },
  {
    path: 'var/trackers.json',
    diagnostics: [
      diagnostic({ ruleId: 'gymnos/tracker-export', severity: 'warning', line: 2, column: 3, message: 'maybe' }),
    ],
  },
]);

/** Parses workflow commands: `::command key=value,...::message`. */
function commands(output: string) {
  return output
    .split('\n')
    .filter((line) => line.startsWith('::'))
    .map((line) => {
      const match = /^::(\w+)(?: ([^:]*))?::(.*)$/.exec(line);
      assert.ok(match, `a workflow command: ${line}`);
      const properties = Object.fromEntries(
        (match[2] ?? '')
          .split(',')
          .filter(Boolean)
          .map((pair) => pair.split('=') as [string, string]),
      );
      return { command: match[1]!, properties, message: match[3]! };
    });
}

describe('GitHub Actions annotations', () => {
  test('escape messages and properties as workflow commands require', () => {
    const tricky = report([
      {
        path: 'src/odd, name:1%.ts',
        diagnostics: [diagnostic({ message: 'first line\r\nsecond: 50%, done', ruleId: 'scope/rule,x' })],
      },
    ]);
    const [annotation] = commands(formatGithub(tricky, { base: ROOT, listOverflow: true }));
    assert.equal(annotation!.command, 'error');
    assert.equal(annotation!.properties.file, 'src/odd%2C name%3A1%25.ts');
    assert.equal(annotation!.properties.title, 'scope/rule%2Cx');
    assert.equal(annotation!.message, 'first line%0D%0Asecond: 50%25, done');
  });

  test('use paths relative to the workspace, with line, column and end', () => {
    const output = formatGithub(MIXED, { base: path.dirname(ROOT), listOverflow: true });
    const found = commands(output);
    assert.deepEqual(
      found.map((entry) => [entry.command, entry.properties.file, entry.properties.line, entry.properties.title]),
      [
        ['error', 'project/src/a.ts', '3', '@stylistic/max-len'],
        ['error', 'project/src/a.ts', '7', 'prettier'],
        ['error', 'project/src/a.ts', '9', 'parse error'],
        ['warning', 'project/var/trackers.json', '2', 'gymnos/tracker-export'],
      ],
    );
    assert.equal(found[0]!.properties.col, '1');
    assert.equal(found[0]!.properties.endLine, '3');
    assert.equal(found[0]!.properties.endColumn, '122');
  });

  test('annotate at most 10 problems of each kind and say how many more there are', () => {
    const many = report([
      {
        path: 'src/many.ts',
        diagnostics: [
          ...Array.from({ length: 13 }, (_, index) => diagnostic({ line: index + 1 })),
          ...Array.from({ length: 12 }, (_, index) => diagnostic({ line: 100 + index, severity: 'warning' })),
        ],
      },
    ]);
    const listed = formatGithub(many, { base: ROOT, listOverflow: true });
    const found = commands(listed);
    assert.equal(found.filter((entry) => entry.command === 'error').length, 10);
    assert.equal(found.filter((entry) => entry.command === 'warning').length, 10);
    const notices = found.filter((entry) => entry.command === 'notice');
    assert.equal(notices.length, 1);
    assert.match(notices[0]!.message, /^3 more errors and 2 more warnings not annotated: GitHub shows at most 10/);
    // The others are still in the log, as plain lines.
    const plain = listed.split('\n').filter((line) => /^src\/many\.ts:\d+:1: (error|warning): /.test(line));
    assert.deepEqual(
      plain.map((line) => line.split(':')[1]),
      ['11', '12', '13', '110', '111'],
    );
    // Beside the stylish report (which lists everything), only the annotations and the notice.
    const beside = formatGithub(many, { base: ROOT, listOverflow: false });
    assert.equal(beside.split('\n').filter(Boolean).length, 21);
  });

  test('print nothing when there is nothing to annotate', () => {
    assert.equal(formatGithub(report([{ path: 'a.ts', diagnostics: [] }]), { base: ROOT, listOverflow: true }), '');
  });

  test('the job summary is a Markdown table with escaped cells, capped, and a plain line when clean', () => {
    const summary = formatGithubSummary(
      report([
        {
          path: 'src/a.ts',
          diagnostics: [diagnostic({ message: 'a | b <script>' }), diagnostic({ severity: 'warning' })],
        },
      ]),
      { base: ROOT },
    );
    const lines = summary.split('\n');
    assert.equal(lines[0], '## gymnos lint');
    assert.ok(lines.includes('| File | Line | Severity | Rule | Message |'));
    assert.match(summary, /\*\*2 problems\*\* \(1 error, 1 warning\) in 1 of 1 file\./);
    assert.ok(
      lines.includes(
        '| `src/a.ts` | 3:1 | error | [`@stylistic/max-len`](https://eslint.style/rules/max-len) | a \\| b &lt;script&gt; |',
      ),
    );
    const many = report([
      { path: 'src/a.ts', diagnostics: Array.from({ length: 60 }, (_, index) => diagnostic({ line: index + 1 })) },
    ]);
    const capped = formatGithubSummary(many, { base: ROOT });
    assert.equal(capped.split('\n').filter((line) => line.startsWith('| `src/a.ts`')).length, 50);
    assert.match(capped, /…and 10 more: see the step's log\./);
    assert.match(
      formatGithubSummary(report([{ path: 'a.ts', diagnostics: [] }]), { base: ROOT }),
      /No problems in 1 file\./,
    );
  });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed JSON, checked property by property
type Parsed = any;

/** The SARIF 2.1.0 constraints GitHub code scanning relies on, checked property by property. */
function assertSarif210(log: Record<string, unknown>) {
  const allowed = (object: object, keys: string[], where: string) => {
    for (const key of Object.keys(object)) assert.ok(keys.includes(key), `${where}: "${key}" is not a SARIF property`);
  };
  allowed(log, ['$schema', 'version', 'runs', 'inlineExternalProperties', 'properties'], 'sarifLog');
  assert.equal(log.version, '2.1.0');
  assert.match(String(log.$schema), /^https:\/\/.*sarif-2\.1\.0.*\.json$/);
  const runs = log.runs as Parsed[];
  assert.ok(Array.isArray(runs) && runs.length === 1);
  const run = runs[0]!;
  allowed(run, ['tool', 'originalUriBaseIds', 'artifacts', 'results', 'columnKind', 'automationDetails'], 'run');
  assert.ok(['utf16CodeUnits', 'unicodeCodePoints'].includes(run.columnKind));
  const driver = run.tool.driver;
  allowed(run.tool, ['driver', 'extensions', 'properties'], 'tool');
  allowed(
    driver,
    ['name', 'fullName', 'version', 'semanticVersion', 'informationUri', 'rules', 'properties'],
    'driver',
  );
  assert.equal(typeof driver.name, 'string');
  const ruleIds = (driver.rules as Parsed[]).map((rule) => {
    allowed(rule, ['id', 'name', 'shortDescription', 'fullDescription', 'helpUri', 'help', 'properties'], 'rule');
    assert.equal(typeof rule.shortDescription.text, 'string');
    if (rule.properties?.tags) assert.ok(Array.isArray(rule.properties.tags));
    return rule.id as string;
  });
  assert.equal(new Set(ruleIds).size, ruleIds.length, 'rule ids are unique');
  const base = run.originalUriBaseIds['%SRCROOT%'];
  assert.match(base.uri, /^file:\/\/.*\/$/, '%SRCROOT% is an absolute URI ending with /');
  for (const result of run.results as Parsed[]) {
    allowed(result, ['ruleId', 'ruleIndex', 'level', 'message', 'locations', 'partialFingerprints'], 'result');
    assert.equal(ruleIds[result.ruleIndex], result.ruleId, 'ruleIndex points at the rule');
    assert.ok(['none', 'note', 'warning', 'error'].includes(result.level));
    assert.ok(result.message.text.length > 0);
    const physical = result.locations[0].physicalLocation;
    allowed(physical, ['artifactLocation', 'region', 'contextRegion'], 'physicalLocation');
    const artifact = physical.artifactLocation;
    allowed(artifact, ['uri', 'uriBaseId', 'index', 'description'], 'artifactLocation');
    assert.doesNotMatch(artifact.uri, /^(\/|file:|\.\.)/, 'the URI is relative to %SRCROOT%');
    assert.equal(artifact.uriBaseId, '%SRCROOT%');
    assert.equal(run.artifacts[artifact.index].location.uri, artifact.uri);
    const region = physical.region;
    allowed(region, ['startLine', 'startColumn', 'endLine', 'endColumn'], 'region');
    assert.ok(Number.isInteger(region.startLine) && region.startLine >= 1);
    assert.ok(Number.isInteger(region.startColumn) && region.startColumn >= 1);
    if (region.endLine !== undefined) assert.ok(region.endLine >= region.startLine);
    if (region.endColumn !== undefined && (region.endLine ?? region.startLine) === region.startLine) {
      assert.ok(region.endColumn > region.startColumn);
    }
  }
}

describe('SARIF', () => {
  test('is SARIF 2.1.0 with rules, relative URIs and regions, fit for code scanning', () => {
    const sarif = JSON.parse(formatSarif(MIXED, { base: path.dirname(ROOT), version: '1.2.3' }));
    assertSarif210(sarif);
    const run = sarif.runs[0];
    assert.equal(run.tool.driver.name, 'gymnos');
    assert.equal(run.tool.driver.version, '1.2.3');
    assert.equal(run.results.length, 4);
    assert.deepEqual(
      run.results.map((result: Parsed) => [
        result.ruleId,
        result.level,
        result.locations[0].physicalLocation.region.startLine,
      ]),
      [
        ['@stylistic/max-len', 'error', 3],
        ['prettier', 'error', 7],
        ['parse-error', 'error', 9],
        ['gymnos/tracker-export', 'warning', 2],
      ],
    );
    assert.equal(run.results[0].locations[0].physicalLocation.artifactLocation.uri, 'project/src/a.ts');
    assert.deepEqual(run.results[0].locations[0].physicalLocation.region, {
      startLine: 3,
      startColumn: 1,
      endLine: 3,
      endColumn: 122,
    });
    const maxLen = run.tool.driver.rules.find((rule: Parsed) => rule.id === '@stylistic/max-len');
    assert.equal(maxLen.helpUri, 'https://eslint.style/rules/max-len');
    assert.equal(run.originalUriBaseIds['%SRCROOT%'].uri, 'file:///work/repo/');
  });

  test('a clean report is a valid log with no results', () => {
    const sarif = JSON.parse(
      formatSarif(report([{ path: 'a.ts', diagnostics: [] }]), { base: ROOT, version: '1.0.0' }),
    );
    assertSarif210(sarif);
    assert.deepEqual(sarif.runs[0].results, []);
  });
});

describe('JSON and stylish', () => {
  test('JSON is ESLint-compatible: absolute paths, severity 1/2, counts per file', () => {
    const results = JSON.parse(formatJson(MIXED));
    assert.equal(results.length, 3);
    const a = results[1];
    assert.equal(a.filePath, path.join(ROOT, 'src/a.ts'));
    assert.equal(a.errorCount, 3);
    assert.equal(a.fatalErrorCount, 1);
    assert.equal(a.fixableErrorCount, 1);
    assert.deepEqual(
      a.messages.map((message: Parsed) => [message.ruleId, message.severity, message.line]),
      [
        ['@stylistic/max-len', 2, 3],
        ['prettier', 2, 7],
        [null, 2, 9],
      ],
    );
    assert.equal(results[2].messages[0].severity, 1);
  });

  test('stylish groups by file, relative to the current directory, with totals', () => {
    const output = formatStylish(MIXED, { cwd: path.join(ROOT, 'src') });
    assert.match(output, /^a\.ts$/m);
    assert.match(output, /^\.\.\/var\/trackers\.json$/m);
    assert.match(
      output,
      /^ {2}3:1 {2}error {2}This line has a length of 121\. Maximum allowed is 120\. {2}@stylistic\/max-len$/m,
    );
    assert.match(output, /✖ 4 problems \(3 errors, 1 warning\)/);
    assert.match(output, /1 error and 0 warnings potentially fixable with `npx gymnos lint --fix`/);
    assert.doesNotMatch(output, /clean\.ts/);
    const clean = formatStylish(report([{ path: 'a.ts', diagnostics: [] }], { cache: 'hit' }), { cwd: ROOT });
    assert.match(clean, /No problems in 1 file \(unchanged since the last run\)/);
  });

  test('--quiet drops the warnings and their counts', () => {
    const quiet = onlyErrors(MIXED);
    assert.equal(quiet.warningCount, 0);
    assert.equal(quiet.errorCount, 3);
    assert.equal(quiet.files[2]!.diagnostics.length, 0);
  });
});
