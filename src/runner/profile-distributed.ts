// A torchrun job profiled end to end (docs/profiling.md, "torchrun jobs"): torchrun itself starts the ranks
// with the harness as their script, each rank reports over the job's rank channels, and every rank's steps
// are kept in the run folder (steps.rank<R>.arrow). The summary is the primary rank's (the first rank that
// crashed, else the one waiting most for data) with each rank's figures and the job verdict (src/runner/rank-findings.ts) added.
// Cancel, timeout and a crash end torchrun's whole process group (src/runner/harness-process.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProfileEvent, RunSummary, SummaryRank } from '../shared/profile';
import { ArrowStreamFile } from './arrow-writer';
import { InterpreterNotFoundError } from './errors';
import { locateHarness } from './harness-locator';
import { launchHarness } from './harness-launch';
import { LiveMetrics } from './live-metrics';
import type { MetricsServer } from './metrics-server';
import type { HarnessExit } from './harness-process';
import { HostSampler } from './host-sampler';
import type { HostSample } from './host-sampler';
import { resolveInterpreter } from './interpreter';
import { measure } from './measurement';
import { DEFAULTS } from './options';
import type { ProfileHooks, ProfileOptions } from './options';
import { RankChannels } from './rank-channels';
import { peerWaitMs, rankFindings, stepEndSpreadMs } from './rank-findings';
import { round } from './stats';
import { createRunFolder, writeSummary } from './run-folder';
import { RunState } from './run-state';
import type { StepRow } from './run-state';
import { LOADERS_FILE, SUMMARY_FILE, SYSTEM_FILE, loaderColumns, stepColumns, systemColumns } from './run-tables';
import { buildSummary, rankGpuUtilizationPct } from './summary';
import { torchrunArgv } from './torchrun';
import type { DistributedOptions } from './torchrun';
import { decideVerdict, endedFrom } from './verdict';

const CHANNEL_CLOSE_WAIT_MS = 3000;

interface Rank {
  rank: number;
  localRank: number;
  state: RunState;
  steps: ArrowStreamFile<StepRow>;
  file: string;
}

const stepsFileOf = (rank: number): string => `steps.rank${rank}.arrow`;

function harnessArgs(o: ProfileOptions, socketPath: string, script: string): string[] {
  const mode = o.mode ?? DEFAULTS.mode;
  const argv = [
    '--events', `unix:${socketPath}`, '--mode', mode === 'full' ? 'full' : 'quick',
    '--warmup', String(o.warmup ?? DEFAULTS.warmup), '--steps', String(o.steps ?? DEFAULTS.steps),
    '--control', String(mode === 'full' ? 0 : o.controlSteps ?? DEFAULTS.controlSteps),
    '--sync-every', String(o.syncEvery ?? DEFAULTS.syncEvery), '--io-probe', o.ioProbe ?? DEFAULTS.ioProbe,
  ];
  if (o.dataRoot) argv.push('--data-root', o.dataRoot);
  if (o.module) argv.push('--module');
  argv.push('--', script, ...(o.args ?? []));
  return argv;
}

