// Edit builders for Python fixes: they keep the user's formatting (multi-line calls, trailing commas,
// indentation, line endings) so a fix reads as if the user had typed it.
import type { Edit } from '../../shared/findings';
import { field, namedChildren, nodeRange, type Node } from '../engine/syntax';
import type { PythonModule } from './module';
import { STDLIB_MODULES } from './stdlib-modules';

export function replaceNode(node: Node, newText: string): Edit {
  return { range: nodeRange(node), newText };
}

/**
 * Changes a call's arguments: replaces some argument values and appends keyword arguments. One edit
 * when the call has to be wrapped (a wrapped call is rewritten whole), else one edit per change.
 */
export function editCallArguments(module: PythonModule, call: Node, append: readonly string[], replace: ReadonlyArray<{ node: Node; newText: string }> = []): Edit[] {
  const list = field(call, 'arguments')!;
  if (list.startPosition.row === list.endPosition.row && (append.length > 0 || replace.length > 0)) {
    const items = namedChildren(list).filter((n) => n.type !== 'comment').map((item) => {
      let text = item.text;
      for (const r of [...replace].sort((a, b) => b.node.startIndex - a.node.startIndex)) {
        if (r.node.startIndex >= item.startIndex && r.node.endIndex <= item.endIndex) {
          text = text.slice(0, r.node.startIndex - item.startIndex) + r.newText + text.slice(r.node.endIndex - item.startIndex);
        }
      }
      return text;
    });
    const wrap = wrapped(module, list, items, append);
    if (wrap) return [wrap];
  }
  return [...replace.map((r) => replaceNode(r.node, r.newText)), ...(append.length > 0 ? [appendArguments(module, call, append)] : [])];
}

/** Adds keyword arguments at the end of a call's argument list. */
export function appendArguments(module: PythonModule, call: Node, args: readonly string[]): Edit {
  const list = field(call, 'arguments')!;
  const items = namedChildren(list).filter((n) => n.type !== 'comment');
  const close = list.endPosition; // just after ')'
  const closePos = { line: close.row, character: close.column - 1 };
  const oneLine = list.startPosition.row === list.endPosition.row;
  if (items.length === 0) return wrapped(module, list, [], args) ?? { range: { start: closePos, end: closePos }, newText: args.join(', ') };
  const last = items[items.length - 1];
  const between = module.text.slice(last.endIndex, list.endIndex - 1);
  const trailingComma = between.includes(',');
  const multiline = !oneLine && items.some((i) => i.startPosition.row !== list.startPosition.row);
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
  if (oneLine) {
    const wrap = wrapped(module, list, items.map((i) => i.text), args);
    if (wrap) return wrap;
  }
  if (trailingComma) {
    const commaOffset = last.endIndex + between.indexOf(',') + 1;
    const at = module.lines.position(commaOffset);
    return { range: { start: at, end: at }, newText: ' ' + args.join(', ') + ',' };
  }
  return { range: { start: lastEnd, end: lastEnd }, newText: ', ' + args.join(', ') };
}

/**
 * A one-line call that the new arguments would push past the project's line length is laid out as
 * Black and Ruff's formatter lay it out: the arguments on one indented line when they fit there, else
 * one per line with a trailing comma. Undefined when the line still fits.
 */
function wrapped(module: PythonModule, list: Node, items: readonly string[], args: readonly string[]): Edit | undefined {
  const all = [...items, ...args];
  const row = list.startPosition.row;
  const line = module.lines.lineText(row);
  const inside = module.text.slice(list.startIndex + 1, list.endIndex - 1);
  const width = line.replace(/\s+$/, '').length - inside.length + all.join(', ').length;
  if (width <= module.lineLength) return undefined;
  const indent = /^[ \t]*/.exec(line)![0];
  const inner = indent + (indent.includes('\t') ? '\t' : '    ');
  const eol = module.lines.eol();
  const hugged = inner + all.join(', ');
  const body = hugged.length <= module.lineLength ? hugged : all.map((a) => `${inner}${a},`).join(eol);
  const open = { line: row, character: list.startPosition.column + 1 };
  const closing = { line: list.endPosition.row, character: list.endPosition.column - 1 };
  return { range: { start: open, end: closing }, newText: `${eol}${body}${eol}${indent}` };
}

/**
 * Adds an import statement (`import os`, `from a.b import c`) unless the module already binds `boundName`;
 * undefined when present. It goes where isort and Ruff put it: into its section (future, standard
 * library, third party, local), in alphabetical order there, plain imports before `from` imports; a
 * section the module lacks is started with a blank line between it and the next one.
 */
export function ensureImport(module: PythonModule, statement: string, boundName: string): Edit | undefined {
  for (const [local, qualified] of module.imports.localNames()) if (local === boundName && qualified === boundName) return undefined;
  return insertImport(module, statement);
}

type Section = 0 | 1 | 2 | 3;

interface ImportLine {
  node: Node;
  section: Section;
  from: boolean;
  key: string;
}

