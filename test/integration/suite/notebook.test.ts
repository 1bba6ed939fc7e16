// Jupyter notebooks in the notebook editor: the cells are analysed as one program, diagnostics land on
// the cell documents, quick fixes edit the cells they name, and the workspace scan handles notebooks.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ScanSummary } from '../../../src/editor/scan';
import { api, closeAll, codeActions, ours, rangeOf, readWs, settle, waitFor, waitForDiagnostics, wsUri, writeFile } from './helpers';

const NAIVE = 'notebooks/naive.ipynb';
// Cell 0 is markdown, cell 1 the imports (with a %matplotlib magic), cell 2 the loader, cell 3 the loop.
const IMPORT_CELL = 1;
const LOADER_CELL = 2;
const LOADER_LINE = "loader = DataLoader(NpyFiles(['a.npy', 'b.npy']), batch_size=64, shuffle=True)";

async function openNotebook(rel: string): Promise<vscode.NotebookDocument> {
  const nb = await vscode.workspace.openNotebookDocument(wsUri(rel));
  await vscode.window.showNotebookDocument(nb);
  return nb;
}

/** A scratch copy, so edits never touch the committed sample. */
async function copyOfNaive(name: string): Promise<string> {
  const rel = `notebooks/scratch/${name}.ipynb`;
  await writeFile(rel, await readWs(NAIVE));
  return rel;
}

async function closeNotebooks(): Promise<void> {
  // Saving first keeps the close free of a "Save changes?" dialog.
  for (const nb of vscode.workspace.notebookDocuments) if (nb.isDirty) await nb.save();
  await closeAll();
}

function cellCode(nb: vscode.NotebookDocument, code: string): number[] {
  return nb.getCells().map((c) => ours(c.document.uri, code).length);
}

