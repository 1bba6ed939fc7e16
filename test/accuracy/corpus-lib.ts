// The accuracy corpus (test/corpus/): realistic training programs and configs whose expected findings are
// annotated by hand. Shared by the corpus test (test/accuracy/corpus.test.ts) and `npm run bench:accuracy`.
//
// Annotations, on the line where a finding's range starts (`#` in Python/YAML and notebook cells, `//` in JSON):
//   `# expect: CODE[severity]:messageId`   the analyzer must report CODE here (a true positive), with that
//                             severity and message id (as in the rule fixtures, docs/writing-rules.md)
//   `# miss: CODE (reason)`   CODE should be reported here but the analyzer does not (a known false negative)
//   `# fp: CODE (reason)`     the analyzer reports CODE here although it should not (a known false positive)
// Several codes may share one annotation (`# expect: LOAD001[warning]:trainingLoader, LOAD005[warning]:perSampleBatches`);
// a code listed twice expects two findings.
import fs from 'node:fs';
import path from 'node:path';
import { analyze } from '../../src/analyzers';
import { parseNotebook } from '../../src/analyzers/notebook/notebook';
import type { Finding, Severity } from '../../src/shared/findings';
import { expectation } from '../helpers/fixtures';

export const CORPUS = path.resolve(__dirname, '../../../test/corpus');

export type AnnotationKind = 'expect' | 'miss' | 'fp';

export interface CorpusAnnotation {
  kind: AnnotationKind;
  code: string;
  /** 0-based line within the file, or within the cell for notebooks. */
  line: number;
  /** Notebook cell index (all cells counted), as Finding.cell. */
  cell?: number;
  reason?: string;
  /** What an `expect` names besides the code: `CODE[severity]:messageId`. */
  severity?: Severity;
  messageId?: string;
}

export interface CorpusFile {
  /** Path relative to test/corpus, with forward slashes: what `analyze` is given. */
  rel: string;
  abs: string;
  text: string;
  kind: 'python' | 'yaml' | 'json' | 'notebook';
}

// The reason may hold one level of parentheses: `# fp: LOOP001 (evaluate() runs once per epoch)`.
const ITEM = String.raw`[A-Z]+\d+(?:\s*\[(?:error|warning|info|hint)\])?(?::\w+)?`;
const ANNOTATION = new RegExp(String.raw`(?:#|\/\/)\s*(expect|miss|fp):\s*(${ITEM}(?:\s*,\s*${ITEM})*)(?:\s*\(((?:[^()]|\([^()]*\))*)\))?`, 'g');
const PARTS = /^([A-Z]+\d+)(?:\s*\[(error|warning|info|hint)\])?(?::(\w+))?$/;

export function corpusFiles(root = CORPUS): CorpusFile[] {
  const out: CorpusFile[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== '__pycache__') walk(abs);
        continue;
      }
      const ext = path.extname(e.name).toLowerCase();
      const kind = ext === '.py' ? 'python' : ext === '.yaml' || ext === '.yml' ? 'yaml' : ext === '.json' ? 'json' : ext === '.ipynb' ? 'notebook' : undefined;
      if (!kind) continue;
      out.push({ rel: path.relative(root, abs).split(path.sep).join('/'), abs, text: fs.readFileSync(abs, 'utf8'), kind });
    }
  };
  walk(root);
  return out;
}

function lineAnnotations(text: string, cell?: number): CorpusAnnotation[] {
  const out: CorpusAnnotation[] = [];
  text.split(/\r\n|\r|\n/).forEach((line, i) => {
    for (const m of line.matchAll(ANNOTATION)) {
      for (const item of m[2].split(',').map((c) => c.trim())) {
        const [, code, severity, messageId] = PARTS.exec(item)!;
        out.push({
          kind: m[1] as AnnotationKind, code, line: i, ...(cell !== undefined ? { cell } : {}), ...(m[3] ? { reason: m[3].trim() } : {}),
          ...(severity ? { severity: severity as Severity } : {}), ...(messageId ? { messageId } : {}),
        });
      }
    }
  });
  return out;
}

export function corpusAnnotations(file: CorpusFile): CorpusAnnotation[] {
  if (file.kind !== 'notebook') return lineAnnotations(file.text);
  return parseNotebook(file.text).flatMap((cell, i) => (cell.kind === 'code' ? lineAnnotations(cell.source, i) : []));
}

export function findingKey(f: { code: string; line: number; cell?: number }): string {
  return `${f.cell !== undefined ? `cell ${f.cell} ` : ''}line ${f.line + 1} ${f.code}`;
}

export function familyOf(code: string): string {
  return code.replace(/\d+$/, '');
}

export interface Outcome {
  code: string;
  line: number;
  cell?: number;
  /** Severity the analyzer reported; for misses, the rule's declared severity where known. */
  severity?: Severity;
  verdict: 'tp' | 'fp' | 'fn';
  /** For fp: 'annotated' (a documented `# fp:`) or 'unannotated' (a surprise, fails the test). */
  source?: 'annotated' | 'unannotated';
  reason?: string;
}

export interface FileComparison {
  file: CorpusFile;
  findings: Finding[];
  annotations: CorpusAnnotation[];
  outcomes: Outcome[];
  /** Disagreements that fail the corpus test, one line each. */
  problems: string[];
}

