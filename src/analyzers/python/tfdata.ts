// tf.data provenance: which expressions are `tf.data.Dataset`s (built from a tf.data constructor and
// its transformations, directly or through variables and local helper functions), how each chain ends,
// and where it is consumed. Rules about tf.data must not fire on HF `datasets` or pandas `.map`, nor on
// Keras `fit` over NumPy arrays (docs/analysis.md, trap 13), so everything here requires provenance.
import type { Edit } from '../../shared/findings';
import { argument, callArguments } from '../engine/calls';
import { calledMethod, contains, field, literalValue, methodReceiver, namedChildren, parentOf, type Node } from '../engine/syntax';
import { allParameterNames, descendantsOfType, parameterNames } from './bindings';
import { callSitesOf } from './callsites';
import { KeyedFact, ModuleFact } from './facts';
import type { PythonModule } from './module';
import { hotLoops } from './training';

/**
 * Keras dataset utilities whose result already ends in `prefetch(tf.data.AUTOTUNE)` and whose decoding map already
 * runs with `num_parallel_calls=AUTOTUNE`: image and text since Keras 2.6 (keras-team/keras 72c161e, June 2021),
 * timeseries and audio since Keras 2.10 (keras/utils/*_dataset.py). See the LOAD008 docs.
 */
export const KERAS_PREFETCHED_SOURCES: ReadonlySet<string> = new Set([
  'keras.utils.image_dataset_from_directory',
  'keras.utils.text_dataset_from_directory',
  'keras.utils.audio_dataset_from_directory',
  'keras.utils.timeseries_dataset_from_array',
  'keras.preprocessing.image_dataset_from_directory',
  'keras.preprocessing.text_dataset_from_directory',
  'keras.preprocessing.timeseries_dataset_from_array',
]);

/** Constructors that return a `tf.data.Dataset` (canonical names). */
export const TF_DATA_SOURCES: ReadonlySet<string> = new Set([
  'tensorflow.data.Dataset.from_tensor_slices',
  'tensorflow.data.Dataset.from_tensors',
  'tensorflow.data.Dataset.from_generator',
  'tensorflow.data.Dataset.from_sparse_tensor_slices',
  'tensorflow.data.Dataset.range',
  'tensorflow.data.Dataset.list_files',
  'tensorflow.data.Dataset.zip',
  'tensorflow.data.Dataset.load',
  'tensorflow.data.Dataset.sample_from_datasets',
  'tensorflow.data.Dataset.choose_from_datasets',
  'tensorflow.data.Dataset.counter',
  'tensorflow.data.TFRecordDataset',
  'tensorflow.data.TextLineDataset',
  'tensorflow.data.FixedLengthRecordDataset',
  'tensorflow.data.experimental.make_csv_dataset',
  'tensorflow.data.experimental.CsvDataset',
  'tensorflow.data.experimental.SqlDataset',
  'tensorflow.data.experimental.load',
  'tensorflow.data.experimental.sample_from_datasets',
  'tensorflow.data.experimental.choose_from_datasets',
  ...KERAS_PREFETCHED_SOURCES,
]);


/** `tf.data.Dataset` methods that return another Dataset, so the chain continues through them. */
export const TF_DATASET_METHODS: ReadonlySet<string> = new Set([
  'map', 'batch', 'padded_batch', 'ragged_batch', 'unbatch', 'rebatch', 'shuffle', 'repeat', 'prefetch', 'cache',
  'filter', 'take', 'skip', 'take_while', 'interleave', 'flat_map', 'shard', 'apply', 'with_options', 'concatenate',
  'enumerate', 'bucket_by_sequence_length', 'group_by_window', 'rejection_resample', 'scan', 'unique', 'snapshot',
  'ignore_errors', 'assert_cardinality', 'map_with_legacy_function', 'random', 'window', 'sparse_batch',
]);

export interface TfChain {
  /** The expression that holds the finished chain: the right side of the last assignment, or a returned value. */
  end: Node;
  /** True when a `.prefetch(...)` (or `prefetch_to_device`) appears anywhere in the chain. */
  hasPrefetch: boolean;
  /** The chain starts at a Keras utility that prefetches internally (KERAS_PREFETCHED_SOURCES). */
  builtinPrefetch?: boolean;
  /** Nothing follows that built-in prefetch: the dataset is the utility's result as returned. */
  endsPrefetched?: boolean;
  /**
   * The Dataset method calls from the source to `end`, in order (`shuffle`, `map`, `batch`, `cache` …); empty when
   * the chain passes through a helper with several `return`s.
   */
  steps: readonly Node[];
}

// Each `ds = ds.step(...)` reassignment costs two levels (the name, then the call): a dozen steps in a notebook are common.
const MAX_DEPTH = 24;

/** Strips parentheses, also around multi-line chains that carry comments. */
function unwrap(node: Node): Node {
  let n = node;
  for (;;) {
    if (n.type !== 'parenthesized_expression') return n;
    const inner = namedChildren(n).filter((c) => c.type !== 'comment');
    if (inner.length !== 1) return n;
    n = inner[0];
  }
}

/** The tf.data chain an expression evaluates to, or undefined without tf.data provenance. */
export function tfDataChain(module: PythonModule, expr: Node): TfChain | undefined {
  let byNode = chains.get(module);
  if (!byNode) chains.set(module, (byNode = new Map()));
  const known = byNode.get(expr.id);
  if (known !== undefined) return known ?? undefined;
  const chain = resolve(module, expr, 0);
  byNode.set(expr.id, chain ?? null);
  return chain;
}
/** tfDataChain per module and expression: the sinks, the map calls and several rules walk the same chains. */
const chains = new WeakMap<PythonModule, Map<number, TfChain | null>>();

