import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import os from 'node:os';
import { analyze, analyzeFile, analyzeNotebookCells } from '../../src/analyzers';
import { NotebookProgram, parseNotebook } from '../../src/analyzers/notebook/notebook';

const EXAMPLE = path.resolve(__dirname, '../../../examples/notebooks/naive_training.ipynb');

describe('notebooks', () => {
  it('joins code cells in order, comments out magics, and maps lines back to cells', () => {
    const cells = parseNotebook(fs.readFileSync(EXAMPLE, 'utf8'));
    const program = new NotebookProgram(cells);
    assert.match(program.text, /^#matplotlib inline$/m);
    assert.match(program.text, /^#nvidia-smi$/m);
    assert.doesNotMatch(program.text, /Fine-tuning/);
    const loaderLine = program.text.split('\n').findIndex((l) => l.startsWith('loader = '));
    assert.deepEqual(program.toCell({ line: loaderLine, character: 9 }), { cell: 3, position: { line: 0, character: 9 } });
  });

  it('finds problems across cells, in the right cell and line, with LOAD001 downgraded to info', async () => {
    const { findings, notices } = await analyze(EXAMPLE, fs.readFileSync(EXAMPLE, 'utf8'));
    assert.deepEqual(notices, []);
    const load001 = findings.find((f) => f.code === 'LOAD001')!;
    assert.equal(load001.severity, 'info');
    assert.equal(load001.cell, 3);
    assert.deepEqual(load001.range.start, { line: 0, character: 9 });
    const load005 = findings.find((f) => f.code === 'LOAD005');
    assert.ok(load005, 'batch_size=1 in the training loader is found through the loop in the next cell');
    assert.equal(load005.cell, 3);
    // The fix's edits name their cells: the import goes to the first code cell, the arguments to cell 3.
    const edits = load001.fixes[0].edits;
    assert.deepEqual([...new Set(edits.map((e) => e.cell))].sort(), [1, 3]);
  });

  it('accepts live cells from the editor and reports malformed notebooks once', async () => {
    const live = await analyzeNotebookCells('nb.ipynb', [
      { kind: 'code', source: 'from torch.utils.data import DataLoader\nloader = DataLoader(ds, batch_size=64)' },
      { kind: 'markdown', source: '# loop' },
      { kind: 'code', source: 'for b in loader:\n    model(b).backward()\n    opt.step()' },
    ]);
    assert.deepEqual(live.findings.filter((f) => f.code === 'LOAD001').map((f) => [f.cell, f.range.start.line]), [[0, 1]]);
    for (const bad of ['{not json', '{"nbformat": 4}']) {
      const r = await analyze('bad.ipynb', bad);
      assert.equal(r.notices.length, 1);
      assert.deepEqual(r.findings, []);
    }
  });

  it('reports a syntax error at its cell and its line within the cell', async () => {
    const r = await analyzeNotebookCells('nb.ipynb', [
      { kind: 'code', source: 'import torch\nx = 1' },
      { kind: 'markdown', source: '# notes' },
      { kind: 'code', source: 'y = 2\ndef broken(:\n    pass' },
    ]);
    assert.equal(r.notices.length, 1);
    const [n] = r.notices;
    assert.equal(n.kind, 'syntax');
    assert.deepEqual([n.cell, n.line], [2, 1]);
    assert.match(n.message, /^syntax error at line 2 of cell 3:/);
    assert.doesNotMatch(n.message, /line 4/, 'the concatenated program\'s line is not shown');
  });

  it('takes % and ! for a magic only where a statement starts, and follows a shell escape over its backslashes', async () => {
    // Both seen in public notebooks: `%` formatting continuing an open print(...), and a multi-line `!` command.
    const cells = [
      { kind: 'code' as const, source: '%matplotlib inline\nimport torch' },
      { kind: 'code' as const, source: 'for epoch in range(2):\n    print("Epoch %03d/%03d"\n          %(epoch+1, 2))\n    x = (10\n% 3)' },
      { kind: 'code' as const, source: '!tensorboard dev upload --logdir ./logs/ \\\n  --name "a b" \\\n  --one_shot\nx = 1 \\\n    % 2\ns = """\n%not a magic\n"""' },
      { kind: 'code' as const, source: 'y = 2\n!ls -l\n%time y' },
    ];
    const r = await analyzeNotebookCells('nb.ipynb', cells);
    assert.deepEqual(r.notices, []);
    const program = new NotebookProgram(cells);
    assert.deepEqual(program.text.split('\n').filter((l) => /^\s*#/.test(l)), [
      '#matplotlib inline', '#tensorboard dev upload --logdir ./logs/ \\', '  #-name "a b" \\', '  #-one_shot', '#ls -l', '#time y',
    ]);
  });

  it('does not parse the bodies of %%bash, %%html, %%writefile... cells as Python, but does parse %%time bodies', async () => {
    for (const magic of ['%%bash', '%%sh', '%%html', '%%javascript', '%%writefile setup.sh', '%%script bash']) {
      const body = 'for f in *; do echo "$f"; done\nif [ -f x ]; then rm x; fi\n<div class="a">{{ x }}</div>';
      const r = await analyzeNotebookCells('nb.ipynb', [
        { kind: 'code', source: 'import torch' },
        { kind: 'code', source: `${magic}\n${body}` },
        { kind: 'code', source: 'x = 1' },
      ]);
      assert.deepEqual(r.notices, [], magic);
    }
    // %%time and %%capture run their body as Python: a syntax error there is still reported, in its cell.
    for (const magic of ['%%time', '%%capture out']) {
      const r = await analyzeNotebookCells('nb.ipynb', [{ kind: 'code', source: 'import torch' }, { kind: 'code', source: `${magic}\ndef broken(:\n    pass` }]);
      assert.deepEqual(r.notices.map((n) => [n.kind, n.cell, n.line]), [['syntax', 1, 1]], magic);
    }
    const program = new NotebookProgram([{ kind: 'code', source: '%%bash\n  echo hi' }]);
    assert.equal(program.text, '#%bash\n  #cho hi', 'columns stay where they were');
  });

  it('sizes the limit on the code cells, not on embedded outputs', async () => {
    const cell = (source: string, outputs: unknown[] = []) => ({ cell_type: 'code', metadata: {}, execution_count: 1, source, outputs });
    const image = { output_type: 'display_data', metadata: {}, data: { 'image/png': 'iVBORw0KGgo'.repeat(300_000) } };
    const notebook = (cells: unknown[]) => JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-nb-size-'));
    try {
      const plots = path.join(dir, 'plots.ipynb');
      fs.writeFileSync(plots, notebook([
        cell('from torch.utils.data import DataLoader\nloader = DataLoader(ds, batch_size=64)', [image]),
        cell('for b in loader:\n    model(b).backward()\n    opt.step()', [image]),
      ]));
      const limit = 2 * 1024 * 1024;
      assert.ok(fs.statSync(plots).size > limit, 'the outputs make the file larger than the limit');
      const r = await analyzeFile(plots, { maxFileBytes: limit });
      assert.deepEqual(r.notices.filter((n) => n.kind === 'too-large'), []);
      assert.deepEqual(r.findings.filter((f) => f.code === 'LOAD001').map((f) => f.cell), [0]);

      const generated = path.join(dir, 'generated.ipynb');
      fs.writeFileSync(generated, notebook([cell(`x = [${'1, '.repeat(400_000)}]`)]));
      const big = await analyzeFile(generated, { maxFileBytes: 1024 * 1024 });
      assert.deepEqual(big.notices.map((n) => n.kind), ['too-large']);
      assert.match(big.notices[0].message, /code cells hold 1\.1 MB/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
