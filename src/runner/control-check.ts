// The data-free control checked against the measured split of the same run (docs/profiling.md,
// "Data-free control"). The control runs after the measured window, in another stretch of time: a machine
// that got busier, or a step that changed, shows up as compute alone taking longer than a measured step
// spent outside its data wait. That contradicts the measurement, so the control is then not quoted.
import type { ControlCheck, ControlEvent } from '../shared/profile';
import { boundFromShare } from '../shared/verdict-text';
import type { Measurement } from './measurement';
import { median, percentile, round } from './stats';

/** Below this, timer and scheduler jitter dominate: a relative spread alone would call 0.05 ms "noise-free". */
const MIN_NOISE_MS = 0.05;
/** The control is one short window: allow it this much relative slack even when the steps were steady. */
const MIN_RELATIVE_NOISE = 0.1;

export function checkControl(m: Measurement, control: ControlEvent): ControlCheck | null {
  if (m.measured.length === 0 || m.stepTimeMs === null || m.inputShare === null) return null;
  const compute = m.measured.map((s) => Math.max(0, s.stepMs - s.waitMs));
  const computeFromSplit = median(compute) ?? 0;
  // Noise: how far a measured step's compute strays above its median, and the control's own spread.
  const stepSpread = (percentile(compute, 90) ?? computeFromSplit) - computeFromSplit;
  const controlSpread = Math.max(0, control.computeOnlyStepP90Ms - control.computeOnlyStepMs);
  const noise = Math.max(MIN_NOISE_MS, MIN_RELATIVE_NOISE * computeFromSplit, stepSpread, controlSpread);
  const boundFromSplit = boundFromShare(m.inputShare);
  const boundFromControl = m.stepTimeMs.p50 / Math.max(control.computeOnlyStepMs, 1e-3);
  // A control slower than step - wait implies a bound below what the measured wait already shows.
  const reliable = control.computeOnlyStepMs <= computeFromSplit + noise;
  return {
    computeOnlyStepMs: control.computeOnlyStepMs,
    computeOnlyStepP90Ms: control.computeOnlyStepP90Ms,
    computeFromSplitMs: round(computeFromSplit, 3),
    noiseMs: round(noise, 3),
    boundFromSplit: round(boundFromSplit, 3),
    boundFromControl: round(boundFromControl, 3),
    reliable,
    bound: round(reliable ? Math.max(boundFromSplit, boundFromControl) : boundFromSplit, 3),
  };
}
