// The two contracts of a profile run: the NDJSON events the Python harness streams to the orchestrator,
// and the run summary (`summary.json`, `pipeline-doctor profile --json`) that the CLI, the editor and the
// dashboard read. Both carry `schemaVersion` so an old summary or a harness from another build is
// recognised instead of misread. The events are declared in profile-events.schema.json (validated in
// src/runner/events.ts); the summary guard below validates its shape as far as consumers rely on it.
import { SEVERITIES, type Finding } from './findings';
import { LOADER_KINDS, LOADER_ROLES } from './profile-event-types';
import type { HelloEvent, IoProbeEvent, LoaderEvent, LoaderKind, LoaderRole } from './profile-event-types';

/** The summary's version; typed by the event schema's, so the two cannot drift apart. */
export const PROFILE_SCHEMA_VERSION: HelloEvent['schemaVersion'] = 1;

export type ProfileMode = 'quick' | 'full' | 'sweep';
export const PROFILE_MODES: readonly ProfileMode[] = ['quick', 'full', 'sweep'];

export type Verdict = 'highly-input-bound' | 'moderately-input-bound' | 'not-input-bound' | 'failed';
export const VERDICTS: readonly Verdict[] = ['highly-input-bound', 'moderately-input-bound', 'not-input-bound', 'failed'];

/** Verdict thresholds (docs/profiling.md, "Verdicts in words"), shared with TF Profiler's input-pipeline analyzer and the torch plugin. */
export const HIGHLY_INPUT_BOUND_SHARE = 0.2;
export const MODERATELY_INPUT_BOUND_SHARE = 0.05;

// ---------------------------------------------------------------------------------------------------
// Harness -> orchestrator events (one JSON object per line): declared once, in profile-events.schema.json
// (docs/profiling.md, "The harness event contract"); their types are generated from it.
// ---------------------------------------------------------------------------------------------------

export type {
  ControlEvent, CudaMemoryEvent, DataProbeEvent, DeviceEvent, EndEvent, GpuEvent, GpuSample, HarnessEndHow, HarnessError, HarnessMode,
  HelloEvent, IoProbeEvent, LoaderEvent, LoaderKind, LoaderRole, NoticeEvent, PhaseEvent, ProfileEvent, StepPhase,
  StepsEvent, TrainingLoaderEvent,
} from './profile-event-types';
export { LOADER_KINDS, STEP_PHASES } from './profile-event-types';

/** A loader as the runner keeps it: its event, and whether its steps define the verdict (decided on the Node side). */
export type LoaderInfo = Omit<LoaderEvent, 'type'> & { training: boolean };

export type IoProbe = Omit<IoProbeEvent, 'type'>;

/** What the summary keeps of the data-quality probe: its extent and cost; what it found are RUN008-RUN013 findings. */
export interface DataProbeSummary {
  loader: number;
  batches: number;
  samples: number;
  shuffled: boolean;
  truncated: boolean;
  probeMs: number;
  issues: number;
}

// ---------------------------------------------------------------------------------------------------
// Run summary
// ---------------------------------------------------------------------------------------------------

export type EndedHow =
  | 'completed'
  | 'stopped-after-quick'
  | 'stopped-after-sweep'
  | 'crashed'
  | 'exit-nonzero'
  | 'timeout'
  | 'cancelled'
  | 'signal'
  | 'spawn-failed';
export const ENDED_HOWS: readonly EndedHow[] = [
  'completed', 'stopped-after-quick', 'stopped-after-sweep', 'crashed', 'exit-nonzero', 'timeout', 'cancelled',
  'signal', 'spawn-failed',
];

export interface RunEnded {
  how: EndedHow;
  exitCode: number | null;
  signal: string | null;
}

export interface SummaryLoader {
  id: number;
  kind: LoaderKind;
  file: string;
  line: number;
  num_workers: number | null;
  batch_size: number | null;
  pin_memory: boolean | null;
  persistent_workers: boolean | null;
  prefetch_factor: number | null;
  datasetType: string | null;
  datasetLength: number | null;
  role: LoaderRole;
  training: boolean;
  /** Fetches observed on this loader. */
  fetches: number;
  batchSource?: string | null;
}