function sectionOf(moduleName: string): Section {
  if (moduleName.startsWith('.')) return 3;
  const top = moduleName.split('.')[0];
  if (top === '__future__') return 0;
  return STDLIB_MODULES.has(top) ? 1 : 2;
}

function importLine(node: Node): ImportLine | undefined {
  if (node.type === 'future_import_statement') return { node, section: 0, from: true, key: '__future__' };
  if (node.type === 'import_from_statement') {
    const name = field(node, 'module_name')?.text ?? '';
    return { node, section: sectionOf(name), from: true, key: name.toLowerCase() };
  }
  if (node.type === 'import_statement') {
    const first = field(node, 'name');
    const name = (first?.type === 'aliased_import' ? field(first, 'name') : first)?.text ?? '';
    return { node, section: sectionOf(name), from: false, key: name.toLowerCase() };
  }
  return undefined;
}

function sortsBefore(a: { from: boolean; key: string }, b: { from: boolean; key: string }): boolean {
  return a.from !== b.from ? !a.from : a.key < b.key;
}

function insertImport(module: PythonModule, statement: string): Edit {
  const m = /^\s*(?:from\s+([.\w]+)\s+import|import\s+([\w.]+))/.exec(statement);
  const name = m?.[1] ?? m?.[2] ?? '';
  const ours = { section: sectionOf(name), from: m?.[1] !== undefined, key: name.toLowerCase() };
  const eol = module.lines.eol();
  const top = namedChildren(module.root);
  const imports: ImportLine[] = [];
  let docstring: Node | undefined;
  let firstCode: Node | undefined;
  for (const stmt of top) {
    if (stmt === top[0] && stmt.type === 'expression_statement' && stmt.namedChild(0)?.type === 'string') {
      docstring = stmt;
      continue;
    }
    const line = importLine(stmt);
    if (line) imports.push(line);
    else if (stmt.type !== 'comment') {
      firstCode = stmt;
      break;
    }
  }
  /** Into a section: just above `node`. A new section: above the heading comment of the next one too. */
  const before = (node: Node, text: string, newSection = false): Edit => {
    const at = { line: newSection ? leadingCommentsStart(module, top, node) : node.startPosition.row, character: 0 };
    return { range: { start: at, end: at }, newText: text };
  };
  const after = (node: Node, text: string): Edit => {
    const at = { line: node.endPosition.row, character: module.lines.lineText(node.endPosition.row).length };
    return { range: { start: at, end: at }, newText: text };
  };
  const same = imports.filter((i) => i.section === ours.section);
  const joined = ours.from ? joinFromImport(module, same, name, statement) : undefined;
  if (joined) return joined;
  if (same.length > 0) {
    const next = same.find((i) => sortsBefore(ours, i));
    return next ? before(next.node, statement + eol) : after(same[same.length - 1].node, eol + statement);
  }
  const later = imports.find((i) => i.section > ours.section);
  if (later) return before(later.node, statement + eol + eol, true);
  if (imports.length > 0) return after(imports[imports.length - 1].node, eol + eol + statement);
  if (docstring) return after(docstring, eol + eol + statement);
  if (firstCode) return before(firstCode, statement + eol + eol, true);
  const end = module.lines.position(module.text.length);
  return { range: { start: end, end }, newText: (module.text.length > 0 && end.character > 0 ? eol : '') + statement + eol };
}

/** `from a import b` joins an existing `from a import …` (as isort and Ruff merge them), in name order. */
function joinFromImport(module: PythonModule, imports: readonly ImportLine[], moduleName: string, statement: string): Edit | undefined {
  const wanted = /\bimport\s+(\w+)\s*$/.exec(statement)?.[1];
  if (!wanted) return undefined;
  for (const line of imports) {
    if (!line.from || field(line.node, 'module_name')?.text !== moduleName) continue;
    const names = line.node.childrenForFieldName('name').filter((n): n is Node => n !== null);
    if (names.length === 0) continue; // `from a import *`
    const next = names.find((n) => (n.type === 'aliased_import' ? field(n, 'name')?.text ?? '' : n.text) > wanted);
    if (next) {
      const at = module.lines.position(next.startIndex);
      return { range: { start: at, end: at }, newText: `${wanted}, ` };
    }
    const at = module.lines.position(names[names.length - 1].endIndex);
    return { range: { start: at, end: at }, newText: `, ${wanted}` };
  }
  return undefined;
}

/**
 * The first line of the comments directly above `node`: a section heading stays with its section. The
 * comments that open the file are its header (shebang, coding cookie, licence, description), not a heading.
 */
function leadingCommentsStart(module: PythonModule, top: readonly Node[], node: Node): number {
  let row = node.startPosition.row;
  for (let i = top.indexOf(node) - 1; i >= 0; i--) {
    const prev = top[i];
    if (prev.type !== 'comment' || prev.endPosition.row !== row - 1) break;
    if (module.lines.lineText(prev.startPosition.row).trimStart() !== prev.text.trimStart()) break; // a trailing comment of code
    if (top.slice(0, i).every((n) => n.type === 'comment')) break; // the file's header
    row = prev.startPosition.row;
  }
  return row;
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
