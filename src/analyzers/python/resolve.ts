// Light data-flow for the early-stopping rules: what a name is bound to in its scope, what a callbacks
// list holds (literals, `.append`, `+=`, factory functions), integer constants, and how to spell an
// imported name in the module's own import style. Anything we cannot follow is 'unknown', and rules
// stay silent on 'unknown' (docs/analysis.md, trap 8: callback lists are often assembled elsewhere).
import type { Edit } from '../../shared/findings';
import { argument, callArguments, type ArgLookup } from '../engine/calls';
import { calledMethod, dottedName, field, literalValue, methodReceiver, namedChildren, NOT_LITERAL, parentOf, textOf, unwrap, type Literal, type Node } from '../engine/syntax';
import { allParameterNames } from './bindings';
import { parameterDefault } from './callsites';
import { origin } from './provenance';
import { appendArguments, ensureImport } from './edits';
import { KeyedFact, ModuleFact } from './facts';
import type { PythonModule } from './module';

export type Tri = 'yes' | 'no' | 'unknown';

const MAX_DEPTH = 4;

/** The scope (function or module) that `node` runs in. */
function scopeOf(module: PythonModule, node: Node): Node | undefined {
  return module.enclosingFunction(node);
}

/** Assignments `name = value` in the same scope as `at`, in source order. */
function assignmentsOf(module: PythonModule, name: string, scope: Node | undefined): Node[] {
  return module.assignmentsTo(name).filter((a) => {
    const left = field(a, 'left');
    if (!left || dottedName(left) !== name) return false;
    const s = scopeOf(module, a);
    return (s?.id ?? -1) === (scope?.id ?? -1);
  });
}

/**
 * The expression a name is bound to where `at` reads it: the last assignment before `at` in the same
 * function, else a module-level assignment. Undefined for parameters, loop targets and the like.
 */
export function bindingValue(module: PythonModule, name: string, at: Node): Node | undefined {
  const scope = scopeOf(module, at);
  const before = assignmentsOf(module, name, scope).filter((a) => a.startIndex < at.startIndex);
  const local = before[before.length - 1];
  if (local) return field(local, 'right');
  if (scope) {
    if (allParameterNames(scope).includes(name)) return undefined;
    // Assigned later in the function only (a loop): not something we can follow.
    if (assignmentsOf(module, name, scope).length > 0) return undefined;
    const outer = module.enclosingFunction(scope);
    if (outer) return bindingValue(module, name, scope);
  }
  if (!scope) return undefined;
  const top = assignmentsOf(module, name, undefined);
  return top.length === 1 ? field(top[0], 'right') : undefined;
}

/** Integer/float/None/bool/string value of an argument, following a module constant such as `EPOCHS = 50`. */
export function constantValue(module: PythonModule, node: Node | undefined, at?: Node): Literal | typeof NOT_LITERAL {
  if (!node) return NOT_LITERAL;
  const v = literalValue(node);
  if (v !== NOT_LITERAL) return v;
  const n = unwrap(node);
  if (n.type === 'identifier') {
    const value = bindingValue(module, n.text, at ?? n);
    if (value && value.id !== n.id) return literalValue(value);
  }
  return NOT_LITERAL;
}

/** The parsed command-line options object (`args.lr`, `opt.n_cpu`, `cfg.workers`). */
export const OPTIONS_OBJECT = /^(args|opt|opts|options|flags|hparams|cfg|config|hp)\.\w+$/;

/**
 * The `default=` of the argparse option that `args.x` reads (`add_argument("--x", default=0)`, also through
 * `dest=`), when nothing in the module assigns `args.x` and every option of that name agrees on it.
 */
export function optionDefault(module: PythonModule, name: string): Node | undefined {
  if (!OPTIONS_OBJECT.test(name) || module.assignmentsTo(name).length > 0) return undefined;
  const option = name.slice(name.lastIndexOf('.') + 1);
  const defaults: Node[] = [];
  for (const c of module.methodCalls('add_argument')) {
    const args = callArguments(c);
    const dest = args.keywords.get('dest');
    const names = dest ? [literalValue(dest)] : args.positional.map((p) => literalValue(p));
    if (!names.some((v) => typeof v === 'string' && v.replace(/^-+/, '').replace(/-/g, '_') === option)) continue;
    const dflt = args.keywords.get('default');
    if (!dflt) return undefined;
    defaults.push(dflt);
  }
  return defaults.length > 0 && defaults.every((d) => textOf(d) === textOf(defaults[0])) ? defaults[0] : undefined;
}

