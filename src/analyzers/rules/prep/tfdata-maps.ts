// tf.data map functions for PREP005/PREP006: what a `.map(f)` runs (lambda or local function), whether it is
// expensive and deterministic (decode, resize, parse) or random (augmentation), whether it only uses
// elementwise ops, and the steps of the chain that leads to a consumer. Built on python/tfdata.ts provenance.
import { callArguments } from '../../engine/calls';
import { calledMethod, field, literalValue, methodReceiver, namedChildren, textOf, unwrap, type Node } from '../../engine/syntax';
import { KeyedFact, ModuleFact } from '../../python/facts';
import type { PythonModule } from '../../python/module';
import { previousValue } from '../../python/callsites';
import { TF_DATA_SOURCES, TF_DATASET_METHODS, takesTrainingSteps, tfDataChain, tfDataSinks, tfDataWork, type TfChain } from '../../python/tfdata';
import { drawsRandomness } from './loop-invariance';

/** The function a tf.data `.map(f)` runs, when it is a lambda or a function of this module. */
export function tfMapFunction(module: PythonModule, map: Node): Node | undefined {
  const args = callArguments(map);
  const fn = args.positional[0] ?? args.keywords.get('map_func');
  if (!fn) return undefined;
  const n = unwrap(fn);
  if (n.type === 'lambda') return n;
  if (n.type === 'identifier') return module.findFunction(textOf(n), map);
  if (n.type === 'attribute' && textOf(field(n, 'object')!) === 'self') return module.findFunction(textOf(field(n, 'attribute')!), map);
  return undefined;
}

const EXPENSIVE = /^tensorflow\.(io\.(decode_\w+|read_file|parse_\w*example\w*|parse_tensor)|image\.(decode_\w+|resize\w*|crop_and_resize)|audio\.decode_wav|signal\.(stft|mfccs_from_log_mel_spectrograms))$/;
const TF_RANDOM = /^tensorflow\.(random\.|image\.(random_|stateless_random_|sample_distorted_bounding_box)|keras\.layers\.Random)|^keras\.layers\.Random|^tensorflow\.(py_function|numpy_function)$/;

const expensiveCallCache = new KeyedFact<number, Node | undefined>();

/** An expensive deterministic call (decode, resize, parse) in a map function, one level into local helpers. */
export function expensiveCall(module: PythonModule, fn: Node): Node | undefined {
  return expensiveCallCache.get(module, fn.id, () => {
    const body = field(fn, 'body');
    return body ? scanCalls(module, fn, body, 0, (q) => EXPENSIVE.test(q)) : undefined;
  });
}

const drawsRandomCache = new KeyedFact<number, boolean>();

/** The map function draws random numbers or runs opaque Python (`py_function`): never cache after it. */
export function drawsRandom(module: PythonModule, fn: Node): boolean {
  return drawsRandomCache.get(module, fn.id, () => {
    const body = field(fn, 'body');
    if (!body) return true;
    return scanCalls(module, fn, body, 0, (q) => TF_RANDOM.test(q)) !== undefined || drawsRandomness(module, body);
  });
}

function scanCalls(module: PythonModule, fn: Node, scope: Node, depth: number, matches: (q: string) => boolean): Node | undefined {
  for (const c of module.callsInside(scope)) {
    const q = module.callee(c);
    if (q && matches(q)) return c;
    const target = depth === 0 && !q ? module.localCallTarget(c) : undefined;
    const targetBody = target && target.id !== fn.id ? field(target, 'body') : undefined;
    const inner = targetBody && scanCalls(module, fn, targetBody, depth + 1, matches);
    if (inner) return inner;
  }
  return undefined;
}

/**
 * The transformation steps (calls) of the tf.data chain an expression evaluates to, from the source on,
 * following variables within a scope and one local helper's `return`. Undefined without tf.data provenance.
 */