/**
 * Compares the analyzer's findings (code + start line, every rule) with the annotations. Findings and
 * annotations are matched as multisets per (cell, line, code).
 */
export async function compareFile(file: CorpusFile, severityOf: (code: string) => Severity | undefined = () => undefined): Promise<FileComparison> {
  const { findings } = await analyze(file.rel, file.text, {});
  const annotations = corpusAnnotations(file);
  const pool = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = findingKey({ code: f.code, line: f.range.start.line, cell: f.cell });
    pool.set(key, [...(pool.get(key) ?? []), f]);
  }
  const outcomes: Outcome[] = [];
  const problems: string[] = [];
  const take = (key: string, messageId?: string): Finding | undefined => {
    const list = pool.get(key);
    const at = list ? Math.max(0, list.findIndex((f) => f.messageId === messageId)) : 0;
    const f = list?.splice(at, 1)[0];
    if (list && list.length === 0) pool.delete(key);
    return f;
  };
  for (const a of annotations.filter((x) => x.kind !== 'miss')) {
    const key = findingKey(a);
    const f = take(key, a.messageId);
    if (!f) {
      problems.push(`${file.rel}: ${key}: annotated \`${a.kind}\` but not reported`);
      // Counted as the annotation says, so a stale annotation does not silently improve the figures.
      outcomes.push({ code: a.code, line: a.line, cell: a.cell, severity: severityOf(a.code), verdict: a.kind === 'expect' ? 'fn' : 'fp', source: 'annotated', reason: 'stale annotation' });
      continue;
    }
    if (a.kind === 'expect') {
      const want = a.severity !== undefined && a.messageId !== undefined ? expectation({ code: a.code, severity: a.severity, messageId: a.messageId }) : `${a.code} (no severity or message id)`;
      if (want !== expectation(f)) problems.push(`${file.rel}: ${key}: annotated \`expect: ${want}\` but reported \`${expectation(f)}\`: ${f.message}`);
    }
    outcomes.push({ code: a.code, line: a.line, cell: a.cell, severity: f.severity, verdict: a.kind === 'expect' ? 'tp' : 'fp', ...(a.kind === 'fp' ? { source: 'annotated' as const, reason: a.reason } : {}) });
  }
  for (const a of annotations.filter((x) => x.kind === 'miss')) {
    const key = findingKey(a);
    const f = take(key);
    if (f) problems.push(`${file.rel}: ${key}: annotated \`miss\` but now reported (turn it into \`expect\`)`);
    outcomes.push({ code: a.code, line: a.line, cell: a.cell, severity: f?.severity ?? severityOf(a.code), verdict: f ? 'tp' : 'fn', reason: a.reason });
  }
  for (const list of pool.values()) {
    for (const f of list) {
      const key = findingKey({ code: f.code, line: f.range.start.line, cell: f.cell });
      problems.push(`${file.rel}: ${key}: reported (${f.severity}) but not annotated: ${f.message}`);
      outcomes.push({ code: f.code, line: f.range.start.line, cell: f.cell, severity: f.severity, verdict: 'fp', source: 'unannotated' });
    }
  }
  return { file, findings, annotations, outcomes, problems };
}

export interface Score {
  tp: number;
  fp: number;
  fn: number;
  precision: number;
  recall: number;
}

export function score(outcomes: readonly Outcome[]): Score {
  const tp = outcomes.filter((o) => o.verdict === 'tp').length;
  const fp = outcomes.filter((o) => o.verdict === 'fp').length;
  const fn = outcomes.filter((o) => o.verdict === 'fn').length;
  return { tp, fp, fn, precision: tp + fp === 0 ? 1 : tp / (tp + fp), recall: tp + fn === 0 ? 1 : tp / (tp + fn) };
}

/** Catalog severities (each rule's default), for annotated misses of rules that are not registered (yet). */
const CATALOG_SEVERITY: Record<string, Severity> = {
  LOAD001: 'warning', LOAD002: 'info', LOAD003: 'info', LOAD004: 'error', LOAD005: 'warning', LOAD006: 'warning', LOAD007: 'warning',
  LOAD008: 'warning', LOAD009: 'warning', LOAD010: 'info', LOAD011: 'info', LOAD012: 'info', LOAD013: 'info', LOAD014: 'warning', LOAD015: 'info',
  PREP001: 'warning', PREP002: 'warning', PREP003: 'info', PREP004: 'info', PREP005: 'info', PREP006: 'hint', PREP007: 'warning', PREP008: 'info',
  LOOP001: 'warning', LOOP002: 'info', LOOP003: 'info', LOOP004: 'error', LOOP005: 'warning', LOOP006: 'warning', LOOP007: 'warning', LOOP008: 'hint', LOOP009: 'hint',
  STOP001: 'warning', STOP002: 'error', STOP003: 'warning', STOP004: 'error', STOP005: 'error', STOP006: 'info', STOP007: 'warning', STOP008: 'error',
  EVAL001: 'warning', EVAL002: 'info', EVAL003: 'info', EVAL004: 'info', EVAL005: 'info',
  HW001: 'info', HW002: 'warning', HW003: 'info', HW004: 'hint', HW005: 'info', HW006: 'info', HW007: 'error', HW008: 'info', HW009: 'warning', HW010: 'hint',
};

export function catalogSeverity(code: string): Severity | undefined {
  return CATALOG_SEVERITY[code];
}
