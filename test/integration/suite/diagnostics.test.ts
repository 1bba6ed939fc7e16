// Diagnostics in the real editor: code, range, severity, docs link, related info, live updates.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, closeAll, open, ours, rangeOf, settle, waitForDiagnostics, wsUri, writeFile, NAIVE_TRAIN } from './helpers';

describe('diagnostics', () => {
  before(async () => {
    await api();
  });
  afterEach(closeAll);

  it('reports LOAD001 on the DataLoader of a naive training script', async () => {
    const uri = wsUri('train.py');
    await open(uri);
    const [d] = await waitForDiagnostics(uri, 'LOAD001', 1);
    assert.deepEqual(rangeOf(d), [6, 13, 6, 23]);
    assert.equal(d.severity, vscode.DiagnosticSeverity.Warning);
    assert.equal(d.source, 'pipeline-doctor');
    assert.match(d.message, /Training DataLoader has no num_workers/);
    assert.ok(typeof d.code === 'object', 'code carries a target');
    const target = (d.code as { value: string | number; target: vscode.Uri }).target;
    assert.equal(target.scheme, 'pipeline-doctor-docs');
    assert.equal(target.path, '/LOAD001.md');
    const related = d.relatedInformation ?? [];
    assert.ok(related.length >= 1, 'the consuming loop is related information');
    assert.equal(related[0].location.uri.toString(), uri.toString());
    assert.equal(related[0].location.range.start.line, 7);
    assert.match(related[0].message, /consumed here/);
  });

  it('reports LOAD001 in a Lightning CLI YAML and an HF TrainingArguments JSON', async () => {
    const yaml = wsUri('configs/lightning.yaml');
    await open(yaml);
    const [y] = await waitForDiagnostics(yaml, 'LOAD001', 1);
    assert.deepEqual(rangeOf(y), [8, 15, 8, 16]);
    const json = wsUri('configs/hf_training_args.json');
    await open(json);
    const [j] = await waitForDiagnostics(json, 'LOAD001', 1);
    assert.equal(j.range.start.line, 6);
  });

  it('updates on change, with incremental re-parsing keeping ranges right', async () => {
    const uri = await writeFile('live/edit_me.py', NAIVE_TRAIN);
    const editor = await open(uri);
    await waitForDiagnostics(uri, 'LOAD001', 1);
    await settle();
    const before = (await api()).analysisCounts();
    // Several separate edits above the finding, each replayed on the previous tree.
    for (let i = 0; i < 3; i++) {
      await editor.edit((b) => b.insert(new vscode.Position(1, 0), `# note ${i}\n`));
    }
    await settle();
    const [moved] = await waitForDiagnostics(uri, 'LOAD001', 1);
    assert.deepEqual(rangeOf(moved), [9, 13, 9, 23]);
    // Typing the argument character by character, as a user would.
    const line = editor.document.lineAt(9).text;
    const at = line.indexOf('shuffle=True') + 'shuffle=True'.length;
    for (const ch of ', num_workers=4') {
      await editor.edit((b) => b.insert(new vscode.Position(9, at + editor.document.lineAt(9).text.slice(at).indexOf(')')), ch));
    }
    await settle();
    await waitForDiagnostics(uri, 'LOAD001', 0);
    assert.match(editor.document.lineAt(9).text, /shuffle=True, num_workers=4\)/);
    const after = (await api()).analysisCounts();
    const runs = after.analyses - before.analyses;
    assert.ok(runs >= 1, 'the edits were analysed');
    // 18 edits made back to back: the 200 ms debounce folds them into a few analyses.
    assert.ok(runs <= 6, `debounced: ${runs} analyses for 18 edits`);
    assert.equal(after.incremental - before.incremental, runs, 'every re-analysis after an edit reused the previous tree');
  });

  it('clears diagnostics when a file that was not scanned is closed', async () => {
    const uri = await writeFile('live/close_me.py', NAIVE_TRAIN);
    await open(uri);
    await waitForDiagnostics(uri, 'LOAD001', 1);
    await closeAll();
    await waitForDiagnostics(uri, 'LOAD001', 0);
  });

  it('analyses on save', async () => {
    const uri = await writeFile('live/save_me.py', NAIVE_TRAIN);
    const editor = await open(uri);
    await waitForDiagnostics(uri, 'LOAD001', 1);
    await editor.edit((b) => b.replace(new vscode.Range(6, 0, 6, editor.document.lineAt(6).text.length), '    loader = DataLoader(dataset, batch_size=64, num_workers=8)'));
    await editor.document.save();
    // Other rules may still have something to say about this loader; LOAD001 must be gone.
    await waitForDiagnostics(uri, 'LOAD001', 0);
  });

  it('leaves files matched by pipelineDoctor.exclude alone', async () => {
    const uri = wsUri('excluded/excluded_train.py');
    await open(uri);
    await settle();
    assert.deepEqual(ours(uri), []);
  });
});
