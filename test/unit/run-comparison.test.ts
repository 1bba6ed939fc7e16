// The verify loop's comparison (src/shared/run-comparison.ts) on run summaries the runner's own writer
// produced (test/helpers/synthetic-run.ts), with step series built to the case.
import assert from 'node:assert/strict';
import path from 'node:path';
import os from 'node:os';
import fs from 'node:fs';
import { before, describe, it } from 'node:test';
import type { RunSummary } from '../../src/shared/profile';
import { blockLength, bootstrapSpeedup, compareMeasuredRuns, configChangeText, isRunComparison } from '../../src/shared/run-comparison';
import type { MeasuredRun } from '../../src/shared/run-comparison';
import { readMeasuredRun } from '../../src/runner/measured-run';
import { rerunConfiguration } from '../../src/runner/rerun';
import { writeSyntheticRun } from '../helpers/synthetic-run';
import { main } from '../../src/cli';
import { isHostToWebviewMessage } from '../../src/shared/protocol';

let template: RunSummary;
let folder: string;

/** A run of `template` with its own steps, training-loader settings, verdict and other-process load. */
function run(stepMs: number[], o: { workers?: number; batch?: number; other?: number | null; verdict?: RunSummary['verdict']; samples?: number } = {}): MeasuredRun {
  const summary: RunSummary = structuredClone(template);
  const loader = summary.loaders[0]!;
  loader.num_workers = o.workers ?? 0;
  loader.batch_size = o.batch ?? 32;
  loader.prefetch_factor = (o.workers ?? 0) > 0 ? 2 : null;
  summary.verdict = o.verdict ?? 'highly-input-bound';
  summary.cpu = summary.cpu && { ...summary.cpu, otherMeanPct: o.other === undefined ? 5 : o.other };
  return { summary, stepMs, waitMs: stepMs.map((s) => s * 0.5), samples: stepMs.map(() => o.samples ?? o.batch ?? 32) };
}

/** Deterministic noise around `ms` (±`jitter` share). */
function noisy(n: number, ms: number, jitter = 0.1, phase = 0): number[] {
  return Array.from({ length: n }, (_, i) => ms * (1 + jitter * Math.sin(i * 1.7 + phase) * Math.cos(i * 0.37)));
}