describe('notebooks', () => {
  before(async () => {
    await api();
    await closeAll();
  });
  afterEach(closeNotebooks);

  it('shows findings on the cell that holds them, at the cell-relative position, LOAD001 as info', async () => {
    const nb = await openNotebook(NAIVE);
    assert.equal(nb.notebookType, 'jupyter-notebook');
    const loaderUri = nb.cellAt(LOADER_CELL).document.uri;
    assert.equal(loaderUri.scheme, 'vscode-notebook-cell');
    const [d] = await waitForDiagnostics(loaderUri, 'LOAD001', 1);
    assert.deepEqual(rangeOf(d), [11, 9, 11, 19]);
    assert.equal(d.severity, vscode.DiagnosticSeverity.Information, 'notebooks downgrade LOAD001');
    assert.equal(nb.cellAt(LOADER_CELL).document.lineAt(11).text, LOADER_LINE);
    assert.deepEqual(cellCode(nb, 'LOAD001'), [0, 0, 1, 0], 'only the loader cell carries it');
    // The cell alone is not the program, and the .ipynb file itself gets nothing while the editor shows the cells.
    await settle();
    assert.equal(ours(nb.uri).length, 0);
    const errors = (await api()).logLines().filter((l) => l.startsWith('error'));
    assert.deepEqual(errors, []);
  });

  it('applies the quick fix to the loader cell and the first code cell, and the diagnostic clears', async () => {
    const nb = await openNotebook(await copyOfNaive('quickfix'));
    const loader = nb.cellAt(LOADER_CELL).document;
    const [d] = await waitForDiagnostics(loader.uri, 'LOAD001', 1);
    const actions = await codeActions(loader.uri, d.range);
    const titles = actions.map((a) => a.title);
    const fix = actions.find((a) => a.title.startsWith('Load batches in'));
    assert.ok(fix?.edit, `a fix among: ${titles.join(' | ')}`);
    // Top-level notebook code is not under a __main__ guard, so worker processes are a reviewed change.
    assert.notEqual(fix.isPreferred, true);
    assert.ok(titles.includes('Suppress LOAD001 on this line'), titles.join(' | '));
    assert.ok(titles.includes('Show documentation for LOAD001'), titles.join(' | '));
    const importsBefore = nb.cellAt(IMPORT_CELL).document.getText();
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    // `import os` opens a standard-library section under the magic, and the call, now past 88 columns, is wrapped.
    assert.equal(nb.cellAt(IMPORT_CELL).document.getText(), importsBefore.replace('import numpy as np', 'import os\n\nimport numpy as np'));
    assert.deepEqual(Array.from({ length: 7 }, (_, i) => loader.lineAt(11 + i).text), [
      'loader = DataLoader(',
      "    NpyFiles(['a.npy', 'b.npy']),",
      '    batch_size=64,',
      '    shuffle=True,',
      '    num_workers=min(8, os.cpu_count() or 1),',
      '    persistent_workers=True,',
      ')',
    ]);
    await waitForDiagnostics(loader.uri, 'LOAD001', 0);
    assert.deepEqual(cellCode(nb, 'LOAD001'), [0, 0, 0, 0]);
  });

  it('suppresses a finding with a comment in its cell', async () => {
    const nb = await openNotebook(await copyOfNaive('suppress'));
    const loader = nb.cellAt(LOADER_CELL).document;
    const [d] = await waitForDiagnostics(loader.uri, 'LOAD001', 1);
    const suppress = (await codeActions(loader.uri, d.range)).find((a) => a.title === 'Suppress LOAD001 on this line');
    assert.ok(suppress?.edit);
    assert.ok(await vscode.workspace.applyEdit(suppress.edit));
    assert.equal(loader.lineAt(11).text, `${LOADER_LINE}  # pipeline-doctor: ignore[LOAD001]`);
    await waitForDiagnostics(loader.uri, 'LOAD001', 0);
  });

  it('re-analyses when a cell changes and when cells are added or removed', async () => {
    const nb = await openNotebook(await copyOfNaive('edits'));
    const loader = nb.cellAt(LOADER_CELL).document;
    await waitForDiagnostics(loader.uri, 'LOAD001', 1);
    // Two lines above the loader: the diagnostic follows it.
    const shift = new vscode.WorkspaceEdit();
    shift.insert(loader.uri, new vscode.Position(0, 0), '# data\n\n');
    assert.ok(await vscode.workspace.applyEdit(shift));
    await waitFor(() => ours(loader.uri, 'LOAD001')[0]?.range.start.line === 13, 'LOAD001 to move to line 13');
    // A new cell before the loader moves the finding to the next cell index.
    const insert = new vscode.WorkspaceEdit();
    insert.set(nb.uri, [vscode.NotebookEdit.insertCells(1, [new vscode.NotebookCellData(vscode.NotebookCellKind.Code, 'seed = 0', 'python')])]);
    assert.ok(await vscode.workspace.applyEdit(insert));
    await waitFor(() => cellCode(nb, 'LOAD001').join() === '0,0,0,1,0', `LOAD001 on cell 3 (now ${cellCode(nb, 'LOAD001').join()})`);
    assert.equal(nb.cellAt(3).document.uri.toString(), loader.uri.toString());
    // Without the training loop the loader is not a training loader: the finding goes away.
    const remove = new vscode.WorkspaceEdit();
    remove.set(nb.uri, [vscode.NotebookEdit.deleteCells(new vscode.NotebookRange(4, 5))]);
    assert.ok(await vscode.workspace.applyEdit(remove));
    await waitForDiagnostics(loader.uri, 'LOAD001', 0);
    // Setting workers in the cell's own text is seen too.
    const restore = new vscode.WorkspaceEdit();
    restore.set(nb.uri, [vscode.NotebookEdit.insertCells(4, [new vscode.NotebookCellData(vscode.NotebookCellKind.Code, 'for x in loader:\n    model(x).mean().backward()\n    opt.step()\n    opt.zero_grad()', 'python')])]);
    assert.ok(await vscode.workspace.applyEdit(restore));
    const [d] = await waitForDiagnostics(loader.uri, 'LOAD001', 1);
    const workers = new vscode.WorkspaceEdit();
    workers.replace(loader.uri, new vscode.Range(d.range.start.line, loader.lineAt(d.range.start.line).text.length - 1, d.range.start.line, loader.lineAt(d.range.start.line).text.length - 1), ', num_workers=4');
    assert.ok(await vscode.workspace.applyEdit(workers));
    await waitForDiagnostics(loader.uri, 'LOAD001', 0);
  });

  it('fix-all applies the safe fixes across cells', async () => {
    const notebook = {
      cells: [
        { cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source: ['import torch\n', 'from torch.utils.data import DataLoader, Subset'] },
        {
          cell_type: 'code', execution_count: null, metadata: {}, outputs: [],
          source: ['def train(model, dataset, opt):\n', '    loader = DataLoader(Subset(dataset, range(4096)), batch_size=64, shuffle=True)\n', '    for x, y in loader:\n', '        loss = model(x, y)\n', '        loss.backward()\n', '        opt.step()\n', '        opt.zero_grad()'],
        },
      ],
      metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
      nbformat: 4,
      nbformat_minor: 5,
    };
    await writeFile('notebooks/scratch/fixall.ipynb', JSON.stringify(notebook, null, 1));
    const nb = await openNotebook('notebooks/scratch/fixall.ipynb');
    const cell = nb.cellAt(1).document;
    await waitForDiagnostics(cell.uri, 'LOAD001', 1);
    const [fixAll] = await codeActions(cell.uri, new vscode.Range(0, 0, 0, 0), 'source.fixAll.pipelineDoctor');
    assert.ok(fixAll?.edit, 'a fix-all action');
    assert.ok(await vscode.workspace.applyEdit(fixAll.edit));
    assert.equal(nb.cellAt(0).document.getText(), 'import os\n\nimport torch\nfrom torch.utils.data import DataLoader, Subset');
    assert.match(cell.getText(), /^ {8}num_workers=min\(8, os\.cpu_count\(\) or 1\),$/m);
    await waitForDiagnostics(cell.uri, 'LOAD001', 0);
  });

  it('clears the cell diagnostics when the notebook closes', async () => {
    const nb = await openNotebook(NAIVE);
    const loaderUri = nb.cellAt(LOADER_CELL).document.uri;
    await waitForDiagnostics(loaderUri, 'LOAD001', 1);
    await closeAll();
    await waitFor(() => ours(loaderUri).length === 0, 'the cell diagnostics to clear');
    await settle();
    assert.equal(ours(nb.uri).length, 0, 'no diagnostics move to the file');
  });

  it('the scan gives open notebooks cell diagnostics and unopened ones diagnostics on the file', async () => {
    const nb = await openNotebook(await copyOfNaive('open_during_scan'));
    const loaderUri = nb.cellAt(LOADER_CELL).document.uri;
    await waitForDiagnostics(loaderUri, 'LOAD001', 1);
    const summary = await vscode.commands.executeCommand<ScanSummary>('pipelineDoctor.scanWorkspace');
    assert.ok(summary?.scanned.includes(NAIVE), `scanned: ${summary?.scanned.join(', ')}`);
    await settle();
    assert.equal(ours(loaderUri, 'LOAD001').length, 1);
    assert.equal(ours(nb.uri).length, 0, 'an open notebook keeps its findings on the cells');

    // Unopened: on the JSON string that holds the loader's source line, message naming cell and line.
    const file = wsUri(NAIVE);
    const [d] = await waitForDiagnostics(file, 'LOAD001', 1);
    const lines = (await readWs(NAIVE)).split('\n');
    const line = lines.findIndex((l) => l.includes(JSON.stringify(LOADER_LINE)));
    assert.deepEqual([d.range.start.line, d.range.start.character], [line, lines[line].indexOf('"')]);
    assert.match(d.message, /^cell 3, line 12: /);
  });
});
