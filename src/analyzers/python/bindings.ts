// Where a name used at some point got its value: the assignments (or parameter) that bind it in the
// scope visible there. Provenance checks ("is `tok` a tokenizer?") follow these one hop at a time.
import { dottedName, field, namedChildren, unwrap, type Node } from '../engine/syntax';
import { KeyedFact } from './facts';
import type { PythonModule } from './module';

export type Binding =
  /** `name = <value>` (or the matching element of a tuple assignment). */
  | { kind: 'value'; value: Node; assignment: Node }
  /** Assigned by something we cannot split into values (`a, b = f()`). */
  | { kind: 'opaque'; assignment: Node }
  /** A parameter of the enclosing function (`type` is its annotation, if any). */
  | { kind: 'parameter'; parameter: Node; type?: Node; fn: Node };

/**
 * Bindings of `name` (a dotted name such as `tok` or `self.tokenizer`) visible at `at`.
 * `self.x` is looked up in every method of the enclosing class; a plain name in the innermost enclosing
 * function that binds it, then outer functions, then module level. Empty when nothing binds it.
 */
export function bindingsAt(module: PythonModule, name: string, at: Node): Binding[] {
  if (name.startsWith('self.')) {
    const cls = module.enclosingClass(at);
    if (!cls) return [];
    return assignmentsTo(module, name).filter((b) => module.enclosingClass(b.assignment)?.id === cls.id);
  }
  const head = name.split('.')[0];
  const all = assignmentsTo(module, name);
  for (let fn = module.enclosingFunction(at); fn; fn = module.enclosingFunction(fn)) {
    const scope = fn;
    const local = all.filter((b) => module.enclosingFunction(b.assignment)?.id === scope.id);
    if (local.length > 0) return local;
    const param = parameterNamed(scope, head);
    if (param) return head === name ? [{ kind: 'parameter', parameter: param.node, type: param.type, fn: scope }] : [];
  }
  return all.filter((b) => module.enclosingFunction(b.assignment) === undefined && module.enclosingClass(b.assignment) === undefined);
}

/**
 * Whether a plain name is bound by a function around `at` (a parameter or an assignment in its body), so
 * that a module-level binding of the same name is not the one in force there. `outermost`, when given,
 * is the last function looked at (the one holding the binding asked about).
 */
export function boundInFunctionAt(module: PythonModule, name: string, at: Node, outermost?: Node): boolean {
  if (name.includes('.')) return false;
  const all = assignmentsTo(module, name);
  for (let fn = module.enclosingFunction(at); fn && fn.id !== outermost?.id; fn = module.enclosingFunction(fn)) {
    const scope = fn;
    if (parameterNamed(scope, name) || all.some((b) => module.enclosingFunction(b.assignment)?.id === scope.id)) return true;
  }
  return false;
}

const assignmentsCache = new KeyedFact<string, Array<Extract<Binding, { kind: 'value' | 'opaque' }>>>();

/** All plain (`=`) assignments of a dotted name in the module, paired with their value where possible. */
export function assignmentsTo(module: PythonModule, name: string): Array<Extract<Binding, { kind: 'value' | 'opaque' }>> {
  return assignmentsCache.get(module, name, () => {
    const out: Array<Extract<Binding, { kind: 'value' | 'opaque' }>> = [];
    for (const a of module.assignmentsTo(name)) {
      const left = field(a, 'left');
      const right = field(a, 'right');
      if (!left || !right) continue;
      if (dottedName(left) === name) {
        out.push({ kind: 'value', value: right, assignment: a });
        continue;
      }
      if (left.type !== 'pattern_list' && left.type !== 'tuple_pattern') continue;
      const targets = namedChildren(left);
      const i = targets.findIndex((t) => dottedName(t) === name);
      if (i < 0) continue;
      const r = unwrap(right);
      const values = r.type === 'expression_list' || r.type === 'tuple' ? namedChildren(r) : [];
      if (values.length === targets.length) out.push({ kind: 'value', value: values[i], assignment: a });
      else out.push({ kind: 'opaque', assignment: a });
    }
    return out;
  });
}

/** A parameter of a function definition by name, with its type annotation. */
export function parameterNamed(fn: Node, name: string): { node: Node; type?: Node } | undefined {
  const params = field(fn, 'parameters');
  if (!params) return undefined;
  for (const p of namedChildren(params)) {
    if (p.type === 'identifier' && p.text === name) return { node: p };
    if (p.type === 'typed_parameter' || p.type === 'typed_default_parameter' || p.type === 'default_parameter') {
      const n = p.type === 'typed_parameter' ? namedChildren(p).find((c) => c.type === 'identifier') : field(p, 'name');
      if (n?.text === name) return { node: p, type: field(p, 'type') };
    }
  }
  return undefined;
}

/** Names of a function's parameters in order, `self` and `cls` excluded. */
export function parameterNames(fn: Node): string[] {
  const params = field(fn, 'parameters');
  if (!params) return [];
  const out: string[] = [];
  for (const p of namedChildren(params)) {
    let n: Node | undefined;
    if (p.type === 'identifier') n = p;
    else if (p.type === 'typed_parameter') n = namedChildren(p).find((c) => c.type === 'identifier');
    else if (p.type === 'default_parameter' || p.type === 'typed_default_parameter') n = field(p, 'name');
    if (n && n.text !== 'self' && n.text !== 'cls') out.push(n.text);
  }
  return out;
}

/** Every name a function binds as a parameter, in order: `self`, `*args` and `**kwargs` included. */
export function allParameterNames(fn: Node): string[] {
  const params = field(fn, 'parameters');
  if (!params) return [];
  const out: string[] = [];
  for (const p of namedChildren(params)) {
    if (p.type === 'identifier') out.push(p.text);
    else {
      const name = field(p, 'name') ?? namedChildren(p).find((c) => c.type === 'identifier');
      if (name?.type === 'identifier') out.push(name.text);
    }
  }
  return out;
}

/** Descendants of a node (itself included) of the given types, in document order; walks only that subtree. */
export function descendantsOfType(node: Node, types: string | string[]): Node[] {
  return node.descendantsOfType(types).filter((n): n is Node => n !== null);
}
