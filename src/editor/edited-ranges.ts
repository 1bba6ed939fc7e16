// Where a range stands after a text edit, for diagnostics VS Code does not move by itself (the runtime
// findings of a profile run are measured once; static ones are re-analysed). An edit that touches the
// range makes the measurement describe code that is no longer there: the range is dropped (null). An
// edit wholly above it moves it by the lines the edit added or removed. Pure: no `vscode`.
import type { Position, Range } from '../shared/findings';

export interface TextChange {
  /** The replaced range, in the document before the change. */
  range: Range;
  text: string;
}

/** Whole lines count: an edit anywhere on a finding's lines (e.g. a keyword added to its call) touches it. */
function touches(change: Range, range: Range): boolean {
  return !(change.end.line < range.start.line || change.start.line > range.end.line);
}

/** `range` after `change`, or null when the change touches its lines. */
export function rangeAfterChange(range: Range, change: TextChange): Range | null {
  if (touches(change.range, range)) return null;
  if (range.end.line < change.range.start.line) return range;
  // Wholly after the edit: only the number of lines it added or removed moves the range.
  const delta = change.text.split('\n').length - 1 - (change.range.end.line - change.range.start.line);
  const moved = (p: Position): Position => ({ line: p.line + delta, character: p.character });
  return { start: moved(range.start), end: moved(range.end) };
}

/** `range` after VS Code's content changes of one event, applied in order; null once one touches it. */
export function rangeAfterChanges(range: Range, changes: readonly TextChange[]): Range | null {
  let r: Range | null = range;
  for (const c of changes) {
    if (r === null) return null;
    r = rangeAfterChange(r, c);
  }
  return r;
}
