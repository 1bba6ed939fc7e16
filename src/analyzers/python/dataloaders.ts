// Finds the PyTorch DataLoaders a module creates and decides which ones feed training: the rules about
// workers and batch size only speak about training loaders (docs/analysis.md, traps 1 and 2).
import { argument, callArguments, type ArgLookup, type CallArguments } from '../engine/calls';
import { calledMethod, contains, dottedName, field, literalValue, methodReceiver, namedChildren, NOT_LITERAL, parentOf, textOf, unwrap, type Node } from '../engine/syntax';
import { assignmentsTo, bindingsAt, boundInFunctionAt, descendantsOfType, parameterNamed, parameterNames } from './bindings';
import { ModuleFact } from './facts';
import type { PythonModule } from './module';
import { hotLoops, inHotRegion } from './training';
import { datasetItemReads } from './item-io';
import { callSitesOf } from './callsites';
import { origin, resolvedCallArguments } from './provenance';
import { resolveMapFunction, type MapFunction } from './huggingface';
import { devicePlacements, type DevicePlacement } from './accelerator';

export const DATALOADER = new Set(['torch.utils.data.DataLoader']);
const ITERABLE_DATASET = new Set(['torch.utils.data.IterableDataset', 'torch.utils.data.datapipes.datapipe.IterDataPipe']);

/** DataLoader positional slots: DataLoader(dataset, batch_size, shuffle, sampler, batch_sampler, num_workers, collate_fn, pin_memory, drop_last, timeout, worker_init_fn, multiprocessing_context, generator, *, prefetch_factor, persistent_workers, ...). */
export const DATALOADER_SLOTS = { dataset: 0, batch_size: 1, shuffle: 2, sampler: 3, batch_sampler: 4, num_workers: 5, collate_fn: 6, pin_memory: 7 } as const;

export type LoaderRole = 'train' | 'eval' | 'unknown';

export interface DataLoaderUse {
  call: Node;
  args: CallArguments;
  role: LoaderRole;
  /** The name the loader is bound to, if any. */
  name?: string;
  /** Where the loader is consumed (the hot loop, the fit call…), for related information. */
  consumer?: Node;
  /** Why we think it is a training/eval loader, for the message. */
  reason?: string;
  /** The training loop that iterates the loader inside the method `consumer` calls (`simclr.train(loader)` of a project class, maybe in another module). */
  calleeLoop?: { module: PythonModule; loop: Node };
}

const EVAL_NAME = /(^|[._])(val|valid|validation|test|testing|eval|evaluation|dev|predict|prediction|inference|infer|holdout)([._]|$|_?loader|_?dl|_?dataloader)/i;
const EVAL_NAME_LOOSE = /(val|valid|test|eval|predict|infer)/i;

export function arg(use: DataLoaderUse, name: keyof typeof DATALOADER_SLOTS | 'prefetch_factor' | 'persistent_workers'): ArgLookup {
  const slot = name in DATALOADER_SLOTS ? DATALOADER_SLOTS[name as keyof typeof DATALOADER_SLOTS] : undefined;
  return argument(use.args, name, slot);
}

/** The literal value of an argument, `'absent'`, or `'unknown'` (not a literal, or maybe in **kwargs). */
export function argValue(lookup: ArgLookup): number | boolean | null | string | 'absent' | 'unknown' {
  if (lookup.kind === 'absent') return 'absent';
  if (lookup.kind === 'unknown') return 'unknown';
  const v = literalValue(lookup.node);
  return v === NOT_LITERAL ? 'unknown' : v;
}

const usesCache = new ModuleFact<DataLoaderUse[]>();

export function dataLoaderUses(module: PythonModule): DataLoaderUse[] {
  return usesCache.get(module, () => module.callsTo(DATALOADER).map((call) => classify(module, call)));
}

