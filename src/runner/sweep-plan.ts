// The sweep's arithmetic (docs/profiling.md, "Sweep: trial runs"): which settings to try, how measured
// steps become a spread, which settings survive a successive-halving round, and what may be
// recommended. Pure functions; src/runner/sweep.ts runs the trials.
import type { LoaderSetting, Spread, SummarySweep, SweepDecision } from '../shared/profile';
import { median, percentile, round } from './stats';

/** Worker counts beyond this are not tried, whatever the gain. */
export const MAX_WORKERS = 64;
/** A doubling of workers past the largest tried must gain this much (median) for the sweep to go on doubling. */
export const GAIN_TO_EXTEND = 1.1;
/**
 * Trial processes a setting (and the current one) needs before it may be recommended: windows of one
 * process miss the variation between processes (scheduling, other load), which on a busy machine is
 * most of the noise.
 */
export const MIN_TRIALS_TO_RECOMMEND = 2;
/** Other processes using this share of all cores (mean, 0-100) make a run's figures noisy. */
export const BUSY_OTHER_CPU_PCT = 25;

export function sameSetting(a: LoaderSetting, b: LoaderSetting): boolean {
  return a.num_workers === b.num_workers && a.pin_memory === b.pin_memory &&
    (a.num_workers === 0 || (a.prefetch_factor === b.prefetch_factor && a.persistent_workers === b.persistent_workers));
}

/** torch's own defaults fill what the loader did not set; without workers the worker-only knobs are off. */
export function normalizeSetting(s: LoaderSetting): LoaderSetting {
  if (s.num_workers <= 0) return { num_workers: 0, pin_memory: s.pin_memory, prefetch_factor: null, persistent_workers: false };
  return { ...s, prefetch_factor: s.prefetch_factor ?? 2 };
}

export function describeSetting(p: LoaderSetting): string {
  const parts = [`num_workers=${p.num_workers}`];
  if (p.num_workers > 0 && p.prefetch_factor !== null) parts.push(`prefetch_factor=${p.prefetch_factor}`);
  if (p.num_workers > 0 && p.persistent_workers) parts.push('persistent_workers=True');
  parts.push(`pin_memory=${p.pin_memory ? 'True' : 'False'}`);
  return parts.join(', ');
}

/**
 * The first round: num_workers 0, 1, 2, 4, ... up to the CPU count (at least 4: loaders that wait on IO
 * gain from more workers than cores, and the sweep doubles further while the gain continues), with
 * pin_memory on when CUDA is in use, plus the current setting.
 */
export function initialCandidates(current: LoaderSetting, cpus: number, cuda: boolean): LoaderSetting[] {
  const cur = normalizeSetting(current);
  const out: LoaderSetting[] = [cur];
  const add = (s: LoaderSetting): void => {
    const n = normalizeSetting(s);
    if (!out.some((o) => sameSetting(o, n))) out.push(n);
  };
  const top = Math.min(MAX_WORKERS, Math.max(4, cpus));
  const pin = cuda ? true : cur.pin_memory;
  for (let w = 0; w <= top; w = w === 0 ? 1 : w * 2) {
    add({ num_workers: w, pin_memory: pin, prefetch_factor: 2, persistent_workers: cur.persistent_workers });
  }
  return out;
}

/**
 * Settings to add after a round, around the best one so far: twice the workers when the best is the
 * largest count tried and it beat the next smaller count by GAIN_TO_EXTEND; after the first round,
 * prefetch_factor=4, the other pin_memory (CUDA only) and persistent_workers=True (only when an epoch
 * is shorter than a trial's window, the only case a trial can see its effect).
 */
export function extensions(measured: readonly SummarySweep[], o: {
  round: number; cuda: boolean; epochShorterThanTrial: boolean;
}): LoaderSetting[] {
  const ranked = rank(measured);
  const best = ranked[0];
  if (best === undefined || best.stepMs === null) return [];
  const out: LoaderSetting[] = [];
  const tried = measured.filter((c) => c.stepMs !== null || c.error !== null);
  const maxWorkers = Math.max(...tried.map((c) => c.num_workers));
  if (best.num_workers === maxWorkers && best.num_workers > 0 && best.num_workers * 2 <= MAX_WORKERS) {
    const below = rank(tried.filter((c) => c.num_workers < best.num_workers && c.stepMs !== null))[0];
    if (below?.stepMs && stepLevel(below) / stepLevel(best) >= GAIN_TO_EXTEND) {
      out.push({ ...best, num_workers: best.num_workers * 2, prefetch_factor: best.prefetch_factor ?? 2 });
    }
  }
  if (o.round === 0 && best.num_workers > 0) {
    out.push({ ...best, prefetch_factor: 4 });
    if (o.cuda) out.push({ ...best, pin_memory: !best.pin_memory });
    if (o.epochShorterThanTrial && !best.persistent_workers) out.push({ ...best, persistent_workers: true });
  }
  return out.map(normalizeSetting).filter((s) => !measured.some((m) => sameSetting(m, s)));
}

/** The step time a setting is ranked by: the mean over its measured steps (the median in older runs). */
export function stepLevel(c: SummarySweep): number {
  return c.meanStepMs ?? c.stepMs?.p50 ?? Infinity;
}

