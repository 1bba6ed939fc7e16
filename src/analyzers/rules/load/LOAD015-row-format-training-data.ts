import type { RelatedLocation } from '../../../shared/findings';
import { argument, callArguments } from '../../engine/calls';
import { ancestorOfType, calledMethod, field, literalValue, nodeRange, textOf, unwrap, type Node } from '../../engine/syntax';
import { descendantsOfType } from '../../python/bindings';
import { callSitesOf } from '../../python/callsites';
import { ModuleFact } from '../../python/facts';
import type { PythonModule } from '../../python/module';
import { constantValue } from '../../python/resolve';
import { defineRule } from '../rule';

const READERS: ReadonlyMap<string, string> = new Map([
  ['pandas.read_csv', 'CSV'], ['pandas.read_table', 'CSV'], ['pandas.read_json', 'JSON'],
  ['numpy.loadtxt', 'text'], ['numpy.genfromtxt', 'text'], ['json.load', 'JSON'],
]);
/** Calls that consume a training set. */
const TRAINING_SINKS = /^(sklearn\.model_selection\.(train_test_split|cross_val_score|cross_validate|cross_val_predict)|xgboost\.(DMatrix|QuantileDMatrix|DeviceQuantileDMatrix|train|cv)|lightgbm\.(Dataset|train|cv)|catboost\.Pool|torch\.utils\.data\.TensorDataset|datasets\.Dataset\.from_(pandas|dict|list)|tensorflow\.data\.Dataset\.from_tensor_slices)$/;
const FIT_METHODS = new Set(['fit', 'partial_fit', 'fit_generator', 'train_on_batch']);
/** File names of side tables (labels, class maps, configs, splits), which are small. */
const SIDE_TABLE = /(config|label|class|vocab|meta|param|setting|mapping|split|fold|submission|sample|schema|hparam)[^/\\]*$/i;
const COMPRESSED = /\.(gz|bz2|xz|zst|zip|tar|7z)$/i;
/**
 * Files whose size the path itself bounds: GitHub serves no file over 100 MB (raw.githubusercontent.com, /raw/ links),
 * and the TensorFlow tutorial bucket and the UCI archive hold tutorial-sized tables. Parsing them takes well under
 * a second, so converting them to Parquet gains nothing.
 */
const SMALL_BY_HOST = /^https?:\/\/(raw\.githubusercontent\.com|github\.com\/[^/]+\/[^/]+\/raw|gist\.githubusercontent\.com|storage\.googleapis\.com\/(download\.tensorflow\.org|tf-datasets)|archive\.ics\.uci\.edu)\//i;
/** Classic teaching tables (Iris, Titanic, Boston/California housing, Pima diabetes, wine quality …): kilobytes to a few MB. */
const SMALL_DATASETS = /(^|[/\\])(iris|titanic|train_titanic|boston(_housing)?|housing|california_housing(_train|_test)?|diabetes|pima[-_\w]*|wine|winequality[-_\w]*|heart|insurance|abalone[-_\w]*|auto[-_]?mpg|penguins|tips|breast[-_]cancer|mushrooms?|advertising)\.(csv|tsv|txt|data)$/i;

