import { argument, callArguments } from '../../engine/calls';
import { ancestorOfType, calledMethod, field, methodReceiver, literalValue, namedChildren, nodeRange, parentOf, textOf, unwrap, type Node } from '../../engine/syntax';
import { allParameterNames, bindingsAt, descendantsOfType, parameterNames } from '../../python/bindings';
import { argumentsForParameter } from '../../python/callsites';
import { datasetMaps, isHfDataset, resolveMapFunction } from '../../python/huggingface';
import { previousValue } from './tfdata-maps';
import { ModuleFact } from '../../python/facts';
import type { PythonModule } from '../../python/module';
import { defineRule } from '../rule';

/** Constructors whose result cannot be pickled (so `datasets` cannot fingerprint a function that closes over it). */
const UNPICKLABLE: ReadonlyArray<[RegExp, string]> = [
  [/^(threading|multiprocessing)\.(Lock|RLock|Condition|Semaphore|BoundedSemaphore|Event|Barrier)$/, 'a lock'],
  [/^multiprocessing\.(Queue|Pool|Manager|Pipe)$/, 'a multiprocessing object'],
  [/^concurrent\.futures\.\w+Executor$/, 'an executor'],
  [/^(sqlite3|psycopg2|pymysql|pymongo\.MongoClient|redis\.Redis)(\.connect)?$/, 'a database connection'],
  [/^socket\.socket$/, 'a socket'],
  [/^(h5py\.File|lmdb\.open)$/, 'an open file handle'],
];

/** Model factories: hashing closes over the whole model (slow, and not reproducible across runs and devices). */
function isModelFactory(q: string): boolean {
  if (q === 'transformers.pipeline' || q === 'spacy.load' || q === 'torch.hub.load' || q === 'torch.jit.load' || q === 'timm.create_model') return true;
  if (q.startsWith('sentence_transformers.SentenceTransformer')) return true;
  if (q.startsWith('torchvision.models.') && !/\.(get_weights|list_models|get_model_weights)$/.test(q)) return true;
  const m = /^transformers\.(\w+)\.from_pretrained$/.exec(q);
  return !!m && /Model|For[A-Z]/.test(m[1]) && !/Tokenizer|Processor|FeatureExtractor|Config/.test(m[1]);
}

/** Dataset methods that return another dataset (a subset of huggingface.ts's list, enough for parameter flows). */
const DERIVING = new Set(['map', 'filter', 'select', 'shuffle', 'remove_columns', 'rename_column', 'rename_columns', 'cast_column', 'train_test_split', 'with_format', 'select_columns']);

/** Methods that return (a view of) their receiver model: `from_pretrained(...).to(device).eval()`. */
const MODEL_PASSTHROUGH = new Set(['to', 'cuda', 'eval', 'half', 'float', 'bfloat16', 'cpu', 'requires_grad_']);

