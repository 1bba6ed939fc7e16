// What an expression is, followed through the module with a depth bound: the call whose result it holds,
// a literal, a parameter, or a dict built in the code (`{...}`, `dict(...)`, `.update(...)`,
// `d["k"] = v`, `{**a, **b}`), and the keyword arguments a call receives through `**kwargs` when that
// dict is built locally. Rules ask the argument matcher (engine/calls.ts) through
// `resolvedCallArguments`, so a DataLoader written as `DataLoader(ds, **loader_kwargs)` is judged on the
// keys the dict holds; a key added under an `if` may be there or not, and is reported as unknown.
import { argument, callArguments, type CallArguments } from '../engine/calls';
import { contains, dottedName, endIndexOf, field, literalValue, namedChildren, NOT_LITERAL, parentOf, textOf, unwrap, type Node } from '../engine/syntax';
import { allParameterNames, bindingsAt } from './bindings';
import { callSitesOf } from './callsites';
import { KeyedFact } from './facts';
import type { PythonModule } from './module';

const MAX_DEPTH = 4;

export type Origin =
  | { kind: 'call'; call: Node; callee?: string }
  | { kind: 'literal'; node: Node }
  | { kind: 'dict'; shape: DictShape }
  | { kind: 'parameter'; parameter: Node; fn: Node }
  | { kind: 'unknown' };

export interface DictEntry {
  key: string;
  /** The expression the key is bound to (a dict value, a keyword of `.update(k=v)`, the right side of `d["k"] = v`). */
  value: Node;
  /** Bound on some paths only: added under an `if`, a loop or a `try`, or removed on some paths. */
  maybe: boolean;
}

export interface DictShape {
  readonly entries: ReadonlyMap<string, DictEntry>;
  /** Keys we cannot name may be there (a non-literal key, a dict passed to a function that may change it). */
  readonly open: boolean;
}

/**
 * What `expr` holds where `at` reads it: a call result, a literal, a dict built in the code, a
 * parameter, or 'unknown' when more than one binding reaches it or the chain is deeper than the bound.
 * Names are followed through `bindingsAt` (locals, enclosing functions, module level, `self.x` set in
 * any method of the class, `__init__` included).
 */
export function origin(module: PythonModule, expr: Node, at: Node = expr, depth = 0): Origin {
  if (depth > MAX_DEPTH) return { kind: 'unknown' };
  const n = unwrap(expr);
  if (n.type === 'dictionary' || isDictCall(module, n)) {
    const shape = dictShape(module, n, at, depth);
    return shape ? { kind: 'dict', shape } : { kind: 'unknown' };
  }
  if (n.type === 'call') return { kind: 'call', call: n, callee: module.callee(n) };
  if (n.type === 'identifier' || n.type === 'attribute') {
    const name = dottedName(n);
    if (!name) return { kind: 'unknown' };
    const bindings = bindingsAt(module, name, at);
    if (bindings.length !== 1) return { kind: 'unknown' };
    const b = bindings[0];
    if (b.kind === 'parameter') return { kind: 'parameter', parameter: b.parameter, fn: b.fn };
    if (b.kind !== 'value' || b.value.id === n.id) return { kind: 'unknown' };
    const value = unwrap(b.value);
    if (value.type === 'dictionary' || isDictCall(module, value)) {
      const shape = dictShape(module, n, at, depth);
      return shape ? { kind: 'dict', shape } : { kind: 'unknown' };
    }
    return origin(module, value, b.assignment, depth + 1);
  }
  return literalValue(n) !== NOT_LITERAL ? { kind: 'literal', node: n } : { kind: 'unknown' };
}

/**
 * Whether every value `expr` may hold passes `test`. A name (`x`, `self.x`) stands for the values of all its
 * bindings where it is read, followed the way `origin` follows one (false when nothing binds it, or when a
 * binding is a parameter or an unpacking that cannot be split); any other expression is `test`'s to judge,
 * and `test` may follow a part of it (a method's receiver, the frame a column is read from) with `follow`.
 * Bounded like `origin`: deeper than the bound is false.
 */
