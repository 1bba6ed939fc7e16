// A synthetic run folder written with the runner's own Arrow writer and column layouts, so the dashboard
// tests and the benchmark read exactly what a real run writes. Sized and labelled at will: 100,000 steps
// for the benchmark, hostile strings for the security tests.
import fs from 'node:fs';
import path from 'node:path';
import { ArrowStreamFile } from '../../src/runner/arrow-writer';
import { writeSummary } from '../../src/runner/run-folder';
import { GPU_FILE, gpuColumns, LOADERS_FILE, loaderColumns, STEPS_FILE, stepColumns, SYSTEM_FILE, systemColumns } from '../../src/runner/run-tables';
import type { GpuRow } from '../../src/runner/run-tables';
import type { HostSample } from '../../src/runner/host-sampler';
import type { StepRow } from '../../src/runner/run-state';
import type { Finding } from '../../src/shared/findings';
import type { LoaderInfo, RunSummary, SummaryRank, SummarySweep } from '../../src/shared/profile';
import { PROFILE_SCHEMA_VERSION } from '../../src/shared/profile';

export interface SyntheticRunOptions {
  steps?: number;
  /** Data wait share of each step (0-1). */
  inputShare?: number;
  stepMs?: number;
  script?: string;
  loaderFile?: string;
  datasetType?: string;
  message?: string;
  notes?: string[];
  startedAt?: string;
  samplesPerSec?: number;
  gpu?: boolean;
  sweep?: boolean;
  findings?: Finding[];
  /** A torchrun job: each rank's figures and the step-end spread, as profile --nproc-per-node writes them. */
  ranks?: SummaryRank[];
  stepEndSpreadMs?: number | null;
  figuresRank?: number | null;
}

