// Generated from profile-events.schema.json by scripts/profile-event-types.mjs (the build runs it):
// edit the schema, not this file. docs/profiling.md, "The harness event contract".

export type HarnessMode = 'quick' | 'full';
export const HARNESS_MODES: readonly HarnessMode[] = ['quick', 'full'];

export type StepPhase = 'warmup' | 'measured' | 'control' | 'extra';
export const STEP_PHASES: readonly StepPhase[] = ['warmup', 'measured', 'control', 'extra'];

/** Where a run's steps come from: a PyTorch DataLoader, Keras `fit`, or, in loops without a DataLoader, `optimizer.step()` (docs/profiling.md, "Loops without a DataLoader"). */
export type LoaderKind = 'torch' | 'keras' | 'optimizer';
export const LOADER_KINDS: readonly LoaderKind[] = ['torch', 'keras', 'optimizer'];

export type LoaderRole = 'train' | 'eval' | 'unknown';
export const LOADER_ROLES: readonly LoaderRole[] = ['train', 'eval', 'unknown'];

export type HarnessEndHow = 'completed' | 'stopped' | 'exception' | 'exit' | 'cancelled' | 'interrupted';
export const HARNESS_END_HOWS: readonly HarnessEndHow[] = ['completed', 'stopped', 'exception', 'exit', 'cancelled', 'interrupted'];

/** Where a process sits in a torchrun job, from the environment torchrun sets (RANK, LOCAL_RANK, WORLD_SIZE); null outside torchrun. Sent once, in hello: the orchestrator tags every later event of that rank's channel with it (docs/profiling.md, "torchrun jobs"). */
export type RankInfo = {
  rank: number;
  localRank: number;
  worldSize: number;
} | null;

/** The harness's first event: the interpreter and the run's settings. */
export interface HelloEvent {
  type: 'hello';
  /** The version of this contract; the harness reads it from this file. */
  schemaVersion: 1;
  pid: number;
  python: string;
  executable: string;
  /** torch's version, when the interpreter has torch. */
  torch: string | null;
  /** Why torch is unusable, when it is (import error text). */
  torchError: string | null;
  nvml: boolean;
  keras: boolean;
  cpuCount: number;
  mode: HarnessMode;
  warmup: number;
  steps: number;
  controlSteps: number;
  /** 0 means "synchronise only at the measured window's two ends" (see docs/profiling.md). */
  syncEvery: number;
  rank: RankInfo;
  t: number;
}

/** A loader the script created (a DataLoader, a Keras fit, or the optimizer steps of a loop without one); sent again when the harness learns more (the batch source). */
export interface LoaderEvent {
  type: 'loader';
  /** Harness-assigned, stable within a run; steps refer to it. */
  id: number;
  kind: LoaderKind;
  /** Absolute path of the user file that created the loader (first stack frame outside libraries); for kind 'optimizer', the call site of the batch source in the training loop, else the line that called the model. */
  file: string;
  /** 1-based, as Python reports it. */
  line: number;
  /** 0-based UTF-16-ish column of the call when Python knows it (3.11+), else 0; null with endLine and endColumn when the call's columns are unknown. */
  column: number | null;
  endLine: number | null;
  endColumn: number | null;
  num_workers: number | null;
  batch_size: number | null;
  pin_memory: boolean | null;
  persistent_workers: boolean | null;
  /** Sent only with workers (torch rejects it without). */
  prefetch_factor: number | null;
  datasetType: string | null;
  datasetLength: number | null;
  role: LoaderRole;
  /** Kind 'optimizer': the user function that produced the batch (e.g. "get_batch"), when found. */
  batchSource: string | null;
}

/** Sent once torch is imported by the script; CUDA is known only then. */
export interface DeviceEvent {
  type: 'device';
  torch: string | null;
  cuda: boolean;
  gpuName: string | null;
}

/** The harness decided which loader is the training loader (see docs/profiling.md). */
export interface TrainingLoaderEvent {
  type: 'training-loader';
  loader: number;
  t: number;
}

/** Batched so a run sends a few events a second, not one per step. The four lists have one entry per step (the decoder checks that their lengths agree, which JSON Schema cannot say). */
export interface StepsEvent {
  type: 'steps';
  loader: number;
  phase: StepPhase;
  /** Index of the first step in this batch, counted over the loader's whole run. */
  first: number;
  /** Epoch milliseconds at each step's start. */
  t: number[];
  stepMs: number[];
  waitMs: number[];
  /** Samples per step when the batch's length could be read, else null. */
  samples: (number | null)[];
}