export function everyValue(module: PythonModule, expr: Node, test: (n: Node, follow: (part: Node) => boolean) => boolean, depth = 0): boolean {
  if (depth > MAX_DEPTH) return false;
  const n = unwrap(expr);
  const name = n.type === 'identifier' || n.type === 'attribute' ? dottedName(n) : undefined;
  if (name === undefined) return test(n, (part) => everyValue(module, part, test, depth + 1));
  const bindings = bindingsAt(module, name, n);
  return bindings.length > 0 && bindings.every((b) => b.kind === 'value' && everyValue(module, b.value, test, depth + 1));
}

function isDictCall(module: PythonModule, n: Node): boolean {
  if (n.type !== 'call') return false;
  const fn = field(n, 'function');
  return fn?.type === 'identifier' && textOf(fn) === 'dict' && module.callee(n) === undefined;
}

/**
 * The keys a dict expression holds where `at` reads it, or undefined when it is not a dict we can
 * follow (a parameter, a call result, a comprehension, a name bound more than once on different paths).
 */
export function dictShape(module: PythonModule, expr: Node, at: Node = expr, depth = 0): DictShape | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const n = unwrap(expr);
  if (n.type === 'dictionary') return literalShape(module, n, at, depth);
  if (isDictCall(module, n)) return dictCallShape(module, n, at, depth);
  if (n.type === 'conditional_expression') return eitherShape(module, n, at, depth);
  if (n.type === 'identifier' || (n.type === 'attribute' && /^self\.\w+$/.test(dottedName(n) ?? ''))) return nameShape(module, dottedName(n)!, at, depth);
  return undefined;
}

class ShapeBuilder {
  readonly entries = new Map<string, DictEntry>();
  open = false;

  set(key: string, value: Node, maybe: boolean): void {
    const known = this.entries.get(key);
    // A conditional write over a key that is surely there leaves it surely there (with one of two values).
    this.entries.set(key, { key, value, maybe: maybe && (known === undefined || known.maybe) });
  }

  merge(shape: DictShape, maybe: boolean): void {
    for (const e of shape.entries.values()) this.set(e.key, e.value, maybe || e.maybe);
    this.open ||= shape.open;
  }

  remove(key: string, maybe: boolean): void {
    const known = this.entries.get(key);
    if (!known) return;
    if (maybe) this.entries.set(key, { ...known, maybe: true });
    else this.entries.delete(key);
  }

  build(): DictShape {
    return { entries: this.entries, open: this.open };
  }
}

/** `{"a": 1, **other}` */
function literalShape(module: PythonModule, dict: Node, at: Node, depth: number): DictShape | undefined {
  const out = new ShapeBuilder();
  for (const item of namedChildren(dict)) {
    if (item.type === 'comment') continue;
    if (item.type === 'pair') {
      const key = literalValue(field(item, 'key'));
      const value = field(item, 'value');
      if (typeof key === 'string' && value) out.set(key, value, false);
      else out.open = true;
    } else if (item.type === 'dictionary_splat') {
      const inner = item.namedChild(0);
      const shape = inner ? dictShape(module, inner, at, depth + 1) : undefined;
      if (shape) out.merge(shape, false);
      else out.open = true;
    } else {
      out.open = true;
    }
  }
  return out.build();
}

/** `{"num_workers": 4} if use_cuda else {}`: a key in both branches is there; a key in one may be. */
function eitherShape(module: PythonModule, n: Node, at: Node, depth: number): DictShape | undefined {
  const parts = namedChildren(n).filter((c) => c.type !== 'comment');
  if (parts.length !== 3) return undefined;
  const a = dictShape(module, parts[0], at, depth + 1);
  const b = dictShape(module, parts[2], at, depth + 1);
  if (!a || !b) return undefined;
  const out = new ShapeBuilder();
  for (const e of a.entries.values()) {
    const other = b.entries.get(e.key);
    out.set(e.key, e.value, !other || e.maybe || other.maybe);
  }
  for (const e of b.entries.values()) if (!a.entries.has(e.key)) out.set(e.key, e.value, true);
  out.open = a.open || b.open;
  return out.build();
}

/** `dict(other, a=1, **more)` */
function dictCallShape(module: PythonModule, call: Node, at: Node, depth: number): DictShape | undefined {
  const out = new ShapeBuilder();
  const args = callArguments(call);
  if (args.positional.length > 1 || args.starIndex >= 0) return undefined;
  if (args.positional[0]) {
    const shape = dictShape(module, args.positional[0], at, depth + 1);
    if (!shape) return undefined;
    out.merge(shape, false);
  }
  addKeywords(module, out, call, at, depth, false);
  return out.build();
}

