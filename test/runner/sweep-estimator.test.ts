// The sweep's prediction is the re-run's comparison (docs/profiling.md, "Sweep: trial runs"): trials run
// the baseline's window, and the predicted speed-up is the statistic `compare` computes for a re-run; the
// budget is planned from the first trial's measured start-up. A scripted trial runner and clock stand in
// for the processes, so the arithmetic is checked exactly (the real trials: sweep.test.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TrialResult, TrialSpec } from '../../src/runner/loader-trial';
import type { StepRow } from '../../src/runner/run-state';
import { runSweep } from '../../src/runner/sweep';
import type { SweepInputs } from '../../src/runner/sweep';
import { sameSetting } from '../../src/runner/sweep-plan';
import type { LoaderInfo, LoaderSetting } from '../../src/shared/profile';
import { bootstrapSpeedup, compareMeasuredRuns } from '../../src/shared/run-comparison';
import type { MeasuredRun } from '../../src/shared/run-comparison';
import { writeSyntheticRun } from '../helpers/synthetic-run';
import { tempDir } from './helpers';

const loader: LoaderInfo = {
  id: 1, kind: 'torch', file: '/p/train.py', line: 12, column: 9, endLine: 12, endColumn: 40, num_workers: 0, batch_size: 32,
  pin_memory: false, persistent_workers: false, prefetch_factor: null, datasetType: 'D', datasetLength: 100_000, role: 'train',
  batchSource: null, training: true,
};

function rows(stepMs: readonly number[]): StepRow[] {
  let t = 0;
  return stepMs.map((ms, index) => {
    const row = { loader: 1, index, phase: 'measured' as const, t, stepMs: ms, waitMs: 0, samples: 32 };
    t += ms;
    return row;
  });
}

/** Steps of `n` with workers: batches arrive in rounds, three fast steps then one that waits for the round. */
function rounds(n: number, fast: number, slow: number): number[] {
  return Array.from({ length: n }, (_, i) => (i % 4 === 3 ? slow : fast));
}

function inputs(stepsOf: (s: LoaderSetting) => number[], o: Partial<SweepInputs> & { trialWallMs?: number } = {}): { x: SweepInputs; specs: TrialSpec[] } {
  const specs: TrialSpec[] = [];
  let clock = 0;
  const x: SweepInputs = {
    base: { python: 'python3', harness: 'pd_harness.py', script: '/p/train.py', args: [], module: false, cwd: '/p', env: {}, graceMs: 1000, dataProbe: true },
    loader, baselineSteps: stepsOf({ num_workers: 0, pin_memory: false, prefetch_factor: null, persistent_workers: false }),
    baselineWallMs: 5000, warmup: 5, steps: 40, cpus: 2, cuda: false, budgetMs: 120_000,
    run: async (spec: TrialSpec): Promise<TrialResult> => {
      specs.push(spec);
      const wallMs = o.trialWallMs ?? 3000;
      clock += wallMs;
      const applied = { ...loader, ...spec.setting };
      return { measured: rows(stepsOf(spec.setting)), loader: applied, wallMs, otherCpuPct: 5, processCpuPct: 50, error: null, cut: null };
    },
    now: () => clock,
    ...o,
  };
  return { x, specs };
}