export default defineRule({
  code: 'LOAD015',
  name: 'row-format-training-data',
  family: 'LOAD',
  severity: 'info',
  confidence: 'medium',
  fix: 'none',
  skipTestFiles: true,
  messages: {
    rowFormat: 'The training data is parsed from an uncompressed {{format}} file ({{path}}) on every run. If the file is large, convert it once to Parquet (df.to_parquet(..., compression="zstd")) and read that: it loads faster, keeps dtypes and takes a fraction of the disk space.',
  },
  docs: `## What it does
Finds a training script that reads its main dataset from an uncompressed row-oriented text file — \`pd.read_csv\`,
\`pd.read_table\`, \`pd.read_json\`, \`json.load(open(p))\`, \`np.loadtxt\` or \`np.genfromtxt\` — whose result flows (through
assignments, column selections, or a loader function's \`return\`) into training: an estimator's \`fit\`,
\`train_test_split\`/\`cross_val_score\`, \`xgb.DMatrix\`, \`lgb.Dataset\`, \`TensorDataset\`, \`Dataset.from_pandas\` or
\`tf.data.Dataset.from_tensor_slices\`. Side tables (labels, class maps, configs, splits), compressed files, samples
(\`nrows=\`), chunked reads, reads already tuned with \`usecols=\`/\`dtype=\`, and reads inside loops or \`__getitem__\` (see LOAD006) are not reported. The size of the file
cannot be seen statically: the profile runner's IO probe confirms it. Files whose path bounds their size are not
reported either: a table served from GitHub (\`raw.githubusercontent.com\`, \`/raw/\` links; GitHub stores no file over
100 MB), the TensorFlow tutorial buckets (\`storage.googleapis.com/download.tensorflow.org\`, \`…/tf-datasets\`) or the UCI
archive (also when the URL is written as adjacent string literals), and the
classic teaching tables by name (\`iris.csv\`, \`titanic.csv\`, \`housing.csv\`, \`diabetes.csv\`, \`winequality-red.csv\`,
\`insurance.csv\` …): read once into memory, they parse in milliseconds, so a conversion gains nothing. Reads of an
in-memory string (\`pd.read_csv(StringIO(text))\`) have no file to convert. Notebooks are not reported: the kernel
keeps the frame across every experiment of the session, so the parse is paid once, not once per training run.

## Why is this bad?
Row text formats parse every value from characters on every run, carry no types, and take several times the disk
space of a columnar format such as Parquet or Arrow with Snappy or Zstd compression. pandas' "Scaling to large
datasets" guide recommends "Use efficient datatypes" and "Load less data" — Parquet stores types and lets a reader load
only the needed columns; on large tables the CSV parse is often the longest part of the start-up before training.

## Example
\`\`\`python
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

df = pd.read_csv("data/train.csv")
X = df.drop(columns=["target"])
y = df["target"]
RandomForestClassifier().fit(X, y)
\`\`\`

## Use instead
\`\`\`python
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

# once: pd.read_csv("data/train.csv").to_parquet("data/train.parquet", compression="zstd")
df = pd.read_parquet("data/train.parquet")
X = df.drop(columns=["target"])
y = df["target"]
RandomForestClassifier().fit(X, y)
\`\`\`

## Fix safety
No automatic fix: the conversion (\`df.to_parquet(path, compression="zstd")\`) has to run once, and the script must then
read the new file. Check dtypes after converting: a CSV read may have inferred types that Parquet then stores.

## References
- pandas, "Scaling to large datasets": https://pandas.pydata.org/docs/user_guide/scale.html
- pandas IO tools, Parquet: https://pandas.pydata.org/docs/user_guide/io.html#parquet
- Apache Parquet: https://parquet.apache.org/docs/overview/
`,

  checkPython(module, reporter) {
    // A notebook's kernel keeps the frame across every experiment of the session: the parse is paid once.
    if (module.path.endsWith('.ipynb') || !module.importsAny('pandas', 'numpy', 'json')) return;
    if (!module.importsAny('pandas', 'numpy', 'json')) return;
    const reads = module.callsTo([...READERS.keys()]);
    if (reads.length === 0 || !hasTrainingCall(module)) return;
    for (const read of reads) {
      const q = module.callee(read)!;
      const path = readPath(module, read, q);
      if (!path || !mainDatasetRead(module, read, path)) continue;
      const sink = trainingSink(module, read);
      if (!sink) continue;
      const format = READERS.get(q)!;
      const related: RelatedLocation[] = [{ range: nodeRange(sink), message: 'the data read here feeds training' }];
      reporter.report({
        range: nodeRange(read),
        messageId: 'rowFormat',
        data: { format, path: textOf(path) },
        related,
      });
    }
  },
});

/** The path argument; for `json.load(f)` the path of `open(p)` or of `with open(p) as f`. */
function readPath(module: PythonModule, read: Node, q: string): Node | undefined {
  const args = callArguments(read);
  if (q !== 'json.load') {
    const p = argument(args, q.startsWith('numpy') ? 'fname' : 'filepath_or_buffer', 0);
    const alt = q === 'pandas.read_json' ? argument(args, 'path_or_buf', 0) : p;
    const found = p.kind === 'present' ? p.node : alt.kind === 'present' ? alt.node : undefined;
    return found;
  }
  const fp = argument(args, 'fp', 0);
  if (fp.kind !== 'present') return undefined;
  const f = unwrap(fp.node);
  const opened = openPath(module, f);
  if (opened) return opened;
  if (f.type !== 'identifier') return undefined;
  for (let w = ancestorOfType(read, ['with_statement']); w; w = ancestorOfType(w, ['with_statement'])) {
    for (const item of descendantsOfType(w, 'as_pattern')) {
      const alias = field(item, 'alias') ?? item.namedChild(item.namedChildCount - 1);
      const value = item.namedChild(0);
      if (alias && value && textOf(alias) === textOf(f)) return openPath(module, unwrap(value));
    }
  }
  return undefined;
}