/** Fastest measured mean first; settings without a measurement last. */
export function rank<T extends SummarySweep>(cands: readonly T[]): T[] {
  return [...cands].sort((a, b) => stepLevel(a) - stepLevel(b));
}

/** The better half (by mean step time) of the non-current settings, at least one, survives the round. */
export function survivors<T extends SummarySweep>(cands: readonly T[]): T[] {
  const ok = rank(cands.filter((c) => !c.current && c.stepMs !== null && c.error === null));
  return ok.slice(0, Math.max(1, Math.ceil(ok.length / 2)));
}

/** Nearest-rank percentile (every reported value was measured), as in stats.ts. */
export function spreadOf(values: readonly number[]): Spread | null {
  if (values.length === 0) return null;
  return { p50: round(median(values)!, 3), p10: round(percentile(values, 10)!, 3), p90: round(percentile(values, 90)!, 3) };
}

export interface Decision {
  decision: SweepDecision;
  recommended?: SummarySweep;
  rivals: SummarySweep[];
  sentence: string;
}

const x = (v: number): string => `${v.toFixed(2)}x`;
const interval = (s: Spread): string => `${x(s.p50)} (${s.p10.toFixed(2)}-${s.p90.toFixed(2)}x)`;

/**
 * What the sweep may say. A setting is recommended only when the p10-p90 interval of its speed-up over the
 * current setting (ratio of mean step times, as a re-run's comparison computes it) lies entirely above 1;
 * the recommended one is the fastest (mean) of those, never the current one. Settings that also clear
 * the current one and whose interval overlaps the recommended one's are named as rivals: the ranking among
 * them is uncertain. Both sides need MIN_TRIALS_TO_RECOMMEND complete runs (the baseline counts for the current one).
 */
export function decide(cands: readonly SummarySweep[], busy: boolean, otherCpuPct: number | null): Decision {
  const cur = cands.find((c) => c.current);
  // Under load the current setting is re-measured in every round, so a clear interval is still evidence;
  // what load takes away is the ranking of settings that are close.
  const pctText = otherCpuPct === null ? '' : `${Math.round(otherCpuPct)}%`;
  const load = busy ? ` Other processes used ${pctText} of the CPU meanwhile: the figures are noisy.` : '';
  if (!cur?.stepMs) {
    return { decision: 'none-faster', rivals: [], sentence: `The current setting could not be measured in a trial${cur?.error ? ` (${cur.error})` : ''}: nothing is recommended.${load}` };
  }
  const others = rank(cands.filter((c) => !c.current && c.stepMs !== null && c.error === null));
  if (others.length === 0) {
    // Only the current setting was measured: nothing was compared, so nothing may be said to be slower.
    return { decision: 'uncertain', rivals: [], sentence: `The budget ended before any setting other than the current ${describeSetting(cur)} was measured: nothing is recommended; give the sweep more time (--sweep-budget).${load}` };
  }
  // Complete runs (windows), not processes started: a trial cut by the budget measured no window.
  const repeated = cur.windows >= MIN_TRIALS_TO_RECOMMEND;
  const clearing = others.filter((c) => repeated && c.windows >= MIN_TRIALS_TO_RECOMMEND && c.speedup !== null && c.speedup.p10 > 1);
  const chosen = clearing[0];
  if (chosen?.speedup) {
    const low = chosen.speedup.p10;
    const rivals = clearing.filter((c) => c !== chosen && (c.speedup?.p90 ?? 0) >= low);
    let sentence = `Measured in trial runs: ${describeSetting(chosen)} makes training steps ${interval(chosen.speedup)} faster than the current ${describeSetting(cur)}.`;
    if (rivals.length > 0) sentence += ` Within the noise of it (ranking uncertain): ${rivals.map(describeSetting).join('; ')}.`;
    sentence += load;
    if (busy) sentence += ' The interval was measured under that load, against the current setting in the same rounds.';
    return { decision: 'faster', recommended: chosen, rivals, sentence };
  }
  const best = others[0];
  if (best?.speedup && best.speedup.p50 > 1) {
    const sp = best.speedup;
    if (!repeated || best.windows < MIN_TRIALS_TO_RECOMMEND) {
      return {
        decision: 'uncertain', rivals: [],
        sentence: `${describeSetting(best)} measured ${interval(sp)} against the current ${describeSetting(cur)}, but the budget ended before both completed ${MIN_TRIALS_TO_RECOMMEND} runs: nothing is recommended; give the sweep more time.${load}`,
      };
    }
    return {
      decision: 'uncertain', rivals: [],
      sentence: `No setting beats the current ${describeSetting(cur)} beyond the noise: the fastest, ${describeSetting(best)}, measured ${interval(sp)}, whose interval reaches down to no gain. Nothing is recommended.${load}${busy ? ' The ranking is uncertain.' : ''}`,
    };
  }
  return { decision: 'none-faster', rivals: [], sentence: `No setting beats the current ${describeSetting(cur)}: it measured fastest in trial runs. Nothing is recommended.${load}` };
}
