import type { Fix } from '../../../shared/findings';
import { callArguments } from '../../engine/calls';
import { calledMethod, field, literalValue, methodReceiver, namedChildren, nodeRange, textOf, unwrap, type Node } from '../../engine/syntax';
import { bindingsAt, descendantsOfType } from '../../python/bindings';
import { argumentsForParameter } from '../../python/callsites';
import type { PythonModule } from '../../python/module';
import { defineRule } from '../rule';

type Framework = 'torch' | 'numpy' | 'tensorflow';

const CONSTRUCTORS: ReadonlyArray<[RegExp, Framework]> = [
  [/^torch\.(tensor|as_tensor|from_numpy|zeros|ones|empty|full|rand|randn|randint|arange|linspace|stack|cat|load|\w+_like)$/, 'torch'],
  [/^numpy\.(array|asarray|zeros|ones|empty|full|arange|linspace|load|loadtxt|genfromtxt|stack|vstack|hstack|concatenate|random\.\w+|\w+_like)$/, 'numpy'],
  [/^tensorflow\.(constant|convert_to_tensor|zeros|ones|fill|range|Variable|stack|concat|random\.\w+)$/, 'tensorflow'],
];
/** Methods that return a tensor or array of the same framework. */
const TENSOR_METHODS = new Set(['to', 'cuda', 'cpu', 'float', 'double', 'half', 'long', 'int', 'detach', 'clone', 'reshape', 'view', 'contiguous', 'astype', 'copy', 'squeeze', 'unsqueeze', 'flatten', 'numpy', 'T', 'transpose', 'permute']);
const ANNOTATIONS: ReadonlyArray<[RegExp, Framework]> = [[/^torch\.Tensor$/, 'torch'], [/^numpy\.ndarray$/, 'numpy'], [/^tensorflow\.Tensor$/, 'tensorflow']];
const PURE_BUILTINS = new Set(['float', 'int', 'abs', 'min', 'max', 'round', 'pow', 'len']);
/** Tensor methods that compute on values (no I/O, no model calls). */
const VALUE_METHODS = new Set(['sum', 'mean', 'max', 'min', 'abs', 'exp', 'log', 'sqrt', 'pow', 'clamp', 'clip', 'item', 'float', 'dot', 'norm', 'square', 'sigmoid', 'tanh', 'relu', 'argmax', 'argmin']);
const MAX_DEPTH = 4;

export default defineRule({
  code: 'PREP008',
  name: 'python-loop-over-tensor',
  family: 'PREP',
  severity: 'info',
  confidence: 'medium',
  fix: 'unsafe',
  skipTestFiles: true,
  messages: {
    loopOverTensor: 'This Python loop visits the {{kind}} {{name}} one element at a time, launching tiny operations per element; {{advice}}.',
  },
  docs: `## What it does
Finds a Python loop over the elements of a PyTorch tensor, NumPy array or TensorFlow tensor —
\`for i in range(len(x))\` / \`range(x.shape[0])\` / \`range(x.size(0))\` / \`for i, v in enumerate(x)\` — whose body only assigns elementwise results
(\`y[i] = … x[i] …\`, \`y[i] = … v …\`) or accumulates (\`z += x[i]\`, \`z += v\`). \`x\` must provably be a tensor or array (built by \`torch.*\`,
\`np.*\`, \`tf.*\` constructors, or a parameter annotated \`torch.Tensor\`/\`np.ndarray\`/\`tf.Tensor\`), and the body may
only call tensor, NumPy and math functions: loops that call a model or other functions per element are left alone.

## Why is this bad?
Each iteration launches tiny kernels (and, on a GPU, pays the launch latency) or crosses from Python into the
library for one element. PyTorch's profiler anti-pattern matcher flags ten or more repeated \`aten::select\` calls as
"For loop indexing detected. Vectorization recommended." The ML smells catalog (smell #1, dslinter R5502) gives
\`z += x[i]\` → \`tf.reduce_sum(x, axis=0)\`. A vectorized expression runs the same work in one call.

## Example
\`\`\`python
import torch

def total(weights: torch.Tensor):
    acc = torch.zeros(weights.shape[1:])
    for i in range(weights.shape[0]):
        acc += weights[i]
    return acc
\`\`\`

## Use instead
\`\`\`python
import torch

def total(weights: torch.Tensor):
    acc = torch.zeros(weights.shape[1:])
    acc += weights.sum(0)
    return acc
\`\`\`

## Fix safety
An edit is offered for a recognised reduction: a loop whose only statement is \`z += x[i]\` over \`range(len(x))\`
or \`range(x.shape[0])\` becomes \`z += x.sum(0)\` (\`tf.reduce_sum(x, axis=0)\` for TensorFlow). It is unsafe: a summation
in one kernel adds in a different order, so floating-point results can differ in the last bits, and integer sums may
promote to a wider dtype. Elementwise loops are reported without an edit; rewrite them as one expression on the whole
tensor (\`y = x * w + b\`, \`torch.where\`, \`np.where\`).

## References
- PyTorch profiler pattern matcher, \`ForLoopIndexingPattern\`: https://github.com/pytorch/pytorch/blob/main/torch/profiler/_pattern_matcher.py
- ML smells catalog, "Unnecessary Iteration": https://hynn01.github.io/ml-smells/
- NumPy broadcasting: https://numpy.org/doc/stable/user/basics.broadcasting.html
`,

  checkPython(module, reporter) {
    if (!module.importsAny('torch', 'numpy', 'tensorflow')) return;
    for (const loop of module.loops) {
      if (loop.type !== 'for_statement') continue;
      const over = elementRange(module, loop);
      if (!over) continue;
      const body = field(loop, 'body')!;
      const statements = namedChildren(body).filter((s) => s.type !== 'comment');
      if (statements.length === 0 || !statements.every((s) => elementwiseStatement(s, over.index) || localAssignment(s))) continue;
      if (!statements.some((s) => elementwiseStatement(s, over.index))) continue;
      const usesElement = over.element !== undefined && descendantsOfType(body, 'identifier').some((n) => textOf(n) === over.element);
      if (!(indexesTensor(module, body, over.index) || usesElement) || !computesOnly(module, body)) continue;
      const fw = over.framework === 'torch' ? 'tensor' : over.framework === 'numpy' ? 'array' : 'tf tensor';
      const fix = reductionFix(module, loop, statements, over);
      reporter.report({
        range: nodeRange(field(loop, 'right')!),
        messageId: 'loopOverTensor',
        data: { kind: fw, name: over.name, advice: fix ? 'use one reduction instead' : 'rewrite the body as one vectorized expression on the whole ' + fw },
        fixes: fix ? [fix] : [],
      });
    }
  },
});

