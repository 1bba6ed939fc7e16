// "Re-profile and compare" in the real VS Code: profile a naive loader (real PyTorch on CPU), apply
// LOAD001's quick fix through the code action the editor offers — which then offers to re-profile —
// and run the offered command: the same configuration is rerun and the dashboard gets the measured
// before/after (speed-up with its interval, `num_workers 0 → N`).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import type { ProfileOutcome } from '../../../src/editor/profile';
import type { RunComparison } from '../../../src/shared/run-comparison';
import { api, closeAll, codeActions, open, waitFor, waitForDiagnostics, wsUri } from './helpers';

const REL = 'profiling/verify_naive.py';
const SOURCE = path.resolve(__dirname, '..', '..', '..', '..', 'test', 'runner', 'scripts', 'naive_loader.py');

describe('Re-profile and compare (verify loop)', function () {
  this.timeout(180_000);
  const script = wsUri(REL);

  before(async () => {
    await api();
    await closeAll();
    fs.copyFileSync(SOURCE, script.fsPath);
  });
  after(async () => {
    await closeAll();
    fs.rmSync(script.fsPath, { force: true });
  });

  it('offers to re-profile after the LOAD001 quick fix and shows the measured gain with the num_workers diff', async () => {
    const editor = await open(script);
    const [load] = await waitForDiagnostics(script, 'LOAD001', 1);
    const first = await vscode.commands.executeCommand<ProfileOutcome>('pipelineDoctor.profilePipeline', { script: script.fsPath, mode: 'quick', steps: 20 });
    assert.equal(first.status, 'finished', JSON.stringify(first));
    if (first.status !== 'finished') return;

    // The quick fix, as the light bulb applies it: the edit, then the action's command.
    const actions = await codeActions(script, load.range);
    const fix = actions.find((a) => a.edit && /num_workers/.test(a.title));
    assert.ok(fix?.edit && fix.command, `a LOAD001 fix with a follow-up command among ${actions.map((a) => a.title).join(' | ')}`);
    assert.equal(fix.command.command, 'pipelineDoctor.reprofileAndCompare');
    assert.ok(await vscode.workspace.applyEdit(fix.edit));
    // Not saved: Re-profile and compare saves it, or it would measure the file as it was.
    const offersBefore = (await api()).verify().offers;
    await vscode.commands.executeCommand(fix.command.command, ...(fix.command.arguments ?? []));
    const a = await api();
    assert.equal(a.verify().offers, offersBefore + 1);
    assert.match(a.verify().lastOffer ?? '', /^Applied ".*num_workers.*"\. Measure the change\? Re-profile and compare reruns profiling\/verify_naive\.py as the run of /);

    // What the notification's button runs: the command on the run the finding came from.
    const comparison = await vscode.commands.executeCommand<RunComparison | undefined>('pipelineDoctor.reprofileAndCompare', { runFolder: first.runFolder });
    assert.ok(comparison, `a comparison (${a.profile().lastMessage} / ${(await api()).verify().lastMessage})`);
    assert.equal(editor.document.isDirty, false);
    const workers = Math.min(8, os.cpus().length);
    assert.ok(comparison.configChanges.some((c) => c.setting === 'num_workers' && c.before === '0' && c.after === String(workers)), JSON.stringify(comparison.configChanges));
    assert.equal(comparison.decision, 'faster', comparison.sentence);
    assert.ok(comparison.speedup && comparison.speedup.low > 1, JSON.stringify(comparison.speedup));
    assert.equal(comparison.before.steps, 20);
    assert.equal(comparison.after.steps, 20);
    // The dashboard got the same comparison.
    const shown = await waitFor(() => (a.dashboard().lastComparison?.after.startedAt === comparison.after.startedAt ? a.dashboard().lastComparison : false), 'the comparison in the dashboard', 20_000);
    assert.deepEqual(shown?.configChanges, comparison.configChanges);
    assert.equal(a.dashboard().open, true);
  });

  it('says so when the file was never profiled, and offers nothing after a fix there', async () => {
    const a = await api();
    const offers = a.verify().offers;
    const never = wsUri('train.py');
    await vscode.commands.executeCommand('pipelineDoctor.reprofileAndCompare', { script: never.fsPath, offer: true });
    assert.equal(a.verify().offers, offers);
    await vscode.commands.executeCommand('pipelineDoctor.reprofileAndCompare', { script: never.fsPath });
    assert.match(a.verify().lastMessage ?? '', /^no earlier profile run of train\.py to compare with: run Profile Pipeline first\.$/);
  });
});
