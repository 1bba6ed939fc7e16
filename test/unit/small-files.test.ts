// RUN007 (many small files): advised only when reading the small files is a real part of a sample's cost,
// with that measured share in the message (issue 12: it advised sharding at ~1% of the per-sample time).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IoProbe } from '../../src/shared/profile';
import { runtimeFindings } from '../../src/runner/runtime-findings';
import type { Measurement } from '../../src/runner/measurement';

function measurement(samplesPerSec: number): Measurement {
  return {
    loader: { id: 1, kind: 'torch', file: '/p/train.py', line: 15, column: 4, endLine: 15, endColumn: 40, num_workers: 0, batch_size: 8, pin_memory: false, persistent_workers: false, prefetch_factor: null, datasetType: null, datasetLength: null, role: 'train', batchSource: null, training: true },
    measured: [], warmup: 10, inputShare: 0.9, inputShareP90: 0.95, stepTimeMs: { p50: 27, p90: 29 },
    dataWaitMs: { p50: 25, p90: 27 }, samplesPerSec, span: null,
  };
}

function probe(smallFileReadsPerSec: number): IoProbe {
  return {
    root: '/data/train', source: 'dataset', files: 1100, totalBytes: 1100 * 2048, sizeHistogram: [], medianFileBytes: 2048,
    formats: [{ ext: '.bin', count: 1100 }], sequentialMBps: 900, smallFileReadsPerSec, truncated: false, recommendSharding: true,
  };
}

function run007(samplesPerSec: number, readsPerSec: number) {
  return runtimeFindings({
    verdict: 'highly-input-bound', m: measurement(samplesPerSec), gpu: null, cpu: null, sweep: undefined, sweepOutcome: undefined,
    computeOnlyStepMs: undefined, ioProbe: probe(readsPerSec), script: '/p/train.py',
  }).find((f) => f.code === 'RUN007');
}

describe('RUN007: many small files', () => {
  it('is silent when the reads cost ~1% of the time a sample takes (cached 2 KiB reads next to a 3 ms sample)', () => {
    // 300 samples/s: 3.3 ms a sample; 30,000 reads/s: 0.033 ms a read, 1%.
    assert.equal(run007(300, 30_000), undefined);
  });

  it('advises shards when the reads are a real share of a sample, and says how much', () => {
    // 300 samples/s against 1,000 reads/s (a network filesystem): 1 ms of every 3.3 ms sample, 30%.
    const f = run007(300, 1000);
    assert.ok(f, 'RUN007 reported');
    assert.match(f.message, /opening and reading one takes 1 ms here \(1000 small-file reads\/s\), 30% of the 3\.3 ms each sample takes in this run/);
    assert.equal(f.figures?.readShare, 0.3);
    assert.equal(f.severity, 'info');
  });

  it('is silent without a measured read rate (no share to weigh)', () => {
    assert.equal(runtimeFindings({
      verdict: 'highly-input-bound', m: measurement(300), gpu: null, cpu: null, sweep: undefined, sweepOutcome: undefined,
      computeOnlyStepMs: undefined, ioProbe: { ...probe(1), smallFileReadsPerSec: null }, script: '/p/train.py',
    }).some((f) => f.code === 'RUN007'), false);
  });
});
