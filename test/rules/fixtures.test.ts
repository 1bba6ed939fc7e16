// Per-rule fixtures: each `# expect: CODE` line has exactly that finding, each `# ok: CODE` line none,
// no finding appears unannotated; every fix reproduces the *.fixed file, re-parses and is idempotent.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parsePython } from '../../src/analyzers/engine/parser';
import { RULES } from '../../src/analyzers/registry';
import { analyzeFixture, annotations, applyPrimaryFixes, FIXTURES, fixedPath, fixtureFiles } from '../helpers/fixtures';

for (const rule of RULES) {
  describe(`${rule.code} fixtures`, () => {
    for (const rel of fixtureFiles(rule.code)) {
      const text = fs.readFileSync(path.join(FIXTURES, rel), 'utf8');
      it(`${rel}: findings match the annotations`, async () => {
        const { findings } = await analyzeFixture(rel, text);
        const mine = findings.filter((f) => f.code === rule.code);
        const notes = annotations(text);
        for (const note of notes.filter((n) => n.codes.includes(rule.code))) {
          const here = mine.filter((f) => f.range.start.line === note.line);
          if (note.kind === 'expect') assert.equal(here.length, 1, `line ${note.line + 1}: expected one ${rule.code}, got ${here.length}`);
          else assert.equal(here.length, 0, `line ${note.line + 1}: expected no ${rule.code}, got: ${here.map((f) => f.message).join(' | ')}`);
        }
        const expected = new Set(notes.filter((n) => n.kind === 'expect' && n.codes.includes(rule.code)).map((n) => n.line));
        const stray = mine.filter((f) => !expected.has(f.range.start.line));
        assert.deepEqual(stray.map((f) => `${f.range.start.line + 1}: ${f.message}`), [], 'findings without an `# expect:` annotation');
      });

      const fixed = fixedPath(rel);
      if (fs.existsSync(fixed)) {
        it(`${rel}: fixes produce ${path.basename(fixed)}, re-parse, and are idempotent`, async () => {
          const result = await applyPrimaryFixes(rel, text, rule.code);
          assert.equal(result.text, fs.readFileSync(fixed, 'utf8'));
          if (rel.endsWith('.py')) {
            const before = (await parsePython(text)).rootNode.hasError;
            const after = (await parsePython(result.text)).rootNode.hasError;
            assert.ok(before || !after, 'the fix introduced a syntax error');
          } else {
            const { notices } = await analyzeFixture(rel, result.text);
            assert.deepEqual(notices.filter((n) => /syntax error/i.test(n.message)), []);
          }
          const again = await applyPrimaryFixes(rel, result.text, rule.code);
          assert.equal(again.text, result.text, 'fixing the fixed file changed it again');
        });
      }
    }
  });
}
