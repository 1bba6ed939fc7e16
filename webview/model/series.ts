// Arrow run tables -> typed-array series for uPlot. No per-row objects: numeric columns are taken with
// toArray() (zero-copy for a single record batch) and the phase strings are classified from their UTF-8
// bytes, so a 100,000-step run costs a few milliseconds here.
import type { Table, Vector } from 'apache-arrow';
import { tableFromIPC } from 'apache-arrow';
import type { RunTableBytes } from '../../src/shared/protocol';

export const PHASE_WARMUP = 0;
export const PHASE_MEASURED = 1;
export const PHASE_CONTROL = 2;
export const PHASE_EXTRA = 3;
export const PHASE_NAMES = ['warm-up', 'measured', 'data-free control', 'extra'] as const;

export interface PhaseRange {
  phase: number;
  /** Index range into the series, end exclusive. */
  start: number;
  end: number;
}

export interface StepSeries {
  length: number;
  /** Step number as the harness counted it (x axis). */
  index: Float64Array;
  stepMs: Float32Array;
  waitMs: Float32Array;
  /** stepMs - waitMs, clamped at 0. */
  computeMs: Float32Array;
  phase: Uint8Array;
  phaseRanges: PhaseRange[];
}

export interface TimeSeries {
  /** Seconds since the run started (x axis). */
  t: Float64Array;
  /** Named y columns; NaN where the sample had no value. */
  values: Record<string, Float32Array>;
}

export interface RunTables {
  steps: Table | null;
  system: Table | null;
  gpu: Table | null;
  loaders: Table | null;
}

/** Parses the run's Arrow IPC bytes; a table that does not parse becomes null and is reported in `problems`. */
export function decodeTables(bytes: RunTableBytes): { tables: RunTables; problems: string[] } {
  const problems: string[] = [];
  const one = (name: keyof RunTableBytes): Table | null => {
    const b = bytes[name];
    if (b === null || b.byteLength === 0) return null;
    try {
      return tableFromIPC(b);
    } catch (e) {
      problems.push(`${name}: ${(e as Error).message}`);
      return null;
    }
  };
  return { tables: { steps: one('steps'), system: one('system'), gpu: one('gpu'), loaders: one('loaders') }, problems };
}

function column(table: Table, name: string): Vector | null {
  return table.schema.fields.some((f) => f.name === name) ? table.getChild(name) : null;
}

/** A numeric column as Float64Array (copy; small tables) with NaN for nulls. */
function numbers64(v: Vector | null, n: number): Float64Array {
  const out = new Float64Array(n).fill(NaN);
  if (!v) return out;
  const raw = v.toArray() as ArrayLike<number>;
  if (v.nullCount === 0) {
    for (let i = 0; i < n; i++) out[i] = Number(raw[i]);
  } else {
    for (let i = 0; i < n; i++) out[i] = v.isValid(i) ? Number(raw[i]) : NaN;
  }
  return out;
}

function numbers32(v: Vector | null, n: number): Float32Array {
  if (v && v.nullCount === 0) {
    const raw = v.toArray() as unknown;
    if (raw instanceof Float32Array && raw.length === n) return raw;
  }
  return Float32Array.from(numbers64(v, n));
}

/** Phase codes from the Utf8 column's bytes: the first letter tells the four phases apart. */
function phaseCodes(v: Vector | null, n: number): Uint8Array {
  const out = new Uint8Array(n).fill(PHASE_MEASURED);
  if (!v) return out;
  let row = 0;
  for (const chunk of v.data) {
    const offsets = chunk.valueOffsets as Int32Array | undefined;
    const bytes = chunk.values as Uint8Array | undefined;
    for (let i = 0; i < chunk.length; i++, row++) {
      const first = offsets && bytes ? bytes[offsets[i] ?? 0] : undefined;
      out[row] = first === 0x77 /* w */ ? PHASE_WARMUP : first === 0x63 /* c */ ? PHASE_CONTROL : first === 0x65 /* e */ ? PHASE_EXTRA : PHASE_MEASURED;
    }
  }
  return out;
}

function ranges(phase: Uint8Array): PhaseRange[] {
  const out: PhaseRange[] = [];
  for (let i = 0; i < phase.length; ) {
    const p = phase[i] ?? PHASE_MEASURED;
    let j = i + 1;
    while (j < phase.length && phase[j] === p) j++;
    out.push({ phase: p, start: i, end: j });
    i = j;
  }
  return out;
}

