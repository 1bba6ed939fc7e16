// The verdict in words, written once: the CLI, the status bar tooltip, the editor's notifications, the
// runtime diagnostics, the dashboard and the HTML report all say the same thing (docs/profiling.md,
// "Verdicts"). Every speed-up quoted here is an upper bound that follows from measured figures: the
// measured wait share, or the data-free control when it agrees with that share.
import type { RunSummary } from './profile';

/** Above this share the loader, not the step, is "where the time goes". */
export const WAIT_IS_MAJORITY_SHARE = 0.5;

/** "If loading were free", from the measured split alone: step / (step - wait) = 1 / (1 - share). */
export function boundFromShare(share: number): number {
  return 1 / (1 - Math.min(Math.max(share, 0), 0.99));
}

/** "1.06x", "1.2x", "24x": two decimals where the difference from 1 is small. */
export function speedupText(x: number): string {
  return `${x >= 10 ? x.toFixed(0) : x.toFixed(x >= 1.995 ? 1 : 2)}x`;
}

function pct(share: number | null): string {
  return share === null || !Number.isFinite(share) ? '-' : `${(share * 100).toFixed(0)}%`;
}

function ms(x: number): string {
  if (x >= 1000) return `${(x / 1000).toFixed(2)} s`;
  return `${x.toFixed(x >= 100 ? 0 : 1)} ms`;
}

/** "Highly input-bound: 74% of each step waits for data" — the first thing every surface says. */
export function verdictSentence(s: Pick<RunSummary, 'verdict' | 'inputShare' | 'error'> & Partial<Pick<RunSummary, 'ended' | 'steps'>>): string {
  const share = pct(s.inputShare);
  // A run the user stopped is not a failure: its verdict is that of the steps measured until then.
  const stopped = s.ended?.how === 'cancelled';
  const until = stopped ? ` \u2014 stopped by you${s.steps !== undefined ? ` after ${s.steps} measured steps` : ''}` : '';
  switch (s.verdict) {
    case 'highly-input-bound':
      return `Highly input-bound: ${share} of each step waits for data${until}`;
    case 'moderately-input-bound':
      return `Moderately input-bound: ${share} of each step waits for data${until}`;
    case 'not-input-bound':
      return `${s.inputShare === null ? 'Not input-bound' : `Not input-bound: only ${share} of each step waits for data`}${until}`;
    case 'failed':
      if (stopped) return upperFirst(s.error ?? 'stopped by you before a step was measured');
      return `The run failed: ${s.error ?? 'unknown error'}`;
  }
}

function upperFirst(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * The data-free control against the measured split, or null without a control:
 * "Your steps take 13.6 ms, of which 2.1 ms wait for data; compute alone took 11.2 ms in the data-free
 * control, consistent with the 11.5 ms a measured step spends outside its wait: loading costs at most 1.21x
 * (an upper bound, not a prediction)."
 */
export function controlSentence(s: Pick<RunSummary, 'stepTimeMs' | 'dataWaitMs' | 'inputShare' | 'computeOnlyStepMs' | 'controlCheck'>): string | null {
  if (s.computeOnlyStepMs === undefined || s.stepTimeMs === null) return null;
  const step = s.stepTimeMs.p50;
  const wait = s.dataWaitMs?.p50 ?? 0;
  const c = s.controlCheck;
  const split = `Your steps take ${ms(step)}, of which ${ms(wait)} wait for data`;
  if (c === undefined) {
    // A summary written before the check existed: the control alone, still only an upper bound.
    return `${split}; compute alone took ${ms(s.computeOnlyStepMs)} in the data-free control (not checked against the split).`;
  }
  if (!c.reliable) {
    return `${split}; the data-free control cannot be trusted: compute alone took ${ms(c.computeOnlyStepMs)} there, ` +
      `more than the ${ms(c.computeFromSplitMs)} a measured step spends outside its data wait (noise ${ms(c.noiseMs)}), ` +
      `so it ran under other conditions. From the measured wait, loading costs at most ${speedupText(c.boundFromSplit)}.`;
  }
  const beyond = c.boundFromControl > c.boundFromSplit * 1.05
    ? ` (the wait alone accounts for ${speedupText(c.boundFromSplit)}; the rest is loading work inside the step, or noise)`
    : '';
  return `${split}; compute alone took ${ms(c.computeOnlyStepMs)} in the data-free control, consistent with the ` +
    `${ms(c.computeFromSplitMs)} a measured step spends outside its wait: loading costs at most ${speedupText(c.bound)}${beyond} ` +
    '(an upper bound, not a prediction).';
}
