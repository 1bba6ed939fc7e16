// What a parameter holds, seen from the call sites of its function in the same module: `def engineer(df)`
// called as `engineer(pd.read_csv(p))`, or a method `prep.prepare(raw["train"])` on an instance of its class.
// Provenance checks use it for unannotated parameters; when any call site is unclear the answer is undefined.
import { argument, callArguments } from '../engine/calls';
import { contains, endIndexOf, field, methodReceiver, parentOf, namedChildren, textOf, unwrap, type Node } from '../engine/syntax';
import { KeyedFact, ModuleFact } from './facts';
import type { PythonModule } from './module';
import { allParameterNames } from './bindings';
import { bindingValue } from './resolve';

/** Parameter names in order, `self`/`cls` included (they take no argument at a method call site). */
function allParameters(fn: Node): string[] {
  const params = field(fn, 'parameters');
  if (!params) return [];
  const out: string[] = [];
  for (const p of namedChildren(params)) {
    if (p.type === 'identifier') out.push(textOf(p));
    else if (p.type === 'typed_parameter') out.push(textOf(namedChildren(p).find((c) => c.type === 'identifier') ?? p));
    else if (p.type === 'default_parameter' || p.type === 'typed_default_parameter') out.push(textOf(field(p, 'name') ?? p));
    else out.push('*');
  }
  return out;
}

const callSitesCache = new KeyedFact<number, Node[]>();

/** Local calls of a function or method: `f(...)`, `self.f(...)`, `obj.f(...)` with `obj = Cls(...)`, `Cls(...)` for `__init__`. */
export function callSitesOf(module: PythonModule, fn: Node): Node[] {
  return callSitesCache.get(module, fn.id, () => {
    const name = module.functionName(fn);
    const cls = module.enclosingClass(fn);
    // `__init__` runs where its class is called: `TinyVGG(hidden_units=10)`.
    if (cls && name === '__init__') {
      const className = textOf(field(cls, 'name')!);
      return module.referencesTo(className)
        .map((ref) => parentOf(ref))
        .filter((c): c is Node => c?.type === 'call' && field(c, 'function')?.type === 'identifier' && textOf(field(c, 'function')!) === className);
    }
    // A helper defined inside a function (`def block(...)` in `__init__`) is called by name in that function.
    const outer = parentOf(fn) && module.enclosingFunction(parentOf(fn)!);
    if (outer) {
      return module.referencesTo(name)
        .map((ref) => parentOf(ref))
        .filter((c): c is Node => c?.type === 'call' && field(c, 'function')?.type === 'identifier' && textOf(field(c, 'function')!) === name && contains(field(outer, 'body') ?? outer, c));
    }
    if (!cls) {
      // The name's occurrences (a text index), not every call of the module.
      return module.referencesTo(name)
        .map((ref) => parentOf(ref))
        .filter((c): c is Node => c?.type === 'call' && field(c, 'function')?.type === 'identifier' && textOf(field(c, 'function')!) === name && module.localCallTarget(c)?.id === fn.id);
    }
    const className = textOf(field(cls, 'name')!);
    return module.methodCalls(name).filter((c) => {
      const receiver = methodReceiver(c);
      if (!receiver) return false;
      const r = unwrap(receiver);
      if (r.type === 'identifier' && textOf(r) === 'self') return module.enclosingClass(c)?.id === cls.id;
      const value = r.type === 'identifier' ? bindingValue(module, textOf(r), c) : r.type === 'call' ? r : undefined;
      const v = value && unwrap(value);
      return !!v && v.type === 'call' && textOf(field(v, 'function')!) === className;
    });
  });
}

/**
 * The argument expressions passed for parameter `name` of `fn` at each local call site, or undefined when
 * there is no call site, or one passes it through `*args`/`**kwargs` or leaves it to its default.
 */
export function argumentsForParameter(module: PythonModule, fn: Node, name: string): Node[] | undefined {
  const params = allParameters(fn);
  let index = params.indexOf(name);
  if (index < 0) return undefined;
  if (module.enclosingClass(fn) && (params[0] === 'self' || params[0] === 'cls')) index -= 1;
  if (index < 0 || params.slice(0, index + 1).includes('*')) return undefined;
  const sites = callSitesOf(module, fn);
  if (sites.length === 0) return undefined;
  const out: Node[] = [];
  for (const site of sites) {
    const a = argument(callArguments(site), name, index);
    if (a.kind !== 'present') return undefined;
    out.push(a.node);
  }
  return out;
}

/** The value of the last assignment to `name` that ends before `at` in its scope (`ds = ds.map(f)` reads the previous `ds`). */
export function previousValue(module: PythonModule, name: string, at: Node): Node | undefined {
  const scope = module.enclosingFunction(at);
  const local = assignmentIndex(module).get(`${scope?.id ?? 'module'}:${name}`) ?? [];
  const before = local.filter((a) => endIndexOf(a) <= at.startIndex);
  if (before.length > 0) return field(before[before.length - 1], 'right');
  if (!scope || local.length > 0 || allParameterNames(scope).includes(name)) return undefined;
  return bindingValue(module, name, scope);
}

const assignmentIndexCache = new ModuleFact<Map<string, Node[]>>();

/** Assignments to plain names, keyed by `<function id or 'module'>:<name>`, built in one pass. */
function assignmentIndex(module: PythonModule): Map<string, Node[]> {
  return assignmentIndexCache.get(module, () => {
    const index = new Map<string, Node[]>();
    for (const a of module.assignments) {
      const left = field(a, 'left');
      if (left?.type !== 'identifier') continue;
      const key = `${module.enclosingFunction(a)?.id ?? 'module'}:${textOf(left)}`;
      const list = index.get(key);
      if (list) list.push(a);
      else index.set(key, [a]);
    }
    return index;
  });
}

/**
 * The default expression of parameter `name` of `fn` when no local call site passes it (`num_workers: int = 0`
 * in a DataModule's `__init__` that is built as `Data()` or handed to `LightningCLI` unconstructed), else undefined.
 */
export function parameterDefault(module: PythonModule, fn: Node, name: string): Node | undefined {
  const params = field(fn, 'parameters');
  const p = params && namedChildren(params).find((c) => (c.type === 'default_parameter' || c.type === 'typed_default_parameter') && textOf(field(c, 'name') ?? c) === name);
  const dflt = p && field(p, 'value');
  if (!dflt) return undefined;
  const all = allParameters(fn);
  let index = all.indexOf(name);
  if (module.enclosingClass(fn) && (all[0] === 'self' || all[0] === 'cls')) index -= 1;
  const star = all.slice(0, index + 1).includes('*');
  for (const site of callSitesOf(module, fn)) {
    const a = argument(callArguments(site), name, star ? undefined : index);
    if (a.kind !== 'absent') return undefined;
  }
  return dflt;
}