export interface SummaryGpu {
  source: 'nvml' | 'nvidia-smi';
  name: string | null;
  utilizationMedianPct: number;
  memoryPeakMiB: number;
  memoryTotalMiB: number;
  /** torch.cuda.max_memory_allocated, when CUDA was used. */
  torchPeakAllocatedMiB: number | null;
  samples: number;
}

export interface SummaryCpu {
  cores: number;
  /** Mean busy share over all cores during the measured window (0-100), whoever used them. */
  utilizationMeanPct: number;
  /** Share of all cores used by the run's own processes (script + DataLoader workers), Linux only. */
  processMeanPct: number | null;
  /** Share of all cores used by other processes meanwhile (all minus this run), Linux only: the noise. */
  otherMeanPct: number | null;
  perCoreMeanPct: number[];
  memoryUsedPeakMiB: number;
  memoryTotalMiB: number;
  samples: number;
}

export interface SummaryDisk {
  readMBps: number;
  writeMBps: number;
  samples: number;
}

/** The DataLoader settings the sweep varies (docs/profiling.md, "Sweep: trial runs"). */
export interface LoaderSetting {
  num_workers: number;
  pin_memory: boolean;
  /** null without workers (torch rejects it there). */
  prefetch_factor: number | null;
  persistent_workers: boolean;
}

/** Median and p10-p90 of a measured quantity. */
export interface Spread {
  p50: number;
  p10: number;
  p90: number;
}

/** One candidate setting of the sweep: trial runs of the real training step in fresh processes. */
export interface SummarySweep extends LoaderSetting {
  /** The setting the script already uses. */
  current: boolean;
  /** Step times (ms) of the measured steps of all its trials (the current setting's: and of the baseline run): median and p10-p90. */
  stepMs: Spread | null;
  /** Mean of those step times (ms): what the sweep ranks by and its speed-ups divide. Absent in older runs. */
  meanStepMs?: number | null;
  /** Measured windows: one per complete trial (and the baseline run, for the current setting). */
  windows: number;
  steps: number;
  /** Processes run with this setting: its trials, and for the current setting the baseline run as well. */
  trials: number;
  /** Successive-halving rounds this setting was measured in. */
  rounds: number;
  /**
   * Mean current step time / mean step time of this setting, as `compare` computes a re-run's speed-up
   * (src/shared/run-comparison.ts), with p10-p90 of that ratio over a two-level bootstrap of the trials.
   */
  speedup: Spread | null;
  /** CPU used by other processes (not this run's tree) while it ran, as a share of all cores (0-100). */
  otherCpuPct: number | null;
  /** CPU used by the trial's own processes (script + workers), as a share of all cores (0-100). */
  processCpuPct: number | null;
  /** Wall time of its trials, process start-up included. */
  wallMs: number;
  error: string | null;
}

/**
 * 'faster': a setting beats the current one beyond the noise (intervals do not overlap);
 * 'none-faster': nothing does; 'uncertain': a faster median whose interval overlaps the current one's.
 */
export type SweepDecision = 'faster' | 'none-faster' | 'uncertain';

export interface SweepOutcome {
  decision: SweepDecision;
  /** The recommended setting (never the current one); present exactly when decision is 'faster'. */
  recommended?: LoaderSetting;
  /** Measured speed-up of the recommended setting over the current one, with its interval (p10-p90 of the bootstrap). */
  speedup?: Spread;
  /**
   * Set when the budget could not cover the candidates: the budget (ms) the plan needed, from the start-up
   * and step cost measured in the first trial.
   */
  budgetNeededMs?: number;
  /** Settings within the noise of the recommended one: the ranking among them is uncertain. */
  rivals: LoaderSetting[];
  /** One sentence: what was found and why (used by the CLI, dashboard and findings). */
  sentence: string;
  budgetMs: number;
  spentMs: number;
  rounds: number;
  stoppedBy: 'done' | 'budget' | 'cancelled';
  /** Mean CPU share of other processes during the trials (0-100). */
  otherCpuPct: number | null;
  /** Other processes kept the machine busy: figures are noisy. */
  busy: boolean;
}

/**
 * The data-free control checked against the measured split of the same run (docs/profiling.md,
 * "Data-free control"). Compute alone cannot take longer than a measured step spends outside its data
 * wait; a control that does (by more than the noise) ran under other conditions and is not quoted.
 */
