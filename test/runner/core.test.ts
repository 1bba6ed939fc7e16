// Fast checks of the pure parts: schema guards, NDJSON decoding, statistics, verdict thresholds, harness
// location and interpreter resolution.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import { checkProfileEvent, NdjsonDecoder } from '../../src/runner/events';
import { locateHarness } from '../../src/runner/harness-locator';
import { findExecutable, resolveInterpreter } from '../../src/runner/interpreter';
import { InterpreterNotFoundError } from '../../src/runner/errors';
import { median, percentile } from '../../src/runner/stats';
import { RUNTIME_RULES, runtimeFindings } from '../../src/runner/runtime-findings';
import { locateRuntimeFindingsDoc, runtimeFindingRow } from '../../src/runner/runtime-findings-doc';
import { decide, extensions, initialCandidates, spreadOf } from '../../src/runner/sweep-plan';
import { validateRunSummary, verdictForInputShare } from '../../src/shared/profile';
import type { LoaderInfo, ProfileEvent, SummarySweep, SweepOutcome } from '../../src/shared/profile';
import { PY, expectInvalidEventLines, tempDir } from './helpers';

describe('runner core', () => {
  it('verdict thresholds follow docs/profiling.md (20% / 5%)', () => {
    assert.equal(verdictForInputShare(0.2), 'highly-input-bound');
    assert.equal(verdictForInputShare(0.1999), 'moderately-input-bound');
    assert.equal(verdictForInputShare(0.05), 'moderately-input-bound');
    assert.equal(verdictForInputShare(0.0499), 'not-input-bound');
  });

  it('docs/runtime-findings.md describes every runtime code (the editor shows that row on the code\'s docs page)', () => {
    const file = locateRuntimeFindingsDoc(path.resolve(__dirname, '..', '..', 'src', 'runner'));
    assert.ok(file, 'docs/runtime-findings.md found from out/src/runner');
    const markdown = fs.readFileSync(file, 'utf8');
    for (const { code } of RUNTIME_RULES) {
      const row = runtimeFindingRow(markdown, code);
      assert.ok(row, `${code} has a row`);
      assert.ok(row.when.length > 20 && row.figures.length > 0, `${code}: when and figures`);
    }
    assert.match(runtimeFindingRow(markdown, 'RUN003')!.when, /^Data-free control/);
    assert.equal(runtimeFindingRow(markdown, 'RUN999'), undefined);
  });

  it('nearest-rank percentiles and medians', () => {
    assert.equal(percentile([5, 1, 4, 2, 3], 90), 5);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), 9);
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
    assert.equal(median([]), null);
  });

  it('decodes NDJSON split across chunks and rejects unknown or broken lines', () => {
    expectInvalidEventLines();
    const got: ProfileEvent[] = [];
    const bad: string[] = [];
    const d = new NdjsonDecoder({ event: (e) => got.push(e), invalid: (_l, why) => bad.push(why), tooLong: () => bad.push('too long') });
    const steps = JSON.stringify({ type: 'steps', loader: 1, phase: 'measured', first: 0, t: [1], stepMs: [2], waitMs: [1], samples: [8] });
    d.push(steps.slice(0, 10));
    d.push(steps.slice(10) + '\n{"type":"mystery"}\nnot json\n{"type":"notice","level":"info","message":"x"}\n{"type":"end"');
    d.end();
    assert.deepEqual(got.map((e) => e.type), ['steps', 'notice']);
    assert.deepEqual(bad, ['not a known event', 'not JSON', 'truncated line at end of stream']);
    assert.deepEqual(checkProfileEvent({ type: 'steps', loader: 1, phase: 'measured', first: 0, t: [1, 2], stepMs: [2], waitMs: [1], samples: [8] }),
      { problem: 'not a valid steps event: its lists differ in length' });
  });

  it('validates events against their schema: a misnamed or mistyped field is named, a missing optional one gets its default', () => {
    const steps = { type: 'steps', loader: 1, phase: 'measured', first: 0, t: [1], stepMs: [2], waitMs: [1], samples: [8] };
    assert.deepEqual(checkProfileEvent({ ...steps, stepMs: undefined, stepMS: [2] }), {
      problem: "not a valid steps event: event must have required property 'stepMs'",
    });
    const { stepMs: _s, ...renamed } = steps;
    assert.deepEqual(checkProfileEvent({ ...renamed, stepMs: [2], extra: 1 }), {
      problem: 'not a valid steps event: event must NOT have additional properties',
    });
    assert.deepEqual(checkProfileEvent({ ...steps, phase: 'measuring' }), {
      problem: 'not a valid steps event: event/phase must be equal to one of the allowed values',
    });
    assert.deepEqual(checkProfileEvent({ ...steps, waitMs: [-1] }), { problem: 'not a valid steps event: event/waitMs/0 must be >= 0' });
    // What the harness leaves out (it has no value for it) is filled on the Node side, from the schema.
    const loader = { type: 'loader', id: 1, kind: 'optimizer', file: '/p/train.py', line: 3, role: 'train' };
    assert.deepEqual(checkProfileEvent(loader), {
      event: {
        ...loader, column: null, endLine: null, endColumn: null, num_workers: null, batch_size: null, pin_memory: null,
        persistent_workers: null, prefetch_factor: null, datasetType: null, datasetLength: null, batchSource: null,
      },
    });
    assert.deepEqual(checkProfileEvent({ type: 'end', how: 'completed', exitCode: 0, t: 5 }),
      { event: { type: 'end', how: 'completed', exitCode: 0, t: 5, error: null } });
  });

  it('validates summaries and explains a foreign one', () => {
    assert.deepEqual(validateRunSummary({ schemaVersion: 99 }), { ok: false, problem: 'schemaVersion 99 (this build reads 1)' });
    assert.equal(validateRunSummary([]).ok, false);
  });

  it('sweep: tries worker counts past the core count and keeps doubling only while the measured gain continues', () => {
    const cur = { num_workers: 0, pin_memory: false, prefetch_factor: null, persistent_workers: false };
    assert.deepEqual(initialCandidates(cur, 2, false).map((c) => c.num_workers), [0, 1, 2, 4]);
    assert.deepEqual(initialCandidates(cur, 2, true).map((c) => `${c.num_workers}:${c.pin_memory}`), ['0:false', '0:true', '1:true', '2:true', '4:true']);
    const t = (w: number, ms: number, pf: number | null = w ? 2 : null): SummarySweep => ({
      num_workers: w, pin_memory: false, prefetch_factor: pf, persistent_workers: false, current: w === 0,
      stepMs: { p50: ms, p10: ms * 0.95, p90: ms * 1.05 }, windows: 3, steps: 30, trials: 1, rounds: 1, speedup: null,
      otherCpuPct: null, processCpuPct: null, wallMs: 1, error: null,
    });
    const gaining = extensions([t(0, 40), t(1, 20), t(2, 10), t(4, 5)], { round: 1, cuda: false, epochShorterThanTrial: false });
    assert.deepEqual(gaining.map((c) => c.num_workers), [8]);
    const flat = extensions([t(0, 40), t(1, 20), t(2, 10), t(4, 9.8)], { round: 1, cuda: false, epochShorterThanTrial: false });
    assert.deepEqual(flat, []);
    const first = extensions([t(0, 40), t(2, 10)], { round: 0, cuda: false, epochShorterThanTrial: true });
    assert.deepEqual(first.map((c) => `${c.num_workers}/${c.prefetch_factor}/${c.persistent_workers}`), ['4/2/false', '2/4/false', '2/2/true']);
  });

  it('sweep: recommends only a setting whose speed-up interval clears 1, never the current one', () => {
    // A setting's speed-up over the current one (ratio of mean step times) with its p10-p90 interval.
    const t = (w: number, p10: number, p50: number, p90: number): SummarySweep => ({
      num_workers: w, pin_memory: false, prefetch_factor: w ? 2 : null, persistent_workers: false, current: w === 0,
      stepMs: { p10: 100 / p90, p50: 100 / p50, p90: 100 / p10 }, meanStepMs: 100 / p50, windows: 2, steps: 100, trials: 2, rounds: 2,
      speedup: w === 0 ? null : { p10, p50, p90 }, otherCpuPct: null, processCpuPct: null, wallMs: 1, error: null,
    });
    const cur = t(0, 1, 1, 1);
    // Faster mean, interval reaching below 1: uncertain, nothing recommended.
    const overlap = decide([cur, t(2, 0.95, 1.08, 1.2)], false, null);
    assert.equal(overlap.decision, 'uncertain');
    assert.equal(overlap.recommended, undefined);
    assert.match(overlap.sentence, /Nothing is recommended/);
    // The current setting fastest: nothing to recommend.
    const none = decide([cur, t(1, 0.6, 0.7, 0.8), t(2, 0.7, 0.75, 0.8)], false, null);
    assert.equal(none.decision, 'none-faster');
    assert.equal(none.recommended, undefined);
    // Clear winners within each other's noise: the fastest mean, the other named as a rival.
    const clear = decide([cur, t(4, 3.8, 4.4, 4.9), t(8, 4.1, 4.7, 5.2), t(2, 1.7, 1.8, 2)], false, null);
    assert.equal(clear.decision, 'faster');
    assert.equal(clear.recommended?.num_workers, 8);
    assert.equal(clear.recommended?.current, false);
    assert.deepEqual(clear.rivals.map((r) => r.num_workers), [4]);
    assert.match(clear.sentence, /4\.70x \(4\.10-5\.20x\) faster/);
    assert.match(clear.sentence, /ranking uncertain/);
    // One trial process is not enough: the variation between processes was not seen.
    const once = decide([cur, { ...t(4, 3.8, 4.4, 4.9), trials: 1, windows: 1 }], false, null);
    // A second process cut by the budget measured no window: still one run.
    assert.equal(decide([cur, { ...t(4, 3.8, 4.4, 4.9), trials: 2, windows: 1 }], false, null).decision, 'uncertain');
    assert.equal(once.decision, 'uncertain');
    assert.match(once.sentence, /more time/);
    // Only the current setting measured (the budget ran out): no claim that it is fastest.
    const alone = decide([cur, { ...t(2, 1, 1, 1), stepMs: null, meanStepMs: null, speedup: null, trials: 0, windows: 0 }], false, null);
    assert.equal(alone.decision, 'uncertain');
    assert.match(alone.sentence, /before any setting other than the current/);
    assert.doesNotMatch(alone.sentence, /fastest/);
    // A busy machine is named in the sentence.
    assert.match(decide([cur, t(4, 3.8, 4.4, 4.9)], true, 60).sentence, /Other processes used 60% of the CPU/);
  });

  it('sweep: a setting\'s spread is median and nearest-rank p10/p90', () => {
    assert.deepEqual(spreadOf([5, 1, 4, 2, 3, 6, 7, 8, 9, 10]), { p50: 5.5, p10: 1, p90: 9 });
    assert.equal(spreadOf([]), null);
  });

  it('sweep: no finding claims a measured fix unless the sweep recommended one, and then with its interval', () => {
    const loader: LoaderInfo = {
      id: 1, kind: 'torch', file: '/p/train.py', line: 12, column: 9, endLine: 12, endColumn: 40, num_workers: 0, batch_size: 32,
      pin_memory: false, persistent_workers: false, prefetch_factor: null, datasetType: 'D', datasetLength: 2048, role: 'train', batchSource: null, training: true,
    };
    const m = {
      loader, measured: [], warmup: 10, inputShare: 0.4, inputShareP90: 0.5, stepTimeMs: { p50: 20, p90: 22 },
      dataWaitMs: { p50: 8, p90: 9 }, samplesPerSec: 1600, span: null,
    };
    const trial = (w: number, p50: number): SummarySweep => ({
      num_workers: w, pin_memory: false, prefetch_factor: w ? 2 : null, persistent_workers: false, current: w === 0,
      stepMs: { p50, p10: p50 * 0.9, p90: p50 * 1.1 }, windows: 6, steps: 60, trials: 2, rounds: 2, speedup: null,
      otherCpuPct: 10, processCpuPct: 50, wallMs: 1, error: null,
    });
    const base: Omit<SweepOutcome, 'decision' | 'sentence'> = { rivals: [], budgetMs: 1, spentMs: 1, rounds: 2, stoppedBy: 'done', otherCpuPct: 10, busy: false };
    const inputs = { verdict: 'highly-input-bound' as const, m, gpu: null, cpu: null, computeOnlyStepMs: undefined, ioProbe: undefined, script: '/p/train.py' };
    const none = runtimeFindings({ ...inputs, sweep: [trial(0, 20), trial(2, 19)], sweepOutcome: { ...base, decision: 'uncertain', sentence: 'No setting beats the current one.' } });
    assert.deepEqual(none.map((f) => f.code), ['LOAD001']);
    assert.doesNotMatch(none[0]?.message ?? '', /Measured fix/);
    assert.match(none[0]?.message ?? '', /no loader setting that beats the current one/);
    assert.equal(none[0]?.figures?.measuredSpeedup, undefined);
    const speedup = { p50: 2, p10: 1.6, p90: 2.4 };
    const yes = runtimeFindings({
      ...inputs, sweep: [trial(0, 20), trial(2, 10)],
      sweepOutcome: { ...base, decision: 'faster', recommended: { num_workers: 2, pin_memory: false, prefetch_factor: 2, persistent_workers: false }, speedup, sentence: 'Measured in trial runs: 2.00x.' },
    });
    assert.deepEqual(yes.map((f) => f.code), ['LOAD001', 'RUN002']);
    assert.match(yes[0]?.message ?? '', /Measured fix: num_workers=2, prefetch_factor=2, pin_memory=False made steps 2\.0x faster in trial runs \(p10-p90 1\.6-2\.4x\)/);
    assert.deepEqual([yes[1]?.figures?.measuredSpeedup, yes[1]?.figures?.measuredSpeedupP10, yes[1]?.severity], [2, 1.6, 'warning']);
  });

  it('finds the harness next to the compiled code or in the source tree', () => {
    const entry = locateHarness();
    assert.ok(fs.existsSync(entry));
    assert.equal(path.basename(entry), 'pd_harness.py');
    const bundle = tempDir('dist');
    fs.mkdirSync(path.join(bundle, 'python'));
    fs.writeFileSync(path.join(bundle, 'python', 'pd_harness.py'), '');
    assert.equal(locateHarness(bundle), path.join(bundle, 'python', 'pd_harness.py'));
  });

  it('resolves the interpreter: explicit, then candidates, then python3; a missing explicit path is an error', () => {
    assert.deepEqual(resolveInterpreter({ explicit: PY, cwd: '/' }), { path: PY, source: 'explicit' });
    assert.equal(resolveInterpreter({ candidates: ['/nope/python', PY], cwd: '/' }).path, PY);
    assert.equal(resolveInterpreter({ candidates: ['/nope/python'], cwd: '/' }).source, 'default');
    assert.throws(() => resolveInterpreter({ explicit: '/nope/python', cwd: '/' }), InterpreterNotFoundError);
    assert.equal(findExecutable('definitely-not-a-command-xyz', '/'), null);
  });
});