/**
 * The value of a setting: a literal, a name bound to one (`num_workers = 0`, in an earlier notebook cell too),
 * the default of the command-line option it reads (`args.dataloader_num_workers` with `default=0`), or the
 * default of the parameter it comes from when no local call passes that parameter.
 */
export function settingValue(module: PythonModule, node: Node, at?: Node): Literal | typeof NOT_LITERAL {
  const v = constantValue(module, node, at);
  if (v !== NOT_LITERAL) return v;
  const name = dottedName(unwrap(node));
  const dflt = name ? optionDefault(module, name) : undefined;
  if (dflt) return literalValue(dflt);
  // `self._num_workers` set in `__init__` from `num_workers: int = 0` that no local caller passes.
  const o = origin(module, node, at ?? node);
  if (o.kind === 'literal') return literalValue(o.node);
  if (o.kind !== 'parameter') return NOT_LITERAL;
  const paramName = o.parameter.type === 'identifier' ? textOf(o.parameter) : textOf(field(o.parameter, 'name') ?? o.parameter);
  const pd = parameterDefault(module, o.fn, paramName);
  return pd ? literalValue(pd) : NOT_LITERAL;
}

export type ArgValue = Literal | 'absent' | 'unknown';

/** The constant value of an argument lookup: 'absent', 'unknown' (not a constant or maybe in **kwargs), or the value. */
export function argConstant(module: PythonModule, lookup: ArgLookup): ArgValue {
  if (lookup.kind === 'absent') return 'absent';
  if (lookup.kind === 'unknown') return 'unknown';
  const v = constantValue(module, lookup.node);
  return v === NOT_LITERAL ? 'unknown' : v;
}

/** Value of an enum-like argument: `"epoch"`, `IntervalStrategy.EPOCH` and `"EPOCH"` all read `epoch`. */
export function strategyValue(module: PythonModule, lookup: ArgLookup): string | 'absent' | 'unknown' {
  if (lookup.kind !== 'present') return lookup.kind;
  const v = constantValue(module, lookup.node);
  if (typeof v === 'string') return v.toLowerCase();
  if (v === null) return 'absent';
  const n = unwrap(lookup.node);
  if (n.type === 'attribute' && /Strategy$/.test(dottedName(field(n, 'object')!) ?? '')) return field(n, 'attribute')!.text.toLowerCase();
  return 'unknown';
}

export interface ResolvedList {
  kind: 'known';
  /** The elements, each with the node whose scope it is read in (and its module, when that is another file). */
  elements: Array<{ node: Node; at: Node; module?: PythonModule }>;
  /** The list literal the elements start from, where a fix can add one. */
  literal?: Node;
}

/**
 * What a list expression holds: a literal, a name bound to one (plus `.append`/`.extend`/`.insert`
 * and `+=` on it in the same scope), `a + b`, `None`, or the return value of a local factory function.
 */
/**
 * The elements of a list expression. With `acrossModules`, a list returned by a factory function imported
 * from another project module (`callbacks=make_callbacks()`) is read there too; its elements then carry
 * that module, so only presence checks (not edits) should ask for it.
 */