export function isTfDataset(module: PythonModule, expr: Node): boolean {
  return tfDataChain(module, expr) !== undefined;
}

function resolve(module: PythonModule, expr: Node, depth: number): TfChain | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const node = unwrap(expr);
  if (node.type === 'call') return resolveCall(module, node, depth);
  if (node.type === 'identifier' || (node.type === 'attribute' && field(node, 'object')?.text === 'self')) {
    const def = definitionOf(module, node);
    const unpacked = node.type === 'identifier' ? tfdsUnpacked(module, node) : undefined;
    // `train, test = tfds.load(..., split=[...])`, unless a later plain assignment rebinds the name.
    if (unpacked && (!def || (parentOf(def)?.startIndex ?? 0) < unpacked.assignment.startIndex)) {
      return { end: node, hasPrefetch: prefetchedElsewhere(module, node), steps: [] };
    }
    if (!def) return undefined;
    const inner = resolve(module, def, depth + 1);
    if (!inner) return undefined;
    // Report and fix at the definition only when it dominates the use; otherwise at the use itself.
    return { end: dominates(def, node) ? inner.end : node, hasPrefetch: inner.hasPrefetch || prefetchedElsewhere(module, node), builtinPrefetch: inner.builtinPrefetch, endsPrefetched: inner.endsPrefetched, steps: inner.steps };
  }
  // `splits = tfds.load("mnist"); splits["train"]`: without `split=`, tfds.load returns a dict of Datasets.
  if (node.type === 'subscript' && typeof literalValue(field(node, 'subscript')) === 'string') {
    const value = unwrap(field(node, 'value')!);
    const call = value.type === 'identifier' ? definitionOf(module, value) : value;
    if (call && unwrap(call).type === 'call' && module.callee(unwrap(call)) === 'tensorflow_datasets.load' && tfdsReturnsDict(unwrap(call))) return { end: node, hasPrefetch: false, steps: [] };
  }
  return undefined;
}

function resolveCall(module: PythonModule, call: Node, depth: number): TfChain | undefined {
  const callee = module.callee(call);
  if (callee !== undefined && KERAS_PREFETCHED_SOURCES.has(callee)) return { end: call, hasPrefetch: false, builtinPrefetch: true, endsPrefetched: true, steps: [] };
  if (callee !== undefined && TF_DATA_SOURCES.has(callee)) return { end: call, hasPrefetch: false, steps: [] };
  if (callee === 'tensorflow_datasets.load' && tfdsReturnsOneDataset(call)) return { end: call, hasPrefetch: false, steps: [] };
  const method = calledMethod(call);
  const receiver = methodReceiver(call);
  if (method && receiver && TF_DATASET_METHODS.has(method)) {
    const inner = resolve(module, receiver, depth + 1);
    if (!inner) return undefined;
    // `with_options` and `prefetch` keep a prefetched end prefetched; any other step adds work after it.
    const endsPrefetched = isPrefetchStep(call) || (method === 'with_options' && inner.endsPrefetched === true);
    return { end: call, hasPrefetch: inner.hasPrefetch || isPrefetchStep(call), builtinPrefetch: inner.builtinPrefetch, endsPrefetched, steps: [...inner.steps, call] };
  }
  // A local helper that builds and returns the dataset: `train_ds = make_dataset(files)`.
  const target = definesFunctionNamed(module, call) ? module.localCallTarget(call) : undefined;
  if (target) {
    const returns = returnsOf(module, target);
    if (returns.length === 0) return undefined;
    const chains = returns.map((r) => resolve(module, r.namedChild(0)!, depth + 1));
    if (chains.some((c) => c === undefined)) return undefined;
    const all = chains as TfChain[];
    return {
      end: all.length === 1 ? all[0].end : call,
      hasPrefetch: all.every((c) => c.hasPrefetch),
      builtinPrefetch: all.every((c) => c.builtinPrefetch),
      endsPrefetched: all.every((c) => c.endsPrefetched),
      steps: all.length === 1 ? all[0].steps : [],
    };
  }
  return undefined;
}

const functionNamesCache = new ModuleFact<Set<string>>();

/** Cheap pre-check before `localCallTarget`, which scans every function of the module. */
function definesFunctionNamed(module: PythonModule, call: Node): boolean {
  const names = functionNamesCache.get(module, () => new Set(module.functions.map((f) => module.functionName(f))));
  const fn = field(call, 'function');
  const name = fn?.type === 'identifier' ? fn.text : fn?.type === 'attribute' ? field(fn, 'attribute')?.text : undefined;
  return name !== undefined && names.has(name);
}

const returnsCache = new ModuleFact<Map<number, Node[]>>();

/** `return <value>` statements of a function, by function id. */
function returnsOf(module: PythonModule, fn: Node): Node[] {
  const index = returnsCache.get(module, () => {
    const map = new Map<number, Node[]>();
    for (const r of module.returns) {
      const owner = module.enclosingFunction(r);
      if (!owner || !r.namedChild(0)) continue;
      const list = map.get(owner.id) ?? [];
      list.push(r);
      map.set(owner.id, list);
    }
    return map;
  });
  return index.get(fn.id) ?? [];
}

function isPrefetchStep(call: Node): boolean {
  const method = calledMethod(call);
  if (method === 'prefetch') return true;
  return method === 'apply' && /prefetch_to_device/.test(field(call, 'arguments')?.text ?? '');
}

