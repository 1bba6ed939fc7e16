// The catalog keeps itself honest: sorted and complete, documented, with fixtures, and each rule's own
// "Example" triggers it while its "Use instead" does not.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyzers';
import { RULES } from '../../src/analyzers/registry';
import { codeBlocks, docSections, REQUIRED_SECTIONS } from '../../src/analyzers/rules/docs';
import { FIXTURES, fixtureAnnotations, fixtureFiles } from '../helpers/fixtures';

const ROOT = path.resolve(__dirname, '../../..');
const EXT: Record<string, string> = { python: 'py', yaml: 'yaml', json: 'json' };

describe('rule registry', () => {
  it('is sorted by code with unique codes', () => {
    const codes = RULES.map((r) => r.code);
    assert.deepEqual(codes, [...codes].sort());
    assert.equal(new Set(codes).size, codes.length);
  });

  it('holds every rule file under src/analyzers/rules, named <CODE>-<name>.ts', () => {
    const files: string[] = [];
    const dir = path.join(ROOT, 'src/analyzers/rules');
    for (const family of fs.readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory())) {
      for (const f of fs.readdirSync(path.join(dir, family.name))) if (/^[A-Z]+\d{3}-/.test(f)) files.push(f.replace(/\.ts$/, ''));
    }
    assert.deepEqual(files.sort(), RULES.map((r) => `${r.code}-${r.name}`).sort());
  });

  it('leaves the test-file skip to the engine: no rule returns early on isTestOrDebugFile() itself', () => {
    // The skip is one declaration (skipTestFiles in the rule's meta); a rule may still ask the question
    // for a narrower purpose (LOAD004: a DataLoader inside pytest.raises), never to end its whole check.
    const dir = path.join(ROOT, 'src/analyzers/rules');
    for (const r of RULES) {
      const text = fs.readFileSync(path.join(dir, r.family.toLowerCase(), `${r.code}-${r.name}.ts`), 'utf8');
      assert.doesNotMatch(text, /if \([^\n]*isTestOrDebugFile\(\)[^\n]*\) return;/, `${r.code} skips test files itself: declare skipTestFiles: true`);
    }
  });

  it('puts each rule in the family folder its code names', () => {
    for (const r of RULES) {
      assert.ok(r.code.startsWith(r.family), `${r.code} is in family ${r.family}`);
      assert.ok(fs.existsSync(path.join(ROOT, 'src/analyzers/rules', r.family.toLowerCase(), `${r.code}-${r.name}.ts`)), `${r.code} file`);
    }
  });
});

for (const rule of RULES) {
  describe(`${rule.code} ${rule.name}`, () => {
    const sections = docSections(rule.docs);

    it('has docs with every required section', () => {
      for (const s of REQUIRED_SECTIONS) assert.ok(sections.get(s), `missing or empty "## ${s}"`);
      assert.match(sections.get('References')!, /https?:\/\//, 'References cite a source');
    });

    it('has fixtures with expect and ok cases', () => {
      const files = fixtureFiles(rule.code);
      assert.ok(files.length > 0, `no fixtures in test/rules/fixtures/${rule.code}`);
      const notes = files.flatMap((f) => fixtureAnnotations(f, fs.readFileSync(path.join(FIXTURES, f), 'utf8')));
      assert.ok(notes.some((n) => n.kind === 'expect' && n.codes.includes(rule.code)), 'no `# expect:` case');
      assert.ok(notes.some((n) => n.kind === 'ok' && n.codes.includes(rule.code)), 'no `# ok:` case');
    });

    if (rule.skipTestFiles) {
      it('is not run on test files (skipTestFiles): its own Example is quiet as tests/test_example.py', async () => {
        const python = codeBlocks(sections.get('Example') ?? '').filter(([lang]) => lang === 'python');
        for (const [, code] of python) {
          const { findings } = await analyze('tests/test_example.py', code, { select: [rule.code] });
          assert.deepEqual(findings.map((f) => f.message), [], `${rule.code} ran on a test file`);
        }
      });
    }

    it('fires on its own Example and not on its Use instead', async () => {
      const example = codeBlocks(sections.get('Example') ?? '');
      const instead = codeBlocks(sections.get('Use instead') ?? '');
      assert.ok(example.length > 0 && instead.length > 0, 'Example and Use instead need code blocks');
      for (const [lang, code] of example) {
        const { findings } = await analyze(`example.${EXT[lang] ?? lang}`, code, { select: [rule.code] });
        assert.ok(findings.length > 0, `Example (${lang}) does not trigger ${rule.code}`);
      }
      for (const [lang, code] of instead) {
        const { findings } = await analyze(`example.${EXT[lang] ?? lang}`, code, { select: [rule.code] });
        assert.deepEqual(findings.map((f) => f.message), [], `Use instead (${lang}) triggers ${rule.code}`);
      }
    });
  });
}