/**
 * The training loader's steps in the order recorded. `loaderId` null keeps every row (runs with one
 * loader, or when the summary names none).
 */
export function stepSeries(steps: Table, loaderId: number | null): StepSeries {
  const n = steps.numRows;
  const loader = column(steps, 'loader');
  const idx = numbers64(column(steps, 'index'), n);
  const step = numbers32(column(steps, 'stepMs'), n);
  const wait = numbers32(column(steps, 'waitMs'), n);
  const phase = phaseCodes(column(steps, 'phase'), n);
  let keep: Int32Array | null = null;
  if (loaderId !== null && loader) {
    const ids = loader.toArray() as ArrayLike<number>;
    let count = 0;
    for (let i = 0; i < n; i++) if (ids[i] === loaderId) count++;
    if (count !== n) {
      keep = new Int32Array(count);
      for (let i = 0, k = 0; i < n; i++) if (ids[i] === loaderId) keep[k++] = i;
    }
  }
  const pick32 = (a: Float32Array): Float32Array => (keep ? Float32Array.from(keep, (i) => a[i] ?? NaN) : a);
  const index = keep ? Float64Array.from(keep, (i) => idx[i] ?? NaN) : idx;
  const stepMs = pick32(step);
  const waitMs = pick32(wait);
  const phases = keep ? Uint8Array.from(keep, (i) => phase[i] ?? PHASE_MEASURED) : phase;
  const computeMs = new Float32Array(stepMs.length);
  for (let i = 0; i < stepMs.length; i++) computeMs[i] = Math.max(0, (stepMs[i] ?? 0) - (waitMs[i] ?? 0));
  return { length: stepMs.length, index, stepMs, waitMs, computeMs, phase: phases, phaseRanges: ranges(phases) };
}

/** Any time-stamped table (system, gpu) as seconds since `t0Ms` plus the named columns that exist. */
export function timeSeries(table: Table, columns: readonly string[], t0Ms: number, filter?: { column: string; value: number }): TimeSeries {
  const n = table.numRows;
  const tAll = numbers64(column(table, 't'), n);
  let rows: number[] | null = null;
  if (filter) {
    const f = column(table, filter.column);
    if (f) {
      const ids = f.toArray() as ArrayLike<number>;
      rows = [];
      for (let i = 0; i < n; i++) if (ids[i] === filter.value) rows.push(i);
    }
  }
  const take = (a: Float64Array): Float64Array => (rows ? Float64Array.from(rows, (i) => a[i] ?? NaN) : a);
  const t = take(tAll).map((v) => (v - t0Ms) / 1000);
  const values: Record<string, Float32Array> = {};
  for (const name of columns) {
    const v = column(table, name);
    if (v) values[name] = Float32Array.from(take(numbers64(v, n)));
  }
  return { t, values };
}

/** The first value of a numeric column (e.g. GPU index 0's id), or null for an empty table. */
export function firstValue(table: Table, name: string): number | null {
  const v = column(table, name);
  if (!v || table.numRows === 0 || !v.isValid(0)) return null;
  const x = v.get(0) as unknown;
  return typeof x === 'number' ? x : typeof x === 'bigint' ? Number(x) : null;
}

/** Earliest timestamp across the run's tables, so every timeline shares one x origin. */
export function runOrigin(tables: RunTables, startedAt: string): number {
  let t0 = Date.parse(startedAt);
  for (const table of [tables.steps, tables.system, tables.gpu]) {
    if (!table || table.numRows === 0) continue;
    const v = column(table, 't');
    const first = v?.get(0) as unknown;
    if (typeof first === 'number' && Number.isFinite(first) && (!Number.isFinite(t0) || first < t0)) t0 = first;
  }
  return Number.isFinite(t0) ? t0 : 0;
}

/** NaN-free copy for uPlot, which draws gaps for null but not for NaN. Only used on the small system tables. */
export function withGaps(values: Float32Array): (number | null)[] | Float32Array {
  let hasNaN = false;
  for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i])) { hasNaN = true; break; }
  if (!hasNaN) return values;
  return Array.from(values, (v) => (Number.isNaN(v) ? null : v));
}

/** True when any value is finite and non-zero: a chart of all-NaN or all-zero data says nothing. */
export function hasSignal(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== undefined && Number.isFinite(v) && v !== 0) return true;
  }
  return false;
}
