// Findings of an UNOPENED notebook, placed on the .ipynb file itself (workspace scan). The analyzer
// reports cell coordinates (cell index, line within the cell's source); read as lines of the JSON file
// those would point anywhere. Each range becomes the JSON string that holds that source line (nbformat
// stores `source` as a list of lines, or as one string), the message names the cell and line, and the
// fixes are dropped: their edits are cell-relative and cannot be applied to the JSON text. Opening the
// notebook replaces all of this with exact diagnostics on the cells (notebooks.ts).
import { findNodeAtLocation, parseTree, type Node as JsonNode } from 'jsonc-parser';
import type { Finding, Range } from '../shared/findings';

/** Offset -> 0-based line/character, for the one JSON text. */
function positionsOf(text: string): (offset: number) => { line: number; character: number } {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: offset - starts[lo] };
  };
}

/** The JSON string node holding line `line` of cell `cell`'s source, or the cell itself when the source has no such line. */
function sourceNode(root: JsonNode, cell: number, line: number): JsonNode | undefined {
  const source = findNodeAtLocation(root, ['cells', cell, 'source']);
  if (!source) return findNodeAtLocation(root, ['cells', cell]);
  if (source.type !== 'array') return source;
  let seen = 0;
  for (const part of source.children ?? []) {
    const value = typeof part.value === 'string' ? part.value : '';
    // A list element usually is one line ending in "\n", but nbformat does not require it.
    const newlines = value.split('\n').length - 1;
    if (line <= seen + newlines && !(line === seen + newlines && value.endsWith('\n'))) return part;
    seen += newlines;
  }
  return source.children?.[source.children.length - 1] ?? source;
}

export function notebookFileFindings(text: string, findings: readonly Finding[]): Finding[] {
  const root = parseTree(text);
  if (!root) return [];
  const at = positionsOf(text);
  const place = (cell: number | undefined, range: Range): Range => {
    const node = cell === undefined ? undefined : sourceNode(root, cell, range.start.line);
    if (!node) return { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    return { start: at(node.offset), end: at(node.offset + node.length) };
  };
  return findings.map((f) => ({
    ...f,
    message: f.cell === undefined ? f.message : `cell ${f.cell + 1}, line ${f.range.start.line + 1}: ${f.message}`,
    range: place(f.cell, f.range),
    fixes: [],
    related: f.related.map((r) => (r.file && r.file !== f.file ? r : { ...r, range: place(r.cell ?? f.cell, r.range), cell: undefined })),
    cell: undefined,
  }));
}
