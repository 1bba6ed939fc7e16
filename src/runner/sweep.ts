// The sweep (docs/profiling.md, "Sweep: trial runs"): successive halving over loader settings, each
// measured by trial runs of the real training step in fresh processes, within the user's time budget.
// Iterating the loader alone, as a first version did, overclaimed: on few cores the workers compete with
// the training step for the CPU, which only a run of the real step shows.
import type { LoaderInfo, LoaderSetting, SummarySweep, SweepOutcome } from '../shared/profile';
import { bootstrapSpeedupOfRuns } from '../shared/run-comparison';
import { runTrial } from './loader-trial';
import type { TrialResult, TrialSpec } from './loader-trial';
import {
  BUSY_OTHER_CPU_PCT, MIN_TRIALS_TO_RECOMMEND, decide, extensions, initialCandidates, normalizeSetting, sameSetting, spreadOf, survivors,
} from './sweep-plan';
import { mean, round } from './stats';

/**
 * The speed-up's interval: p10-p90 of the bootstrap (an 80% interval), so the summary's p10/p90 say what
 * they are. The statistic and the resampling are `compare`'s (src/shared/run-comparison.ts).
 */
const SWEEP_INTERVAL_LEVEL = 0.8;

export interface SweepInputs {
  base: Omit<TrialSpec, 'loader' | 'setting' | 'warmup' | 'steps' | 'timeoutMs' | 'signal'>;
  loader: LoaderInfo;
  /**
   * Step times (ms) of the baseline run's measured steps, in order: the current setting's first
   * measurement, and the "before" that `profile --compare-with` compares a re-run with.
   */
  baselineSteps: readonly number[];
  /** Wall time of the baseline run: the first estimate of one trial's cost. */
  baselineWallMs: number;
  /** Warm-up and measured steps of the baseline run: every trial runs the same window, as a re-run would. */
  warmup: number;
  steps: number;
  cpus: number;
  cuda: boolean;
  budgetMs: number;
  signal?: AbortSignal;
  onTrial?: (setting: LoaderSetting, done: number) => void;
  /** For tests: the trial runner and the clock the budget is kept by. */
  run?: (spec: TrialSpec) => Promise<TrialResult>;
  now?: () => number;
}

export interface SweepResult {
  candidates: SummarySweep[];
  outcome: SweepOutcome;
}

interface Candidate {
  summary: SummarySweep;
  /** Step time (ms) expected before this setting was measured: sizes its cost estimate. */
  guessMs: number | null;
  /** Measured step times of each complete run of this setting, in step order. */
  runs: number[][];
  other: number[];
  process: number[];
}

function fresh(setting: LoaderSetting, current: boolean, guessMs: number | null = null): Candidate {
  return {
    guessMs,
    summary: {
      ...setting, current, stepMs: null, meanStepMs: null, windows: 0, steps: 0, trials: 0, rounds: 0, speedup: null,
      otherCpuPct: null, processCpuPct: null, wallMs: 0, error: null,
    },
    runs: [], other: [], process: [],
  };
}

/** Refreshes a candidate's figures from its runs. */
function summarise(c: Candidate): void {
  const all = c.runs.flat();
  c.summary.stepMs = spreadOf(all);
  c.summary.meanStepMs = all.length > 0 ? round(mean(all) ?? 0, 3) : null;
  c.summary.windows = c.runs.length;
  c.summary.steps = all.length;
}

const seconds = (ms: number): number => Math.ceil(ms / 1000);

export function currentSetting(l: LoaderInfo): LoaderSetting {
  return normalizeSetting({
    num_workers: l.num_workers ?? 0, pin_memory: l.pin_memory ?? false, prefetch_factor: l.prefetch_factor,
    persistent_workers: l.persistent_workers ?? false,
  });
}

