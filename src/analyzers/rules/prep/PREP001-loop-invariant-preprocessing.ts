import type { Fix } from '../../../shared/findings';
import { calledMethod, contains, dottedName, field, indentOf, namedChildren, nodeRange, parentOf, unwrap, type Node } from '../../engine/syntax';
import { descendantsOfType } from '../../python/bindings';
import { isHfDataset, tokenizerCall } from '../../python/huggingface';
import type { PythonModule } from '../../python/module';
import { everyValue } from '../../python/provenance';
import { epochLoops } from '../../python/training';
import { defineRule } from '../rule';
import { calledBodies, drawsRandomness, isTrainingState, isWritten, loopWrites, modelNamesIn, namesRead, targetNames } from './loop-invariance';

export default defineRule({
  code: 'PREP001',
  name: 'loop-invariant-preprocessing',
  family: 'PREP',
  severity: 'warning',
  confidence: 'medium',
  fix: 'safe',
  skipTestFiles: true,
  messages: {
    rebuiltEveryEpoch: '{{work}} is rebuilt every epoch from inputs the loop does not change. Create it once above the epoch loop.',
    repeatedEveryEpoch: '{{work}} runs every epoch but reads nothing the loop changes, so each epoch repeats the same work. Move it above the epoch loop (or cache its result).',
  },
  docs: `## What it does
Finds preprocessing inside an epoch loop (the loop around the training loop, or \`for epoch in ...: model.fit(...,
epochs=1)\`) whose inputs do not change from one epoch to the next: reading files (\`pd.read_*\`, \`np.load\`,
\`load_dataset\`), fitting an sklearn transformer (\`fit\`/\`fit_transform\`), tokenizing, \`datasets\` \`.map\`,
building \`torchvision.datasets.*\`, a \`Dataset\` or a \`DataLoader\`, and full-frame pandas \`apply\`/\`merge\`/\`groupby\`.
A statement is reported only when nothing it reads is assigned or mutated in the loop, it does not read the loop
variable, the epoch counter, the model or the trainer, and it draws no random numbers. Rebuilding a \`DataLoader\`,
\`Subset\`, \`ConcatDataset\` or \`TensorDataset\` is cheap by itself and is reported as \`info\`.

## Why is this bad?
The same work is repeated every epoch and its result is the same each time: the accelerator idles while the CPU
redoes it. The TensorFlow data guide makes the same point about caching: with a cache, "the transformations before
the \`cache\` one (like the file opening and data reading) are executed only during the first epoch". Lightning puts
downloading and tokenizing in \`prepare_data\`/\`setup\`, which run once, not per epoch.

Per-fold fitting inside \`for train_idx, test_idx in kf.split(X)\` is the correct way to avoid leakage, random
augmentation must run every epoch, and preprocessing that depends on the model or the epoch (hard-negative mining,
curriculum, pseudo-labels) is legitimately coupled: none of these is reported.

## Example
\`\`\`python
import numpy as np
from sklearn.preprocessing import StandardScaler

def train(model, opt, epochs):
    scaler = StandardScaler()
    for epoch in range(epochs):
        features = np.load("features.npy")
        x = scaler.fit_transform(features)
        for i in range(0, len(x), 64):
            loss = model.loss(x[i:i + 64])
            loss.backward()
            opt.step()
\`\`\`

## Use instead
\`\`\`python
import numpy as np
from sklearn.preprocessing import StandardScaler

def train(model, opt, epochs):
    scaler = StandardScaler()
    features = np.load("features.npy")
    x = scaler.fit_transform(features)
    for epoch in range(epochs):
        for i in range(0, len(x), 64):
            loss = model.loss(x[i:i + 64])
            loss.backward()
            opt.step()
\`\`\`

## Fix safety
"Hoist out of loop" moves the statement to just before the loop. It is safe when the statement assigns names that
nothing else in the loop reassigns or mutates, and every call in it is side-effect free (library readers,
tokenizers, \`datasets\` maps, dataset and loader constructors, \`fit_transform\`). If the loop can run zero times the
hoisted statement now runs once anyway. Otherwise (a bare \`scaler.fit(X)\`, a call to your own function, a target
the loop changes, a name it reads handed to one of your functions that may change it in place, its target read
earlier in the iteration or in the loop's header, or a subprocess, \`os.system\`, \`shutil\` or file-writing call in
the loop that may rewrite what it loads) the fix is offered as unsafe; a name it reads that the loop or a function
it calls rebinds (\`global\`) means it is not reported at all; if the data does not fit in memory, cache it to disk instead
(\`np.save\`/\`torch.save\` on the first run, the \`datasets\` cache).

## References
- TensorFlow, "Better performance with the tf.data API", Caching: https://www.tensorflow.org/guide/data_performance#caching
- Lightning, LightningDataModule (prepare_data and setup): https://lightning.ai/docs/pytorch/stable/data/datamodule.html
- scikit-learn, Common pitfalls (fit preprocessing on each training fold): https://scikit-learn.org/stable/common_pitfalls.html
`,

  checkPython(module, reporter) {
    for (const loop of epochLoops(module)) {
      if (isFoldLoop(module, loop)) continue;
      const body = field(loop, 'body');
      if (!body) continue;
      const statements = namedChildren(body).filter((s) => s.type !== 'comment');
      for (const statement of statements) {
        if (statement.type !== 'expression_statement' || statement.namedChildCount !== 1) continue;
        const inner = statement.namedChild(0)!;
        const target = inner.type === 'assignment' ? field(inner, 'left') : undefined;
        const value = inner.type === 'assignment' ? field(inner, 'right') : inner.type === 'call' ? inner : undefined;
        if (!value || (inner.type === 'assignment' && !target)) continue;
        const work = findPreprocessing(module, value);
        if (!work) continue;
        // The loop's writes and model names cost a walk of the whole loop: only for a candidate.
        const writes = loopWrites(module, loop);
        const models = modelNamesIn(module, module.enclosingFunction(loop) ?? module.root);
        const own = target ? targetNames(target) : new Set<string>();
        const reads = namesRead(value);
        if ([...reads].some((n) => isWritten(n, writes, statement, own) || isTrainingState(n, models))) continue;
        if (work.reads && readsWhatLoopWrites(module, loop, work.call)) continue;
        if (work.eager ? drawsRandomness(module, value) : work.localClassInit && drawsRandomness(module, work.localClassInit)) continue;
        const safe = work.pure && !!target && own.size > 0 && !targetsMutated(own, writes, statement) && otherCallsPure(module, value, work.call)
          && !readBeforeAssigned(module, loop, statement, own) && !loopMayRewriteFiles(module, loop, statement, work.reads || /^torchvision\.datasets\./.test(module.callee(work.call) ?? '') ? work.call : undefined) && !handsReadsToUnknownCalls(module, loop, statement, reads);
        const fix = hoistFix(module, loop, statement, statements, safe);
        reporter.report({
          range: nodeRange(field(work.call, 'function')!),
          severity: work.cheap ? 'info' : undefined,
          messageId: work.cheap ? 'rebuiltEveryEpoch' : 'repeatedEveryEpoch',
          data: { work: work.label },
          related: [{ range: nodeRange(field(loop, 'left') ?? loop), message: 'the epoch loop' }],
          fixes: fix ? [fix] : [],
        });
      }
    }
  },
});

