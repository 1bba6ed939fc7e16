// The sweep as chart data: x = num_workers, one line per (pin_memory, prefetch_factor, persistent_workers)
// combination, y = training steps/s at the median step time measured in trial runs (docs/profiling.md,
// "Sweep: trial runs"), with the recommended and the current setting located so the chart can mark them.
import type { LoaderSetting, SummarySweep, SweepOutcome } from '../../src/shared/profile';

export interface SweepLine {
  label: string;
  pin_memory: boolean;
  prefetch_factor: number | null;
  persistent_workers: boolean;
  /** Aligned with SweepChart.workers; null where this combination was not measured. */
  stepsPerSec: (number | null)[];
}

export interface SweepChart {
  workers: number[];
  lines: SweepLine[];
  /** The recommended setting; null when the sweep recommends nothing. */
  best: { line: number; x: number; stepsPerSec: number } | null;
  current: { line: number; x: number; stepsPerSec: number } | null;
  errors: string[];
}

export function describeSweepSetting(p: LoaderSetting): string {
  const parts = [`num_workers=${p.num_workers}`];
  if (p.num_workers > 0 && p.prefetch_factor !== null) parts.push(`prefetch_factor=${p.prefetch_factor}`);
  if (p.num_workers > 0 && p.persistent_workers) parts.push('persistent_workers=True');
  parts.push(`pin_memory=${p.pin_memory ? 'True' : 'False'}`);
  return parts.join(', ');
}

const stepsPerSec = (p: SummarySweep): number => (p.stepMs && p.stepMs.p50 > 0 ? 1000 / p.stepMs.p50 : 0);

function same(a: LoaderSetting, b: LoaderSetting): boolean {
  return a.num_workers === b.num_workers && a.pin_memory === b.pin_memory &&
    (a.num_workers === 0 || (a.prefetch_factor === b.prefetch_factor && a.persistent_workers === b.persistent_workers));
}

export function sweepChart(points: readonly SummarySweep[], outcome?: SweepOutcome): SweepChart {
  const ok = points.filter((p) => p.error === null && stepsPerSec(p) > 0);
  const workers = [...new Set(ok.map((p) => p.num_workers))].sort((a, b) => a - b);
  // num_workers=0 has no prefetch_factor; it belongs on every line so each line starts at 0.
  const combos = new Map<string, SweepLine>();
  const key = (pin: boolean, pf: number | null, pw: boolean): string => `${pin}|${pf ?? '-'}|${pw}`;
  const label = (pin: boolean, pf: number | null, pw: boolean): string =>
    `pin_memory=${pin ? 'True' : 'False'}${pf !== null ? `, prefetch_factor=${pf}` : ''}${pw ? ', persistent_workers=True' : ''}`;
  for (const p of ok) {
    if (p.num_workers === 0) continue;
    const k = key(p.pin_memory, p.prefetch_factor, p.persistent_workers);
    if (!combos.has(k)) {
      combos.set(k, {
        label: label(p.pin_memory, p.prefetch_factor, p.persistent_workers), pin_memory: p.pin_memory,
        prefetch_factor: p.prefetch_factor, persistent_workers: p.persistent_workers, stepsPerSec: workers.map(() => null),
      });
    }
  }
  if (combos.size === 0) {
    for (const p of ok) {
      const k = key(p.pin_memory, null, false);
      if (!combos.has(k)) combos.set(k, { label: label(p.pin_memory, null, false), pin_memory: p.pin_memory, prefetch_factor: null, persistent_workers: false, stepsPerSec: workers.map(() => null) });
    }
  }
  const lines = [...combos.values()].sort((a, b) => Number(a.pin_memory) - Number(b.pin_memory) ||
    (a.prefetch_factor ?? 0) - (b.prefetch_factor ?? 0) || Number(a.persistent_workers) - Number(b.persistent_workers));
  const locate: { p: SummarySweep; line: number; x: number }[] = [];
  for (const p of ok) {
    const x = workers.indexOf(p.num_workers);
    lines.forEach((line, li) => {
      const matches = line.pin_memory === p.pin_memory &&
        (p.num_workers === 0 || (line.prefetch_factor === p.prefetch_factor && line.persistent_workers === p.persistent_workers));
      if (matches) {
        line.stepsPerSec[x] = stepsPerSec(p);
        locate.push({ p, line: li, x });
      }
    });
  }
  const find = (p: SummarySweep | null | undefined): SweepChart['best'] => {
    if (!p) return null;
    const at = locate.find((l) => l.p === p);
    return at ? { line: at.line, x: at.x, stepsPerSec: stepsPerSec(p) } : null;
  };
  const rec = outcome?.decision === 'faster' ? outcome.recommended : undefined;
  return {
    workers, lines, best: find(rec ? ok.find((p) => !p.current && same(p, rec)) : null), current: find(ok.find((p) => p.current)),
    errors: points.filter((p) => p.error !== null).map((p) => `${describeSweepSetting(p)}: ${p.error ?? ''}`),
  };
}
