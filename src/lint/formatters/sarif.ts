/**
 * `--format sarif`: SARIF 2.1.0, as GitHub code scanning reads it (upload it with
 * github/codeql-action/upload-sarif). Written here rather than with @microsoft/eslint-formatter-sarif, which
 * pins ESLint 8. Paths are relative to `%SRCROOT%`, the repository checkout (GITHUB_WORKSPACE) or else the
 * project root.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Diagnostic, LintReport } from '../types.js';

const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const PARSE_ERROR_RULE = 'parse-error';

interface SarifContext {
  /** The directory `%SRCROOT%` stands for. */
  base: string;
  version: string;
}

function region(diagnostic: Diagnostic): Record<string, number> {
  const result: Record<string, number> = { startLine: diagnostic.line, startColumn: diagnostic.column };
  const endLine = diagnostic.endLine ?? diagnostic.line;
  if (diagnostic.endLine !== undefined && endLine >= diagnostic.line) result.endLine = endLine;
  if (
    diagnostic.endColumn !== undefined &&
    (endLine > diagnostic.line || (endLine === diagnostic.line && diagnostic.endColumn > diagnostic.column))
  ) {
    result.endColumn = diagnostic.endColumn;
  }
  return result;
}

export function formatSarif(report: LintReport, context: SarifContext): string {
  const ruleIds = [
    ...new Set(report.files.flatMap((file) => file.diagnostics.map((d) => d.ruleId ?? PARSE_ERROR_RULE))),
  ].sort();
  const ruleIndex = new Map(ruleIds.map((id, index) => [id, index]));
  const rules = ruleIds.map((id) => {
    const info = report.rules[id];
    const description = id === PARSE_ERROR_RULE ? 'The file could not be parsed' : (info?.description ?? id);
    return {
      id,
      shortDescription: { text: description },
      ...(info?.url ? { helpUri: info.url } : {}),
      properties: { tags: [id.startsWith('gymnos/') ? 'gymnos' : id === 'prettier' ? 'formatting' : 'eslint'] },
    };
  });
  const artifacts: { location: { uri: string; uriBaseId: string } }[] = [];
  const results: object[] = [];
  for (const file of report.files) {
    if (file.diagnostics.length === 0) continue;
    const uri = path
      .relative(context.base, path.join(report.root, file.path))
      .split(path.sep)
      .map(encodeURIComponent)
      .join('/');
    const index = artifacts.push({ location: { uri, uriBaseId: '%SRCROOT%' } }) - 1;
    for (const diagnostic of file.diagnostics) {
      const ruleId = diagnostic.ruleId ?? PARSE_ERROR_RULE;
      results.push({
        ruleId,
        ruleIndex: ruleIndex.get(ruleId),
        level: diagnostic.severity === 'error' ? 'error' : 'warning',
        message: { text: diagnostic.message },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri, uriBaseId: '%SRCROOT%', index },
              region: region(diagnostic),
            },
          },
        ],
      });
    }
  }
  const sarif = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'gymnos',
            fullName: 'gymnos lint (ESLint, Prettier and the gymnos plugin contract)',
            version: context.version,
            semanticVersion: context.version,
            rules,
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileURL(`${context.base}${path.sep}`).href } },
        artifacts,
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