interface Preprocessing {
  call: Node;
  label: string;
  /** The call computes now (not deferred to iteration), so random draws in it would change per epoch. */
  eager: boolean;
  /** Side-effect free: repeating it or running it once gives the same program state. */
  pure: boolean;
  /** A local Dataset class's __init__, which runs eagerly even though the class is a lazy dataset. */
  localClassInit?: Node;
  /** Reads a file, whose contents the loop may rewrite (metrics logs, checkpoints). */
  reads?: boolean;
  /** Cheap to repeat (reported as info). */
  cheap?: boolean;
}

const SKLEARN_TRANSFORMER_MODULES = [
  'sklearn.preprocessing.', 'sklearn.feature_extraction.', 'sklearn.decomposition.', 'sklearn.impute.',
  'sklearn.feature_selection.', 'sklearn.compose.', 'sklearn.random_projection.', 'sklearn.kernel_approximation.',
];
const TORCH_DATA_CONSTRUCTORS = new Set([
  'torch.utils.data.DataLoader', 'torch.utils.data.TensorDataset', 'torch.utils.data.ConcatDataset', 'torch.utils.data.Subset',
]);
const DATASET_READERS = /^datasets\.(load_dataset|load_from_disk|(Dataset|DatasetDict)\.(from_\w+|load_from_disk))$/;

