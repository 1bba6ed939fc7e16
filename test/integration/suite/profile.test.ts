// "Profile Pipeline" in the real VS Code: the sample input-bound script is run under the bundled runner
// with /usr/bin/python3 (torch on CPU; the workspace's .vscode/settings.json names the interpreter),
// and the result shows up where the user works: a runtime diagnostic at the DataLoader's line with the
// measured figures, the verdict in the status bar, the dashboard on the new run.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { ProfileOutcome } from '../../../src/editor/profile';
import { api, closeAll, codeOf, open, waitFor, waitForDiagnostics, writeFile, wsUri } from './helpers';

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

  it('joins the measured LOAD001 to the static one at the DataLoader line: one diagnostic, figures in words', async () => {
    const diags = await waitFor(() => runtimeDiagnostics(script).length > 0 && runtimeDiagnostics(script), 'runtime diagnostics');
    // One diagnostic per code and location: no runtime LOAD001 beside the static one.
    assert.ok(!diags.some((d) => codeOf(d) === 'LOAD001'), `runtime ${diags.map(codeOf).join(', ')}`);
    const load = await waitFor(() => vscode.languages.getDiagnostics(script).find((d) => codeOf(d) === 'LOAD001' && /Measured/.test(d.message)), 'the joined LOAD001');
    assert.equal(vscode.languages.getDiagnostics(script).filter((d) => codeOf(d) === 'LOAD001').length, 1);
    assert.equal(load.source, 'pipeline-doctor');
    assert.equal(load.range.start.line, DATALOADER_LINE);
    assert.equal(load.severity, vscode.DiagnosticSeverity.Warning);
    assert.match(load.message, /Measured in the last profile run: Highly input-bound: \d+% of each step waits for data/);
    assert.match(load.message, /a step takes [\d.]+ ms, [\d.]+ ms of it in the loader/);
    assert.match(load.message, /num_workers=0/);
    // Plain words only: no key dump of the figures, no command-line advice inside the editor.
    assert.doesNotMatch(load.message, /inputShare|stepMsP50|dataWaitMsP50|--mode|--\w/);
    assert.equal((load.code as { target: vscode.Uri }).target.toString(), 'pipeline-doctor-docs:/LOAD001.md');
    // The data-free control ran too (quick mode), and its RUN code links to docs that exist.
    const control = diags.find((d) => codeOf(d) === 'RUN003');
    assert.ok(control, 'RUN003 (data-free control)');
    const docs = await vscode.workspace.openTextDocument((control.code as { target: vscode.Uri }).target);
    assert.match(docs.getText(), /^# RUN003: data-free-control/);
    assert.match(docs.getText(), /## When it is reported\n\nData-free control: replaying one batch/);
    assert.doesNotMatch(control.message, /computeOnlyStepMs|boundFromSplit/);
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

  it('a second run while the dashboard is hidden: the dashboard comes back on the new run, the status bar says "Profiling…" meanwhile', async () => {
    const a = await api();
    const first = outcome;
    if (first.status !== 'finished') assert.fail(JSON.stringify(first));
    const firstId = path.basename(first.runFolder);
    await waitFor(() => a.dashboard().shownRunId === firstId && firstId, 'the dashboard on the first run');
    // Another tab in the dashboard's group hides it: VS Code discards the hidden webview's page.
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(script), { viewColumn: vscode.ViewColumn.Active, preview: false });
    await waitFor(() => !vscode.window.tabGroups.activeTabGroup.activeTab?.label.includes('Pipeline Doctor') && true, 'the script tab in front of the dashboard');
    const statuses = new Set<string>();
    const poll = setInterval(() => statuses.add(a.profile().statusText ?? ''), 20);
    const second = await vscode.commands.executeCommand<ProfileOutcome>('pipelineDoctor.profilePipeline', { script: script.fsPath, mode: 'quick', steps: 20 });
    clearInterval(poll);
    assert.equal(second.status, 'finished', JSON.stringify(second));
    if (second.status !== 'finished') return;
    const id = path.basename(second.runFolder);
    assert.notEqual(id, firstId);
    // The page reloads, says `ready`, and must turn to the new run, not the one its saved state names.
    await waitFor(() => a.dashboard().shownRunId === id, `the dashboard on the new run ${id} (shows ${a.dashboard().shownRunId})`, 20_000);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(a.dashboard().shownRunId, id, 'and it stays there');
    assert.ok(a.dashboard().listedRuns.includes('profiling/input_bound.py'), a.dashboard().listedRuns.join(', '));
    outcome = second;
    assert.ok(statuses.has('$(sync~spin) Profiling\u2026'), `status bar during the run: ${[...statuses].join(' | ')}`);
    assert.match(a.profile().statusText ?? '', /Input-bound \d+%/);
  });

  it('an edit on the DataLoader line drops the measurement there, and the status bar the old verdict', async () => {
    const a = await api();
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(script), { viewColumn: vscode.ViewColumn.Active, preview: false });
    try {
      const lineEnd = editor.document.lineAt(DATALOADER_LINE).range.end;
      const call = editor.document.lineAt(DATALOADER_LINE).text.lastIndexOf(')');
      assert.ok(await editor.edit((e) => e.insert(new vscode.Position(DATALOADER_LINE, call), ', num_workers=2')), 'the edit applies');
      assert.ok(lineEnd.character > 0);
      await waitFor(() => !vscode.languages.getDiagnostics(script).some((d) => /Measured|num_workers=0/.test(d.message) && d.range.start.line === DATALOADER_LINE) && true,
        `no measured num_workers=0 left at the edited line: ${vscode.languages.getDiagnostics(script).map((d) => `${codeOf(d)}:${d.range.start.line} ${d.message}`).join(' | ')}`);
      assert.ok(!runtimeDiagnostics(script).some((d) => d.range.start.line === DATALOADER_LINE), 'no runtime diagnostic on the edited line');
      assert.equal(a.profile().statusText, '$(history) Profile outdated');
      // The dashboard on that run lists what the run measured, not the edited script's static findings
      // (this line earns one, after the run).
      assert.ok(await editor.edit((e) => e.insert(new vscode.Position(DATALOADER_LINE - 2, 0), '    torch.autograd.set_detect_anomaly(True)\n')));
      await waitFor(() => vscode.languages.getDiagnostics(script).some((d) => d.source === 'pipeline-doctor' && d.range.start.line === DATALOADER_LINE - 2), 'the static finding on the new line');
      if (outcome.status !== 'finished') assert.fail(JSON.stringify(outcome));
      const id = path.basename(outcome.runFolder);
      const sentBefore = a.dashboard().shownFindings;
      await vscode.commands.executeCommand('pipelineDoctor.showDashboard', outcome.runFolder);
      await waitFor(() => a.dashboard().shownRunId === id && a.dashboard().shownFindings !== sentBefore, 'the dashboard to send the run again', 20_000);
      assert.ok(a.dashboard().shownFindings.length > 0);
      assert.deepEqual(a.dashboard().shownFindings.filter((f) => !f.startsWith('runtime:')), [], a.dashboard().shownFindings.join(', '));
    } finally {
      await vscode.window.showTextDocument(editor.document, { viewColumn: editor.viewColumn, preview: false });
      await vscode.commands.executeCommand('workbench.action.files.revert');
    }
  });

  it('the editor title button asks for the mode instead of always running quick', async () => {
    const a = await api();
    const before = a.profile().spawned;
    const pending = vscode.commands.executeCommand<ProfileOutcome>('pipelineDoctor.profilePipeline', script);
    await new Promise((r) => setTimeout(r, 1000));
    // The mode picker is open: closing it runs nothing.
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    const result = await pending;
    assert.equal(result.status, 'dismissed', JSON.stringify(result));
    assert.equal(a.profile().spawned, before);
  });

  it('names runs by their path in the workspace: two main.py scripts differ in the run list', async () => {
    const a = await api();
    for (const dir of ['vision', 'text']) {
      const main = await writeFile(`profiling/${dir}/main.py`, 'raise SystemExit("no data here")\n');
      const r = await vscode.commands.executeCommand<ProfileOutcome>('pipelineDoctor.profilePipeline', { script: main.fsPath, steps: 5 });
      assert.equal(r.status, 'finished', JSON.stringify(r));
    }
    await vscode.commands.executeCommand('pipelineDoctor.showDashboard');
    const names = await waitFor(() => a.dashboard().listedRuns.includes('profiling/text/main.py') && a.dashboard().listedRuns, 'the run list with both scripts');
    assert.ok(names.includes('profiling/vision/main.py'), names.join(', '));
    assert.match(a.profile().statusText ?? '', /Profile failed \u00b7 profiling\/text\/main\.py$/);
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
    assert.match(a.profile().statusText ?? '', /^\$\(warning\) Input-bound \d+% \(stopped\) \u00b7 profiling\/input_bound\.py$/);
    assert.doesNotMatch(a.profile().statusText ?? '', /failed/);
    // The summary on disk says the same: a measured verdict, no error.
    const summary = JSON.parse(fs.readFileSync(path.join(stopped.runFolder, 'summary.json'), 'utf8')) as { verdict: string; error?: string; steps: number };
    assert.equal(summary.verdict, 'highly-input-bound');
    assert.equal(summary.error, undefined);
    assert.ok(summary.steps > 0);
    // The runtime finding comes from the steps measured before the stop.
    // (joined to the static LOAD001 on the DataLoader line, as for a finished run).
    await waitFor(() => vscode.languages.getDiagnostics(script).some((d) => codeOf(d) === 'LOAD001' && /Measured in the last profile run/.test(d.message)), 'the measured LOAD001 of the stopped run');
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
