// The sweep (docs/profiling.md, "Sweep: trial runs"): successive halving over loader settings, each
// measured by trial runs of the real training step in fresh processes, within the user's time budget.
// Iterating the loader alone, as a first version did, overclaimed: on few cores the workers compete with
// the training step for the CPU, which only a run of the real step shows.
import type { LoaderInfo, LoaderSetting, SummarySweep, SweepOutcome } from '../shared/profile';
import { runTrial } from './loader-trial';
import type { TrialResult, TrialSpec } from './loader-trial';
import type { StepRow } from './run-state';
import {
  BUSY_OTHER_CPU_PCT, decide, extensions, initialCandidates, normalizeSetting, sameSetting, speedupOver, spreadOf,
  survivors, windowMeans,
} from './sweep-plan';
import { mean, round } from './stats';

/** Windows of the first round; each later round doubles them (longer windows for fewer settings). */
const FIRST_ROUND_WINDOWS = 3;
const MAX_WINDOWS = 24;
/**
 * A window lasts about this long at the setting's own step time (the baseline's until it was measured), so
 * a fast setting is not judged on a few milliseconds of steps; at least MIN_WINDOW_STEPS steps.
 */
const WINDOW_TARGET_MS = 300;
const MIN_WINDOW_STEPS = 4;
const MAX_WINDOW_STEPS = 200;

export interface SweepInputs {
  base: Omit<TrialSpec, 'loader' | 'setting' | 'warmup' | 'steps' | 'timeoutMs' | 'signal'>;
  loader: LoaderInfo;
  /** Median step time of the baseline run (ms): sizes the windows. */
  baselineStepMs: number;
  /** Wall time of the baseline run: the first estimate of one trial's cost. */
  baselineWallMs: number;
  warmup: number;
  cpus: number;
  cuda: boolean;
  budgetMs: number;
  signal?: AbortSignal;
  onTrial?: (setting: LoaderSetting, done: number) => void;
  /** For tests: the trial runner. */
  run?: (spec: TrialSpec) => Promise<TrialResult>;
}

export interface SweepResult {
  candidates: SummarySweep[];
  outcome: SweepOutcome;
}

interface Candidate {
  summary: SummarySweep;
  /** Step time (ms) expected before this setting was measured: sizes its first windows. */
  guessMs: number | null;
  windows: number[];
  other: number[];
  process: number[];
}

function fresh(setting: LoaderSetting, current: boolean, guessMs: number | null = null): Candidate {
  return {
    guessMs,
    summary: {
      ...setting, current, stepMs: null, windows: 0, steps: 0, trials: 0, rounds: 0, speedup: null,
      otherCpuPct: null, processCpuPct: null, wallMs: 0, error: null,
    },
    windows: [], other: [], process: [],
  };
}

export function currentSetting(l: LoaderInfo): LoaderSetting {
  return normalizeSetting({
    num_workers: l.num_workers ?? 0, pin_memory: l.pin_memory ?? false, prefetch_factor: l.prefetch_factor,
    persistent_workers: l.persistent_workers ?? false,
  });
}