export async function writeSyntheticRun(folder: string, o: SyntheticRunOptions = {}): Promise<RunSummary> {
  fs.mkdirSync(folder, { recursive: true });
  const n = o.steps ?? 200;
  const share = o.inputShare ?? 0.74;
  const stepMs = o.stepMs ?? 13.6;
  const script = o.script ?? '/work/project/train.py';
  const loaderFile = o.loaderFile ?? script;
  const startedAt = o.startedAt ?? '2026-11-20T10:00:00.000Z';
  const t0 = Date.parse(startedAt);
  const warmup = Math.min(10, Math.floor(n / 10));
  const control = Math.min(20, Math.floor(n / 10));

  const steps = new ArrowStreamFile<StepRow>(path.join(folder, STEPS_FILE), stepColumns);
  let t = t0 + 500;
  const batch: StepRow[] = [];
  for (let i = 0; i < n; i++) {
    const phase = i < warmup ? 'warmup' : i >= n - control ? 'control' : 'measured';
    // Deterministic wobble so the chart has texture and the tests have stable numbers.
    const wobble = 1 + 0.3 * Math.sin(i / 7) * Math.cos(i / 31);
    const s = stepMs * wobble;
    const w = phase === 'control' ? 0.05 : s * share;
    batch.push({ loader: 1, index: i, phase, t, stepMs: s, waitMs: w, samples: 32 });
    t += s;
    if (batch.length === 10_000) {
      steps.append(batch.splice(0));
      steps.flush();
    }
  }
  steps.append(batch);
  await steps.close();

  const cores = 4;
  const sys = new ArrowStreamFile<HostSample>(path.join(folder, SYSTEM_FILE), systemColumns(cores));
  const gpu = new ArrowStreamFile<GpuRow>(path.join(folder, GPU_FILE), gpuColumns);
  const seconds = Math.max(2, Math.ceil((t - t0) / 1000));
  for (let k = 0; k <= seconds * 5; k++) {
    const ts = t0 + k * 200;
    const busy = 30 + 20 * Math.sin(k / 5);
    sys.append([{ t: ts, cpuPct: busy + 40, groupCpuPct: busy, corePct: [busy, busy + 10, busy + 20, busy + 30], memUsedMiB: 4000 + k, memTotalMiB: 16000, diskReadMBps: k === 0 ? null : 20 + 10 * Math.cos(k / 3), diskWriteMBps: 1 }]);
    if (o.gpu !== false) gpu.append([{ t: ts, index: 0, utilizationPct: 10 + 5 * Math.sin(k / 4), memoryUsedMiB: 9000, memoryTotalMiB: 81559, source: 'nvml' }]);
  }
  await sys.close();
  await gpu.close();

  const loader: LoaderInfo & { fetches: number } = {
    id: 1, kind: 'torch', file: loaderFile, line: 15, column: 13, endLine: 15, endColumn: 69, num_workers: 0, batch_size: 32,
    pin_memory: false, persistent_workers: false, prefetch_factor: null, datasetType: o.datasetType ?? 'dataset.NpyImageDataset',
    datasetLength: 2048, role: 'train', batchSource: null, training: true, fetches: n,
  };
  const loaders = new ArrowStreamFile(path.join(folder, LOADERS_FILE), loaderColumns);
  loaders.append([loader]);
  await loaders.close();

  const sweepPoint = (num_workers: number, pin: boolean, pf: number | null, sps: number, current = false): SummarySweep => ({
    num_workers, pin_memory: pin, prefetch_factor: pf, persistent_workers: false, current,
    stepMs: { p50: 1000 / sps, p10: 950 / sps, p90: 1050 / sps }, windows: 6, steps: 60, trials: 2, rounds: 2,
    speedup: current ? null : { p50: sps / 50, p10: (sps * 0.95) / 52.5, p90: (sps * 1.05) / 47.5 },
    otherCpuPct: 5, processCpuPct: 40, wallMs: 8000, error: null,
  });
  const sweep = o.sweep === false ? undefined : [
    sweepPoint(0, false, null, 50, true), sweepPoint(2, false, 2, 110), sweepPoint(4, false, 2, 160), sweepPoint(8, true, 4, 196),
    sweepPoint(2, true, 4, 120), sweepPoint(4, true, 4, 170), sweepPoint(8, false, 2, 150),
  ];
  const range = { start: { line: 14, character: 13 }, end: { line: 14, character: 69 } };
  const summary: RunSummary = {
    schemaVersion: PROFILE_SCHEMA_VERSION,
    verdict: share >= 0.2 ? 'highly-input-bound' : share >= 0.05 ? 'moderately-input-bound' : 'not-input-bound',
    notes: o.notes ?? [],
    mode: sweep ? 'sweep' : 'quick',
    script, args: [], cwd: path.dirname(script),
    python: { path: '/usr/bin/python3', version: '3.11.2', torch: '2.4.0', cuda: o.gpu !== false },
    startedAt, durationMs: t - t0,
    ended: { how: sweep ? 'stopped-after-sweep' : 'stopped-after-quick', exitCode: 0, signal: null },
    inputShare: share, inputShareP90: Math.min(1, share * 1.1),
    stepTimeMs: { p50: stepMs, p90: stepMs * 1.3 }, dataWaitMs: { p50: stepMs * share, p90: stepMs * share * 1.3 },
    samplesPerSec: o.samplesPerSec ?? Math.round((32 * 1000) / stepMs),
    steps: n - warmup - control, warmupSteps: warmup,
    loaders: [{ ...loader }],
    gpu: o.gpu === false ? null : { source: 'nvml', name: 'NVIDIA H100 80GB HBM3', utilizationMedianPct: 10, memoryPeakMiB: 9000, memoryTotalMiB: 81559, torchPeakAllocatedMiB: 8000, samples: seconds * 5 },
    cpu: { cores, utilizationMeanPct: 70, processMeanPct: 30, otherMeanPct: 40, perCoreMeanPct: [30, 40, 50, 60], memoryUsedPeakMiB: 4100, memoryTotalMiB: 16000, samples: seconds * 5 },
    disk: { readMBps: 20, writeMBps: 1, samples: seconds * 5 },
    sweep,
    ...(sweep ? {
      sweepOutcome: {
        decision: 'faster' as const, recommended: { num_workers: 8, pin_memory: true, prefetch_factor: 4, persistent_workers: false },
        speedup: sweep[3]?.speedup ?? { p50: 1, p10: 1, p90: 1 }, rivals: [],
        sentence: 'Measured in trial runs: num_workers=8, prefetch_factor=4, pin_memory=True makes training steps 3.92x (3.55-4.33x) faster than the current num_workers=0, pin_memory=False.',
        budgetMs: 120000, spentMs: 90000, rounds: 3, stoppedBy: 'done' as const, otherCpuPct: 5, busy: false,
      },
    } : {}),
    computeOnlyStepMs: stepMs * (1 - share),
    findings: o.findings ?? [{
      code: 'LOAD001', severity: 'warning', origin: 'runtime', file: loaderFile, range, fixes: [], related: [],
      message: o.message ?? `Highly input-bound: ${Math.round(share * 100)}% of each training step waits for data.`,
      figures: { inputShare: share, stepMsP50: stepMs, dataWaitMsP50: stepMs * share, num_workers: 0, measuredSpeedup: 3.9 },
    }],
    ...(o.ranks !== undefined ? { ranks: o.ranks, stepEndSpreadMs: o.stepEndSpreadMs ?? null } : {}),
    ...(o.figuresRank !== undefined ? { figuresRank: o.figuresRank } : {}),
    folder,
    files: { summary: 'summary.json', steps: STEPS_FILE, system: SYSTEM_FILE, loaders: LOADERS_FILE, gpu: GPU_FILE },
  };
  writeSummary(folder, summary);
  return summary;
}

