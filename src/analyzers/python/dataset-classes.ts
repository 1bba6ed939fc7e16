// Map-style Dataset classes and what their __getitem__ does with the index: shared by the rules about
// per-item work (LOAD006 whole-file reads, LOAD007 per-item IO, LOAD012 one file per sample).
import { contains, field, parentOf, unwrap, type Node } from '../engine/syntax';
import { descendantsOfType } from './bindings';
import { KeyedFact, ModuleFact } from './facts';
import type { PythonModule } from './module';

const DATASET_BASES = /^torch\.utils\.data\.(Dataset|dataset\.Dataset)$/;

const methodsByClassCache = new ModuleFact<Map<number, Map<string, Node>>>();

export function classMethods(module: PythonModule, cls: Node): Map<string, Node> {
  const byClass = methodsByClassCache.get(module, () => {
    const index = new Map<number, Map<string, Node>>();
    for (const f of module.functions) {
      const owner = module.enclosingClass(f);
      if (!owner || module.enclosingFunction(f) !== undefined) continue;
      const methods = index.get(owner.id) ?? new Map<string, Node>();
      methods.set(module.functionName(f), f);
      index.set(owner.id, methods);
    }
    return index;
  });
  return byClass.get(cls.id) ?? new Map<string, Node>();
}

export function isMapStyleDataset(module: PythonModule, cls: Node, methods: Map<string, Node>): boolean {
  if (methods.has('__len__')) return true;
  return module.baseClasses(cls).some((b) => DATASET_BASES.test(b) || isLocalDatasetClass(module, b));
}

function isLocalDatasetClass(module: PythonModule, name: string): boolean {
  const base = module.classes.find((c) => field(c, 'name')?.text === name);
  return !!base && module.baseClasses(base).some((b) => DATASET_BASES.test(b));
}

const taintedNamesCache = new KeyedFact<string, Set<string>>();

/** Names whose value depends on the index argument: the parameters, and locals computed from them (to a fixpoint). */
export function taintedNames(module: PythonModule, fn: Node, seeds: readonly string[]): Set<string> {
  // LOAD006, LOAD007 and LOAD012 ask for the same __getitem__.
  return taintedNamesCache.get(module, `${fn.id}:${seeds.join(',')}`, () => computeTaintedNames(module, fn, seeds));
}

function computeTaintedNames(module: PythonModule, fn: Node, seeds: readonly string[]): Set<string> {
  const tainted = new Set(seeds);
  const body = field(fn, 'body');
  if (!body) return tainted;
  const bindings: Array<{ targets: Node; value: Node }> = [];
  for (const a of descendantsOfType(body, 'assignment')) {
    const left = field(a, 'left');
    const right = field(a, 'right');
    if (left && right && contains(body, a) && module.enclosingFunction(a)?.id === fn.id) bindings.push({ targets: left, value: right });
  }
  for (const loop of descendantsOfType(body, 'for_statement')) {
    const left = field(loop, 'left');
    const right = field(loop, 'right');
    if (left && right) bindings.push({ targets: left, value: right });
  }
  for (const w of descendantsOfType(body, 'with_statement')) {
    for (const item of descendantsOfType(w, 'as_pattern')) {
      const target = field(item, 'alias') ?? item.namedChild(item.namedChildCount - 1);
      const value = item.namedChild(0);
      if (target && value) bindings.push({ targets: target, value });
    }
  }
  // Names are read once per binding; the fixpoint then runs on plain strings (a large __getitem__ used to
  // re-walk every value through wasm on each round).
  const flows = bindings.map(({ targets, value }) => ({ from: identifiersIn(module, value), to: identifiersIn(module, targets) }));
  for (let changed = true; changed;) {
    changed = false;
    for (const { from, to } of flows) {
      if (!from.some((n) => tainted.has(n))) continue;
      for (const id of to) {
        if (!tainted.has(id)) {
          tainted.add(id);
          changed = true;
        }
      }
    }
  }
  return tainted;
}

/** Assignments in a function's own body (not in nested definitions). */
export function functionAssignments(module: PythonModule, fn: Node): Node[] {
  const body = field(fn, 'body');
  return body ? descendantsOfType(body, 'assignment').filter((a) => module.enclosingFunction(a)?.id === fn.id) : [];
}

export function identifiersIn(module: PythonModule, node: Node): string[] {
  const n = unwrap(node);
  if (n.type === 'identifier') return [n.text];
  return descendantsOfType(n, 'identifier').filter((r) => !isAttributeName(r)).map((r) => r.text);
}

export function mentionsAny(module: PythonModule, expr: Node, names: ReadonlySet<string>): boolean {
  const n = unwrap(expr);
  if (n.type === 'identifier') return names.has(n.text);
  return descendantsOfType(n, 'identifier').some((r) => names.has(r.text) && !isAttributeName(r));
}

/** `obj.idx` or `f(idx=...)`: the `idx` there is a name, not the variable. */
export function isAttributeName(id: Node): boolean {
  const parent = parentOf(id);
  if (parent?.type === 'keyword_argument' && field(parent, 'name')?.id === id.id) return true;
  return parent?.type === 'attribute' && field(parent, 'attribute')?.id === id.id;
}

