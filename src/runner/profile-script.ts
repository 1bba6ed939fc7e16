// One profile run end to end: resolve the interpreter, spawn the harness, fold its events and the host
// samples into the run folder, and summarise however the run ended. Expected failures (no interpreter,
// script crash, timeout, cancel, signal) become a 'failed' summary, written like any other.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProfileEvent, RunSummary } from '../shared/profile';
import { ArrowStreamFile } from './arrow-writer';
import { InterpreterNotFoundError } from './errors';
import { decodeStream } from './events';
import { NvidiaSmiSampler } from './gpu-smi-sampler';
import { locateHarness } from './harness-locator';
import { LiveMetrics } from './live-metrics';
import { DEFAULT_METRICS_HOST, MetricsServer } from './metrics-server';
import { launchHarness } from './harness-launch';
import type { HarnessExit } from './harness-process';
import { HostSampler } from './host-sampler';
import type { HostSample } from './host-sampler';
import { resolveInterpreter } from './interpreter';
import { measure } from './measurement';
import { DEFAULTS } from './options';
import type { ProfileHooks, ProfileOptions } from './options';
import { createRunFolder, writeSummary } from './run-folder';
import { RunState } from './run-state';
import type { StepRow } from './run-state';
import type { GpuRow } from './run-tables';
import {
  GPU_FILE, LOADERS_FILE, STEPS_FILE, SUMMARY_FILE, SYSTEM_FILE, gpuColumns, loaderColumns, stepColumns, systemColumns,
} from './run-tables';
import { buildSummary } from './summary';
import { profileDistributed } from './profile-distributed';
import { runSweep } from './sweep';
import type { SweepResult } from './sweep';
import { decideVerdict, endedFrom } from './verdict';

const FLUSH_MS = 1000;

function harnessArgv(o: ProfileOptions, harness: string, script: string): string[] {
  const mode = o.mode ?? DEFAULTS.mode;
  // In sweep mode this is the baseline run (quick); the trials follow it (src/runner/sweep.ts).
  const argv = [
    harness, '--events', 'fd:3', '--mode', mode === 'sweep' ? 'quick' : mode,
    '--warmup', String(o.warmup ?? DEFAULTS.warmup),
    '--steps', String(o.steps ?? DEFAULTS.steps),
    '--control', String(mode === 'full' ? 0 : o.controlSteps ?? DEFAULTS.controlSteps),
    '--sync-every', String(o.syncEvery ?? DEFAULTS.syncEvery),
    '--io-probe', o.ioProbe ?? DEFAULTS.ioProbe,
    '--data-probe', o.dataProbe === false ? 'off' : 'on',
  ];
  if (o.dataRoot) argv.push('--data-root', o.dataRoot);
  if (o.module) argv.push('--module');
  argv.push('--', script, ...(o.args ?? []));
  return argv;
}

function isRunnable(script: string): boolean {
  const st = fs.statSync(script);
  return st.isFile() || (st.isDirectory() && fs.statSync(path.join(script, '__main__.py'), { throwIfNoEntry: false })?.isFile() === true);
}

/**
 * Profiles one script. With `metricsPort`, the live metrics endpoint listens before anything else (a busy
 * port throws MetricsServerError before the script starts) and is closed, lingering first when asked,
 * however the run ends.
 */
export async function profileScript(options: ProfileOptions, hooks: ProfileHooks = {}): Promise<RunSummary> {
  const run = (server: MetricsServer | null): Promise<RunSummary> => options.distributed !== undefined
    ? profileDistributed({ ...options, distributed: options.distributed }, hooks, server)
    : profileRun(options, hooks, server);
  if (options.metricsPort === undefined) return run(null);
  const server = await MetricsServer.start(options.metricsHost ?? DEFAULT_METRICS_HOST, options.metricsPort);
  try {
    hooks.onMetricsServing?.(server.url);
    const summary = await run(server);
    await linger((options.metricsLingerSeconds ?? 0) * 1000, hooks.signal);
    return summary;
  } finally {
    await server.close();
  }
}