export function resolveList(module: PythonModule, expr: Node, at: Node, depth = 0, acrossModules = false): ResolvedList | { kind: 'unknown' } {
  if (depth > MAX_DEPTH) return { kind: 'unknown' };
  const n = unwrap(expr);
  if (n.type === 'none') return { kind: 'known', elements: [] };
  if (n.type === 'list' || n.type === 'tuple') {
    const elements: Array<{ node: Node; at: Node }> = [];
    for (const el of namedChildren(n)) {
      if (el.type === 'comment') continue;
      if (el.type === 'list_splat') {
        const inner = el.namedChild(0);
        const r = inner ? resolveList(module, inner, at, depth + 1, acrossModules) : { kind: 'unknown' as const };
        if (r.kind === 'unknown') return r;
        elements.push(...r.elements);
      } else {
        elements.push({ node: el, at });
      }
    }
    return { kind: 'known', elements, literal: n.type === 'list' ? n : undefined };
  }
  if (n.type === 'binary_operator' && n.child(1)?.text === '+') {
    const l = resolveList(module, field(n, 'left')!, at, depth + 1, acrossModules);
    const r = resolveList(module, field(n, 'right')!, at, depth + 1, acrossModules);
    if (l.kind === 'unknown' || r.kind === 'unknown') return { kind: 'unknown' };
    return { kind: 'known', elements: [...l.elements, ...r.elements] };
  }
  if (n.type === 'identifier') {
    const value = bindingValue(module, n.text, at);
    if (!value) return { kind: 'unknown' };
    const base = resolveList(module, value, value, depth + 1, acrossModules);
    if (base.kind === 'unknown') return base;
    const more = mutations(module, n.text, at, depth);
    if (more.kind === 'unknown') return more;
    return { kind: 'known', elements: [...base.elements, ...more.elements], literal: base.literal };
  }
  if (n.type === 'call') {
    const target = module.localCallTarget(n);
    if (!target) return acrossModules ? importedFactoryList(module, n, depth) : { kind: 'unknown' };
    const returns = module.returns.filter((r) => module.enclosingFunction(r)?.id === target.id);
    if (returns.length === 0) return { kind: 'unknown' };
    const elements: Array<{ node: Node; at: Node }> = [];
    for (const r of returns) {
      const value = r.namedChild(0);
      if (!value) return { kind: 'unknown' };
      const inner = resolveList(module, value, r, depth + 1, acrossModules);
      if (inner.kind === 'unknown') return inner;
      elements.push(...inner.elements);
    }
    return { kind: 'known', elements };
  }
  return { kind: 'unknown' };
}

/** Elements added to a list variable by `.append(x)`, `.extend([...])`, `.insert(i, x)` or `+= [...]` in its scope. */
/** The list a function imported from another project module returns (every `return` must be resolvable). */
function importedFactoryList(module: PythonModule, call: Node, depth: number): ResolvedList | { kind: 'unknown' } {
  const fn = field(call, 'function');
  const name = fn ? dottedName(fn) : undefined;
  const def = name ? module.definitionOf(name) : undefined;
  if (!def || def.module === module || def.node.type !== 'function_definition') return { kind: 'unknown' };
  const returns = def.module.returns.filter((r) => def.module.enclosingFunction(r)?.id === def.node.id);
  if (returns.length === 0) return { kind: 'unknown' };
  const elements: ResolvedList['elements'] = [];
  for (const r of returns) {
    const value = r.namedChild(0);
    const inner = value ? resolveList(def.module, value, r, depth + 1, true) : { kind: 'unknown' as const };
    if (inner.kind === 'unknown') return inner;
    elements.push(...inner.elements.map((el) => ({ ...el, module: el.module ?? def.module })));
  }
  return { kind: 'known', elements };
}

function mutations(module: PythonModule, name: string, at: Node, depth: number): ResolvedList | { kind: 'unknown' } {
  const scope = scopeOf(module, at);
  const elements: Array<{ node: Node; at: Node }> = [];
  for (const c of module.calls) {
    const receiver = methodReceiver(c);
    if (!receiver || receiver.text !== name || (scopeOf(module, c)?.id ?? -1) !== (scope?.id ?? -1)) continue;
    const method = calledMethod(c);
    const args = callArguments(c);
    if (method === 'append') {
      if (args.positional[0]) elements.push({ node: args.positional[0], at: c });
    } else if (method === 'insert') {
      if (args.positional[1]) elements.push({ node: args.positional[1], at: c });
    } else if (method === 'extend') {
      const r = args.positional[0] ? resolveList(module, args.positional[0], c, depth + 1) : { kind: 'unknown' as const };
      if (r.kind === 'unknown') return r;
      elements.push(...r.elements);
    }
  }
  for (const stmt of augmentedAssignments(module, name)) {
    if ((scopeOf(module, stmt)?.id ?? -1) !== (scope?.id ?? -1)) continue;
    const right = field(stmt, 'right');
    const r = right ? resolveList(module, right, stmt, depth + 1) : { kind: 'unknown' as const };
    if (r.kind === 'unknown') return r;
    elements.push(...r.elements);
  }
  return { kind: 'known', elements };
}

const augmentedCache = new KeyedFact<string, Node[]>();

function augmentedAssignments(module: PythonModule, name: string): Node[] {
  return augmentedCache.get(module, name, () => {
    const out: Node[] = [];
    for (const ref of module.referencesTo(name)) {
      const p = parentOf(ref);
      if (p?.type === 'augmented_assignment' && field(p, 'left')?.id === ref.id) out.push(p);
    }
    return out;
  });
}

/**
 * Is this value (a callbacks-list element, an `add_callback` argument) an instance or class that
 * `matches`? Follows local names, local factory functions and local subclasses.
 */