/**
 * A two-rank torchrun job whose rank 1 is a step-time straggler: the figures and the RUN014/RUN015 findings
 * that src/runner/rank-findings.ts gives for such ranks (rank 1's steps take 2x rank 0's; rank 0 waits at the
 * collective for it).
 */
export async function writeSyntheticTorchrunRun(folder: string, o: SyntheticRunOptions = {}): Promise<RunSummary> {
  const script = o.script ?? '/work/project/train_ddp.py';
  const range = { start: { line: 14, character: 13 }, end: { line: 14, character: 69 } };
  const rank = (r: number, stepMs: number, peerWaitMs: number): SummaryRank => ({
    rank: r, localRank: r, ended: 'stopped-after-quick', steps: 170, stepTimeMs: { p50: stepMs, p90: stepMs * 1.2 },
    dataWaitMs: { p50: 2, p90: 2.5 }, inputShare: 2 / stepMs, samplesPerSec: Math.round((32 * 1000) / stepMs), peerWaitMs,
    stepsFile: `steps-rank${r}.arrow`,
  });
  const runtime = (code: string, severity: 'warning' | 'info', message: string, figures: Record<string, number | string>): Finding => ({
    code, severity, origin: 'runtime', file: script, range, fixes: [], related: [], message, figures,
  });
  return writeSyntheticRun(folder, {
    inputShare: 0.05, stepMs: 40, sweep: false, ...o, script,
    ranks: [rank(0, 20, 19), rank(1, 40, 0)],
    stepEndSpreadMs: 19.5,
    // Rank 0 waits most for data (10% of its step against rank 1's 5%): the job's figures are its.
    figuresRank: 0,
    findings: [
      runtime('RUN014', 'warning', 'rank 1 is a straggler: its step time is 40.0 ms per step, 2x the median of the other ranks (20.0 ms); its steps hold the job back',
        { rank: 1, metric: 'step time', valueMs: 40, medianOthersMs: 20, factor: 2 }),
      runtime('RUN015', 'info', 'ranks wait on each other inside each step: rank 0 19.0 ms per step (median; 63% of a step for rank 0) beyond the quickest rank\'s compute, mostly waiting at the step\'s collective for rank 1',
        { rank: 0, waitMs: 19, waitedForRank: 1, stepMs: 30, stepEndSpreadMs: 19.5 }),
    ],
  });
}
