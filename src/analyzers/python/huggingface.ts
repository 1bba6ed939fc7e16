// Hugging Face provenance: which names hold a tokenizer / feature extractor / processor, which expressions
// are `datasets.Dataset`/`DatasetDict` objects, and which calls tokenize. Rules only report on names whose
// value provably comes from these libraries (a `tokenizer` argument of unknown origin is not enough).
import { argument, callArguments } from '../engine/calls';
import { calledMethod, dottedName, field, literalValue, namedChildren, unwrap, type Node } from '../engine/syntax';
import { bindingsAt, parameterNamed, parameterNames } from './bindings';
import { KeyedFact, ModuleFact } from './facts';
import type { PythonModule } from './module';

export type PreprocessorKind = 'tokenizer' | 'feature-extractor' | 'processor';

/** Methods that run a tokenizer over text (the call form `tok(...)` is `__call__`). */
export const TOKENIZE_METHODS = new Set(['encode', 'encode_plus', 'batch_encode_plus', 'encode_batch', '__call__']);

const MAX_DEPTH = 5;

/** The preprocessor kind a class name stands for: `BertTokenizerFast` -> tokenizer, `AutoImageProcessor` -> feature-extractor. */
function kindOfClassName(cls: string): PreprocessorKind | undefined {
  if (/Tokenizer/.test(cls)) return 'tokenizer';
  if (/FeatureExtractor|ImageProcessor/.test(cls)) return 'feature-extractor';
  if (/Processor$/.test(cls)) return 'processor';
  return undefined;
}

/**
 * The kind of preprocessor a call constructs: `AutoTokenizer.from_pretrained(...)`, `*Tokenizer*.from_pretrained`,
 * `BertTokenizerFast(...)`, `AutoFeatureExtractor.from_pretrained`, `AutoProcessor.from_pretrained`, and
 * `tokenizers.Tokenizer.from_file/from_pretrained`. Only names resolved through `transformers`/`tokenizers` imports.
 */
export function preprocessorConstructorKind(module: PythonModule, call: Node): PreprocessorKind | undefined {
  const q = module.callee(call);
  if (!q || !(q.startsWith('transformers.') || q.startsWith('tokenizers.'))) return undefined;
  const parts = q.split('.');
  const last = parts[parts.length - 1];
  if (/^from_(pretrained|file|str)$/.test(last)) return kindOfClassName(parts[parts.length - 2] ?? '');
  // Direct construction: `BertTokenizerFast(vocab_file=...)`, `PreTrainedTokenizerFast(tokenizer_file=...)`.
  return /Tokenizer(Fast)?$/.test(last) ? 'tokenizer' : undefined;
}

/** A type annotation naming a tokenizer/processor class from transformers or tokenizers. */
function annotatedKind(module: PythonModule, type: Node | undefined): PreprocessorKind | undefined {
  if (!type) return undefined;
  const t = unwrap(type.type === 'type' && type.namedChildCount === 1 ? type.namedChild(0)! : type);
  const q = module.imports.resolve(t);
  if (!q || !(q.startsWith('transformers.') || q.startsWith('tokenizers.'))) return undefined;
  return kindOfClassName(q.split('.').pop() ?? '');
}

/**
 * What kind of preprocessor an expression holds, following assignments (`tok = AutoTokenizer...`,
 * `self.tokenizer = ...` in any method of the class) and typed parameters. `extra` names known
 * preprocessors that provenance cannot see (a parameter fed through `partial` or `fn_kwargs`).
 */
export function preprocessorOf(module: PythonModule, expr: Node, extra?: ReadonlyMap<string, PreprocessorKind>, depth = 0): PreprocessorKind | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const n = unwrap(expr);
  if (n.type === 'call') return preprocessorConstructorKind(module, n);
  const name = dottedName(n);
  if (!name) return undefined;
  const known = extra?.get(name);
  if (known) return known;
  const bindings = bindingsAt(module, name, n);
  if (bindings.length === 0) return undefined;
  let kind: PreprocessorKind | undefined;
  for (const b of bindings) {
    let k: PreprocessorKind | undefined;
    if (b.kind === 'value') k = preprocessorOf(module, b.value, undefined, depth + 1);
    else if (b.kind === 'parameter') k = annotatedKind(module, b.type);
    // Every binding must agree: a name that is sometimes something else is not proven.
    if (!k || (kind && kind !== k)) return undefined;
    kind = k;
  }
  return kind;
}