export function valueMatches(module: PythonModule, expr: Node, at: Node, matches: (qualified: string) => boolean, depth = 0): Tri {
  if (depth > MAX_DEPTH) return 'unknown';
  const n = unwrap(expr);
  if (n.type === 'call') {
    const q = module.callee(n);
    if (q) return matches(q) ? 'yes' : 'no';
    const fn = field(n, 'function');
    const name = fn && dottedName(fn);
    if (!name) return 'unknown';
    const cls = module.classes.find((c) => field(c, 'name')?.text === name && !module.enclosingFunction(c));
    if (cls) return classMatches(module, cls, matches, depth + 1);
    const target = module.localCallTarget(n);
    if (target) {
      const returns = module.returns.filter((r) => module.enclosingFunction(r)?.id === target.id);
      let result: Tri = returns.length === 0 ? 'unknown' : 'no';
      for (const r of returns) {
        const value = r.namedChild(0);
        const v = value ? valueMatches(module, value, r, matches, depth + 1) : 'unknown';
        if (v === 'yes') return 'yes';
        if (v === 'unknown') result = 'unknown';
      }
      return result;
    }
    return 'unknown';
  }
  if (n.type === 'identifier' || n.type === 'attribute') {
    const q = module.imports.resolve(n);
    if (q) return matches(q) ? 'yes' : 'no';
    if (n.type === 'identifier') {
      const cls = module.classes.find((c) => field(c, 'name')?.text === n.text && !module.enclosingFunction(c));
      if (cls) return classMatches(module, cls, matches, depth + 1);
      const value = bindingValue(module, n.text, at);
      if (value && value.id !== n.id) return valueMatches(module, value, value, matches, depth + 1);
    }
    return 'unknown';
  }
  return 'unknown';
}

function classMatches(module: PythonModule, cls: Node, matches: (qualified: string) => boolean, depth: number): Tri {
  if (depth > MAX_DEPTH) return 'unknown';
  let result: Tri = 'no';
  for (const base of module.baseClasses(cls)) {
    if (matches(base)) return 'yes';
    const local = module.classes.find((c) => field(c, 'name')?.text === base && !module.enclosingFunction(c));
    if (local) {
      const r = classMatches(module, local, matches, depth + 1);
      if (r === 'yes') return 'yes';
      if (r === 'unknown') result = 'unknown';
    } else if (!module.imports.resolveDotted(base)) {
      result = 'unknown';
    }
  }
  return result;
}

/** Does a resolved list hold a match? 'yes' wins over unknown elements; unknown elements make 'no' 'unknown'. */
export function listHolds(module: PythonModule, list: ResolvedList | { kind: 'unknown' }, matches: (qualified: string) => boolean): Tri {
  if (list.kind === 'unknown') return 'unknown';
  let result: Tri = 'no';
  for (const { node, at, module: from } of list.elements) {
    const r = valueMatches(from ?? module, node, at, matches);
    if (r === 'yes') return 'yes';
    if (r === 'unknown') result = 'unknown';
  }
  return result;
}

/** Does the `callbacks` argument of a call hold a match? Absent = 'no'; `**kwargs` or unresolvable = 'unknown'. */
export function callbacksHold(module: PythonModule, lookup: ArgLookup, call: Node, matches: (qualified: string) => boolean): Tri {
  if (lookup.kind === 'absent') return 'no';
  if (lookup.kind === 'unknown') return 'unknown';
  return listHolds(module, resolveList(module, lookup.node, call, 0, true), matches);
}

/** Method calls on a bound object in the module (`trainer.add_callback(...)`, `trainer.callbacks.append(...)`). */
export function methodCallsOn(module: PythonModule, receiverText: string, methods: readonly string[]): Node[] {
  const receiverIs = (c: Node) => {
    const r = methodReceiver(c);
    return r !== undefined && textOf(r) === receiverText;
  };
  return methods.flatMap((m) => module.methodCalls(m).filter(receiverIs)).sort((a, b) => a.startIndex - b.startIndex);
}

/** The local function or class that `call` constructs or calls, resolved through one local binding. */
export function constructedBy(module: PythonModule, expr: Node, at: Node, depth = 0): Node | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const n = unwrap(expr);
  if (n.type === 'call') return n;
  if (n.type === 'identifier') {
    const value = bindingValue(module, n.text, at);
    return value && value.id !== n.id ? constructedBy(module, value, value, depth + 1) : undefined;
  }
  return undefined;
}