export interface PhaseEvent {
  type: 'phase';
  phase: StepPhase;
  loader: number;
  t: number;
  /** Wall time of the completed window, bracketed by CUDA synchronisation when CUDA is in use; absent when the window was broken. */
  windowMs?: number;
  windowSteps?: number;
}

export interface GpuSample {
  t: number;
  index: number;
  utilizationPct: number;
  memoryUsedMiB: number;
  memoryTotalMiB: number;
}

export interface GpuEvent {
  type: 'gpu';
  source: 'nvml';
  samples: GpuSample[];
}

export interface CudaMemoryEvent {
  type: 'cuda-memory';
  peakAllocatedMiB: number;
  totalMiB: number;
  device: string;
}

/** The data-free control: the same steps on one cached batch (docs/profiling.md). */
export interface ControlEvent {
  type: 'control';
  loader: number;
  steps: number;
  computeOnlyStepMs: number;
  computeOnlyStepP90Ms: number;
}

export interface IoProbeEvent {
  type: 'io-probe';
  root: string;
  source: 'dataset' | 'user';
  files: number;
  totalBytes: number;
  /** Counts per size bucket, upper bounds in bytes (the last bucket, maxBytes null, is open). */
  sizeHistogram: {
    maxBytes: number | null;
    count: number;
  }[];
  medianFileBytes: number;
  formats: {
    ext: string;
    count: number;
  }[];
  sequentialMBps: number | null;
  smallFileReadsPerSec: number | null;
  /** True when the walk stopped at its file or time budget. */
  truncated: boolean;
  recommendSharding: boolean;
}

/** A tensor of the batch: where it sits (e.g. batch[0], batch["input_ids"]), its dtype and its shape in the first batch. */
export interface DataProbeLeaf {
  path: string;
  dtype: string;
  shape: number[];
}

export interface DataProbeEmptyBatch {
  check: 'empty-batch';
  batches: number;
}

export interface DataProbeNonFinite {
  check: 'non-finite';
  path: string;
  /** Values of this tensor over the probed batches. */
  values: number;
  nan: number;
  inf: number;
}

/** A float tensor whose values are all equal over the probed batches (no columns), or a [batch, features] tensor with columns that are. */
export interface DataProbeConstant {
  check: 'constant';
  path: string;
  values: number;
  columns?: number;
  constantColumns?: number;
  firstColumns?: number[];
}

export interface DataProbeClassMix {
  check: 'class-mix';
  path: string;
  labels: number;
  classesSeen: number;
  /** len(dataset.classes), when the dataset declares its classes. */
  classesDeclared?: number;
  majorityClass: number;
  majorityShare: number;
  skewed: boolean;
  missing: number;
  missingClasses: number[];
}

export interface DataProbeDuplicates {
  check: 'duplicates';
  samples: number;
  /** Samples whose every tensor equals an earlier probed sample's (docs/runtime-findings.md, RUN011, says how they are compared). */
  duplicates: number;
}

export interface DataProbeImageRange {
  check: 'image-range';
  path: string;
  min: number;
  max: number;
}

/** The data-quality probe over the training loader's first warm-up batches (docs/profiling.md, "Data-quality probe"): counts, shapes and value ranges only, never data. */
export interface DataProbeEvent {
  type: 'data-probe';
  loader: number;
  batches: number;
  samples: number;
  /** The loader draws in random order without replacement: only then is the class mix judged. */
  shuffled: boolean;
  /** True when the probe stopped at its time budget. */
  truncated: boolean;
  probeMs: number;
  leaves: DataProbeLeaf[];
  issues: (DataProbeEmptyBatch | DataProbeNonFinite | DataProbeConstant | DataProbeClassMix | DataProbeDuplicates | DataProbeImageRange)[];
}

export interface NoticeEvent {
  type: 'notice';
  level: 'info' | 'warning';
  message: string;
}

/** The exception that ended the user's script. */
export interface HarnessError {
  type: string;
  message: string;
  traceback: string;
}

/** The harness's last event. */
export interface EndEvent {
  type: 'end';
  how: HarnessEndHow;
  exitCode: number;
  error: HarnessError | null;
  t: number;
}

/** One NDJSON line from the Python harness to the orchestrator (fd 3). The one declaration of the harness event contract (docs/profiling.md, "The harness event contract"): the Node side validates every line against it and fills each `default`; the harness sends only what it measured and leaves a field out when it has no value for it. */
export type ProfileEvent =
  | HelloEvent
  | LoaderEvent
  | DeviceEvent
  | TrainingLoaderEvent
  | StepsEvent
  | PhaseEvent
  | GpuEvent
  | CudaMemoryEvent
  | ControlEvent
  | IoProbeEvent
  | DataProbeEvent
  | NoticeEvent
  | EndEvent;
