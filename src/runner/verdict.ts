// How the run ended and what that means for the verdict. A verdict other than 'failed' needs measured
// steps *and* a run that ended as planned (completed, stopped by the harness after quick/sweep, or
// stopped by the user); anything else is 'failed' with one sentence saying why, while the partial
// figures stay in the summary.
import { verdictForInputShare } from '../shared/profile';
import type { EndedHow, ProfileMode, RunEnded, Verdict } from '../shared/profile';
import type { HarnessExit } from './harness-process';
import type { Measurement } from './measurement';
import type { RunState } from './run-state';

export function endedFrom(exit: HarnessExit, state: RunState, mode: ProfileMode): RunEnded {
  let how: EndedHow;
  if (exit.spawnError !== null && exit.code === null && exit.signal === null) how = 'spawn-failed';
  else if (exit.reason === 'timeout') how = 'timeout';
  else if (exit.reason === 'cancelled') how = 'cancelled';
  else if (exit.signal !== null && state.end === null) how = 'signal';
  else if (state.end?.how === 'stopped') how = mode === 'sweep' ? 'stopped-after-sweep' : 'stopped-after-quick';
  else if (state.end?.how === 'completed' && exit.code === 0) how = 'completed';
  else if (state.end?.how === 'exit') how = 'exit-nonzero';
  else if (state.end?.how === 'exception') how = 'crashed';
  else if (exit.signal !== null) how = 'signal';
  else if (exit.code !== 0) how = state.end === null ? 'crashed' : 'exit-nonzero';
  else how = 'completed';
  return { how, exitCode: exit.code, signal: exit.signal };
}

function torchMissing(state: RunState): boolean {
  const err = state.end?.error;
  return (state.hello !== null && state.hello.torch === null) ||
    (err?.type === 'ModuleNotFoundError' && /'torch'/.test(err.message));
}

function measuredNote(m: Measurement): string {
  return m.measured.length > 0 ? `${m.measured.length} measured steps kept` : 'no step was measured';
}

export interface VerdictContext {
  ended: RunEnded;
  state: RunState;
  measurement: Measurement;
  python: string;
  mode: ProfileMode;
  warmup: number;
  timeoutMs: number | undefined;
  spawnError: Error | null;
  stderrTail: string;
}

export function decideVerdict(c: VerdictContext): { verdict: Verdict; error?: string } {
  const { ended, state, measurement: m } = c;
  const fail = (error: string): { verdict: Verdict; error: string } => ({ verdict: 'failed', error });
  const torchHint = `PyTorch is not importable by ${c.python}` +
    `${state.hello?.torchError ? ` (${state.hello.torchError})` : ''}; choose an interpreter with torch installed (--python PATH)`;
  switch (ended.how) {
    case 'spawn-failed':
      return fail(`could not start ${c.python}: ${c.spawnError?.message ?? 'unknown error'}`);
    case 'timeout':
      return fail(`timed out after ${Math.round((c.timeoutMs ?? 0) / 1000)} s and was stopped (${measuredNote(m)})`);
    case 'cancelled':
      // Stopped by the user (the documented way to end a full run): not a failure. The steps measured so
      // far give the verdict; without any, there is nothing to judge (docs/profiling.md, "Verdicts").
      if (m.inputShare !== null) return { verdict: verdictForInputShare(m.inputShare) };
      return fail(`stopped by you before a step was measured (${m.warmup} of ${c.warmup} warm-up steps ran)`);
    case 'signal':
      return fail(`the script was killed by ${ended.signal ?? 'a signal'} (${measuredNote(m)})`);
    case 'crashed': {
      if (torchMissing(state)) return fail(torchHint);
      const err = state.end?.error;
      if (err) return fail(`the script raised ${err.type}: ${err.message} (${measuredNote(m)})`);
      if (state.hello === null) {
        const tail = c.stderrTail.trim().split('\n').slice(-3).join(' | ');
        return fail(`the harness did not start under ${c.python} (exit code ${ended.exitCode ?? '?'})${tail ? `: ${tail}` : ''}`);
      }
      return fail(`the run ended unexpectedly with exit code ${ended.exitCode ?? '?'} (${measuredNote(m)})`);
    }
    case 'exit-nonzero':
      return fail(`the script exited with status ${state.end?.exitCode ?? ended.exitCode ?? '?'} (${measuredNote(m)})`);
    default:
      break;
  }
  if (state.hello === null) {
    // The harness's first act is its hello event; a program that exits cleanly without one never ran
    // it (`--python /bin/echo`), so whether torch is importable is not the question.
    const tail = c.stderrTail.trim().split('\n').slice(-3).join(' | ');
    return fail(`${c.python} is not a Python interpreter: it exited without running the profiling harness${tail ? ` (${tail})` : ''}; choose one with torch installed (--python PATH)`);
  }
  if (m.inputShare === null) {
    if (state.loaders.size === 0) {
      if (state.torch === null) return fail(torchHint);
      return fail('nothing to measure: the script finished without iterating a PyTorch DataLoader, calling optimizer.step() ' +
        'on a torch optimizer or calling Keras fit, so it has no training steps');
    }
    const ran = m.warmup;
    return fail(`only ${ran} training steps ran, not more than the ${c.warmup} warm-up steps: lower --warmup or run more steps`);
  }
  return { verdict: verdictForInputShare(m.inputShare) };
}
