// The webview is untrusted input: every message it sends is validated before the host acts on it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeRejected, isDashboardViewState, isHostToWebviewMessage, isWebviewToHostMessage, routeWebviewMessage } from '../../src/shared/protocol';
import type { WebviewMessageHandlers } from '../../src/shared/protocol';

describe('webview -> host messages', () => {
  it('accepts each well-formed message', () => {
    for (const m of [
      { type: 'ready' }, { type: 'refreshRuns' }, { type: 'openRun', runId: '2026-11-25T01-15-40-763Z-naive_train' },
      { type: 'compareRuns', baseId: 'a', otherId: 'b' }, { type: 'revealFinding', runId: 'a', findingIndex: 0 },
      { type: 'revealLoader', runId: 'a', loaderId: 3 }, { type: 'applyFix', runId: 'a', findingIndex: 2, fixIndex: 0 },
      { type: 'showDocs', code: 'LOAD001' }, { type: 'exportReport', runId: 'run-1' },
    ]) assert.ok(isWebviewToHostMessage(m), JSON.stringify(m));
  });

  it('rejects malformed, path-like, extra-key and unknown messages', () => {
    for (const m of [
      null, undefined, 42, 'ready', [], {}, { type: 'nope' }, { type: 'ready', extra: 1 },
      { type: 'openRun' }, { type: 'openRun', runId: '../../etc' }, { type: 'openRun', runId: '/abs/path' }, { type: 'openRun', runId: 'a/b' },
      { type: 'openRun', runId: '..' }, { type: 'openRun', runId: 7 }, { type: 'revealFinding', runId: 'a', findingIndex: -1 },
      { type: 'revealFinding', runId: 'a', findingIndex: 1.5 }, { type: 'revealFinding', runId: 'a', findingIndex: '0' },
      { type: 'applyFix', runId: 'a', findingIndex: 0 }, { type: 'showDocs', code: 'load001' },
      { type: 'showDocs', code: '<img src=x onerror=alert(1)>' }, { type: 'showDocs', code: 'LOAD001', command: 'workbench.action.terminal.new' },
      { type: 'compareRuns', baseId: 'a', otherId: null }, { type: 'revealLoader', runId: 'a', loaderId: Number.NaN },
      Object.assign(Object.create({ type: 'ready' }), {}),
    ]) assert.equal(isWebviewToHostMessage(m), false, JSON.stringify(m));
  });

  it('routes valid messages to exactly one handler and reports rejected ones', () => {
    const calls: string[] = [];
    const rejected: unknown[] = [];
    const handlers: WebviewMessageHandlers = {
      ready: () => calls.push('ready'), refreshRuns: () => calls.push('refresh'), openRun: (m) => calls.push(`open:${m.runId}`),
      compareRuns: () => calls.push('compare'), revealFinding: (m) => calls.push(`reveal:${m.findingIndex}`),
      revealLoader: () => calls.push('loader'), applyFix: () => calls.push('fix'), showDocs: (m) => calls.push(`docs:${m.code}`),
      exportReport: () => calls.push('export'),
    };
    assert.equal(routeWebviewMessage({ type: 'openRun', runId: 'r1' }, handlers, (r) => rejected.push(r)), true);
    assert.equal(routeWebviewMessage({ type: 'showDocs', code: 'x</script>' }, handlers, (r) => rejected.push(r)), false);
    assert.equal(routeWebviewMessage({ type: 'applyFix', runId: 'r1', findingIndex: 0, fixIndex: 0, edits: [] }, handlers, (r) => rejected.push(r)), false);
    assert.deepEqual(calls, ['open:r1']);
    assert.equal(rejected.length, 2);
    assert.match(describeRejected(rejected[0]), /type="showDocs"/);
    assert.equal(describeRejected(null), 'a null');
  });
});

describe('host -> webview messages and view state', () => {
  it('rejects a run message whose tables are not bytes', () => {
    assert.equal(isHostToWebviewMessage({ type: 'run', run: { id: 'a', summary: {}, findings: [], tables: {} } }), false);
    assert.equal(isHostToWebviewMessage({ type: 'error', message: 'x' }), true);
    assert.equal(isHostToWebviewMessage({ type: 'runs', runs: [], focus: '../x' }), false);
  });

  it('validates the state restored with getState', () => {
    assert.ok(isDashboardViewState({ selectedRunId: null, compare: null }));
    assert.ok(isDashboardViewState({ selectedRunId: 'r', compare: { baseId: 'a', otherId: 'b' } }));
    assert.equal(isDashboardViewState({ selectedRunId: '../r', compare: null }), false);
    assert.equal(isDashboardViewState(undefined), false);
  });
});
