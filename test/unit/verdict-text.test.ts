// The verdict in words (src/shared/verdict-text.ts) and the bounds the runtime findings quote: every
// "if loading were free" figure follows from the measured split, and the loader is "where the time goes"
// only when the wait is most of the step (issue 12's misleading wordings).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ControlCheck, RunSummary } from '../../src/shared/profile';
import { boundFromShare, controlSentence, speedupText, verdictSentence } from '../../src/shared/verdict-text';
import { runtimeFindings } from '../../src/runner/runtime-findings';
import type { Measurement } from '../../src/runner/measurement';
import { verdictDetails } from '../../webview/model/verdict';

function summary(over: Partial<RunSummary> = {}): RunSummary {
  return {
    schemaVersion: 1, verdict: 'moderately-input-bound', notes: [], mode: 'quick', script: '/p/train.py', args: [], cwd: '/p',
    python: { path: 'python', version: null, torch: null, cuda: false }, startedAt: '2026-01-01T00:00:00.000Z', durationMs: 1,
    ended: { how: 'stopped-after-quick', exitCode: 0, signal: null }, inputShare: 0.07, inputShareP90: 0.09,
    stepTimeMs: { p50: 100, p90: 110 }, dataWaitMs: { p50: 7, p90: 9 }, samplesPerSec: 320, steps: 50, warmupSteps: 10,
    loaders: [{ id: 1, kind: 'torch', file: '/p/train.py', line: 15, num_workers: 2, batch_size: 32, pin_memory: false, persistent_workers: false, prefetch_factor: 2, datasetType: null, datasetLength: null, role: 'train', training: true, fetches: 60 }],
    gpu: null, cpu: null, disk: null, findings: [], folder: '/p/run',
    files: { summary: 'summary.json', steps: null, system: null, loaders: null, gpu: null }, ...over,
  };
}

function measurement(share: number, stepMs: number): Measurement {
  const waitMs = share * stepMs;
  return {
    loader: { id: 1, kind: 'torch', file: '/p/train.py', line: 15, column: 4, endLine: 15, endColumn: 40, num_workers: 2, batch_size: 32, pin_memory: false, persistent_workers: false, prefetch_factor: 2, datasetType: null, datasetLength: null, role: 'train', batchSource: null, training: true },
    measured: [], warmup: 10, inputShare: share, inputShareP90: share, stepTimeMs: { p50: stepMs, p90: stepMs },
    dataWaitMs: { p50: waitMs, p90: waitMs }, samplesPerSec: 100, span: null,
  };
}