/** Profiles a torchrun job; with `server`, every rank's series are served live, labelled by rank. */
export async function profileDistributed(options: ProfileOptions & { distributed: DistributedOptions },
  hooks: ProfileHooks = {}, server: MetricsServer | null = null): Promise<RunSummary> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const mode = options.mode ?? DEFAULTS.mode;
  const script = options.module ? options.script : path.resolve(cwd, options.script);
  const startedAt = new Date();
  const t0 = Date.now();
  const folder = createRunFolder(path.resolve(cwd, options.outDir), options.script, startedAt);
  const warmup = options.warmup ?? DEFAULTS.warmup;
  let python = options.python ?? 'python3';
  const live = server === null ? null : new LiveMetrics({
    run: path.basename(folder), script: options.module ? options.script : path.relative(cwd, script) || script, mode,
  }, startedAt);
  if (live !== null) server?.serve(live);
  // As for one process (src/runner/profile-script.ts): a job that cannot start is a 'failed' summary.
  const failEarly = (err: Error): RunSummary => {
    const state = new RunState();
    const ended = endedFrom({ code: null, signal: null, reason: null, spawnError: err, escapees: [] }, state, mode);
    const m = measure(state);
    const { verdict, error } = decideVerdict({
      ended, state, measurement: m, python, mode, warmup, timeoutMs: options.timeoutMs, spawnError: err, stderrTail: '',
    });
    const summary = buildSummary({
      state, m, verdict, ...(error !== undefined ? { error } : {}), ended, mode, script, args: options.args ?? [], cwd, python,
      startedAt, durationMs: Date.now() - t0, host: [], smiSamples: [], smiName: null,
      files: { summary: SUMMARY_FILE, steps: null, system: null, loaders: null, gpu: null }, extraNotes: [], folder,
    });
    summary.ranks = [];
    writeSummary(folder, summary);
    return summary;
  };
  try {
    python = resolveInterpreter({ explicit: options.python, candidates: options.pythonCandidates, cwd }).path;
  } catch (err) {
    if (err instanceof InterpreterNotFoundError) return failEarly(err);
    throw err;
  }
  if (!options.module && !fs.existsSync(script)) return failEarly(new Error(`script not found: ${script}`));

  const channelRank = new Map<number, Rank>();
  const ranks = new Map<number, Rank>();
  let invalidLines = 0;
  let tooLongLines = 0;
  const onEvent = (channel: number, e: ProfileEvent): void => {
    let r = channelRank.get(channel);
    if (r === undefined) {
      if (e.type !== 'hello') return;
      const rank = e.rank?.rank ?? channel;
      const file = stepsFileOf(rank);
      r = { rank, localRank: e.rank?.localRank ?? rank, state: new RunState(), file,
        steps: new ArrowStreamFile<StepRow>(path.join(folder, file), stepColumns) };
      channelRank.set(channel, r);
      ranks.set(rank, r);
    }
    r.state.apply(e);
    // The job has ended only when every rank has: markEnded() below.
    if (e.type !== 'end') live?.observeEvent(e, r.rank);
    if (e.type === 'steps') r.steps.append(r.state.steps.slice(r.state.steps.length - e.t.length));
    try {
      hooks.onEvent?.(e, r.rank);
    } catch {
      // A throwing observer must not break the run it observes.
    }
  };
  const channels = await RankChannels.open({
    event: onEvent, invalid: () => invalidLines++, tooLong: () => tooLongLines++,
  });
  const systemFile = new ArrowStreamFile<HostSample>(path.join(folder, SYSTEM_FILE), systemColumns(os.cpus().length));
  const host = new HostSampler(options.hostSampleMs ?? DEFAULTS.hostSampleMs, (s) => {
    systemFile.append([s]);
    live?.observeHost(s);
  });
  const hostStarted = host.start();

  const { child, stderrTail } = launchHarness({
    python,
    argv: torchrunArgv(options.distributed, path.join(folder, 'torchrun-logs'), locateHarness(),
      harnessArgs(options, channels.socketPath, script)),
    cwd,
    env: { ...process.env, ...options.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' },
  }, options, hooks, host);
  // The ranks report over their sockets: fd 3 carries nothing here.
  child.events.resume();

  const exit: HarnessExit = await child.done;
  await channels.close(CHANNEL_CLOSE_WAIT_MS);
  live?.markEnded();
  await hostStarted;
  host.stop();

  const ordered = [...ranks.values()].sort((a, b) => a.rank - b.rank);
  // The job's own figures are those of the rank that crashed first (its error is the job's), else of the rank
  // that waits most for data: the others wait for it at each collective, so its input sets the job's pace.
  const shareOf = (r: Rank): number => measure(r.state).inputShare ?? -1;
  const crashed = ordered.filter((r) => r.state.end?.how === 'exception').sort((a, b) => (a.state.end?.t ?? 0) - (b.state.end?.t ?? 0));
  const primary = crashed[0] ??
    ordered.reduce<Rank | undefined>((best, r) => (best === undefined || shareOf(r) > shareOf(best) ? r : best), undefined);
  const state = primary?.state ?? new RunState();
  state.invalidLines += invalidLines;
  state.tooLongLines += tooLongLines;
  const loadersFile = new ArrowStreamFile(path.join(folder, LOADERS_FILE), loaderColumns);
  const m = measure(state);
  loadersFile.append([...state.loaders.values()].map((l) => ({ ...l, training: l.id === (m.loader?.id ?? null), fetches: state.fetches.get(l.id) ?? 0 })));
  await Promise.all([...ordered.map((r) => r.steps.close()), systemFile.close(), loadersFile.close()]);

  const measured = ordered.map((r) => ({ rank: r.rank, m: measure(r.state) }));
  const waits = peerWaitMs(measured);
  const figures: SummaryRank[] = ordered.map((r, i) => {
    const rm = measured[i]!.m;
    return { rank: r.rank, localRank: r.localRank, ended: r.state.end?.how ?? null, steps: rm.measured.length,
      stepTimeMs: rm.stepTimeMs, dataWaitMs: rm.dataWaitMs, inputShare: rm.inputShare, samplesPerSec: rm.samplesPerSec,
      peerWaitMs: waits[i] === null || waits[i] === undefined ? null : round(waits[i]!, 3),
      gpuUtilizationPct: rankGpuUtilizationPct(r.state.gpu, r.localRank, rm.span), stepsFile: r.file };
  });
  const spread = stepEndSpreadMs(measured);
  const ended = endedFrom(exit, state, mode);
  const { verdict, error } = decideVerdict({
    ended, state, measurement: m, python, mode, warmup, timeoutMs: options.timeoutMs, spawnError: exit.spawnError, stderrTail: stderrTail(),
  });
  const extraNotes: string[] = [];
  if (primary !== undefined && ordered.length > 1) {
    extraNotes.push(`torchrun job of ${ordered.length} ranks: the verdict and figures above are rank ${primary.rank}'s ` +
      `(${primary.state.end?.how === 'exception' ? 'the rank that crashed' : 'the rank that waits most for data, which sets the job\'s pace'}); each rank's are under Ranks`);
  }
  if (exit.escapees.length > 0) {
    extraNotes.push(`${exit.escapees.length} process(es) had left the job's process group and were still running when it ended: killed`);
  }
  const expected = ordered[0]?.state.hello?.rank?.worldSize;
  if (expected !== undefined && ordered.length < expected) {
    extraNotes.push(`${ordered.length} of ${expected} ranks reported to this machine (the others run on other nodes, or never started)`);
  }
  const summary = buildSummary({
    state, m, verdict, ...(error !== undefined ? { error } : {}), ended, mode, script, args: options.args ?? [], cwd,
    python, startedAt, durationMs: Date.now() - t0, host: host.samples, smiSamples: [], smiName: null,
    files: { summary: SUMMARY_FILE, steps: primary?.file ?? null, system: SYSTEM_FILE, loaders: LOADERS_FILE, gpu: null },
    extraNotes, folder,
  });
  summary.ranks = figures;
  summary.stepEndSpreadMs = spread;
  summary.figuresRank = primary?.rank ?? null;
  if (verdict !== 'failed') summary.findings.push(...rankFindings(measured, spread, script, primary?.rank ?? null));
  writeSummary(folder, summary);
  return summary;
}