describe('sweep: the prediction is the re-run comparison\'s estimator', () => {
  it('trials run the baseline\'s window, and the predicted speed-up is compare\'s ratio of mean step times', async () => {
    // num_workers=0: 40 ms a step. With workers the steps split into fast ones and one that waits for the
    // round: 2 workers 5 ms x3 + 50 ms (mean 16.25 ms, median 5 ms); 4 workers the same; 1 worker 30 ms.
    const stepsOf = (s: LoaderSetting): number[] => (s.num_workers === 0 ? Array(40).fill(40) : s.num_workers === 1 ? Array(40).fill(30) : rounds(40, 5, 50));
    const { x, specs } = inputs(stepsOf);
    const r = await runSweep(x);
    for (const spec of specs) assert.deepEqual([spec.warmup, spec.steps, spec.dataProbe], [5, 40, true], 'every trial runs the baseline run\'s window');
    assert.equal(r.outcome.decision, 'faster', r.outcome.sentence);
    const rec = r.outcome.recommended;
    assert.ok(rec && rec.num_workers >= 2, JSON.stringify(rec));
    assert.ok(!sameSetting(rec, { num_workers: 0, pin_memory: false, prefetch_factor: null, persistent_workers: false }), 'never the current setting');
    // What `profile --compare-with <sweep run>` would report for a re-run with that setting.
    const summary = await writeSyntheticRun(tempDir('sweep-estimator'), { steps: 60 });
    const run = (steps: number[]): MeasuredRun => ({ summary, stepMs: steps, waitMs: steps.map(() => 0) });
    const rerun = compareMeasuredRuns(run(x.baselineSteps as number[]), run(stepsOf(rec))).speedup;
    assert.ok(rerun);
    assert.equal(r.outcome.speedup?.p50, Math.round(rerun.p50 * 1000) / 1000);
    assert.equal(r.outcome.speedup?.p50, 2.462, 'mean 40 ms / mean 16.25 ms, not the medians\' 8x');
    const cur = r.candidates.find((c) => c.current);
    assert.equal(cur?.trials, cur ? cur.rounds + 1 : -1, 'the baseline run counts as one run of the current setting');
  });

  it('with one run a side the sweep\'s bootstrap is compare\'s, draw for draw', async () => {
    const { bootstrapSpeedupOfRuns } = await import('../../src/shared/run-comparison');
    const a = rounds(60, 8, 30);
    const b = Array.from({ length: 50 }, (_, i) => 20 + (i % 7));
    assert.deepEqual(bootstrapSpeedupOfRuns([a], [b]), bootstrapSpeedup(a, b));
    // Two runs that disagree widen the interval beyond what either run's steps alone show.
    const one = bootstrapSpeedupOfRuns([b], [a]);
    const two = bootstrapSpeedupOfRuns([b, b.map((v) => v * 1.3)], [a, a]);
    assert.ok(one && two && two.high - two.low > one.high - one.low, JSON.stringify({ one, two }));
  });

  it('plans from the first trial\'s start-up and says when the budget cannot cover the candidates', async () => {
    // A script that evaluates before its first step: each trial takes 40 s, nearly all of it start-up.
    const stepsOf = (s: LoaderSetting): number[] => Array(40).fill(s.num_workers === 0 ? 40 : 20);
    const { x, specs } = inputs(stepsOf, { budgetMs: 100_000, trialWallMs: 40_000 });
    const r = await runSweep(x);
    assert.equal(specs.length, 2, 'the current setting, then one candidate: the next would not fit');
    assert.equal(r.outcome.stoppedBy, 'budget');
    assert.ok(r.outcome.budgetNeededMs !== undefined && r.outcome.budgetNeededMs > 200_000, String(r.outcome.budgetNeededMs));
    assert.match(r.outcome.sentence, /The budget could not cover the candidates: a trial took about 40 s here, 39 s of it before the first step \(measured in the first trial\); .* needs about \d+ s \(--sweep-budget \d+\)/);
    assert.notEqual(r.outcome.decision, 'faster');
  });

  it('trials slower than the first one planned: when the budget stops the first rounds, it still says what budget would do', async () => {
    const stepsOf = (s: LoaderSetting): number[] => Array(40).fill(s.num_workers === 0 ? 40 : 20);
    const walls = [10_000, 30_000, 30_000, 30_000, 30_000, 30_000];
    const { x, specs } = inputs(stepsOf, { budgetMs: 70_000 });
    const inner = x.run!;
    let clock = 0;
    x.now = () => clock;
    x.run = async (spec) => {
      const r = await inner(spec);
      r.wallMs = walls[specs.length - 1] ?? 30_000;
      clock += r.wallMs;
      return r;
    };
    const r = await runSweep(x);
    // After the first trial (10 s) the plan fitted 70 s; the second took 30 s and left no room for a third.
    assert.equal(specs.length, 2);
    assert.equal(r.outcome.stoppedBy, 'budget');
    assert.ok(r.outcome.budgetNeededMs !== undefined && r.outcome.budgetNeededMs > 70_000, String(r.outcome.budgetNeededMs));
    assert.match(r.outcome.sentence, /The budget could not cover the candidates/);
  });

  it('a budget that covers the plan says nothing about it', async () => {
    const stepsOf = (s: LoaderSetting): number[] => Array(40).fill(s.num_workers === 0 ? 40 : 20);
    const { x } = inputs(stepsOf, { budgetMs: 600_000, trialWallMs: 4_000 });
    const r = await runSweep(x);
    assert.equal(r.outcome.budgetNeededMs, undefined);
    assert.doesNotMatch(r.outcome.sentence, /could not cover/);
  });
});