export interface TokenizerCall {
  call: Node;
  kind: PreprocessorKind;
  /** The tokenizer expression (`tok`, `self.tokenizer`). */
  receiver: Node;
  /** 'call' for `tok(...)`, else the method name. */
  form: string;
}

/** A call that tokenizes (or extracts features): `tok(...)`, `tok.encode(...)`, `tok.batch_encode_plus(...)`. */
export function tokenizerCall(module: PythonModule, call: Node, extra?: ReadonlyMap<string, PreprocessorKind>): TokenizerCall | undefined {
  const fn = field(call, 'function');
  if (!fn) return undefined;
  if (fn.type === 'identifier' || fn.type === 'attribute') {
    const method = calledMethod(call);
    if (method && TOKENIZE_METHODS.has(method)) {
      const receiver = field(fn, 'object')!;
      const kind = preprocessorOf(module, receiver, extra);
      if (kind === 'tokenizer' || kind === 'processor') return { call, kind, receiver, form: method };
    }
    const kind = preprocessorOf(module, fn, extra);
    if (kind) return { call, kind, receiver: fn, form: 'call' };
  }
  return undefined;
}

const tokenizerCallsCache = new KeyedFact<number, TokenizerCall[]>();

/** Tokenizer calls anywhere inside `scope` (nested lambdas and functions included). */
export function tokenizerCallsIn(module: PythonModule, scope: Node, extra?: ReadonlyMap<string, PreprocessorKind>): TokenizerCall[] {
  const compute = () => {
    const out: TokenizerCall[] = [];
    for (const c of module.callsInside(scope)) {
      const t = tokenizerCall(module, c, extra);
      if (t) out.push(t);
    }
    return out;
  };
  return extra && extra.size > 0 ? compute() : tokenizerCallsCache.get(module, scope.id, compute);
}

// ---------------------------------------------------------------------------------------------------
// 🤗 Datasets

const DATASET_SOURCES = new Set([
  'datasets.load_dataset',
  'datasets.load_from_disk',
  'datasets.concatenate_datasets',
  'datasets.interleave_datasets',
  'datasets.DatasetDict',
  'datasets.IterableDatasetDict',
  'datasets.Dataset.load_from_disk',
  'datasets.DatasetDict.load_from_disk',
]);

/** Methods of Dataset/DatasetDict that return another Dataset/DatasetDict. */
const DATASET_DERIVING = new Set([
  'map', 'filter', 'select', 'train_test_split', 'shuffle', 'remove_columns', 'rename_column', 'rename_columns',
  'select_columns', 'cast', 'cast_column', 'flatten', 'sort', 'with_format', 'with_transform', 'class_encode_column',
  'add_column', 'shard', 'take', 'skip', 'flatten_indices', 'batch', 'unique_by', 'align_labels_with_mapping',
]);

/** True when an expression is provably a `datasets.Dataset`, `DatasetDict` or `IterableDataset`. */
export function isHfDataset(module: PythonModule, expr: Node, depth = 0): boolean {
  if (depth > MAX_DEPTH) return false;
  const n = unwrap(expr);
  if (n.type === 'call') {
    const q = module.callee(n);
    if (q && (DATASET_SOURCES.has(q) || /^datasets\.(Dataset|DatasetDict|IterableDataset)\.from_\w+$/.test(q))) return true;
    const method = calledMethod(n);
    const receiver = field(field(n, 'function')!, 'object');
    // A method chain or a subscript only narrows the expression: the depth bound counts the bindings followed.
    return !!method && DATASET_DERIVING.has(method) && !!receiver && isHfDataset(module, receiver, depth);
  }
  // `raw["train"]`: a split of a DatasetDict (a column of a Dataset is a list, which has no Dataset methods).
  if (n.type === 'subscript') {
    const value = field(n, 'value');
    return !!value && isHfDataset(module, value, depth);
  }
  const name = dottedName(n);
  if (!name) return false;
  const bindings = bindingsAt(module, name, n);
  return bindings.length > 0 && bindings.every((b) => b.kind === 'value' && isHfDataset(module, b.value, depth + 1));
}

export interface DatasetMap {
  call: Node;
  /** The mapped function expression, if given. */
  fn?: Node;
  /** `batched`: true/false literal, 'absent', or 'unknown' (a variable, or possibly in **kwargs / positional). */
  batched: boolean | 'absent' | 'unknown';
  batchedNode?: Node;
}

