// Starting the harness for a run, the same for one process and a torchrun job: the run's time limits and
// stop signals go to the process group, the host sampler watches that group, and the script's output goes
// to the hooks while the tail of its stderr is kept for the summary's error.
import { spawnHarness } from './harness-process';
import type { HarnessProcess } from './harness-process';
import type { HostSampler } from './host-sampler';
import { DEFAULTS } from './options';
import type { ProfileHooks, ProfileOptions } from './options';

/** The most of the script's stderr a summary quotes. */
const STDERR_TAIL = 8192;

export interface LaunchedHarness {
  child: HarnessProcess;
  /** The last STDERR_TAIL characters the script wrote to stderr so far. */
  stderrTail(): string;
}

export function launchHarness(
  run: { python: string; argv: string[]; cwd: string; env: NodeJS.ProcessEnv },
  options: ProfileOptions,
  hooks: ProfileHooks,
  host: HostSampler,
): LaunchedHarness {
  const child = spawnHarness({
    ...run,
    graceMs: options.graceMs ?? DEFAULTS.graceMs,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(hooks.signal !== undefined ? { signal: hooks.signal } : {}),
    ...(hooks.stopNow !== undefined ? { stopNow: hooks.stopNow } : {}),
  });
  if (child.pid !== undefined) {
    host.watchGroup(child.pid);
    hooks.onSpawn?.(child.pid);
  }
  let tail = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stdout.on('data', (text: string) => hooks.onOutput?.('stdout', text));
  child.stderr.on('data', (text: string) => {
    tail = (tail + text).slice(-STDERR_TAIL);
    hooks.onOutput?.('stderr', text);
  });
  return { child, stderrTail: () => tail };
}