export async function runSweep(x: SweepInputs): Promise<SweepResult> {
  const run = x.run ?? runTrial;
  const t0 = Date.now();
  const current = currentSetting(x.loader);
  const windowStepsAt = (stepMs: number): number =>
    Math.min(MAX_WINDOW_STEPS, Math.max(MIN_WINDOW_STEPS, Math.ceil(WINDOW_TARGET_MS / Math.max(stepMs, 0.01))));
  const firstWindowSteps = windowStepsAt(x.baselineStepMs);
  const all: Candidate[] = initialCandidates(current, x.cpus, x.cuda).map((s) => fresh(s, sameSetting(s, current)));
  const cur = all.find((c) => c.summary.current) ?? all[0];
  if (cur === undefined) throw new Error('the sweep has no current setting');
  const perEpoch = x.loader.datasetLength !== null && x.loader.batch_size ? Math.ceil(x.loader.datasetLength / x.loader.batch_size) : null;
  // Start-up cost of one trial (interpreter, imports, the script's own set-up), refined by each trial.
  let startupMs = Math.max(0, x.baselineWallMs - x.baselineStepMs * (x.warmup + firstWindowSteps * FIRST_ROUND_WINDOWS));
  let stoppedBy = 'done' as SweepOutcome['stoppedBy'];
  let rounds = 0;
  let done = 0;
  let alive = all.filter((c) => !c.summary.current);

  const remaining = (): number => x.budgetMs - (Date.now() - t0);
  const measureOne = async (c: Candidate, windows: number): Promise<boolean> => {
    const s = c.summary;
    // The queue the workers fill before the first measured step must be drained first: until then steps
    // are served from batches loaded during start-up and look faster than steady state.
    const warmup = Math.max(x.warmup, (s.prefetch_factor ?? 0) * s.num_workers + 2);
    const stepGuess = s.stepMs?.p50 ?? c.guessMs ?? x.baselineStepMs;
    const windowSteps = windowStepsAt(stepGuess);
    const steps = windows * windowSteps;
    const estimate = startupMs + (warmup + steps) * stepGuess;
    if (estimate > remaining()) {
      stoppedBy = 'budget';
      return false;
    }
    const r = await run({
      ...x.base, loader: x.loader, setting: { ...s, prefetch_factor: s.prefetch_factor, persistent_workers: s.persistent_workers },
      warmup, steps, timeoutMs: Math.max(1000, remaining()), ...(x.signal !== undefined ? { signal: x.signal } : {}),
    });
    done++;
    s.trials++;
    s.wallMs += r.wallMs;
    const ws = windowMeans(r.measured, windowSteps);
    c.windows.push(...ws);
    s.windows = c.windows.length;
    s.steps += r.measured.length;
    if (r.otherCpuPct !== null) c.other.push(r.otherCpuPct);
    if (r.processCpuPct !== null) c.process.push(r.processCpuPct);
    s.stepMs = spreadOf(c.windows);
    s.otherCpuPct = c.other.length ? round(mean(c.other) ?? 0, 1) : null;
    s.processCpuPct = c.process.length ? round(mean(c.process) ?? 0, 1) : null;
    if (r.error !== null && r.cut === null) s.error = r.error;
    if (r.measured.length > 0 && r.cut === null) {
      const stepTotal = r.measured.reduce((a: number, m: StepRow) => a + m.stepMs, 0);
      startupMs = Math.max(0, r.wallMs - stepTotal - warmup * (s.stepMs?.p50 ?? 0));
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
    const windows = Math.min(MAX_WINDOWS, FIRST_ROUND_WINDOWS << round_);
    // The current setting runs in every round, so each comparison is made under the same conditions.
    // New settings go before the survivors: if the budget ends the round, the untried ones were measured.
    for (const c of [cur, ...alive]) {
      if (!(await measureOne(c, windows))) break outer;
      c.summary.rounds++;
      // Without the current setting's own measurement nothing can be compared with it.
      if (c === cur && cur.summary.error !== null) break outer;
    }
    rounds = round_ + 1;
    const measured = all.filter((c) => c.summary.stepMs !== null || c.summary.error !== null).map((c) => c.summary);
    const fastest = Math.min(...measured.map((m) => m.stepMs?.p50 ?? Infinity));
    const guess = Number.isFinite(fastest) ? fastest : x.baselineStepMs;
    const added = extensions(measured, {
      round: round_, cuda: x.cuda, epochShorterThanTrial: perEpoch !== null && perEpoch < windows * 2 * windowStepsAt(guess),
    }).map((s) => fresh(s, false, guess));
    all.push(...added);
    const keep = survivors(alive.map((c) => c.summary));
    const kept = alive.filter((c) => keep.includes(c.summary));
    // One setting left, measured in at least two rounds and nothing new to try: done.
    if (added.length === 0 && kept.length <= 1 && (kept[0]?.summary.rounds ?? 2) >= 2) break;
    alive = [...added, ...kept];
    if (alive.length === 0) break;
  }

  const curSpread = cur.summary.stepMs;
  for (const c of all) {
    const s = c.summary;
    s.speedup = curSpread && s.stepMs && !s.current ? speedupOver(curSpread, s.stepMs) : null;
  }
  const tried = all.filter((c) => c.summary.trials > 0).map((c) => c.summary);
  const other = mean(tried.flatMap((s) => (s.otherCpuPct === null ? [] : [s.otherCpuPct])));
  const busy = other !== null && other >= BUSY_OTHER_CPU_PCT;
  const d = decide(tried, busy, other);
  let sentence = d.sentence;
  if (stoppedBy === 'budget') sentence += ` The sweep stopped at its ${Math.round(x.budgetMs / 1000)} s budget after ${done} trials.`;
  if (stoppedBy === 'cancelled') sentence += ` The sweep was stopped by you after ${done} trials; the baseline measurement is kept.`;
  const outcome: SweepOutcome = {
    decision: d.decision, rivals: d.rivals.map(settingOf), sentence, budgetMs: x.budgetMs, spentMs: Date.now() - t0,
    rounds, stoppedBy, otherCpuPct: other === null ? null : round(other, 1), busy,
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
