// Runtime findings (docs/runtime-findings.md): each carries a code, the measured figures and the
// DataLoader's creation site, and estimates only from measured ratios. A fix is called measured only when
// the sweep's trial runs found a setting that beats the current one beyond the noise (docs/profiling.md,
// "Sweep: trial runs"); otherwise no finding may claim one.
import type { Finding, Range, Severity } from '../shared/findings';
import type { ControlCheck, IoProbe, LoaderInfo, SummaryCpu, SummaryGpu, SummarySweep, SweepOutcome, Verdict } from '../shared/profile';
import { boundFromShare, controlSentence, speedupText as boundText, verdictSentence } from '../shared/verdict-text';
import type { Measurement } from './measurement';
import { describeSetting, sameSetting } from './sweep-plan';
import { round } from './stats';

export const RUNTIME_CODES = {
  inputBound: 'RUN001',
  sweepFaster: 'RUN002',
  dataFreeControl: 'RUN003',
  gpuIdleNotInputBound: 'RUN004',
  gpuMemoryHeadroom: 'RUN005',
  cpuSaturated: 'RUN006',
  manySmallFiles: 'RUN007',
  straggler: 'RUN014',
  rankWait: 'RUN015',
  /** The static rule a measurement confirms: a 0-worker training loader that is input-bound. */
  syncLoader: 'LOAD001',
} as const;

/** Catalog entries for reporters (SARIF rules, docs links); full text in docs/runtime-findings.md. */
export const RUNTIME_RULES: readonly { code: string; name: string; summary: string }[] = [
  { code: 'LOAD001', name: 'sync-dataloader', summary: 'Training DataLoader with num_workers=0 measured input-bound' },
  { code: 'RUN001', name: 'input-bound', summary: 'Training steps measured waiting for data (input share >= 5%)' },
  { code: 'RUN002', name: 'faster-loader-setting', summary: 'Sweep trial runs measured a loader setting with faster training steps than the current one, beyond the noise' },
  { code: 'RUN003', name: 'data-free-control', summary: 'Compute-only step time is well below the measured step time' },
  { code: 'RUN004', name: 'gpu-idle-small-step', summary: 'GPU mostly idle although the loop does not wait for data' },
  { code: 'RUN005', name: 'gpu-memory-headroom', summary: 'Peak GPU memory below 40% of the card: room for a larger batch' },
  { code: 'RUN006', name: 'cpu-bound-preprocessing', summary: 'All CPU cores busy loading data: preprocessing is CPU-bound' },
  { code: 'RUN007', name: 'many-small-files', summary: 'Dataset stored as many small files whose reads cost >= 10% of the time a sample takes: bundle into shards' },
  { code: 'RUN008', name: 'non-finite-inputs', summary: 'Data probe: NaN or Inf values in a training batch' },
  { code: 'RUN009', name: 'constant-feature', summary: 'Data probe: a feature or tensor constant across the probed samples' },
  { code: 'RUN010', name: 'skewed-class-mix', summary: 'Data probe: labels of the shuffled training batches badly skewed or missing classes' },
  { code: 'RUN011', name: 'duplicate-samples', summary: 'Data probe: exact duplicate samples among the probed samples' },
  { code: 'RUN012', name: 'unnormalised-images', summary: 'Data probe: images delivered as floats in 0-255' },
  { code: 'RUN013', name: 'empty-batch', summary: 'Data probe: the training loader delivered an empty batch' },
  { code: 'RUN014', name: 'straggler-rank', summary: 'A torchrun rank whose step time or data wait stands out from the other ranks' },
  { code: 'RUN015', name: 'ranks-wait-at-step-end', summary: 'torchrun ranks end their steps far apart: the early ones wait for the late ones' },
];

export interface FindingInputs {
  verdict: Verdict;
  m: Measurement;
  gpu: SummaryGpu | null;
  cpu: SummaryCpu | null;
  sweep: SummarySweep[] | undefined;
  sweepOutcome: SweepOutcome | undefined;
  computeOnlyStepMs: number | undefined;
  controlCheck?: ControlCheck | undefined;
  ioProbe: IoProbe | undefined;
  script: string;
}

const pct = (x: number): string => `${Math.round(x * 100)}%`;
const ms = (x: number): string => (x >= 100 ? `${Math.round(x)} ms` : x < 1 ? `${Number(x.toPrecision(2))} ms` : `${round(x, 1)} ms`);

/**
 * RUN007 needs small-file reads to be at least this share of the time a sample takes in the run: below
 * it, sharding cannot make loading noticeably faster (a cached 2 KiB read is ~1% of a 2 ms sample).
 */
export const SMALL_FILE_READ_SHARE = 0.1;

