// Pure dashboard functions: Arrow -> typed-array series, verdict text, comparison maths, escaping, sweep.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { RunSummary, SummarySweep, SweepOutcome } from '../../src/shared/profile';
import { base64ToBytes, bytesToBase64, escapeHtml, jsonForScriptElement } from '../../src/shared/html';
import { readTableBytes, listRuns, loadDashboardRun } from '../../src/report/run-data';
import { combineFindings } from '../../src/report/findings';
import { compareRuns, runSpeedup } from '../../webview/model/compare';
import { findingEvidence, findingOrder, findingSpeedup } from '../../webview/model/findings';
import { fmtSpeedup } from '../../webview/model/format';
import { decodeTables, hasSignal, PHASE_CONTROL, PHASE_MEASURED, PHASE_WARMUP, stepSeries, timeSeries, withGaps } from '../../webview/model/series';
import { sweepChart } from '../../webview/model/sweep';
import { controlSentence, headlineNumbers, verdictDetails, verdictSentence } from '../../webview/model/verdict';
import type { Finding } from '../../src/shared/findings';
import { writeSyntheticRun } from '../helpers/synthetic-run';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'pd-dash-'));

describe('Arrow -> series', () => {
  it('reads the runner\'s step file into typed arrays with phases', async () => {
    const dir = tmp();
    const summary = await writeSyntheticRun(dir, { steps: 25_000, inputShare: 0.5 });
    const { tables, problems } = decodeTables(readTableBytes(dir));
    assert.deepEqual(problems, []);
    assert.ok(tables.steps);
    const s = stepSeries(tables.steps, summary.loaders[0]?.id ?? null);
    assert.equal(s.length, 25_000);
    assert.ok(s.stepMs instanceof Float32Array && s.waitMs instanceof Float32Array && s.index instanceof Float64Array);
    assert.equal(s.phase[0], PHASE_WARMUP);
    assert.equal(s.phase[100], PHASE_MEASURED);
    assert.equal(s.phase[24_999], PHASE_CONTROL);
    assert.deepEqual(s.phaseRanges.map((r) => r.phase), [PHASE_WARMUP, PHASE_MEASURED, PHASE_CONTROL]);
    assert.ok(Math.abs((s.computeMs[50] ?? 0) - ((s.stepMs[50] ?? 0) - (s.waitMs[50] ?? 0))) < 1e-4);
    assert.equal(s.index[24_999], 24_999);
  });

  it('keeps only the training loader\'s steps', async () => {
    const dir = tmp();
    await writeSyntheticRun(dir, { steps: 30 });
    const { tables } = decodeTables(readTableBytes(dir));
    assert.ok(tables.steps);
    assert.equal(stepSeries(tables.steps, 1).length, 30);
    assert.equal(stepSeries(tables.steps, 2).length, 0);
  });

  it('turns time-stamped tables into seconds since start, NaN for nulls, gaps for uPlot', async () => {
    const dir = tmp();
    const summary = await writeSyntheticRun(dir, { steps: 50 });
    const { tables } = decodeTables(readTableBytes(dir));
    assert.ok(tables.system);
    const sys = timeSeries(tables.system, ['cpuPct', 'diskReadMBps', 'missing'], Date.parse(summary.startedAt));
    assert.equal(sys.t[0], 0);
    assert.equal(sys.t[1], 0.2);
    assert.ok(Number.isNaN(sys.values.diskReadMBps?.[0]));
    assert.equal(sys.values.missing, undefined);
    const gaps = withGaps(sys.values.diskReadMBps ?? new Float32Array());
    assert.ok(Array.isArray(gaps) && gaps[0] === null);
    assert.ok(withGaps(sys.values.cpuPct ?? new Float32Array()) instanceof Float32Array);
    assert.equal(hasSignal(new Float32Array([0, NaN])), false);
  });

  it('reports an unreadable table instead of throwing', () => {
    const { tables, problems } = decodeTables({ steps: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), system: null, gpu: null, loaders: null });
    assert.equal(tables.steps, null);
    assert.equal(problems.length, 1);
  });
});

function summary(over: Partial<RunSummary> = {}): RunSummary {
  return {
    schemaVersion: 1, verdict: 'highly-input-bound', notes: [], mode: 'quick', script: '/p/train.py', args: [], cwd: '/p',
    python: { path: 'python', version: null, torch: null, cuda: false }, startedAt: '2026-01-01T00:00:00.000Z', durationMs: 1,
    ended: { how: 'stopped-after-quick', exitCode: 0, signal: null }, inputShare: 0.74, inputShareP90: 0.8,
    stepTimeMs: { p50: 13.6, p90: 15 }, dataWaitMs: { p50: 10, p90: 12 }, samplesPerSec: 1585, steps: 50, warmupSteps: 10,
    loaders: [], gpu: null, cpu: null, disk: null, findings: [], folder: '/p/run',
    files: { summary: 'summary.json', steps: null, system: null, loaders: null, gpu: null }, ...over,
  };
}

