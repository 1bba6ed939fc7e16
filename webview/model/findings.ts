// Findings as the dashboard lists them: measured evidence in words and the estimated speedup, read only
// from the figures the runner measured (never computed here from guesses).
import type { Finding } from '../../src/shared/findings';
import { fmtCount, fmtMiB, fmtMs, fmtPct, fmtPct100, fmtRate, fmtSpeedup } from './format';

type Formatter = (v: number) => string;

/** Known figure keys with their labels; unknown keys are still shown, as `key value`. */
const FIGURES: Record<string, { label: string; fmt: Formatter }> = {
  inputShare: { label: 'data wait', fmt: (v) => `${fmtPct(v)} of step` },
  inputShareP90: { label: 'data wait p90', fmt: (v) => fmtPct(v) },
  stepMsP50: { label: 'step', fmt: fmtMs },
  dataWaitMsP50: { label: 'wait', fmt: fmtMs },
  computeOnlyStepMs: { label: 'compute only', fmt: fmtMs },
  samplesPerSec: { label: 'samples/s', fmt: fmtRate },
  gpuUtilizationPct: { label: 'GPU busy', fmt: (v) => fmtPct100(v) },
  currentStepMsP50: { label: 'current setting step', fmt: fmtMs },
  measuredSpeedupP10: { label: 'measured speed-up p10', fmt: fmtSpeedup },
  measuredSpeedupP90: { label: 'p90', fmt: fmtSpeedup },
  memoryPeakMiB: { label: 'memory peak', fmt: fmtMiB },
  memoryTotalMiB: { label: 'of', fmt: fmtMiB },
  memoryShare: { label: 'memory used', fmt: (v) => fmtPct(v) },
  cpuUtilizationPct: { label: 'CPU', fmt: (v) => fmtPct100(v) },
  files: { label: 'files', fmt: fmtCount },
  medianFileBytes: { label: 'median file', fmt: (v) => `${(v / 1024).toFixed(1)} KiB` },
  smallFileReadsPerSec: { label: 'small-file reads/s', fmt: fmtCount },
  sequentialMBps: { label: 'sequential', fmt: (v) => `${v.toFixed(0)} MB/s` },
};

/** Keys that are the speedup itself; shown in their own column rather than as evidence. */
const SPEEDUP_KEYS = ['measuredSpeedup', 'speedupIfLoadingFree'];

export function findingEvidence(f: Finding): string[] {
  if (!f.figures) return [];
  const out: string[] = [];
  for (const [key, value] of Object.entries(f.figures)) {
    if (SPEEDUP_KEYS.includes(key)) continue;
    const known = FIGURES[key];
    if (typeof value === 'number' && known) out.push(`${known.label} ${known.fmt(value)}`);
    else out.push(`${key} ${String(value)}`);
  }
  return out;
}

export function findingSpeedup(f: Finding): number | null {
  for (const key of SPEEDUP_KEYS) {
    const v = f.figures?.[key];
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v;
  }
  return null;
}

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2, hint: 3 } as const;

/** Display order: most severe first, then the biggest measured speedup, then position. Returns indices. */
export function findingOrder(findings: readonly Finding[]): number[] {
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) =>
      SEVERITY_ORDER[a.f.severity] - SEVERITY_ORDER[b.f.severity] ||
      (findingSpeedup(b.f) ?? 0) - (findingSpeedup(a.f) ?? 0) ||
      a.f.file.localeCompare(b.f.file) || a.f.range.start.line - b.f.range.start.line || a.f.code.localeCompare(b.f.code))
    .map((x) => x.i);
}
