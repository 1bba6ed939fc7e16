// Ranking the sweep and turning it into an estimate: never a guess, only ratios of measured figures.
import type { SummarySweep, SweepPoint } from '../shared/profile';
import type { HostSample } from './host-sampler';
import { mean, round } from './stats';

export function withCpu(points: readonly SweepPoint[], host: readonly HostSample[]): SummarySweep[] {
  return points.map((p) => {
    const inside = host.filter((s) => s.t >= p.tStart && s.t <= p.tEnd + 250);
    const cpu = mean(inside.map((s) => s.cpuPct));
    const group = mean(inside.flatMap((s) => (s.groupCpuPct === null ? [] : [s.groupCpuPct])));
    return {
      ...p,
      cpuUtilizationPct: cpu === null ? null : round(cpu, 1),
      processCpuPct: group === null ? null : round(group, 1),
    };
  });
}

/** Successful points, fastest first. */
export function rankSweep<T extends SweepPoint>(points: readonly T[]): T[] {
  return points.filter((p) => p.error === null && p.batchesPerSec > 0).sort((a, b) => b.batchesPerSec - a.batchesPerSec);
}

export function currentPoint<T extends SweepPoint>(points: readonly T[]): T | undefined {
  return points.find((p) => p.current && p.error === null);
}

export function describeSetting(p: Pick<SweepPoint, 'num_workers' | 'pin_memory' | 'prefetch_factor'>): string {
  const parts = [`num_workers=${p.num_workers}`];
  if (p.num_workers > 0 && p.prefetch_factor !== null) parts.push(`prefetch_factor=${p.prefetch_factor}`);
  parts.push(`pin_memory=${p.pin_memory ? 'True' : 'False'}`);
  return parts.join(', ');
}

/**
 * Step time once loading runs at the best setting's rate. With workers, loading overlaps the compute, so
 * a step takes the longer of the two: the measured compute (data-free control, else step minus wait) and
 * the time to load one batch at the best measured rate.
 */
export function estimatedStepSpeedup(o: {
  stepMs: number;
  computeMs: number;
  bestBatchesPerSec: number;
}): number | null {
  if (o.stepMs <= 0 || o.bestBatchesPerSec <= 0) return null;
  const newStep = Math.max(o.computeMs, 1000 / o.bestBatchesPerSec);
  return newStep > 0 ? round(o.stepMs / newStep, 2) : null;
}