/** The first (outermost) preprocessing call in an expression, lambdas and nested definitions excluded. */
function findPreprocessing(module: PythonModule, value: Node): Preprocessing | undefined {
  const calls = module.callsInside(value).filter((c) => !insideLambda(c, value));
  for (const call of calls) {
    const p = classify(module, call);
    if (p) return p;
  }
  return undefined;
}

function insideLambda(node: Node, scope: Node): boolean {
  for (let p = parentOf(node); p && p.id !== scope.id; p = parentOf(p)) if (p.type === 'lambda') return true;
  return false;
}

function classify(module: PythonModule, call: Node): Preprocessing | undefined {
  const fn = field(call, 'function')!;
  const label = `${fn.text.replace(/\s+/g, '')}(...)`;
  const q = module.callee(call);
  if (q) {
    if (/^pandas\.read_\w+$/.test(q) || /^numpy\.(load|loadtxt|genfromtxt)$/.test(q) || DATASET_READERS.test(q)) return { call, label, eager: true, pure: true, reads: true };
    if (q === 'pandas.merge') return { call, label, eager: true, pure: true };
    if (q.startsWith('torchvision.datasets.')) return { call, label, eager: false, pure: true };
    // Wrapping a dataset in a loader or subset is cheap by itself; rebuilding it mostly costs worker start-up.
    if (TORCH_DATA_CONSTRUCTORS.has(q)) return { call, label, eager: false, pure: true, cheap: true };
  }
  const local = fn.type === 'identifier' ? localDatasetClass(module, fn.text) : undefined;
  if (local) return { call, label, eager: false, pure: false, localClassInit: local };
  const method = calledMethod(call);
  const receiver = method ? field(fn, 'object') : undefined;
  if (method && receiver) {
    if ((method === 'fit_transform' || method === 'fit') && isSklearnTransformer(module, receiver)) {
      return { call, label, eager: true, pure: method === 'fit_transform' };
    }
    if (method === 'map' && isHfDataset(module, receiver)) return { call, label, eager: true, pure: true };
    if ((method === 'apply' || method === 'merge' || method === 'groupby') && isDataFrame(module, receiver)) return { call, label, eager: true, pure: true };
  }
  if (tokenizerCall(module, call)) return { call, label, eager: true, pure: true };
  return undefined;
}

/** `class X(Dataset)` defined in this module: returns its `__init__` (or the class body when it has none). */
function localDatasetClass(module: PythonModule, name: string): Node | undefined {
  const cls = module.classes.find((c) => field(c, 'name')?.text === name);
  if (!cls || !module.baseClasses(cls).some((b) => /^torch\.utils\.data\.(Dataset|IterableDataset|TensorDataset)$/.test(b))) return undefined;
  const init = module.functions.find((f) => module.functionName(f) === '__init__' && module.enclosingClass(f)?.id === cls.id);
  return (init && field(init, 'body')) ?? field(cls, 'body');
}

/** A scikit-learn transformer by provenance: every value the name may hold is built by a transformer class. */
function isSklearnTransformer(module: PythonModule, expr: Node): boolean {
  return everyValue(module, expr, (n) => {
    const q = n.type === 'call' ? module.callee(n) : undefined;
    return !!q && SKLEARN_TRANSFORMER_MODULES.some((m) => q.startsWith(m));
  });
}

const FRAME_METHODS = new Set(['merge', 'join', 'assign', 'drop', 'dropna', 'fillna', 'copy', 'query', 'sort_values', 'reset_index', 'rename', 'astype', 'set_index', 'pivot_table', 'explode', 'sample', 'head', 'tail']);

