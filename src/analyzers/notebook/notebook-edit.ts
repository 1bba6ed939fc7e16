// Writes new cell sources back into an .ipynb text. Only the `source` of a changed cell is rewritten, and
// of a source stored as a list of lines only the lines that differ: every other byte of the file (outputs,
// metadata, indentation, the escapes the writer chose) stays as it was, so `lint --fix` on a notebook
// shows in a diff as the fix and nothing else.
import { findNodeAtLocation, parseTree, type Node as JsonNode } from 'jsonc-parser';
import { NotebookFormatError } from './notebook';

/** nbformat's list form: every line keeps its "\n", the last one may lack it. */
function splitLines(source: string): string[] {
  const lines = source.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  return lines;
}

/** `notebook` with the source of each cell in `sources` (by cell index) replaced. */
export function replaceCellSources(notebook: string, sources: ReadonlyMap<number, string>): string {
  if (sources.size === 0) return notebook;
  const root = parseTree(notebook);
  if (!root) throw new NotebookFormatError('not valid notebook JSON');
  const edits: Array<{ start: number; end: number; text: string }> = [];
  for (const [cell, source] of sources) {
    const node = findNodeAtLocation(root, ['cells', cell, 'source']);
    if (!node) throw new NotebookFormatError(`cell ${cell + 1} has no source to rewrite`);
    if (node.type === 'string') {
      if (node.value !== source) edits.push({ start: node.offset, end: node.offset + node.length, text: JSON.stringify(source) });
    } else if (node.type === 'array') {
      edits.push(...arrayEdits(notebook, node, splitLines(source)));
    } else {
      throw new NotebookFormatError(`cell ${cell + 1}'s source is neither a string nor a list`);
    }
  }
  edits.sort((a, b) => a.start - b.start);
  let out = '';
  let cursor = 0;
  for (const e of edits) {
    out += notebook.slice(cursor, e.start) + e.text;
    cursor = e.end;
  }
  return out + notebook.slice(cursor);
}

/** The edit turning a list of line strings into `lines`, keeping the unchanged lines at both ends as they are. */
function arrayEdits(text: string, node: JsonNode, lines: string[]): Array<{ start: number; end: number; text: string }> {
  const items = node.children ?? [];
  const old = items.map((c) => (typeof c.value === 'string' ? c.value : String(c.value)));
  let head = 0;
  while (head < old.length && head < lines.length && old[head] === lines[head]) head++;
  let tail = 0;
  while (tail < old.length - head && tail < lines.length - head && old[old.length - 1 - tail] === lines[lines.length - 1 - tail]) tail++;
  if (head === old.length && head === lines.length) return [];
  // The separator the writer used between two items (",\n    " from Jupyter), else one built from the
  // first item's indentation.
  const first = items[0];
  const indent = first ? /[ \t]*$/.exec(text.slice(text.lastIndexOf('\n', first.offset) + 1, first.offset))![0] : '';
  const sep = items.length >= 2 ? text.slice(items[0].offset + items[0].length, items[1].offset) : first ? `,\n${indent}` : ', ';
  const fresh = lines.slice(head, lines.length - tail).map((l) => JSON.stringify(l));
  if (items.length === 0) return [{ start: node.offset, end: node.offset + node.length, text: `[${fresh.join(sep)}]` }];
  const removedEnd = old.length - tail;
  if (head < removedEnd) {
    // Replace items head..removedEnd-1; keep the separators around them.
    const start = items[head].offset;
    const end = items[removedEnd - 1].offset + items[removedEnd - 1].length;
    if (fresh.length > 0) return [{ start, end, text: fresh.join(sep) }];
    // Only removals: take the separator on one side along.
    if (removedEnd < items.length) return [{ start, end: items[removedEnd].offset, text: '' }];
    return [{ start: head > 0 ? items[head - 1].offset + items[head - 1].length : start, end, text: '' }];
  }
  // Only insertions, before item `head` (or after the last item).
  if (head < items.length) return [{ start: items[head].offset, end: items[head].offset, text: fresh.join(sep) + sep }];
  const last = items[items.length - 1];
  return [{ start: last.offset + last.length, end: last.offset + last.length, text: sep + fresh.join(sep) }];
}