const datasetMapsCache = new ModuleFact<DatasetMap[]>();

/** `<hf dataset>.map(fn, ...)` calls, with their function and `batched` setting. */
export function datasetMaps(module: PythonModule): DatasetMap[] {
  return datasetMapsCache.get(module, () => {
    const out: DatasetMap[] = [];
    for (const call of module.calls) {
      if (calledMethod(call) !== 'map') continue;
      const receiver = field(field(call, 'function')!, 'object');
      if (!receiver || !isHfDataset(module, receiver)) continue;
      const args = callArguments(call);
      const fnArg = argument(args, 'function', 0);
      const fn = fnArg.kind === 'present' ? fnArg.node : undefined;
      // `batched` is slot 4 of Dataset.map, but DatasetDict.map has grown parameters before it across
      // versions: with more than one positional argument we do not guess.
      let batched: DatasetMap['batched'];
      let batchedNode: Node | undefined;
      const kw = args.keywords.get('batched');
      if (kw) {
        batchedNode = kw;
        const v = literalValue(kw);
        batched = v === true || v === false ? v : 'unknown';
      } else if (args.positional.length > 1 || args.starIndex >= 0 || args.hasKwargs) {
        batched = 'unknown';
      } else {
        batched = 'absent';
      }
      out.push({ call, fn, batched, batchedNode });
    }
    return out;
  });
}

export interface MapFunction {
  /** The lambda or function definition that runs per example. */
  node: Node;
  /** Parameters known to hold a preprocessor (bound via `functools.partial` or `fn_kwargs`). */
  extra: Map<string, PreprocessorKind>;
}

/**
 * The function a `.map` (or `.apply`) call runs: a lambda, a function of this module (`preprocess`,
 * `self.preprocess`), or `functools.partial(fn, tokenizer=tok)`. `fnKwargs` is the `fn_kwargs=` dict, if any.
 */
export function resolveMapFunction(module: PythonModule, fn: Node, at: Node, fnKwargs?: Node): MapFunction | undefined {
  const n = unwrap(fn);
  const extra = new Map<string, PreprocessorKind>();
  let target: Node | undefined;
  if (n.type === 'lambda') target = n;
  else if (n.type === 'identifier') target = module.findFunction(n.text, at);
  else if (n.type === 'attribute' && field(n, 'object')?.text === 'self') target = module.findFunction(field(n, 'attribute')!.text, at);
  else if (n.type === 'call' && module.callee(n) === 'functools.partial') {
    const args = callArguments(n);
    const inner = args.positional[0];
    const resolved = inner && resolveMapFunction(module, inner, at);
    if (!resolved) return undefined;
    const params = resolved.node.type === 'function_definition' ? parameterNames(resolved.node) : [];
    args.positional.slice(1).forEach((p, i) => addKnown(module, extra, params[i + 1], p));
    for (const [k, v] of args.keywords) addKnown(module, extra, k, v);
    for (const [k, v] of resolved.extra) extra.set(k, v);
    target = resolved.node;
  }
  if (!target) return undefined;
  if (fnKwargs && unwrap(fnKwargs).type === 'dictionary') {
    for (const pair of namedChildren(unwrap(fnKwargs))) {
      if (pair.type !== 'pair') continue;
      const key = literalValue(field(pair, 'key'));
      const value = field(pair, 'value');
      if (typeof key === 'string' && value) addKnown(module, extra, key, value);
    }
  }
  // Keep only names that really are parameters of the target.
  for (const k of [...extra.keys()]) if (!parameterNamed(target, k)) extra.delete(k);
  return { node: target, extra };
}

function addKnown(module: PythonModule, extra: Map<string, PreprocessorKind>, param: string | undefined, value: Node): void {
  if (!param) return;
  const kind = preprocessorOf(module, value);
  if (kind) extra.set(param, kind);
}

/** Tokenizer / feature-extractor calls made by a mapped function, following one level of local helper calls. */
export function preprocessingCallsOf(module: PythonModule, fn: MapFunction): TokenizerCall[] {
  const body = field(fn.node, 'body');
  if (!body) return [];
  const found = tokenizerCallsIn(module, body, fn.extra);
  if (found.length > 0) return found;
  for (const c of module.callsInside(body)) {
    const target = module.localCallTarget(c);
    const targetBody = target && target.id !== fn.node.id ? field(target, 'body') : undefined;
    if (targetBody) found.push(...tokenizerCallsIn(module, targetBody));
  }
  return found;
}