export interface ControlCheck {
  /** Median and p90 step time of the control (the first batch fed again). */
  computeOnlyStepMs: number;
  computeOnlyStepP90Ms: number;
  /** Median over measured steps of step time minus data wait. */
  computeFromSplitMs: number;
  /** How far the control may sit above computeFromSplitMs and still agree with it. */
  noiseMs: number;
  /** 1 / (1 - median input share): what the measured wait alone says loading costs. */
  boundFromSplit: number;
  /** Median measured step / control step. */
  boundFromControl: number;
  reliable: boolean;
  /** The upper bound to quote: max of the two when reliable, else the split's. */
  bound: number;
}

/** One rank of a torchrun job: its measured figures, kept whatever way the job ended. */
export interface SummaryRank {
  rank: number;
  localRank: number;
  /** How the rank's harness ended (its end event), or null when it sent none. */
  ended: string | null;
  steps: number;
  stepTimeMs: { p50: number; p90: number } | null;
  dataWaitMs: { p50: number; p90: number } | null;
  inputShare: number | null;
  samplesPerSec: number | null;
  /** Median per step of its step minus data wait beyond the quickest rank's: time spent waiting on the others. */
  peerWaitMs: number | null;
  /**
   * Median utilisation (%) of the rank's own GPU (NVML index = its local rank, torchrun's convention) over its
   * measured steps; null when the rank sampled no GPU (a CPU job, no pynvml). Absent in older run folders.
   */
  gpuUtilizationPct?: number | null;
  /** The rank's own step events, relative to the run folder. */
  stepsFile: string;
}

export interface RunSummary {
  schemaVersion: number;
  verdict: Verdict;
  /** Why the run failed; present exactly when verdict is 'failed'. */
  error?: string;
  /** Short notes a user should see (e.g. "no GPU: GPU figures omitted"). */
  notes: string[];
  mode: ProfileMode;
  script: string;
  /** The script was run as a module (`python -m script`): `script` is the module's name. Absent: a file. */
  module?: boolean;
  args: string[];
  cwd: string;
  python: { path: string; version: string | null; torch: string | null; cuda: boolean };
  startedAt: string;
  durationMs: number;
  ended: RunEnded;
  /** Median over measured steps of data wait / step time (0-1); null when no step was measured. */
  inputShare: number | null;
  inputShareP90: number | null;
  stepTimeMs: { p50: number; p90: number } | null;
  dataWaitMs: { p50: number; p90: number } | null;
  samplesPerSec: number | null;
  /** Measured steps of the training loader. */
  steps: number;
  warmupSteps: number;
  loaders: SummaryLoader[];
  gpu: SummaryGpu | null;
  cpu: SummaryCpu | null;
  disk: SummaryDisk | null;
  sweep?: SummarySweep[];
  sweepOutcome?: SweepOutcome;
  computeOnlyStepMs?: number;
  controlCheck?: ControlCheck;
  ioProbe?: IoProbe;
  dataProbe?: DataProbeSummary;
  findings: Finding[];
  /** torchrun jobs only: each rank's figures, rank order (docs/profiling.md, "torchrun jobs"). */
  ranks?: SummaryRank[];
  /**
   * torchrun jobs only: the rank whose verdict and step figures the summary's top level holds (the rank that
   * crashed first, else the one that waits most for data); null when no rank reported.
   */
  figuresRank?: number | null;
  /** torchrun jobs only: median over measured steps of the spread of the ranks' step-end times. */
  stepEndSpreadMs?: number | null;
  /** Absolute path of the run folder this summary was written to. */
  folder: string;
  /** Files of the run folder, relative to it. */
  files: { summary: string; steps: string | null; system: string | null; loaders: string | null; gpu: string | null };
}

// ---------------------------------------------------------------------------------------------------
// Guards
// ---------------------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
function isStr(x: unknown): x is string {
  return typeof x === 'string';
}
function oneOf<T extends string>(values: readonly T[], x: unknown): x is T {
  return typeof x === 'string' && (values as readonly string[]).includes(x);
}

// What the dashboard and the exported report need of a summary, checked once when it is read, so a
// damaged or hand-edited summary.json is rejected with the field named (`disk: expected null or an
// object, found []`) instead of becoming a page that cannot render or shows `Infinity%`. JSON.parse
// turns `1e999` into Infinity, so every number is checked for finiteness.

