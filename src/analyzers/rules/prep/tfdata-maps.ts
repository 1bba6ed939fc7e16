// tf.data map functions for PREP005/PREP006: what a `.map(f)` runs (lambda or local function), whether it is
// expensive and deterministic (decode, resize, parse) or random (augmentation), whether it only uses
// elementwise ops, and the steps of the chain that leads to a consumer. Built on python/tfdata.ts provenance.
import { callArguments } from '../../engine/calls';
import { calledMethod, field, methodReceiver, namedChildren, textOf, unwrap, type Node } from '../../engine/syntax';
import { KeyedFact, ModuleFact } from '../../python/facts';
import type { PythonModule } from '../../python/module';
import { previousValue } from '../../python/callsites';
import { TF_DATA_SOURCES, TF_DATASET_METHODS, tfDataSinks } from '../../python/tfdata';
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
  const body = field(fn, 'body');
  if (!body) return false;
  if (fn.type === 'lambda') return elementwiseExpr(module, body);
  // A function: only assignments of elementwise expressions and one final return.
  const statements = namedChildren(body).filter((s) => s.type !== 'comment');
  if (statements.length === 0) return false;
  for (const [i, s] of statements.entries()) {
    const last = i === statements.length - 1;
    if (last && s.type === 'return_statement') {
      const value = s.namedChild(0);
      if (!value || !elementwiseExpr(module, value)) return false;
      continue;
    }
    if (s.type === 'expression_statement' && i === 0 && s.namedChild(0)?.type === 'string') continue;
    if (s.type !== 'expression_statement') return false;
    const a = s.namedChild(0);
    if (!a || (a.type !== 'assignment' && a.type !== 'augmented_assignment')) return false;
    const left = field(a, 'left');
    const right = field(a, 'right');
    if (!left || left.type !== 'identifier' || !right || !elementwiseExpr(module, right)) return false;
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
 * Does this `.map` feed training? Undefined when the module shows no training consumer whose chain can be
 * followed back to its source (a library module, or provenance lost on the way): then nobody can tell.
 * A notebook or script that trains on some pipelines and only inspects others at top level (the tf.data
 * guide's demo cells) answers false for the maps of the inspected ones, and so does a notebook that never trains.
 */
/** Training anywhere in a program: Keras fit, a GradientTape step, a PyTorch backward. */
const TRAINS = /\.(fit|fit_generator|train_on_batch)\(|GradientTape|\.backward\(/;

const feedingTrainingCache = new ModuleFact<Set<number> | undefined>();

export function mapFeedsTraining(module: PythonModule, map: Node): boolean | undefined {
  // Inside a function the pipeline may be returned to a caller in another module.
  if (module.enclosingFunction(map)) return undefined;
  const feeding = feedingTrainingCache.get(module, () => {
    const ids = new Set<number>();
    const sinks = tfDataSinks(module);
    // A notebook is the whole program, and nothing imports its pipelines: one that never trains (the TFRecord
    // guide parsing records to print them) feeds no training at all.
    if (sinks.length === 0) return module.path.endsWith('.ipynb') && !TRAINS.test(module.text) ? new Set<number>() : undefined;
    for (const sink of sinks) {
      const steps = chainSteps(module, sink.expr);
      if (!steps) return undefined;
      for (const s of steps) ids.add(s.id);
    }
    return ids;
  });
  return feeding === undefined ? undefined : feeding.has(map.id);
}