export default defineRule({
  code: 'PREP004',
  name: 'unhashable-map-function',
  family: 'PREP',
  severity: 'info',
  confidence: 'medium',
  fix: 'none',
  skipTestFiles: true,
  messages: {
    unhashableMapFunction: 'This map runs {{function}} that closes over {{capture}}; datasets cannot fingerprint it reliably, so its cache is never reused and the preprocessing reruns on every run. Move the function to module level and pass the state through fn_kwargs=.',
  },
  docs: `## What it does
Finds a Hugging Face \`datasets\` \`Dataset.map(f)\` / \`DatasetDict.map(f)\` whose \`f\` is a lambda or a nested function that
closes over \`self\`, a model (\`AutoModel*.from_pretrained\`, \`pipeline(...)\`, \`torchvision.models.*\`), an open file,
a lock, a connection or another object that cannot be pickled. Lambdas defined inside methods are the common case.
Calls that set \`new_fingerprint=\` or \`cache_file_name=\`, that do not cache (\`load_from_cache_file=False\`,
\`keep_in_memory=True\`), and streaming datasets are not reported.

## Why is this bad?
\`datasets\` caches each \`map\` under a fingerprint computed by pickling the function and everything it closes over.
When that fails it logs: *"Parameter 'function'=… couldn't be hashed properly, a random hash was used instead … If you
reuse this transform, the caching mechanism will consider it to be different from the previous calls and recompute
everything."* The whole preprocessing then runs again on every run of the script, and the cache directory fills with
orphaned Arrow files. Closing over a model makes the fingerprint depend on its weights and device as well.

## Example
\`\`\`python
from datasets import load_dataset
from transformers import AutoTokenizer


class Preprocessor:
    def __init__(self):
        self.tok = AutoTokenizer.from_pretrained("bert-base-uncased")
        self.max_len = 128

    def run(self):
        raw = load_dataset("imdb")
        return raw.map(lambda ex: self.tok(ex["text"], truncation=True, max_length=self.max_len), batched=True)
\`\`\`

## Use instead
\`\`\`python
from datasets import load_dataset
from transformers import AutoTokenizer


def tokenize(batch, tok, max_len):
    return tok(batch["text"], truncation=True, max_length=max_len)


class Preprocessor:
    def __init__(self):
        self.tok = AutoTokenizer.from_pretrained("bert-base-uncased")
        self.max_len = 128

    def run(self):
        raw = load_dataset("imdb")
        return raw.map(tokenize, batched=True, fn_kwargs={"tok": self.tok, "max_len": self.max_len})
\`\`\`

## Fix safety
No automatic fix. Moving the function to module level and passing its state through \`fn_kwargs=\` is a refactor of
the user's code. Setting \`new_fingerprint=\` by hand also makes the cache reusable, but a fixed string is not
invalidated when the function or the input changes, so a stale cache would be reused silently; it is not offered as
an edit.

## References
- \`datasets/fingerprint.py\` (the "couldn't be hashed properly" warning): https://github.com/huggingface/datasets/blob/main/src/datasets/fingerprint.py
- Hugging Face Datasets, "The cache": https://huggingface.co/docs/datasets/about_cache
- \`Dataset.map\` (\`fn_kwargs\`, \`new_fingerprint\`, \`cache_file_name\`): https://huggingface.co/docs/datasets/package_reference/main_classes#datasets.Dataset.map
`,

  checkPython(module, reporter) {
    if (!module.importsAny('datasets')) return;
    const known = new Set(datasetMaps(module).map((m) => m.call.id));
    for (const call of module.methodCalls('map')) {
      const args = callArguments(call);
      const fnArg = argument(args, 'function', 0);
      if (fnArg.kind !== 'present' || !cachesResult(args)) continue;
      const fnKwargs = argument(args, 'fn_kwargs');
      const fn = resolveMapFunction(module, fnArg.node, call, fnKwargs.kind === 'present' ? fnKwargs.node : undefined);
      if (!fn) continue;
      const nested = fn.node.type === 'lambda' || module.enclosingFunction(fn.node) !== undefined;
      if (!nested) continue;
      const capture = unhashableCapture(module, fn.node);
      if (!capture) continue;
      // The receiver must be a 🤗 dataset: proven by its construction, or by every local caller passing one.
      if (!known.has(call.id) && !datasetViaCallers(module, methodReceiver(call)!, 0)) continue;
      if (streams(module, call)) continue;
      const map = { call };
      const what = fn.node.type === 'lambda' ? 'a lambda' : `the nested function ${module.functionName(fn.node)}()`;
      reporter.report({
        range: nodeRange(field(map.call, 'function')!),
        messageId: 'unhashableMapFunction',
        data: { function: what, capture: capture.what === 'self' ? `${capture.name}, so the whole object is pickled to hash it` : `${capture.what} (${capture.name})` },
        related: [{ range: nodeRange(capture.node), message: `captured ${capture.what}` }],
      });
    }
  },
});

