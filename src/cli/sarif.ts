// SARIF 2.1.0 as GitHub code scanning accepts it: ruleId = our code, paths relative to the working
// directory (percent-encoded URI references), 1-based lines and columns, 0-based notebook cells.
// A rule's message templates (RuleMeta.messages) become its messageStrings, and each result names its
// message by id with the placeholder values as arguments (SARIF 2.1.0 §3.11.5, §3.11.10, §3.11.11, §3.49.11);
// the formatted text stays in message.text, which consumers show first.
import path from 'node:path';
import type { Log, ReportingDescriptor, Result } from 'sarif';
import { placeholders } from '../analyzers/rules/messages';
import type { Finding, Severity } from '../shared/findings';

export interface SarifRuleInfo {
  code: string;
  name: string;
  summary: string;
  helpUri?: string;
  /** Message templates by id, with `{{name}}` placeholders (RuleMeta.messages). */
  messages?: Readonly<Record<string, string>>;
}

const LEVEL: Record<Severity, Result.level> = { error: 'error', warning: 'warning', info: 'note', hint: 'note' };

export function toSarif(findings: readonly Finding[], rules: readonly SarifRuleInfo[], cwd: string, version: string): Log {
  const used = new Set(findings.map((f) => f.code));
  const descriptors: ReportingDescriptor[] = rules
    .filter((r) => used.has(r.code))
    .map((r) => ({
      id: r.code,
      name: r.name,
      shortDescription: { text: r.summary },
      ...(r.helpUri ? { helpUri: r.helpUri } : {}),
      ...(r.messages ? { messageStrings: Object.fromEntries(Object.entries(r.messages).map(([id, template]) => [id, { text: sarifMessageString(template) }])) } : {}),
    }));
  const templates = new Map(rules.map((r) => [r.code, r.messages]));
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
          message: {
            text: f.cell !== undefined ? `[cell ${f.cell + 1}] ${f.message}` : f.message,
            ...messageReference(f, templates.get(f.code)?.[f.messageId ?? '']),
          },
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

/**
 * A `{{name}}` template as a SARIF message string: placeholders become `{0}`, `{1}`… in order of first
 * appearance, and literal braces are doubled (§3.11.5).
 */
function sarifMessageString(template: string): string {
  const names = placeholders(template);
  return template
    .split(/(\{\{\s*[^{}]+?\s*\}\})/)
    .map((part, i) => (i % 2 === 1 ? `{${names.indexOf(part.slice(2, -2).trim())}}` : part.replace(/[{}]/g, (c) => c + c)))
    .join('');
}

/** `id` and `arguments` of a result's message when its rule declares the template it was made from. */
function messageReference(f: Finding, template: string | undefined): { id?: string; arguments?: string[] } {
  if (template === undefined || f.messageId === undefined) return {};
  const names = placeholders(template);
  return { id: f.messageId, ...(names.length > 0 ? { arguments: names.map((n) => f.messageData?.[n] ?? '') } : {}) };
}