function classify(module: PythonModule, call: Node): DataLoaderUse {
  // `DataLoader(ds, **loader_kwargs)`: the keys of a dict built in the module count as written here.
  const args = resolvedCallArguments(module, call);
  const use: DataLoaderUse = { call, args, role: 'unknown' };
  const fn = module.enclosingFunction(call);
  const fnName = fn ? module.functionName(fn) : '';

  // Lightning hooks name the role, also when a method is bound to the hook in `__init__`.
  if (fn && returnsFrom(module, call, fn)) {
    const hook = [fnName, ...boundHooks(module, fn)].find((h) => /^(train|val|test|predict)_dataloader$/.test(h));
    if (hook === 'train_dataloader') return { ...use, role: 'train', reason: 'returned from train_dataloader()' };
    if (hook) return { ...use, role: 'eval', reason: `returned from ${hook}()` };
    // A shared builder the hooks return (`def train_dataloader(self): return self._loader(train=True)`).
    const hooks = callSitesOf(module, fn).map((site) => {
      const caller = module.enclosingFunction(site);
      return caller && returnsFrom(module, site, caller) ? module.functionName(caller) : '';
    });
    if (hooks.includes('train_dataloader')) return { ...use, role: 'train', reason: `returned through ${fnName}() from train_dataloader()` };
    const evalHook = hooks.find((h) => /^(val|test|predict)_dataloader$/.test(h));
    if (evalHook) return { ...use, role: 'eval', reason: `returned through ${fnName}() from ${evalHook}()` };
  }
  // Iterated directly by a hot loop: `for batch in DataLoader(...)`.
  for (const loop of hotLoops(module)) {
    const right = field(loop, 'right');
    if (right && contains(right, call)) return { ...use, role: 'train', consumer: loop, reason: 'iterated by the training loop' };
  }

  const names: Binding[] = [];
  const bound = module.boundName(call);
  if (bound) names.push(binding(module, bound, call));
  // Follow one `return` to the caller: `train_loader, val_loader = make_loaders()`; `_` discards it.
  const callers = fn ? namesFromReturn(module, call, fn, bound) : [];
  for (const n of callers) if (n.name !== '_') names.push(binding(module, n.name, n.at));
  if (names.length === 0) return use;
  use.name = names[0].name;
  // Built and never iterated, or only peeked at (`next(iter(loader))` draws one batch from a fresh iterator):
  // no loop waits on it, so it is neither a training nor an evaluation loader (LOAD001's docs).
  if (names.every((n) => !iterated(module, n, callers.length > 0))) return use;

  for (const n of names) {
    const consumer = findTrainingConsumer(module, n);
    if (consumer) return { ...use, name: n.name, role: 'train', consumer: consumer.node, reason: consumer.reason, calleeLoop: consumer.calleeLoop };
  }
  for (const n of names) {
    const consumer = findEvalConsumer(module, n);
    if (consumer) return { ...use, name: n.name, role: 'eval', consumer: consumer.node, reason: consumer.reason };
  }
  if (names.some((n) => EVAL_NAME.test(lastPart(n.name)) || EVAL_NAME_LOOSE.test(lastPart(n.name)))) return { ...use, role: 'eval', reason: 'named as an evaluation loader' };
  return use;
}

/**
 * The Lightning hooks a method is bound to on its instance: `self.train_dataloader = self._train_dataloader` or
 * `self.val_dataloader = partial(self._val_dataloader, shuffle=False)` (a DataModule that only defines the hooks
 * whose dataset configs are given, as latent-diffusion's `DataModuleFromConfig`).
 */
function boundHooks(module: PythonModule, method: Node): string[] {
  const cls = module.enclosingClass(method);
  if (!cls) return [];
  const own = `self.${module.functionName(method)}`;
  return ['train_dataloader', 'val_dataloader', 'test_dataloader', 'predict_dataloader'].filter((hook) =>
    module.assignmentsTo(`self.${hook}`).some((a) => {
      const right = field(a, 'right');
      if (!right || module.enclosingClass(a)?.id !== cls.id) return false;
      const value = unwrap(right);
      const target = value.type === 'call' && /(^|\.)partial$/.test(textOf(field(value, 'function') ?? value)) ? namedChildren(field(value, 'arguments') ?? value)[0] : value;
      return target !== undefined && textOf(target) === own;
    }),
  );
}

/** A name a loader is bound to, with the part of the module where that binding is the one in force. */
interface Binding {
  name: string;
  visible(node: Node): boolean;
}

/**
 * `self.loader` is visible in every method of its class; a local `loader` only inside its function, so
 * another function's `loader` (a different object) is never taken for it; a module-level name anywhere.
 */
function binding(module: PythonModule, name: string, at: Node): Binding {
  if (name.startsWith('self.')) {
    const cls = module.enclosingClass(at);
    return { name, visible: (n) => !cls || module.enclosingClass(n)?.id === cls.id };
  }
  const fn = module.enclosingFunction(at);
  // A module-level name is not the one in force inside a function that binds the same name itself
  // (`def train(model, train_dataloader): …` in a notebook that also has a global `train_dataloader`).
  if (!fn) return { name, visible: (n) => !boundInFunctionAt(module, name, n) };
  return { name, visible: (n) => contains(fn, n) && !boundInFunctionAt(module, name, n, fn) };
}

/**
 * Whether a reference is used beyond a peek: iterated, passed on, returned to a caller that keeps it.
 * Not a use: `next(iter(loader))` (one batch from a fresh iterator), `len(loader)`, `print(loader)`, the
 * bare name shown at the end of a notebook cell, and the `return` already followed to the callers.
 */