export function chainSteps(module: PythonModule, expr: Node, depth = 0): Node[] | undefined {
  if (depth > 10) return undefined;
  const n = unwrap(expr);
  if (n.type === 'call') {
    const q = module.callee(n);
    if (q && TF_DATA_SOURCES.has(q)) return [];
    const method = calledMethod(n);
    const receiver = methodReceiver(n);
    if (method && receiver && TF_DATASET_METHODS.has(method)) {
      const inner = chainSteps(module, receiver, depth + 1);
      return inner ? [...inner, n] : undefined;
    }
    const target = module.localCallTarget(n);
    if (target) {
      const returns = module.returns.filter((r) => module.enclosingFunction(r)?.id === target.id && r.namedChild(0));
      if (returns.length !== 1) return undefined;
      return chainSteps(module, returns[0].namedChild(0)!, depth + 1);
    }
    return undefined;
  }
  if (n.type === 'identifier') {
    const value = previousValue(module, textOf(n), n);
    return value ? chainSteps(module, value, depth + 1) : undefined;
  }
  return undefined;
}

/** Ops that act elementwise and broadcast the same way on one element and on a batch of them. */
const ELEMENTWISE = /^tensorflow\.(cast|image\.convert_image_dtype|clip_by_value|(math\.)?(add|subtract|multiply|divide|truediv|sqrt|rsqrt|exp|log|log1p|abs|square|pow|maximum|minimum|sigmoid|tanh|round|floor|ceil|sign|negative)|nn\.(relu|sigmoid|tanh))$/;

/** True when a map function only uses arithmetic and elementwise tf ops on its parameters (PREP006). */
export function isElementwiseFunction(module: PythonModule, fn: Node): boolean {
  return functionOf(fn, (n) => elementwiseExpr(module, n));
}

/** A lambda whose body, or a function whose assignments and final return, are all expressions `allowed` accepts. */
function functionOf(fn: Node, allowed: (expr: Node) => boolean): boolean {
  const body = field(fn, 'body');
  if (!body) return false;
  if (fn.type === 'lambda') return allowed(body);
  // A function: only assignments of such expressions and one final return.
  const statements = namedChildren(body).filter((s) => s.type !== 'comment');
  if (statements.length === 0) return false;
  for (const [i, s] of statements.entries()) {
    const last = i === statements.length - 1;
    if (last && s.type === 'return_statement') {
      const value = s.namedChild(0);
      if (!value || !allowed(value)) return false;
      continue;
    }
    if (s.type === 'expression_statement' && i === 0 && s.namedChild(0)?.type === 'string') continue;
    if (s.type !== 'expression_statement') return false;
    const a = s.namedChild(0);
    if (!a || (a.type !== 'assignment' && a.type !== 'augmented_assignment')) return false;
    const left = field(a, 'left');
    const right = field(a, 'right');
    if (!left || left.type !== 'identifier' || !right || !allowed(right)) return false;
  }
  return statements[statements.length - 1].type === 'return_statement';
}

function elementwiseExpr(module: PythonModule, node: Node): boolean {
  const n = unwrap(node);
  switch (n.type) {
    case 'identifier': case 'integer': case 'float': case 'true': case 'false': case 'none': case 'string':
      return true;
    case 'attribute':
      // `tf.float32`, `tf.uint8`: dtype constants.
      return /^tensorflow\.\w+$/.test(module.imports.resolve(n) ?? '');
    case 'binary_operator': case 'boolean_operator':
      return elementwiseExpr(module, field(n, 'left')!) && elementwiseExpr(module, field(n, 'right')!);
    case 'unary_operator':
      return elementwiseExpr(module, field(n, 'argument')!);
    case 'tuple': case 'expression_list':
      return namedChildren(n).every((c) => elementwiseExpr(module, c));
    case 'dictionary':
      return namedChildren(n).every((p) => p.type === 'pair' && unwrap(field(p, 'key')!).type === 'string' && elementwiseExpr(module, field(p, 'value')!));
    case 'subscript': {
      // Only a feature of a dict element (`x["image"]`); an integer index means something else once batched.
      const index = field(n, 'subscript');
      return !!index && unwrap(index).type === 'string' && elementwiseExpr(module, field(n, 'value')!);
    }
    case 'call': {
      const q = module.callee(n);
      if (!q || !ELEMENTWISE.test(q)) return false;
      const list = field(n, 'arguments');
      return !!list && namedChildren(list).every((a) => (a.type === 'keyword_argument' ? a.text.startsWith('name=') || elementwiseExpr(module, field(a, 'value')!) : elementwiseExpr(module, a)));
    }
    default:
      return false;
  }
}

