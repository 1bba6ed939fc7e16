// Precision first (issue 5, item 4) and fix safety (item 5), on the hand-annotated corpus in test/corpus/.
// The corpus test fails on any disagreement between the analyzer and the annotations: a new false positive,
// a lost true positive, a `miss` that is now found or an `fp` that is gone (update the annotation then).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { analyze } from '../../src/analyzers';
import { ConfigDocument } from '../../src/analyzers/config/document';
import { applyEdits, mergeFixEdits } from '../../src/analyzers/engine/apply-edits';
import { parsePython } from '../../src/analyzers/engine/parser';
import { compareFile, corpusAnnotations, corpusFiles, type CorpusFile } from './corpus-lib';

const PYTHON = '/usr/bin/python3';
const files = corpusFiles();

describe('accuracy corpus', () => {
  test('has the files issue 5 asks for', () => {
    assert.ok(files.length >= 40, `only ${files.length} corpus files`);
    for (const f of files) assert.ok(corpusAnnotations(f).every((a) => /^[A-Z]+\d{3}$/.test(a.code)), `${f.rel}: malformed annotation`);
  });

  for (const file of files) {
    test(`findings equal annotations: ${file.rel}`, async () => {
      const { problems } = await compareFile(file);
      assert.deepEqual(problems, [], `\n${problems.join('\n')}`);
    });
  }
});

async function syntaxErrors(file: CorpusFile, text: string): Promise<number> {
  if (file.kind === 'python') {
    const tree = await parsePython(text);
    const n = tree.rootNode.hasError ? 1 : 0;
    tree.delete();
    return n;
  }
  return new ConfigDocument(file.rel, text, file.kind === 'json' ? 'json' : 'yaml').problems.length;
}

/** Applies every safe fix of every finding once (overlapping fixes wait for the next round). */
async function applySafeFixesOnce(file: CorpusFile, text: string): Promise<{ text: string; applied: number }> {
  const { findings } = await analyze(file.rel, text, {});
  const safe = findings.flatMap((f) => f.fixes.filter((x) => x.safe).map((x) => x.edits));
  if (safe.length === 0) return { text, applied: 0 };
  return { text: applyEdits(text, mergeFixEdits(safe, text)), applied: safe.length };
}

function pyCompile(source: string, name: string): string | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-fixsafety-'));
  const target = path.join(dir, path.basename(name));
  fs.writeFileSync(target, source);
  try {
    execFileSync(PYTHON, ['-m', 'py_compile', target], { stdio: 'pipe', env: { ...process.env, PYTHONPYCACHEPREFIX: path.join(dir, 'pycache') } });
    return undefined;
  } catch (e) {
    const err = e as { stderr?: Buffer };
    return err.stderr?.toString() || String(e);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('fix safety on the corpus (safe fixes only; notebooks excluded: their fixes are per cell)', () => {
  const candidates = files.filter((f) => f.kind !== 'notebook');
  let fixedFiles = 0;

  for (const file of candidates) {
    test(`safe fixes keep ${file.rel} valid and are idempotent`, async () => {
      const before = await syntaxErrors(file, file.text);
      assert.equal(before, 0, `${file.rel} does not parse before fixing`);
      if (file.kind === 'python') assert.equal(pyCompile(file.text, file.rel), undefined, `${file.rel} does not compile before fixing`);

      // Apply rounds until nothing changes; the result must be reached in a few rounds (fixes that
      // overlap need a second round) and fixing it once more must change nothing.
      let text = file.text;
      let rounds = 0;
      for (; rounds < 6; rounds++) {
        const next = await applySafeFixesOnce(file, text);
        if (next.text === text) break;
        text = next.text;
      }
      assert.ok(rounds < 6, `${file.rel}: safe fixes did not converge (a fix that does not remove its finding?)`);
      if (text === file.text) return;
      fixedFiles++;
      assert.equal(await syntaxErrors(file, text), 0, `${file.rel}: safe fixes introduced a syntax error:\n${text}`);
      const again = await applySafeFixesOnce(file, text);
      assert.equal(again.text, text, `${file.rel}: fixing the fixed text changes it again`);
      if (file.kind === 'python') {
        const err = pyCompile(text, file.rel);
        assert.equal(err, undefined, `${file.rel}: py_compile rejects the fixed file:\n${err}`);
      }
    });
  }

  test('some safe fix applied somewhere (the check is not vacuous)', () => {
    assert.ok(fixedFiles > 0, 'no corpus file had a safe fix');
  });
});