/** Resolves after `ms`, or at once when the run is cancelled. */
function linger(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

async function profileRun(options: ProfileOptions, hooks: ProfileHooks, server: MetricsServer | null): Promise<RunSummary> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const mode = options.mode ?? DEFAULTS.mode;
  const script = options.module ? options.script : path.resolve(cwd, options.script);
  const startedAt = new Date();
  const t0 = Date.now();
  const folder = createRunFolder(path.resolve(cwd, options.outDir), options.script, startedAt);
  const live = server === null ? null : new LiveMetrics({
    run: path.basename(folder), script: options.module ? options.script : path.relative(cwd, script) || script, mode,
  }, startedAt);
  if (live !== null) server?.serve(live);
  const state = new RunState();
  const files: RunSummary['files'] = { summary: SUMMARY_FILE, steps: null, system: null, loaders: null, gpu: null };
  const warmup = options.warmup ?? DEFAULTS.warmup;
  let python = options.python ?? 'python3';

  const finish = (exit: HarnessExit, stderrTail: string, host: readonly HostSample[], smi: NvidiaSmiSampler | null,
    extraNotes: string[], sweep?: SweepResult): RunSummary => {
    const m = measure(state);
    const ended = endedFrom(exit, state, mode);
    const { verdict, error } = decideVerdict({
      ended, state, measurement: m, python, mode, warmup, timeoutMs: options.timeoutMs, spawnError: exit.spawnError,
      stderrTail,
    });
    const summary = buildSummary({
      state, m, verdict, ...(error !== undefined ? { error } : {}), ended, mode, script, ...(options.module === true ? { module: true } : {}), args: options.args ?? [], cwd,
      python, startedAt, durationMs: Date.now() - t0, host, smiSamples: smi?.samples ?? [], smiName: smi?.name ?? null,
      files, extraNotes, folder, ...(sweep !== undefined ? { sweep } : {}),
    });
    writeSummary(folder, summary);
    return summary;
  };
  const failEarly = (err: Error, how: 'spawn-failed' | 'cancelled'): RunSummary => finish(
    { code: null, signal: null, reason: how === 'cancelled' ? 'cancelled' : null, spawnError: how === 'spawn-failed' ? err : null, escapees: [] },
    '', [], null, [],
  );

  try {
    python = resolveInterpreter({ explicit: options.python, candidates: options.pythonCandidates, cwd }).path;
  } catch (err) {
    if (err instanceof InterpreterNotFoundError) return failEarly(err, 'spawn-failed');
    throw err;
  }
  if (!options.module && !fs.existsSync(script)) return failEarly(new Error(`script not found: ${script}`), 'spawn-failed');
  // Python would block reading a FIFO or a device for ever, and a folder runs only through its __main__.py.
  if (!options.module && !isRunnable(script)) {
    return failEarly(new Error(`not a script file: ${script} (a regular .py file, or a folder with __main__.py)`), 'spawn-failed');
  }
  if (hooks.signal?.aborted) return failEarly(new Error('cancelled before start'), 'cancelled');
  const harness = locateHarness();

  const stepsFile = new ArrowStreamFile<StepRow>(path.join(folder, STEPS_FILE), stepColumns);
  const gpuFile = new ArrowStreamFile<GpuRow>(path.join(folder, GPU_FILE), gpuColumns);
  const systemFile = new ArrowStreamFile<HostSample>(path.join(folder, SYSTEM_FILE), systemColumns(os.cpus().length));
  files.steps = STEPS_FILE;
  files.system = SYSTEM_FILE;
  files.gpu = GPU_FILE;

  const host = new HostSampler(options.hostSampleMs ?? DEFAULTS.hostSampleMs, (s) => {
    systemFile.append([s]);
    live?.observeHost(s);
  });
  const hostStarted = host.start();
  let smi: NvidiaSmiSampler | null = null;
  const extraNotes: string[] = [];

  const env = { ...process.env, ...options.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' };
  const { child, stderrTail } = launchHarness({ python, argv: harnessArgv(options, harness, script), cwd, env }, options, hooks, host);

  const onEvent = (e: ProfileEvent): void => {
    state.apply(e);
    live?.observeEvent(e);
    if (e.type === 'steps') {
      // apply() has just appended this event's rows to state.steps.
      stepsFile.append(state.steps.slice(state.steps.length - e.t.length));
    } else if (e.type === 'gpu') {
      gpuFile.append(e.samples.map((s) => ({ ...s, source: 'nvml' })));
    } else if (e.type === 'hello' && !e.nvml) {
      const binary = NvidiaSmiSampler.available();
      if (binary !== null) {
        smi = new NvidiaSmiSampler(live === null ? undefined : (sample) => live.observeGpu([sample]));
        smi.start(binary);
      }
    }
    try {
      hooks.onEvent?.(e);
    } catch {
      // A throwing observer must not break the run it observes.
    }
  };
  const decoded = decodeStream(child.events, {
    event: onEvent,
    invalid: () => state.invalidLines++,
    tooLong: () => state.tooLongLines++,
  });
  const flusher = setInterval(() => {
    stepsFile.flush();
    systemFile.flush();
    gpuFile.flush();
  }, FLUSH_MS);

  const exit = await child.done;
  await decoded;
  clearInterval(flusher);
  await hostStarted;
  host.stop();
  // Assigned inside the event callback, which TypeScript's flow analysis does not follow.
  const smiSampler = smi as NvidiaSmiSampler | null;
  if (smiSampler !== null) {
    smiSampler.stop();
    gpuFile.append(smiSampler.samples.map((s) => ({ ...s, source: 'nvidia-smi' })));
  }
  const loadersFile = new ArrowStreamFile(path.join(folder, LOADERS_FILE), loaderColumns);
  const trainingId = measure(state).loader?.id ?? null;
  loadersFile.append([...state.loaders.values()].map((l) => ({ ...l, training: l.id === trainingId, fetches: state.fetches.get(l.id) ?? 0 })));
  files.loaders = LOADERS_FILE;
  await Promise.all([stepsFile.close(), systemFile.close(), gpuFile.close(), loadersFile.close()]);
  if (exit.escapees.length > 0) {
    const named = exit.escapees.map((p) => `${p.pid} (${p.comm})`).join(', ');
    extraNotes.push(`${exit.escapees.length} process(es) had left the run's process group (setsid) and were still running when it ended: ${named}; killed`);
  }

  // The sweep starts from a complete baseline: a torch training loader whose measured window closed.
  let sweep: SweepResult | undefined;
  const base = measure(state);
  if (mode === 'sweep' && exit.reason === null && state.end?.how === 'stopped' && base.loader?.kind === 'torch' &&
    base.stepTimeMs !== null && !hooks.signal?.aborted) {
    sweep = await runSweep({
      base: {
        python, harness, script, args: options.args ?? [], module: options.module ?? false, cwd, env, graceMs: options.graceMs ?? DEFAULTS.graceMs,
        dataProbe: options.dataProbe !== false,
        ...(hooks.stopNow !== undefined ? { stopNow: hooks.stopNow } : {}),
      },
      loader: { ...base.loader, role: state.roleAtCreation.get(base.loader.id) ?? base.loader.role },
      baselineSteps: [...base.measured].sort((a, b) => a.index - b.index).map((m) => m.stepMs), baselineWallMs: Date.now() - t0,
      warmup, steps: options.steps ?? DEFAULTS.steps,
      cpus: state.hello?.cpuCount ?? os.cpus().length, cuda: state.cuda,
      budgetMs: (options.sweepBudgetSeconds ?? DEFAULTS.sweepBudgetSeconds) * 1000,
      ...(hooks.signal !== undefined ? { signal: hooks.signal } : {}),
      ...(hooks.onSweepTrial !== undefined ? { onTrial: hooks.onSweepTrial } : {}),
    });
  } else if (mode === 'sweep' && state.end?.how === 'stopped' && base.loader?.kind !== 'torch') {
    extraNotes.push('sweep: no PyTorch training DataLoader was measured, so there is no loader setting to try');
  }
  return finish(exit, stderrTail(), host.samples, smiSampler, extraNotes, sweep);
}