describe('run comparison', () => {
  before(async () => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-compare-'));
    template = await writeSyntheticRun(folder, { steps: 60 });
  });

  it('a clear gain: the throughput ratio with an interval above 1, the loader diff and the verdict change', () => {
    const c = compareMeasuredRuns(run(noisy(50, 40)), run(noisy(50, 14, 0.1, 1), { workers: 2, verdict: 'not-input-bound' }));
    assert.equal(c.decision, 'faster');
    assert.ok(c.speedup);
    assert.ok(Math.abs(c.speedup.p50 - 40 / 14) < 0.15, String(c.speedup.p50));
    assert.ok(c.speedup.low > 1 && c.speedup.low <= c.speedup.p50 && c.speedup.p50 <= c.speedup.high, JSON.stringify(c.speedup));
    assert.equal(c.speedup.level, 0.9);
    assert.deepEqual(c.configChanges.map(configChangeText), ['num_workers 0 \u2192 2', 'prefetch_factor None \u2192 2']);
    assert.equal(c.verdictChanged, true);
    assert.match(c.sentence, /^The second run is 2\.\d+x faster per step \(90% interval/);
    assert.match(c.sentence, /The verdict changed: Highly input-bound: .* \u2192 Not input-bound/);
    assert.equal(c.loadWarning, null);
    assert.ok(isRunComparison(c));
  });

  it('the same pipeline twice: the interval includes 1 and nothing is called faster', () => {
    const c = compareMeasuredRuns(run(noisy(50, 20, 0.3)), run(noisy(50, 20, 0.3, 2)));
    assert.equal(c.decision, 'unclear');
    assert.ok(c.speedup && c.speedup.low <= 1 && c.speedup.high >= 1, JSON.stringify(c.speedup));
    assert.deepEqual(c.configChanges, []);
    assert.equal(c.verdictChanged, false);
    assert.match(c.sentence, /^No clear change/);
  });

  it('batches arriving in rounds: the speed-up is the mean\'s (the time training takes), not the median\'s', () => {
    // 3 of 5 steps wait 30 ms for the next round of worker batches, 2 find a batch ready (0.5 ms): the
    // median (30 ms) says 1.2x, the time the steps take says 36 / 18.2 = 1.98x.
    const rounds = Array.from({ length: 50 }, (_, i) => (i % 5 < 3 ? 30 : 0.5));
    const c = compareMeasuredRuns(run(Array(50).fill(36)), run(rounds, { workers: 2 }));
    assert.ok(c.speedup);
    assert.ok(Math.abs(c.speedup.p50 - 36 / 18.2) < 0.01, String(c.speedup.p50));
    assert.equal(c.after.stepMs?.p50, 30);
  });

  it('the interval reflects correlated steps: blocks of consecutive steps are resampled together', () => {
    assert.equal(blockLength(50), 4);
    assert.equal(blockLength(1000), 10);
    assert.equal(blockLength(1), 1);
    // The same numbers in long slow/fast stretches vary more between resamples than alternating ones.
    const stretches = Array.from({ length: 64 }, (_, i) => (Math.floor(i / 16) % 2 === 0 ? 30 : 10));
    const alternating = Array.from({ length: 64 }, (_, i) => (i % 2 === 0 ? 30 : 10));
    const flat = Array(64).fill(20);
    const wide = bootstrapSpeedup(stretches, flat);
    const narrow = bootstrapSpeedup(alternating, flat);
    assert.ok(wide && narrow);
    assert.ok(wide.high - wide.low > narrow.high - narrow.low, `${JSON.stringify(wide)} vs ${JSON.stringify(narrow)}`);
  });

  it('is reproducible: the same two runs give the same interval', () => {
    const a = compareMeasuredRuns(run(noisy(40, 30, 0.4)), run(noisy(40, 20, 0.4, 1), { workers: 1 }));
    const b = compareMeasuredRuns(run(noisy(40, 30, 0.4)), run(noisy(40, 20, 0.4, 1), { workers: 1 }));
    assert.deepEqual(a.speedup, b.speedup);
  });

  it('warns when the runs ran under different machine load, or a busy one, and not otherwise', () => {
    const steps = noisy(30, 20);
    const different = compareMeasuredRuns(run(steps, { other: 4 }), run(steps, { other: 61 }));
    assert.match(different.loadWarning ?? '', /different machine load: other processes used 4% of the CPU during the first run and 61% during the second/);
    const busy = compareMeasuredRuns(run(steps, { other: 40 }), run(steps, { other: 45 }));
    assert.match(busy.loadWarning ?? '', /busy/);
    assert.equal(compareMeasuredRuns(run(steps, { other: 4 }), run(steps, { other: 9 })).loadWarning, null);
    assert.equal(compareMeasuredRuns(run(steps, { other: null }), run(steps, { other: 70 })).loadWarning, null);
  });

  it('a changed batch size is compared per sample, or not at all without sample counts', () => {
    // Twice the batch in 1.5x the time: 1.33x faster per sample although each step is slower.
    const c = compareMeasuredRuns(run(noisy(40, 20), { batch: 32 }), run(noisy(40, 30), { batch: 64 }));
    assert.equal(c.speedup?.basis, 'time per sample');
    assert.ok(c.speedup && Math.abs(c.speedup.p50 - 4 / 3) < 0.05, JSON.stringify(c.speedup));
    assert.ok(c.configChanges.some((x) => configChangeText(x) === 'batch_size 32 \u2192 64'));
    const unknown = run(noisy(40, 30), { batch: 64 });
    unknown.samples = unknown.stepMs.map(() => null);
    const n = compareMeasuredRuns(run(noisy(40, 20), { batch: 32 }), unknown);
    assert.equal(n.decision, 'not-comparable');
    assert.match(n.sentence, /batch size changed/);
  });

  it('too few steps or a failed run: no speed-up is quoted', () => {
    assert.equal(compareMeasuredRuns(run(noisy(3, 20)), run(noisy(40, 10))).decision, 'not-comparable');
    const failed = compareMeasuredRuns(run(noisy(40, 20)), run([], { verdict: 'failed' }));
    assert.equal(failed.speedup, null);
    assert.match(failed.sentence, /one of the runs failed/);
  });

  it('the guard rejects a damaged comparison', () => {
    const c = compareMeasuredRuns(run(noisy(50, 40)), run(noisy(50, 14), { workers: 2 }));
    assert.ok(isRunComparison(JSON.parse(JSON.stringify(c))));
    assert.equal(isRunComparison({ ...c, speedup: { ...c.speedup, low: 'x' } }), false);
    assert.equal(isRunComparison({ ...c, decision: 'much faster' }), false);
    assert.equal(isRunComparison({ ...c, configChanges: [{ setting: 'num_workers', before: 0, after: 2 }] }), false);
    assert.equal(isRunComparison({ ...c, before: { ...c.before, stepMs: { p50: Infinity, p10: 1, p90: 2 } } }), false);
  });

  it('travels to the webview only whole: the comparison message\'s guard checks it', () => {
    const measured = compareMeasuredRuns(run(noisy(50, 40)), run(noisy(50, 14), { workers: 2 }));
    const message = { type: 'comparison', base: { ...template, id: 'run-a' }, other: { ...template, id: 'run-b' } };
    assert.ok(isHostToWebviewMessage(message));
    assert.ok(isHostToWebviewMessage({ ...message, measured }));
    assert.equal(isHostToWebviewMessage({ ...message, measured: { ...measured, sentence: 42 } }), false);
    assert.equal(isHostToWebviewMessage({ ...message, measured: null }), false);
  });

  it('reruns a run\'s configuration: script, arguments, interpreter, steps; a sweep as quick; no control when it had none', () => {
    const s: RunSummary = { ...structuredClone(template), mode: 'sweep', args: ['--lr', '0.1'], steps: 30, warmupSteps: 3 };
    delete s.computeOnlyStepMs;
    const { options, notes } = rerunConfiguration(s);
    assert.deepEqual(options, { script: s.script, args: ['--lr', '0.1'], cwd: s.cwd, python: s.python.path, mode: 'quick', steps: 30, warmup: 3, controlSteps: 0 });
    assert.match(notes.join(' '), /was a sweep/);
    const full = rerunConfiguration({ ...template, mode: 'full' }).options;
    assert.equal(full.steps, undefined);
    assert.equal(full.controlSteps, template.computeOnlyStepMs === undefined ? 0 : undefined);
  });

  it('reads the training loader\'s measured steps of a run folder in order', () => {
    const m = readMeasuredRun(folder);
    assert.equal(m.stepMs.length, template.steps);
    assert.ok(m.stepMs.every((x) => x > 0));
    assert.equal(m.summary.folder, template.folder);
  });
});

