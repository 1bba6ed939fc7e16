// "The same configuration as that run" for the verify loop (docs/profiling.md, "Comparing two runs"):
// what a run's summary says about how it was run, as options for a new run of the same script. The
// CLI's `--compare-with` and the editor's "Re-profile and compare" both start from it; options the user
// gives win.
import type { RunSummary } from '../shared/profile';
import type { ProfileOptions } from './options';

export type RerunConfiguration = Required<Pick<ProfileOptions, 'script' | 'args' | 'cwd' | 'python' | 'mode'>> & Pick<ProfileOptions, 'module' | 'steps' | 'warmup' | 'controlSteps'>;

export function rerunConfiguration(s: RunSummary): { options: RerunConfiguration; notes: string[] } {
  const notes: string[] = [];
  // A sweep's trial runs are not part of what is compared (the measured window is), and would add minutes.
  const mode = s.mode === 'sweep' ? 'quick' : s.mode;
  if (s.mode === 'sweep') notes.push('the earlier run was a sweep: this run measures the same steps without the sweep (--mode sweep runs it again)');
  return {
    options: {
      script: s.script,
      // `python -m pkg.mod`: the name is a module, found from the working directory, not a file.
      ...(s.module === true ? { module: true } : {}),
      args: [...s.args],
      cwd: s.cwd,
      python: s.python.path,
      mode,
      ...(mode !== 'full' && s.steps > 0 ? { steps: s.steps } : {}),
      warmup: s.warmupSteps,
      // No control then, none now: it would only add time (the comparison uses the measured steps).
      ...(s.computeOnlyStepMs === undefined ? { controlSteps: 0 } : {}),
    },
    notes,
  };
}
