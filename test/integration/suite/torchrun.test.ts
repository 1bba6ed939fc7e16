// Profile Pipeline on a torchrun job in the real VS Code (docs/profiling.md, "torchrun jobs"): a launch
// configuration of `torch.distributed.run` and a `torchrun` task start two gloo ranks on the CPU through the
// runner's torchrun launch, the harness in each; rank 1 loads its data slower on purpose, and it is named
// the straggler: a RUN014 diagnostic at its DataLoader's line, and the dashboard's run with both ranks.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { ProfileOutcome } from '../../../src/editor/profile';
import type { RunSummary } from '../../../src/shared/profile';
import type { RunComparison } from '../../../src/shared/run-comparison';
import { api, closeAll, codeOf, folder, waitFor, wsUri } from './helpers';

const REL = 'profiling/ddp_ranks.py';
const SOURCE = path.resolve(__dirname, '..', '..', '..', '..', 'test', 'runner', 'scripts', 'ddp_ranks.py');
const LAUNCH = 'DDP: 2 ranks, rank 1 slow';
const ELASTIC = 'DDP: elastic nodes';
const TASK = 'torchrun: ddp straggler';
const STRAGGLER_ARGS = ['--slow-rank', '1', '--sleep-ms', '15'];

function runtime(uri: vscode.Uri, code: string): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'pipeline-doctor profile' && codeOf(d) === code);
}

