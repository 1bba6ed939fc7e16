// Assembles the RunSummary from what the harness reported and what the Node side sampled.
import { PROFILE_SCHEMA_VERSION } from '../shared/profile';
import type {
  GpuSample, ProfileMode, RunEnded, RunSummary, SummaryCpu, SummaryDisk, SummaryGpu, SummaryLoader, Verdict,
} from '../shared/profile';
import { checkControl } from './control-check';
import { dataProbeFindings } from './data-probe-findings';
import { MAX_EVENT_LINE_CHARS } from './events';
import type { HostSample } from './host-sampler';
import type { Measurement } from './measurement';
import type { RunState } from './run-state';
import { runtimeFindings } from './runtime-findings';
import type { SweepResult } from './sweep';
import { BUSY_OTHER_CPU_PCT } from './sweep-plan';
import { mean, median, round } from './stats';

function inSpan<T extends { t: number }>(xs: readonly T[], span: { from: number; to: number } | null, slackMs: number): T[] {
  if (span === null) return [...xs];
  const inside = xs.filter((s) => s.t >= span.from - slackMs && s.t <= span.to + slackMs);
  return inside.length > 0 ? inside : [...xs];
}

export function gpuSummary(samples: readonly GpuSample[], source: 'nvml' | 'nvidia-smi', name: string | null,
  torchPeakMiB: number | null, span: Measurement['span']): SummaryGpu | null {
  if (samples.length === 0) return null;
  // The device the script used is the one whose memory grew most.
  const byIndex = new Map<number, GpuSample[]>();
  for (const s of samples) byIndex.set(s.index, [...(byIndex.get(s.index) ?? []), s]);
  let chosen: GpuSample[] = [];
  let peak = -1;
  for (const list of byIndex.values()) {
    const p = Math.max(...list.map((s) => s.memoryUsedMiB));
    if (p > peak) {
      peak = p;
      chosen = list;
    }
  }
  const window = inSpan(chosen, span, 250);
  return {
    source, name,
    utilizationMedianPct: round(median(window.map((s) => s.utilizationPct)) ?? 0, 1),
    memoryPeakMiB: round(peak, 1),
    memoryTotalMiB: chosen[0]?.memoryTotalMiB ?? 0,
    torchPeakAllocatedMiB: torchPeakMiB,
    samples: chosen.length,
  };
}

/**
 * The median utilisation of a torchrun rank's own GPU over its measured steps, or null when it sampled none.
 * Every rank's NVML sampler sees every GPU of its node; torchrun's convention is one GPU per local rank, so
 * the rank's is the one at its local rank's index (else, e.g. under CUDA_VISIBLE_DEVICES, the one whose
 * memory grew most, as for one process).
 */
export function rankGpuUtilizationPct(samples: readonly GpuSample[], localRank: number, span: Measurement['span']): number | null {
  const own = samples.filter((s) => s.index === localRank);
  return gpuSummary(own.length > 0 ? own : samples, 'nvml', null, null, span)?.utilizationMedianPct ?? null;
}

export function cpuSummary(host: readonly HostSample[], span: Measurement['span']): SummaryCpu | null {
  if (host.length === 0) return null;
  const window = inSpan(host, span, 300);
  const cores = Math.max(...window.map((s) => s.corePct.length));
  return {
    cores,
    utilizationMeanPct: round(mean(window.map((s) => s.cpuPct)) ?? 0, 1),
    processMeanPct: ((g) => (g === null ? null : round(g, 1)))(
      mean(window.flatMap((s) => (s.groupCpuPct === null ? [] : [s.groupCpuPct])))),
    otherMeanPct: ((g) => (g === null ? null : round(g, 1)))(
      mean(window.flatMap((s) => (s.groupCpuPct === null ? [] : [Math.max(0, s.cpuPct - s.groupCpuPct)])))),
    perCoreMeanPct: Array.from({ length: cores }, (_, i) => round(mean(window.map((s) => s.corePct[i] ?? 0)) ?? 0, 1)),
    memoryUsedPeakMiB: round(Math.max(...host.map((s) => s.memUsedMiB)), 1),
    memoryTotalMiB: round(host[0]?.memTotalMiB ?? 0, 1),
    samples: window.length,
  };
}

