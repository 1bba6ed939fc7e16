// Runtime diagnostics follow edits: dropped when their lines are edited (Apply fix rewrites the measured
// DataLoader call), moved with their line when lines are added or removed above them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rangeAfterChange, rangeAfterChanges } from '../../src/editor/edited-ranges';

const r = (l1: number, c1: number, l2: number, c2: number) => ({ start: { line: l1, character: c1 }, end: { line: l2, character: c2 } });
/** `loader = DataLoader(ds, batch_size=32)` on line 21, as the sample script has it. */
const loader = r(21, 9, 21, 40);

describe('runtime finding ranges after an edit', () => {
  it('drops the range when the edit touches its lines (a keyword added to the DataLoader call)', () => {
    assert.equal(rangeAfterChange(loader, { range: r(21, 39, 21, 39), text: ', num_workers=2' }), null);
    // A wrapped call: the fix replaces the arguments across lines 21-23; the finding's line is among them.
    assert.equal(rangeAfterChange(r(21, 9, 23, 1), { range: r(22, 0, 22, 10), text: 'x' }), null);
    // A line inserted at the start of the finding's own line still touches it.
    assert.equal(rangeAfterChange(loader, { range: r(21, 0, 21, 0), text: 'import os\n' }), null);
  });

  it('keeps a range before the edit as it is', () => {
    assert.deepEqual(rangeAfterChange(loader, { range: r(30, 0, 30, 0), text: 'print(1)\n' }), loader);
  });

  it('moves a range after the edit by the lines added or removed', () => {
    assert.deepEqual(rangeAfterChange(loader, { range: r(2, 0, 2, 0), text: 'import os\nimport sys\n' }), r(23, 9, 23, 40));
    assert.deepEqual(rangeAfterChange(loader, { range: r(2, 0, 5, 0), text: '' }), r(18, 9, 18, 40));
  });

  it('applies the changes of one event in order (VS Code sends a multi-edit fix bottom-up)', () => {
    // An import added at the top and the call rewritten: the call's edit drops it.
    assert.equal(rangeAfterChanges(loader, [{ range: r(21, 39, 21, 39), text: ', num_workers=2' }, { range: r(0, 0, 0, 0), text: 'import os\n' }]), null);
    // Two imports added above: moved by two lines.
    assert.deepEqual(rangeAfterChanges(loader, [{ range: r(3, 0, 3, 0), text: 'import a\n' }, { range: r(0, 0, 0, 0), text: 'import b\n' }]), r(23, 9, 23, 40));
  });
});
