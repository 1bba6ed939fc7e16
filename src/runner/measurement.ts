// Figures of the training loader's measured steps, per docs/profiling.md: input share = data wait / step time
// per step, reported as median and p90.
import type { LoaderInfo } from '../shared/profile';
import type { RunState, StepRow } from './run-state';
import { median, percentile, round } from './stats';

export interface Measurement {
  loader: LoaderInfo | null;
  measured: StepRow[];
  warmup: number;
  inputShare: number | null;
  inputShareP90: number | null;
  stepTimeMs: { p50: number; p90: number } | null;
  dataWaitMs: { p50: number; p90: number } | null;
  samplesPerSec: number | null;
  /** Epoch ms span of the measured steps, to pick the host/GPU samples that belong to them. */
  span: { from: number; to: number } | null;
}

export function trainingLoaderId(state: RunState): number | null {
  if (state.trainingLoader !== null) return state.trainingLoader;
  let best: number | null = null;
  let most = 0;
  for (const [id, n] of state.fetches) {
    if (n > most) {
      most = n;
      best = id;
    }
  }
  return best;
}

export function measure(state: RunState): Measurement {
  const id = trainingLoaderId(state);
  const loader = id === null ? null : (state.loaders.get(id) ?? null);
  const measured = state.stepsOf(id, 'measured');
  const warmup = state.stepsOf(id, 'warmup').length;
  if (measured.length === 0) {
    return {
      loader, measured, warmup, inputShare: null, inputShareP90: null, stepTimeMs: null, dataWaitMs: null,
      samplesPerSec: null, span: null,
    };
  }
  const shares = measured.map((s) => (s.stepMs > 0 ? Math.min(1, s.waitMs / s.stepMs) : 0));
  const steps = measured.map((s) => s.stepMs);
  const waits = measured.map((s) => s.waitMs);
  const samples = measured.map((s) => s.samples ?? loader?.batch_size ?? null);
  const known = samples.every((n): n is number => n !== null);
  let samplesPerSec: number | null = null;
  if (known) {
    const total = samples.reduce((a, b) => a + b, 0);
    // The CUDA-synchronised window is exact; the sum of CPU intervals is the fallback (see pd_steps.py).
    const w = state.window;
    const ms = w !== null && w.loader === id && w.windowSteps === measured.length
      ? w.windowMs
      : steps.reduce((a, b) => a + b, 0);
    samplesPerSec = ms > 0 ? round((total / ms) * 1000, 2) : null;
  }
  const first = measured[0];
  const last = measured[measured.length - 1];
  return {
    loader,
    measured,
    warmup,
    inputShare: round(median(shares) ?? 0, 4),
    inputShareP90: round(percentile(shares, 90) ?? 0, 4),
    stepTimeMs: { p50: round(median(steps) ?? 0, 3), p90: round(percentile(steps, 90) ?? 0, 3) },
    dataWaitMs: { p50: round(median(waits) ?? 0, 3), p90: round(percentile(waits, 90) ?? 0, 3) },
    samplesPerSec,
    span: first && last ? { from: first.t, to: last.t + last.stepMs } : null,
  };
}