/** `tfds.load(name, split="train")` returns one Dataset; without a single split it returns a dict or a tuple. */
function tfdsReturnsOneDataset(call: Node): boolean {
  const args = callArguments(call);
  const split = argument(args, 'split', 1);
  if (split.kind !== 'present' || typeof literalValue(split.node) !== 'string') return false;
  const withInfo = argument(args, 'with_info');
  return withInfo.kind === 'absent' || (withInfo.kind === 'present' && literalValue(withInfo.node) === false);
}

/** Without `split=` (and without `with_info`), `tfds.load` returns a dict of Datasets keyed by split name. */
function tfdsReturnsDict(call: Node): boolean {
  const args = callArguments(call);
  const withInfo = argument(args, 'with_info');
  return argument(args, 'split', 1).kind === 'absent' && (withInfo.kind === 'absent' || (withInfo.kind === 'present' && literalValue(withInfo.node) === false));
}

export interface TfdsUnpacking {
  /** The `a, b = tfds.load(...)` assignment. */
  assignment: Node;
  call: Node;
  /** The split string the name receives (`'train'`, `'train[:80%]'`), when written as a literal. */
  split?: string;
}

const tfdsUnpackingsCache = new ModuleFact<Map<string, Array<{ assignment: Node; call?: Node; split?: string; scope: number | 'module' }>>>();

/**
 * The `tfds.load` call whose datasets a destructuring assignment binds to `use`'s name, the nearest one before
 * the use in its scope: `train, test = tfds.load(..., split=['train', 'test'])`,
 * `(train, test), info = tfds.load(..., split=[...], with_info=True)`, `ds, info = tfds.load(..., split='train', with_info=True)`.
 */
export function tfdsUnpacked(module: PythonModule, use: Node): TfdsUnpacking | undefined {
  const index = tfdsUnpackingsCache.get(module, () => {
    // Every destructuring counts, so that `a, b = load_arrays()` after the tfds.load rebinds `a` to something else.
    const byName = new Map<string, Array<{ assignment: Node; call?: Node; split?: string; scope: number | 'module' }>>();
    for (const a of module.assignments) {
      const left = field(a, 'left');
      const right = field(a, 'right');
      if (!left || !right || !PATTERNS.has(left.type)) continue;
      const value = unwrap(right);
      const call = value.type === 'call' && module.callee(value) === 'tensorflow_datasets.load' ? value : undefined;
      const datasets = new Map(call ? tfdsBindings(left, call) : []);
      const scope = module.enclosingFunction(a)?.id ?? 'module';
      for (const name of descendantsOfType(left, 'identifier').map((n) => n.text)) {
        const list = byName.get(name) ?? [];
        list.push(datasets.has(name) ? { assignment: a, call, split: datasets.get(name), scope } : { assignment: a, scope });
        byName.set(name, list);
      }
    }
    return byName;
  });
  const scope = module.enclosingFunction(use)?.id ?? 'module';
  const before = (index.get(use.text) ?? []).filter((b) => b.scope === scope && b.assignment.endIndex <= use.startIndex);
  const nearest = before[before.length - 1];
  return nearest?.call && { assignment: nearest.assignment, call: nearest.call, split: nearest.split };
}

const PATTERNS = new Set(['pattern_list', 'tuple_pattern', 'list_pattern']);

/** Names a destructuring of `tfds.load(...)` binds to Datasets, with the split each receives. */
function tfdsBindings(left: Node, call: Node): Array<[string, string | undefined]> {
  const args = callArguments(call);
  const split = argument(args, 'split', 1);
  const withInfo = argument(args, 'with_info');
  const info = withInfo.kind === 'present' && literalValue(withInfo.node) === true;
  if (withInfo.kind === 'unknown' || split.kind !== 'present') return [];
  const targets = namedChildren(left).filter((c) => c.type !== 'comment');
  let datasets: Node;
  if (info) {
    if (targets.length !== 2) return [];
    datasets = unwrap(targets[0]);
  } else {
    datasets = left;
  }
  const splitNode = unwrap(split.node);
  if (splitNode.type === 'list' || splitNode.type === 'tuple') {
    const names = PATTERNS.has(datasets.type) ? namedChildren(datasets).filter((c) => c.type !== 'comment') : [];
    const splits = namedChildren(splitNode).filter((c) => c.type !== 'comment');
    if (names.length !== splits.length) return [];
    return names.flatMap((n, i): Array<[string, string | undefined]> => {
      const v = literalValue(splits[i]);
      return n.type === 'identifier' ? [[n.text, typeof v === 'string' ? v : undefined]] : [];
    });
  }
  const v = literalValue(splitNode);
  return info && datasets.type === 'identifier' && typeof v === 'string' ? [[datasets.text, v]] : [];
}

const defaultsOffCache = new ModuleFact<{ injectPrefetch: boolean; mapParallelization: boolean }>();

/**
 * TensorFlow's own pipeline optimisations this module turns off: prefetch injection and map parallelisation are
 * on by default (OptimizationOptions, documented defaults of TF 2.12 and later) unless autotuning or the default
 * optimisations are disabled. See the LOAD008 and LOAD009 docs.
 */
export function tfDataDefaultsOff(module: PythonModule): { injectPrefetch: boolean; mapParallelization: boolean } {
  return defaultsOffCache.get(module, () => {
    const off = (option: string) => new RegExp(`\\.${option}\\s*=\\s*False\\b`).test(module.text);
    const all = off('autotune\\.enabled') || off('apply_default_optimizations') || /experimental_autotune\s*=\s*False/.test(module.text);
    return { injectPrefetch: all || off('inject_prefetch'), mapParallelization: all || off('map_parallelization') };
  });
}

