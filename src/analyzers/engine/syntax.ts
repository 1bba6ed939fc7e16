// Small helpers over tree-sitter nodes: null-free child access, ranges, literal values, dotted names.
import type { Node } from 'web-tree-sitter';
import type { Range } from '../../shared/findings';

export type { Node };

// web-tree-sitter stores a node's start but asks wasm for its end, text, fields and parent on every
// access; rules ask "is this inside that" and "what is this called" thousands of times per file, so these
// are memoised per tree. A tree is only `edit()`ed by the editor after its analysis is over, so the memo
// never goes stale.
interface TreeMemo {
  end: Map<number, number>;
  text: Map<number, string>;
  field: Map<number, Node | null>;
  parent: Map<number, Node | null>;
  /** calledMethod per call: rules ask it of every call they look at, often of the same calls. */
  method: Map<number, string | null>;
  namedChildren: Map<number, Node[]>;
}
const treeMemos = new WeakMap<object, TreeMemo>();
/** The tree analysed last and its memo: nearly every lookup is for the same tree as the one before. */
let lastTree: object | undefined;
let lastMemo: TreeMemo | undefined;
/** Field names as small numbers, so a memo key is one number (node ids are wasm addresses, < 2^32). */
const FIELD_IDS = new Map<string, number>();

function memoFor(node: Node): TreeMemo {
  if (node.tree === lastTree) return lastMemo!;
  let m = treeMemos.get(node.tree);
  if (!m) treeMemos.set(node.tree, (m = { end: new Map(), text: new Map(), field: new Map(), parent: new Map(), method: new Map(), namedChildren: new Map() }));
  lastTree = node.tree;
  lastMemo = m;
  return m;
}

/** A node's named children, read once per node: the list is shared (frozen), so callers copy before changing it. */
export function namedChildren(node: Node): Node[] {
  const m = memoFor(node).namedChildren;
  let children = m.get(node.id);
  if (!children) m.set(node.id, (children = Object.freeze(node.namedChildren.filter((c): c is Node => c !== null)) as Node[]));
  return children;
}

export function field(node: Node, name: string): Node | undefined {
  const m = memoFor(node).field;
  let fieldId = FIELD_IDS.get(name);
  if (fieldId === undefined) FIELD_IDS.set(name, (fieldId = FIELD_IDS.size));
  const key = node.id * 64 + fieldId;
  if (m.has(key)) return m.get(key) ?? undefined;
  const child = node.childForFieldName(name) ?? null;
  m.set(key, child);
  return child ?? undefined;
}

/** A node's parent, memoised like `field` (each access is a call into wasm). */
export function parentOf(node: Node): Node | undefined {
  const m = memoFor(node).parent;
  if (m.has(node.id)) return m.get(node.id) ?? undefined;
  const p = node.parent;
  m.set(node.id, p);
  return p ?? undefined;
}

export function nodeRange(node: Node): Range {
  return {
    start: { line: node.startPosition.row, character: node.startPosition.column },
    end: { line: node.endPosition.row, character: node.endPosition.column },
  };
}

/** Strips redundant parentheses: `(x)` -> `x`. */
export function unwrap(node: Node): Node {
  let n = node;
  while (n.type === 'parenthesized_expression' && n.namedChildCount === 1) n = n.namedChild(0)!;
  return n;
}

export type Literal = number | boolean | null | string;
export const NOT_LITERAL = Symbol('not a literal');

/** The value of a literal expression (`0`, `-1`, `True`, `None`, `"x"`), or NOT_LITERAL. */
export function literalValue(node: Node | undefined): Literal | typeof NOT_LITERAL {
  if (!node) return NOT_LITERAL;
  const n = unwrap(node);
  switch (n.type) {
    case 'integer': {
      const v = Number(n.text.replace(/_/g, '').replace(/[lL]$/, ''));
      return Number.isFinite(v) ? v : NOT_LITERAL;
    }
    case 'float': {
      const v = Number(n.text.replace(/_/g, ''));
      return Number.isFinite(v) ? v : NOT_LITERAL;
    }
    case 'true':
      return true;
    case 'false':
      return false;
    case 'none':
      return null;
    case 'string': {
      if (n.namedChildren.some((c) => c?.type === 'interpolation')) return NOT_LITERAL;
      const content = namedChildren(n).find((c) => c.type === 'string_content');
      return content ? content.text : '';
    }
    case 'concatenated_string': {
      // `'https://host/' 'path/file.csv'`: adjacent literals are one string to Python.
      const parts = namedChildren(n).filter((c) => c.type !== 'comment').map((c) => literalValue(c));
      return parts.every((p): p is string => typeof p === 'string') ? parts.join('') : NOT_LITERAL;
    }
    case 'unary_operator': {
      const arg = field(n, 'argument');
      const op = n.child(0)?.text;
      const v = literalValue(arg);
      if (typeof v === 'number') return op === '-' ? -v : op === '+' ? v : NOT_LITERAL;
      return NOT_LITERAL;
    }
    default:
      return NOT_LITERAL;
  }
}

/** `a.b.c` for identifier/attribute chains, undefined for anything else (calls, subscripts). */
export function dottedName(node: Node): string | undefined {
  const n = unwrap(node);
  if (n.type === 'identifier') return n.text;
  if (n.type === 'attribute') {
    const object = field(n, 'object');
    const attr = field(n, 'attribute');
    if (!object || !attr) return undefined;
    const head = dottedName(object);
    return head === undefined ? undefined : `${head}.${attr.text}`;
  }
  return undefined;
}

/** The method name of a call like `x.y.backward()` -> 'backward'. */
export function calledMethod(call: Node): string | undefined {
  const m = memoFor(call).method;
  const known = m.get(call.id);
  if (known !== undefined) return known ?? undefined;
  const fn = field(call, 'function');
  const attr = fn && fn.type === 'attribute' ? field(fn, 'attribute') : undefined;
  const method = attr ? textOf(attr) : undefined;
  m.set(call.id, method ?? null);
  return method;
}

/** The receiver of a method call: `opt.step()` -> node `opt`. */
export function methodReceiver(call: Node): Node | undefined {
  const fn = field(call, 'function');
  if (!fn || fn.type !== 'attribute') return undefined;
  return field(fn, 'object');
}

export function endIndexOf(node: Node): number {
  const m = memoFor(node).end;
  let end = m.get(node.id);
  if (end === undefined) m.set(node.id, (end = node.endIndex));
  return end;
}

export function textOf(node: Node): string {
  const m = memoFor(node).text;
  let text = m.get(node.id);
  if (text === undefined) m.set(node.id, (text = node.text));
  return text;
}

export function contains(outer: Node, inner: Node): boolean {
  return outer.startIndex <= inner.startIndex && endIndexOf(inner) <= endIndexOf(outer);
}

/** Nearest ancestor of one of the given types. */
export function ancestorOfType(node: Node, types: readonly string[]): Node | undefined {
  for (let p = parentOf(node); p; p = parentOf(p)) if (types.includes(p.type)) return p;
  return undefined;
}

/** The statement (direct child of a block or module) that holds a node. */
export function enclosingStatement(node: Node): Node {
  let n = node;
  for (let p = parentOf(n); p && p.type !== 'block' && p.type !== 'module'; p = parentOf(n)) n = p;
  return n;
}

/** Leading whitespace of the line a node starts on. */
export function indentOf(lineText: string): string {
  return /^[ \t]*/.exec(lineText)![0];
}
