// The verify loop's arithmetic (docs/profiling.md, "Comparing two runs"): two runs of the same script,
// before and after a change, turned into the measured speed-up with its interval, the loader settings
// that changed, whether the verdict changed, and whether the machine was equally loaded. Pure: the CLI
// (`profile --compare-with`, `compare`) and the dashboard read the run folders and call this.
import type { ProfileMode, RunSummary, Spread, SummaryLoader, Verdict } from './profile';
import { speedupText, verdictSentence } from './verdict-text';
import { seededRandom } from './seeded-random';

/** One run as the comparison needs it: its summary and the training loader's measured steps, in order. */
export interface MeasuredRun {
  summary: RunSummary;
  stepMs: readonly number[];
  waitMs: readonly number[];
  /** Samples per step, null where the batch's length was unknown; lets runs with other batch sizes compare per sample. */
  samples?: readonly (number | null)[];
}

export interface ComparedSide {
  script: string;
  startedAt: string;
  mode: ProfileMode;
  verdict: Verdict;
  /** verdictSentence of the run. */
  verdictText: string;
  steps: number;
  /** Step time of the measured steps (ms): median and p10-p90. */
  stepMs: Spread | null;
  /** Data wait of the measured steps (ms): median and p10-p90. */
  waitMs: Spread | null;
  inputShare: number | null;
  /** Mean CPU share (0-100) of processes outside the run during its measured steps; null where not recorded. */
  otherCpuPct: number | null;
}

/** One setting that differs between the two runs, e.g. { setting: 'num_workers', before: '0', after: '2' }. */
export interface ConfigChange {
  setting: string;
  before: string;
  after: string;
}

export const SPEEDUP_INTERVAL_LEVEL = 0.9;

/**
 * The speed-up of "after" over "before": mean before / mean after (of step time, or of time per sample
 * when the batch size changed), i.e. the throughput ratio, with a 90% percentile interval from a
 * moving-block bootstrap of each run's measured steps. The mean, not the median: with workers, batches
 * arrive in rounds and step times split into a fast and a slow mode, where the median sits in either one;
 * the mean is the time training takes. The interval covers step-to-step noise inside the two runs, not a
 * change of the machine's load between them: that is what `loadWarning` is for.
 */
export interface SpeedupEstimate {
  basis: 'step time' | 'time per sample';
  /** The measured ratio (mean before / mean after). */
  p50: number;
  low: number;
  high: number;
  level: number;
  /** Mean step time (or time per sample) of each run, ms. */
  meanBefore: number;
  meanAfter: number;
  resamples: number;
  /** Consecutive steps resampled together (worker batches arrive in rounds, so steps are not independent). */
  blockLength: number;
}

/** 'faster' / 'slower': the whole interval is above / below 1; 'unclear': it contains 1. */
export type ComparisonDecision = 'faster' | 'slower' | 'unclear' | 'not-comparable';

export interface RunComparison {
  before: ComparedSide;
  after: ComparedSide;
  speedup: SpeedupEstimate | null;
  decision: ComparisonDecision;
  /** Training-loader settings (and how the script was run) that differ; empty when nothing recorded changed. */
  configChanges: ConfigChange[];
  verdictChanged: boolean;
  /** Set when the two runs ran under different load from other processes (or either under heavy load). */
  loadWarning: string | null;
  /** One sentence: what changed, by how much, how sure. */
  sentence: string;
  /** How the interval was computed, in words (printed under the figures). */
  method: string;
}

/** Other processes using this share of all cores make a run's figures noisy (the runner's BUSY_OTHER_CPU_PCT). */
export const BUSY_OTHER_CPU_PCT = 25;
/** Runs whose other-process load differs by this many points of all cores did not run under the same conditions. */
export const LOAD_DIFFERENCE_PCT = 15;
/** Fewer measured steps than this on either side: no interval is quoted. */
export const MIN_STEPS_TO_COMPARE = 5;
const RESAMPLES = 2000;
/** Resampling cost is resamples x steps; long `full` runs get fewer resamples, never under 200. */
const RESAMPLE_WORK = 50_000_000;

// ---------------------------------------------------------------------------------------------------
// Order statistics (nearest-rank percentiles as in the run summary; interpolated median)
// ---------------------------------------------------------------------------------------------------

function sortedCopy(values: readonly number[]): Float64Array {
  const a = Float64Array.from(values);
  a.sort();
  return a;
}

function nearestRank(sorted: Float64Array, p: number): number {
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? NaN;
}

