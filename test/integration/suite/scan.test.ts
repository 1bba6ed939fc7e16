// "Pipeline Doctor: Scan Workspace" reports unopened files and skips what users never want scanned.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ScanSummary } from '../../../src/editor/scan';
import { api, closeAll, ours, waitForDiagnostics, wsUri, writeFile, NAIVE_TRAIN } from './helpers';

describe('scan workspace', () => {
  before(async () => {
    await api();
    await closeAll();
    // Created here, not committed: the folder is .gitignore'd in the sample workspace.
    await writeFile('build_out/generated_train.py', NAIVE_TRAIN);
  });

  it('analyses unopened files, skipping virtualenvs, .gitignored and excluded folders', async () => {
    const summary = await vscode.commands.executeCommand<ScanSummary>('pipelineDoctor.scanWorkspace');
    assert.ok(summary, 'the command returns its summary');
    assert.equal(summary.cancelled, false);
    const scanned = new Set(summary.scanned);
    assert.ok(scanned.has('scripts/unopened_train.py'), `scanned: ${summary.scanned.join(', ')}`);
    assert.ok(scanned.has('configs/lightning.yaml'));
    for (const skipped of ['myenv/bin/venv_train.py', 'build_out/generated_train.py', 'excluded/excluded_train.py']) {
      assert.ok(!scanned.has(skipped), `${skipped} must be skipped`);
      assert.equal(ours(wsUri(skipped)).length, 0, `${skipped} has no diagnostics`);
    }
    const unopened = wsUri('scripts/unopened_train.py');
    assert.ok(!vscode.workspace.textDocuments.some((d) => d.uri.toString() === unopened.toString()), 'the file was not opened');
    const [d] = await waitForDiagnostics(unopened, 'LOAD001', 1);
    assert.deepEqual([d.range.start.line, d.range.start.character], [6, 13]);
    assert.ok(summary.findings >= 3);
  });
});