export function diskSummary(host: readonly HostSample[], span: Measurement['span']): SummaryDisk | null {
  const window = inSpan(host, span, 300).filter((s) => s.diskReadMBps !== null && s.diskWriteMBps !== null);
  if (window.length === 0) return null;
  return {
    readMBps: round(mean(window.map((s) => s.diskReadMBps ?? 0)) ?? 0, 2),
    writeMBps: round(mean(window.map((s) => s.diskWriteMBps ?? 0)) ?? 0, 2),
    samples: window.length,
  };
}

/** Why fewer steps than asked were measured: what really ended the run, not a guess. */
function whatEndedIt(ended: RunEnded): string {
  switch (ended.how) {
    case 'completed':
      return 'the script finished first';
    case 'timeout':
      return 'the run timed out';
    case 'cancelled':
      return 'stopped by you';
    case 'signal':
      return `the script was killed by ${ended.signal ?? 'a signal'}`;
    case 'crashed':
      return 'the script crashed';
    case 'exit-nonzero':
      return `the script exited with status ${ended.exitCode ?? '?'}`;
    default:
      return 'the run ended early';
  }
}

export interface SummaryInputs {
  state: RunState;
  m: Measurement;
  verdict: Verdict;
  error?: string;
  ended: RunEnded;
  mode: ProfileMode;
  script: string;
  /** Run as `python -m script`. */
  module?: boolean;
  args: string[];
  cwd: string;
  python: string;
  startedAt: Date;
  durationMs: number;
  host: readonly HostSample[];
  smiSamples: readonly GpuSample[];
  smiName: string | null;
  files: RunSummary['files'];
  folder: string;
  extraNotes: string[];
  sweep?: SweepResult;
}