/** False when caching is off anyway, or the user already fixed the fingerprint or the cache file. */
/** `ds.map(...)` where `ds` is a parameter (or derived from one) that every local call site fills with a dataset. */
function datasetViaCallers(module: PythonModule, expr: Node, depth: number): boolean {
  if (depth > 10) return false;
  const n = unwrap(expr);
  if (isHfDataset(module, n)) return true;
  if (n.type === 'call') {
    const receiver = methodReceiver(n);
    return !!receiver && DERIVING.has(calledMethod(n) ?? '') && datasetViaCallers(module, receiver, depth + 1);
  }
  if (n.type === 'subscript') {
    const value = field(n, 'value');
    return !!value && datasetViaCallers(module, value, depth + 1);
  }
  if (n.type !== 'identifier') return false;
  const name = textOf(n);
  const previous = previousValue(module, name, n);
  if (previous) return datasetViaCallers(module, previous, depth + 1);
  const fn = module.enclosingFunction(n);
  if (!fn || !parameterNames(fn).includes(name)) return false;
  const args = argumentsForParameter(module, fn, name);
  return !!args && args.every((a) => datasetViaCallers(module, a, depth + 1));
}

function cachesResult(args: ReturnType<typeof callArguments>): boolean {
  if (args.hasKwargs) return false;
  if (args.keywords.has('new_fingerprint') || args.keywords.has('cache_file_name') || args.keywords.has('cache_file_names')) return false;
  if (literalValue(args.keywords.get('load_from_cache_file')) === false) return false;
  if (args.keywords.has('keep_in_memory') && literalValue(args.keywords.get('keep_in_memory')) !== false) return false;
  return true;
}

/** A streaming dataset (`load_dataset(..., streaming=True)`) maps lazily and has no cache. */
function streams(module: PythonModule, call: Node): boolean {
  const receiverText = textOf(field(field(call, 'function')!, 'object')!);
  if (/streaming\s*=|IterableDataset|to_iterable_dataset/.test(receiverText)) return true;
  const head = /^[\w.]+/.exec(receiverText)?.[0];
  if (!head) return false;
  return bindingsAt(module, head.split('[')[0], call).some((b) => b.kind === 'value' && /streaming\s*=\s*(?!False)|to_iterable_dataset|IterableDataset/.test(textOf(b.value)));
}

interface Capture {
  name: string;
  what: string;
  node: Node;
}

/** The first free name of the function that holds `self` or an unpicklable object. */
function unhashableCapture(module: PythonModule, fn: Node): Capture | undefined {
  const body = field(fn, 'body');
  if (!body) return undefined;
  // Cheap text test first: the body must mention `self` or a name ever bound to something unpicklable.
  const suspects = suspectNames(module);
  const tokens = textOf(body).match(/(?<![\w.])[A-Za-z_]\w*/g) ?? [];
  if (!tokens.some((t) => t === 'self' || suspects.has(t))) return undefined;
  const local = new Set(allParameterNames(fn));
  if (fn.type === 'function_definition') {
    for (const a of descendantsOfType(body, ['assignment', 'augmented_assignment', 'for_statement'])) {
      const left = field(a, 'left');
      if (left) for (const id of descendantsOfType(left, 'identifier')) local.add(textOf(id));
    }
  }
  for (const id of freeIdentifiers(body, local)) {
    const name = textOf(id);
    if (name === 'self') {
      const self = selfAttribute(id);
      return { name: self, what: 'self', node: id };
    }
    const what = unpicklableValue(module, name, fn);
    if (what) return { name, what, node: id };
  }
  return undefined;
}

/** `self.tok` for the `self` identifier inside `self.tok(...)`, for the message. */
function selfAttribute(id: Node): string {
  const parent = parentOf(id);
  if (parent?.type === 'attribute' && field(parent, 'object')?.id === id.id) return textOf(parent);
  return 'self';
}

const suspectsCache = new ModuleFact<Set<string>>();