describe('verdict text', () => {
  it('says the verdict in words with the measured share', () => {
    assert.equal(verdictSentence(summary()), 'Highly input-bound: 74% of each step waits for data');
    assert.equal(verdictSentence(summary({ verdict: 'moderately-input-bound', inputShare: 0.12 })), 'Moderately input-bound: 12% of each step waits for data');
    assert.equal(verdictSentence(summary({ verdict: 'not-input-bound', inputShare: 0.03 })), 'Not input-bound: only 3% of each step waits for data');
    assert.equal(verdictSentence(summary({ verdict: 'failed', error: 'ImportError: torch' })), 'The run failed: ImportError: torch');
  });

  it('gives the data-free control sentence', () => {
    // Summaries written before the control was checked against the split: the control is not quoted as a bound.
    assert.equal(controlSentence(summary({ computeOnlyStepMs: 3.5 })),
      'Your steps take 13.6 ms, of which 10.0 ms wait for data; compute alone took 3.5 ms in the data-free control (not checked against the split).');
    assert.equal(controlSentence(summary()), null);
  });

  it('names the loader and the GPU in the details and lists the headline numbers', () => {
    const s = summary({
      loaders: [{ id: 1, kind: 'torch', file: '/p/train.py', line: 15, num_workers: 0, batch_size: 32, pin_memory: false, persistent_workers: false, prefetch_factor: null, datasetType: null, datasetLength: null, role: 'train', training: true, fetches: 60 }],
      gpu: { source: 'nvml', name: 'H100', utilizationMedianPct: 10, memoryPeakMiB: 8000, memoryTotalMiB: 80000, torchPeakAllocatedMiB: null, samples: 10 },
    });
    const d = verdictDetails(s).join(' ');
    assert.match(d, /train\.py:15 loads in the training process \(num_workers=0\)/);
    assert.match(d, /GPU H100 busy 10% of the time \(median\): it waits for the loader/);
    const n = headlineNumbers(s);
    assert.deepEqual(n.map((x) => x.label), ['Samples/s', 'Step time p50', 'Data wait', 'GPU utilization', 'GPU memory peak', 'CPU', 'Disk read']);
    assert.equal(n[0]?.value, '1,585');
    assert.equal(n[2]?.value, '74%');
    assert.equal(n[4]?.value, '7.8 GiB');
  });

  it('gives a CPU run one GPU card that says there was none, not two dashes', () => {
    const n = headlineNumbers(summary({ gpu: null }));
    assert.deepEqual(n.filter((x) => x.label.startsWith('GPU')), [{ label: 'GPU', value: 'none', detail: 'no GPU on this run' }]);
  });
});

describe('comparison maths', () => {
  it('computes the before/after speedup from throughput', () => {
    const before = summary();
    const after = summary({ verdict: 'moderately-input-bound', inputShare: 0.05, samplesPerSec: 6250, stepTimeMs: { p50: 5.1, p90: 6 } });
    const c = compareRuns(before, after);
    assert.equal(c.speedupBasis, 'samples/s');
    assert.ok(Math.abs((c.speedup ?? 0) - 6250 / 1585) < 1e-9);
    assert.equal(fmtSpeedup(c.speedup), '3.9x');
    assert.equal(c.sentence, 'The second run is 3.9x faster (6,250 vs 1,585 samples/s); data wait 74% \u2192 5% of each step.');
    const wait = c.rows.find((r) => r.label === 'Data wait (median)');
    assert.deepEqual([wait?.change, wait?.better], ['\u221269 pts', true]);
    const step = c.rows.find((r) => r.label === 'Step time p50');
    assert.equal(step?.change, '2.7x faster');
    assert.equal(compareRuns(after, before).rows.find((r) => r.label === 'Samples/s')?.better, false);
  });

  it('falls back to step time, and says when runs cannot be compared', () => {
    assert.deepEqual(runSpeedup(summary({ samplesPerSec: null }), summary({ samplesPerSec: null, stepTimeMs: { p50: 6.8, p90: 7 } })), { speedup: 2, basis: 'step time' });
    const c = compareRuns(summary({ samplesPerSec: null, stepTimeMs: null }), summary());
    assert.equal(c.speedup, null);
    assert.match(c.sentence, /cannot be compared/);
  });
});

describe('escaping and embedding', () => {
  it('escapes HTML and keeps JSON from closing its script element', () => {
    const evil = '<img src=x onerror=alert(1)></script><!-- "\'&';
    assert.equal(escapeHtml(evil), '&lt;img src=x onerror=alert(1)&gt;&lt;/script&gt;&lt;!-- &quot;&#39;&amp;');
    const json = jsonForScriptElement({ evil, sep: '\u2028' });
    assert.ok(!json.includes('<') && !json.includes('>') && !json.includes('\u2028'));
    assert.deepEqual(JSON.parse(json), { evil, sep: '\u2028' });
  });

  it('round-trips bytes through base64 and refuses foreign characters', () => {
    for (const len of [0, 1, 2, 3, 4, 5, 100, 10_001]) {
      const b = Uint8Array.from({ length: len }, (_, i) => (i * 37 + 11) & 255);
      const text = bytesToBase64(b);
      assert.equal(text, Buffer.from(b).toString('base64'));
      assert.deepEqual(base64ToBytes(text), b);
    }
    assert.equal(base64ToBytes('ab<c'), null);
  });
});

