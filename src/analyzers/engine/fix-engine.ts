// The one fix engine of `lint --fix`, the editor's fix-all (text documents and notebooks) and the tests,
// after Ruff's `lint_fix`: analyse, merge the fixes that do not overlap, apply them, analyse the result,
// and repeat until no fix is left or nothing changes. Fixes that clash with one already taken wait for
// the next pass. A pass whose result no longer parses is dropped (the last text that parsed is kept), a
// text that does not parse to begin with is not fixed (a fix's ranges are only right for code that
// parses), and a run still offering fixes after `maxPasses` keeps the original text: a fix set that
// does not converge is a fix that keeps rewriting its own output. Each case ends with a notice, never
// silently. Pure: the caller reads and writes the file.
import type { Edit, Finding } from '../../shared/findings';
import { applyEdits, mergeCellFixEdits } from './apply-edits';
import { LineIndex } from './text';

/** What an analysis returns, as far as the engine needs it (AnalysisResult fits). */
export interface FixAnalysis {
  findings: Finding[];
  notices: Array<{ kind: string; level: string; message: string; line?: number }>;
  /** A tree-sitter tree: the engine deletes it, its callers never see it. */
  tree?: { delete(): void };
}

export interface FixOptions {
  /** Apply only fixes marked safe (the default); otherwise the first fix of every finding. */
  safeOnly?: boolean;
  /** Passes before the engine gives up on converging (default 10). */
  maxPasses?: number;
}

export interface FixNotice {
  level: 'warning' | 'error';
  message: string;
}

export interface CellsFixOutcome<R extends FixAnalysis> {
  cells: string[];
  /** The analysis of the returned cells, without its tree. */
  result: Omit<R, 'tree'>;
  /** Fixes applied (their edits are in the returned cells), not fixes offered. */
  fixed: number;
  /** The edits of each pass kept, in order, each pass's ranges relative to the text before it. */
  passes: Edit[][];
  notices: FixNotice[];
}

export interface FixOutcome<R extends FixAnalysis> extends Omit<CellsFixOutcome<R>, 'cells'> {
  text: string;
}

export const DEFAULT_MAX_PASSES = 10;

/** Notices that say the text does not parse: its positions are not worth fixing against. */
const UNPARSED = new Set(['syntax', 'config-parse', 'notebook-format']);

function unparsed(result: FixAnalysis): { line?: number; message: string } | undefined {
  return result.notices.find((n) => UNPARSED.has(n.kind));
}

/** Fixes a single text (a Python file, a config file). */
export async function fixUntilStable<R extends FixAnalysis>(text: string, analyze: (text: string) => Promise<R>, options: FixOptions = {}): Promise<FixOutcome<R>> {
  const { cells, ...rest } = await fixCellsUntilStable([text], ([t]) => analyze(t), options);
  return { text: cells[0], ...rest };
}

/**
 * Fixes several texts analysed together: the cells of a notebook, where an edit's `cell` says which one
 * it changes (one fix may touch two cells: the import in the first, the call in another).
 */
export async function fixCellsUntilStable<R extends FixAnalysis>(
  original: readonly string[],
  analyze: (cells: string[]) => Promise<R>,
  options: FixOptions = {},
): Promise<CellsFixOutcome<R>> {
  const safeOnly = options.safeOnly ?? true;
  const maxPasses = options.maxPasses ?? DEFAULT_MAX_PASSES;
  const run = async (cells: string[]): Promise<Omit<R, 'tree'>> => {
    const { tree, ...result } = await analyze(cells);
    tree?.delete();
    return result;
  };
  const first = await run([...original]);
  let cells = [...original];
  let result = first;
  let fixed = 0;
  const passes: Edit[][] = [];
  const candidates = (r: Omit<R, 'tree'>) => r.findings.flatMap((f) => {
    const fix = f.fixes.find((x) => x.safe || !safeOnly);
    return fix ? [{ code: f.code, cell: f.cell, edits: fix.edits }] : [];
  });
  const broken = unparsed(first);
  if (broken && candidates(first).length > 0) {
    return { cells, result, fixed: 0, passes: [], notices: [{ level: 'warning', message: `not fixed: ${broken.message.replace(/: findings near it may be missing$/, '')}; fixes apply to code that parses` }] };
  }
  for (let pass = 0; ; pass++) {
    const fixes = candidates(result).map((c) => ({ ...c, edits: withoutNoOps(c.edits.map((e) => ({ ...e, cell: e.cell ?? c.cell })), cells) }))
      .filter((c) => c.edits.length > 0);
    if (fixes.length === 0) return { cells, result, fixed, passes, notices: [] };
    if (pass === maxPasses) {
      const codes = [...new Set(fixes.map((f) => f.code))].join(', ');
      return {
        cells: [...original],
        result: first,
        fixed: 0,
        passes: [],
        notices: [{ level: 'error', message: `not fixed: the fixes did not converge after ${maxPasses} passes (${codes} still offered); the file is left as it was` }],
      };
    }
    const { edits, taken } = mergeCellFixEdits(fixes.map((f) => f.edits), cells);
    const next = [...cells];
    const perCell = new Map<number, Edit[]>();
    for (const e of edits) perCell.set(e.cell ?? 0, [...(perCell.get(e.cell ?? 0) ?? []), e]);
    for (const [cell, cellEdits] of perCell) next[cell] = applyEdits(cells[cell], cellEdits);
    if (next.every((t, i) => t === cells[i])) return { cells, result, fixed, passes, notices: [] };
    const after = await run(next);
    const nowBroken = unparsed(after);
    if (nowBroken) {
      const codes = [...new Set(fixes.filter((_, i) => taken[i]).map((f) => f.code))].join(', ');
      return { cells, result, fixed, passes, notices: [{ level: 'error', message: `stopped fixing: the fixes of ${codes} would leave a syntax error (${nowBroken.message.replace(/: findings near it may be missing$/, '')}); kept the text before them` }] };
    }
    fixed += taken.filter(Boolean).length;
    passes.push(edits);
    cells = next;
    result = after;
  }
}

/** Edits that would replace a range with the text already there are dropped: they change nothing. */
function withoutNoOps(edits: readonly Edit[], cells: readonly string[]): Edit[] {
  const indexes = new Map<number, LineIndex>();
  return edits.filter((e) => {
    const text = cells[e.cell ?? 0];
    if (text === undefined) return false;
    let index = indexes.get(e.cell ?? 0);
    if (!index) indexes.set(e.cell ?? 0, (index = new LineIndex(text)));
    return text.slice(index.offset(e.range.start), index.offset(e.range.end)) !== e.newText;
  });
}
