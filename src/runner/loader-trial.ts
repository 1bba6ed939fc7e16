// One sweep trial (docs/profiling.md, "Sweep: trial runs"): the user's script in a fresh harness
// process, quick mode, with one candidate setting applied to the training DataLoader by the harness
// (pd_trial.py); returns its measured steps and the CPU that this run and the other processes used.
import type { LoaderInfo, LoaderSetting, ProfileEvent } from '../shared/profile';
import { decodeStream } from './events';
import { spawnHarness } from './harness-process';
import { HostSampler } from './host-sampler';
import type { HostSample } from './host-sampler';
import { measure } from './measurement';
import { RunState } from './run-state';
import type { StepRow } from './run-state';
import { mean } from './stats';

export interface TrialSpec {
  python: string;
  harness: string;
  script: string;
  args: string[];
  module: boolean;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The training loader of the baseline run: its creation site and role. */
  loader: Pick<LoaderInfo, 'file' | 'line' | 'role'>;
  setting: LoaderSetting;
  warmup: number;
  steps: number;
  /** As in the baseline run: the probe slows the first warm-up steps, which lets workers fill their queue. */
  dataProbe: boolean;
  timeoutMs: number;
  graceMs: number;
  signal?: AbortSignal;
  /** A second cancel: the trial is killed at once. */
  stopNow?: AbortSignal;
}

export interface TrialResult {
  measured: StepRow[];
  /** The training loader as the trial created it: proves the setting was applied. */
  loader: LoaderInfo | null;
  wallMs: number;
  otherCpuPct: number | null;
  processCpuPct: number | null;
  error: string | null;
  /** Ended by its timeout (the sweep's budget) or by a cancel. */
  cut: 'timeout' | 'cancelled' | null;
}

/** CPU of processes outside the run's group: all cores' busy share minus the group's, per host sample. */
export function otherCpu(samples: readonly HostSample[]): number | null {
  const per = samples.flatMap((s) => (s.groupCpuPct === null ? [] : [Math.max(0, s.cpuPct - s.groupCpuPct)]));
  return mean(per);
}

export function applied(loader: LoaderInfo | null, s: LoaderSetting): boolean {
  if (loader === null) return false;
  return loader.num_workers === s.num_workers && loader.pin_memory === s.pin_memory &&
    (s.num_workers === 0 || (loader.prefetch_factor === s.prefetch_factor && loader.persistent_workers === s.persistent_workers));
}

export async function runTrial(t: TrialSpec): Promise<TrialResult> {
  const start = Date.now();
  const argv = [
    t.harness, '--events', 'fd:3', '--mode', 'quick', '--warmup', String(t.warmup), '--steps', String(t.steps),
    '--control', '0', '--io-probe', 'off', '--data-probe', t.dataProbe ? 'on' : 'off',
    '--trial-loader', `${t.loader.file}:${t.loader.line}:${t.loader.role}`, '--trial-settings', JSON.stringify(t.setting),
  ];
  if (t.module) argv.push('--module');
  argv.push('--', t.script, ...t.args);
  const state = new RunState();
  const host = new HostSampler(250);
  const hostStarted = host.start();
  const child = spawnHarness({
    python: t.python, argv, cwd: t.cwd, env: t.env, graceMs: t.graceMs, timeoutMs: t.timeoutMs,
    ...(t.signal !== undefined ? { signal: t.signal } : {}),
    ...(t.stopNow !== undefined ? { stopNow: t.stopNow } : {}),
  });
  if (child.pid !== undefined) host.watchGroup(child.pid);
  child.stdout.resume();
  let stderrTail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => { stderrTail = (stderrTail + text).slice(-2000); });
  const decoded = decodeStream(child.events, { event: (e: ProfileEvent) => state.apply(e), invalid: () => undefined, tooLong: () => undefined });
  const exit = await child.done;
  await decoded;
  await hostStarted;
  host.stop();
  const m = measure(state);
  const span = m.span;
  const during = span === null ? host.samples : host.samples.filter((s) => s.t >= span.from - 250 && s.t <= span.to + 250);
  const group = mean(during.flatMap((s) => (s.groupCpuPct === null ? [] : [s.groupCpuPct])));
  let error: string | null = null;
  if (state.end?.error) error = `${state.end.error.type}: ${state.end.error.message}`;
  else if (m.measured.length === 0 && exit.reason === null) {
    const tail = stderrTail.trim().split('\n').slice(-1)[0] ?? '';
    error = `no step was measured (exit ${exit.code ?? exit.signal ?? '?'})${tail ? `: ${tail}` : ''}`;
  } else if (m.measured.length > 0 && !applied(m.loader, t.setting)) {
    error = 'the setting could not be applied to the training DataLoader';
  }
  return {
    measured: m.measured, loader: m.loader, wallMs: Date.now() - start, otherCpuPct: otherCpu(during),
    processCpuPct: group, error, cut: exit.reason,
  };
}
