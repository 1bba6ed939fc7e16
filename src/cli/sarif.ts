// SARIF 2.1.0 as GitHub code scanning accepts it: ruleId = our code, paths relative to the working
// directory (percent-encoded URI references), 1-based lines and columns, 0-based notebook cells.
import path from 'node:path';
import type { Log, ReportingDescriptor, Result } from 'sarif';
import type { Finding, Severity } from '../shared/findings';

export interface SarifRuleInfo {
  code: string;
  name: string;
  summary: string;
  helpUri?: string;
}

const LEVEL: Record<Severity, Result.level> = { error: 'error', warning: 'warning', info: 'note', hint: 'note' };

export function toSarif(findings: readonly Finding[], rules: readonly SarifRuleInfo[], cwd: string, version: string): Log {
  const used = new Set(findings.map((f) => f.code));
  const descriptors: ReportingDescriptor[] = rules
    .filter((r) => used.has(r.code))
    .map((r) => ({ id: r.code, name: r.name, shortDescription: { text: r.summary }, ...(r.helpUri ? { helpUri: r.helpUri } : {}) }));
  // A relative URI reference: each segment percent-encoded (spaces, `#`, `%`, `?`, `:`, non-ASCII as UTF-8).
  const uri = (file: string) => path.relative(cwd, path.resolve(cwd, file)).split(path.sep).map(encodeURIComponent).join('/');
  return {
    version: '2.1.0',
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    runs: [
      {
        tool: { driver: { name: 'pipeline-doctor', version, informationUri: 'https://github.com/pipeline-doctor/pipeline-doctor', rules: descriptors } },
        results: findings.map((f) => ({
          ruleId: f.code,
          ruleIndex: descriptors.findIndex((d) => d.id === f.code),
          level: LEVEL[f.severity],
          // SARIF regions address text lines; a notebook finding names its cell, and lines count within it.
          // properties.cell is 0-based like the JSON output's `cell`; the message counts cells from 1, for people.
          message: { text: f.cell !== undefined ? `[cell ${f.cell + 1}] ${f.message}` : f.message },
          ...(f.cell !== undefined ? { properties: { cell: f.cell } } : {}),
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: uri(f.file), uriBaseId: '%SRCROOT%' },
                region: {
                  startLine: f.range.start.line + 1,
                  startColumn: f.range.start.character + 1,
                  endLine: f.range.end.line + 1,
                  endColumn: f.range.end.character + 1,
                },
              },
            },
          ],
          ...(f.related.length > 0
            ? {
                relatedLocations: f.related.map((r, i) => ({
                  id: i,
                  message: { text: r.message },
                  physicalLocation: {
                    artifactLocation: { uri: uri(r.file ?? f.file), uriBaseId: '%SRCROOT%' },
                    region: { startLine: r.range.start.line + 1, startColumn: r.range.start.character + 1 },
                  },
                })),
              }
            : {}),
        })),
      },
    ],
  };
}
