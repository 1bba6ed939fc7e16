import type { Fix } from '../../../shared/findings';
import { argument, callArguments } from '../../engine/calls';
import { calledMethod, field, literalValue, methodReceiver, namedChildren, nodeRange, parentOf, textOf, unwrap, type Node } from '../../engine/syntax';
import { descendantsOfType, parameterNames } from '../../python/bindings';
import type { PythonModule } from '../../python/module';
import { frameKind, seriesFrame, type FrameKind } from '../../python/pandas';
import { methodCallRange } from '../../python/tfdata';
import { defineRule } from '../rule';

/** Builtins that compute a value (anything else in a row function may do I/O or be non-vectorizable). */
const PURE_BUILTINS = new Set(['float', 'int', 'str', 'len', 'abs', 'min', 'max', 'round', 'sum', 'bool', 'isinstance', 'pow', 'divmod']);
/** Methods on values, rows and lists that compute or collect, never reach outside the process. */
const PURE_METHODS = new Set([
  'append', 'get', 'lower', 'upper', 'strip', 'lstrip', 'rstrip', 'split', 'replace', 'startswith', 'endswith', 'isnull',
  'isna', 'notna', 'notnull', 'fillna', 'astype', 'sum', 'mean', 'min', 'max', 'round', 'format', 'title', 'zfill', 'count',
]);
const ITERATION_WRAPPERS = /^(enumerate|tqdm|tqdm\.tqdm|tqdm\.auto\.tqdm|list|zip)$/;

export default defineRule({
  code: 'PREP007',
  name: 'row-wise-pandas-iteration',
  family: 'PREP',
  severity: 'warning',
  confidence: 'medium',
  fix: 'unsafe',
  skipTestFiles: true,
  messages: {
    rowWise: '{{what}} processes the DataFrame {{frame}} ({{origin}}) one row at a time in Python, which is slow on large tables and loses dtypes; vectorize with column expressions, np.where/np.select or merge/Series.map.',
  },
  docs: `## What it does
Finds row-by-row processing of a pandas DataFrame that provably comes from pandas (\`pd.read_*\`, \`pd.DataFrame(...)\`,
\`pd.concat\`, \`merge\`, a grouped aggregation, or a parameter annotated \`pd.DataFrame\`):
\`for … in df.iterrows()\` / \`df.itertuples()\`, \`for i in range(len(df)): … df.iloc[i] / df.loc[i] / df.at[i, …]\`,
\`df.apply(f, axis=1)\`, and \`df["col"].apply(lambda x: <arithmetic>)\`. The row code must be plain computation
(arithmetic, builtins, NumPy/math, string methods); rows handed to other functions, I/O or API calls are left alone.
Frames written out in the source (\`pd.DataFrame({"a": [1, 2]})\`) and \`read_csv(..., nrows=…)\` samples are small and
not reported.

## Why is this bad?
pandas: "Iterating through pandas objects is generally **slow**. In many cases, iterating manually over the rows is
not needed and can be avoided". \`iterrows\` also "does not preserve dtypes across the rows". Each row becomes a Python
object, so feature engineering that a column expression does in milliseconds takes minutes on a large table, and it
runs again every time the training script starts. This is smell #1 "Unnecessary Iteration" of Zhang et al.

## Example
\`\`\`python
import pandas as pd

df = pd.read_csv("transactions.csv")
totals = []
for _, row in df.iterrows():
    totals.append(row["price"] * row["quantity"])
df["total"] = totals
\`\`\`

## Use instead
\`\`\`python
import pandas as pd

df = pd.read_csv("transactions.csv")
df["total"] = df["price"] * df["quantity"]
\`\`\`

## Fix safety
An edit is offered only for trivial arithmetic: \`df.apply(lambda r: r["a"] + r["b"], axis=1)\` becomes
\`df["a"] + df["b"]\`, and \`s.apply(lambda x: x * 2)\` becomes \`s * 2\`. It is unsafe: \`apply(axis=1)\` turns each row
into an object Series, so integer columns mixed with strings may compute in Python objects where the vectorized form
uses the column dtypes, and on an empty frame \`apply\` returns a DataFrame instead of a Series. Loops are rewritten by
hand (column expressions, \`np.where\`/\`np.select\` for conditionals, \`merge\`/\`Series.map(dict)\` for lookups).

## References
- pandas user guide, "Iteration": https://pandas.pydata.org/docs/user_guide/basics.html#iteration
- pandas "Enhancing performance": https://pandas.pydata.org/docs/user_guide/enhancingperf.html
- dslinter R5501 \`unnecessary-iteration-pandas\`, ML smells catalog: https://hynn01.github.io/ml-smells/
`,

  checkPython(module, reporter) {
    if (!module.importsAny('pandas')) return;
    const report = (range: ReturnType<typeof nodeRange>, frame: string, kind: FrameKind, what: string, fixes: Fix[] = []) => {
      const origin = kind === 'read' ? 'read from a file' : 'built with pandas';
      reporter.report({
        range,
        messageId: 'rowWise',
        data: { what, frame, origin },
        fixes,
      });
    };

    // for … in df.iterrows() / df.itertuples(), also in comprehensions.
    for (const method of ['iterrows', 'itertuples']) {
      for (const call of module.methodCalls(method)) {
        const receiver = methodReceiver(call)!;
        const kind = frameKind(module, receiver);
        if (kind !== 'read' && kind !== 'built') continue;
        const body = iterationBody(call);
        if (!body || !computesOnly(module, body, new Set())) continue;
        report(methodCallRange(call), textOf(receiver), kind, `${method}()`);
      }
    }

    // for i in range(len(df)): df.iloc[i] …
    for (const loop of module.loops) {
      if (loop.type !== 'for_statement') continue;
      const indexed = rangeOverFrame(module, loop);
      if (!indexed) continue;
      const body = field(loop, 'body')!;
      if (!indexesRows(body, indexed.frame, indexed.index) || !computesOnly(module, body, new Set())) continue;
      report(nodeRange(field(loop, 'right')!), indexed.frame, indexed.kind, `This loop over range(len(${indexed.frame}))`);
    }

    // df.apply(f, axis=1) and df["col"].apply(lambda x: arithmetic)
    for (const call of module.methodCalls('apply')) {
      const receiver = methodReceiver(call)!;
      const args = callArguments(call);
      if (args.hasKwargs || args.starIndex >= 0) continue;
      const fnArg = argument(args, 'func', 0);
      if (fnArg.kind !== 'present') continue;
      const fn = rowFunction(module, fnArg.node, call);
      if (!fn) continue;
      const axis = argument(args, 'axis', 1);
      const axisValue = axis.kind === 'present' ? literalValue(axis.node) : undefined;
      if (axisValue === 1 || axisValue === 'columns') {
        const kind = frameKind(module, receiver);
        if (kind !== 'read' && kind !== 'built') continue;
        const body = field(fn, 'body');
        if (!body || !computesOnly(module, body, new Set(parameterNames(fn)))) continue;
        const fix = fn.type === 'lambda' ? rowLambdaFix(module, call, fn, receiver) : undefined;
        report(methodCallRange(call), textOf(receiver), kind, 'apply(axis=1)', fix ? [fix] : []);
        continue;
      }
      if (axis.kind !== 'absent' || args.positional.length > 1 || fn.type !== 'lambda') continue;
      const series = seriesFrame(module, receiver);
      if (!series || (series.kind !== 'read' && series.kind !== 'built')) continue;
      const params = parameterNames(fn);
      const body = field(fn, 'body');
      if (params.length !== 1 || !body || !arithmeticOf(body, params[0], false)) continue;
      const fix = substitutionFix(module, call, body, params[0], (_) => textOf(receiver), 'Vectorize the arithmetic on the column');
      report(methodCallRange(call), textOf(series.frame), series.kind, `Series.apply(lambda) on column ${textOf(receiver)}`, [fix]);
    }
  },
});

