// Faults: each yields a 'failed' summary with a clear message, a readable partial result where data was
// collected, and no process left behind.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { profileScript, readRunFolder } from '../../src/runner/index';
import type { RunSummary } from '../../src/shared/profile';
import { verdictSentence } from '../../src/shared/verdict-text';
import { PY, assertNothingLeft, pythonWithoutTorch, requireTorch, script, tempDir } from './helpers';

async function run(name: string, extra: Partial<Parameters<typeof profileScript>[0]> = {},
  hooks: Parameters<typeof profileScript>[1] = {}): Promise<{ s: RunSummary; pid: number | undefined; stderr: string }> {
  let pid: number | undefined;
  let stderr = '';
  const s = await profileScript(
    { script: path.isAbsolute(name) ? name : script(name), python: PY, outDir: tempDir('runs'), warmup: 2, steps: 50, controlSteps: 0, ioProbe: 'off', ...extra },
    { ...hooks, onSpawn: (p) => { pid = p; }, onOutput: (st, t) => { if (st === 'stderr') stderr += t; } },
  );
  return { s, pid, stderr };
}

function assertPartial(s: RunSummary, verdict: RunSummary['verdict'] = 'failed'): number {
  const data = readRunFolder(s.folder);
  assert.equal(data.summary.verdict, verdict);
  assert.ok(data.steps, 'steps.arrow readable');
  const measured = (data.steps.getChild('phase')?.toArray() as string[]).filter((p) => p === 'measured').length;
  assert.equal(measured, s.steps);
  return data.steps.numRows;
}

