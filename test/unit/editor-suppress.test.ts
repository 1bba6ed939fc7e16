// The suppression edit of the "Suppress CODE on this line" quick fix (src/editor/suppress.ts is pure).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { applyEdits } from '../../src/analyzers/engine/apply-edits';
import { Suppressions } from '../../src/analyzers/engine/suppressions';
import { commentStyleFor, suppressionEdit } from '../../src/editor/suppress';
import type { Range } from '../../src/shared/findings';

const at = (line: number, start: number, end: number): Range => ({ start: { line, character: start }, end: { line, character: end } });

function suppress(text: string, range: Range, code: string, style: '#' | '//' = '#'): string | undefined {
  const edit = suppressionEdit(text.split('\n'), range, code, style);
  return edit && applyEdits(text, [edit]);
}

it('appends a directive to the finding line, trimming trailing blanks', () => {
  const out = suppress('loader = DataLoader(ds)   \nx = 1\n', at(0, 9, 19), 'LOAD001');
  assert.equal(out, 'loader = DataLoader(ds)  # pipeline-doctor: ignore[LOAD001]\nx = 1\n');
  assert.ok(new Suppressions(out!).isSuppressed({ code: 'LOAD001', range: at(0, 9, 19) }));
});

it('keeps an existing comment and extends an existing directive', () => {
  assert.equal(suppress('f(x)  # tuned\n', at(0, 0, 1), 'LOAD001'), 'f(x)  # tuned  # pipeline-doctor: ignore[LOAD001]\n');
  assert.equal(suppress('f(x)  # pipeline-doctor: ignore[PREP001]\n', at(0, 0, 1), 'LOAD001'), 'f(x)  # pipeline-doctor: ignore[PREP001, LOAD001]\n');
  assert.equal(suppressionEdit(['f(x)  # pipeline-doctor: ignore[LOAD001]'], at(0, 0, 1), 'LOAD001', '#'), undefined);
});

it('skips a line ending in a backslash continuation and uses the last line of the finding', () => {
  const text = 'loader = DataLoader(ds, \\\n    batch_size=1)\n';
  const out = suppress(text, { start: { line: 0, character: 9 }, end: { line: 1, character: 17 } }, 'LOAD005');
  assert.equal(out, 'loader = DataLoader(ds, \\\n    batch_size=1)  # pipeline-doctor: ignore[LOAD005]\n');
  assert.equal(suppressionEdit(['a = \\', 'b'], at(0, 0, 1), 'X001', '#'), undefined);
});

it('uses # for Python and YAML, // for JSONC, and nothing for plain JSON', () => {
  assert.equal(commentStyleFor('/w/train.py', 'python'), '#');
  assert.equal(commentStyleFor('/w/conf.yaml', 'yaml'), '#');
  assert.equal(commentStyleFor('/w/conf.yml', 'plaintext'), '#');
  assert.equal(commentStyleFor('/w/ds.jsonc', 'jsonc'), '//');
  assert.equal(commentStyleFor('/w/args.json', 'json'), undefined);
  assert.equal(commentStyleFor('/w/args.json', 'jsonc'), undefined);
  assert.equal(suppress('{\n  "num_workers": 0\n}\n', at(1, 17, 18), 'LOAD001', '//'), '{\n  "num_workers": 0  // pipeline-doctor: ignore[LOAD001]\n}\n');
});