export function rangeOf(l: LoaderInfo | null): Range {
  if (l === null) return { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  const start = { line: Math.max(0, l.line - 1), character: Math.max(0, l.column ?? 0) };
  // A call whose columns the harness does not know (a batch source's call site): the line's start.
  if (l.column === null || l.endLine === null || l.endColumn === null) return { start, end: start };
  const endLine = Math.max(start.line, l.endLine - 1);
  const endChar = endLine === start.line ? Math.max(start.character, l.endColumn) : Math.max(0, l.endColumn);
  return { start, end: { line: endLine, character: endChar } };
}

export function finding(code: string, severity: Severity, message: string, l: LoaderInfo | null, script: string,
  figures: Record<string, number | string>): Finding {
  return {
    code, severity, message, file: l?.file ?? script, range: rangeOf(l), fixes: [], related: [], origin: 'runtime',
    figures,
  };
}

export function runtimeFindings(x: FindingInputs): Finding[] {
  if (x.verdict === 'failed') return [];
  const { m } = x;
  const l = m.loader;
  const out: Finding[] = [];
  const step = m.stepTimeMs?.p50 ?? 0;
  const wait = m.dataWaitMs?.p50 ?? 0;
  const inputBound = x.verdict === 'highly-input-bound' || x.verdict === 'moderately-input-bound';
  const outcome = x.sweepOutcome;
  const rec = outcome?.decision === 'faster' ? outcome.recommended : undefined;
  const recSpeedup = rec ? outcome?.speedup : undefined;
  const best = rec ? x.sweep?.find((c) => !c.current && sameSetting(c, rec)) : undefined;
  const cur = x.sweep?.find((c) => c.current);

  if (inputBound && m.inputShare !== null) {
    const zeroWorkers = l?.kind === 'torch' && l.num_workers === 0;
    const figures: Record<string, number | string> = {
      inputShare: m.inputShare, inputShareP90: m.inputShareP90 ?? 0, stepMsP50: step, dataWaitMsP50: wait,
    };
    if (l?.num_workers !== null && l?.num_workers !== undefined) figures.num_workers = l.num_workers;
    if (m.samplesPerSec !== null) figures.samplesPerSec = m.samplesPerSec;
    let msg = `${verdictSentence({ verdict: x.verdict, inputShare: m.inputShare })} (median; p90 ${pct(m.inputShareP90 ?? 0)}); ` +
      `a step takes ${ms(step)}, ${ms(wait)} of it ${l?.kind === 'optimizer' ? 'before the model\'s forward' : 'in the loader'}`;
    if (zeroWorkers) msg += ', with num_workers=0 loading runs in the training process';
    msg += '.';
    if (x.gpu !== null) {
      figures.gpuUtilizationPct = x.gpu.utilizationMedianPct;
      if (x.gpu.utilizationMedianPct < 50) msg += ` GPU busy ${Math.round(x.gpu.utilizationMedianPct)}% of the time: the loader is the bottleneck.`;
    }
    if (rec && recSpeedup) {
      Object.assign(figures, speedupFigures(recSpeedup));
      msg += ` Measured fix: ${describeSetting(rec)} made steps ${speedupText(recSpeedup.p50)}x faster in trial runs ` +
        `(p10-p90 ${speedupText(recSpeedup.p10)}-${speedupText(recSpeedup.p90)}x).`;
    } else if (outcome && cur?.stepMs) {
      msg += ' The sweep found no loader setting that beats the current one beyond the noise.';
    } else {
      // No sweep, or one stopped (by you, by its budget) before it measured the current setting: no comparison was made.
      // The bound quoted with the verdict follows from the measured wait share alone; the control, when it
      // agrees with the split, is quoted by RUN003.
      const ideal = round(boundFromShare(m.inputShare), 2);
      figures.speedupIfLoadingFree = ideal;
      msg += ` At most ${boundText(ideal)} faster if loading were free (upper bound from the measured wait).`;
    }
    if (zeroWorkers && !outcome) msg += ' Try num_workers>0; a sweep run measures which setting is fastest.';
    else if (outcome && !cur?.stepMs) msg += ` The sweep was ${outcome.stoppedBy === 'cancelled' ? 'stopped by you' : 'stopped'} before it measured the current setting.`;
    out.push(finding(zeroWorkers ? RUNTIME_CODES.syncLoader : RUNTIME_CODES.inputBound,
      x.verdict === 'highly-input-bound' ? 'warning' : 'info', msg, l, x.script, figures));
  }

  if (outcome && rec && recSpeedup) {
    const figures: Record<string, number | string> = {
      ...speedupFigures(recSpeedup), num_workers: rec.num_workers, pin_memory: String(rec.pin_memory),
      persistent_workers: String(rec.persistent_workers),
    };
    if (rec.prefetch_factor !== null) figures.prefetch_factor = rec.prefetch_factor;
    if (best?.stepMs) figures.stepMsP50 = best.stepMs.p50;
    if (cur?.stepMs) figures.currentStepMsP50 = cur.stepMs.p50;
    out.push(finding(RUNTIME_CODES.sweepFaster, inputBound && recSpeedup.p10 >= 1.5 ? 'warning' : 'info', outcome.sentence, l,
      x.script, figures));
  }

  const c = x.controlCheck;
  if (c?.reliable && step > 0 && c.bound >= 1.1) {
    const sentence = controlSentence({
      stepTimeMs: m.stepTimeMs, dataWaitMs: m.dataWaitMs, inputShare: m.inputShare, computeOnlyStepMs: c.computeOnlyStepMs,
      controlCheck: c,
    });
    out.push(finding(RUNTIME_CODES.dataFreeControl, 'info', sentence ?? '', l, x.script,
      { computeOnlyStepMs: c.computeOnlyStepMs, stepMsP50: step, speedupIfLoadingFree: round(c.bound, 2), boundFromSplit: c.boundFromSplit }));
  }

  if (x.gpu !== null && !inputBound && x.gpu.utilizationMedianPct < 50) {
    out.push(finding(RUNTIME_CODES.gpuIdleNotInputBound, 'info',
      `GPU busy only ${Math.round(x.gpu.utilizationMedianPct)}% of the time although the loop does not wait for data: ` +
      'the step itself is small (batch size, Python overhead, host-device syncs; see LOOP001).', l, x.script,
      { gpuUtilizationPct: x.gpu.utilizationMedianPct, inputShare: m.inputShare ?? 0 }));
  }

  if (x.gpu !== null && x.gpu.memoryTotalMiB > 0) {
    const peak = Math.max(x.gpu.torchPeakAllocatedMiB ?? 0, x.gpu.memoryPeakMiB);
    const share = peak / x.gpu.memoryTotalMiB;
    if (peak > 0 && share < 0.4) {
      out.push(finding(RUNTIME_CODES.gpuMemoryHeadroom, 'info',
        `Peak GPU memory ${round(peak / 1024, 1)} GiB of ${round(x.gpu.memoryTotalMiB / 1024, 1)} GiB (${pct(share)}): ` +
        `${round(100 - share * 100, 0)}% headroom; a larger batch would use the card better.`, l, x.script,
        { memoryPeakMiB: round(peak, 1), memoryTotalMiB: x.gpu.memoryTotalMiB, memoryShare: round(share, 3) }));
    }
  }

  const cores = x.cpu?.cores ?? 0;
  // Our own processes' CPU where known: a machine busy with someone else's work is not our saturation.
  const bestCpu = best ? best.processCpuPct : null;
  const runCpu = x.cpu ? x.cpu.processMeanPct ?? x.cpu.utilizationMeanPct : null;
  const saturatedAtBest = best !== undefined && bestCpu !== null && bestCpu >= 90 && best.num_workers >= Math.max(1, cores - 1);
  const saturatedInRun = inputBound && runCpu !== null && runCpu >= 90 && (l?.num_workers ?? 0) >= Math.max(1, cores - 1);
  if (saturatedAtBest || saturatedInRun) {
    const busy = saturatedAtBest ? bestCpu ?? 0 : runCpu ?? 0;
    out.push(finding(RUNTIME_CODES.cpuSaturated, inputBound ? 'warning' : 'info',
      `All ${cores} CPU cores were ${Math.round(busy)}% busy ${saturatedAtBest ? 'at the best loader setting' : 'while the loop waited for data'}: ` +
      'preprocessing is CPU-bound; cache decoded samples, move work out of __getitem__ (PREP rules) or decode on the GPU.',
      l, x.script, { cpuUtilizationPct: round(busy, 1), cores }));
  }

  const io = x.ioProbe;
  // Sharding pays only where opening small files is a real part of a sample's cost: the share is the
  // run's samples/s over the probe's small-file reads/s (one file a sample), docs/runtime-findings.md.
  const readShare = io?.smallFileReadsPerSec && m.samplesPerSec !== null ? m.samplesPerSec / io.smallFileReadsPerSec : null;
  if (io?.recommendSharding && io.smallFileReadsPerSec !== null && m.samplesPerSec !== null && readShare !== null &&
    readShare >= SMALL_FILE_READ_SHARE) {
    const figures: Record<string, number | string> = {
      files: io.files, medianFileBytes: io.medianFileBytes, smallFileReadsPerSec: io.smallFileReadsPerSec, samplesPerSec: m.samplesPerSec,
      readShare: round(readShare, 3),
    };
    if (io.sequentialMBps !== null) figures.sequentialMBps = io.sequentialMBps;
    out.push(finding(RUNTIME_CODES.manySmallFiles, 'info',
      `The dataset under ${io.root} is ${io.files.toLocaleString('en-US')} files with a median size of ` +
      `${round(io.medianFileBytes / 1024, 1)} KiB; opening and reading one takes ${ms(1000 / io.smallFileReadsPerSec)} here ` +
      `(${Math.round(io.smallFileReadsPerSec)} small-file reads/s), ${pct(Math.min(readShare, 1))} of the ${ms(1000 / m.samplesPerSec)} ` +
      'each sample takes in this run: bundle them into shards of 10-100 MB+ (WebDataset .tar, Parquet, TFRecord).', l, x.script, figures));
  }
  return out;
}

/** A measured speed-up: the median ratio and its p10-p90 interval. */
function speedupFigures(s: { p50: number; p10: number; p90: number }): Record<string, number> {
  return { measuredSpeedup: s.p50, measuredSpeedupP10: s.p10, measuredSpeedupP90: s.p90 };
}

/** Speedups as people say them: "2.1x", "192x" (the exact ratio stays in the finding's figures). */
function speedupText(x: number): string {
  return x >= 10 ? x.toFixed(0) : x.toFixed(1);
}