/** A module-level class defined in this module, by name. */
export function localClass(module: PythonModule, name: string): Node | undefined {
  let byName = topLevelClasses.get(module);
  if (!byName) {
    // Asked for the callee of every call that resolves through no import: indexed once per module.
    byName = new Map();
    for (const c of module.classes) {
      const n = field(c, 'name');
      if (n && !byName.has(textOf(n)) && !module.enclosingFunction(c) && !module.enclosingClass(c)) byName.set(textOf(n), c);
    }
    topLevelClasses.set(module, byName);
  }
  return byName.get(name);
}
const topLevelClasses = new WeakMap<PythonModule, Map<string, Node>>();

/** Does a local class (or a local base class of it) define a method? */
export function classDefines(module: PythonModule, cls: Node, method: string, depth = 0): boolean {
  if (depth > MAX_DEPTH) return false;
  if (module.functions.some((f) => module.functionName(f) === method && module.enclosingClass(f)?.id === cls.id)) return true;
  return module.baseClasses(cls).some((b) => {
    const local = localClass(module, b);
    return local !== undefined && classDefines(module, local, method, depth + 1);
  });
}

/** True when a local class derives (directly or through local classes) from a qualified base. */
export function classDerivesFrom(module: PythonModule, cls: Node, bases: (qualified: string) => boolean, depth = 0): boolean {
  if (depth > MAX_DEPTH) return false;
  return module.baseClasses(cls).some((b) => {
    if (bases(b)) return true;
    const local = localClass(module, b);
    return local !== undefined && classDerivesFrom(module, local, bases, depth + 1);
  });
}