/** Calls of a method in a list of chain steps. */
export function stepsNamed(steps: readonly Node[], methods: readonly string[]): Node[] {
  return steps.filter((s) => methods.includes(calledMethod(s) ?? ''));
}

export { previousValue };

/**
 * A map function that only selects or regroups parts of its element (`lambda x, y: x`, `lambda x: x["text"]`,
 * `lambda x, y: (y, x)`): no computation, so neither parallelising, caching nor batching it first gains anything.
 */
export function isProjection(fn: Node): boolean {
  if (fn.type !== 'lambda') return false;
  const params = field(fn, 'parameters');
  const names = new Set(params ? namedChildren(params).filter((p) => p.type === 'identifier').map(textOf) : []);
  const body = field(fn, 'body');
  return names.size > 0 && !!body && selects(body, names);
}

function selects(node: Node, params: ReadonlySet<string>): boolean {
  const n = unwrap(node);
  switch (n.type) {
    case 'identifier':
      return params.has(textOf(n));
    case 'tuple': case 'expression_list': case 'list':
      return namedChildren(n).every((c) => selects(c, params));
    case 'dictionary':
      return namedChildren(n).every((p) => p.type === 'pair' && unwrap(field(p, 'key')!).type === 'string' && selects(field(p, 'value')!, params));
    case 'subscript': {
      const index = field(n, 'subscript');
      return !!index && (unwrap(index).type === 'string' || unwrap(index).type === 'integer') && selects(field(n, 'value')!, params);
    }
    default:
      return false;
  }
}

/**
 * Does this `.map` feed training? True when its dataset reaches Keras `fit` or a training loop with no cache in
 * between (python/tfdata.ts `tfDataWork`); false when nothing reads it, only a few elements are looked at, it is
 * read in one pass (`evaluate`, `adapt`), or it is read through a `.cache()`, so the map runs once.
 * Undefined when its dataset leaves what this module shows (returned to another module, passed to a function it
 * cannot follow): then nobody can tell, unless the program is a notebook at top level, where the other training
 * consumers decide. A notebook or script that trains on some pipelines and only inspects others at top level (the
 * tf.data guide's demo cells) answers false for the maps of the inspected ones, and so does a notebook that never
 * trains.
 */
export function mapFeedsTraining(module: PythonModule, map: Node): boolean | undefined {
  const work = tfDataWork(module, map);
  if (work !== 'unknown') return work === 'every-epoch';
  // Inside a function the pipeline may be returned to a caller in another module.
  if (module.enclosingFunction(map)) return undefined;
  const feeding = feedingTrainingCache.get(module, () => {
    const ids = new Set<number>();
    const sinks = tfDataSinks(module);
    // A notebook is the whole program, and nothing imports its pipelines: one that never trains (the TFRecord
    // guide parsing records to print them) feeds no training at all.
    if (sinks.length === 0) return module.path.endsWith('.ipynb') && !takesTrainingSteps(module) ? new Set<number>() : undefined;
    for (const sink of sinks) {
      const steps = chainSteps(module, sink.expr);
      if (!steps) return undefined;
      for (const s of steps) ids.add(s.id);
    }
    return ids;
  });
  return feeding === undefined ? undefined : feeding.has(map.id);
}
const feedingTrainingCache = new ModuleFact<Set<number> | undefined>();