describe('findings and sweep', () => {
  const range = { start: { line: 14, character: 13 }, end: { line: 14, character: 69 } };
  const fix = { title: 'Set num_workers', safe: false, edits: [{ range, newText: 'x' }] };
  const runtime: Finding = { code: 'LOAD001', severity: 'warning', message: 'measured', file: '/p/t.py', range, fixes: [], related: [], origin: 'runtime', figures: { inputShare: 0.74, stepMsP50: 13.6, measuredSpeedup: 3.9, custom: 'x' } };
  const staticTwin: Finding = { ...runtime, message: 'static', origin: 'static', fixes: [fix], figures: undefined };
  const other: Finding = { ...staticTwin, code: 'PREP001', severity: 'info', range: { start: { line: 30, character: 0 }, end: { line: 30, character: 4 } } };

  it('merges a runtime finding with the static one it confirms, keeping the static fix', () => {
    const all = combineFindings([runtime], [staticTwin, other]);
    assert.deepEqual(all.map((f) => `${f.code}:${f.origin}:${f.fixes.length}`), ['LOAD001:runtime:1', 'PREP001:static:1']);
  });

  it('states evidence and speedup from the measured figures only', () => {
    assert.deepEqual(findingEvidence(runtime), ['data wait 74% of step', 'step 13.6 ms', 'custom x']);
    assert.equal(findingSpeedup(runtime), 3.9);
    assert.equal(findingSpeedup(staticTwin), null);
    assert.deepEqual(findingOrder([other, runtime]), [1, 0]);
  });

  it('lays the sweep out per num_workers with the recommended and the current setting marked', () => {
    const p = (num_workers: number, pin: boolean, pf: number | null, sps: number, current = false): SummarySweep => ({
      num_workers, pin_memory: pin, prefetch_factor: pf, persistent_workers: false, current,
      stepMs: sps > 0 ? { p50: 1000 / sps, p10: 1000 / sps, p90: 1000 / sps } : null, windows: 3, steps: 30, trials: 1, rounds: 1,
      speedup: null, otherCpuPct: null, processCpuPct: null, wallMs: 1, error: null,
    });
    const points = [p(0, false, null, 50, true), p(2, false, 2, 100), p(4, true, 2, 200), p(4, false, 2, 125), { ...p(8, false, 2, 0), error: 'boom' }];
    const outcome: SweepOutcome = {
      decision: 'faster', recommended: { num_workers: 4, pin_memory: true, prefetch_factor: 2, persistent_workers: false },
      speedup: { p50: 4, p10: 3.5, p90: 4.5 }, rivals: [], sentence: 's', budgetMs: 1, spentMs: 1, rounds: 1, stoppedBy: 'done',
      otherCpuPct: null, busy: false,
    };
    const c = sweepChart(points, outcome);
    assert.deepEqual(c.workers, [0, 2, 4]);
    assert.deepEqual(c.lines.map((l) => l.label), ['pin_memory=False, prefetch_factor=2', 'pin_memory=True, prefetch_factor=2']);
    assert.deepEqual(c.lines[0]?.stepsPerSec, [50, 100, 125]);
    assert.deepEqual(c.best, { line: 1, x: 2, stepsPerSec: 200 });
    assert.deepEqual(c.current, { line: 0, x: 0, stepsPerSec: 50 });
    // Nothing recommended, nothing marked: the chart never contradicts the sweep's sentence.
    assert.equal(sweepChart(points, { ...outcome, decision: 'none-faster' }).best, null);
    assert.deepEqual(c.errors, ['num_workers=8, prefetch_factor=2, pin_memory=False: boom']);
  });
});

describe('run folders for the dashboard', () => {
  it('lists runs newest first and skips folders without a summary', async () => {
    const base = tmp();
    await writeSyntheticRun(path.join(base, 'run-old'), { steps: 20, startedAt: '2026-01-01T00:00:00.000Z' });
    await writeSyntheticRun(path.join(base, 'run-new'), { steps: 20, startedAt: '2026-02-01T00:00:00.000Z' });
    fs.mkdirSync(path.join(base, 'in-progress'));
    const { runs, skipped } = listRuns(base);
    assert.deepEqual(runs.map((r) => r.id), ['run-new', 'run-old']);
    assert.equal(skipped.length, 1);
    const { run } = await loadDashboardRun(path.join(base, 'run-new'), { noStatic: true });
    assert.equal(run.id, 'run-new');
    assert.ok(run.tables.steps instanceof Uint8Array && run.tables.steps.byteLength > 0);
    assert.equal(run.findings.length, 1);
  });
});