/** A pandas DataFrame (or a column of one) by provenance: `pd.read_*`, `pd.DataFrame`, `pd.merge`, `pd.concat`, and frame methods on those. */
function isDataFrame(module: PythonModule, expr: Node): boolean {
  return everyValue(module, expr, (n, follow) => {
    if (n.type === 'call') {
      const q = module.callee(n);
      if (q && (/^pandas\.read_\w+$/.test(q) || q === 'pandas.DataFrame' || q === 'pandas.merge' || q === 'pandas.concat')) return true;
      const m = calledMethod(n);
      const receiver = m ? field(field(n, 'function')!, 'object') : undefined;
      return !!m && FRAME_METHODS.has(m) && !!receiver && follow(receiver);
    }
    if (n.type === 'subscript') {
      const v = field(n, 'value');
      return !!v && follow(v);
    }
    return false;
  });
}

const WRITER = /(^|\.)(save|savez|savez_compressed|savetxt|save_to_disk|to_csv|to_parquet|to_json|to_pickle|to_feather|dump|write|write_text|write_bytes)$/;
const LOG_LIKE_PATH = /log|metric|history|checkpoint|ckpt|progress|pseudo/i;

/**
 * A read the loop may invalidate: the path looks like a log, checkpoint or label file, or a write call in the loop
 * (or one level into local functions it calls) names the same path expression (`df.to_csv(path)` ... `pd.read_csv(path)`).
 */