export function buildSummary(x: SummaryInputs): RunSummary {
  const { state, m } = x;
  const trainingId = m.loader?.id ?? null;
  const loaders: SummaryLoader[] = [...state.loaders.values()].map((l) => ({
    id: l.id, kind: l.kind, file: l.file, line: l.line, num_workers: l.num_workers, batch_size: l.batch_size,
    pin_memory: l.pin_memory, persistent_workers: l.persistent_workers, prefetch_factor: l.prefetch_factor,
    datasetType: l.datasetType, datasetLength: l.datasetLength, role: l.role, training: l.id === trainingId,
    fetches: state.fetches.get(l.id) ?? 0,
    ...(l.kind === 'optimizer' ? { batchSource: l.batchSource } : {}),
  }));
  const torchPeak = state.cudaMemory?.peakAllocatedMiB ?? null;
  let gpu = state.gpu.length > 0
    ? gpuSummary(state.gpu, 'nvml', state.gpuName, torchPeak, m.span)
    : gpuSummary(x.smiSamples, 'nvidia-smi', x.smiName, torchPeak, m.span);
  if (gpu === null && state.cudaMemory !== null) {
    gpu = {
      source: 'nvml', name: state.cudaMemory.device, utilizationMedianPct: 0, memoryPeakMiB: state.cudaMemory.peakAllocatedMiB,
      memoryTotalMiB: state.cudaMemory.totalMiB, torchPeakAllocatedMiB: torchPeak, samples: 0,
    };
  }
  const cpu = cpuSummary(x.host, m.span);
  const disk = diskSummary(x.host, m.span);
  const sweep = x.sweep?.candidates;
  const sweepOutcome = x.sweep?.outcome;
  const control = state.control !== null && state.control.loader === trainingId ? state.control : null;
  const computeOnlyStepMs = control?.computeOnlyStepMs;
  const controlCheck = control !== null ? checkControl(m, control) ?? undefined : undefined;
  const ioProbe = state.ioProbe ?? undefined;

  const notes = [...x.extraNotes];
  if (!state.cuda && gpu === null && state.hello !== null) notes.push('no CUDA GPU in use: GPU figures omitted (CPU run)');
  if (x.mode !== 'full' && m.measured.length > 0 && state.hello !== null && m.measured.length < state.hello.steps) {
    notes.push(`only ${m.measured.length} of ${state.hello.steps} steps were measured (${whatEndedIt(x.ended)})`);
  }
  if (controlCheck && !controlCheck.reliable) {
    notes.push(`the data-free control (${controlCheck.computeOnlyStepMs} ms a step) is slower than step - wait of the measured ` +
      `steps (${controlCheck.computeFromSplitMs} ms, noise ${controlCheck.noiseMs} ms): it ran under other conditions and is not quoted`);
  }
  if (m.loader?.kind === 'optimizer' && (state.hello?.controlSteps ?? 0) > 0) {
    notes.push('no DataLoader: steps end at optimizer.step() and the data wait is the time until the model\'s next forward; ' +
      'the data-free control needs a DataLoader and did not run');
  }
  if (cpu?.otherMeanPct != null && cpu.otherMeanPct >= BUSY_OTHER_CPU_PCT) {
    notes.push(`other processes used ${Math.round(cpu.otherMeanPct)}% of the CPU during the measured steps: the figures are noisy`);
  }
  for (const n of state.notices) notes.push(n);
  if (state.invalidLines > 0) notes.push(`${state.invalidLines} unreadable event line(s) from the harness ignored`);
  if (state.tooLongLines > 0) notes.push(`${state.tooLongLines} event line(s) over ${MAX_EVENT_LINE_CHARS / 1048576} MiB on the harness's channel (fd 3) dropped unread: does the script write to fd 3?`);

  const summary: RunSummary = {
    schemaVersion: PROFILE_SCHEMA_VERSION,
    verdict: x.verdict,
    ...(x.error !== undefined ? { error: x.error } : {}),
    notes,
    mode: x.mode,
    script: x.script,
    ...(x.module === true ? { module: true } : {}),
    args: x.args,
    cwd: x.cwd,
    python: { path: x.python, version: state.hello?.python ?? null, torch: state.torch, cuda: state.cuda },
    startedAt: x.startedAt.toISOString(),
    durationMs: Math.round(x.durationMs),
    ended: x.ended,
    inputShare: m.inputShare,
    inputShareP90: m.inputShareP90,
    stepTimeMs: m.stepTimeMs,
    dataWaitMs: m.dataWaitMs,
    samplesPerSec: m.samplesPerSec,
    steps: m.measured.length,
    warmupSteps: m.warmup,
    loaders,
    gpu,
    cpu,
    disk,
    findings: [],
    folder: x.folder,
    files: x.files,
  };
  if (sweep) summary.sweep = sweep;
  if (sweepOutcome) summary.sweepOutcome = sweepOutcome;
  if (computeOnlyStepMs !== undefined) summary.computeOnlyStepMs = computeOnlyStepMs;
  if (controlCheck) summary.controlCheck = controlCheck;
  if (ioProbe) summary.ioProbe = ioProbe;
  summary.findings = runtimeFindings({
    verdict: x.verdict, m, gpu, cpu, sweep, sweepOutcome, computeOnlyStepMs, controlCheck, ioProbe, script: x.script,
  });
  const probe = state.dataProbe;
  if (probe !== null) {
    summary.dataProbe = {
      loader: probe.loader, batches: probe.batches, samples: probe.samples, shuffled: probe.shuffled, truncated: probe.truncated,
      probeMs: probe.probeMs, issues: probe.issues.length,
    };
    // What the data holds does not depend on how the run ended: also reported for a failed run.
    summary.findings.push(...dataProbeFindings(probe, state.loaders, x.script));
  }
  return summary;
}