function iterated(module: PythonModule, { name, visible }: Binding, returnFollowed: boolean): boolean {
  for (const ref of module.referencesTo(name)) {
    if (!visible(ref) || isBindingTarget(ref)) continue;
    if (ref.parent?.type === 'keyword_argument' && field(ref.parent, 'name')?.id === ref.id) continue;
    let top = ref;
    while (top.parent && (top.parent.type === 'expression_list' || top.parent.type === 'tuple' || top.parent.type === 'parenthesized_expression')) top = top.parent;
    if (top.parent?.type === 'expression_statement') continue;
    if (returnFollowed && top.parent?.type === 'return_statement') continue;
    const args = ref.parent?.type === 'argument_list' ? ref.parent : undefined;
    const call = args?.parent;
    const callee = call?.type === 'call' ? field(call, 'function')?.text : undefined;
    if (callee === 'len' || callee === 'print' || callee === 'type') continue;
    if (callee === 'iter' && call!.parent?.type === 'argument_list' && call!.parent.parent?.type === 'call' && field(call!.parent.parent, 'function')?.text === 'next') continue;
    return true;
  }
  return false;
}

function isBindingTarget(ref: Node): boolean {
  for (let n: Node | null = ref; n; n = n.parent) {
    const p: Node | null = n.parent;
    if (!p) return false;
    if (p.type === 'assignment' || p.type === 'augmented_assignment') return field(p, 'left')?.id === n.id;
    if (p.type !== 'pattern_list' && p.type !== 'tuple_pattern') return false;
  }
  return false;
}

/** A function's parameter, visible in its body unless a nested function binds the name again. */
function parameterBinding(module: PythonModule, fn: Node, name: string): Binding {
  return { name, visible: (n) => contains(fn, n) && !boundInFunctionAt(module, name, n, fn) };
}

