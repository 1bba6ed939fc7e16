// The quick-fix menu ESLint users know, through the real code action machinery: "Fix all CODE problems
// in this file", "Suppress CODE in this file", "Configure severity of CODE"; Fix All with a notebook
// cell focused; and the edits a careful user accepts (the import in its section, a long call wrapped).
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, closeAll, codeActions, open, ours, readWs, settle, waitFor, waitForDiagnostics, writeFile } from './helpers';

const TWO_LOADERS = `# Trains a model.
import torch
from torch.utils.data import DataLoader, Dataset


class Squares(Dataset):
    def __len__(self):
        return 100

    def __getitem__(self, i):
        return torch.tensor([float(i)]), torch.tensor([float(i * i)])


def train(model, opt):
    loader = DataLoader(Squares(), batch_size=64, shuffle=True)
    for x, y in loader:
        opt.zero_grad()
        model(x, y).backward()
        opt.step()


def finetune(model, opt):
    loader = DataLoader(Squares(), batch_size=16, shuffle=True)
    for x, y in loader:
        opt.zero_grad()
        model(x, y).backward()
        opt.step()


def evaluate(model):
    model.eval()
    val = DataLoader(Squares(), batch_size=64, shuffle=True, num_workers=2)
    with torch.no_grad():
        return sum(float(model(x, y)) for x, y in val)
`;

/** The dataset class and the two training functions: the second cell of a notebook. */
const NOTEBOOK_BODY = TWO_LOADERS.slice(TWO_LOADERS.indexOf('class Squares'), TWO_LOADERS.indexOf('def evaluate')).trimEnd();

const wrapped = (batch: number) => `    loader = DataLoader(
        Squares(),
        batch_size=${batch},
        shuffle=True,
        num_workers=min(8, os.cpu_count() or 1),
        persistent_workers=True,
    )`;

/** The action titled `title` among those offered for the diagnostic, resolved as the lightbulb resolves it. */
async function action(uri: vscode.Uri, range: vscode.Range, title: string): Promise<vscode.CodeAction> {
  const all = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, range, undefined, 100);
  const found = (all ?? []).find((a) => a.title === title);
  assert.ok(found, `"${title}" among: ${(all ?? []).map((a) => a.title).join(' | ')}`);
  return found;
}