function openPath(module: PythonModule, node: Node): Node | undefined {
  if (node.type !== 'call') return undefined;
  const fn = field(node, 'function');
  if (fn?.type !== 'identifier' || textOf(fn) !== 'open' || module.imports.resolveDotted('open')) return undefined;
  const args = callArguments(node);
  const mode = argument(args, 'mode', 1);
  if (mode.kind === 'present' && !/^r?t?$/.test(String(literalValue(mode.node)))) return undefined;
  return args.positional[0];
}

/** Not a sample, a chunked or per-item read, a compressed file or a side table. */
function mainDatasetRead(module: PythonModule, read: Node, path: Node): boolean {
  const args = callArguments(read);
  if (args.hasKwargs) return false;
  // Samples and chunked reads; and reads already tuned with column selection or dtypes (the pandas scaling guide's
  // first advice), where the author has weighed the read cost: a conversion hint there is noise.
  for (const k of ['nrows', 'chunksize', 'iterator', 'max_rows', 'skip_footer', 'usecols', 'dtype']) if (args.keywords.has(k)) return false;
  const compression = args.keywords.get('compression');
  if (compression && literalValue(compression) !== null) return false;
  const text = textOf(path);
  // `pd.read_csv(StringIO(text))`: an in-memory string, no file to convert.
  const inner = unwrap(path);
  if (inner.type === 'call' && /^io\.(StringIO|BytesIO)$/.test(module.callee(inner) ?? '')) return false;
  const literal = literalValue(path);
  const name = typeof literal === 'string' ? literal : text;
  const trimmed = name.replace(/["')\s]+$/, '');
  if (COMPRESSED.test(trimmed) || SIDE_TABLE.test(trimmed)) return false;
  // A small table read once per run: its parse costs milliseconds.
  const value = typeof literal === 'string' ? literal : constantValue(module, path, read);
  if (typeof value === 'string' && (SMALL_BY_HOST.test(value) || SMALL_DATASETS.test(value))) return false;
  if (typeof literal === 'string' && /^(https?|s3|gs):\/\//.test(literal) && COMPRESSED.test(literal)) return false;
  for (let p = module.enclosingFunction(read); p; p = module.enclosingFunction(p)) if (module.functionName(p) === '__getitem__') return false;
  // Inside a loop: one of many files (shards, per-sample files), not "the" dataset file.
  return ancestorOfType(read, ['for_statement', 'while_statement', 'list_comprehension', 'generator_expression']) === undefined;
}

/** The first training call the read's result flows into: in its scope, or in callers of the function returning it. */
function trainingSink(module: PythonModule, read: Node): Node | undefined {
  const scope = module.enclosingFunction(read);
  const seeds = new Set<string>();
  const bound = boundNames(read);
  for (const b of bound) seeds.add(b);
  if (seeds.size === 0 && !returnedDirectly(read)) return undefined;
  const tainted = propagate(module, scope, seeds);
  const sink = sinkIn(module, scope, tainted);
  if (sink) return sink;
  // `def load(): df = pd.read_csv(p); return X, y` -> `X, y = load(); model.fit(X, y)`.
  if (!scope) return undefined;
  const returns = module.returns.filter((r) => module.enclosingFunction(r)?.id === scope.id && r.namedChild(0));
  const returnsData = returns.some((r) => r.namedChild(0)!.id === read.id || ancestorOfType(read, ['return_statement'])?.id === r.id || mentionsAny(r, tainted));
  if (!returnsData) return undefined;
  for (const call of callSitesOf(module, scope)) {
    const callerScope = module.enclosingFunction(call);
    const callerSeeds = new Set(boundNames(call));
    const direct = enclosingSinkCall(module, call);
    if (direct) return direct;
    if (callerSeeds.size === 0) continue;
    const s = sinkIn(module, callerScope, propagate(module, callerScope, callerSeeds));
    if (s) return s;
  }
  return undefined;
}

function returnedDirectly(read: Node): boolean {
  return ancestorOfType(read, ['return_statement']) !== undefined;
}

/** Names an expression is assigned to: `df = read(...)`, `X, y = load()`, `data = json.load(f)`. */
function boundNames(expr: Node): string[] {
  let n = expr;
  for (let p = n.parent; p && (p.type === 'parenthesized_expression' || p.type === 'attribute' || p.type === 'call' || p.type === 'subscript'); p = p.parent) n = p;
  const parent = n.parent;
  if (parent?.type !== 'assignment' || field(parent, 'right')?.id !== n.id) return [];
  const left = field(parent, 'left');
  return left ? descendantsOfType(left, 'identifier').map(textOf) : [];
}

const assignmentsByScopeCache = new ModuleFact<Map<number | 'module', Node[]>>();

/** Assignments in a scope (function or module level), computed once per scope. */
function scopeAssignments(module: PythonModule, scope: Node | undefined): Node[] {
  const byScope = assignmentsByScopeCache.get(module, () => {
    const index = new Map<number | 'module', Node[]>();
    for (const a of module.assignments) {
      const key = module.enclosingFunction(a)?.id ?? 'module';
      const list = index.get(key);
      if (list) list.push(a);
      else index.set(key, [a]);
    }
    return index;
  });
  return byScope.get(scope?.id ?? 'module') ?? [];
}

/** Names derived from the seeds by assignments in the same scope, to a fixpoint. */
function propagate(module: PythonModule, scope: Node | undefined, seeds: Set<string>): Set<string> {
  const tainted = new Set(seeds);
  const assignments = scopeAssignments(module, scope);
  for (let changed = true, rounds = 0; changed && rounds < 8; rounds++) {
    changed = false;
    for (const a of assignments) {
      const right = field(a, 'right');
      const left = field(a, 'left');
      if (!right || !left || !mentionsAny(right, tainted)) continue;
      for (const id of descendantsOfType(left, 'identifier').map(textOf)) {
        if (!tainted.has(id)) {
          tainted.add(id);
          changed = true;
        }
      }
    }
  }
  return tainted;
}

const patterns = new WeakMap<ReadonlySet<string>, { size: number; re: RegExp }>();
function namesPattern(names: ReadonlySet<string>): RegExp {
  const cached = patterns.get(names);
  if (cached && cached.size === names.size) return cached.re;
  const re = new RegExp(`(?<![\\w.])(${[...names].map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})(?!\\w)`);
  patterns.set(names, { size: names.size, re });
  return re;
}

function mentionsAny(node: Node, names: ReadonlySet<string>): boolean {
  if (names.size === 0) return false;
  // Text test first: walking the subtree is a call into wasm per node.
  if (!namesPattern(names).test(textOf(node))) return false;
  return descendantsOfType(node, 'identifier').some((id) => names.has(textOf(id)) && !(id.parent?.type === 'keyword_argument' && field(id.parent, 'name')?.id === id.id)
    && !(id.parent?.type === 'attribute' && field(id.parent, 'attribute')?.id === id.id));
}

const moduleLevelCallsCache = new ModuleFact<Node[]>();

/** A training call in the scope whose arguments mention a tainted name. */
function sinkIn(module: PythonModule, scope: Node | undefined, tainted: ReadonlySet<string>): Node | undefined {
  if (tainted.size === 0) return undefined;
  const calls = scope ? module.callsWithin(field(scope, 'body') ?? scope) : moduleLevelCallsCache.get(module, () => module.calls.filter((c) => module.enclosingFunction(c) === undefined));
  for (const call of calls) {
    const args = field(call, 'arguments');
    if (!args || !mentionsAny(args, tainted)) continue;
    if (isTrainingCall(module, call, 0)) return call;
  }
  return undefined;
}

/** `read(...)` used directly as an argument of a training call: `model.fit(*load())`, `train_test_split(load())`. */
function enclosingSinkCall(module: PythonModule, call: Node): Node | undefined {
  for (let p = call.parent; p && p.type !== 'expression_statement' && p.type !== 'block'; p = p.parent) {
    if (p.type === 'call' && p.id !== call.id && isTrainingCall(module, p, 0)) return p;
  }
  return undefined;
}

const hasTrainingCallCache = new ModuleFact<boolean>();

/** Any training call at all in the module (a cheap gate before following data flow). */
function hasTrainingCall(module: PythonModule): boolean {
  return hasTrainingCallCache.get(module, () =>
    [...FIT_METHODS].some((m) => module.methodCalls(m).length > 0) || module.calls.some((c) => TRAINING_SINKS.test(module.callee(c) ?? '')));
}

function isTrainingCall(module: PythonModule, call: Node, depth: number): boolean {
  const q = module.callee(call);
  if (q && TRAINING_SINKS.test(q)) return true;
  const method = calledMethod(call);
  if (method && FIT_METHODS.has(method)) return true;
  // One level into a local function that trains: `train(model, X, y)`.
  if (depth === 0) {
    const target = module.localCallTarget(call);
    const body = target && field(target, 'body');
    if (body) return module.callsWithin(body).some((c) => isTrainingCall(module, c, 1));
  }
  return false;
}
