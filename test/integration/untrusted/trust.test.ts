// In an untrusted workspace (restricted mode) static analysis still runs, but Profile Pipeline — which
// would execute the workspace's code — refuses with a clear message and spawns nothing.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import * as vscode from 'vscode';
import type { ProfileOutcome } from '../../../src/editor/profile';
import { api, open, waitForDiagnostics, wsUri } from '../suite/helpers';

describe('untrusted workspace', () => {
  it('is really untrusted (the runner opened it without trust)', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  it('still analyses files statically', async () => {
    await api();
    const script = wsUri('profiling/input_bound.py');
    await open(script);
    await waitForDiagnostics(script, 'LOAD001', 1);
  });

  it('Profile Pipeline refuses with a clear message and spawns nothing', async () => {
    const a = await api();
    const script = wsUri('profiling/input_bound.py');
    const outcome = await vscode.commands.executeCommand<ProfileOutcome>('pipelineDoctor.profilePipeline', { script: script.fsPath, mode: 'quick', steps: 5 });
    assert.equal(outcome.status, 'refused');
    if (outcome.status !== 'refused') return;
    assert.match(outcome.message, /only runs in a trusted workspace/);
    assert.equal(a.profile().lastMessage, outcome.message);
    assert.equal(a.profile().spawned, 0);
    assert.equal(a.profile().statusText, null);
    assert.ok(a.logLines().some((l) => l.startsWith('warning profile: Profile Pipeline runs your training script')));
    assert.equal(fs.existsSync(wsUri('.pipeline-doctor').fsPath), false, 'no run folder was created');
    // Without arguments (the palette) it refuses the same way, before asking anything.
    const again = await vscode.commands.executeCommand<ProfileOutcome>('pipelineDoctor.profilePipeline');
    assert.equal(again.status, 'refused');
    assert.equal(a.profile().spawned, 0);
  });
});
