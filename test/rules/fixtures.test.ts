// Per-rule fixtures: each `# expect: CODE[severity]:messageId` line has exactly that finding, with that
// severity and message id; each `# ok: CODE` line has none; no finding appears unannotated; every fix
// reproduces the *.fixed file, re-parses and is idempotent.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parsePython } from '../../src/analyzers/engine/parser';
import { RULES } from '../../src/analyzers/registry';
import { analyzeFixture, applyPrimaryFixes, expectation, fixtureAnnotations, FIXTURES, fixedPath, fixtureFiles } from '../helpers/fixtures';

/** A place in a fixture as messages name it: the line, and in a notebook the cell (0-based) before it. */
const where = (x: { line: number; cell?: number }) => `${x.cell !== undefined ? `cell ${x.cell} ` : ''}line ${x.line + 1}`;

for (const rule of RULES) {
  describe(`${rule.code} fixtures`, () => {
    for (const rel of fixtureFiles(rule.code)) {
      const text = fs.readFileSync(path.join(FIXTURES, rel), 'utf8');
      it(`${rel}: findings match the annotations`, async () => {
        const { findings } = await analyzeFixture(rel, text);
        const mine = findings.filter((f) => f.code === rule.code);
        const notes = fixtureAnnotations(rel, text);
        for (const note of notes.filter((n) => n.codes.includes(rule.code))) {
          const here = mine.filter((f) => f.range.start.line === note.line && f.cell === note.cell);
          if (note.kind === 'ok') {
            assert.equal(here.length, 0, `${where(note)}: expected no ${rule.code}, got: ${here.map((f) => f.message).join(' | ')}`);
            continue;
          }
          assert.equal(here.length, 1, `${where(note)}: expected one ${rule.code}, got ${here.length}`);
          const want = note.expected.find((e) => e.code === rule.code)!;
          // The annotation names what the finding says, not only that there is one: an old-form `# expect: CODE`
          // fails here with the annotation to write (after checking that the finding is right).
          assert.equal(
            expectation(here[0]),
            want.severity !== undefined && want.messageId !== undefined ? expectation({ code: rule.code, severity: want.severity, messageId: want.messageId }) : `${rule.code} (no severity or message id)`,
            `${where(note)}: ${here[0].message}`,
          );
        }
        const expected = new Set(notes.filter((n) => n.kind === 'expect' && n.codes.includes(rule.code)).map(where));
        const stray = mine.filter((f) => !expected.has(where({ line: f.range.start.line, cell: f.cell })));
        assert.deepEqual(stray.map((f) => `${where({ line: f.range.start.line, cell: f.cell })}: ${f.message}`), [], 'findings without an `# expect:` annotation');
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