describe('pipeline-doctor compare', () => {
  async function cli(argv: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await main(argv, { stdout: (s) => { out += s; }, stderr: (s) => { err += s; }, cwd, version: '0', color: false });
    return { code, out, err };
  }

  it('compares two run folders named under --out, and refuses what it cannot find', async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'pd-compare-cli-'));
    await writeSyntheticRun(path.join(base, 'runs', 'a'), { steps: 60, stepMs: 20 });
    await writeSyntheticRun(path.join(base, 'runs', 'b'), { steps: 60, stepMs: 10 });
    const ok = await cli(['compare', 'a', 'b', '--out', 'runs'], base);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /^Before: runs\/a\nAfter:  runs\/b\n/);
    assert.match(ok.out, /^Speed-up: 2\.00x \(90% interval \d\.\d\d-\d\.\d\dx, ratio of mean step time\)$/m);
    assert.match(ok.out, /^Changed: nothing the runs recorded/m);
    const json = await cli(['compare', path.join(base, 'runs', 'a'), path.join(base, 'runs', 'b'), '--json'], os.tmpdir());
    assert.ok(isRunComparison(JSON.parse(json.out)));
    const one = await cli(['compare', 'a'], base);
    assert.equal(one.code, 2);
    assert.match(one.err, /compare takes two runs, before and after \(got 1\)/);
    const missing = await cli(['compare', 'a', 'nope', '--out', 'runs'], base);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /no run 'nope'/);
  });
});