interface ElementRange {
  index: string;
  /** `v` in `for i, v in enumerate(x)`: the element itself. */
  element?: string;
  /** The tensor whose first dimension the loop walks. */
  name: string;
  node: Node;
  framework: Framework;
}

/** `for i in range(len(x))`, `range(x.shape[0])`, `range(x.size(0))` or `for i, v in enumerate(x)` over a tensor or array. */
function elementRange(module: PythonModule, loop: Node): ElementRange | undefined {
  const left = field(loop, 'left');
  const right = field(loop, 'right');
  if (!left || !right) return undefined;
  if (left.type === 'pattern_list' || left.type === 'tuple_pattern') return enumeratedElements(module, left, unwrap(right));
  if (left.type !== 'identifier') return undefined;
  const r = unwrap(right);
  if (r.type !== 'call' || textOf(field(r, 'function')!) !== 'range' || module.imports.resolveDotted('range')) return undefined;
  const args = callArguments(r).positional;
  if (args.length !== 1) return undefined;
  const bound = unwrap(args[0]);
  let target: Node | undefined;
  if (bound.type === 'call' && textOf(field(bound, 'function')!) === 'len') target = callArguments(bound).positional[0];
  else if (bound.type === 'subscript' && literalValue(field(bound, 'subscript')) === 0) {
    const value = field(bound, 'value')!;
    if (value.type === 'attribute' && textOf(field(value, 'attribute')!) === 'shape') target = field(value, 'object');
  } else if (bound.type === 'call' && calledMethod(bound) === 'size' && literalValue(callArguments(bound).positional[0]) === 0) target = methodReceiver(bound);
  if (!target) return undefined;
  const t = unwrap(target);
  if (t.type !== 'identifier' && t.type !== 'attribute') return undefined;
  const framework = tensorFramework(module, t, 0);
  return framework ? { index: textOf(left), name: textOf(t), node: t, framework } : undefined;
}

/** `for i, v in enumerate(x)` with `x` a tensor or array. */
function enumeratedElements(module: PythonModule, left: Node, r: Node): ElementRange | undefined {
  const names = namedChildren(left);
  if (names.length !== 2 || names.some((n) => n.type !== 'identifier')) return undefined;
  if (r.type !== 'call' || textOf(field(r, 'function')!) !== 'enumerate' || module.imports.resolveDotted('enumerate')) return undefined;
  const args = callArguments(r).positional;
  if (args.length !== 1) return undefined;
  const t = unwrap(args[0]);
  if (t.type !== 'identifier' && t.type !== 'attribute') return undefined;
  const framework = tensorFramework(module, t, 0);
  return framework ? { index: textOf(names[0]), element: textOf(names[1]), name: textOf(t), node: t, framework } : undefined;
}