/** The body that runs per row for `for … in X.iterrows()` or `[… for … in X.iterrows()]`. */
function iterationBody(call: Node): Node | undefined {
  let n: Node = call;
  for (let p = parentOf(n); p; n = p, p = parentOf(p)) {
    if (p.type === 'argument_list') continue;
    if (p.type === 'call' && ITERATION_WRAPPERS.test(textOf(field(p, 'function')!))) continue;
    if (p.type === 'for_statement' && field(p, 'right')?.id === n.id) return field(p, 'body');
    if (p.type === 'for_in_clause' && field(p, 'right')?.id === n.id) { const comp = parentOf(p); return comp && field(comp, 'body'); }
    return undefined;
  }
  return undefined;
}

/** `for i in range(len(df))` / `range(df.shape[0])` over a pandas frame. */
function rangeOverFrame(module: PythonModule, loop: Node): { frame: string; index: string; kind: FrameKind } | undefined {
  const left = field(loop, 'left');
  const right = field(loop, 'right');
  if (left?.type !== 'identifier' || !right) return undefined;
  const r = unwrap(right);
  if (r.type !== 'call' || textOf(field(r, 'function')!) !== 'range') return undefined;
  const args = callArguments(r).positional;
  if (args.length !== 1) return undefined;
  const bound = unwrap(args[0]);
  let frame: Node | undefined;
  if (bound.type === 'call' && textOf(field(bound, 'function')!) === 'len') frame = callArguments(bound).positional[0];
  else if (bound.type === 'subscript' && /\.shape$/.test(textOf(field(bound, 'value')!)) && literalValue(field(bound, 'subscript')) === 0) frame = field(field(bound, 'value')!, 'object');
  if (!frame) return undefined;
  const kind = frameKind(module, frame);
  if (kind !== 'read' && kind !== 'built') return undefined;
  return { frame: textOf(frame), index: textOf(left), kind };
}

