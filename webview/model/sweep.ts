// The sweep as chart data: x = num_workers, one line per (pin_memory, prefetch_factor) combination,
// y = batches/s, with the fastest and the current setting located so the chart can mark them.
import type { SummarySweep } from '../../src/shared/profile';

export interface SweepLine {
  label: string;
  pin_memory: boolean;
  prefetch_factor: number | null;
  /** Aligned with SweepChart.workers; null where this combination was not measured. */
  batchesPerSec: (number | null)[];
}

export interface SweepChart {
  workers: number[];
  lines: SweepLine[];
  best: { line: number; x: number; batchesPerSec: number } | null;
  current: { line: number; x: number; batchesPerSec: number } | null;
  errors: string[];
}

export function describeSweepSetting(p: Pick<SummarySweep, 'num_workers' | 'pin_memory' | 'prefetch_factor'>): string {
  const parts = [`num_workers=${p.num_workers}`];
  if (p.num_workers > 0 && p.prefetch_factor !== null) parts.push(`prefetch_factor=${p.prefetch_factor}`);
  parts.push(`pin_memory=${p.pin_memory ? 'True' : 'False'}`);
  return parts.join(', ');
}

export function sweepChart(points: readonly SummarySweep[]): SweepChart {
  const ok = points.filter((p) => p.error === null && p.batchesPerSec > 0);
  const workers = [...new Set(ok.map((p) => p.num_workers))].sort((a, b) => a - b);
  // num_workers=0 has no prefetch_factor; it belongs on every prefetch line so each line starts at 0.
  const combos = new Map<string, SweepLine>();
  const key = (pin: boolean, pf: number | null): string => `${pin}|${pf ?? '-'}`;
  for (const p of ok) {
    if (p.num_workers === 0) continue;
    const k = key(p.pin_memory, p.prefetch_factor);
    if (!combos.has(k)) {
      combos.set(k, {
        label: `pin_memory=${p.pin_memory ? 'True' : 'False'}${p.prefetch_factor !== null ? `, prefetch_factor=${p.prefetch_factor}` : ''}`,
        pin_memory: p.pin_memory, prefetch_factor: p.prefetch_factor, batchesPerSec: workers.map(() => null),
      });
    }
  }
  if (combos.size === 0) {
    for (const p of ok) {
      const k = key(p.pin_memory, null);
      if (!combos.has(k)) combos.set(k, { label: `pin_memory=${p.pin_memory ? 'True' : 'False'}`, pin_memory: p.pin_memory, prefetch_factor: null, batchesPerSec: workers.map(() => null) });
    }
  }
  const lines = [...combos.values()].sort((a, b) => Number(a.pin_memory) - Number(b.pin_memory) || (a.prefetch_factor ?? 0) - (b.prefetch_factor ?? 0));
  const locate: { p: SummarySweep; line: number; x: number }[] = [];
  for (const p of ok) {
    const x = workers.indexOf(p.num_workers);
    lines.forEach((line, li) => {
      const matches = line.pin_memory === p.pin_memory && (p.num_workers === 0 || line.prefetch_factor === p.prefetch_factor);
      if (matches) {
        line.batchesPerSec[x] = p.batchesPerSec;
        locate.push({ p, line: li, x });
      }
    });
  }
  const bestPoint = ok.reduce<SummarySweep | null>((b, p) => (b === null || p.batchesPerSec > b.batchesPerSec ? p : b), null);
  const find = (p: SummarySweep | null | undefined): SweepChart['best'] => {
    if (!p) return null;
    const at = locate.find((l) => l.p === p);
    return at ? { line: at.line, x: at.x, batchesPerSec: p.batchesPerSec } : null;
  };
  return {
    workers, lines, best: find(bestPoint), current: find(ok.find((p) => p.current)),
    errors: points.filter((p) => p.error !== null).map((p) => `${describeSweepSetting(p)}: ${p.error ?? ''}`),
  };
}