function lastPart(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

function returnsFrom(module: PythonModule, call: Node, fn: Node): boolean {
  const ret = module.returns.find((r) => contains(r, call) && module.enclosingFunction(r)?.id === fn.id);
  if (ret) return true;
  const bound = module.boundName(call);
  return !!bound && module.returns.some((r) => module.enclosingFunction(r)?.id === fn.id && unwrapReturn(r)?.text === bound);
}

function unwrapReturn(ret: Node): Node | undefined {
  const value = ret.namedChild(0);
  return value ? unwrap(value) : undefined;
}

/** If `fn` returns the loader (alone or in a tuple), the names callers bind the result to. */
function namesFromReturn(module: PythonModule, call: Node, fn: Node, bound: string | undefined): Array<{ name: string; at: Node }> {
  const fnName = module.functionName(fn);
  let index = -1; // -1: returned alone
  let returned = false;
  for (const r of module.returns) {
    if (module.enclosingFunction(r)?.id !== fn.id) continue;
    const value = unwrapReturn(r);
    if (!value) continue;
    if (contains(value, call) && value.id === call.id) returned = true;
    else if (bound && value.text === bound) returned = true;
    else if (value.type === 'expression_list' || value.type === 'tuple') {
      const i = namedChildren(value).findIndex((c) => c.id === call.id || (bound !== undefined && c.text === bound));
      if (i >= 0) {
        returned = true;
        index = i;
      }
    }
  }
  if (!returned) return [];
  const out: Array<{ name: string; at: Node }> = [];
  for (const c of module.calls) {
    const f = field(c, 'function');
    const callee = f && (f.type === 'identifier' ? f.text : f.type === 'attribute' && field(f, 'object')?.text === 'self' ? field(f, 'attribute')?.text : undefined);
    if (callee !== fnName) continue;
    const assign = parentOf(c);
    if (assign?.type !== 'assignment' || field(assign, 'right')?.id !== c.id) continue;
    const left = field(assign, 'left')!;
    if (index < 0) {
      const n = dottedName(left);
      if (n) out.push({ name: n, at: assign });
    } else if (left.type === 'pattern_list' || left.type === 'tuple_pattern') {
      const target = namedChildren(left)[index];
      const n = target && dottedName(target);
      if (n) out.push({ name: n, at: assign });
    }
  }
  return out;
}

interface Consumer {
  node: Node;
  reason: string;
  calleeLoop?: { module: PythonModule; loop: Node };
}

const FIT_TRAIN_KEYWORDS = ['train_dataloaders', 'train_dataloader', 'dataloaders'];
const TRAIN_KEYWORDS = ['train_dataloader', 'train_loader', 'train_dataloaders'];
const FIT_EVAL_KEYWORDS = ['val_dataloaders', 'val_dataloader', 'dataloaders'];

function findTrainingConsumer(module: PythonModule, { name, visible }: Binding, depth = 0): Consumer | undefined {
  for (const loop of hotLoops(module)) {
    const right = loop.type === 'for_statement' ? field(loop, 'right') : undefined;
    // `for x, y in batches():` where `def batches(): for b in loader: yield b` (or `yield from loader`).
    const wrapper = right && generatorOver(module, right, (fn) => yieldsFrom(module, fn, name, visible));
    if (wrapper) return { node: loop, reason: `iterated by the training loop through ${module.functionName(wrapper)}()` };
    if (!visible(loop)) continue;
    if (right && module.mentions(right, name)) return { node: loop, reason: 'iterated by the training loop' };
    // `it = iter(loader)` … `batch = next(it)` inside a while loop.
    const body = field(loop, 'body');
    if (body && module.callsWithin(body).some((c) => field(c, 'function')?.text === 'next' && module.mentions(c, name))) {
      return { node: loop, reason: 'consumed by the training loop' };
    }
  }
  for (const ref of module.referencesTo(name)) {
    if (!visible(ref)) continue;
    const argList = parentOf(ref);
    if (argList?.type !== 'argument_list' && argList?.type !== 'keyword_argument') continue;
    const call = argList.type === 'keyword_argument' ? parentOf(parentOf(argList)!) : parentOf(argList);
    if (!call || call.type !== 'call') continue;
    // `it = iter(loader)`, `batches = itertools.cycle(loader)`, `stream = forever(loader)`, then `next(it)` in the loop.
    const streams = argList.type === 'argument_list' && depth < 2 ? streamOver(module, call, ref) : [];
    for (const stream of streams) {
      const consumer = findTrainingConsumer(module, binding(module, stream.name, stream.at), depth + 1);
      if (consumer) return { ...consumer, reason: `${consumer.reason} through ${stream.name}` };
    }
    const method = calledMethod(call);
    const keyword = argList.type === 'keyword_argument' ? field(argList, 'name')?.text : undefined;
    // Lightning `trainer.fit(model, train_loader)` / HF-style `fit(train_dataloaders=...)`.
    if (method === 'fit') {
      if (keyword && FIT_TRAIN_KEYWORDS.includes(keyword)) return { node: call, reason: 'passed to fit()' };
      const positional = namedChildren(field(call, 'arguments')!).filter((n) => n.type !== 'keyword_argument');
      if (!keyword && positional[1]?.id === ref.id) return { node: call, reason: 'passed to fit()' };
      if (!keyword && positional[0]?.id === ref.id && module.importsAny('keras', 'tensorflow')) return { node: call, reason: 'passed to fit()' };
    }
    // Passed to a local function whose parameter a hot loop iterates: `train_one_epoch(model, train_loader, opt)`.
    const target = module.localCallTarget(call);
    // A training function we cannot read (`engine.train(model=m, train_dataloader=dl)` from a package) names the role in its keyword.
    if (!target && keyword && TRAIN_KEYWORDS.includes(keyword) && /^(train|fit)$/.test(calledMethod(call) ?? textOf(field(call, 'function') ?? call))) {
      return { node: call, reason: `passed to ${textOf(field(call, 'function') ?? call)}() as ${keyword}` };
    }
    // The same, with the function imported from another module of the project (`from engine import train_one_epoch`).
    const imported = !target && !keyword ? importedFunction(module, call) : undefined;
    if (imported) {
      const positional = namedChildren(field(call, 'arguments')!).filter((n) => n.type !== 'keyword_argument' && n.type !== 'comment');
      const paramName = parameterNames(imported.node)[positional.findIndex((p) => p.id === ref.id)];
      if (paramName && feedsHotLoopIn(imported.module, imported.node, paramName)) {
        return { node: call, reason: `passed to ${module.functionName(imported.node)}() (imported), whose training loop iterates it` };
      }
    }
    // `simclr = SimCLR(model=model, ...)` … `simclr.train(train_loader)`: a method of a project class (here or imported)
    // whose training loop iterates that parameter.
    const owned = !target && !keyword ? instanceMethod(module, call) : undefined;
    if (owned) {
      const positional = namedChildren(field(call, 'arguments')!).filter((n) => n.type !== 'keyword_argument' && n.type !== 'comment');
      const param = parameterNames(owned.node)[positional.findIndex((p) => p.id === ref.id)];
      const loop = param ? hotLoopOver(owned.module, owned.node, param) : undefined;
      if (loop) {
        return {
          node: call,
          reason: `passed to ${textOf(field(call, 'function')!)}(), whose training loop iterates it`,
          calleeLoop: { module: owned.module, loop },
        };
      }
    }
    if (target && !keyword) {
      const params = namedChildren(field(target, 'parameters')!).filter((p) => p.text !== 'self');
      const positional = namedChildren(field(call, 'arguments')!).filter((n) => n.type !== 'keyword_argument');
      const i = positional.findIndex((p) => p.id === ref.id);
      const param = params[i];
      const paramName = param && (param.type === 'identifier' ? param.text : field(param, 'name')?.text);
      if (paramName && feedsHotLoopIn(module, target, paramName)) return { node: call, reason: `passed to ${module.functionName(target)}(), whose training loop iterates it` };
      const through = paramName && depth < 2 ? findTrainingConsumer(module, parameterBinding(module, target, paramName), depth + 1) : undefined;
      if (through) return { node: call, reason: `passed to ${module.functionName(target)}(), ${through.reason}` };
      // `for x, y in batches(loader):` with `def batches(loader): yield from loader`.
      if (paramName && yieldsFrom(module, target, paramName) && hotLoops(module).some((l) => l.type === 'for_statement' && contains(field(l, 'right')!, call))) {
        return { node: call, reason: `iterated by the training loop through ${module.functionName(target)}()` };
      }
    } else if (target && keyword && feedsHotLoopIn(module, target, keyword)) {
      return { node: call, reason: `passed to ${module.functionName(target)}(), whose training loop iterates it` };
    } else if (target && keyword && depth < 2 && parameterNamed(target, keyword)) {
      // `train(model, train_dataloader=dl)` where train() hands its parameter on to the function that iterates it.
      const through = findTrainingConsumer(module, parameterBinding(module, target, keyword), depth + 1);
      if (through) return { node: call, reason: `passed to ${module.functionName(target)}(), ${through.reason}` };
    }
  }
  return undefined;
}

/**
 * The names bound to an iterator over the loader passed to `call` as `ref`: `iter(loader)`,
 * `itertools.cycle(loader)`, a local generator that yields the items of that parameter, or an iterator class
 * of the project that keeps it (`InfiniteIterator(loader)`). The iterator is followed where it is bound, or
 * through one `return` to the callers that bind the result (`return InfiniteIterator(loader)`).
 */
function streamOver(module: PythonModule, call: Node, ref: Node): Array<{ name: string; at: Node }> {
  const positional = namedChildren(field(call, 'arguments')!).filter((n) => n.type !== 'keyword_argument' && n.type !== 'comment');
  const i = positional.findIndex((p) => p.id === ref.id);
  if (i < 0 || !iteratesArgument(module, call, i)) return [];
  const bound = module.boundName(call);
  if (bound) return [{ name: bound, at: call }];
  const fn = module.enclosingFunction(call);
  const returned = fn && module.returns.some((r) => module.enclosingFunction(r)?.id === fn.id && unwrapReturn(r)?.id === call.id);
  return returned ? namesFromReturn(module, call, fn, undefined).filter((n) => n.name !== '_') : [];
}

/** Whether `call` returns an iterator over its positional argument `i` (see streamOver). */
function iteratesArgument(module: PythonModule, call: Node, i: number): boolean {
  const fn = field(call, 'function');
  if (i === 0 && fn?.type === 'identifier' && fn.text === 'iter' && module.callee(call) === undefined) return true;
  if (i === 0 && module.callee(call) === 'itertools.cycle') return true;
  const target = module.localCallTarget(call);
  if (target) {
    const param = parameterNames(target)[i];
    return param !== undefined && yieldsFrom(module, target, param);
  }
  const def = fn && (fn.type === 'identifier' || fn.type === 'attribute') ? module.definitionOf(textOf(fn)) : undefined;
  return def?.node.type === 'class_definition' && iteratorClassKeeps(def.module, def.node, i);
}

/**
 * A class that iterates what its constructor receives at positional slot `i`: it defines `__iter__` or
 * `__next__`, its `__init__` stores that parameter (or `iter()` of it) on `self`, and `__iter__`/`__next__`
 * read that attribute (`next(self._iterator)`, `iter(self._iterable)`). The DeepSpeed examples' `InfiniteIterator`.
 */
function iteratorClassKeeps(module: PythonModule, cls: Node, i: number): boolean {
  const methods = new Map<string, Node>();
  for (const s of namedChildren(field(cls, 'body') ?? cls)) {
    const def = s.type === 'decorated_definition' ? field(s, 'definition') : s;
    if (def?.type === 'function_definition') methods.set(module.functionName(def), def);
  }
  const init = methods.get('__init__');
  const protocol = [methods.get('__iter__'), methods.get('__next__')].filter((m): m is Node => m !== undefined);
  if (!init || protocol.length === 0) return false;
  const param = parameterNames(init)[i];
  if (!param) return false;
  const attributes = descendantsOfType(field(init, 'body') ?? init, 'assignment')
    .filter((a) => field(a, 'left')?.type === 'attribute' && field(field(a, 'left')!, 'object')?.text === 'self' && module.mentions(field(a, 'right') ?? a, param))
    .map((a) => textOf(field(a, 'left')!));
  return attributes.some((attr) => protocol.some((m) => module.mentions(m, attr)));
}

/** The local generator function a loop's iterable calls (`batches()`, `enumerate(batches())`) when `yields` holds for it. */
function generatorOver(module: PythonModule, iterable: Node, yields: (fn: Node) => boolean): Node | undefined {
  if (!module.text.includes('yield')) return undefined;
  const calls = unwrap(iterable).type === 'call' ? [unwrap(iterable), ...module.callsInside(iterable)] : module.callsInside(iterable);
  for (const c of calls) {
    const target = module.localCallTarget(c);
    if (target && yields(target)) return target;
  }
  return undefined;
}

/**
 * A generator function that yields the items of `name`: `yield from name`, or a `yield` inside
 * `for b in name:` (directly or through `enumerate(name)`, `tqdm(name)`). `visible` says whether the
 * loader's binding is the one in force there (a parameter of the generator always is).
 */
function yieldsFrom(module: PythonModule, fn: Node, name: string, visible: (n: Node) => boolean = () => true): boolean {
  for (const y of ownYields(module, fn)) {
    if (!visible(y)) continue;
    if (y.child(1)?.type === 'from') {
      const source = y.namedChild(0);
      if (source && module.mentions(source, name)) return true;
      continue;
    }
    for (let p = parentOf(y); p && p.id !== fn.id; p = parentOf(p)) {
      const right = p.type === 'for_statement' ? field(p, 'right') : undefined;
      if (right && module.mentions(right, name)) return true;
    }
  }
  return false;
}

/** The `yield` expressions of a function's own body (not of functions nested in it), once per function. */
function ownYields(module: PythonModule, fn: Node): readonly Node[] {
  let byFunction = yieldsByFunction.get(module);
  if (!byFunction) yieldsByFunction.set(module, (byFunction = new Map()));
  let yields = byFunction.get(fn.id);
  if (!yields) {
    const body = field(fn, 'body');
    yields = body && /\byield\b/.test(textOf(body)) ? descendantsOfType(body, 'yield').filter((y) => module.enclosingFunction(y)?.id === fn.id) : [];
    byFunction.set(fn.id, yields);
  }
  return yields;
}
const yieldsByFunction = new WeakMap<PythonModule, Map<number, Node[]>>();

/** The function definition another module of the project gives a plain call (`train_one_epoch(...)` imported from `engine`). */
function importedFunction(module: PythonModule, call: Node): { module: PythonModule; node: Node } | undefined {
  const fn = field(call, 'function');
  if (fn?.type !== 'identifier') return undefined;
  const def = module.definitionOf(textOf(fn));
  return def && def.module !== module && def.node.type === 'function_definition' ? { module: def.module, node: def.node } : undefined;
}

function feedsHotLoopIn(module: PythonModule, fn: Node, param: string): boolean {
  return hotLoopOver(module, fn, param) !== undefined;
}

/** The training loop of `fn` that iterates its parameter `param`. */
function hotLoopOver(module: PythonModule, fn: Node, param: string): Node | undefined {
  return hotLoops(module).find((loop) => {
    if (!contains(fn, loop)) return false;
    const right = loop.type === 'for_statement' ? field(loop, 'right') : undefined;
    return !!right && module.mentions(right, param);
  });
}

/**
 * The method a call `obj.method(...)` runs when `obj` is bound to an instance of a project class, defined here or
 * imported from another module of the project (`simclr = SimCLR(...)` with `from simclr import SimCLR`).
 */
function instanceMethod(module: PythonModule, call: Node): { module: PythonModule; node: Node } | undefined {
  const name = calledMethod(call);
  const receiver = methodReceiver(call);
  if (!name || !receiver || (receiver.type !== 'identifier' && receiver.type !== 'attribute') || textOf(receiver) === 'self') return undefined;
  const o = origin(module, receiver, call);
  const ctor = o.kind === 'call' ? field(o.call, 'function') : undefined;
  const className = ctor && (ctor.type === 'identifier' || ctor.type === 'attribute') ? textOf(ctor) : undefined;
  const def = className ? module.definitionOf(className) : undefined;
  if (def?.node.type !== 'class_definition') return undefined;
  for (const s of namedChildren(field(def.node, 'body') ?? def.node)) {
    const fn = s.type === 'decorated_definition' ? field(s, 'definition') : s;
    if (fn?.type === 'function_definition' && def.module.functionName(fn) === name) return { module: def.module, node: fn };
  }
  return undefined;
}

function findEvalConsumer(module: PythonModule, { name, visible }: Binding): Consumer | undefined {
  for (const ref of module.referencesTo(name)) {
    if (!visible(ref)) continue;
    const kw = parentOf(ref);
    if (kw?.type === 'keyword_argument') {
      const key = field(kw, 'name')?.text ?? '';
      if (FIT_EVAL_KEYWORDS.includes(key) && key !== 'dataloaders') return { node: kw, reason: `passed as ${key}` };
    }
    const call = kw?.type === 'argument_list' ? parentOf(kw) : undefined;
    const method = call ? calledMethod(call) : undefined;
    if (method && ['validate', 'test', 'predict', 'evaluate'].includes(method)) return { node: call!, reason: `passed to ${method}()` };
  }
  return undefined;
}

/**
 * An evaluation loader that runs once per run: a Lightning `test_dataloader()` / `predict_dataloader()`, or a loader
 * whose every loop is in no other loop, in code that runs once (module level, or a function every call of which in
 * this module sits outside loops): the final test pass of a script. Unknown callers or no loop of its own: false.
 */
export function evaluatedOnce(module: PythonModule, use: DataLoaderUse): boolean {
  if (use.role !== 'eval') return false;
  if (use.reason && /^returned from (test|predict)_dataloader\(\)$/.test(use.reason)) return true;
  if (!use.name || use.name.includes('.')) return false;
  const fn = module.enclosingFunction(use.call);
  const own = (n: Node) => module.enclosingFunction(n)?.id === fn?.id;
  const loops = module.loops.filter((l) => {
    const right = l.type === 'for_statement' ? field(l, 'right') : undefined;
    return right !== undefined && own(l) && module.mentions(right, use.name!);
  });
  if (loops.length === 0 || loops.some((l) => module.enclosingLoop(l))) return false;
  // Handed on to a helper (`evaluate(model, test_loader)`), it may be iterated there in every epoch.
  const passed = module.referencesTo(use.name).some((r) => own(r) && parentOf(r)?.type === 'argument_list' && !loops.some((l) => contains(field(l, 'right')!, r)));
  if (passed) return false;
  if (!fn) return true;
  const sites = callSitesOf(module, fn);
  return sites.length > 0 && sites.every((site) => !module.enclosingLoop(site) && !inHotRegion(module, site));
}

/**
 * Whether the loader's dataset is an IterableDataset: its class is followed in this module or, through
 * the project index, in another module of the project (bases too, a few levels). `undefined` when the
 * class comes from the project but cannot be read: callers must then not promise a safe fix.
 */
export function isIterableDataset(module: PythonModule, use: DataLoaderUse): boolean | undefined {
  const ds = argument(use.args, 'dataset', 0);
  if (ds.kind !== 'present') return false;
  const node = unwrap(ds.node);
  const ctor = node.type === 'call' ? field(node, 'function') : undefined;
  let className = ctor ? dottedName(ctor) : undefined;
  if (!className && node.type === 'identifier') {
    const assign = module.assignmentsTo(node.text).find((a) => field(a, 'left')?.text === node.text && field(a, 'right')?.type === 'call');
    const f = assign && field(field(assign, 'right')!, 'function');
    className = f ? dottedName(f) : undefined;
  }
  if (!className) return false;
  return derivesFromIterable(module, className, 0);
}

function derivesFromIterable(module: PythonModule, className: string, depth: number): boolean | undefined {
  const qualified = module.imports.resolveDotted(className);
  if (qualified && (ITERABLE_DATASET.has(qualified) || /IterableDataset|IterDataPipe/.test(qualified))) return true;
  const def = module.definitionOf(className);
  if (!def || def.node.type !== 'class_definition') return module.importsFromProject(className) ? undefined : false;
  if (depth > 3) return undefined;
  let unknown = false;
  const supers = field(def.node, 'superclasses');
  for (const base of supers ? namedChildren(supers) : []) {
    const name = base.type === 'keyword_argument' ? undefined : dottedName(base);
    if (!name) continue;
    const r = derivesFromIterable(def.module, name, depth + 1);
    if (r) return true;
    if (r === undefined) unknown = true;
  }
  return unknown ? undefined : false;
}

/** Map-style dataset classes of the libraries (indexable, with a length), by qualified name. */
const MAP_STYLE_DATASET = /^(torch\.utils\.data\.(dataset\.)?(Dataset|TensorDataset|Subset|ConcatDataset|StackDataset)|torchvision\.datasets\.[A-Z]\w*|torchaudio\.datasets\.[A-Z]\w*)$/;

/**
 * Whether the loader's dataset is known to be map-style: a constructor call (directly, or the one value
 * every assignment visible at the loader gives the name) of a library map-style class or of a project
 * class that derives from one or defines `__getitem__`, and nothing in its bases is an IterableDataset.
 * A parameter, a factory function's result, a datapipe or anything unresolved is not known: with more
 * workers an IterableDataset replays its whole stream in each (LOAD001's docs, "Fix safety").
 */
export function isMapStyleDataset(module: PythonModule, use: DataLoaderUse): boolean {
  const ds = argument(use.args, 'dataset', 0);
  if (ds.kind !== 'present') return false;
  const node = unwrap(ds.node);
  const values = node.type === 'identifier' ? bindingsAt(module, node.text, use.call).map((b) => (b.kind === 'value' ? unwrap(b.value) : undefined)) : [node];
  return values.length > 0 && values.every((v) => {
    const ctor = v?.type === 'call' ? field(v, 'function') : undefined;
    const className = ctor ? dottedName(ctor) : undefined;
    return className !== undefined && derivesFromIterable(module, className, 0) === false && derivesFromMapStyle(module, className, 0);
  });
}

function derivesFromMapStyle(module: PythonModule, className: string, depth: number): boolean {
  const qualified = module.imports.resolveDotted(className);
  if (qualified && MAP_STYLE_DATASET.test(qualified)) return true;
  const def = module.definitionOf(className);
  if (!def || def.node.type !== 'class_definition' || depth > 3) return false;
  const body = field(def.node, 'body');
  const definesGetItem = !!body && namedChildren(body).some((s) => {
    const fn = s.type === 'decorated_definition' ? field(s, 'definition') : s;
    return fn?.type === 'function_definition' && field(fn, 'name')?.text === '__getitem__';
  });
  if (definesGetItem) return true;
  const supers = field(def.node, 'superclasses');
  return (supers ? namedChildren(supers) : []).some((base) => {
    const name = base.type === 'keyword_argument' ? undefined : dottedName(base);
    return name !== undefined && derivesFromMapStyle(def.module, name, depth + 1);
  });
}

/**
 * Why each item of the loader's dataset costs real work in `__getitem__`, if it visibly does: a
 * \`torchvision.datasets\` class (each item decoded to PIL and run through its transform), or a project Dataset
 * whose \`__getitem__\` reads the file of the sample (item-io.ts). The dataset is followed through the bindings
 * visible at the loader.
 */
export function decodesPerItem(module: PythonModule, use: DataLoaderUse): string | undefined {
  const ds = argument(use.args, 'dataset', 0);
  if (ds.kind !== 'present') return undefined;
  const node = unwrap(ds.node);
  const values = node.type === 'identifier' ? bindingsAt(module, node.text, use.call).map((b) => (b.kind === 'value' ? unwrap(b.value) : undefined)) : [node];
  const readers = new Set(datasetItemReads(module).map((r) => r.className));
  for (const v of values) {
    if (v?.type !== 'call') continue;
    const q = module.callee(v) ?? '';
    if (/^torchvision\.datasets\.[A-Z]\w*$/.test(q)) return `${q.slice(q.lastIndexOf('.') + 1)} decodes every image and runs its transform per item`;
    const ctor = field(v, 'function');
    const name = ctor ? dottedName(ctor) : undefined;
    if (name && readers.has(name)) return `${name}.__getitem__ reads a file per item`;
  }
  return undefined;
}

/**
 * The function that runs per batch for the loader's `collate_fn=`: a lambda, a local function,
 * `functools.partial(f, ...)`, or the `__call__` of a local class (`collate_fn=Collator(tok)`, also bound to a
 * name first).
 */
export function collateFunction(module: PythonModule, use: DataLoaderUse): MapFunction | undefined {
  const collate = arg(use, 'collate_fn');
  return collate.kind === 'present' ? collateOf(module, collate.node, use) : undefined;
}

function collateOf(module: PythonModule, value: Node, use: DataLoaderUse): MapFunction | undefined {
  const n = unwrap(value);
  if (n.type === 'call' && module.callee(n) !== 'functools.partial') {
    const ctor = field(n, 'function');
    const cls = ctor?.type === 'identifier' ? module.classes.find((c) => field(c, 'name')?.text === ctor.text) : undefined;
    const call = cls && module.functions.find((f) => module.functionName(f) === '__call__' && module.enclosingClass(f)?.id === cls.id);
    return call ? { node: call, extra: new Map() } : undefined;
  }
  if (n.type === 'identifier' && !module.findFunction(n.text, use.call)) {
    const a = assignmentsTo(module, n.text).find((b) => b.kind === 'value');
    return a && a.kind === 'value' && unwrap(a.value).type === 'call' ? collateOf(module, a.value, use) : undefined;
  }
  return resolveMapFunction(module, n, use.call);
}

/**
 * The move to a device inside the loader's `collate_fn` (`torch.stack(xs).to(device)`, `.to(self.device)`,
 * `.cuda()`), if it makes one that is not to the CPU: such a loader yields batches already on the accelerator.
 * Its worker count and pinning are then the author's choice: CUDA cannot be initialised in forked worker
 * processes, and pinning applies only to CPU tensors (LOAD001's and LOAD002's docs).
 */
export function collateMovesToDevice(module: PythonModule, use: DataLoaderUse): Node | undefined {
  const fn = collateFunction(module, use);
  if (!fn || fn.node.type === 'lambda') return undefined;
  // A device that is a parameter (`def collate(batch, device="cpu")` bound by `partial(collate, device=device)`) is the
  // caller's, whatever its default says.
  const fromCaller = (p: DevicePlacement) => !!p.device && !!parameterNamed(fn.node, unwrap(p.device).text);
  return devicePlacements(module).find((p) => (p.how === 'to()' || p.how === 'cuda()') && (p.kind !== 'cpu' || fromCaller(p)) && contains(fn.node, p.call))?.call;
}