/** Ops that only reshape, retype or regroup a tensor: `expand_dims`, `reshape`, `one_hot`, `cast`, `stack` … */
const SHAPE_OPS = /^tensorflow\.(expand_dims|reshape|squeeze|one_hot|cast|stack|concat|transpose|identity|ensure_shape|ones_like|zeros_like)$/;

/**
 * A map function with nothing worth running in parallel: it only selects parts of its element, or applies
 * elementwise arithmetic and shape ops (`lambda x, y: (x, tf.expand_dims(y, -1))`, `lambda x: x / 255`).
 */
export function isCheapFunction(module: PythonModule, fn: Node): boolean {
  return isProjection(fn) || functionOf(fn, (n) => cheapExpr(module, n));
}

function cheapExpr(module: PythonModule, node: Node): boolean {
  const n = unwrap(node);
  if (n.type === 'subscript') return cheapExpr(module, field(n, 'value')!);
  if (n.type === 'call') {
    const q = module.callee(n);
    const list = field(n, 'arguments');
    return !!q && (ELEMENTWISE.test(q) || SHAPE_OPS.test(q)) && !!list && namedChildren(list).every((a) => cheapExpr(module, a.type === 'keyword_argument' ? field(a, 'value')! : a));
  }
  if (n.type === 'binary_operator' || n.type === 'boolean_operator') return cheapExpr(module, field(n, 'left')!) && cheapExpr(module, field(n, 'right')!);
  if (n.type === 'unary_operator') return cheapExpr(module, field(n, 'argument')!);
  if (n.type === 'tuple' || n.type === 'expression_list' || n.type === 'list') return namedChildren(n).every((c) => cheapExpr(module, c));
  if (n.type === 'dictionary') return namedChildren(n).every((p) => p.type === 'pair' && cheapExpr(module, field(p, 'value')!));
  return elementwiseExpr(module, n);
}

/** Steps that only reorder, group or replay elements already in memory. */
const MEMORY_STEPS = new Set(['batch', 'padded_batch', 'ragged_batch', 'unbatch', 'rebatch', 'shuffle', 'repeat', 'take', 'skip', 'prefetch', 'cache', 'shard', 'with_options', 'enumerate']);

/**
 * After the first epoch the chain replays its elements from memory: it has an in-memory `.cache()` (no file name),
 * and every step after the last one is cheap (MEMORY_STEPS, or a map with a cheap function). Such a producer has
 * nothing slow left to overlap with training or to parallelise.
 */
export function replaysFromMemory(module: PythonModule, chain: TfChain): boolean {
  const steps = chain.steps;
  let last = -1;
  steps.forEach((s, i) => {
    if (calledMethod(s) === 'cache' && inMemoryCache(s)) last = i;
  });
  if (last < 0) return false;
  return steps.slice(last + 1).every((s) => {
    const method = calledMethod(s) ?? '';
    if (MEMORY_STEPS.has(method)) return true;
    const fn = method === 'map' ? tfMapFunction(module, s) : undefined;
    return !!fn && isCheapFunction(module, fn);
  });
}

/** `cache()` or `cache("")` keeps the elements in memory; `cache(path)` writes them to a file read back each epoch. */
function inMemoryCache(cache: Node): boolean {
  const args = callArguments(cache);
  const file = args.positional[0] ?? args.keywords.get('filename');
  return !file || literalValue(file) === '';
}

/** The map runs on batches: a `batch` step comes before it (and no `unbatch` after that), so it runs once per batch. */
export function mapsBatches(module: PythonModule, map: Node): boolean {
  const receiver = methodReceiver(map);
  const steps = receiver ? tfDataChain(module, receiver)?.steps ?? [] : [];
  for (let i = steps.length - 1; i >= 0; i--) {
    const method = calledMethod(steps[i]) ?? '';
    if (method === 'unbatch') return false;
    if (/^(batch|padded_batch|ragged_batch)$/.test(method)) return true;
  }
  return false;
}
