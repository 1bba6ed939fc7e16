// Unopened notebooks in the workspace scan: cell coordinates become the JSON string holding the line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { notebookFileFindings } from '../../src/editor/notebook-file';
import type { Finding } from '../../src/shared/findings';

const NOTEBOOK = JSON.stringify(
  {
    cells: [
      { cell_type: 'markdown', metadata: {}, source: ['# title'] },
      { cell_type: 'code', metadata: {}, outputs: [], source: ['import torch\n', 'loader = make()\n', 'x = 1'] },
      { cell_type: 'code', metadata: {}, outputs: [], source: 'a = 1\nb = 2' },
    ],
    nbformat: 4,
    nbformat_minor: 5,
  },
  null,
  1,
);

function finding(cell: number, line: number): Finding {
  const range = { start: { line, character: 4 }, end: { line, character: 8 } };
  return { code: 'LOAD001', severity: 'info', message: 'm', file: 'nb.ipynb', range, cell, origin: 'static', related: [{ range, cell, message: 'r' }], fixes: [{ title: 'f', safe: true, edits: [{ range, newText: 'x', cell }] }] };
}

describe('notebook findings on the .ipynb file', () => {
  it('places each finding on the JSON string of its source line, names cell and line, and drops fixes', () => {
    const lines = NOTEBOOK.split('\n');
    const [f] = notebookFileFindings(NOTEBOOK, [finding(1, 1)]);
    const line = lines.findIndex((l) => l.includes('"loader = make()\\n"'));
    assert.deepEqual(f.range.start, { line, character: lines[line].indexOf('"') });
    assert.deepEqual(f.range.end, { line, character: lines[line].lastIndexOf('"') + 1 });
    assert.equal(f.message, 'cell 2, line 2: m');
    assert.deepEqual(f.fixes, []);
    assert.equal(f.cell, undefined);
    assert.deepEqual(f.related[0].range, f.range);
    const [last] = notebookFileFindings(NOTEBOOK, [finding(1, 2)]);
    assert.equal(last.range.start.line, lines.findIndex((l) => l.includes('"x = 1"')));
  });

  it('uses the whole string when the source is one string, and tolerates broken JSON', () => {
    const [f] = notebookFileFindings(NOTEBOOK, [finding(2, 1)]);
    assert.equal(f.range.start.line, NOTEBOOK.split('\n').findIndex((l) => l.includes('"a = 1\\nb = 2"')));
    assert.deepEqual(notebookFileFindings('{not json', [finding(0, 0)]).length, 1);
  });
});