/** The keywords and `**splats` of a call (`dict(...)`, `d.update(...)`) written into the shape. */
function addKeywords(module: PythonModule, out: ShapeBuilder, call: Node, at: Node, depth: number, maybe: boolean): void {
  const list = field(call, 'arguments');
  for (const arg of list ? namedChildren(list) : []) {
    if (arg.type === 'keyword_argument') {
      const name = field(arg, 'name');
      const value = field(arg, 'value');
      if (name && value) out.set(textOf(name), value, maybe);
    } else if (arg.type === 'dictionary_splat') {
      const inner = arg.namedChild(0);
      const shape = inner ? dictShape(module, inner, at, depth + 1) : undefined;
      if (shape) out.merge(shape, maybe);
      else out.open = true;
    }
  }
}

/** Built-ins that read a dict without changing it. */
const READS = new Set(['print', 'len', 'str', 'repr', 'dict', 'list', 'sorted', 'bool', 'isinstance', 'enumerate', 'zip', 'format']);

/**
 * A name bound to a dict: its binding before `at` in the same scope, then every change made to it
 * between that binding and `at` (`.update`, `[k] = v`, `.setdefault`, `.pop`, `del d[k]`, `|=`).
 * A change under a compound statement that does not also hold `at` happens on some paths only.
 */
function nameShape(module: PythonModule, name: string, at: Node, depth: number): DictShape | undefined {
  const bindings = bindingsAt(module, name, at);
  if (bindings.length === 0 || bindings.some((b) => b.kind !== 'value')) return undefined;
  const values = bindings as Array<Extract<(typeof bindings)[number], { kind: 'value' }>>;
  const isSelf = name.startsWith('self.');
  const scopeOf = (n: Node) => (isSelf ? module.enclosingClass(n) : module.enclosingFunction(n));
  const scope = scopeOf(values[0].assignment);
  // Read in the scope that builds it: the bindings before the read, and the changes between them and it.
  // Read elsewhere (a module-level dict in a function, `self.x` in another method): one binding, and every
  // change to it may or may not have run.
  const sameScope = !isSelf && scope?.id === module.enclosingFunction(at)?.id;
  const before = sameScope ? values.filter((b) => b.assignment.startIndex < at.startIndex) : values;
  if (before.length === 0 || (!sameScope && before.length > 1)) return undefined;
  const last = before[before.length - 1];
  if (contains(last.value, at)) return undefined;
  const out = new ShapeBuilder();
  const lastSure = !sameScope || unconditionalFor(module, last.assignment, at);
  for (const b of lastSure ? [last] : before) {
    // `kwargs = {...}` on one branch, `kwargs = {...}` on the other: every key may be there.
    const shape = dictShape(module, b.value, b.assignment, depth + 1);
    if (!shape) return undefined;
    out.merge(shape, !lastSure);
  }
  const from = lastSure ? endIndexOf(last.assignment) : endIndexOf(before[0].assignment);
  for (const ref of module.referencesTo(name)) {
    if (contains(ref, at) || contains(at, ref) || scopeOf(ref)?.id !== scope?.id) continue;
    if (sameScope && (ref.startIndex < from || ref.startIndex >= at.startIndex)) continue;
    if (!sameScope && values.some((b) => contains(b.assignment, ref))) continue;
    const maybe = !sameScope || !unconditionalFor(module, ref, at);
    if (!applyUse(module, out, ref, at, depth, maybe)) out.open = true;
  }
  return out.build();
}

