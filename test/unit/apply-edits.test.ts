import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyEdits, mergeFixEdits, OverlappingEditsError } from '../../src/analyzers/engine/apply-edits';
import { appendArguments, ensureImport } from '../../src/analyzers/python/edits';
import { moduleOf } from '../helpers/python';

const pos = (line: number, character: number) => ({ line, character });

describe('applyEdits', () => {
  it('applies edits against the original text in any order, CRLF included', () => {
    const text = 'a = 1\r\nb = 2\r\n';
    const out = applyEdits(text, [
      { range: { start: pos(1, 4), end: pos(1, 5) }, newText: '3' },
      { range: { start: pos(0, 0), end: pos(0, 0) }, newText: 'import os\r\n' },
    ]);
    assert.equal(out, 'import os\r\na = 1\r\nb = 3\r\n');
  });

  it('rejects overlapping edits, and merges fixes keeping shared edits once', () => {
    const e = (s: number, en: number, t: string) => ({ range: { start: pos(0, s), end: pos(0, en) }, newText: t });
    assert.throws(() => applyEdits('abcdef', [e(0, 3, 'x'), e(2, 4, 'y')]), OverlappingEditsError);
    const merged = mergeFixEdits([[e(0, 1, 'A'), e(6, 6, '!')], [e(2, 3, 'C'), e(6, 6, '!')], [e(0, 2, 'clash')]], 'abcdef');
    assert.equal(applyEdits('abcdef', merged), 'AbCdef!');
  });
});

describe('Python edit builders', () => {
  it('appends arguments on one line, after a trailing comma, and in multi-line calls', async () => {
    const cases: Array<[string, string]> = [
      ['f(a)\n', 'f(a, x=1)\n'],
      ['f()\n', 'f(x=1)\n'],
      ['f(a,)\n', 'f(a, x=1,)\n'],
      ['f(\n    a,\n    b,\n)\n', 'f(\n    a,\n    b,\n    x=1,\n)\n'],
      ['f(\n    a,\n    b\n)\n', 'f(\n    a,\n    b,\n    x=1\n)\n'],
    ];
    for (const [src, want] of cases) {
      const m = await moduleOf(src);
      assert.equal(applyEdits(src, [appendArguments(m, m.calls[0], ['x=1'])]), want, src);
    }
  });

  it('adds an import after the existing imports and docstring, once', async () => {
    const src = '"""Doc."""\nfrom __future__ import annotations\nimport torch\n\nx = 1\n';
    const m = await moduleOf(src);
    assert.equal(applyEdits(src, [ensureImport(m, 'import os', 'os')!]), '"""Doc."""\nfrom __future__ import annotations\nimport torch\nimport os\n\nx = 1\n');
    const has = await moduleOf('import os\nx = 1\n');
    assert.equal(ensureImport(has, 'import os', 'os'), undefined);
  });
});