class SummaryProblem extends Error {}

function show(x: unknown): string {
  if (x === undefined) return 'nothing';
  if (typeof x === 'number') return String(x);
  const text = JSON.stringify(x);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
function bad(at: string, what: string): never {
  throw new SummaryProblem(`${at}: ${what}`);
}
function obj(x: unknown, at: string): Obj {
  return isObj(x) ? x : bad(at, `expected an object, found ${show(x)}`);
}
function arr(x: unknown, at: string): unknown[] {
  return Array.isArray(x) ? x : bad(at, `expected a list, found ${show(x)}`);
}
function str(x: unknown, at: string): string {
  return isStr(x) ? x : bad(at, `expected a string, found ${show(x)}`);
}
function bool(x: unknown, at: string): boolean {
  return typeof x === 'boolean' ? x : bad(at, `expected true or false, found ${show(x)}`);
}
function enumOf<T extends string>(values: readonly T[], x: unknown, at: string): T {
  return oneOf(values, x) ? x : bad(at, `${show(x)} is not one of ${values.join(', ')}`);
}
interface NumRange {
  min?: number;
  max?: number;
  int?: boolean;
}
/** A count of things: a whole number, not negative. */
const COUNT: NumRange = { min: 0, int: true };
/** A duration, rate, size or percentage: not negative. */
const AMOUNT: NumRange = { min: 0 };
/** A share of the step (0-1). */
const SHARE: NumRange = { min: 0, max: 1 };
function num(x: unknown, at: string, range: NumRange = {}): number {
  if (typeof x !== 'number') bad(at, `expected a number, found ${show(x)}`);
  if (!Number.isFinite(x)) bad(at, `${x} is not a finite number`);
  if (range.int && !Number.isInteger(x)) bad(at, `${x} is not a whole number`);
  if (range.min !== undefined && x < range.min) bad(at, `${x} is below ${range.min}`);
  if (range.max !== undefined && x > range.max) bad(at, `${x} is above ${range.max}`);
  return x;
}
function orNull<T>(check: (x: unknown, at: string) => T): (x: unknown, at: string) => T | null {
  return (x, at) => (x === null ? null : check(x, at));
}
const numOrNull = (range: NumRange) => orNull((x, at) => num(x, at, range));
const strOrNull = orNull(str);
const boolOrNull = orNull(bool);
function each(x: unknown, at: string, check: (item: unknown, at: string) => void): void {
  arr(x, at).forEach((item, i) => check(item, `${at}[${i}]`));
}

function checkRank(x: unknown, at: string): void {
  const r = obj(x, at);
  num(r.rank, `${at}.rank`, COUNT);
  num(r.localRank, `${at}.localRank`, COUNT);
  strOrNull(r.ended, `${at}.ended`);
  num(r.steps, `${at}.steps`, COUNT);
  for (const key of ['stepTimeMs', 'dataWaitMs'] as const) {
    orNull((v, q) => {
      num(obj(v, q).p50, `${q}.p50`, AMOUNT);
      num(obj(v, q).p90, `${q}.p90`, AMOUNT);
    })(r[key], `${at}.${key}`);
  }
  numOrNull(SHARE)(r.inputShare, `${at}.inputShare`);
  numOrNull(AMOUNT)(r.samplesPerSec, `${at}.samplesPerSec`);
  numOrNull(AMOUNT)(r.peerWaitMs, `${at}.peerWaitMs`);
  if (r.gpuUtilizationPct !== undefined) numOrNull(AMOUNT)(r.gpuUtilizationPct, `${at}.gpuUtilizationPct`);
  str(r.stepsFile, `${at}.stepsFile`);
}

function checkPosition(x: unknown, at: string): void {
  const o = obj(x, at);
  num(o.line, `${at}.line`, COUNT);
  num(o.character, `${at}.character`, COUNT);
}

function checkRange(x: unknown, at: string): void {
  const o = obj(x, at);
  checkPosition(o.start, `${at}.start`);
  checkPosition(o.end, `${at}.end`);
}

function checkFinding(x: unknown, at: string): void {
  const f = obj(x, at);
  str(f.code, `${at}.code`);
  enumOf(SEVERITIES, f.severity, `${at}.severity`);
  str(f.message, `${at}.message`);
  str(f.file, `${at}.file`);
  checkRange(f.range, `${at}.range`);
  enumOf(['static', 'runtime'] as const, f.origin, `${at}.origin`);
  each(f.fixes, `${at}.fixes`, (fix, p) => {
    const o = obj(fix, p);
    str(o.title, `${p}.title`);
    bool(o.safe, `${p}.safe`);
    each(o.edits, `${p}.edits`, (e, q) => {
      checkRange(obj(e, q).range, `${q}.range`);
      str(obj(e, q).newText, `${q}.newText`);
    });
  });
  each(f.related, `${at}.related`, (r, p) => {
    checkRange(obj(r, p).range, `${p}.range`);
    str(obj(r, p).message, `${p}.message`);
  });
  if (f.cell !== undefined) num(f.cell, `${at}.cell`, COUNT);
  if (f.figures !== undefined) {
    for (const [k, v] of Object.entries(obj(f.figures, `${at}.figures`))) if (!isStr(v)) num(v, `${at}.figures.${k}`);
  }
}

function checkLoader(x: unknown, at: string): void {
  const l = obj(x, at);
  num(l.id, `${at}.id`, { int: true });
  enumOf(LOADER_KINDS, l.kind, `${at}.kind`);
  str(l.file, `${at}.file`);
  num(l.line, `${at}.line`, COUNT);
  numOrNull(COUNT)(l.num_workers, `${at}.num_workers`);
  numOrNull(COUNT)(l.batch_size, `${at}.batch_size`);
  boolOrNull(l.pin_memory, `${at}.pin_memory`);
  boolOrNull(l.persistent_workers, `${at}.persistent_workers`);
  numOrNull(COUNT)(l.prefetch_factor, `${at}.prefetch_factor`);
  strOrNull(l.datasetType, `${at}.datasetType`);
  numOrNull(COUNT)(l.datasetLength, `${at}.datasetLength`);
  enumOf(LOADER_ROLES, l.role, `${at}.role`);
  bool(l.training, `${at}.training`);
  num(l.fetches, `${at}.fetches`, COUNT);
}

function checkSpread(x: unknown, at: string): void {
  const o = obj(x, at);
  for (const k of ['p50', 'p10', 'p90'] as const) num(o[k], `${at}.${k}`, AMOUNT);
}

function checkSetting(x: unknown, at: string): Obj {
  const p = obj(x, at);
  num(p.num_workers, `${at}.num_workers`, COUNT);
  bool(p.pin_memory, `${at}.pin_memory`);
  numOrNull(COUNT)(p.prefetch_factor, `${at}.prefetch_factor`);
  bool(p.persistent_workers, `${at}.persistent_workers`);
  return p;
}

function checkSweepTrial(x: unknown, at: string): void {
  const p = checkSetting(x, at);
  bool(p.current, `${at}.current`);
  orNull(checkSpread)(p.stepMs, `${at}.stepMs`);
  orNull(checkSpread)(p.speedup, `${at}.speedup`);
  if (p.meanStepMs !== undefined) numOrNull(AMOUNT)(p.meanStepMs, `${at}.meanStepMs`);
  for (const k of ['windows', 'steps', 'trials', 'rounds'] as const) num(p[k], `${at}.${k}`, COUNT);
  numOrNull(AMOUNT)(p.otherCpuPct, `${at}.otherCpuPct`);
  numOrNull(AMOUNT)(p.processCpuPct, `${at}.processCpuPct`);
  num(p.wallMs, `${at}.wallMs`, AMOUNT);
  strOrNull(p.error, `${at}.error`);
}

function checkSweepOutcome(x: unknown, at: string): void {
  const o = obj(x, at);
  const decision = enumOf(['faster', 'none-faster', 'uncertain'] as const, o.decision, `${at}.decision`);
  if (decision === 'faster' || o.recommended !== undefined) checkSetting(o.recommended, `${at}.recommended`);
  if (decision === 'faster' || o.speedup !== undefined) checkSpread(o.speedup, `${at}.speedup`);
  each(o.rivals, `${at}.rivals`, checkSetting);
  str(o.sentence, `${at}.sentence`);
  num(o.budgetMs, `${at}.budgetMs`, AMOUNT);
  num(o.spentMs, `${at}.spentMs`, AMOUNT);
  num(o.rounds, `${at}.rounds`, COUNT);
  enumOf(['done', 'budget', 'cancelled'] as const, o.stoppedBy, `${at}.stoppedBy`);
  if (o.budgetNeededMs !== undefined) num(o.budgetNeededMs, `${at}.budgetNeededMs`, AMOUNT);
  numOrNull(AMOUNT)(o.otherCpuPct, `${at}.otherCpuPct`);
  bool(o.busy, `${at}.busy`);
}

function checkIoProbe(x: unknown, at: string): void {
  const p = obj(x, at);
  str(p.root, `${at}.root`);
  enumOf(['dataset', 'user'] as const, p.source, `${at}.source`);
  num(p.files, `${at}.files`, COUNT);
  num(p.totalBytes, `${at}.totalBytes`, COUNT);
  each(p.sizeHistogram, `${at}.sizeHistogram`, (b, q) => {
    numOrNull(COUNT)(obj(b, q).maxBytes, `${q}.maxBytes`);
    num(obj(b, q).count, `${q}.count`, COUNT);
  });
  num(p.medianFileBytes, `${at}.medianFileBytes`, AMOUNT);
  each(p.formats, `${at}.formats`, (f, q) => {
    str(obj(f, q).ext, `${q}.ext`);
    num(obj(f, q).count, `${q}.count`, COUNT);
  });
  numOrNull(AMOUNT)(p.sequentialMBps, `${at}.sequentialMBps`);
  numOrNull(AMOUNT)(p.smallFileReadsPerSec, `${at}.smallFileReadsPerSec`);
  bool(p.truncated, `${at}.truncated`);
  bool(p.recommendSharding, `${at}.recommendSharding`);
}

function checkDataProbe(x: unknown, at: string): void {
  const p = obj(x, at);
  for (const key of ['loader', 'batches', 'samples', 'issues'] as const) num(p[key], `${at}.${key}`, COUNT);
  bool(p.shuffled, `${at}.shuffled`);
  bool(p.truncated, `${at}.truncated`);
  num(p.probeMs, `${at}.probeMs`, AMOUNT);
}

function checkSummary(x: Obj): void {
  if (enumOf(VERDICTS, x.verdict, 'verdict') === 'failed') str(x.error, 'error');
  else if (x.error !== undefined) str(x.error, 'error');
  each(x.notes, 'notes', str);
  enumOf(PROFILE_MODES, x.mode, 'mode');
  str(x.script, 'script');
  if (x.module !== undefined) bool(x.module, 'module');
  if (x.figuresRank !== undefined) numOrNull(COUNT)(x.figuresRank, 'figuresRank');
  each(x.args, 'args', str);
  str(x.cwd, 'cwd');
  const py = obj(x.python, 'python');
  str(py.path, 'python.path');
  strOrNull(py.version, 'python.version');
  strOrNull(py.torch, 'python.torch');
  bool(py.cuda, 'python.cuda');
  if (!Number.isFinite(Date.parse(str(x.startedAt, 'startedAt')))) bad('startedAt', `${show(x.startedAt)} is not a date`);
  num(x.durationMs, 'durationMs', AMOUNT);
  const ended = obj(x.ended, 'ended');
  enumOf(ENDED_HOWS, ended.how, 'ended.how');
  numOrNull({ int: true })(ended.exitCode, 'ended.exitCode');
  strOrNull(ended.signal, 'ended.signal');
  numOrNull(SHARE)(x.inputShare, 'inputShare');
  numOrNull(SHARE)(x.inputShareP90, 'inputShareP90');
  for (const key of ['stepTimeMs', 'dataWaitMs'] as const) {
    orNull((v, at) => {
      num(obj(v, at).p50, `${at}.p50`, AMOUNT);
      num(obj(v, at).p90, `${at}.p90`, AMOUNT);
    })(x[key], key);
  }
  numOrNull(AMOUNT)(x.samplesPerSec, 'samplesPerSec');
  num(x.steps, 'steps', COUNT);
  num(x.warmupSteps, 'warmupSteps', COUNT);
  each(x.loaders, 'loaders', checkLoader);
  orNull((v, at) => {
    const g = obj(v, at);
    enumOf(['nvml', 'nvidia-smi'] as const, g.source, `${at}.source`);
    strOrNull(g.name, `${at}.name`);
    num(g.utilizationMedianPct, `${at}.utilizationMedianPct`, AMOUNT);
    num(g.memoryPeakMiB, `${at}.memoryPeakMiB`, AMOUNT);
    num(g.memoryTotalMiB, `${at}.memoryTotalMiB`, AMOUNT);
    numOrNull(AMOUNT)(g.torchPeakAllocatedMiB, `${at}.torchPeakAllocatedMiB`);
    num(g.samples, `${at}.samples`, COUNT);
  })(x.gpu, 'gpu');
  orNull((v, at) => {
    const c = obj(v, at);
    num(c.cores, `${at}.cores`, COUNT);
    num(c.utilizationMeanPct, `${at}.utilizationMeanPct`, AMOUNT);
    numOrNull(AMOUNT)(c.processMeanPct, `${at}.processMeanPct`);
    numOrNull(AMOUNT)(c.otherMeanPct, `${at}.otherMeanPct`);
    each(c.perCoreMeanPct, `${at}.perCoreMeanPct`, (n, q) => num(n, q, AMOUNT));
    num(c.memoryUsedPeakMiB, `${at}.memoryUsedPeakMiB`, AMOUNT);
    num(c.memoryTotalMiB, `${at}.memoryTotalMiB`, AMOUNT);
    num(c.samples, `${at}.samples`, COUNT);
  })(x.cpu, 'cpu');
  orNull((v, at) => {
    const d = obj(v, at);
    num(d.readMBps, `${at}.readMBps`, AMOUNT);
    num(d.writeMBps, `${at}.writeMBps`, AMOUNT);
    num(d.samples, `${at}.samples`, COUNT);
  })(x.disk, 'disk');
  if (x.sweep !== undefined) each(x.sweep, 'sweep', checkSweepTrial);
  if (x.sweepOutcome !== undefined) checkSweepOutcome(x.sweepOutcome, 'sweepOutcome');
  if (x.computeOnlyStepMs !== undefined) num(x.computeOnlyStepMs, 'computeOnlyStepMs', AMOUNT);
  if (x.ioProbe !== undefined) checkIoProbe(x.ioProbe, 'ioProbe');
  if (x.dataProbe !== undefined) checkDataProbe(x.dataProbe, 'dataProbe');
  each(x.findings, 'findings', checkFinding);
  if (x.ranks !== undefined) each(x.ranks, 'ranks', checkRank);
  if (x.stepEndSpreadMs !== undefined) numOrNull(AMOUNT)(x.stepEndSpreadMs, 'stepEndSpreadMs');
  str(x.folder, 'folder');
  const files = obj(x.files, 'files');
  str(files.summary, 'files.summary');
  for (const key of ['steps', 'system', 'loaders', 'gpu'] as const) strOrNull(files[key], `files.${key}`);
}

/**
 * Validates a parsed `summary.json` against what the dashboard and the report render; reports the first
 * problem, naming the field, so a stale, foreign or damaged file is explained.
 */
export function validateRunSummary(x: unknown): { ok: true; summary: RunSummary } | { ok: false; problem: string } {
  if (!isObj(x)) return { ok: false, problem: 'not a JSON object' };
  if (x.schemaVersion !== PROFILE_SCHEMA_VERSION) {
    return { ok: false, problem: `schemaVersion ${String(x.schemaVersion)} (this build reads ${PROFILE_SCHEMA_VERSION})` };
  }
  try {
    checkSummary(x);
  } catch (e) {
    if (e instanceof SummaryProblem) return { ok: false, problem: e.message };
    throw e;
  }
  return { ok: true, summary: x as unknown as RunSummary };
}

export function isRunSummary(x: unknown): x is RunSummary {
  return validateRunSummary(x).ok;
}

export function verdictForInputShare(share: number): Exclude<Verdict, 'failed'> {
  if (share >= HIGHLY_INPUT_BOUND_SHARE) return 'highly-input-bound';
  if (share >= MODERATELY_INPUT_BOUND_SHARE) return 'moderately-input-bound';
  return 'not-input-bound';
}
