// Rule documentation opens inside VS Code: from the command and from a diagnostic's code link.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, closeAll, open, waitFor, waitForDiagnostics, wsUri } from './helpers';

function tabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs);
}

function previewTab(name: string): vscode.Tab | undefined {
  return tabs().find((t) => t.input instanceof vscode.TabInputWebview && t.label.includes(name));
}

describe('rule documentation', () => {
  before(async () => {
    await api();
  });
  afterEach(closeAll);

  it('the command renders the docs as a Markdown preview', async () => {
    const uri = await vscode.commands.executeCommand<vscode.Uri>('pipelineDoctor.showRuleDocumentation', 'LOAD001');
    assert.ok(uri);
    assert.equal(uri.toString(), 'pipeline-doctor-docs:/LOAD001.md');
    const doc = await vscode.workspace.openTextDocument(uri);
    assert.match(doc.getText(), /^# LOAD001: sync-dataloader/);
    assert.match(doc.getText(), /## What it does/);
    await waitFor(() => previewTab('LOAD001.md'), 'a Markdown preview tab for LOAD001.md');
  });

  it("a diagnostic's code target opens the docs inside VS Code", async () => {
    const file = wsUri('train.py');
    await open(file);
    const [d] = await waitForDiagnostics(file, 'LOAD001', 1);
    const target = (d.code as { target: vscode.Uri }).target;
    // What the hover, the peek view and the Problems panel do on a click: open the target URI.
    await vscode.commands.executeCommand('vscode.open', target);
    await waitFor(() => previewTab('LOAD001.md') ?? tabs().find((t) => t.input instanceof vscode.TabInputText && t.input.uri.toString() === target.toString()), 'the docs to be shown');
    const doc = vscode.workspace.textDocuments.find((t) => t.uri.toString() === target.toString());
    assert.ok(doc, 'the docs document is loaded');
    assert.match(doc.getText(), /## Why is this bad\?/);
    assert.ok(doc.getText().includes('Use instead'));
  });

  it('an unknown code gives a helpful page, not an error', async () => {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.parse('pipeline-doctor-docs:/NOPE999.md'));
    assert.match(doc.getText(), /Unknown rule NOPE999/);
    assert.match(doc.getText(), /LOAD001/);
  });
});
