// A torchrun rank's GPU figure (src/runner/summary.ts, rankGpuUtilizationPct): every rank's NVML sampler
// sees every GPU of the node, so the rank's own is picked by its local rank, over its measured steps only.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { rankGpuUtilizationPct } from '../../src/runner/summary';
import { validateRunSummary } from '../../src/shared/profile';
import type { GpuSample } from '../../src/shared/profile';
import { writeSyntheticTorchrunRun } from '../helpers/synthetic-run';

/** Two GPUs sampled every 200 ms from t=0: GPU 0 at 90% (30% outside the steps), GPU 1 at 40%, GPU 1 holding more memory. */
const samples: GpuSample[] = Array.from({ length: 20 }, (_, i) => i * 200).flatMap((t) => [
  { t, index: 0, utilizationPct: t >= 1000 && t <= 3000 ? 90 : 30, memoryUsedMiB: 1000, memoryTotalMiB: 80_000 },
  { t, index: 1, utilizationPct: 40, memoryUsedMiB: 5000, memoryTotalMiB: 80_000 },
]);
const span = { from: 1000, to: 3000 };

describe('torchrun: each rank\'s GPU utilisation', () => {
  it('is the GPU at the rank\'s local rank, over its measured steps', () => {
    assert.equal(rankGpuUtilizationPct(samples, 0, span), 90);
    assert.equal(rankGpuUtilizationPct(samples, 1, span), 40);
  });

  it('falls back to the GPU whose memory grew most when no GPU has the local rank\'s index', () => {
    assert.equal(rankGpuUtilizationPct(samples, 5, span), 40);
  });

  it('is null for a rank that sampled no GPU (a CPU job)', () => {
    assert.equal(rankGpuUtilizationPct([], 0, span), null);
  });

  it('is checked when a run folder is read: a damaged figure is named; older folders without it still read', async () => {
    const s = await writeSyntheticTorchrunRun(fs.mkdtempSync(path.join(os.tmpdir(), 'pd-rank-gpu-')));
    assert.equal(validateRunSummary({ ...s, ranks: s.ranks!.map((r) => ({ ...r, gpuUtilizationPct: 55 })) }).ok, true);
    assert.equal(validateRunSummary(s).ok, true, 'a summary written before the field existed');
    const bad = validateRunSummary({ ...s, ranks: s.ranks!.map((r) => ({ ...r, gpuUtilizationPct: -3 })) });
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? '' : bad.problem, /ranks\[0\]\.gpuUtilizationPct: -3 is below 0/);
  });
});