/** Applies one use of the dict name to the shape; false when the use may change it in a way we cannot follow. */
function applyUse(module: PythonModule, out: ShapeBuilder, ref: Node, at: Node, depth: number, maybe: boolean): boolean {
  const parent = parentOf(ref);
  if (!parent) return true;
  // `d.update(...)`, `d.setdefault(k, v)`, `d.pop(k)`, `d.get(k)`, `d.items()`.
  if (parent.type === 'attribute' && field(parent, 'object')?.id === ref.id) {
    const method = textOf(field(parent, 'attribute') ?? parent);
    const call = parentOf(parent);
    if (call?.type !== 'call' || field(call, 'function')?.id !== parent.id) return true;
    const args = callArguments(call);
    switch (method) {
      case 'update': {
        if (args.positional.length > 1 || args.starIndex >= 0) return false;
        if (args.positional[0]) {
          const shape = dictShape(module, args.positional[0], call, depth + 1);
          if (!shape) return false;
          out.merge(shape, maybe);
        }
        addKeywords(module, out, call, at, depth, maybe);
        return true;
      }
      case 'setdefault': {
        const key = literalValue(args.positional[0]);
        if (typeof key !== 'string' || !args.positional[1]) return false;
        if (!out.entries.has(key)) out.set(key, args.positional[1], maybe);
        return true;
      }
      case 'pop': {
        const key = literalValue(args.positional[0]);
        if (typeof key !== 'string') return false;
        out.remove(key, maybe);
        return true;
      }
      case 'get': case 'items': case 'keys': case 'values': case 'copy': case '__contains__':
        return true;
      default:
        return false;
    }
  }
  // `d["k"] = v`, `del d["k"]`, a read `d["k"]`.
  if (parent.type === 'subscript' && field(parent, 'value')?.id === ref.id) {
    const key = literalValue(field(parent, 'subscript'));
    const holder = parentOf(parent);
    if (holder?.type === 'assignment' && field(holder, 'left')?.id === parent.id) {
      const value = field(holder, 'right');
      if (typeof key !== 'string' || !value) return false;
      out.set(key, value, maybe);
      return true;
    }
    if (holder?.type === 'delete_statement' || holder?.type === 'augmented_assignment') {
      if (typeof key !== 'string') return false;
      if (holder.type === 'delete_statement') out.remove(key, maybe);
      return true;
    }
    return true;
  }
  // `d |= {...}`
  if (parent.type === 'augmented_assignment' && field(parent, 'left')?.id === ref.id) {
    const right = field(parent, 'right');
    const shape = right && textOf(parent).includes('|=') ? dictShape(module, right, parent, depth + 1) : undefined;
    if (!shape) return false;
    out.merge(shape, maybe);
    return true;
  }
  // `f(**d)` reads it; `print(d)` / `len(d)` read it; any other call may change it.
  if (parent.type === 'dictionary_splat') return true;
  if (parent.type === 'argument_list') {
    const call = parentOf(parent);
    const fn = call && field(call, 'function');
    return !!fn && fn.type === 'identifier' && READS.has(textOf(fn));
  }
  if (parent.type === 'keyword_argument') return false;
  // A new binding is handled by bindingsAt; reads in expressions (`"k" in d`, `x = d`) leave it alone
  // unless it escapes into another name, which could then be changed.
  if (parent.type === 'assignment' && field(parent, 'right')?.id === ref.id) return false;
  return true;
}

/** Statement-level control flow between the change and the scope: a change under one of these happens on some paths only. */
const BRANCHING = new Set(['if_statement', 'elif_clause', 'else_clause', 'for_statement', 'while_statement', 'try_statement', 'except_clause', 'finally_clause', 'match_statement', 'case_clause', 'conditional_expression', 'boolean_operator', 'with_statement']);

/** True when `node` runs on every path that reaches `at`: every branching statement around `node` also holds `at`. */
function unconditionalFor(module: PythonModule, node: Node, at: Node): boolean {
  const scope = module.enclosingFunction(node);
  for (let p = parentOf(node); p && p.id !== scope?.id; p = parentOf(p)) {
    // `with` always runs its body; the other statements may not.
    if (p.type === 'with_statement' || p.type === 'finally_clause') continue;
    if (BRANCHING.has(p.type) && !contains(p, at)) return false;
  }
  return true;
}

const resolvedArgumentsCache = new KeyedFact<number, CallArguments>();

/**
 * The arguments of a call with every `**name` whose dict is built locally read into its keywords:
 * keys bound on every path become keywords (their value nodes sit in the dict, so `spread` is set on
 * them); keys bound on some paths only are `maybeKeywords`; `hasKwargs` stays true only when some
 * splat could still carry keys we cannot name. Explicit keywords win over the dict's.
 */