describe('Profile Pipeline on a torchrun job', function () {
  // Two ranks importing torch and meeting at a gloo rendezvous, twice: slow on a loaded machine.
  this.timeout(300_000);
  const script = wsUri(REL);
  const dataLoaderLine = (): number => fs.readFileSync(SOURCE, 'utf8').split('\n').findIndex((l) => l.includes('loader = DataLoader('));
  const vscodeDir = wsUri('.vscode').fsPath;
  /** The launch configuration's run (the first test). */
  let launchRun: string | undefined;

  before(async () => {
    await api();
    await closeAll();
    fs.copyFileSync(SOURCE, script.fsPath);
    fs.writeFileSync(path.join(vscodeDir, 'launch.json'), JSON.stringify({
      version: '0.2.0',
      configurations: [
        { name: LAUNCH, type: 'debugpy', request: 'launch', module: 'torch.distributed.run', cwd: '${workspaceFolder}',
          args: ['--nproc-per-node', '2', '--standalone', '${workspaceFolder}/profiling/ddp_ranks.py', ...STRAGGLER_ARGS] },
        { name: ELASTIC, type: 'debugpy', request: 'launch', module: 'torch.distributed.run',
          args: ['--nnodes', '1:2', '--nproc-per-node', '2', 'profiling/ddp_ranks.py'] },
      ],
    }));
    fs.writeFileSync(path.join(vscodeDir, 'tasks.json'), JSON.stringify({
      version: '2.0.0',
      tasks: [{ label: TASK, type: 'shell', command: `torchrun --nproc_per_node=2 --max_restarts=3 ${REL} ${STRAGGLER_ARGS.join(' ')}` }],
    }));
    await waitFor(() => {
      const launch = vscode.workspace.getConfiguration('launch', folder().uri).get<{ name: string }[]>('configurations', []);
      const tasks = vscode.workspace.getConfiguration('tasks', folder().uri).get<{ label: string }[]>('tasks', []);
      return launch.some((c) => c.name === ELASTIC) && tasks.some((t) => t.label === TASK);
    }, 'VS Code to read the new launch.json and tasks.json', 20_000);
  });
  after(async () => {
    await closeAll();
    for (const f of [script.fsPath, path.join(vscodeDir, 'launch.json'), path.join(vscodeDir, 'tasks.json')]) fs.rmSync(f, { force: true });
  });

  it('the launch configuration, picked and run in Quick mode: rank 1 named the straggler at its DataLoader line and in the dashboard', async () => {
    const a = await api();
    const spawned = a.profile().spawned;
    // The user's way: the target picker (the launch configuration comes first: no file is open), then the
    // mode picker (Quick first). Accepting is a no-op while no picker is open, so keep accepting until it runs.
    const pending = Promise.resolve(vscode.commands.executeCommand<ProfileOutcome>('pipelineDoctor.profilePipeline'));
    let settled = false;
    void pending.finally(() => { settled = true; });
    await waitFor(async () => {
      if (a.profile().spawned > spawned || settled) return true;
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      await new Promise((r) => setTimeout(r, 300));
      return false;
    }, 'the pickers to be accepted and the job to start', 60_000);
    const outcome = await pending;
    if (outcome.status !== 'finished') assert.fail(`expected a finished run: ${JSON.stringify(outcome)} ${a.profile().lastMessage}`);
    assert.equal(a.profile().spawned, spawned + 1, 'one torchrun launcher');
    assert.equal(outcome.ended, 'stopped-after-quick');
    assert.match(outcome.verdict, /input-bound/);
    const summary = JSON.parse(fs.readFileSync(path.join(outcome.runFolder, 'summary.json'), 'utf8')) as RunSummary;
    assert.deepEqual(summary.ranks?.map((r) => [r.rank, r.ended]), [[0, 'stopped'], [1, 'stopped']]);
    assert.equal(summary.script, script.fsPath);
    assert.deepEqual(summary.args, STRAGGLER_ARGS);
    assert.equal(fs.readFileSync(path.join(outcome.runFolder, 'run-name.txt'), 'utf8').trim(), LAUNCH);
    launchRun = outcome.runFolder;

    const [straggler, ...more] = await waitFor(() => runtime(script, 'RUN014').length > 0 && runtime(script, 'RUN014'), 'the RUN014 diagnostic');
    assert.equal(more.length, 0, 'one straggler');
    assert.match(straggler!.message, /^rank 1 is a straggler: its data wait is [\d.]+ ms per step, [\d.]+x the median of the other ranks/);
    assert.equal(straggler!.range.start.line, dataLoaderLine());
    assert.equal(straggler!.severity, vscode.DiagnosticSeverity.Warning);

    const id = path.basename(outcome.runFolder);
    await waitFor(() => a.dashboard().shownRunId === id, `the dashboard on the run ${id} (shows ${a.dashboard().shownRunId})`, 20_000);
    assert.deepEqual(a.dashboard().shownRanks, [0, 1], 'the Ranks section has both ranks');
    assert.ok(a.dashboard().shownFindings.includes('runtime:RUN014'), a.dashboard().shownFindings.join(', '));
    assert.ok(a.dashboard().listedRuns.includes(LAUNCH), a.dashboard().listedRuns.join(', '));
  });

  it('a tasks.json torchrun task (--nproc_per_node=2): the same job, the straggler named, the dropped option said', async () => {
    const a = await api();
    const outcome = await vscode.commands.executeCommand<ProfileOutcome>('pipelineDoctor.profilePipeline', { target: TASK, steps: 8 });
    if (outcome.status !== 'finished') assert.fail(`expected a finished run: ${JSON.stringify(outcome)} ${a.profile().lastMessage}`);
    const summary = JSON.parse(fs.readFileSync(path.join(outcome.runFolder, 'summary.json'), 'utf8')) as RunSummary;
    assert.equal(summary.ranks?.length, 2);
    assert.ok(summary.ranks?.every((r) => r.steps === 8), JSON.stringify(summary.ranks));
    const stragglers = summary.findings.filter((f) => f.code === 'RUN014');
    assert.deepEqual(stragglers.map((f) => f.figures?.rank), [1], JSON.stringify(summary.findings));
    await waitFor(() => runtime(script, 'RUN014').some((d) => /^rank 1 is a straggler/.test(d.message)), 'the task run\'s RUN014 diagnostic');
    assert.ok(a.logLines().some((l) => /torchrun --max_restarts 3 dropped: the profiler sets it/.test(l)), 'the dropped --max_restarts in the log');
  });

  it('refuses sweep mode for a torchrun job, and an elastic --nnodes range, by name and before anything starts', async () => {
    const a = await api();
    const spawned = a.profile().spawned;
    const sweep = await vscode.commands.executeCommand<ProfileOutcome>('pipelineDoctor.profilePipeline', { target: LAUNCH, mode: 'sweep' });
    assert.equal(sweep.status, 'refused', JSON.stringify(sweep));
    assert.match(a.profile().lastMessage ?? '', /^Sweep is not available for torchrun jobs: .* Profile the job in Quick or Full mode\.$/);
    const elastic = await vscode.commands.executeCommand<ProfileOutcome>('pipelineDoctor.profilePipeline', { target: ELASTIC });
    assert.equal(elastic.status, 'refused', JSON.stringify(elastic));
    assert.match(a.profile().lastMessage ?? '', /^launch configuration "DDP: elastic nodes": torchrun --nnodes 1:2: elastic node ranges are not supported/);
    assert.equal(a.profile().spawned, spawned);
  });

  it('Re-profile and compare on the launch configuration\'s run reruns the torchrun job, not one process, and compares', async () => {
    assert.ok(launchRun, 'the first test\'s run');
    const a = await api();
    const comparison = await vscode.commands.executeCommand<RunComparison | undefined>('pipelineDoctor.reprofileAndCompare', { runFolder: launchRun });
    const after = a.profile().lastOutcome;
    assert.ok(comparison, `a comparison (${a.profile().lastMessage} / ${a.verify().lastMessage})`);
    if (after?.status !== 'finished') assert.fail(`expected a finished rerun: ${JSON.stringify(after)}`);
    assert.notEqual(after.runFolder, launchRun);
    const summary = JSON.parse(fs.readFileSync(path.join(after.runFolder, 'summary.json'), 'utf8')) as RunSummary;
    assert.deepEqual(summary.ranks?.map((r) => r.rank), [0, 1], 'both ranks again');
    assert.equal(fs.readFileSync(path.join(after.runFolder, 'run-name.txt'), 'utf8').trim(), LAUNCH);
    assert.equal(comparison.before.steps, comparison.after.steps);
  });
});