/** The body reads `df.iloc[i]`, `df.loc[i, …]`, `df.at[i, …]` or `df.iat[i, …]`. */
function indexesRows(body: Node, frame: string, index: string): boolean {
  return descendantsOfType(body, 'subscript').some((s) => {
    const value = field(s, 'value');
    if (!value || !new RegExp(`^${frame.replace(/[.[\]()]/g, '\\$&')}\\.(iloc|loc|at|iat)$`).test(textOf(value))) return false;
    const sub = textOf(s).slice(textOf(value).length);
    return new RegExp(`[\\[,\\s]${index}\\b`).test(sub);
  });
}

/** The row function of `apply`: a lambda or a function of this module. */
function rowFunction(module: PythonModule, expr: Node, at: Node): Node | undefined {
  const n = unwrap(expr);
  if (n.type === 'lambda') return n;
  if (n.type === 'identifier') return module.findFunction(textOf(n), at);
  return undefined;
}

/**
 * True when every call in the row code is plain computation: NumPy/math/pandas functions, value builtins and
 * value methods. Rows handed to other functions may be I/O, API calls or non-vectorizable code (trap 6).
 */
function computesOnly(module: PythonModule, scope: Node, _params: ReadonlySet<string>): boolean {
  for (const c of module.callsInside(scope)) {
    const fn = field(c, 'function');
    if (!fn) return false;
    // Cheap name tests before resolving imports.
    if (fn.type === 'identifier') {
      if (PURE_BUILTINS.has(textOf(fn)) && !module.findFunction(textOf(fn)) && !module.imports.resolveDotted(textOf(fn))) continue;
      return false;
    }
    if (fn.type !== 'attribute') return false;
    const q = module.callee(c);
    if (q) {
      if (/^(numpy|math)\./.test(q) || (/^pandas\./.test(q) && !/^pandas\.(read_|to_)/.test(q))) continue;
      return false;
    }
    const method = calledMethod(c);
    if (method && PURE_METHODS.has(method)) continue;
    return false;
  }
  return true;
}

/** An arithmetic expression over one parameter (`x * 2 + 1`), or over `r["col"]` fields when `fields` is set. */
function arithmeticOf(node: Node, param: string, fields: boolean): boolean {
  const n = unwrap(node);
  switch (n.type) {
    case 'integer': case 'float':
      return true;
    case 'identifier':
      return !fields && textOf(n) === param;
    case 'subscript': {
      const value = field(n, 'value');
      const index = field(n, 'subscript');
      return fields && value?.type === 'identifier' && textOf(value) === param && !!index && unwrap(index).type === 'string'
        && !namedChildren(unwrap(index)).some((c) => c.type === 'interpolation');
    }
    case 'binary_operator':
      return /^(\+|-|\*|\/|\/\/|%|\*\*)$/.test(textOf(field(n, 'operator') ?? n))
        && arithmeticOf(field(n, 'left')!, param, fields) && arithmeticOf(field(n, 'right')!, param, fields);
    case 'unary_operator':
      return arithmeticOf(field(n, 'argument')!, param, fields);
    default:
      return false;
  }
}

function endOf(node: Node): number {
  return node.startIndex + textOf(node).length;
}

/** `df.apply(lambda r: r["a"] + r["b"], axis=1)` -> `df["a"] + df["b"]`. */
function rowLambdaFix(module: PythonModule, call: Node, fn: Node, frame: Node): Fix | undefined {
  const params = parameterNames(fn);
  const body = field(fn, 'body');
  if (params.length !== 1 || !body || !arithmeticOf(body, params[0], true)) return undefined;
  // Each `r` in `r["a"]` becomes the frame.
  return substitutionFix(module, call, body, params[0], () => textOf(frame), 'Vectorize the row arithmetic with column expressions');
}

/** Replaces the call by the lambda body with each use of `param` replaced by `replacement()`. */
function substitutionFix(module: PythonModule, call: Node, body: Node, param: string, replacement: (id: Node) => string, title: string): Fix {
  const ids = descendantsOfType(body, 'identifier').filter((id) => textOf(id) === param);
  let text = '';
  let at = body.startIndex;
  for (const id of ids) {
    text += module.text.slice(at, id.startIndex) + replacement(id);
    at = endOf(id);
  }
  text += module.text.slice(at, endOf(body));
  const parent = parentOf(call);
  const bare = parent?.type === 'assignment' || parent?.type === 'expression_statement' || parent?.type === 'keyword_argument' || parent?.type === 'argument_list'
    || parent?.type === 'return_statement' || parent?.type === 'parenthesized_expression';
  const unwrapped = unwrap(body).type === 'binary_operator' && !bare ? `(${text})` : text;
  return { title, safe: false, edits: [{ range: nodeRange(call), newText: unwrapped }] };
}