/** Which framework a tensor expression comes from, following bindings and annotated parameters. */
function tensorFramework(module: PythonModule, expr: Node, depth: number): Framework | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const n = unwrap(expr);
  if (n.type === 'call') {
    const q = module.callee(n);
    if (q) {
      for (const [re, fw] of CONSTRUCTORS) if (re.test(q)) return fw;
      return undefined;
    }
    const method = calledMethod(n);
    const receiver = methodReceiver(n);
    if (method && receiver && TENSOR_METHODS.has(method)) {
      const inner = tensorFramework(module, receiver, depth + 1);
      return method === 'numpy' && inner ? 'numpy' : inner;
    }
    return undefined;
  }
  if (n.type === 'identifier' || (n.type === 'attribute' && textOf(n).startsWith('self.'))) {
    const bindings = bindingsAt(module, textOf(n), n);
    if (bindings.length === 0) return undefined;
    let fw: Framework | undefined;
    for (const b of bindings) {
      let f: Framework | undefined;
      if (b.kind === 'value') f = tensorFramework(module, b.value, depth + 1);
      else if (b.kind === 'parameter' && b.type) {
        const q = module.imports.resolve(unwrap(b.type.type === 'type' && b.type.namedChildCount === 1 ? b.type.namedChild(0)! : b.type));
        for (const [re, fwk] of ANNOTATIONS) if (q && re.test(q)) f = fwk;
      } else if (b.kind === 'parameter' && n.type === 'identifier') {
        const args = argumentsForParameter(module, b.fn, textOf(n));
        const fws = args?.map((a) => tensorFramework(module, a, depth + 1));
        f = fws && fws.length > 0 && fws.every((x) => x === fws[0]) ? fws[0] : undefined;
      }
      if (!f || (fw && fw !== f)) return undefined;
      fw = f;
    }
    return fw;
  }
  return undefined;
}

/** `y[i] = expr` or `z += expr` / `z = z + expr` (a plain statement, no control flow). */
function elementwiseStatement(statement: Node, index: string): boolean {
  if (statement.type !== 'expression_statement') return false;
  const a = statement.namedChild(0);
  if (!a) return false;
  if (a.type === 'augmented_assignment') return true;
  if (a.type !== 'assignment') return false;
  const left = field(a, 'left');
  if (!left) return false;
  if (left.type === 'subscript') return new RegExp(`^\\s*${index}\\s*$`).test(textOf(field(left, 'subscript') ?? left));
  return false;
}

/** `width = <expr>`: a per-element temporary. */
function localAssignment(statement: Node): boolean {
  const a = statement.type === 'expression_statement' ? statement.namedChild(0) : null;
  return a?.type === 'assignment' && field(a, 'left')?.type === 'identifier';
}

/** Some subscript `t[i]` (or `t[i, …]`) of a tensor or array in the body. */
function indexesTensor(module: PythonModule, body: Node, index: string): boolean {
  return descendantsOfType(body, 'subscript').some((s) => {
    const sub = field(s, 'subscript');
    const value = field(s, 'value');
    if (!sub || !value || textOf(sub).trim() !== index) return false;
    return tensorFramework(module, value, 0) !== undefined;
  });
}

/** Calls in the body are library math on values: no model calls, no I/O, no local functions. */
function computesOnly(module: PythonModule, body: Node): boolean {
  for (const c of module.callsInside(body)) {
    const fn = field(c, 'function');
    const q = module.callee(c);
    if (q) {
      if (/^(torch|numpy|tensorflow|math)\./.test(q) && !/\.(save|load|print|nn\.)/.test(q)) continue;
      return false;
    }
    if (fn?.type === 'identifier') {
      if (PURE_BUILTINS.has(textOf(fn)) && !module.findFunction(textOf(fn))) continue;
      return false;
    }
    const method = calledMethod(c);
    if (method && VALUE_METHODS.has(method)) continue;
    return false;
  }
  return true;
}

/** `for i in range(len(x)): z += x[i]` -> `z += x.sum(0)` (or `tf.reduce_sum(x, axis=0)`). */
function reductionFix(module: PythonModule, loop: Node, statements: Node[], over: ElementRange): Fix | undefined {
  if (statements.length !== 1) return undefined;
  const a = statements[0].namedChild(0);
  if (a?.type !== 'augmented_assignment' || textOf(field(a, 'operator') ?? a) !== '+=') return undefined;
  const left = field(a, 'left');
  const right = field(a, 'right');
  if (!left || !right || (left.type !== 'identifier' && left.type !== 'attribute')) return undefined;
  const r = unwrap(right);
  if (r.type !== 'subscript' || textOf(field(r, 'value')!) !== over.name || textOf(field(r, 'subscript')!).trim() !== over.index || r.namedChildCount !== 2) return undefined;
  if (textOf(left).split('.')[0] === over.index) return undefined;
  let sum: string;
  if (over.framework === 'tensorflow') {
    const tf = [...module.imports.localNames()].find(([, q]) => q === 'tensorflow')?.[0];
    if (!tf) return undefined;
    sum = `${tf}.reduce_sum(${over.name}, axis=0)`;
  } else {
    sum = `${over.name}.sum(0)`;
  }
  return {
    title: `Replace the loop with one reduction (${sum})`,
    safe: false,
    // Comments inside the loop (a note on the header line) are kept after the new statement.
    edits: [{ range: nodeRange(loop), newText: [`${textOf(left)} += ${sum}`, ...descendantsOfType(loop, 'comment').map(textOf)].join('  ') }],
  };
}
