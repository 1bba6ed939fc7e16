// Column layouts of the run folder's Arrow files. About 40 bytes per step on disk (budget: 100).
import { Bool, Float32, Float64, Int32, Utf8 } from 'apache-arrow';
import type { GpuSample, LoaderInfo } from '../shared/profile';
import type { ColumnSpec } from './arrow-writer';
import type { HostSample } from './host-sampler';
import type { StepRow } from './run-state';

export const STEPS_FILE = 'steps.arrow';
export const SYSTEM_FILE = 'system.arrow';
export const GPU_FILE = 'gpu.arrow';
export const LOADERS_FILE = 'loaders.arrow';
export const SUMMARY_FILE = 'summary.json';

export const stepColumns: ColumnSpec<StepRow>[] = [
  { name: 'loader', type: new Int32(), value: (r) => r.loader },
  { name: 'index', type: new Int32(), value: (r) => r.index },
  { name: 'phase', type: new Utf8(), value: (r) => r.phase },
  { name: 't', type: new Float64(), value: (r) => r.t },
  { name: 'stepMs', type: new Float32(), value: (r) => r.stepMs },
  { name: 'waitMs', type: new Float32(), value: (r) => r.waitMs },
  { name: 'samples', type: new Int32(), nullable: true, value: (r) => r.samples },
];

export function systemColumns(cores: number): ColumnSpec<HostSample>[] {
  const perCore: ColumnSpec<HostSample>[] = Array.from({ length: cores }, (_, i) => ({
    name: `core${i}Pct`, type: new Float32(), nullable: true, value: (r: HostSample) => r.corePct[i] ?? null,
  }));
  return [
    { name: 't', type: new Float64(), value: (r) => r.t },
    { name: 'cpuPct', type: new Float32(), value: (r) => r.cpuPct },
    { name: 'groupCpuPct', type: new Float32(), nullable: true, value: (r) => r.groupCpuPct },
    ...perCore,
    { name: 'memUsedMiB', type: new Float32(), value: (r) => r.memUsedMiB },
    { name: 'memTotalMiB', type: new Float32(), value: (r) => r.memTotalMiB },
    { name: 'diskReadMBps', type: new Float32(), nullable: true, value: (r) => r.diskReadMBps },
    { name: 'diskWriteMBps', type: new Float32(), nullable: true, value: (r) => r.diskWriteMBps },
  ];
}

export type GpuRow = GpuSample & { source: string };

export const gpuColumns: ColumnSpec<GpuRow>[] = [
  { name: 't', type: new Float64(), value: (r) => r.t },
  { name: 'index', type: new Int32(), value: (r) => r.index },
  { name: 'utilizationPct', type: new Float32(), value: (r) => r.utilizationPct },
  { name: 'memoryUsedMiB', type: new Float32(), value: (r) => r.memoryUsedMiB },
  { name: 'memoryTotalMiB', type: new Float32(), value: (r) => r.memoryTotalMiB },
  { name: 'source', type: new Utf8(), value: (r) => r.source },
];

export const loaderColumns: ColumnSpec<LoaderInfo & { fetches: number }>[] = [
  { name: 'id', type: new Int32(), value: (r) => r.id },
  { name: 'kind', type: new Utf8(), value: (r) => r.kind },
  { name: 'file', type: new Utf8(), value: (r) => r.file },
  { name: 'line', type: new Int32(), value: (r) => r.line },
  { name: 'num_workers', type: new Int32(), nullable: true, value: (r) => r.num_workers },
  { name: 'batch_size', type: new Int32(), nullable: true, value: (r) => r.batch_size },
  { name: 'pin_memory', type: new Bool(), nullable: true, value: (r) => r.pin_memory },
  { name: 'persistent_workers', type: new Bool(), nullable: true, value: (r) => r.persistent_workers },
  { name: 'prefetch_factor', type: new Int32(), nullable: true, value: (r) => r.prefetch_factor },
  { name: 'datasetType', type: new Utf8(), nullable: true, value: (r) => r.datasetType },
  { name: 'datasetLength', type: new Int32(), nullable: true, value: (r) => r.datasetLength },
  { name: 'role', type: new Utf8(), value: (r) => r.role },
  { name: 'training', type: new Bool(), value: (r) => r.training },
  { name: 'fetches', type: new Int32(), value: (r) => r.fetches },
  { name: 'batchSource', type: new Utf8(), nullable: true, value: (r) => r.batchSource },
];
