// Reads rule fixtures: `# expect: CODE` / `# ok: CODE` annotations (also `// expect:` in JSON) per line.
import fs from 'node:fs';
import path from 'node:path';
import { analyze, type AnalyzeOptions } from '../../src/analyzers';
import { fixUntilStable } from '../../src/analyzers/engine/fix-engine';
import type { Finding } from '../../src/shared/findings';

export const FIXTURES = path.resolve(__dirname, '../../../test/rules/fixtures');

export interface Annotation {
  line: number;
  kind: 'expect' | 'ok';
  codes: string[];
}

const ANNOTATION = /(?:#|\/\/)\s*(expect|ok):\s*([A-Z]+\d+(?:\s*,\s*[A-Z]+\d+)*)/g;

export function annotations(text: string): Annotation[] {
  const out: Annotation[] = [];
  text.split(/\r\n|\r|\n/).forEach((line, i) => {
    for (const m of line.matchAll(ANNOTATION)) out.push({ line: i, kind: m[1] as 'expect' | 'ok', codes: m[2].split(',').map((c) => c.trim()) });
  });
  return out;
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
