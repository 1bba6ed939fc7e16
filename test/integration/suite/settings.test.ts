// Settings are read through src/editor/config.ts and applied live to open documents.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, closeAll, open, ours, settle, updateSetting, waitForDiagnostics, wsUri } from './helpers';

describe('settings', () => {
  before(async () => {
    await api();
  });
  afterEach(async () => {
    await updateSetting('rules', undefined);
    await updateSetting('enable', undefined);
    await updateSetting('maxFileSizeMB', undefined);
    await closeAll();
  });

  it('a rule set to "off" stays silent, and comes back when reset', async () => {
    const uri = wsUri('train.py');
    await open(uri);
    await waitForDiagnostics(uri, 'LOAD001', 1);
    await updateSetting('rules', { LOAD001: 'off' });
    await waitForDiagnostics(uri, 'LOAD001', 0);
    // A file opened while the rule is off is silent too.
    const yaml = wsUri('configs/lightning.yaml');
    await open(yaml);
    await settle();
    assert.equal(ours(yaml, 'LOAD001').length, 0);
    await updateSetting('rules', undefined);
    await waitForDiagnostics(uri, 'LOAD001', 1);
  });

  it('a per-rule severity changes the diagnostic severity', async () => {
    const uri = wsUri('train.py');
    await open(uri);
    await waitForDiagnostics(uri, 'LOAD001', 1);
    await updateSetting('rules', { LOAD001: 'error' });
    await settle();
    const [d] = await waitForDiagnostics(uri, 'LOAD001', 1);
    assert.equal(d.severity, vscode.DiagnosticSeverity.Error);
  });

  it('pipelineDoctor.enable=false clears everything', async () => {
    const uri = wsUri('train.py');
    await open(uri);
    await waitForDiagnostics(uri, 'LOAD001', 1);
    await updateSetting('enable', false);
    await waitForDiagnostics(uri, 'LOAD001', 0);
    await updateSetting('enable', undefined);
    await waitForDiagnostics(uri, 'LOAD001', 1);
  });

  it('pipelineDoctor.maxFileSizeMB skips larger files', async () => {
    const uri = wsUri('train.py');
    await open(uri);
    await waitForDiagnostics(uri, 'LOAD001', 1);
    await updateSetting('maxFileSizeMB', 0.0001);
    await waitForDiagnostics(uri, 'LOAD001', 0);
  });
});