function readsWhatLoopWrites(module: PythonModule, loop: Node, read: Node): boolean {
  const first = field(read, 'arguments')?.namedChild(0);
  if (!first || first.type === 'keyword_argument') return false;
  if (LOG_LIKE_PATH.test(first.text)) return true;
  const body = field(loop, 'body');
  if (!body) return false;
  const scopes = [body];
  for (const c of module.callsInside(body)) {
    const target = module.localCallTarget(c);
    const targetBody = target && field(target, 'body');
    if (targetBody && !contains(targetBody, loop)) scopes.push(targetBody);
  }
  return scopes.some((scope) => module.callsInside(scope).some((c) => {
    const name = module.callee(c) ?? field(c, 'function')?.text ?? '';
    const opensForWrite = name === 'open' && /['"][wa]b?\+?['"]/.test(field(c, 'arguments')?.text ?? '');
    if (!WRITER.test(name) && !opensForWrite) return false;
    return (field(c, 'arguments')?.text ?? '').includes(first.text);
  }));
}

/** Kfold loops (`for tr, te in kf.split(X)`) fit per fold on purpose (docs/analysis.md, trap 7). */
function isFoldLoop(module: PythonModule, loop: Node): boolean {
  if (loop.type !== 'for_statement') return false;
  const left = field(loop, 'left');
  const right = field(loop, 'right');
  if (left && /fold/i.test(left.text)) return true;
  if (!right) return false;
  if (/fold|split\s*\(|cross_val|\bcv\b/i.test(right.text)) return true;
  return module.callsInside(right).some((c) => (module.callee(c) ?? '').startsWith('sklearn.model_selection.'));
}

/** Another statement of the loop writes into a target (`df.dropna(inplace=True)`, `X[mask] = 0`). */
function targetsMutated(own: ReadonlySet<string>, writes: ReturnType<typeof loopWrites>, at: Node): boolean {
  for (const { statement, written } of writes.byStatement) {
    if (statement.id === at.id) continue;
    for (const w of written) for (const t of own) if (w === t || w.startsWith(t + '.') || t.startsWith(w + '.')) return true;
  }
  return false;
}

const PURE_LIBRARIES = ['numpy.', 'pandas.', 'torch.', 'torchvision.', 'sklearn.', 'datasets.', 'transformers.', 'os.path.', 'pathlib.', 'math.'];
const PURE_BUILTINS = new Set(['len', 'list', 'tuple', 'dict', 'set', 'sorted', 'str', 'int', 'float', 'bool', 'zip', 'range', 'enumerate', 'min', 'max', 'sum', 'abs', 'round', 'isinstance']);
const IMPURE_NAME = /save|write|to_csv|to_parquet|to_pickle|print|log|append|extend|update|insert|^set_|push|send|put|remove|delete|unlink|mkdir|backward|step|shuffle|seed/i;

/** Every other call in the statement is a library function or a builtin without side effects. */
function otherCallsPure(module: PythonModule, value: Node, work: Node | undefined, depth = 0): boolean {
  // A local function handed over as a callback (`df.apply(normalize_row)`) runs too: its calls must be pure.
  for (const r of descendantsOfType(value, 'identifier')) {
    const fn = module.findFunction(r.text, r);
    const body = fn && !contains(fn, value) ? field(fn, 'body') : undefined;
    if (body && (depth > 0 || !otherCallsPure(module, body, undefined, depth + 1))) return false;
  }
  for (const c of module.callsInside(value)) {
    if (c.id === work?.id || tokenizerCall(module, c)) continue;
    const fn = field(c, 'function');
    if (!fn) return false;
    const q = module.callee(c);
    const name = q ?? fn.text;
    if (IMPURE_NAME.test(name.split('.').pop() ?? '')) return false;
    if (/inplace\s*=\s*True/.test(field(c, 'arguments')?.text ?? '')) return false;
    if (q) {
      if (!PURE_LIBRARIES.some((p) => q.startsWith(p))) return false;
      continue;
    }
    if (fn.type === 'identifier') {
      if (!PURE_BUILTINS.has(fn.text) || module.findFunction(fn.text, c)) return false;
      continue;
    }
    // A method: fine on library values (`pd.read_csv(p).dropna()`, `df["a"].astype(str)`), not on `self` or unknown helpers.
    if (fn.type !== 'attribute' || field(fn, 'object')?.text === 'self') return false;
  }
  return true;
}

/**
 * The loop reads a name the statement assigns before the statement runs in an iteration (an earlier
 * statement, the loop's header, a `while` condition): the first iteration would see the hoisted value
 * instead of the one from before the loop.
 */
function readBeforeAssigned(module: PythonModule, loop: Node, statement: Node, own: ReadonlySet<string>): boolean {
  const body = field(loop, 'body');
  const earlier = [
    ...(loop.type === 'while_statement' ? [field(loop, 'condition')] : [field(loop, 'right')]),
    ...(body ? namedChildren(body).filter((s) => s.endIndex <= statement.startIndex) : []),
  ].filter((n): n is Node => !!n);
  const hits = (names: Iterable<string>) => [...names].some((n) => [...own].some((t) => n === t || n.startsWith(t + '.') || t.startsWith(n + '.')));
  return earlier.some((n) => hits(namesRead(n)) || calledBodies(module, n, loop).some((b) => hits(namesRead(b))));
}

const PROCESS_OR_FILE_WRITE = /^(subprocess\.\w+|os\.(system|popen|spawn\w*|exec\w*|remove|unlink|rename|replace)|shutil\.\w+)$/;
/** An argument whose name says it holds a file or folder path. */
const PATH_LIKE_NAME = /path|file|dir|fname|name|out|dest|target|root|prefix/i;

/**
 * Something in the loop (or a local function it calls) may rewrite the files the statement reads between
 * iterations: a subprocess, `os.system`, `shutil`, or a writer call (`np.save`, `to_csv`, `open(…, "w")`)
 * that could name the same file. A writer is let through only when the statement reads a literal path and
 * the writer names another literal path and nothing else that could be one (`torch.save(model.state_dict(),
 * "ckpt.pt")` beside `np.load("features.npy")`). The statement's result could otherwise change from one
 * epoch to the next, so the hoist is not safe.
 */
function loopMayRewriteFiles(module: PythonModule, loop: Node, statement: Node, readsFiles: Node | undefined): boolean {
  const body = field(loop, 'body');
  if (!body || !readsFiles) return false;
  const first = field(readsFiles, 'arguments')?.namedChild(0);
  const readPath = first?.type === 'string' ? first.text : undefined;
  const mayName = (c: Node) => {
    const args = namedChildren(field(c, 'arguments') ?? c).map((a) => (a.type === 'keyword_argument' ? field(a, 'value') : a));
    if (!readPath || !args.some((a) => a?.type === 'string')) return true;
    return args.some((a) => !a || a.text === readPath || (a.type !== 'string' && a.type !== 'call' && PATH_LIKE_NAME.test(a.text)) || (a.type === 'call' && /path|join/i.test(field(a, 'function')?.text ?? '')));
  };
  const scopes = [body, ...calledBodies(module, body, loop)];
  return scopes.some((scope) => module.callsInside(scope).some((c) => {
    if (contains(statement, c)) return false;
    const name = module.callee(c) ?? field(c, 'function')?.text ?? '';
    if (PROCESS_OR_FILE_WRITE.test(name)) return true;
    if ((name === 'open' || /(^|\.)open$/.test(name)) && /['"][^'"]*[wax+][^'"]*['"]/.test(field(c, 'arguments')?.text ?? '')) return mayName(c);
    // `f.write(…)` on a file opened here is judged by its `open`; other writers name their file.
    if (/(^|\.)write(lines)?$/.test(name) && field(field(c, 'function')!, 'object')?.type === 'identifier') return false;
    return WRITER.test(name) && mayName(c);
  }));
}

/**
 * Another statement of the loop passes a name the statement reads to a function that is not a known
 * library function: it may change that object in place (`augment_inplace(features)`).
 */
function handsReadsToUnknownCalls(module: PythonModule, loop: Node, statement: Node, reads: ReadonlySet<string>): boolean {
  const body = field(loop, 'body');
  if (!body) return false;
  const roots = new Set([...reads].map((r) => r.split('.')[0]));
  return module.callsInside(body).some((c) => {
    if (contains(statement, c)) return false;
    const q = module.callee(c);
    if (q && PURE_LIBRARIES.some((p) => q.startsWith(p))) return false;
    const fn = field(c, 'function');
    if (fn?.type === 'identifier' && PURE_BUILTINS.has(fn.text) && !module.findFunction(fn.text, c)) return false;
    const args = field(c, 'arguments');
    return !!args && namedChildren(args).some((a) => {
      const v = a.type === 'keyword_argument' ? field(a, 'value') : a;
      const root = v ? dottedName(unwrap(v))?.split('.')[0] : undefined;
      return root !== undefined && roots.has(root);
    });
  });
}

/** Moves the statement's lines above the loop, re-indented to the loop's level. */
function hoistFix(module: PythonModule, loop: Node, statement: Node, statements: Node[], safe: boolean): Fix | undefined {
  if (statements.length < 2) return undefined;
  const lines = module.lines;
  const loopLine = lines.lineText(loop.startPosition.row);
  if (loopLine.slice(0, loop.startPosition.column).trim() !== '') return undefined;
  const first = lines.lineText(statement.startPosition.row);
  const last = lines.lineText(statement.endPosition.row);
  if (first.slice(0, statement.startPosition.column).trim() !== '') return undefined;
  const rest = last.slice(statement.endPosition.column).trim();
  if (rest !== '' && !rest.startsWith('#')) return undefined;
  // Re-indenting would change the contents of a multi-line string.
  if (hasMultilineString(statement)) return undefined;
  const endRow = statement.endPosition.row;
  const eol = lines.eol();
  if (endRow + 1 >= lines.lineCount) return undefined;
  const bodyIndent = indentOf(first);
  const loopIndent = indentOf(loopLine);
  const moved: string[] = [];
  for (let r = statement.startPosition.row; r <= endRow; r++) {
    const text = lines.lineText(r);
    moved.push(text.startsWith(bodyIndent) ? loopIndent + text.slice(bodyIndent.length) : text);
  }
  const at = { line: loop.startPosition.row, character: 0 };
  return {
    title: 'Hoist out of loop',
    safe,
    edits: [
      { range: { start: at, end: at }, newText: moved.join(eol) + eol },
      { range: { start: { line: statement.startPosition.row, character: 0 }, end: { line: endRow + 1, character: 0 } }, newText: '' },
    ],
  };
}

function hasMultilineString(node: Node): boolean {
  if ((node.type === 'string' || node.type === 'concatenated_string') && node.startPosition.row !== node.endPosition.row) return true;
  return namedChildren(node).some(hasMultilineString);
}
