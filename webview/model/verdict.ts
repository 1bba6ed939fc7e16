// The words of the dashboard: the verdict sentence, the "why and where", the data-free control sentence
// and the headline numbers. The same functions feed the webview and the exported report, so both say
// exactly the same thing.
import type { RunSummary, SummaryLoader } from '../../src/shared/profile';
import { WAIT_IS_MAJORITY_SHARE } from '../../src/shared/verdict-text';
import { baseName, DASH, fmtCount, fmtMiB, fmtMs, fmtPct, fmtPct100, fmtRate, fmtSpeedup } from './format';

// The verdict and data-free control sentences are written once, for every surface (src/shared/verdict-text.ts).
export { controlSentence, verdictSentence } from '../../src/shared/verdict-text';

export type VerdictTone = 'bad' | 'warn' | 'good' | 'failed';

export function verdictTone(s: RunSummary): VerdictTone {
  switch (s.verdict) {
    case 'highly-input-bound':
      return 'bad';
    case 'moderately-input-bound':
      return 'warn';
    case 'not-input-bound':
      return 'good';
    case 'failed':
      return 'failed';
  }
}

export function trainingLoader(s: RunSummary): SummaryLoader | undefined {
  return s.loaders.find((l) => l.training) ?? (s.loaders.length === 1 ? s.loaders[0] : undefined);
}

/** The best estimated step speedup any finding measured (sweep best or data-free control), if any. */
export function bestEstimatedSpeedup(s: RunSummary): number | null {
  let best: number | null = null;
  for (const f of s.findings) {
    const v = f.figures?.measuredSpeedup ?? f.figures?.speedupIfLoadingFree;
    if (typeof v === 'number' && Number.isFinite(v) && (best === null || v > best)) best = v;
  }
  return best;
}

/**
 * A torchrun job: whose figures the verdict card shows (docs/profiling.md, "torchrun jobs"): one rank's
 * verdict and step figures, the machine's CPU for all ranks together. Null for a single process.
 */
export function whoseFigures(s: RunSummary): string | null {
  if (!s.ranks || s.ranks.length === 0) return null;
  const n = s.ranks.length;
  const rank = s.ranks.find((r) => r.rank === s.figuresRank);
  if (rank === undefined) return `torchrun job of ${n} rank${n === 1 ? '' : 's'}: the run did not record whose figures these are; each rank's are under Ranks.`;
  const why = rank.ended === 'exception' ? 'the rank that crashed first' : 'the rank that waits most for data, which sets the job\'s pace';
  return `torchrun job: verdict and step figures of rank ${rank.rank} of ${n} (${n === 1 ? 'the only rank that reported here' : why}); ` +
    'CPU figures: this machine, all ranks together. Each rank\'s figures are under Ranks.';
}

/** Why and where: which loader, how it is configured, what the GPU did, and what the best fix measured. */
export function verdictDetails(s: RunSummary): string[] {
  if (s.verdict === 'failed') return [`Run ended: ${s.ended.how}${s.ended.exitCode !== null ? ` (exit code ${s.ended.exitCode})` : ''}.`];
  const out: string[] = [];
  const loader = trainingLoader(s);
  const inputBound = s.verdict !== 'not-input-bound';
  if (loader) {
    const where = `${baseName(loader.file)}:${loader.line}`;
    const workers = loader.num_workers === null ? '' : loader.num_workers === 0
      ? ' loads in the training process (num_workers=0)'
      : ` uses num_workers=${loader.num_workers}`;
    // Only a wait that is most of the step makes the loader "where the time goes".
    const majority = inputBound && (s.inputShare ?? 0) >= WAIT_IS_MAJORITY_SHARE;
    const what = loader.kind === 'optimizer'
      ? `The training loop's batch source${loader.batchSource ? ` ${loader.batchSource}()` : ''} at ${where} (no DataLoader: steps end at optimizer.step())`
      : `The training DataLoader at ${where}${workers}`;
    const joiner = loader.kind !== 'optimizer' && workers !== '' ? ' and is' : ' is';
    out.push(`${what}${majority ? `${joiner} where the time goes.` : '.'}`);
  }
  if (s.gpu) {
    out.push(`GPU ${s.gpu.name ?? ''} busy ${fmtPct100(s.gpu.utilizationMedianPct)} of the time (median)${inputBound && s.gpu.utilizationMedianPct < 50 ? ': it waits for the loader' : ''}.`.replace('GPU  ', 'GPU '));
  }
  // The sweep's own sentence: a measured speed-up with its interval, or that nothing beat the current setting.
  if (s.sweepOutcome) out.push(s.sweepOutcome.sentence);
  return out;
}

export interface HeadlineNumber {
  label: string;
  value: string;
  detail: string;
}

export function headlineNumbers(s: RunSummary): HeadlineNumber[] {
  const gpuMem = s.gpu
    ? Math.max(s.gpu.memoryPeakMiB, s.gpu.torchPeakAllocatedMiB ?? 0)
    : null;
  return [
    { label: 'Samples/s', value: fmtRate(s.samplesPerSec), detail: `${fmtCount(s.steps)} measured steps` },
    { label: 'Step time p50', value: fmtMs(s.stepTimeMs?.p50), detail: `p90 ${fmtMs(s.stepTimeMs?.p90)}` },
    { label: 'Data wait', value: fmtPct(s.inputShare), detail: `of each step (p90 ${fmtPct(s.inputShareP90)}), ${fmtMs(s.dataWaitMs?.p50)}` },
    // A CPU run has no GPU figures: one card says so instead of two dashes.
    ...(s.gpu
      ? [
        { label: 'GPU utilization', value: fmtPct100(s.gpu.utilizationMedianPct), detail: `median, ${s.gpu.name ?? 'GPU'}` },
        gpuMem !== null
          ? { label: 'GPU memory peak', value: fmtMiB(gpuMem), detail: `of ${fmtMiB(s.gpu.memoryTotalMiB)} (${fmtPct(s.gpu.memoryTotalMiB > 0 ? gpuMem / s.gpu.memoryTotalMiB : null)})` }
          : { label: 'GPU memory peak', value: DASH, detail: 'not sampled' },
      ]
      : [{ label: 'GPU', value: 'none', detail: 'no GPU on this run' }]),
    s.cpu
      ? { label: 'CPU', value: fmtPct100(s.cpu.processMeanPct ?? s.cpu.utilizationMeanPct), detail: s.cpu.processMeanPct !== null ? `this run, of ${s.cpu.cores} cores (all: ${fmtPct100(s.cpu.utilizationMeanPct)})` : `all ${s.cpu.cores} cores busy` }
      : { label: 'CPU', value: DASH, detail: 'not sampled' },
    s.disk
      ? { label: 'Disk read', value: `${s.disk.readMBps.toFixed(1)} MB/s`, detail: `write ${s.disk.writeMBps.toFixed(1)} MB/s` }
      : { label: 'Disk read', value: DASH, detail: 'not sampled' },
  ];
}
