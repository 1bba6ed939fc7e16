// The Ranks section of a torchrun run (docs/profiling.md, "torchrun jobs"): each rank's figures side by
// side, the straggler named from the run's own RUN014 findings (docs/runtime-findings.md) so the dashboard
// never judges a rank by a rule of its own, and the spread of the ranks' step ends. Same words in the
// webview and the exported report.
import type { RunSummary, SummaryRank } from '../../src/shared/profile';
import { DASH, fmtCount, fmtMs, fmtPct, fmtPct100, fmtRate } from './format';

const RANK_COLUMNS = ['Rank', 'Steps', 'Step p50', 'Data wait p50', 'Input share', 'Samples/s', 'Waiting on others', 'Ended'] as const;
/** Shown before "Waiting on others" when some rank sampled its GPU: a CPU job has no such column. */
const GPU_COLUMN = 'GPU util';

/** The figures RUN014 judges, by the name its findings give them, and the column each is shown in. */
const STRAGGLER_METRIC_COLUMN: Record<string, number> = { 'step time': 2, 'data wait': 3 };

export interface Straggler {
  rank: number;
  /** 'step time' or 'data wait', as the RUN014 finding says. */
  metric: string;
  /** The finding's own message: the figures and why it holds the job back. */
  message: string;
}

export interface RankRow {
  rank: number;
  cells: string[];
  /** Indices into cells of the figures that make this rank a straggler. */
  hot: number[];
  straggler: boolean;
}

export interface RanksView {
  columns: string[];
  headline: string;
  stragglers: Straggler[];
  rows: RankRow[];
  /** The step-end spread sentence, when there are two ranks or more to spread. */
  spread: string | null;
}

function stragglersOf(s: RunSummary, ranks: readonly SummaryRank[]): Straggler[] {
  const known = new Set(ranks.map((r) => r.rank));
  const out: Straggler[] = [];
  for (const f of s.findings) {
    if (f.code !== 'RUN014' || f.origin !== 'runtime') continue;
    const rank = f.figures?.rank;
    const metric = f.figures?.metric;
    if (typeof rank !== 'number' || !known.has(rank) || typeof metric !== 'string') continue;
    out.push({ rank, metric, message: f.message });
  }
  return out;
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const v = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

function listRanks(ranks: number[]): string {
  return ranks.length === 1 ? `Rank ${ranks[0]}` : `Ranks ${ranks.slice(0, -1).join(', ')} and ${ranks[ranks.length - 1]}`;
}

/** Null for a run that is not a torchrun job: it has no Ranks section at all. */
export function ranksView(s: RunSummary): RanksView | null {
  const ranks = s.ranks;
  if (ranks === undefined || ranks.length === 0) return null;
  const stragglers = stragglersOf(s, ranks);
  const gpu = ranks.some((r) => r.gpuUtilizationPct != null);
  const columns: string[] = [...RANK_COLUMNS];
  if (gpu) columns.splice(columns.indexOf('Waiting on others'), 0, GPU_COLUMN);
  const rows: RankRow[] = ranks.map((r) => {
    const mine = stragglers.filter((x) => x.rank === r.rank);
    return {
      rank: r.rank,
      cells: [
        r.localRank === r.rank ? `${r.rank}` : `${r.rank} (local ${r.localRank})`,
        fmtCount(r.steps),
        fmtMs(r.stepTimeMs?.p50),
        fmtMs(r.dataWaitMs?.p50),
        fmtPct(r.inputShare),
        fmtRate(r.samplesPerSec),
        ...(gpu ? [fmtPct100(r.gpuUtilizationPct)] : []),
        fmtMs(r.peerWaitMs),
        r.ended ?? DASH,
      ],
      hot: mine.flatMap((x) => (STRAGGLER_METRIC_COLUMN[x.metric] === undefined ? [] : [STRAGGLER_METRIC_COLUMN[x.metric]!])),
      straggler: mine.length > 0,
    };
  });
  const named = [...new Set(stragglers.map((x) => x.rank))];
  const metrics = [...new Set(stragglers.map((x) => x.metric))];
  const headline = named.length > 0
    ? `${listRanks(named)} ${named.length === 1 ? 'is the straggler: its' : 'are stragglers: their'} ` +
      `${metrics.join(' and ')} ${metrics.length === 1 ? 'stands' : 'stand'} out from the other ranks'.`
    : ranks.length === 1
      ? 'One rank reported: nothing to compare it with.'
      : s.verdict === 'failed'
        ? `${ranks.length} ranks; the run failed, so no rank is judged.`
        : `${ranks.length} ranks; no rank stands out from the others.`;
  let spread: string | null = null;
  if (ranks.length >= 2 && s.stepEndSpreadMs !== undefined) {
    const step = median(ranks.flatMap((r) => (r.stepTimeMs === null ? [] : [r.stepTimeMs.p50])));
    spread = s.stepEndSpreadMs === null
      ? 'Step-end spread: not measured (the ranks share no measured step).'
      : `Step-end spread: ranks end their steps ${fmtMs(s.stepEndSpreadMs)} apart (median over measured steps` +
        `${step !== null && step > 0 ? `, ${fmtPct(s.stepEndSpreadMs / step)} of a step` : ''}).`;
  }
  return { columns, headline, stragglers, rows, spread };
}