describe('verdict text', () => {
  it('the bound from the split is 1 / (1 - wait share): 1.06x at 6%', () => {
    assert.equal(speedupText(boundFromShare(0.06)), '1.06x');
    assert.equal(speedupText(boundFromShare(0.5)), '2.0x');
    assert.equal(verdictSentence({ verdict: 'moderately-input-bound', inputShare: 0.06 }), 'Moderately input-bound: 6% of each step waits for data');
  });

  it('a 6% wait with a control 2.2x faster than the step: the verdict finding quotes 1.06x, never 2.2x', () => {
    const control: ControlCheck = {
      computeOnlyStepMs: 45, computeOnlyStepP90Ms: 47, computeFromSplitMs: 94, noiseMs: 9.4, boundFromSplit: 1.064,
      boundFromControl: 2.222, reliable: true, bound: 2.222,
    };
    const findings = runtimeFindings({
      verdict: 'moderately-input-bound', m: measurement(0.06, 100), gpu: null, cpu: null, sweep: undefined, sweepOutcome: undefined,
      computeOnlyStepMs: 45, controlCheck: control, ioProbe: undefined, script: '/p/train.py',
    });
    const verdict = findings.find((f) => f.code === 'RUN001');
    assert.ok(verdict);
    assert.match(verdict.message, /^Moderately input-bound: 6% of each step waits for data/);
    assert.match(verdict.message, /At most 1\.06x faster if loading were free/);
    assert.doesNotMatch(verdict.message, /2\.2x/);
    assert.equal(verdict.figures?.speedupIfLoadingFree, 1.06);
  });

  it('an unreliable control is never quoted by a finding', () => {
    const control: ControlCheck = {
      computeOnlyStepMs: 30, computeOnlyStepP90Ms: 31, computeFromSplitMs: 10, noiseMs: 1, boundFromSplit: 1.25,
      boundFromControl: 0.42, reliable: false, bound: 1.25,
    };
    const findings = runtimeFindings({
      verdict: 'highly-input-bound', m: measurement(0.2, 12.5), gpu: null, cpu: null, sweep: undefined, sweepOutcome: undefined,
      computeOnlyStepMs: 30, controlCheck: control, ioProbe: undefined, script: '/p/train.py',
    });
    assert.ok(!findings.some((f) => f.code === 'RUN003'));
    assert.ok(!findings.some((f) => /0\.4\d?x|30(\.0)? ms/.test(f.message)), findings.map((f) => f.message).join('\n'));
    assert.match(controlSentence(summary({ computeOnlyStepMs: 30, controlCheck: control, stepTimeMs: { p50: 12.5, p90: 13 }, dataWaitMs: { p50: 2.5, p90: 3 } })) ?? '',
      /cannot be trusted: compute alone took 30\.0 ms there, more than the 10\.0 ms .* From the measured wait, loading costs at most 1\.25x\.$/);
  });

  it('a control that agrees is quoted as "at most", with the split beside it', () => {
    const control: ControlCheck = {
      computeOnlyStepMs: 11.2, computeOnlyStepP90Ms: 11.6, computeFromSplitMs: 11.5, noiseMs: 1.15, boundFromSplit: 1.18,
      boundFromControl: 1.214, reliable: true, bound: 1.214,
    };
    assert.equal(controlSentence(summary({ computeOnlyStepMs: 11.2, controlCheck: control, stepTimeMs: { p50: 13.6, p90: 14 }, dataWaitMs: { p50: 2.1, p90: 2.5 } })),
      'Your steps take 13.6 ms, of which 2.1 ms wait for data; compute alone took 11.2 ms in the data-free control, consistent ' +
      'with the 11.5 ms a measured step spends outside its wait: loading costs at most 1.21x (an upper bound, not a prediction).');
  });

  it('"where the time goes" only when the wait is most of the step', () => {
    assert.doesNotMatch(verdictDetails(summary({ inputShare: 0.07 })).join(' '), /where the time goes/);
    assert.match(verdictDetails(summary({ verdict: 'highly-input-bound', inputShare: 0.74 })).join(' '), /train\.py:15 uses num_workers=2 and is where the time goes\./);
  });

  it('names the batch source of a loop without a DataLoader', () => {
    const s = summary({ loaders: [{ id: 2, kind: 'optimizer', file: '/p/train.py', line: 40, num_workers: null, batch_size: 8, pin_memory: null, persistent_workers: null, prefetch_factor: null, datasetType: null, datasetLength: null, role: 'train', training: true, fetches: 30, batchSource: 'get_batch' }] });
    assert.match(verdictDetails(s).join(' '), /batch source get_batch\(\) at train\.py:40 \(no DataLoader: steps end at optimizer\.step\(\)\)/);
  });

  it('a sweep stopped before it measured the current setting claims no comparison', () => {
    const findings = runtimeFindings({
      verdict: 'highly-input-bound', m: { ...measurement(0.9, 20), loader: { ...measurement(0.9, 20).loader!, num_workers: 0 } }, gpu: null, cpu: null,
      sweep: [{ num_workers: 0, pin_memory: false, prefetch_factor: null, persistent_workers: false, current: true, stepMs: null, windows: 0, steps: 0, trials: 1, rounds: 0, speedup: null, otherCpuPct: null, processCpuPct: null, wallMs: 900, error: null }],
      sweepOutcome: { decision: 'none-faster', rivals: [], sentence: 'The current setting could not be measured in a trial: nothing is recommended.', budgetMs: 120000, spentMs: 900, rounds: 0, stoppedBy: 'cancelled', otherCpuPct: null, busy: false },
      computeOnlyStepMs: undefined, ioProbe: undefined, script: '/p/train.py',
    });
    const load = findings.find((f) => f.code === 'LOAD001');
    assert.ok(load);
    assert.doesNotMatch(load.message, /found no loader setting/);
    assert.match(load.message, /At most 10x faster if loading were free/);
    assert.match(load.message, /The sweep was stopped by you before it measured the current setting\.$/);
  });
});
