// Reads rule fixtures: per line, `# expect: CODE[severity]:messageId` (the finding that line must have: its
// code, severity and message id) and `# ok: CODE` (no such finding there); `//` instead of `#` in JSON.
// Several may share one annotation: `# expect: LOAD001[warning]:trainingLoader, LOAD005[warning]:perSampleBatches`.
// In a notebook the annotations are comments in its code cells, on the line (within the cell) of the finding.
import fs from 'node:fs';
import path from 'node:path';
import { analyze, type AnalyzeOptions } from '../../src/analyzers';
import { fixUntilStable } from '../../src/analyzers/engine/fix-engine';
import { parseNotebook } from '../../src/analyzers/notebook/notebook';
import type { Finding, Severity } from '../../src/shared/findings';

export const FIXTURES = path.resolve(__dirname, '../../../test/rules/fixtures');

export interface Expected {
  code: string;
  /** Absent in an annotation of the old form (`# expect: CODE`), which the fixture test rejects. */
  severity?: Severity;
  messageId?: string;
}

export interface Annotation {
  /** 0-based; in a notebook, within the cell. */
  line: number;
  /** A notebook's code cell, 0-based like Finding.cell. */
  cell?: number;
  kind: 'expect' | 'ok';
  codes: string[];
  /** What each code of an `expect` annotation must report. */
  expected: Expected[];
}

const ITEM = String.raw`[A-Z]+\d+(?:\s*\[(?:error|warning|info|hint)\])?(?::\w+)?`;
const ANNOTATION = new RegExp(String.raw`(?:#|\/\/)\s*(expect|ok):\s*(${ITEM}(?:\s*,\s*${ITEM})*)`, 'g');
const PARTS = /^([A-Z]+\d+)(?:\s*\[(error|warning|info|hint)\])?(?::(\w+))?$/;

export function annotations(text: string): Annotation[] {
  const out: Annotation[] = [];
  text.split(/\r\n|\r|\n/).forEach((line, i) => {
    for (const m of line.matchAll(ANNOTATION)) {
      const expected = m[2].split(',').map((item) => {
        const [, code, severity, messageId] = PARTS.exec(item.trim())!;
        return { code, ...(severity ? { severity: severity as Severity } : {}), ...(messageId ? { messageId } : {}) };
      });
      out.push({ line: i, kind: m[1] as 'expect' | 'ok', codes: expected.map((e) => e.code), expected });
    }
  });
  return out;
}

/** A fixture's annotations; a notebook's are read from its code cells, by cell and line as findings are placed. */
export function fixtureAnnotations(rel: string, text: string): Annotation[] {
  if (!rel.endsWith('.ipynb')) return annotations(text);
  return parseNotebook(text).flatMap((cell, i) => (cell.kind === 'code' ? annotations(cell.source).map((a) => ({ ...a, cell: i })) : []));
}

/** The annotation that describes a finding exactly: `CODE[severity]:messageId`. */
export function expectation(f: Pick<Finding, 'code' | 'severity' | 'messageId'>): string {
  return `${f.code}[${f.severity}]:${f.messageId}`;
}

/** Fixture files of a rule (inputs only, not the *.fixed.* expectations), relative to the fixtures root. */
export function fixtureFiles(code: string): string[] {
  const dir = path.join(FIXTURES, code);
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(py|ya?ml|json|ipynb)$/.test(e.name) && !/\.fixed\.\w+$/.test(e.name)) out.push(path.relative(FIXTURES, p));
    }
  };
  walk(dir);
  return out.sort();
}

export function fixedPath(rel: string): string {
  return path.join(FIXTURES, rel.replace(/(\.\w+)$/, '.fixed$1'));
}

/**
 * Fixtures in a folder named `*-project` are analysed as files of a project rooted at that folder, so rules can
 * follow imports between its modules (a helper in `utils.py` that `train.py` calls every step); other fixtures
 * stand alone, as an unsaved editor buffer does.
 */
export function fixtureOptions(rel: string): { file: string; options: AnalyzeOptions } {
  const parts = rel.split(/[\\/]/);
  const at = parts.findIndex((p) => p.endsWith('-project'));
  if (at < 0) return { file: rel, options: {} };
  const root = path.join(FIXTURES, ...parts.slice(0, at + 1));
  return { file: path.join(FIXTURES, rel), options: { root } };
}

/** Analyses a fixture's text the way its folder says (alone, or inside its project). */
export function analyzeFixture(rel: string, text: string, options: AnalyzeOptions = {}): ReturnType<typeof analyze> {
  const at = fixtureOptions(rel);
  return analyze(at.file, text, { ...at.options, ...options });
}

/**
 * Applies the primary fix of every finding of `code`, safe or not, through the fix engine `lint --fix` uses
 * (passes until stable); a notice from the engine (no convergence, a broken result) fails the caller.
 */
export async function applyPrimaryFixes(rel: string, text: string, code: string): Promise<{ text: string; findings: Finding[] }> {
  const out = await fixUntilStable(text, (t) => analyzeFixture(rel, t, { select: [code] }), { safeOnly: false });
  if (out.notices.length > 0) throw new Error(out.notices.map((n) => n.message).join('; '));
  return { text: out.text, findings: out.result.findings };
}
