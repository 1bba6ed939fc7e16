// Applies text edits the way VS Code's WorkspaceEdit does: all ranges refer to the original text,
// edits may not overlap, insertions at the same point keep their given order.
import type { Edit } from '../../shared/findings';
import { LineIndex } from './text';

export class OverlappingEditsError extends Error {
  constructor() {
    super('edits overlap');
    this.name = 'OverlappingEditsError';
  }
}

export function applyEdits(text: string, edits: readonly Edit[]): string {
  if (edits.length === 0) return text;
  const index = new LineIndex(text);
  const spans = edits
    .map((e, order) => ({ start: index.offset(e.range.start), end: index.offset(e.range.end), text: e.newText, order }))
    .sort((a, b) => a.start - b.start || a.end - b.end || a.order - b.order);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i].start < spans[i - 1].end) throw new OverlappingEditsError();
  }
  let out = '';
  let cursor = 0;
  for (const s of spans) {
    out += text.slice(cursor, s.start) + s.text;
    cursor = s.end;
  }
  return out + text.slice(cursor);
}

/**
 * Merges the edits of several fixes into one set that applyEdits accepts: a fix that would overlap an
 * already chosen one is left out (the next pass picks it up), and an edit identical to a chosen one
 * (two fixes adding the same `import os`) is kept once.
 */
export function mergeFixEdits(fixEdits: readonly (readonly Edit[])[], text: string): Edit[] {
  return mergeCellFixEdits(fixEdits, [text]).edits;
}

/**
 * mergeFixEdits over several texts (the cells of a notebook): an edit's `cell` says which text its range
 * is in (0 when absent); edits in different cells never overlap. Also says which fixes were taken.
 */
export function mergeCellFixEdits(fixEdits: readonly (readonly Edit[])[], texts: readonly string[]): { edits: Edit[]; taken: boolean[] } {
  const indexes = texts.map((t) => new LineIndex(t));
  const chosen: Array<{ cell: number; start: number; end: number; text: string }> = [];
  const out: Edit[] = [];
  const taken = fixEdits.map((edits) => {
    const spans = edits.map((e) => {
      const cell = e.cell ?? 0;
      const index = indexes[cell] ?? indexes[0];
      return { cell, start: index.offset(e.range.start), end: index.offset(e.range.end), text: e.newText, edit: e };
    });
    const fresh = spans.filter((s) => !chosen.some((c) => c.cell === s.cell && c.start === s.start && c.end === s.end && c.text === s.text));
    const clashes = fresh.some((s, i) =>
      chosen.some((c) => c.cell === s.cell && s.start < c.end && s.end > c.start) ||
      fresh.some((o, j) => j !== i && o.cell === s.cell && s.start < o.end && s.end > o.start));
    if (clashes) return false;
    for (const s of fresh) {
      chosen.push(s);
      out.push(s.edit);
    }
    return true;
  });
  return { edits: out, taken };
}
