// Quick fixes, suppression, documentation and fix-all through the real code action machinery.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, closeAll, codeActions, open, ours, readWs, settle, waitFor, waitForDiagnostics, wsUri, writeFile, NAIVE_TRAIN } from './helpers';

// The fix as Ruff or Black would leave it: `import os` opens a standard-library section above the
// third-party imports, and the call it makes longer than 88 columns is wrapped one argument a line.
const FIXED_TRAIN = NAIVE_TRAIN
  .replace('import torch\n', 'import os\n\nimport torch\n')
  .replace('    loader = DataLoader(Subset(dataset, range(4096)), batch_size=64, shuffle=True)\n', [
    '    loader = DataLoader(',
    '        Subset(dataset, range(4096)),',
    '        batch_size=64,',
    '        shuffle=True,',
    '        num_workers=min(8, os.cpu_count() or 1),',
    '        persistent_workers=True,',
    '    )',
    '',
  ].join('\n'));

describe('code actions', () => {
  before(async () => {
    await api();
  });
  afterEach(closeAll);

  it('applies the preferred quick fix, clears the diagnostic, and undo restores the file', async () => {
    const uri = await writeFile('actions/quickfix.py', NAIVE_TRAIN);
    const editor = await open(uri);
    const [d] = await waitForDiagnostics(uri, 'LOAD001', 1);
    const actions = await codeActions(uri, d.range);
    const fix = actions.find((a) => a.title.startsWith('Load batches in'));
    assert.ok(fix, `a fix among: ${actions.map((a) => a.title).join(' | ')}`);
    assert.equal(fix.isPreferred, true, 'a safe fix is preferred');
    assert.equal(fix.kind?.value, 'quickfix');
    assert.ok(fix.edit);
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    assert.equal(editor.document.getText(), FIXED_TRAIN);
    await waitForDiagnostics(uri, 'LOAD001', 0);

    await vscode.window.showTextDocument(editor.document);
    await vscode.commands.executeCommand('undo');
    await waitFor(() => editor.document.getText() === NAIVE_TRAIN, 'undo to restore the original text');
    await waitForDiagnostics(uri, 'LOAD001', 1);
  });

  it('offers an unsafe config fix without marking it preferred', async () => {
    const uri = wsUri('configs/lightning.yaml');
    await open(uri);
    const [d] = await waitForDiagnostics(uri, 'LOAD001', 1);
    const actions = await codeActions(uri, d.range);
    const fix = actions.find((a) => a.title.startsWith('Set num_workers to 8'));
    assert.ok(fix, `a fix among: ${actions.map((a) => a.title).join(' | ')}`);
    assert.notEqual(fix.isPreferred, true);
  });

  it('suppresses a finding on its line with a comment, and extends an existing directive', async () => {
    const uri = await writeFile('actions/suppress.py', NAIVE_TRAIN);
    const editor = await open(uri);
    const [d] = await waitForDiagnostics(uri, 'LOAD001', 1);
    const suppress = (await codeActions(uri, d.range)).find((a) => a.title === 'Suppress LOAD001 on this line');
    assert.ok(suppress?.edit);
    assert.ok(await vscode.workspace.applyEdit(suppress.edit));
    assert.equal(editor.document.lineAt(6).text, '    loader = DataLoader(Subset(dataset, range(4096)), batch_size=64, shuffle=True)  # pipeline-doctor: ignore[LOAD001]');
    await waitForDiagnostics(uri, 'LOAD001', 0);

    const other = await writeFile('actions/suppress_other.py', NAIVE_TRAIN.replace('shuffle=True)', 'shuffle=True)  # pipeline-doctor: ignore[PREP001]'));
    const editor2 = await open(other);
    const [d2] = await waitForDiagnostics(other, 'LOAD001', 1);
    const extend = (await codeActions(other, d2.range)).find((a) => a.title === 'Suppress LOAD001 on this line');
    assert.ok(extend?.edit);
    assert.ok(await vscode.workspace.applyEdit(extend.edit));
    assert.match(editor2.document.lineAt(6).text, /# pipeline-doctor: ignore\[PREP001, LOAD001\]$/);
    await waitForDiagnostics(other, 'LOAD001', 0);
  });

  it('suppresses in YAML with #, and offers no suppression in plain JSON', async () => {
    const yaml = await writeFile('actions/lightning_copy.yaml', await readWs('configs/lightning.yaml'));
    const editor = await open(yaml);
    const [d] = await waitForDiagnostics(yaml, 'LOAD001', 1);
    const suppress = (await codeActions(yaml, d.range)).find((a) => a.title === 'Suppress LOAD001 on this line');
    assert.ok(suppress?.edit);
    assert.ok(await vscode.workspace.applyEdit(suppress.edit));
    assert.equal(editor.document.lineAt(8).text, '  num_workers: 0  # pipeline-doctor: ignore[LOAD001]');
    await waitForDiagnostics(yaml, 'LOAD001', 0);

    const json = wsUri('configs/hf_training_args.json');
    await open(json);
    const [j] = await waitForDiagnostics(json, 'LOAD001', 1);
    const titles = (await codeActions(json, j.range)).map((a) => a.title);
    assert.ok(!titles.some((t) => t.startsWith('Suppress')), `no suppression in JSON: ${titles.join(' | ')}`);
    assert.ok(titles.includes('Show documentation for LOAD001'));
  });

  it('offers "Show documentation" that runs the docs command', async () => {
    const uri = wsUri('train.py');
    await open(uri);
    const [d] = await waitForDiagnostics(uri, 'LOAD001', 1);
    const docs = (await codeActions(uri, d.range)).find((a) => a.title === 'Show documentation for LOAD001');
    assert.ok(docs?.command);
    assert.equal(docs.command.command, 'pipelineDoctor.showRuleDocumentation');
    assert.deepEqual(docs.command.arguments, ['LOAD001']);
  });

  it('source.fixAll.pipelineDoctor applies safe fixes only', async () => {
    const original = await readWs('mixed_fixes.py');
    const uri = await writeFile('actions/mixed_fixes.py', original);
    const editor = await open(uri);
    await waitForDiagnostics(uri, 'LOAD001', 2);
    const all = new vscode.Range(0, 0, editor.document.lineCount, 0);
    const actions = await codeActions(uri, all, 'source.fixAll.pipelineDoctor');
    assert.equal(actions.length, 1, `one fix-all action: ${actions.map((a) => a.title).join(' | ')}`);
    assert.equal(actions[0].kind?.value, 'source.fixAll.pipelineDoctor');
    assert.ok(actions[0].edit);
    assert.ok(await vscode.workspace.applyEdit(actions[0].edit));
    const text = editor.document.getText();
    assert.match(text, /DataLoader\(\s*Subset\(dataset, range\(4096\)\),\s*batch_size=64,\s*num_workers=min\(8, os\.cpu_count\(\) or 1\),\s*persistent_workers=True,?\s*\)/, 'the safe fix (loader inside a function) is applied');
    assert.match(text, /module_loader = DataLoader\(dataset, batch_size=32\)\n/, 'the unsafe fix (module-level loader) is not');
    assert.equal(text.match(/^import os$/gm)?.length, 1);
    const [left] = await waitForDiagnostics(uri, 'LOAD001', 1);
    assert.equal(left.range.start.line, 8, 'only the module-level loader is still reported (two lines down: import os and a blank line)');

    // A second fix-all has nothing safe left to do.
    assert.equal((await codeActions(uri, all, 'source.fixAll.pipelineDoctor')).length, 0);
  });

  it('"Fix All Safe Problems in File" fixes the active editor in one undo step', async () => {
    const uri = await writeFile('actions/fix_all_command.py', NAIVE_TRAIN);
    const editor = await open(uri);
    await waitForDiagnostics(uri, 'LOAD001', 1);
    assert.equal(await vscode.commands.executeCommand('pipelineDoctor.fixAllSafe'), true);
    assert.equal(editor.document.getText(), FIXED_TRAIN);
    await waitForDiagnostics(uri, 'LOAD001', 0);
    await vscode.commands.executeCommand('undo');
    await waitFor(() => editor.document.getText() === NAIVE_TRAIN, 'one undo to restore the original');
    await settle();
    assert.equal(ours(uri, 'LOAD001').length, 1);
  });
});
