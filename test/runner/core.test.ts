// Fast checks of the pure parts: schema guards, NDJSON decoding, statistics, verdict thresholds, harness
// location and interpreter resolution.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fs from 'node:fs';
import path from 'node:path';
import { NdjsonDecoder } from '../../src/runner/events';
import { locateHarness } from '../../src/runner/harness-locator';
import { findExecutable, resolveInterpreter } from '../../src/runner/interpreter';
import { InterpreterNotFoundError } from '../../src/runner/errors';
import { median, percentile } from '../../src/runner/stats';
import { RUNTIME_RULES } from '../../src/runner/runtime-findings';
import { locateRuntimeFindingsDoc, runtimeFindingRow } from '../../src/runner/runtime-findings-doc';
import { estimatedStepSpeedup, rankSweep } from '../../src/runner/sweep';
import { isProfileEvent, validateRunSummary, verdictForInputShare } from '../../src/shared/profile';
import type { ProfileEvent, SweepPoint } from '../../src/shared/profile';
import { PY, tempDir } from './helpers';

describe('runner core', () => {
  it('verdict thresholds follow PROFILING.md (20% / 5%)', () => {
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
    const got: ProfileEvent[] = [];
    const bad: string[] = [];
    const d = new NdjsonDecoder({ event: (e) => got.push(e), invalid: (_l, why) => bad.push(why), tooLong: () => bad.push('too long') });
    const steps = JSON.stringify({ type: 'steps', loader: 1, phase: 'measured', first: 0, t: [1], stepMs: [2], waitMs: [1], samples: [8] });
    d.push(steps.slice(0, 10));
    d.push(steps.slice(10) + '\n{"type":"mystery"}\nnot json\n{"type":"notice","level":"info","message":"x"}\n{"type":"end"');
    d.end();
    assert.deepEqual(got.map((e) => e.type), ['steps', 'notice']);
    assert.deepEqual(bad, ['not a known event', 'not JSON', 'truncated line at end of stream']);
    assert.equal(isProfileEvent({ type: 'steps', loader: 1, phase: 'measured', first: 0, t: [1, 2], stepMs: [2], waitMs: [1], samples: [8] }), false);
  });

  it('validates summaries and explains a foreign one', () => {
    assert.deepEqual(validateRunSummary({ schemaVersion: 99 }), { ok: false, problem: 'schemaVersion 99 (this build reads 1)' });
    assert.equal(validateRunSummary([]).ok, false);
  });

  it('ranks the sweep and estimates a step speedup only from measured figures', () => {
    const p = (w: number, bps: number, error: string | null = null): SweepPoint => ({
      num_workers: w, pin_memory: false, prefetch_factor: w ? 2 : null, batches: 10, batchesPerSec: bps, firstBatchMs: 1,
      tStart: 0, tEnd: 1, current: w === 0, error,
    });
    assert.deepEqual(rankSweep([p(0, 50), p(2, 120), p(4, 0, 'OSError: x'), p(1, 60)]).map((x) => x.num_workers), [2, 1, 0]);
    // 20 ms steps, 2 ms compute, best loader 100 batches/s (10 ms): steps become 10 ms -> 2x.
    assert.equal(estimatedStepSpeedup({ stepMs: 20, computeMs: 2, bestBatchesPerSec: 100 }), 2);
    assert.equal(estimatedStepSpeedup({ stepMs: 20, computeMs: 15, bestBatchesPerSec: 1000 }), 1.33);
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
