// Keeps tree-sitter trees in step with a document between analyses: every content change is replayed
// on the previous tree with `tree.edit()`, so the next parse only re-reads the edited region.
// web-tree-sitter indexes JS strings in UTF-16 code units, as VS Code does, so offsets map 1:1.
import type * as vscode from 'vscode';
import type { Edit as TreeEdit, Point, Tree } from 'web-tree-sitter';

function endPoint(start: Point, inserted: string): Point {
  const lines = inserted.split(/\r\n|\r|\n/);
  if (lines.length === 1) return { row: start.row, column: start.column + inserted.length };
  return { row: start.row + lines.length - 1, column: lines[lines.length - 1].length };
}

export function treeEdit(change: vscode.TextDocumentContentChangeEvent): TreeEdit {
  const startPosition = { row: change.range.start.line, column: change.range.start.character };
  return {
    startIndex: change.rangeOffset,
    oldEndIndex: change.rangeOffset + change.rangeLength,
    newEndIndex: change.rangeOffset + change.text.length,
    startPosition,
    oldEndPosition: { row: change.range.end.line, column: change.range.end.character },
    newEndPosition: endPoint(startPosition, change.text),
  };
}

/** Replays one change event on `tree`. VS Code orders an event's changes so each applies to the result of the previous ones. */
export function applyChanges(tree: Tree, changes: readonly vscode.TextDocumentContentChangeEvent[]): void {
  for (const change of changes) tree.edit(treeEdit(change));
}
