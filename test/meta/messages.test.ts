// Every rule speaks through its declared messages (RuleMeta.messages, as ESLint's meta.messages): each
// message id a rule reports is declared, each declared message is said by some fixture, and every placeholder
// is filled. The fixtures are analysed as the fixture test analyses them (alone, or inside their project).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { RULES } from '../../src/analyzers/registry';
import { placeholders } from '../../src/analyzers/rules/messages';
import type { Finding } from '../../src/shared/findings';
import type { Notice } from '../../src/analyzers';
import { analyzeFixture, FIXTURES, fixtureFiles } from '../helpers/fixtures';

describe('rule messages', () => {
  const findings: Finding[] = [];
  const failures: Notice[] = [];

  before(async () => {
    for (const rel of RULES.flatMap((r) => fixtureFiles(r.code))) {
      const result = await analyzeFixture(rel, fs.readFileSync(path.join(FIXTURES, rel), 'utf8'));
      findings.push(...result.findings);
      failures.push(...result.notices.filter((n) => n.kind === 'rule-failed'));
    }
  });

  it('every rule declares its messages, each a template with a camelCase id', () => {
    for (const rule of RULES) {
      const ids = Object.keys(rule.messages ?? {});
      assert.ok(ids.length > 0, `${rule.code} declares no messages`);
      for (const id of ids) {
        assert.match(id, /^[a-z][A-Za-z0-9]*$/, `${rule.code}: message id ${id}`);
        assert.ok(rule.messages[id].trim().length > 0, `${rule.code}.${id} is empty`);
      }
    }
  });

  it('no rule reports a message id it does not declare (the engine fails such a rule)', () => {
    assert.deepEqual(failures.map((n) => `${n.file}: ${n.message}`), []);
    for (const f of findings) {
      const rule = RULES.find((r) => r.code === f.code)!;
      assert.ok(f.messageId !== undefined && Object.hasOwn(rule.messages, f.messageId), `${f.file}: ${f.code} reported message id ${f.messageId}`);
    }
  });

  it('fills every placeholder of the message it reports', () => {
    for (const f of findings) {
      assert.doesNotMatch(f.message, /\{\{\s*[^{}]+?\s*\}\}/, `${f.file}:${f.range.start.line + 1} ${f.code}.${f.messageId}: ${f.message}`);
      const names = placeholders(RULES.find((r) => r.code === f.code)!.messages[f.messageId!]);
      assert.deepEqual(names.filter((n) => f.messageData?.[n] === undefined), [], `${f.code}.${f.messageId}: placeholders without a value`);
    }
  });

  it('says every declared message in some fixture', () => {
    const said = new Set(findings.map((f) => `${f.code}.${f.messageId}`));
    const unsaid = RULES.flatMap((r) => Object.keys(r.messages).map((id) => `${r.code}.${id}`)).filter((k) => !said.has(k));
    assert.deepEqual(unsaid, [], 'messages no fixture produces: add a `# expect:` case for each to test/rules/fixtures/<CODE>/');
  });
});
