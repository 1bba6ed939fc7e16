// Plain option objects for a profile run; adapters (CLI, editor) fill them, the core never reads settings.
import type { LoaderSetting, ProfileEvent, ProfileMode } from '../shared/profile';
import type { DistributedOptions } from './torchrun';

export interface ProfileOptions {
  script: string;
  args?: string[];
  /** Run `script` as a module (`python -m`). */
  module?: boolean;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  mode?: ProfileMode;
  warmup?: number;
  steps?: number;
  /** Data-free control steps after the measured window (quick and sweep modes); 0 disables it. */
  controlSteps?: number;
  /** Explicit interpreter: wins over candidates. */
  python?: string;
  /** Tried in order when `python` is not given (the editor passes the Python extension's environment). */
  pythonCandidates?: string[];
  /** Folder under which a new run folder is created. */
  outDir: string;
  timeoutMs?: number;
  /** SIGTERM -> SIGKILL grace on cancel/timeout. */
  graceMs?: number;
  dataRoot?: string;
  ioProbe?: 'auto' | 'on' | 'off';
  /** The data-quality probe over the first warm-up batches (docs/profiling.md); default on. */
  dataProbe?: boolean;
  /** Wall-time budget of the sweep's trial runs (docs/profiling.md, "Sweep: trial runs"). */
  sweepBudgetSeconds?: number;
  syncEvery?: number;
  hostSampleMs?: number;
  /** Serve live metrics for Prometheus on this port while the run goes (docs/profiling.md); absent = off. */
  metricsPort?: number;
  /** Address the metrics endpoint listens on (default 127.0.0.1: loopback unless the user names one). */
  metricsHost?: string;
  /** Keep the endpoint up this long after the run ended, so a last scrape catches the final values. */
  metricsLingerSeconds?: number;
  /** Start the script through torchrun, the harness in every rank (docs/profiling.md, "torchrun jobs"). */
  distributed?: DistributedOptions;
}

export interface ProfileHooks {
  /** `rank`: the torchrun rank that sent it (torchrun jobs only). */
  onEvent?: (e: ProfileEvent, rank?: number) => void;
  /** The script's stdout/stderr, as it arrives. */
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
  onSpawn?: (pid: number) => void;
  /** After each sweep trial: its setting and the number of trials done. */
  onSweepTrial?: (setting: LoaderSetting, done: number) => void;
  signal?: AbortSignal;
  /** The live metrics endpoint listens (before the script starts): its URL. */
  onMetricsServing?: (url: string) => void;
  /**
   * Stops the run at once, after `signal` asked for a graceful stop (the CLI's second Ctrl+C): the
   * process group is killed without a grace period and what was measured is still summarised.
   */
  stopNow?: AbortSignal;
}

export const DEFAULTS = {
  mode: 'quick' as ProfileMode,
  warmup: 10,
  steps: 50,
  controlSteps: 20,
  graceMs: 3000,
  ioProbe: 'auto' as const,
  sweepBudgetSeconds: 120,
  syncEvery: 0,
  hostSampleMs: 250,
};