function medianOfSorted(sorted: Float64Array): number {
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function spreadOf(values: readonly number[]): Spread | null {
  if (values.length === 0) return null;
  const s = sortedCopy(values);
  return { p50: round(medianOfSorted(s)), p10: round(nearestRank(s, 10)), p90: round(nearestRank(s, 90)) };
}

function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

// ---------------------------------------------------------------------------------------------------
// Moving-block bootstrap of the ratio of means
// ---------------------------------------------------------------------------------------------------

/** Block length n^(1/3), the usual choice for a moving-block bootstrap of a mean. */
export function blockLength(n: number): number {
  return Math.max(1, Math.min(n, Math.ceil(Math.cbrt(n))));
}

function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

function resampledMean(values: readonly number[], block: number, random: () => number): number {
  const n = values.length;
  const starts = n - block + 1;
  let k = 0;
  let sum = 0;
  while (k < n) {
    const start = Math.floor(random() * starts);
    for (let j = 0; j < block && k < n; j++, k++) sum += values[start + j];
  }
  return sum / n;
}

/** Mean of `before` / mean of `after`, and its percentile interval over block-bootstrap resamples. */
export function bootstrapSpeedup(before: readonly number[], after: readonly number[], seed = 1): Omit<SpeedupEstimate, 'basis'> | null {
  return bootstrapSpeedupOfRuns([before], [after], { seed });
}

/**
 * The same estimate when each side was measured in several runs (the sweep's trial processes,
 * docs/profiling.md "Sweep: trial runs"): the ratio of the means of all their steps, and an interval from
 * a two-level bootstrap, runs resampled with replacement and each drawn run's steps block-resampled, so
 * the variation between processes is in the interval too. With one run on each side it is exactly
 * `bootstrapSpeedup` (same draws), so a sweep's prediction and a re-run's comparison are one estimator.
 */
export function bootstrapSpeedupOfRuns(
  before: readonly (readonly number[])[], after: readonly (readonly number[])[], o: { seed?: number; level?: number } = {},
): Omit<SpeedupEstimate, 'basis'> | null {
  const b = before.filter((r) => r.length > 0);
  const a = after.filter((r) => r.length > 0);
  const nb = b.reduce((n, r) => n + r.length, 0);
  const na = a.reduce((n, r) => n + r.length, 0);
  if (nb < MIN_STEPS_TO_COMPARE || na < MIN_STEPS_TO_COMPARE) return null;
  const mb = mean(b.flat());
  const ma = mean(a.flat());
  if (!(mb > 0) || !(ma > 0)) return null;
  const level = o.level ?? SPEEDUP_INTERVAL_LEVEL;
  const resamples = Math.max(200, Math.min(RESAMPLES, Math.floor(RESAMPLE_WORK / (nb + na))));
  const random = seededRandom(o.seed ?? 1);
  const blocks = (runs: readonly (readonly number[])[]): number[] => runs.map((r) => blockLength(r.length));
  const lb = blocks(b);
  const la = blocks(a);
  const ratios = new Float64Array(resamples);
  for (let i = 0; i < resamples; i++) ratios[i] = resampledMeanOfRuns(b, lb, random) / resampledMeanOfRuns(a, la, random);
  ratios.sort();
  const tail = ((1 - level) / 2) * 100;
  return {
    p50: round(mb / ma),
    meanBefore: round(mb),
    meanAfter: round(ma),
    low: round(nearestRank(ratios, tail)),
    high: round(nearestRank(ratios, 100 - tail)),
    level,
    resamples,
    blockLength: Math.max(...lb, ...la),
  };
}

/** One run: its block-resampled mean. Several: as many runs drawn with replacement, each block-resampled. */
function resampledMeanOfRuns(runs: readonly (readonly number[])[], blocks: readonly number[], random: () => number): number {
  if (runs.length === 1) return resampledMean(runs[0] ?? [], blocks[0] ?? 1, random);
  let sum = 0;
  let n = 0;
  for (let k = 0; k < runs.length; k++) {
    const j = Math.floor(random() * runs.length);
    const run = runs[j] ?? [];
    sum += resampledMean(run, blocks[j] ?? 1, random) * run.length;
    n += run.length;
  }
  return sum / n;
}

// ---------------------------------------------------------------------------------------------------
// Config diff, load, verdict
// ---------------------------------------------------------------------------------------------------

function trainingLoader(s: RunSummary): SummaryLoader | undefined {
  return s.loaders.find((l) => l.training);
}

/** As the DataLoader's attribute reads in Python (the harness records None as null). */
function pyValue(x: number | boolean | string | null | undefined): string {
  if (x === null || x === undefined) return 'None';
  if (typeof x === 'boolean') return x ? 'True' : 'False';
  return String(x);
}

const LOADER_SETTINGS = ['num_workers', 'batch_size', 'pin_memory', 'persistent_workers', 'prefetch_factor'] as const;

/** What differs between the runs' training loaders (as the harness recorded them) and how the script was run. */
export function configChanges(before: RunSummary, after: RunSummary): ConfigChange[] {
  const changes: ConfigChange[] = [];
  const add = (setting: string, a: string, b: string): void => {
    if (a !== b) changes.push({ setting, before: a, after: b });
  };
  const lb = trainingLoader(before);
  const la = trainingLoader(after);
  if (lb && la) {
    for (const key of LOADER_SETTINGS) add(key, pyValue(lb[key]), pyValue(la[key]));
  } else if (lb || la) {
    add('training loader', lb ? describeLoader(lb) : 'none', la ? describeLoader(la) : 'none');
  }
  add('script', before.script, after.script);
  add('arguments', before.args.join(' ') || '(none)', after.args.join(' ') || '(none)');
  add('interpreter', before.python.path, after.python.path);
  add('working directory', before.cwd, after.cwd);
  add('mode', before.mode, after.mode);
  return changes;
}

function describeLoader(l: SummaryLoader): string {
  return l.kind === 'optimizer' ? `${l.batchSource ?? 'optimizer.step()'} (no DataLoader)` : `DataLoader, num_workers=${pyValue(l.num_workers)}`;
}

export function configChangeText(c: ConfigChange): string {
  return `${c.setting} ${c.before} \u2192 ${c.after}`;
}

function loadWarning(before: ComparedSide, after: ComparedSide): string | null {
  const a = before.otherCpuPct;
  const b = after.otherCpuPct;
  if (a === null || b === null) return null;
  const pct = (x: number): string => `${Math.round(x)}%`;
  const loads = `other processes used ${pct(a)} of the CPU during the first run and ${pct(b)} during the second`;
  if (Math.abs(a - b) >= LOAD_DIFFERENCE_PCT) return `The runs ran under different machine load: ${loads}; part of the difference may be that load, not the change.`;
  if (Math.max(a, b) >= BUSY_OTHER_CPU_PCT) return `The machine was busy: ${loads}; the figures are noisy.`;
  return null;
}

function side(run: MeasuredRun): ComparedSide {
  const s = run.summary;
  return {
    script: s.script,
    startedAt: s.startedAt,
    mode: s.mode,
    verdict: s.verdict,
    verdictText: verdictSentence(s),
    steps: run.stepMs.length,
    stepMs: spreadOf(run.stepMs),
    waitMs: spreadOf(run.waitMs),
    inputShare: s.inputShare,
    otherCpuPct: s.cpu?.otherMeanPct ?? null,
  };
}

/** Time per sample of each step, or null when a step's sample count is unknown. */
function perSample(run: MeasuredRun): number[] | null {
  const samples = run.samples;
  if (!samples || samples.length !== run.stepMs.length) return null;
  const out: number[] = [];
  for (let i = 0; i < samples.length; i++) {
    const n = samples[i];
    if (n === null || n === undefined || !(n > 0)) return null;
    out.push(run.stepMs[i] / n);
  }
  return out;
}

export const COMPARISON_METHOD =
  `speed-up = mean step time before / mean step time after (the throughput ratio; per sample when the batch size changed); ` +
  `interval: ${SPEEDUP_INTERVAL_LEVEL * 100}% percentile interval of that ratio over up to ${RESAMPLES} moving-block bootstrap ` +
  'resamples of each run\'s measured steps (blocks of about n^(1/3) consecutive steps, as workers deliver batches in rounds). ' +
  'It covers the step-to-step noise inside the two runs, not a change of the machine\'s load between them.';

/** Compares `after` with `before` (the run the change is measured against). */
export function compareMeasuredRuns(before: MeasuredRun, after: MeasuredRun): RunComparison {
  const b = side(before);
  const a = side(after);
  const changes = configChanges(before.summary, after.summary);
  const batchChanged = changes.some((c) => c.setting === 'batch_size');
  const perSampleB = batchChanged ? perSample(before) : null;
  const perSampleA = batchChanged ? perSample(after) : null;
  const basis: SpeedupEstimate['basis'] = perSampleB && perSampleA ? 'time per sample' : 'step time';
  const failed = before.summary.verdict === 'failed' || after.summary.verdict === 'failed';
  const estimate = failed || (batchChanged && basis === 'step time')
    ? null
    : basis === 'time per sample'
      ? bootstrapSpeedup(perSampleB ?? [], perSampleA ?? [])
      : bootstrapSpeedup(before.stepMs, after.stepMs);
  const speedup = estimate ? { basis, ...estimate } : null;
  const decision: ComparisonDecision = speedup === null ? 'not-comparable' : speedup.low > 1 ? 'faster' : speedup.high < 1 ? 'slower' : 'unclear';
  const verdictChanged = b.verdict !== a.verdict;
  const warning = loadWarning(b, a);
  return {
    before: b,
    after: a,
    speedup,
    decision,
    configChanges: changes,
    verdictChanged,
    loadWarning: warning,
    sentence: sentenceOf(decision, speedup, b, a, verdictChanged, batchChanged),
    method: COMPARISON_METHOD,
  };
}

export function intervalText(s: Pick<SpeedupEstimate, 'low' | 'high' | 'level'>): string {
  return `${Math.round(s.level * 100)}% interval ${speedupText(s.low)}\u2013${speedupText(s.high)}`;
}

function sentenceOf(decision: ComparisonDecision, sp: SpeedupEstimate | null, b: ComparedSide, a: ComparedSide, verdictChanged: boolean, batchChanged: boolean): string {
  const verdict = verdictChanged ? ` The verdict changed: ${b.verdictText} \u2192 ${a.verdictText}.` : ` The verdict did not change: ${a.verdictText}.`;
  if (sp === null) {
    const why = b.verdict === 'failed' || a.verdict === 'failed'
      ? 'one of the runs failed'
      : batchChanged
        ? 'the batch size changed and the samples per step were not recorded'
        : `one of the runs measured fewer than ${MIN_STEPS_TO_COMPARE} steps`;
    return `The runs cannot be compared: ${why}.${verdict}`;
  }
  const per = sp.basis === 'time per sample' ? ' per sample' : ' per step';
  const figures = `(${intervalText(sp)}; mean ${sp.basis} ${fmtMs(sp.meanBefore)} \u2192 ${fmtMs(sp.meanAfter)})`;
  switch (decision) {
    case 'faster':
      return `The second run is ${speedupText(sp.p50)} faster${per} ${figures}.${verdict}`;
    case 'slower':
      return `The second run is ${speedupText(1 / sp.p50)} slower${per} ${figures}.${verdict}`;
    default:
      return `No clear change: ${speedupText(sp.p50)}${per}, and the interval includes no change ${figures}.${verdict}`;
  }
}

function fmtMs(x: number | undefined): string {
  if (x === undefined) return '-';
  return x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(x >= 100 ? 0 : x >= 10 ? 1 : 2)} ms`;
}

// ---------------------------------------------------------------------------------------------------
// Guard (the comparison travels to the dashboard webview, which checks every message it receives)
// ---------------------------------------------------------------------------------------------------

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);
const isNumOrNull = (x: unknown): boolean => x === null || isNum(x);
const isStr = (x: unknown): x is string => typeof x === 'string';
const isSpreadOrNull = (x: unknown): boolean => x === null || (isObj(x) && isNum(x.p50) && isNum(x.p10) && isNum(x.p90));
const VERDICT_VALUES: readonly string[] = ['highly-input-bound', 'moderately-input-bound', 'not-input-bound', 'failed'];
const DECISIONS: readonly string[] = ['faster', 'slower', 'unclear', 'not-comparable'];

function isSide(x: unknown): x is ComparedSide {
  return isObj(x) && isStr(x.script) && isStr(x.startedAt) && isStr(x.mode) && isStr(x.verdict) && VERDICT_VALUES.includes(x.verdict) &&
    isStr(x.verdictText) && isNum(x.steps) && isSpreadOrNull(x.stepMs) && isSpreadOrNull(x.waitMs) && isNumOrNull(x.inputShare) &&
    isNumOrNull(x.otherCpuPct);
}

function isSpeedup(x: unknown): x is SpeedupEstimate {
  return isObj(x) && (x.basis === 'step time' || x.basis === 'time per sample') && isNum(x.p50) && isNum(x.low) && isNum(x.high) &&
    isNum(x.level) && isNum(x.resamples) && isNum(x.blockLength) && isNum(x.meanBefore) && isNum(x.meanAfter);
}

export function isRunComparison(x: unknown): x is RunComparison {
  return isObj(x) && isSide(x.before) && isSide(x.after) && (x.speedup === null || isSpeedup(x.speedup)) &&
    isStr(x.decision) && DECISIONS.includes(x.decision) && Array.isArray(x.configChanges) &&
    x.configChanges.every((c) => isObj(c) && isStr(c.setting) && isStr(c.before) && isStr(c.after)) &&
    typeof x.verdictChanged === 'boolean' && (x.loadWarning === null || isStr(x.loadWarning)) && isStr(x.sentence) && isStr(x.method);
}