export async function runSweep(x: SweepInputs): Promise<SweepResult> {
  const run = x.run ?? runTrial;
  const now = x.now ?? Date.now;
  const t0 = now();
  const current = currentSetting(x.loader);
  const all: Candidate[] = initialCandidates(current, x.cpus, x.cuda).map((s) => fresh(s, sameSetting(s, current)));
  const cur = all.find((c) => c.summary.current) ?? all[0];
  if (cur === undefined) throw new Error('the sweep has no current setting');
  // The baseline run is a run of the current setting over the same window as every trial.
  if (x.baselineSteps.length > 0) {
    cur.runs.push([...x.baselineSteps]);
    cur.summary.trials = 1;
    summarise(cur);
  }
  const baselineMean = mean(x.baselineSteps) ?? 1;
  const perEpoch = x.loader.datasetLength !== null && x.loader.batch_size ? Math.ceil(x.loader.datasetLength / x.loader.batch_size) : null;
  const window = x.warmup + x.steps;
  // Start-up cost of one trial (interpreter, imports, the script's own set-up until its first step): from
  // the baseline until a trial measured it (the baseline also ran the control and the probes: an overestimate).
  let startupMs = Math.max(0, x.baselineWallMs - baselineMean * window);
  let startupMeasured = false;
  let firstStartupMs = 0;
  const trialWallMs: number[] = [];
  let budgetNeededMs: number | undefined;
  let stoppedBy = 'done' as SweepOutcome['stoppedBy'];
  let rounds = 0;
  let done = 0;
  let alive = all.filter((c) => !c.summary.current);

  const remaining = (): number => x.budgetMs - (now() - t0);
  const stepGuess = (c: Candidate): number => c.summary.meanStepMs ?? c.guessMs ?? baselineMean;
  const cost = (c: Candidate): number => startupMs + window * stepGuess(c);
  /**
   * Can the budget cover the trials `left` of the first two rounds (with `repeats`: the second round's
   * repeats a recommendation needs, the current setting and the best one once more)? Asked once the first
   * trial measured the start-up, and again when the budget stops the sweep in those rounds (trials can take
   * longer than planned); if not, the outcome says what budget would.
   */
  const short = (left: readonly Candidate[], repeats: boolean): void => {
    const fastest = Math.min(...all.map(stepGuess));
    const again = repeats ? (MIN_TRIALS_TO_RECOMMEND - 1) * (cost(cur) + startupMs + window * fastest) : 0;
    const needed = now() - t0 + left.reduce((sum, c) => sum + cost(c), 0) + again;
    if (needed > x.budgetMs) budgetNeededMs = Math.max(budgetNeededMs ?? 0, needed);
  };
  const measureOne = async (c: Candidate): Promise<boolean> => {
    const s = c.summary;
    if (cost(c) > remaining()) {
      stoppedBy = 'budget';
      return false;
    }
    const r = await run({
      ...x.base, loader: x.loader, setting: settingOf(s), warmup: x.warmup, steps: x.steps,
      timeoutMs: Math.max(1000, remaining()), ...(x.signal !== undefined ? { signal: x.signal } : {}),
    });
    done++;
    s.trials++;
    s.wallMs += r.wallMs;
    trialWallMs.push(r.wallMs);
    if (r.otherCpuPct !== null) c.other.push(r.otherCpuPct);
    if (r.processCpuPct !== null) c.process.push(r.processCpuPct);
    s.otherCpuPct = c.other.length ? round(mean(c.other) ?? 0, 1) : null;
    s.processCpuPct = c.process.length ? round(mean(c.process) ?? 0, 1) : null;
    if (r.error !== null && r.cut === null) s.error = r.error;
    // Only a complete window is comparable with the others (and with a re-run): a cut trial adds no steps.
    if (r.measured.length > 0 && r.cut === null && r.error === null) {
      const steps = [...r.measured].sort((a, b) => a.index - b.index).map((m) => m.stepMs);
      c.runs.push(steps);
      summarise(c);
      startupMs = Math.max(0, r.wallMs - (mean(steps) ?? 0) * window);
      if (!startupMeasured) firstStartupMs = startupMs;
      startupMeasured = true;
    }
    x.onTrial?.(s, done);
    if (r.cut === 'cancelled' || x.signal?.aborted) {
      stoppedBy = 'cancelled';
      return false;
    }
    if (r.cut === 'timeout') {
      stoppedBy = 'budget';
      return false;
    }
    return true;
  };

  outer: for (let round_ = 0; ; round_++) {
    // The current setting runs in every round, so each comparison is made under the same conditions.
    // New settings go before the survivors: if the budget ends the round, the untried ones were measured.
    const list = [cur, ...alive];
    for (const [i, c] of list.entries()) {
      const planned = startupMeasured;
      if (!(await measureOne(c))) {
        if (stoppedBy === 'budget' && round_ <= 1) short(list.slice(i), round_ === 0);
        break outer;
      }
      c.summary.rounds++;
      // Without the current setting's own measurement nothing can be compared with it.
      if (c === cur && cur.summary.error !== null) break outer;
      if (round_ === 0 && !planned && startupMeasured) short(list.slice(i + 1), true);
    }
    rounds = round_ + 1;
    const measured = all.filter((c) => c.summary.stepMs !== null || c.summary.error !== null).map((c) => c.summary);
    const fastest = Math.min(...measured.map((m) => m.meanStepMs ?? Infinity));
    const guess = Number.isFinite(fastest) ? fastest : baselineMean;
    const added = extensions(measured, {
      round: round_, cuda: x.cuda, epochShorterThanTrial: perEpoch !== null && perEpoch < window,
    }).map((s) => fresh(s, false, guess));
    all.push(...added);
    const keep = survivors(alive.map((c) => c.summary));
    const kept = alive.filter((c) => keep.includes(c.summary));
    // One setting left, measured in at least two rounds and nothing new to try: done.
    if (added.length === 0 && kept.length <= 1 && (kept[0]?.summary.rounds ?? 2) >= 2) break;
    alive = [...added, ...kept];
    if (alive.length === 0) break;
  }

  for (const c of all) {
    const est = c.summary.current ? null : bootstrapSpeedupOfRuns(cur.runs, c.runs, { level: SWEEP_INTERVAL_LEVEL });
    c.summary.speedup = est === null ? null : { p50: round(est.p50, 3), p10: round(est.low, 3), p90: round(est.high, 3) };
  }
  const tried = all.filter((c) => c.summary.trials > 0).map((c) => c.summary);
  const other = mean(tried.flatMap((s) => (s.otherCpuPct === null ? [] : [s.otherCpuPct])));
  const busy = other !== null && other >= BUSY_OTHER_CPU_PCT;
  const d = decide(tried, busy, other);
  let sentence = d.sentence;
  if (stoppedBy === 'budget') sentence += ` The sweep stopped at its ${seconds(x.budgetMs)} s budget after ${done} trials.`;
  if (budgetNeededMs !== undefined) {
    sentence += ` The budget could not cover the candidates: a trial took about ${seconds(mean(trialWallMs) ?? 0)} s here, ${seconds(firstStartupMs)} s of it ` +
      `before the first step (measured in the first trial); trying every setting and repeating the best needs about ` +
      `${seconds(budgetNeededMs)} s (--sweep-budget ${seconds(budgetNeededMs)}).`;
  }
  if (stoppedBy === 'cancelled') sentence += ` The sweep was stopped by you after ${done} trials; the baseline measurement is kept.`;
  const outcome: SweepOutcome = {
    decision: d.decision, rivals: d.rivals.map(settingOf), sentence, budgetMs: x.budgetMs, spentMs: now() - t0,
    rounds, stoppedBy, otherCpuPct: other === null ? null : round(other, 1), busy,
    ...(budgetNeededMs !== undefined ? { budgetNeededMs: Math.round(budgetNeededMs) } : {}),
  };
  if (d.recommended) {
    outcome.recommended = settingOf(d.recommended);
    if (d.recommended.speedup) outcome.speedup = d.recommended.speedup;
  }
  return { candidates: tried, outcome };
}

function settingOf(s: LoaderSetting): LoaderSetting {
  return { num_workers: s.num_workers, pin_memory: s.pin_memory, prefetch_factor: s.prefetch_factor, persistent_workers: s.persistent_workers };
}