export function resolvedCallArguments(module: PythonModule, call: Node): CallArguments {
  const base = callArguments(call);
  if (!base.hasKwargs) return base;
  return resolvedArgumentsCache.get(module, call.id, () => {
    const keywords = new Map(base.keywords);
    const maybeKeywords = new Map<string, Node>();
    const spreadKeywords = new Set<string>();
    let open = false;
    const list = field(call, 'arguments');
    for (const arg of list ? namedChildren(list) : []) {
      if (arg.type !== 'dictionary_splat') continue;
      const inner = arg.namedChild(0);
      const shape = inner ? dictShape(module, inner, call) : undefined;
      if (!shape) {
        open = true;
        continue;
      }
      open ||= shape.open;
      for (const e of shape.entries.values()) {
        if (base.keywords.has(e.key)) continue;
        if (e.maybe) maybeKeywords.set(e.key, e.value);
        else {
          keywords.set(e.key, e.value);
          spreadKeywords.add(e.key);
        }
      }
    }
    return { ...base, keywords, hasKwargs: open, maybeKeywords, spreadKeywords };
  });
}

/**
 * What a layer size is (`nn.Linear(784, hidden)`): the integers it may hold, followed through names bound
 * once or on several paths (`in_channels = 1` or `3`), arithmetic, `a if c else b`, and parameters (their
 * default and what every local call passes, `TinyVGG(hidden_units=10)`); `derived` when it is read off the
 * data or the command line (`len(classes)`, `int(np.prod(img_shape))`, `opt.latent_dim`), which sizes an
 * input or output edge, not a hidden width; `unknown` otherwise (a parameter some caller fills from
 * elsewhere, a width set by a config).
 */
export type SizeValue = { kind: 'ints'; values: number[] } | { kind: 'derived' } | { kind: 'unknown' };

const MAX_SIZE_VALUES = 16;
/** Sizes are often built in steps (`THETA_SIZE = INPUT_SIZE + HORIZON`, `INPUT_SIZE = WINDOW_SIZE * HORIZON`). */
const MAX_SIZE_DEPTH = 8;

export function sizeValues(module: PythonModule, expr: Node, at: Node = expr, depth = 0): SizeValue {
  const unknown: SizeValue = { kind: 'unknown' };
  if (depth > MAX_SIZE_DEPTH) return unknown;
  const n = unwrap(expr);
  if (n.type === 'integer') return { kind: 'ints', values: [Number(textOf(n).replace(/_/g, ''))] };
  if (n.type === 'binary_operator') {
    const op = textOf(field(n, 'operator') ?? n);
    const l = sizeValues(module, field(n, 'left')!, at, depth + 1);
    const r = sizeValues(module, field(n, 'right')!, at, depth + 1);
    if (l.kind !== 'ints' || r.kind !== 'ints') return l.kind === 'unknown' || r.kind === 'unknown' ? unknown : { kind: 'derived' };
    const apply = (a: number, b: number) => (op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : op === '//' && b !== 0 ? Math.floor(a / b) : NaN);
    const values = l.values.flatMap((a) => r.values.map((b) => apply(a, b)));
    return values.some(Number.isNaN) ? unknown : { kind: 'ints', values: [...new Set(values)].slice(0, MAX_SIZE_VALUES) };
  }
  if (n.type === 'conditional_expression') {
    const [a, , b] = namedChildren(n);
    return mergeSizes([sizeValues(module, a, at, depth + 1), sizeValues(module, b, at, depth + 1)]);
  }
  if (n.type === 'call') {
    const callee = module.callee(n) ?? textOf(field(n, 'function') ?? n);
    if (/^(len|numpy\.prod|math\.prod)$/.test(callee)) return { kind: 'derived' };
    if (callee === 'int' && field(n, 'arguments')) {
      const inner = namedChildren(field(n, 'arguments')!)[0];
      return inner ? sizeValues(module, inner, at, depth + 1) : unknown;
    }
    return unknown;
  }
  if (n.type === 'subscript') {
    // `x_train.shape[1]` is the data's width; `hidden_units[-1]` an element of a list of sizes.
    const value = field(n, 'value');
    if (value?.type === 'attribute' && textOf(field(value, 'attribute') ?? value) === 'shape') return { kind: 'derived' };
    return value ? listSizes(module, value, at, depth + 1) : unknown;
  }
  if (n.type === 'attribute') {
    // `opt.latent_dim`, `args.num_classes`: an argparse namespace sizes the data's edges.
    const object = field(n, 'object');
    if (object?.type === 'identifier' && /^(opt|args|arguments|options|flags|FLAGS|hparams)$/.test(textOf(object))) return { kind: 'derived' };
    if (!textOf(n).startsWith('self.')) return unknown;
  }
  if (n.type !== 'identifier' && n.type !== 'attribute') return unknown;
  const name = dottedName(n);
  if (!name) return unknown;
  const bindings = bindingsAt(module, name, at);
  if (bindings.length === 0) {
    // `for hidden_unit in hidden_units:` around the layer.
    for (let p = parentOf(at); p; p = parentOf(p)) {
      if (p.type !== 'for_statement' || textOf(field(p, 'left') ?? p) !== name) continue;
      const right = field(p, 'right');
      return right ? listSizes(module, right, p, depth + 1) : unknown;
    }
    return unknown;
  }
  const parts: SizeValue[] = [];
  for (const b of bindings) {
    if (b.kind === 'opaque') return unknown;
    if (b.kind === 'value') {
      if (b.value.id === n.id) return unknown;
      parts.push(sizeValues(module, b.value, b.assignment, depth + 1));
      continue;
    }
    parts.push(parameterSizes(module, b.parameter, b.fn, name, depth));
  }
  return mergeSizes(parts);
}

