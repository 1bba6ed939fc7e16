// The vocabulary every layer speaks: analyzers produce Findings, the editor and the CLI render them.
// Ranges are 0-based lines and UTF-16 columns, the convention of VS Code and of web-tree-sitter on JS strings.

export type Severity = 'error' | 'warning' | 'info' | 'hint';
export type SeveritySetting = Severity | 'off';
export const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info', 'hint'];

/** Higher is more severe; used for `--fail-on` thresholds and sorting. */
export function severityRank(s: Severity): number {
  return 3 - SEVERITIES.indexOf(s);
}

export type RuleFamily = 'LOAD' | 'PREP' | 'LOOP' | 'STOP' | 'EVAL' | 'HW' | 'RUN';
export const RULE_FAMILIES: readonly RuleFamily[] = ['LOAD', 'PREP', 'LOOP', 'STOP', 'EVAL', 'HW', 'RUN'];

export type FixSafety = 'none' | 'safe' | 'unsafe';
export type Confidence = 'high' | 'medium' | 'low';

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export interface Edit {
  range: Range;
  newText: string;
  /** In a notebook: the index of the cell the range is in (the range is then relative to that cell's source). */
  cell?: number;
}

export interface Fix {
  title: string;
  /** Safe fixes keep behaviour apart from the performance change; only they are applied by fix-all and `--fix`. */
  safe: boolean;
  edits: Edit[];
}

export interface RelatedLocation {
  /** Absent means the finding's own file. */
  file?: string;
  range: Range;
  message: string;
  cell?: number;
}

export interface Finding {
  code: string;
  severity: Severity;
  message: string;
  /** Which of the rule's messages this is (RuleMeta.messages); static findings always have one. */
  messageId?: string;
  /** The values the message's placeholders were filled with (SARIF `message.arguments`). */
  messageData?: Readonly<Record<string, string>>;
  file: string;
  range: Range;
  fixes: Fix[];
  related: RelatedLocation[];
  origin: 'static' | 'runtime';
  /** In a notebook: the index of the cell the range is in (the range is then relative to that cell's source). */
  cell?: number;
  /** Measured figures of a runtime finding (e.g. inputShare), shown beside the message. */
  figures?: Record<string, number | string>;
}

export function compareFindings(a: Finding, b: Finding): number {
  return (
    a.file.localeCompare(b.file) ||
    (a.cell ?? 0) - (b.cell ?? 0) ||
    a.range.start.line - b.range.start.line ||
    a.range.start.character - b.range.start.character ||
    a.code.localeCompare(b.code)
  );
}