/** Names the module binds (by assignment or `with … as`) to a value `valueKind` recognises; computed once. */
function suspectNames(module: PythonModule): Set<string> {
  return suspectsCache.get(module, () => {
    const out = new Set<string>();
    for (const a of module.assignments) {
      const left = field(a, 'left');
      const right = field(a, 'right');
      if (left?.type === 'identifier' && right && unwrap(right).type === 'call' && valueKind(module, right, 0)) out.add(textOf(left));
    }
    for (const w of module.withStatements) {
      if (!/\bopen\(/.test(textOf(w))) continue;
      for (const item of descendantsOfType(w, 'as_pattern')) {
        const alias = field(item, 'alias') ?? item.namedChild(item.namedChildCount - 1);
        if (alias) out.add(textOf(alias));
      }
    }
    return out;
  });
}

/** Identifiers read in `node` that are not bound locally: object heads of attributes, not attribute names or keywords. */
function freeIdentifiers(node: Node, local: ReadonlySet<string>): Node[] {
  const out: Node[] = [];
  const visit = (n: Node, bound: ReadonlySet<string>) => {
    if (n.type === 'identifier') {
      if (!bound.has(textOf(n))) out.push(n);
      return;
    }
    if (n.type === 'attribute') {
      const object = field(n, 'object');
      if (object) visit(object, bound);
      return;
    }
    if (n.type === 'keyword_argument') {
      const value = field(n, 'value');
      if (value) visit(value, bound);
      return;
    }
    if (n.type === 'lambda') {
      const inner = new Set(bound);
      const params = field(n, 'parameters');
      if (params) for (const id of descendantsOfType(params, 'identifier')) inner.add(textOf(id));
      const body = field(n, 'body');
      if (body) visit(body, inner);
      return;
    }
    if (/comprehension$|^generator_expression$/.test(n.type)) {
      const inner = new Set(bound);
      for (const clause of namedChildren(n).filter((c) => c.type === 'for_in_clause')) {
        const left = field(clause, 'left');
        if (left) for (const id of descendantsOfType(left, 'identifier')) inner.add(textOf(id));
      }
      for (const c of namedChildren(n)) visit(c, inner);
      return;
    }
    if (n.type === 'function_definition' || n.type === 'class_definition') return;
    for (const c of namedChildren(n)) visit(c, bound);
  };
  visit(node, local);
  return out;
}

/** What unpicklable thing a captured name holds, following its bindings in the enclosing scopes. */
function unpicklableValue(module: PythonModule, name: string, fn: Node): string | undefined {
  // `with open(p) as f:` around the function definition.
  for (let w = ancestorOfType(fn, ['with_statement']); w; w = ancestorOfType(w, ['with_statement'])) {
    for (const item of descendantsOfType(w, 'as_pattern')) {
      const body = field(w, 'body');
      if (body && item.startIndex >= body.startIndex) continue;
      const alias = field(item, 'alias') ?? item.namedChild(item.namedChildCount - 1);
      const value = item.namedChild(0);
      if (alias && value && textOf(alias) === name) return valueKind(module, value, 0);
    }
  }
  const bindings = bindingsAt(module, name, fn);
  if (bindings.length === 0) return undefined;
  let kind: string | undefined;
  for (const b of bindings) {
    if (b.kind !== 'value') return undefined;
    const k = valueKind(module, b.value, 0);
    if (!k) return undefined;
    kind ??= k;
  }
  return kind;
}

function valueKind(module: PythonModule, value: Node, depth: number): string | undefined {
  if (depth > 3) return undefined;
  const v = unwrap(value);
  if (v.type !== 'call') return undefined;
  const fnNode = field(v, 'function');
  if (fnNode?.type === 'identifier' && textOf(fnNode) === 'open' && module.imports.resolveDotted('open') === undefined) return 'an open file';
  const q = module.callee(v);
  if (q) {
    for (const [re, what] of UNPICKLABLE) if (re.test(q)) return what;
    if (isModelFactory(q)) return 'a model';
    return undefined;
  }
  if (fnNode?.type === 'attribute' && MODEL_PASSTHROUGH.has(textOf(field(fnNode, 'attribute')!))) {
    const receiver = field(fnNode, 'object');
    const inner = receiver && valueKind(module, receiver, depth + 1);
    return inner === 'a model' ? inner : undefined;
  }
  return undefined;
}
