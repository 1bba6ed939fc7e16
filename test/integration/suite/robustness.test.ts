// Hostile inputs: nothing crashes, the analyzer keeps working, and the user sees at most one message.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { api, closeAll, open, ours, settle, waitForDiagnostics, wsUri, writeFile, NAIVE_TRAIN } from './helpers';

function bigPython(bytes: number): string {
  const line = 'value_0000000 = compute(alpha, beta) + 1  # filler line of a generated module\n';
  return NAIVE_TRAIN + line.repeat(Math.ceil(bytes / line.length));
}

describe('robustness', () => {
  before(async () => {
    await api();
  });
  afterEach(closeAll);

  const cases: Array<[string, string | Uint8Array]> = [
    ['robust/syntax_error.py', `def broken(:\n    pass\n\n${NAIVE_TRAIN}`],
    ['robust/mixed_indent.py', NAIVE_TRAIN.replace('        loss.backward()', '\t\tloss.backward()').replace('        opt.step()', '    \topt.step()')],
    ['robust/non_utf8.py', Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9, 0xff, 0xfe]), Buffer.from('\n'), Buffer.from(NAIVE_TRAIN)])],
    ['robust/empty.py', ''],
    ['robust/big_generated.py', bigPython(5 * 1024 * 1024)],
    ['robust/malformed.yaml', 'trainer: [unclosed\n  max_epochs: 3\ndata:\n  num_workers: 0\n  : :\n'],
    ['robust/malformed.json', '{"per_device_train_batch_size": 8, "dataloader_num_workers": ,, }\n'],
    ['robust/binary.py', Buffer.from([0x00, 0x01, 0x02, 0x00, 0x50, 0x4b])],
  ];

  for (const [rel, content] of cases) {
    it(`opens ${rel} without an exception`, async () => {
      const uri = await writeFile(rel, content);
      try {
        await open(uri);
      } catch (e) {
        // VS Code itself refuses to open binary files as text; that is not ours to handle.
        if (!rel.includes('binary')) throw e;
        await (await api()).whenIdle();
      }
      await settle();
      const errors = (await api()).logLines().filter((l) => l.startsWith('error'));
      assert.deepEqual(errors, [], 'no analysis errors logged');
    });
  }

  it('logged the skipped 5 MB file and showed at most one notification', async () => {
    const a = await api();
    assert.ok(a.logLines().some((l) => /big_generated\.py: skipped: 5\.\d MB is over the 2\.0 MB limit/.test(l)), a.logLines().join('\n'));
    assert.ok(a.notificationCount() <= 1);
    assert.equal(ours(wsUri('robust/big_generated.py')).length, 0);
  });

  it('logs a syntax error once and still reports findings away from it', async () => {
    const a = await api();
    assert.equal(a.logLines().filter((l) => /syntax_error\.py:1: syntax error/.test(l)).length, 1);
    const uri = wsUri('robust/syntax_error.py');
    await open(uri);
    await waitForDiagnostics(uri, 'LOAD001', 1);
  });

  it('handles non-UTF-8 bytes and mixed indentation', async () => {
    for (const rel of ['robust/non_utf8.py', 'robust/mixed_indent.py']) {
      const uri = wsUri(rel);
      await open(uri);
      await settle();
      // A finding is welcome but not required; what matters is no crash and a working analyzer.
      assert.ok(ours(uri).every((d) => d.range.start.line >= 0));
    }
    const uri = await writeFile('robust/after.py', NAIVE_TRAIN);
    await open(uri);
    await waitForDiagnostics(uri, 'LOAD001', 1);
  });

  it('opens a Jupyter notebook without errors', async () => {
    const notebook = {
      cells: [{ cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source: NAIVE_TRAIN.split(/(?<=\n)/) }],
      metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
      nbformat: 4,
      nbformat_minor: 5,
    };
    const uri = await writeFile('robust/notebook.ipynb', JSON.stringify(notebook, null, 1));
    const nb = await vscode.workspace.openNotebookDocument(uri);
    await vscode.window.showNotebookDocument(nb);
    await settle();
    assert.equal(nb.cellCount, 1);
    const errors = (await api()).logLines().filter((l) => l.startsWith('error'));
    assert.deepEqual(errors, []);
  });

  it('does not analyse notebooks or non-file documents', async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'python', content: NAIVE_TRAIN });
    await vscode.window.showTextDocument(doc);
    await waitForDiagnostics(doc.uri, 'LOAD001', 1);
    const output = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: 'pipeline-doctor-docs', path: '/LOAD001.md' }));
    await settle();
    assert.equal(ours(output.uri).length, 0);
  });
});