const assignmentsByScopeCache = new ModuleFact<Map<string, Node[]>>();

/** Assignments in the function (or module) that owns `use`, to the same plain or `self.` name. */
function assignmentsTo(module: PythonModule, use: Node): Node[] {
  const name = use.text;
  // Indexed once per module by scope and name: `ds` is assigned in many functions of a large file.
  const byScope = assignmentsByScopeCache.get(module, () => {
    const index = new Map<string, Node[]>();
    for (const a of module.assignments) {
      const left = field(a, 'left');
      if (left?.type !== 'identifier' && left?.type !== 'attribute') continue;
      const scope = left.type === 'attribute' ? `class:${module.enclosingClass(a)?.id ?? 'none'}` : `fn:${module.enclosingFunction(a)?.id ?? 'module'}`;
      const key = `${scope}:${left.text}`;
      const list = index.get(key) ?? [];
      list.push(a);
      index.set(key, list);
    }
    return index;
  });
  if (use.type === 'attribute') {
    const cls = module.enclosingClass(use);
    return cls ? byScope.get(`class:${cls.id}:${name}`) ?? [] : [];
  }
  const fn = module.enclosingFunction(use);
  const local = byScope.get(`fn:${fn?.id ?? 'module'}:${name}`) ?? [];
  if (local.length > 0 || !fn) return local;
  if (isParameter(fn, name)) return [];
  return byScope.get(`fn:module:${name}`) ?? [];
}

function isParameter(fn: Node, name: string): boolean {
  const params = field(fn, 'parameters');
  if (!params) return false;
  return namedChildren(params).some((p) => (p.type === 'identifier' ? p.text : field(p, 'name')?.text ?? p.namedChild(0)?.text) === name);
}

/** The value bound to a name where it is used: the nearest assignment before the use in the same scope. */
function definitionOf(module: PythonModule, use: Node): Node | undefined {
  const candidates = assignmentsTo(module, use);
  if (use.type === 'attribute') {
    // `self.ds` is set in one method and used in another: require a single binding.
    return candidates.length === 1 ? field(candidates[0], 'right') : undefined;
  }
  const sameScope = candidates.filter((a) => module.enclosingFunction(a)?.id === module.enclosingFunction(use)?.id);
  if (sameScope.length === 0) return candidates.length >= 1 ? field(candidates[candidates.length - 1], 'right') : undefined;
  const before = sameScope.filter((a) => a.endIndex <= use.startIndex && !contains(a, use));
  const nearest = before[before.length - 1];
  return nearest ? field(nearest, 'right') : undefined;
}

