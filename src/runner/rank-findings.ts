// The job verdict of a torchrun run (docs/runtime-findings.md, RUN014 and RUN015; docs/profiling.md,
// "torchrun jobs"): ranks that are input-bound, stragglers, and the time ranks wait on each other at the
// step boundary. Each finding sits at the responsible rank's training loader.
import type { Finding } from '../shared/findings';
import { verdictForInputShare } from '../shared/profile';
import type { Measurement } from './measurement';
import { finding, RUNTIME_CODES } from './runtime-findings';
import { median, round } from './stats';

/** A rank stands out when its figure is this many times the median of the other ranks... */
export const STRAGGLER_FACTOR = 1.5;
/** ...and larger by at least this share of the job's median step time (so 0.2 ms against 0.1 ms is not one). */
const STRAGGLER_MIN_SHARE_OF_STEP = 0.1;
/** Ranks wait on each other when step ends lie this share of a step apart (median over steps). */
const SPREAD_MIN_SHARE_OF_STEP = 0.1;
const MIN_MS = 1;

export interface RankMeasurement {
  rank: number;
  m: Measurement;
}

const ms = (x: number): string => (x >= 100 ? `${Math.round(x)} ms` : `${round(x, 1)} ms`);

/** Median over the measured step indices all ranks share of (latest step end - earliest step end). */
export function stepEndSpreadMs(ranks: readonly RankMeasurement[]): number | null {
  if (ranks.length < 2) return null;
  const ends = ranks.map((r) => new Map(r.m.measured.map((s) => [s.index, s.t + s.stepMs])));
  const spreads: number[] = [];
  for (const index of ends[0]?.keys() ?? []) {
    const at = ends.map((e) => e.get(index));
    if (at.some((x) => x === undefined)) continue;
    const xs = at as number[];
    spreads.push(Math.max(...xs) - Math.min(...xs));
  }
  return median(spreads);
}

/**
 * Per rank, the median over shared measured steps of how much longer its step minus data wait took than the
 * quickest rank's: with a collective in every step (DDP), the time it sat in that collective waiting for the
 * others. Assumes the ranks compute the same thing (one model, one batch size), as DDP does.
 */
export function peerWaitMs(ranks: readonly RankMeasurement[]): (number | null)[] {
  const busy = ranks.map((r) => new Map(r.m.measured.map((s) => [s.index, s.stepMs - s.waitMs])));
  if (ranks.length < 2) return ranks.map(() => null);
  return busy.map((mine) => {
    const diffs: number[] = [];
    for (const [index, own] of mine) {
      const all = busy.map((b) => b.get(index));
      if (all.some((x) => x === undefined)) continue;
      diffs.push(Math.max(0, own - Math.min(...(all as number[]))));
    }
    return median(diffs);
  });
}

export function rankFindings(ranks: readonly RankMeasurement[], spreadMs: number | null, script: string,
  primaryRank: number | null): Finding[] {
  const out: Finding[] = [];
  const steps = ranks.flatMap((r) => (r.m.stepTimeMs === null ? [] : [r.m.stepTimeMs.p50]));
  const jobStep = median(steps) ?? 0;
  for (const r of ranks) {
    const share = r.m.inputShare;
    if (r.rank === primaryRank || share === null) continue;
    const v = verdictForInputShare(share);
    if (v !== 'highly-input-bound' && v !== 'moderately-input-bound') continue;
    out.push(finding(RUNTIME_CODES.inputBound, 'warning',
      `rank ${r.rank} is input-bound: ${Math.round(share * 100)}% of each training step waits for data (median over ${r.m.measured.length} steps)`,
      r.m.loader, script, { rank: r.rank, inputShare: round(share, 3) }));
  }
  if (ranks.length >= 2) {
    const metrics: { name: string; of: (m: Measurement) => number | null }[] = [
      { name: 'step time', of: (m) => m.stepTimeMs?.p50 ?? null },
      { name: 'data wait', of: (m) => m.dataWaitMs?.p50 ?? null },
    ];
    for (const metric of metrics) {
      for (const r of ranks) {
        const value = metric.of(r.m);
        const others = ranks.filter((o) => o !== r).map((o) => metric.of(o.m)).filter((x): x is number => x !== null);
        const ref = median(others);
        if (value === null || ref === null) continue;
        if (value < STRAGGLER_FACTOR * ref || value - ref < Math.max(MIN_MS, STRAGGLER_MIN_SHARE_OF_STEP * jobStep)) continue;
        const factor = ref > 0 ? value / ref : Infinity;
        const factorText = Number.isFinite(factor) ? `${round(factor, 1)}x` : 'far above';
        out.push(finding(RUNTIME_CODES.straggler, 'warning',
          `rank ${r.rank} is a straggler: its ${metric.name} is ${ms(value)} per step, ${factorText} the median of the other ranks ` +
          `(${ms(ref)}); ${metric.name === 'data wait' ? 'its input pipeline holds' : 'its steps hold'} the job back`,
          r.m.loader, script, { rank: r.rank, metric: metric.name, valueMs: round(value, 3), medianOthersMs: round(ref, 3),
            factor: Number.isFinite(factor) ? round(factor, 2) : 'inf' }));
      }
    }
  }
  const waits = peerWaitMs(ranks);
  const minWait = Math.max(MIN_MS, SPREAD_MIN_SHARE_OF_STEP * jobStep);
  const waiting = ranks.map((r, i) => ({ r, wait: waits[i] ?? null })).filter((x) => x.wait !== null && x.wait >= minWait);
  if (waiting.length > 0) {
    // The rank the others wait for is the one that waits least itself.
    const waitedFor = ranks.map((r, i) => ({ r, wait: waits[i] ?? Infinity })).sort((a, b) => a.wait - b.wait)[0]?.r;
    const worst = waiting.sort((a, b) => (b.wait ?? 0) - (a.wait ?? 0))[0]!;
    const who = waiting.map((x) => `rank ${x.r.rank} ${ms(x.wait ?? 0)}`).join(', ');
    out.push(finding(RUNTIME_CODES.rankWait, 'info',
      `ranks wait on each other inside each step: ${who} per step (median; ${jobStep > 0 ? Math.round(((worst.wait ?? 0) / jobStep) * 100) : 0}% ` +
      `of a step for rank ${worst.r.rank}) beyond the quickest rank's compute, mostly waiting at the step's collective for rank ${waitedFor?.rank ?? '?'}`,
      waitedFor?.m.loader ?? null, script, { rank: worst.r.rank, waitMs: round(worst.wait ?? 0, 3), waitedForRank: waitedFor?.rank ?? -1,
        stepMs: round(jobStep, 3), ...(spreadMs !== null ? { stepEndSpreadMs: round(spreadMs, 3) } : {}) }));
  } else if (spreadMs !== null && spreadMs >= Math.max(MIN_MS, SPREAD_MIN_SHARE_OF_STEP * jobStep)) {
    // The rank whose steps end last is the one the others wait for.
    const slowest = [...ranks].sort((a, b) => (b.m.stepTimeMs?.p50 ?? 0) - (a.m.stepTimeMs?.p50 ?? 0))[0];
    out.push(finding(RUNTIME_CODES.rankWait, 'info',
      `ranks end their steps ${ms(spreadMs)} apart (median over measured steps, ${jobStep > 0 ? Math.round((spreadMs / jobStep) * 100) : 0}% of a step): ` +
      `at the next collective the early ranks wait that long for rank ${slowest?.rank ?? '?'}`,
      slowest?.m.loader ?? null, script, { stepEndSpreadMs: round(spreadMs, 3), stepMs: round(jobStep, 3) }));
  }
  return out;
}
