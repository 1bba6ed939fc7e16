// Severity in rule fixtures: `# expect: CODE [info]` says the finding on that line has that severity
// (rules lower a warning to info when it rests on facts the code does not fix, such as a demo's epoch count).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { RULES } from '../../src/analyzers/registry';
import { analyzeFixture, FIXTURES, fixtureFiles } from '../helpers/fixtures';

const SEVERITY_NOTE = /(?:#|\/\/)\s*expect:\s*([A-Z]+\d+)\s*\[(error|warning|info|hint)\]/;

for (const rule of RULES) {
  const files = fixtureFiles(rule.code).filter((rel) => SEVERITY_NOTE.test(fs.readFileSync(path.join(FIXTURES, rel), 'utf8')));
  if (files.length === 0) continue;
  describe(`${rule.code} fixture severities`, () => {
    for (const rel of files) {
      it(`${rel}: each finding has the annotated severity`, async () => {
        const text = fs.readFileSync(path.join(FIXTURES, rel), 'utf8');
        const { findings } = await analyzeFixture(rel, text);
        text.split(/\r\n|\r|\n/).forEach((line, i) => {
          const m = SEVERITY_NOTE.exec(line);
          if (!m || m[1] !== rule.code) return;
          const here = findings.filter((f) => f.code === rule.code && f.range.start.line === i);
          assert.equal(here.length, 1, `line ${i + 1}: expected one ${rule.code}`);
          assert.equal(here[0].severity, m[2], `line ${i + 1}: ${here[0].message}`);
        });
      });
    }
  });
}