/** Experiment sweeps prune or stop trials themselves (docs/analysis.md, trap 8). */
export function runsUnderSweep(module: PythonModule): boolean {
  return module.importsAny('optuna', 'ray.tune', 'hyperopt', 'nevergrad', 'keras_tuner', 'kerastuner', 'ax') || /\bwandb\.agent\(|\bhyperparameter_search\(/.test(module.text);
}

const parameterNamesCache = new ModuleFact<Set<string>>();

function nameIsFree(module: PythonModule, name: string): boolean {
  if (module.assignmentsTo(name).length > 0) return false;
  return !parameterNamesCache.get(module, () => new Set(module.functions.flatMap((f) => allParameterNames(f)))).has(name);
}

export interface NameInStyle {
  /** The expression to write (`tf.keras.callbacks.EarlyStopping`, `EarlyStopping`). */
  expr: string;
  /** An import to add when the module binds nothing that reaches the name. */
  importEdit?: Edit;
}

/**
 * How to spell a qualified name in this module's import style: an existing binding of the name, an
 * attribute path from a bound module (`tf.keras.callbacks.EarlyStopping` when only `tensorflow` is
 * imported), else a new `from <module> import <name>`.
 */
export function nameInStyle(module: PythonModule, spellings: readonly string[], fallback: { from: string; name: string }): NameInStyle {
  const locals = [...module.imports.localNames()];
  for (const q of spellings) {
    const direct = locals.find(([local, bound]) => bound === q && nameIsFree(module, local));
    if (direct) return { expr: direct[0] };
  }
  // The binding that leaves the shortest attribute path wins: `keras.callbacks.X` over `tf.keras.callbacks.X`.
  let best: { expr: string; rest: number } | undefined;
  for (const q of spellings) {
    for (const [local, bound] of locals) {
      if (!q.startsWith(bound + '.') || !nameIsFree(module, local)) continue;
      const rest = q.length - bound.length;
      if (!best || rest < best.rest) best = { expr: local + q.slice(bound.length), rest };
    }
  }
  if (best) return { expr: best.expr };
  return { expr: fallback.name, importEdit: ensureImport(module, `from ${fallback.from} import ${fallback.name}`, fallback.name) };
}

/** Adds an element at the end of a list literal, keeping one-line or one-element-per-line layout. */
export function appendListElement(module: PythonModule, list: Node, text: string): Edit {
  const items = namedChildren(list).filter((n) => n.type !== 'comment');
  const closeAt = { line: list.endPosition.row, character: list.endPosition.column - 1 };
  if (items.length === 0) return { range: { start: closeAt, end: closeAt }, newText: text };
  const last = items[items.length - 1];
  const between = module.text.slice(last.endIndex, list.endIndex - 1);
  const comma = between.indexOf(',');
  const multiline = items.some((i) => i.startPosition.row !== list.startPosition.row);
  const lastEnd = { line: last.endPosition.row, character: last.endPosition.column };
  if (multiline) {
    const indent = /^[ \t]*/.exec(module.lines.lineText(last.startPosition.row))![0];
    const eol = module.lines.eol();
    if (comma >= 0) {
      const at = module.lines.position(last.endIndex + comma + 1);
      return { range: { start: at, end: at }, newText: `${eol}${indent}${text},` };
    }
    return { range: { start: lastEnd, end: lastEnd }, newText: `,${eol}${indent}${text}` };
  }
  if (comma >= 0) {
    const at = module.lines.position(last.endIndex + comma + 1);
    return { range: { start: at, end: at }, newText: ` ${text}` };
  }
  return { range: { start: lastEnd, end: lastEnd }, newText: `, ${text}` };
}

/**
 * Edits that put `element` into a call's `callbacks` argument: a new `callbacks=[...]`, an element
 * appended to the literal list (in the call or bound to the name it passes), or `None` replaced.
 * Undefined when the list is built in a way an edit cannot safely extend.
 */
export function addToCallbacks(module: PythonModule, call: Node, element: string, slot?: number, keyword = 'callbacks'): Edit | undefined {
  const lookup = argument(callArguments(call), keyword, slot);
  if (lookup.kind === 'unknown') return undefined;
  if (lookup.kind === 'absent') return appendArguments(module, call, [`${keyword}=[${element}]`]);
  const n = unwrap(lookup.node);
  if (n.type === 'none') return { range: rangeOf(n), newText: `[${element}]` };
  if (n.type === 'list') return appendListElement(module, n, element);
  if (n.type === 'identifier') {
    const value = bindingValue(module, n.text, call);
    if (value && unwrap(value).type === 'list') return appendListElement(module, unwrap(value), element);
  }
  return undefined;
}

function rangeOf(n: Node) {
  return { start: { line: n.startPosition.row, character: n.startPosition.column }, end: { line: n.endPosition.row, character: n.endPosition.column } };
}


/**
 * Deletes a keyword argument with its separating comma: the whole line when the argument sits alone
 * on it, else the `, name=value` span.
 */
export function removeArgument(module: PythonModule, call: Node, keywordArg: Node): Edit {
  const list = field(call, 'arguments')!;
  const items = namedChildren(list).filter((n) => n.type !== 'comment');
  const i = items.findIndex((it) => it.id === keywordArg.id);
  const text = module.text;
  const startLine = keywordArg.startPosition.row;
  const lineStart = module.lines.lineStart(startLine);
  const lineText = module.lines.lineText(startLine);
  const before = text.slice(lineStart, keywordArg.startIndex);
  const after = startLine === keywordArg.endPosition.row ? text.slice(keywordArg.endIndex, lineStart + lineText.length) : '';
  const tail = /^(\s*,)?(\s*)(#.*)?$/.exec(after);
  if (/^\s*$/.test(before) && tail) {
    const hasComma = tail[1] !== undefined;
    if (tail[3] !== undefined) {
      // Keep the line's comment (users' notes, fixture annotations): drop only `name=value,`.
      const end = keywordArg.endIndex + (tail[1]?.length ?? 0) + tail[2].length;
      return { range: module.lines.range(keywordArg.startIndex, end), newText: '' };
    }
    if (!hasComma && i > 0) {
      // The last argument without a trailing comma: drop the previous argument's comma with the line.
      const prev = items[i - 1];
      const comma = text.slice(prev.endIndex, keywordArg.startIndex).indexOf(',');
      if (comma >= 0) return { range: module.lines.range(prev.endIndex + comma, lineStart + lineText.length), newText: '' };
    }
    return { range: module.lines.range(lineStart, module.lines.lineStart(startLine + 1)), newText: '' };
  }
  if (i > 0) {
    const prev = items[i - 1];
    return { range: module.lines.range(prev.endIndex, keywordArg.endIndex), newText: '' };
  }
  const next = items[i + 1];
  if (next) return { range: module.lines.range(keywordArg.startIndex, next.startIndex), newText: '' };
  return { range: module.lines.range(keywordArg.startIndex, keywordArg.endIndex), newText: '' };
}

/** The `keyword_argument` node that holds a keyword's value. */
export function keywordNode(value: Node): Node | undefined {
  return parentOf(value)?.type === 'keyword_argument' ? parentOf(value) : undefined;
}