/** Conservative: any assignment to the same name in scope that prefetches counts (e.g. in an `if` branch). */
function prefetchedElsewhere(module: PythonModule, use: Node): boolean {
  return assignmentsTo(module, use).some((a) => {
    const right = field(a, 'right');
    return right !== undefined && /\.prefetch\s*\(|prefetch_to_device/.test(right.text);
  });
}

/** True when the statement holding `def` sits in a block that also holds `use` (it is not in a sibling branch). */
function dominates(def: Node, use: Node): boolean {
  const assignment = parentOf(def);
  if (!assignment) return false;
  let statement: Node = assignment;
  for (let p = parentOf(statement); p && p.type !== 'block' && p.type !== 'module'; p = parentOf(statement)) statement = p;
  const block = parentOf(statement);
  return !!block && contains(block, use);
}

export interface TfDataSink {
  /** The dataset expression as written at the consumer. */
  expr: Node;
  chain: TfChain;
  consumer: Node;
  reason: string;
  /** `fit` reads training and validation data every epoch; `evaluate` reads its data once. */
  use: 'train' | 'validation' | 'evaluate';
}

const ITERATION_WRAPPERS = /^(enumerate|tqdm|tqdm\.tqdm|tqdm\.auto\.tqdm|trange|iter)$/;
const TRAINING_MARKERS = /GradientTape|apply_gradients|train_on_batch|\.backward\(|\btrain_step\b/;

const sinksCache = new ModuleFact<TfDataSink[]>();

/** tf.data datasets passed to Keras `fit`/`evaluate` or iterated by a training loop. */
export function tfDataSinks(module: PythonModule): TfDataSink[] {
  return sinksCache.get(module, () => {
    if (!module.importsAny('tensorflow', 'keras', 'tensorflow_datasets')) return [];
    const sinks: TfDataSink[] = [];
    const add = (expr: Node | undefined, consumer: Node, reason: string, use: TfDataSink['use']) => {
      if (!expr) return;
      const chain = tfDataChain(module, expr);
      if (chain) sinks.push({ expr, chain, consumer, reason, use });
    };
    for (const call of module.calls) {
      const method = calledMethod(call);
      if (method !== 'fit' && method !== 'evaluate') continue;
      const args = callArguments(call);
      const x = argument(args, 'x', 0);
      if (x.kind === 'present') add(x.node, call, `passed to ${method}()`, method === 'fit' ? 'train' : 'evaluate');
      if (method === 'fit') {
        const val = argument(args, 'validation_data');
        if (val.kind === 'present') add(val.node, call, 'passed to fit() as validation_data', 'validation');
      }
    }
    for (const loop of module.loops) {
      if (loop.type !== 'for_statement') continue;
      const body = field(loop, 'body');
      if (!body || !trainsOn(module, body)) continue;
      add(iterated(field(loop, 'right')), loop, 'iterated by the training loop', 'train');
    }
    return sinks;
  });
}

/** `for b in ds`, `for i, b in enumerate(ds)`, `for b in tqdm(ds)`: the iterated dataset expression. */
function iterated(right: Node | undefined): Node | undefined {
  if (!right) return undefined;
  const node = unwrap(right);
  if (node.type === 'call' && ITERATION_WRAPPERS.test(field(node, 'function')?.text ?? '')) {
    const first = callArguments(node).positional[0];
    return first ? iterated(first) : undefined;
  }
  return node;
}

/** A loop body that takes training steps: a GradientTape, apply_gradients, or a local `train_step` holding them. */
function trainsOn(module: PythonModule, body: Node): boolean {
  if (hotLoops(module).some((l) => field(l, 'body')?.id === body.id)) return true;
  if (TRAINING_MARKERS.test(body.text)) return true;
  return module.callsWithin(body).some((c) => {
    const target = module.localCallTarget(c);
    return !!target && TRAINING_MARKERS.test(field(target, 'body')?.text ?? '');
  });
}

/**
 * What reads a dataset, followed forward from the expression that builds it: tf.data is lazy, so a `map` or a
 * file read does work only when something iterates the dataset it feeds, and how often depends on who that is.
 * - `train` / `validation`: Keras `fit` (its `x` and `validation_data`) or a loop that takes training steps, or a
 *   loop over the dataset inside another loop (a per-epoch evaluation): every epoch.
 * - `evaluate` (`evaluate`/`predict`), `pass` (`adapt`, `list(ds)`, a loop that does not train): one pass.
 * - `inspect`: a few elements (`ds.take(3)`), its repr or spec, `next(iter(ds))`.
 * - `escapes`: anything this module cannot follow (returned to no local caller, an unknown function, a module-level
 *   name of a `.py` file that other modules may import).
 * `cached`: a `.cache()` or `.snapshot()` sits between the expression and that consumer, so the work up to the
 * expression runs in the first pass only (tf.data performance guide, "Caching").
 * A name bound to a dataset and never read does no work at all, in a function or in a notebook (nothing imports a
 * notebook's names): it has no consumers.
 */
export type TfDataUse = 'train' | 'validation' | 'evaluate' | 'pass' | 'inspect' | 'escapes';

export interface TfDataConsumer {
  use: TfDataUse;
  node: Node;
  cached: boolean;
}

/** How often the work up to an expression runs, from its consumers (tfDataConsumers). */
export type TfDataWork = 'never' | 'once' | 'every-epoch' | 'unknown';

export function tfDataWork(module: PythonModule, expr: Node): TfDataWork {
  const consumers = tfDataConsumers(module, expr);
  if (consumers.some((c) => !c.cached && (c.use === 'train' || c.use === 'validation'))) return 'every-epoch';
  if (consumers.some((c) => !c.cached && c.use === 'escapes')) return 'unknown';
  return consumers.length === 0 ? 'never' : 'once';
}

export function tfDataConsumers(module: PythonModule, expr: Node): TfDataConsumer[] {
  return consumersByNode.get(module, expr.id, () => {
    const out: TfDataConsumer[] = [];
    new DatasetFlow(module, out).from(expr, false, 0, []);
    return out;
  });
}
const consumersByNode = new KeyedFact<number, TfDataConsumer[]>();

/** Steps a dataset is followed through (names, chained calls, local calls and returns) before it counts as escaping. */
const MAX_FLOW = 32;
/** Calls that show a dataset (or a few of its elements) without iterating it. */
const SHOWN_BY = /^(print|display|repr|str|type|len)$/;
/** Calls that iterate a dataset to the end once. */
const ONE_PASS = /^(list|tuple|sorted|sum)$/;
/** Properties and methods that describe a dataset without reading its elements. */
const DESCRIBED_BY = /^(element_spec|class_names|file_paths|cardinality|options)$/;

class DatasetFlow {
  private readonly seen = new Set<string>();
  private readonly notebook: boolean;

  constructor(private readonly module: PythonModule, private readonly out: TfDataConsumer[]) {
    this.notebook = module.path.endsWith('.ipynb');
  }

  /** `value` evaluates to the dataset; `entered` holds the local calls whose function the flow is inside. */
  from(value: Node, cached: boolean, depth: number, entered: readonly Node[]): void {
    // The calls entered are part of the key: a helper called twice with the dataset returns it to both call sites.
    const key = `${value.id}:${cached}:${entered.map((c) => c.id).join(',')}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    let node = value;
    for (let p = parentOf(node); p?.type === 'parenthesized_expression'; p = parentOf(node)) node = p;
    const parent = parentOf(node);
    const use = (kind: TfDataUse, at: Node = parent ?? node): void => {
      this.out.push({ use: kind, node: at, cached });
    };
    if (!parent || depth > MAX_FLOW) return use('escapes');
    const next = (n: Node, c = cached, e = entered) => this.from(n, c, depth + 1, e);
    switch (parent.type) {
      case 'attribute': {
        if (field(parent, 'object')?.id !== node.id) return use('escapes');
        const member = field(parent, 'attribute')?.text ?? '';
        const up = parentOf(parent);
        const call = up?.type === 'call' && field(up, 'function')?.id === parent.id ? up : undefined;
        if (!call || DESCRIBED_BY.test(member)) return use(DESCRIBED_BY.test(member) ? 'inspect' : 'escapes');
        if (member === 'take' && takesFew(call)) return use('inspect', call);
        if (TF_DATASET_METHODS.has(member) || member === 'as_numpy_iterator') return next(call, cached || member === 'cache' || member === 'snapshot');
        return use(/^(reduce|save)$/.test(member) ? 'pass' : 'escapes', call);
      }
      case 'argument_list':
        return this.argument(parent, node, undefined, use, next, entered);
      case 'keyword_argument': {
        const args = parentOf(parent);
        if (field(parent, 'value')?.id !== node.id || args?.type !== 'argument_list') return use('escapes');
        return this.argument(args, node, field(parent, 'name')?.text, use, next, entered);
      }
      case 'tuple':
      case 'list': {
        // `tf.data.Dataset.zip((images, labels))`, `sample_from_datasets([a, b])`.
        const args = parentOf(parent);
        const call = args?.type === 'argument_list' ? parentOf(args) : undefined;
        const callee = call && this.module.callee(call);
        return callee !== undefined && TF_DATA_SOURCES.has(callee) ? next(call!) : use('escapes');
      }
      case 'assignment': {
        const left = field(parent, 'left');
        if (field(parent, 'right')?.id !== node.id || left?.type !== 'identifier') return use('escapes');
        const uses = this.usesOf(parent, left.text);
        // A module-level name of a .py file may be imported elsewhere; anywhere else an unread name does nothing.
        if (uses.length === 0 && !this.module.enclosingFunction(parent) && !this.notebook) return use('escapes');
        for (const u of uses) next(u);
        return;
      }
      case 'for_statement': {
        const body = field(parent, 'body');
        if (field(parent, 'right')?.id !== node.id || !body) return use('escapes');
        return use(trainsOn(this.module, body) ? 'train' : this.module.enclosingLoop(parent) ? 'validation' : 'pass');
      }
      case 'expression_statement':
        // A bare expression: a notebook displays its repr.
        return use('inspect');
      case 'return_statement':
        return this.returned(parent, use, next, entered);
      default:
        return use('escapes');
    }
  }

  private argument(args: Node, node: Node, keyword: string | undefined, use: (k: TfDataUse, at?: Node) => void, next: (n: Node, c?: boolean, e?: readonly Node[]) => void, entered: readonly Node[]): void {
    const call = parentOf(args);
    if (!call || call.type !== 'call') return use('escapes');
    const index = keyword === undefined ? callArguments(call).positional.findIndex((p) => p.id === node.id) : -1;
    const method = calledMethod(call);
    if (method === 'fit' || method === 'fit_generator') {
      // Model.fit(x, y, batch_size, epochs, verbose, callbacks, validation_split, validation_data, ...)
      if (keyword === 'x' || index === 0) return use('train', call);
      if (keyword === 'validation_data' || index === 7) return use('validation', call);
      return use('escapes', call);
    }
    if (method === 'evaluate' || method === 'predict') return use('evaluate', call);
    if (method === 'adapt') return use('pass', call);
    const fn = field(call, 'function');
    const name = fn?.type === 'identifier' ? fn.text : undefined;
    if (name !== undefined && SHOWN_BY.test(name)) return use('inspect', call);
    if (name === 'next') {
      // `batch = next(it)` in a loop is how some custom training loops read their data.
      const loop = this.module.enclosingLoop(call);
      const body = loop && field(loop, 'body');
      return use(body && trainsOn(this.module, body) ? 'train' : loop ? 'pass' : 'inspect', call);
    }
    if (name !== undefined && ONE_PASS.test(name)) return use('pass', call);
    // `enumerate(ds)`, `tqdm(ds)`, `iter(ds)`: the wrapper is what the loop (or `next`) reads.
    if (fn && ITERATION_WRAPPERS.test(fn.text)) return next(call);
    const callee = this.module.callee(call);
    if (callee !== undefined && TF_DATA_SOURCES.has(callee)) return next(call);
    const target = this.module.localCallTarget(call);
    if (!target) return use('escapes', call);
    const param = keyword ?? (index >= 0 ? parameterNames(target)[index] : undefined);
    if (!param || !allParameterNames(target).includes(param)) return use('escapes', call);
    const inside = [...entered, call];
    const reads = this.module.referencesTo(param).filter((r) => r.type === 'identifier' && this.module.enclosingFunction(r)?.id === target.id && !isBindingSite(r));
    // Only the reads before the parameter is first rebound see the caller's dataset.
    const rebound = this.rebindings(target, param)[0];
    for (const r of reads) if (!rebound || readsBefore(r, rebound)) next(r, undefined, inside);
  }

  /** The function returns the dataset: to the call that entered it, else to every local caller. */
  private returned(ret: Node, use: (k: TfDataUse, at?: Node) => void, next: (n: Node, c?: boolean, e?: readonly Node[]) => void, entered: readonly Node[]): void {
    const fn = this.module.enclosingFunction(ret);
    if (!fn) return use('escapes');
    const i = entered.map((c) => this.module.localCallTarget(c)?.id).lastIndexOf(fn.id);
    if (i >= 0) return next(entered[i], undefined, entered.slice(0, i));
    const callers = callSitesOf(this.module, fn);
    // A function nobody calls: a notebook is the whole program, a .py module may be imported.
    if (callers.length === 0) return this.notebook ? undefined : use('escapes');
    for (const c of callers) next(c, undefined, []);
  }

  /** Assignments to a plain name in the scope of `scope` (a function, or the module when undefined), in order. */
  private rebindings(scope: Node | undefined, name: string): Node[] {
    return this.module.assignmentsTo(name).filter((a) => field(a, 'left')?.type === 'identifier' && this.module.enclosingFunction(a)?.id === scope?.id);
  }

  /**
   * The reads of the name `binding` assigns, up to its next assignment in the same scope; for a module-level name,
   * also the reads inside functions that do not bind the name themselves (they run when called, after any of its
   * module-level assignments, so each counts).
   */
  private usesOf(binding: Node, name: string): Node[] {
    const scope = this.module.enclosingFunction(binding);
    const rebound = this.rebindings(scope, name).find((a) => a.startIndex > binding.startIndex);
    return this.module.referencesTo(name).filter((r) => {
      if (r.type !== 'identifier' || isBindingSite(r)) return false;
      const fn = this.module.enclosingFunction(r);
      if (fn?.id === scope?.id) return r.startIndex >= binding.endIndex && (!rebound || readsBefore(r, rebound));
      return !scope && fn !== undefined && !allParameterNames(fn).includes(name) && this.rebindings(fn, name).length === 0;
    });
  }
}

/** `r` reads the value a name has before `assignment` rebinds it: it comes earlier, or in the assignment's right side. */
function readsBefore(r: Node, assignment: Node): boolean {
  const right = field(assignment, 'right');
  return r.startIndex < assignment.startIndex || (!!right && contains(right, r));
}

/** An identifier that binds a name rather than reading it: an assignment target, a keyword name, a parameter. */
function isBindingSite(r: Node): boolean {
  const p = parentOf(r);
  if (!p) return false;
  if (p.type === 'assignment' || p.type === 'augmented_assignment') return field(p, 'left')?.id === r.id;
  if (p.type === 'keyword_argument' || p.type === 'default_parameter' || p.type === 'typed_default_parameter') return field(p, 'name')?.id === r.id;
  if (p.type === 'for_statement') return field(p, 'left')?.id === r.id;
  return /^(parameters|typed_parameter|lambda_parameters|pattern_list|tuple_pattern|list_pattern|function_definition|aliased_import|dotted_name|global_statement|nonlocal_statement)$/.test(p.type);
}

/** Training anywhere in a program: Keras `fit`/`train_on_batch`, a `GradientTape`, a PyTorch `backward()`. */
export function takesTrainingSteps(module: PythonModule): boolean {
  return takesTrainingStepsCache.get(module, () =>
    ['fit', 'fit_generator', 'train_on_batch', 'backward'].some((m) => module.methodCalls(m).length > 0)
    || module.callsTo(['tensorflow.GradientTape']).length > 0);
}
const takesTrainingStepsCache = new ModuleFact<boolean>();

const mapCallsCache = new ModuleFact<Node[]>();

/** `.map(...)` calls whose receiver is a tf.data Dataset. */
export function tfDataMapCalls(module: PythonModule): Node[] {
  return mapCallsCache.get(module, () => {
    if (!module.importsAny('tensorflow', 'keras', 'tensorflow_datasets')) return [];
    return module.calls.filter((c) => {
      if (calledMethod(c) !== 'map') return false;
      const receiver = methodReceiver(c);
      return !!receiver && isTfDataset(module, receiver);
    });
  });
}

/** The range from a method's name to the end of its call: `.batch(32)` in a chain spanning lines starts at `batch`. */
export function methodCallRange(call: Node): { start: { line: number; character: number }; end: { line: number; character: number } } {
  const fn = field(call, 'function');
  const attr = fn?.type === 'attribute' ? field(fn, 'attribute') : undefined;
  const from = attr ?? call;
  return {
    start: { line: from.startPosition.row, character: from.startPosition.column },
    end: { line: call.endPosition.row, character: call.endPosition.column },
  };
}

/**
 * How to write `tf.data.AUTOTUNE` in this module: a name already bound to it (`AUTOTUNE = tf.data.AUTOTUNE`),
 * else through the module's `tensorflow` alias, else with a new `import tensorflow as tf`.
 */
export function autotuneExpression(module: PythonModule): { text: string; importEdit?: Edit } {
  let tfAlias: string | undefined;
  let dataAlias: string | undefined;
  for (const [local, qualified] of module.imports.localNames()) {
    if (qualified === 'tensorflow.data.AUTOTUNE' || qualified === 'tensorflow.data.experimental.AUTOTUNE') return { text: local };
    if (qualified === 'tensorflow' && (tfAlias === undefined || local === 'tf')) tfAlias = local;
    if (qualified === 'tensorflow.data') dataAlias = local;
  }
  if (tfAlias) return { text: `${tfAlias}.data.AUTOTUNE` };
  if (dataAlias) return { text: `${dataAlias}.AUTOTUNE` };
  const bound = new Set([...module.imports.localNames()].map(([l]) => l));
  const alias = bound.has('tf') ? 'tensorflow' : 'tf';
  const statement = alias === 'tf' ? 'import tensorflow as tf' : 'import tensorflow';
  return { text: `${alias}.data.AUTOTUNE`, importEdit: importAfterImports(module, statement) };
}

function importAfterImports(module: PythonModule, statement: string): Edit {
  const eol = module.eol;
  const top = namedChildren(module.root);
  let anchor: Node | undefined;
  for (const stmt of top) {
    const isDocstring = stmt.type === 'expression_statement' && stmt.namedChild(0)?.type === 'string' && stmt.id === top[0].id;
    if (stmt.type === 'import_statement' || stmt.type === 'import_from_statement' || stmt.type === 'future_import_statement' || isDocstring) anchor = stmt;
    else if (stmt.type !== 'comment') break;
  }
  if (!anchor) return { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: statement + eol };
  const at = { line: anchor.endPosition.row, character: module.lines.lineText(anchor.endPosition.row).length };
  return { range: { start: at, end: at }, newText: eol + statement };
}

/**
 * Appends `.method(args)` to the end of a chain expression. In a parenthesised chain whose last step
 * starts its own line, the new step goes on a new line with the same indentation.
 */
export function appendToChain(module: PythonModule, end: Node, step: string): Edit {
  const at = { line: end.endPosition.row, character: end.endPosition.column };
  const fn = end.type === 'call' ? field(end, 'function') : undefined;
  const attr = fn?.type === 'attribute' ? field(fn, 'attribute') : undefined;
  if (attr && insideParentheses(end)) {
    const line = module.lines.lineText(attr.startPosition.row);
    const before = line.slice(0, attr.startPosition.column);
    const m = /^([ \t]*)\.\s*$/.exec(before);
    if (m && attr.startPosition.row !== field(fn!, 'object')!.endPosition.row) {
      // After a trailing comment on the last step's line, so the comment stays with its step.
      const lineEnd = module.lines.lineText(end.endPosition.row);
      const rest = lineEnd.slice(end.endPosition.column);
      const after = /^\s*#/.test(rest) ? { line: end.endPosition.row, character: lineEnd.length } : at;
      return { range: { start: after, end: after }, newText: `${module.eol}${m[1]}.${step}` };
    }
  }
  return { range: { start: at, end: at }, newText: `.${step}` };
}

function insideParentheses(node: Node): boolean {
  for (let p = parentOf(node); p; p = parentOf(p)) {
    if (p.type === 'parenthesized_expression' || p.type === 'argument_list' || p.type === 'list' || p.type === 'tuple') return true;
    if (p.type === 'expression_statement' || p.type === 'assignment' || p.type === 'return_statement' || p.type === 'block') return false;
  }
  return false;
}

/**
 * The call runs inside the function given to `interleave(..., num_parallel_calls=...)`: that interleave already
 * runs several inner pipelines at once, so their maps are parallel too.
 */
export function insideParallelInterleave(module: PythonModule, call: Node): boolean {
  for (let p = parentOf(call); p; p = parentOf(p)) {
    if (p.type !== 'lambda' && p.type !== 'function_definition') continue;
    const users = p.type === 'lambda' ? [p] : module.referencesTo(module.functionName(p)).filter((r) => !contains(p, r));
    for (const u of users) {
      const up = parentOf(u);
      const args = up?.type === 'argument_list' ? up : up?.type === 'keyword_argument' ? parentOf(up) : undefined;
      const interleave = args?.parent;
      if (!interleave || interleave.type !== 'call' || !/^(interleave|parallel_interleave)$/.test(calledMethod(interleave) ?? module.callee(interleave)?.split('.').pop() ?? '')) continue;
      const parallel = argument(callArguments(interleave), 'num_parallel_calls', 3);
      if (parallel.kind === 'present' && literalValue(parallel.node) !== null) return true;
      if (module.callee(interleave)?.endsWith('parallel_interleave')) return true;
    }
  }
  return false;
}

const DISPLAY_CALLS = /^(print|display|list|next|iter|len|enumerate|tqdm)$/;

/**
 * A dataset built only to look at a few elements: the chain holding `call` ends in `.take(n)` or is bound to a
 * name whose every later use takes a few elements, prints it or inspects its spec (`for x in ds.take(3): print(x)`).
 * Such a pipeline never feeds training, so its speed does not matter.
 */
export function isDemoPipeline(module: PythonModule, call: Node): boolean {
  let outer = call;
  for (;;) {
    const attr = parentOf(outer);
    const next = attr?.type === 'attribute' && field(attr, 'object')?.id === outer.id ? parentOf(attr) : undefined;
    if (!next || next.type !== 'call' || !TF_DATASET_METHODS.has(calledMethod(next) ?? '')) break;
    if (calledMethod(next) === 'take') return takesFew(next);
    outer = next;
  }
  const above = parentOf(outer);
  const assignment = above?.type === 'assignment' && field(above, 'right')?.id === outer.id ? above : undefined;
  const left = assignment && field(assignment, 'left');
  if (!left || left.type !== 'identifier') return false;
  const scope = module.enclosingFunction(assignment)?.id;
  const uses = module.referencesTo(left.text).filter((r) => r.startIndex >= assignment.endIndex && module.enclosingFunction(r)?.id === scope && r.type === 'identifier');
  if (uses.length === 0) return false;
  return uses.every((u) => displayUse(module, u));
}

/** `.take(3)`: a handful of elements to look at, not a training subset (`.take(train_size)`). */
function takesFew(take: Node): boolean {
  const n = literalValue(callArguments(take).positional[0]);
  return typeof n === 'number' && n <= 64;
}

function displayUse(module: PythonModule, use: Node): boolean {
  const parent = parentOf(use);
  if (!parent) return false;
  if (parent.type === 'attribute' && field(parent, 'object')?.id === use.id) {
    const member = field(parent, 'attribute')?.text ?? '';
    const call = parentOf(parent)?.type === 'call' ? parentOf(parent) : undefined;
    if (!call) return /^(element_spec|class_names|file_paths|cardinality)$/.test(member);
    return member === 'take' ? takesFew(call) : /^(as_numpy_iterator|cardinality)$/.test(member);
  }
  if (parent.type === 'argument_list') {
    const grandparent = parentOf(parent);
    const fn = grandparent && field(grandparent, 'function');
    return !!fn && DISPLAY_CALLS.test(fn.text);
  }
  return false;
}
