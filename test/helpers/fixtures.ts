// Reads rule fixtures: `# expect: CODE` / `# ok: CODE` annotations (also `// expect:` in JSON) per line.
import fs from 'node:fs';
import path from 'node:path';
import { analyze } from '../../src/analyzers';
import { applyEdits, mergeFixEdits } from '../../src/analyzers/engine/apply-edits';
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

/** Applies the primary fix of every finding of `code`, re-analysing until none is left (bounded). */
export async function applyPrimaryFixes(rel: string, text: string, code: string): Promise<{ text: string; findings: Finding[] }> {
  let current = text;
  for (let pass = 0; pass < 5; pass++) {
    const { findings } = await analyze(rel, current, { select: [code] });
    const fixes = findings.filter((f) => f.code === code && f.fixes.length > 0).map((f) => f.fixes[0].edits);
    if (fixes.length === 0) return { text: current, findings };
    const next = applyEdits(current, mergeFixEdits(fixes, current));
    if (next === current) return { text: current, findings };
    current = next;
  }
  return { text: current, findings: (await analyze(rel, current, { select: [code] })).findings };
}
