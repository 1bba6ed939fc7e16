// "Profile Pipeline" in the real VS Code: the sample input-bound script is run under the bundled runner
// with /usr/bin/python3 (torch on CPU; the workspace's .vscode/settings.json names the interpreter),
// and the result shows up where the user works: a runtime diagnostic at the DataLoader's line with the
// measured figures, the verdict in the status bar, the dashboard on the new run.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { ProfileOutcome } from '../../../src/editor/profile';
import { api, closeAll, codeOf, open, waitFor, waitForDiagnostics, wsUri } from './helpers';

const RUNTIME_SOURCE = 'pipeline-doctor profile';
const SCRIPT = 'profiling/input_bound.py';
/** 0-based line of `loader = DataLoader(...)` in the sample script. */
const DATALOADER_LINE = 21;

function runtimeDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === RUNTIME_SOURCE);
}

describe('Profile Pipeline', function () {
  // torch import + 10 warm-up + 20 measured + 20 control steps of ~13 ms: a few seconds; generous for CI.
  this.timeout(120_000);
  let outcome: ProfileOutcome;
  const script = wsUri(SCRIPT);

  before(async () => {
    await api();
    await closeAll();
    // The static LOAD001 first, so the test can check the runtime diagnostics leave it alone.
    await open(script);
    await waitForDiagnostics(script, 'LOAD001', 1);
    const spawnedBefore = (await api()).profile().spawned;
    outcome = await vscode.commands.executeCommand<ProfileOutcome>('pipelineDoctor.profilePipeline', { script: script.fsPath, mode: 'quick', steps: 20 });
    const a = await api();
    assert.equal(a.profile().spawned, spawnedBefore + 1, `one harness process was spawned: ${JSON.stringify(outcome)} ${a.profile().lastMessage}`);
  });
  after(closeAll);

  it('finishes with the input-bound verdict and writes the run where the CLI does', () => {
    assert.equal(outcome.status, 'finished', JSON.stringify(outcome));
    if (outcome.status !== 'finished') return;
    assert.equal(outcome.verdict, 'highly-input-bound');
    assert.equal(outcome.ended, 'stopped-after-quick');
    const runs = wsUri('.pipeline-doctor/runs').fsPath;
    assert.equal(path.dirname(outcome.runFolder), runs);
    assert.ok(fs.existsSync(path.join(outcome.runFolder, 'summary.json')));
    assert.match(fs.readFileSync(wsUri('.pipeline-doctor/.gitignore').fsPath, 'utf8'), /^\*$/m);
  });

  it('shows the runtime finding at the DataLoader line with the measured figures, beside the static one', async () => {
    const diags = await waitFor(() => runtimeDiagnostics(script).length > 0 && runtimeDiagnostics(script), 'runtime diagnostics');
    const load = diags.find((d) => codeOf(d) === 'LOAD001');
    assert.ok(load, `runtime LOAD001 among ${diags.map(codeOf).join(', ')}`);
    assert.equal(load.range.start.line, DATALOADER_LINE);
    assert.equal(load.severity, vscode.DiagnosticSeverity.Warning);
    assert.match(load.message, /^Highly input-bound: \d+% of each step waits for data/);
    assert.match(load.message, /a step takes [\d.]+ ms, [\d.]+ ms of it in the loader/);
    assert.match(load.message, /num_workers=0/);
    assert.equal((load.code as { target: vscode.Uri }).target.toString(), 'pipeline-doctor-docs:/LOAD001.md');
    // The data-free control ran too (quick mode), and its RUN code links to docs that exist.
    const control = diags.find((d) => codeOf(d) === 'RUN003');
    assert.ok(control, 'RUN003 (data-free control)');
    const docs = await vscode.workspace.openTextDocument((control.code as { target: vscode.Uri }).target);
    assert.match(docs.getText(), /^# RUN003: data-free-control/);
    assert.match(docs.getText(), /## When it is reported\n\nData-free control: replaying one batch/);
    // The static diagnostics are a separate collection: still there, unchanged.
    const staticOnes = vscode.languages.getDiagnostics(script).filter((d) => d.source === 'pipeline-doctor');
    assert.deepEqual(staticOnes.map(codeOf), ['LOAD001']);
  });

  it('puts the verdict in the status bar and opens the dashboard on the run', async () => {
    const a = await api();
    assert.match(a.profile().statusText ?? '', /Input-bound \d+%/);
    assert.match(a.profile().lastMessage ?? '', /^Highly input-bound: \d+% of each step waits for data$/);
    await waitFor(() => a.dashboard().open, 'the dashboard panel to open');
    const tab = vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.includes('pipelineDoctor.dashboard'));
    assert.ok(tab, 'a dashboard webview tab');
    assert.equal(tab.label, 'Pipeline Doctor');
  });

  it('Stop Profiling on a full run: "stopped by you" with the verdict of the steps measured, not a failure', async () => {
    const a = await api();
    const runs = wsUri('.pipeline-doctor/runs').fsPath;
    const earlier = new Set(fs.readdirSync(runs));
    assert.equal(await vscode.commands.executeCommand('pipelineDoctor.stopProfiling'), false, 'nothing to stop before a run');
    const pending = Promise.resolve(vscode.commands.executeCommand<ProfileOutcome>('pipelineDoctor.profilePipeline', { script: script.fsPath, mode: 'full' }));
    // Steps reach the run folder once a second: wait for two flushes, well past the 10 warm-up steps.
    const steps = await waitFor(() => {
      const run = fs.readdirSync(runs).find((n) => !earlier.has(n));
      const file = run && path.join(runs, run, 'steps.arrow');
      return file && fs.existsSync(file) && fs.statSync(file).size > 0 && file;
    }, 'the full run to record steps', 60_000);
    const first = fs.statSync(steps).size;
    await waitFor(() => fs.statSync(steps).size > first, 'more steps to be recorded', 60_000);
    assert.equal(await vscode.commands.executeCommand('pipelineDoctor.stopProfiling'), true);
    const stopped = await pending;
    assert.equal(stopped.status, 'finished', JSON.stringify(stopped));
    if (stopped.status !== 'finished') return;
    assert.equal(stopped.ended, 'cancelled');
    assert.equal(stopped.verdict, 'highly-input-bound');
    const message = a.profile().lastMessage ?? '';
    assert.match(message, /^Highly input-bound: \d+% of each step waits for data \u2014 stopped by you after \d+ measured steps$/);
    assert.doesNotMatch(message, /failed/);
    assert.match(a.profile().statusText ?? '', /^\$\(warning\) Input-bound \d+% \(stopped\)$/);
    assert.doesNotMatch(a.profile().statusText ?? '', /failed/);
    // The summary on disk says the same: a measured verdict, no error.
    const summary = JSON.parse(fs.readFileSync(path.join(stopped.runFolder, 'summary.json'), 'utf8')) as { verdict: string; error?: string; steps: number };
    assert.equal(summary.verdict, 'highly-input-bound');
    assert.equal(summary.error, undefined);
    assert.ok(summary.steps > 0);
    // The runtime finding comes from the steps measured before the stop.
    await waitFor(() => runtimeDiagnostics(script).some((d) => codeOf(d) === 'LOAD001'), 'the runtime LOAD001 of the stopped run');
  });

  it('rejects a malformed argument without spawning anything', async () => {
    const a = await api();
    const before = a.profile().spawned;
    const refused = await vscode.commands.executeCommand<ProfileOutcome>('pipelineDoctor.profilePipeline', { script: SCRIPT, mode: 'fast' });
    assert.equal(refused.status, 'refused');
    assert.equal(a.profile().spawned, before);
  });

  it('a script that crashes gives a failed verdict and a clear message, not an exception', async () => {
    const a = await api();
    const crash = wsUri('profiling/crash.py');
    await vscode.workspace.fs.writeFile(crash, new TextEncoder().encode('raise SystemExit("dataset not found: /nope")\n'));
    const result = await vscode.commands.executeCommand<ProfileOutcome>('pipelineDoctor.profilePipeline', { script: crash.fsPath, steps: 5 });
    assert.equal(result.status, 'finished');
    if (result.status !== 'finished') return;
    assert.equal(result.verdict, 'failed');
    assert.match(a.profile().lastMessage ?? '', /^The run failed: /);
    assert.match(a.profile().statusText ?? '', /Profile failed/);
    // A failed run makes no runtime findings: the previous run's are replaced.
    assert.equal(runtimeDiagnostics(script).length, 0);
  });
});
