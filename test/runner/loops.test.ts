// Training loops without a DataLoader, against real PyTorch on CPU: steps come from optimizer.step(),
// the data wait is the gap until the model's next forward, quick mode stops on time, and the batch source
// is named (docs/profiling.md, "Loops without a DataLoader").
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import { profileScript } from '../../src/runner/index';
import type { RunSummary } from '../../src/shared/profile';
import { verdictForInputShare } from '../../src/shared/profile';
import { median } from '../../src/runner/stats';
import { PY, assertNothingLeft, lineOf, requireTorch, script, tempDir } from './helpers';

const W = 3;
const N = 20;

interface ScriptTiming {
  /** Seconds per get_batch call, in call order. */
  fetches: number[];
  /** Seconds from one optimizer.step() end to the next, in order (the first starts at the first step's end). */
  steps: number[];
}

async function runGetBatch(args: string[]): Promise<{ s: RunSummary; timing: ScriptTiming; pid: number | undefined }> {
  const dir = tempDir('getbatch');
  const timingFile = path.join(dir, 'timing.json');
  let pid: number | undefined;
  const s = await profileScript(
    // A bounded loop and a timeout: a harness that never stops the loop fails this test in seconds.
    {
      script: script('get_batch_loop.py'), args: [...args, '--iters', '400', '--timing', timingFile], python: PY, outDir: dir,
      warmup: W, steps: N, timeoutMs: 120_000,
    },
    { onSpawn: (p) => { pid = p; } },
  );
  const timing = JSON.parse(fs.readFileSync(timingFile, 'utf8')) as ScriptTiming;
  return { s, timing, pid };
}

describe('runner: loops without a DataLoader (real PyTorch)', () => {
  before(requireTorch);

  it('a nanoGPT-style get_batch loop gets a verdict in quick mode, stops after warm-up + steps, names get_batch at its line', async () => {
    const { s, timing, pid } = await runGetBatch([]);
    assert.notEqual(s.verdict, 'failed', s.error);
    assert.equal(s.ended.how, 'stopped-after-quick');
    assert.equal(s.steps, N);
    assert.equal(s.warmupSteps, W);
    // The loop runs until the step that closes the measured window: the first two optimizer steps find
    // the loop has no DataLoader, then W + N steps are timed; the stop unwinds the script from that step.
    assert.equal(timing.fetches.length, W + N + 2, 'get_batch calls before the stop');
    assert.equal(timing.steps.length, W + N, 'completed steps the script timed itself');
    const file = script('get_batch_loop.py');
    const source = s.loaders.find((l) => l.training);
    assert.ok(source, JSON.stringify(s.loaders));
    assert.equal(source.kind, 'optimizer');
    assert.equal(source.batchSource, 'get_batch');
    assert.deepEqual([source.file, source.line], [file, lineOf(file, 'xb, yb = get_batch()')]);
    assert.equal(source.batch_size, 8);
    assert.ok(s.stepTimeMs !== null && s.stepTimeMs.p50 > 0);
    assert.ok(s.samplesPerSec !== null && s.samplesPerSec > 0);
    await assertNothingLeft(pid);
  });

  it('a get_batch loop that sleeps is input-bound with the share the script measures itself (within 5 points)', async () => {
    const { s, timing } = await runGetBatch(['--sleep-ms', '15']);
    assert.notEqual(s.verdict, 'failed', s.error);
    assert.ok(s.inputShare !== null);
    // Harness step k (k = 0 at the second step end) is the script's steps[k + 1]; its get_batch is fetches[k + 2].
    const ratios: number[] = [];
    for (let k = W; k < W + N && k + 1 < timing.steps.length; k++) {
      ratios.push((timing.fetches[k + 2] ?? 0) / (timing.steps[k + 1] ?? 1));
    }
    assert.ok(ratios.length >= N - 1, `aligned steps: ${ratios.length}`);
    const own = median(ratios) ?? 0;
    assert.ok(Math.abs(s.inputShare - own) <= 0.05, `harness ${s.inputShare} vs the script's own timer ${own.toFixed(4)}`);
    assert.ok(own >= 0.2, `a 15 ms sleep per batch dominates a tiny model's step: ${own}`);
    assert.equal(s.verdict, verdictForInputShare(s.inputShare));
    assert.equal(s.verdict, 'highly-input-bound');
    const f = s.findings.find((x) => x.code === 'RUN001');
    assert.ok(f, s.findings.map((x) => x.code).join(','));
    assert.equal(f.range.start.line, lineOf(script('get_batch_loop.py'), 'xb, yb = get_batch()') - 1);
    assert.match(f.message, /before the model's forward/);
  });

  it('a loop with neither a DataLoader nor an optimizer still says there was nothing to measure', async () => {
    const dir = tempDir('nooptim');
    const file = path.join(dir, 'manual_sgd.py');
    fs.writeFileSync(file, [
      'import torch',
      'w = torch.zeros(4, requires_grad=True)',
      'x = torch.randn(64, 4)',
      'for _ in range(200):',
      '    loss = ((x @ w) - 1).pow(2).mean()',
      '    loss.backward()',
      '    with torch.no_grad():',
      '        w -= 0.1 * w.grad',
      '        w.grad.zero_()',
      'print(loss.item())',
      '',
    ].join('\n'));
    let pid: number | undefined;
    const s = await profileScript({ script: file, python: PY, outDir: dir, warmup: W, steps: N }, { onSpawn: (p) => { pid = p; } });
    assert.equal(s.verdict, 'failed');
    assert.equal(s.ended.how, 'completed');
    assert.match(s.error ?? '', /^nothing to measure: .*DataLoader.*optimizer\.step\(\).*Keras fit/);
    assert.deepEqual(s.loaders, []);
    await assertNothingLeft(pid);
  });
});