describe('quick-fix menu', () => {
  before(async () => {
    await api();
  });
  afterEach(closeAll);

  it('fixes every LOAD001 in the file in one undoable step, leaving other codes alone, and offers it once per code', async () => {
    const uri = await writeFile('menu/fix_all_code.py', TWO_LOADERS);
    const editor = await open(uri);
    const [first] = await waitForDiagnostics(uri, 'LOAD001', 2);
    await waitForDiagnostics(uri, 'EVAL002', 1);
    // Both LOAD001 diagnostics in one request: one "Fix all" for the code.
    const whole = new vscode.Range(0, 0, editor.document.lineCount, 0);
    const titles = (await codeActions(uri, whole)).map((a) => a.title);
    assert.equal(titles.filter((t) => t === 'Fix all LOAD001 problems in this file').length, 1, titles.join(' | '));
    const fixAll = await action(uri, first.range, 'Fix all LOAD001 problems in this file');
    assert.ok(fixAll.edit, 'the edit is computed when the action is resolved');
    assert.ok(await vscode.workspace.applyEdit(fixAll.edit));
    const text = editor.document.getText();
    // The import joins the standard-library section (the file's header comment stays first), and the
    // calls the fix makes longer than 88 columns are wrapped as Black would.
    assert.ok(text.startsWith('# Trains a model.\nimport os\n\nimport torch\n'), text.slice(0, 80));
    assert.ok(text.includes(wrapped(64)) && text.includes(wrapped(16)), text);
    assert.ok(text.includes('val = DataLoader(Squares(), batch_size=64, shuffle=True, num_workers=2)'), 'EVAL002 is not fixed by "Fix all LOAD001"');
    await waitForDiagnostics(uri, 'LOAD001', 0);
    await waitForDiagnostics(uri, 'EVAL002', 1);
    await vscode.window.showTextDocument(editor.document);
    await vscode.commands.executeCommand('undo');
    await waitFor(() => editor.document.getText() === TWO_LOADERS, 'one undo to restore the file');
  });

  it('suppresses a code in the whole file, extending an existing file directive', async () => {
    const uri = await writeFile('menu/suppress_file.py', `#!/usr/bin/env python\n${TWO_LOADERS}`);
    const editor = await open(uri);
    const [d] = await waitForDiagnostics(uri, 'LOAD001', 2);
    const suppress = await action(uri, d.range, 'Suppress LOAD001 in this file');
    assert.ok(suppress.edit && (await vscode.workspace.applyEdit(suppress.edit)));
    assert.equal(editor.document.lineAt(0).text, '#!/usr/bin/env python', 'the shebang stays first');
    assert.equal(editor.document.lineAt(1).text, '# pipeline-doctor: ignore-file[LOAD001]');
    await waitForDiagnostics(uri, 'LOAD001', 0);
    const [e] = await waitForDiagnostics(uri, 'EVAL002', 1);
    const extend = await action(uri, e.range, 'Suppress EVAL002 in this file');
    assert.ok(extend.edit && (await vscode.workspace.applyEdit(extend.edit)));
    assert.equal(editor.document.lineAt(1).text, '# pipeline-doctor: ignore-file[LOAD001, EVAL002]');
    await waitForDiagnostics(uri, 'EVAL002', 0);
  });

  it('configures the severity of a code in the workspace settings from the menu', async () => {
    const uri = await writeFile('menu/severity.py', TWO_LOADERS);
    await open(uri);
    const [d] = await waitForDiagnostics(uri, 'LOAD001', 2);
    assert.equal(d.severity, vscode.DiagnosticSeverity.Warning);
    const configure = await action(uri, d.range, 'Configure severity of LOAD001');
    assert.equal(configure.command?.command, 'pipelineDoctor.configureRuleSeverity');
    assert.deepEqual(configure.command?.arguments?.slice(0, 1), ['LOAD001']);
    const config = () => vscode.workspace.getConfiguration('pipelineDoctor', uri);
    const before = config().inspect<Record<string, string>>('rules')?.workspaceFolderValue;
    try {
      // The menu's command with the severity a user would pick (the pick itself is VS Code's QuickPick).
      assert.equal(await vscode.commands.executeCommand('pipelineDoctor.configureRuleSeverity', 'LOAD001', 'error', uri.toString()), true);
      assert.equal(config().inspect<Record<string, string>>('rules')?.workspaceFolderValue?.LOAD001, 'error');
      await waitFor(() => ours(uri, 'LOAD001').every((x) => x.severity === vscode.DiagnosticSeverity.Error) && ours(uri, 'LOAD001').length === 2, 'LOAD001 shown as errors');
      assert.equal(await vscode.commands.executeCommand('pipelineDoctor.configureRuleSeverity', 'EVAL002', 'off', uri.toString()), true);
      assert.deepEqual(config().inspect<Record<string, string>>('rules')?.workspaceFolderValue, { ...(before ?? {}), LOAD001: 'error', EVAL002: 'off' }, 'other codes are kept');
      await waitForDiagnostics(uri, 'EVAL002', 0);
    } finally {
      await config().update('rules', before, vscode.ConfigurationTarget.WorkspaceFolder);
      await settle();
    }
  });

  it('runs Fix All on the whole notebook when one of its cells is focused', async () => {
    const cells = [
      { cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: ['import torch\n', 'from torch.utils.data import DataLoader, Dataset'] },
      { cell_type: 'code', metadata: {}, execution_count: null, outputs: [], source: NOTEBOOK_BODY.split(/(?<=\n)/) },
    ];
    const rel = 'menu/fix_all.ipynb';
    const uri = await writeFile(rel, JSON.stringify({ cells, metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } }, nbformat: 4, nbformat_minor: 5 }, null, 1));
    const nb = await vscode.workspace.openNotebookDocument(uri);
    await vscode.window.showNotebookDocument(nb);
    const loaderCell = nb.cellAt(1).document;
    await waitForDiagnostics(loaderCell.uri, 'LOAD001', 2);
    await vscode.window.showTextDocument(loaderCell);
    assert.equal(vscode.window.activeTextEditor?.document.uri.toString(), loaderCell.uri.toString(), 'a cell editor is focused');
    assert.equal(await vscode.commands.executeCommand('pipelineDoctor.fixAllSafe'), true);
    assert.ok(nb.cellAt(0).document.getText().startsWith('import os\n\nimport torch'), nb.cellAt(0).document.getText());
    assert.ok(loaderCell.getText().includes(wrapped(64)) && loaderCell.getText().includes(wrapped(16)), loaderCell.getText());
    await waitForDiagnostics(loaderCell.uri, 'LOAD001', 0);
    await nb.save();
    assert.match(await readWs(rel), /num_workers=min\(8, os\.cpu_count\(\) or 1\)/);
  });
});
