// "Before and after my fix": two run summaries side by side and the speedup between them. The speedup is
// throughput when both runs measured samples/s (what the user cares about), else the step-time ratio.
import type { RunSummary } from '../../src/shared/profile';
import { DASH, fmtMiB, fmtMs, fmtPct, fmtPct100, fmtRate, fmtSpeedup } from './format';
import { verdictSentence } from './verdict';

export interface ComparisonRow {
  label: string;
  base: string;
  other: string;
  /** "3.9x", "-69 pts", … ; DASH when either side lacks the figure. */
  change: string;
  /** Whether `other` is better than `base` on this row; null when not comparable or equal. */
  better: boolean | null;
}

export interface Comparison {
  /** other relative to base: > 1 means `other` is faster. */
  speedup: number | null;
  speedupBasis: 'samples/s' | 'step time' | null;
  sentence: string;
  rows: ComparisonRow[];
}

function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || !(a > 0) || !(b > 0)) return null;
  return a / b;
}

/** Speedup of `other` over `base`, from throughput or, failing that, from the p50 step time. */
export function runSpeedup(base: RunSummary, other: RunSummary): { speedup: number | null; basis: Comparison['speedupBasis'] } {
  const byThroughput = ratio(other.samplesPerSec, base.samplesPerSec);
  if (byThroughput !== null) return { speedup: byThroughput, basis: 'samples/s' };
  const byStep = ratio(base.stepTimeMs?.p50, other.stepTimeMs?.p50);
  if (byStep !== null) return { speedup: byStep, basis: 'step time' };
  return { speedup: null, basis: null };
}

function higherIsBetter(label: string, a: number | null | undefined, b: number | null | undefined, fmt: (x: number | null | undefined) => string): ComparisonRow {
  const r = ratio(b, a);
  return { label, base: fmt(a), other: fmt(b), change: r === null ? DASH : fmtSpeedup(r), better: r === null || Math.abs(r - 1) < 0.01 ? null : r > 1 };
}

function lowerIsBetter(label: string, a: number | null | undefined, b: number | null | undefined, fmt: (x: number | null | undefined) => string): ComparisonRow {
  const r = ratio(a, b);
  const change = r === null ? DASH : r >= 1 ? `${fmtSpeedup(r)} faster` : `${fmtSpeedup(1 / r)} slower`;
  return { label, base: fmt(a), other: fmt(b), change, better: r === null || Math.abs(r - 1) < 0.01 ? null : r > 1 };
}

/** Shares (0-1): the change is in percentage points. */
function shareRow(label: string, a: number | null | undefined, b: number | null | undefined, lowerBetter: boolean, scale: 1 | 100): ComparisonRow {
  const fmt = scale === 1 ? fmtPct : fmtPct100;
  if (a === null || a === undefined || b === null || b === undefined) return { label, base: fmt(a), other: fmt(b), change: DASH, better: null };
  const pts = (b - a) * (scale === 1 ? 100 : 1);
  // Under one point is noise between two runs of the same pipeline, not an improvement.
  const better = Math.abs(pts) < 1 ? null : lowerBetter ? pts < 0 : pts > 0;
  return { label, base: fmt(a), other: fmt(b), change: `${pts >= 0 ? '+' : '\u2212'}${Math.abs(pts).toFixed(0)} pts`, better };
}

export function compareRuns(base: RunSummary, other: RunSummary): Comparison {
  const { speedup, basis } = runSpeedup(base, other);
  let sentence: string;
  if (speedup === null) {
    sentence = 'These runs cannot be compared: one of them measured no steps.';
  } else {
    const how = speedup >= 1.005 ? `${fmtSpeedup(speedup)} faster` : speedup <= 0.995 ? `${fmtSpeedup(1 / speedup)} slower` : 'about as fast';
    const figures = basis === 'samples/s'
      ? `${fmtRate(other.samplesPerSec)} vs ${fmtRate(base.samplesPerSec)} samples/s`
      : `${fmtMs(other.stepTimeMs?.p50)} vs ${fmtMs(base.stepTimeMs?.p50)} per step`;
    const wait = base.inputShare !== null && other.inputShare !== null ? `; data wait ${fmtPct(base.inputShare)} \u2192 ${fmtPct(other.inputShare)} of each step` : '';
    sentence = `The second run is ${how} (${figures})${wait}.`;
  }
  const gpuMem = (s: RunSummary): number | null => (s.gpu ? Math.max(s.gpu.memoryPeakMiB, s.gpu.torchPeakAllocatedMiB ?? 0) : null);
  const rows: ComparisonRow[] = [
    { label: 'Verdict', base: verdictSentence(base), other: verdictSentence(other), change: DASH, better: null },
    higherIsBetter('Samples/s', base.samplesPerSec, other.samplesPerSec, fmtRate),
    lowerIsBetter('Step time p50', base.stepTimeMs?.p50, other.stepTimeMs?.p50, fmtMs),
    lowerIsBetter('Step time p90', base.stepTimeMs?.p90, other.stepTimeMs?.p90, fmtMs),
    shareRow('Data wait (median)', base.inputShare, other.inputShare, true, 1),
    shareRow('GPU utilization', base.gpu?.utilizationMedianPct, other.gpu?.utilizationMedianPct, false, 100),
    { label: 'GPU memory peak', base: fmtMiB(gpuMem(base)), other: fmtMiB(gpuMem(other)), change: DASH, better: null },
    shareRow('CPU (this run)', base.cpu?.processMeanPct ?? base.cpu?.utilizationMeanPct, other.cpu?.processMeanPct ?? other.cpu?.utilizationMeanPct, false, 100),
  ];
  return { speedup, speedupBasis: basis, sentence, rows };
}
