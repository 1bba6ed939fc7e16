// Edit builders for Python fixes: they keep the user's formatting (multi-line calls, trailing commas,
// indentation, line endings) so a fix reads as if the user had typed it.
import type { Edit } from '../../shared/findings';
import { field, namedChildren, nodeRange, type Node } from '../engine/syntax';
import type { PythonModule } from './module';

export function replaceNode(node: Node, newText: string): Edit {
  return { range: nodeRange(node), newText };
}

/** Adds keyword arguments at the end of a call's argument list. */
export function appendArguments(module: PythonModule, call: Node, args: readonly string[]): Edit {
  const list = field(call, 'arguments')!;
  const items = namedChildren(list).filter((n) => n.type !== 'comment');
  const close = list.endPosition; // just after ')'
  const closePos = { line: close.row, character: close.column - 1 };
  if (items.length === 0) return { range: { start: closePos, end: closePos }, newText: args.join(', ') };
  const last = items[items.length - 1];
  const between = module.text.slice(last.endIndex, list.endIndex - 1);
  const trailingComma = between.includes(',');
  const multiline = list.startPosition.row !== list.endPosition.row && items.some((i) => i.startPosition.row !== list.startPosition.row);
  const lastEnd = { line: last.endPosition.row, character: last.endPosition.column };
  if (multiline) {
    const indent = /^[ \t]*/.exec(module.lines.lineText(last.startPosition.row))![0];
    const eol = module.lines.eol();
    const text = args.map((a) => `${eol}${indent}${a},`).join('');
    if (trailingComma) {
      const commaOffset = last.endIndex + between.indexOf(',') + 1;
      const at = module.lines.position(commaOffset);
      return { range: { start: at, end: at }, newText: text };
    }
    return { range: { start: lastEnd, end: lastEnd }, newText: ',' + text.replace(/,$/, '') };
  }
  if (trailingComma) {
    const commaOffset = last.endIndex + between.indexOf(',') + 1;
    const at = module.lines.position(commaOffset);
    return { range: { start: at, end: at }, newText: ' ' + args.join(', ') + ',' };
  }
  return { range: { start: lastEnd, end: lastEnd }, newText: ', ' + args.join(', ') };
}

/** Inserts `import <name>` after the module's imports unless the module already binds it; undefined when present. */
export function ensureImport(module: PythonModule, statement: string, boundName: string): Edit | undefined {
  for (const [local, qualified] of module.imports.localNames()) if (local === boundName && qualified === boundName) return undefined;
  return insertAfterImports(module, statement);
}

/** Inserts a statement on its own line after the module's leading imports (after a docstring if there are none). */
export function insertAfterImports(module: PythonModule, statement: string): Edit {
  const eol = module.lines.eol();
  const top = namedChildren(module.root);
  let anchor: Node | undefined;
  for (const stmt of top) {
    const isDocstring = stmt.type === 'expression_statement' && stmt.namedChild(0)?.type === 'string' && stmt === top[0];
    if (stmt.type === 'import_statement' || stmt.type === 'import_from_statement' || stmt.type === 'future_import_statement' || isDocstring) anchor = stmt;
    else if (stmt.type !== 'comment') break;
  }
  if (!anchor) return { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: statement + eol };
  const at = { line: anchor.endPosition.row, character: module.lines.lineText(anchor.endPosition.row).length };
  return { range: { start: at, end: at }, newText: eol + statement };
}