/** A parameter's default and the value each local call passes; unknown with no call site or a `*args`/`**kwargs` one. */
function parameterSizes(module: PythonModule, parameter: Node, fn: Node, name: string, depth: number): SizeValue {
  const parts: SizeValue[] = [];
  const dflt = parameter.type === 'default_parameter' || parameter.type === 'typed_default_parameter' ? field(parameter, 'value') : undefined;
  const names = allParameterNames(fn);
  let index = names.indexOf(name);
  if (module.enclosingClass(fn) && (names[0] === 'self' || names[0] === 'cls')) index -= 1;
  const sites = callSitesOf(module, fn);
  if (sites.length === 0 && !dflt) return { kind: 'unknown' };
  let defaulted = sites.length === 0;
  for (const site of sites) {
    const args = callArguments(site);
    const a = argument(args, name, index);
    if (a.kind === 'present') parts.push(sizeValues(module, a.node, site, depth + 1));
    else if (args.hasKwargs || args.starIndex >= 0) return { kind: 'unknown' };
    else defaulted = true;
  }
  if (defaulted) parts.push(dflt ? sizeValues(module, dflt, dflt, depth + 1) : { kind: 'unknown' });
  return mergeSizes(parts);
}

function mergeSizes(parts: SizeValue[]): SizeValue {
  if (parts.length === 0 || parts.some((p) => p.kind === 'unknown')) return { kind: 'unknown' };
  if (parts.some((p) => p.kind === 'derived')) return { kind: 'derived' };
  const values = new Set<number>();
  for (const p of parts) if (p.kind === 'ints') p.values.forEach((v) => values.add(v));
  return { kind: 'ints', values: [...values].slice(0, MAX_SIZE_VALUES) };
}

/** The sizes a list holds (`[8, 4]`, or a name bound to one). */
function listSizes(module: PythonModule, expr: Node, at: Node, depth: number): SizeValue {
  if (depth > MAX_SIZE_DEPTH) return { kind: 'unknown' };
  const n = unwrap(expr);
  if (n.type === 'list' || n.type === 'tuple') return mergeSizes(namedChildren(n).filter((c) => c.type !== 'comment').map((c) => sizeValues(module, c, at, depth + 1)));
  // `image_size = ds[0][0].shape`: the data's dimensions.
  if (n.type === 'attribute' && textOf(field(n, 'attribute') ?? n) === 'shape') return { kind: 'derived' };
  if (n.type !== 'identifier') return { kind: 'unknown' };
  const bindings = bindingsAt(module, textOf(n), at);
  if (bindings.length === 0 || bindings.some((b) => b.kind !== 'value')) return { kind: 'unknown' };
  return mergeSizes(bindings.map((b) => (b.kind === 'value' ? listSizes(module, b.value, b.assignment, depth + 1) : { kind: 'unknown' })));
}