describe('runner: faults', () => {
  before(requireTorch);

  it('script raises: failed with the exception, partial steps kept', async () => {
    const { s, pid, stderr } = await run('raises.py', {}, {});
    assert.equal(s.verdict, 'failed');
    assert.equal(s.ended.how, 'crashed');
    assert.equal(s.ended.exitCode, 1);
    assert.match(s.error ?? '', /raised RuntimeError: boom at step 5/);
    assert.match(stderr, /Traceback/);
    assert.ok(assertPartial(s) >= 5, 'steps before the crash');
    assert.ok(s.inputShare !== null, 'partial figures stay in the summary');
    assert.deepEqual(s.findings, []);
    await assertNothingLeft(pid);
  });

  it('script exits non-zero: failed with its status', async () => {
    const { s, pid } = await run('exit_nonzero.py');
    assert.equal(s.verdict, 'failed');
    assert.equal(s.ended.how, 'exit-nonzero');
    assert.equal(s.ended.exitCode, 3);
    assert.match(s.error ?? '', /exited with status 3/);
    assert.ok(assertPartial(s) >= 5);
    await assertNothingLeft(pid);
  });

  it('script hangs past the timeout (ignoring SIGTERM, with workers): killed, partial result kept', async () => {
    const t0 = Date.now();
    // It hangs after 9 steps: past the warm-up, which lasts until the 2 workers' start-up queue is used up (6 steps).
    const { s, pid } = await run('hang.py', { timeoutMs: 6000, graceMs: 1000, args: ['--after', '8'] });
    assert.equal(s.verdict, 'failed');
    assert.equal(s.ended.how, 'timeout');
    assert.equal(s.ended.signal, 'SIGKILL');
    assert.match(s.error ?? '', /timed out after 6 s/);
    assert.ok(Date.now() - t0 < 15000, 'ended soon after the timeout');
    assert.ok(assertPartial(s) >= 5, 'steps before the hang were flushed');
    // What ended it is the timeout, not the data running out.
    assert.ok(s.notes.some((n) => new RegExp(`^only ${s.steps} of 50 steps were measured \\(the run timed out\\)$`).test(n)), s.notes.join('\n'));
    assert.ok(!s.notes.some((n) => /ran out of data/.test(n)), s.notes.join('\n'));
    await assertNothingLeft(pid);
  });

  it('cancelled mid-run: stopped by you, not a failure; the verdict of the steps measured so far, partial result kept', async () => {
    const abort = new AbortController();
    let pid: number | undefined;
    let measured = 0;
    const s = await profileScript(
      {
        script: script('input_bound.py'), args: ['--workers', '0', '--sleep-ms', '2', '--n', '40000'], python: PY, outDir: tempDir('runs'),
        mode: 'full', warmup: 2, ioProbe: 'off',
      },
      {
        signal: abort.signal,
        onSpawn: (p) => { pid = p; },
        onEvent: (e) => {
          if (e.type === 'steps' && e.phase === 'measured') measured += e.t.length;
          if (measured >= 10) abort.abort();
        },
      },
    );
    assert.equal(s.ended.how, 'cancelled');
    assert.equal(s.verdict, 'highly-input-bound', s.error);
    assert.equal(s.error, undefined);
    assert.ok(s.steps >= 10, 'measured steps kept');
    assert.equal(verdictSentence(s), `Highly input-bound: ${Math.round((s.inputShare ?? 0) * 100)}% of each step waits for data \u2014 stopped by you after ${s.steps} measured steps`);
    assert.ok(s.findings.some((f) => f.code === 'LOAD001'), `runtime findings from the measured steps: ${s.findings.map((f) => f.code).join(', ')}`);
    assert.ok(assertPartial(s, 'highly-input-bound') >= 10);
    await assertNothingLeft(pid);
  });

  it('cancelled in quick mode: the note says the run was stopped by you, not that the data ran out', async () => {
    const abort = new AbortController();
    const s = await profileScript(
      { script: script('input_bound.py'), args: ['--sleep-ms', '2', '--n', '40000'], python: PY, outDir: tempDir('runs'), warmup: 2, steps: 400, ioProbe: 'off' },
      { signal: abort.signal, onEvent: (e) => { if (e.type === 'steps' && e.phase === 'measured') abort.abort(); } },
    );
    assert.equal(s.ended.how, 'cancelled');
    assert.notEqual(s.verdict, 'failed');
    assert.ok(s.notes.includes(`only ${s.steps} of 400 steps were measured (stopped by you)`), s.notes.join('\n'));
  });

  it('cancelled before a step was measured: stopped by you, said as such, not "the run failed"', async () => {
    const abort = new AbortController();
    abort.abort();
    const s = await profileScript({ script: script('input_bound.py'), python: PY, outDir: tempDir('runs') }, { signal: abort.signal });
    assert.equal(s.ended.how, 'cancelled');
    assert.equal(s.verdict, 'failed');
    assert.equal(verdictSentence(s), 'Stopped by you before a step was measured (0 of 10 warm-up steps ran)');
  });

  it('script killed by a signal (with workers alive): failed, nothing left behind', async () => {
    const { s, pid } = await run('killed.py', { args: ['--after', '8'] });
    assert.equal(s.verdict, 'failed');
    assert.equal(s.ended.how, 'signal');
    assert.equal(s.ended.signal, 'SIGKILL');
    assert.match(s.error ?? '', /killed by SIGKILL/);
    assertPartial(s);
    await assertNothingLeft(pid);
  });

  it('torch missing: a clear message naming the interpreter', async () => {
    const noTorch = pythonWithoutTorch();
    const { s, pid } = await run('input_bound.py', { python: noTorch });
    assert.equal(s.verdict, 'failed');
    assert.equal(s.python.torch, null);
    assert.match(s.error ?? '', /PyTorch is not importable by .*python-no-torch.*--python/);
    assert.ok(fs.existsSync(path.join(s.folder, 'summary.json')));
    await assertNothingLeft(pid);
  });

  it('interpreter path does not exist: failed without spawning', async () => {
    const out = tempDir('runs');
    const s = await profileScript({ script: script('input_bound.py'), python: '/nonexistent/bin/python3', outDir: out });
    assert.equal(s.verdict, 'failed');
    assert.equal(s.ended.how, 'spawn-failed');
    assert.match(s.error ?? '', /\/nonexistent\/bin\/python3 does not exist/);
    assert.equal(readRunFolder(s.folder).summary.error, s.error);
  });

  it('script file does not exist: failed with the path', async () => {
    const s = await profileScript({ script: 'no_such_script.py', python: PY, outDir: tempDir('runs'), cwd: tempDir('cwd') });
    assert.equal(s.verdict, 'failed');
    assert.match(s.error ?? '', /script not found: .*no_such_script\.py/);
  });

  it('a script that is a FIFO: refused at once instead of blocking on it', async () => {
    const dir = tempDir('fifo');
    const fifo = path.join(dir, 'train.py');
    execFileSync('mkfifo', [fifo]);
    const t0 = Date.now();
    const s = await profileScript({ script: fifo, python: PY, outDir: tempDir('runs'), timeoutMs: 30_000 });
    assert.equal(s.verdict, 'failed');
    assert.equal(s.ended.how, 'spawn-failed');
    assert.match(s.error ?? '', /not a script file: .*train\.py/);
    assert.ok(Date.now() - t0 < 10_000, 'no wait for the timeout');
  });

  it('an interpreter that is not Python (/bin/echo): says so, not that torch is missing', async () => {
    const { s } = await run('input_bound.py', { python: '/bin/echo' });
    assert.equal(s.verdict, 'failed');
    assert.match(s.error ?? '', /^\/bin\/echo is not a Python interpreter/);
    assert.doesNotMatch(s.error ?? '', /PyTorch is not importable/);
  });

  it('a script that never iterates a DataLoader: failed, says there was nothing to measure', async () => {
    const dir = tempDir('noloader');
    const file = path.join(dir, 'noop.py');
    fs.writeFileSync(file, 'import torch\nprint(torch.ones(2).sum().item())\n');
    const { s, pid } = await run(file);
    assert.equal(s.verdict, 'failed');
    assert.equal(s.ended.how, 'completed');
    assert.match(s.error ?? '', /without iterating a PyTorch DataLoader/);
    await assertNothingLeft(pid);
  });
});
