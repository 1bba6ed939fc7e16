// pandas provenance: which expressions are DataFrames (read from files, built, merged, grouped), and which
// are Series columns of them. Ruff's PD rules show that name-based receiver guesses are the main source of
// false positives (docs/analysis.md, trap 6), so everything here follows values back to a pandas call.
import { callArguments } from '../engine/calls';
import { calledMethod, field, literalValue, methodReceiver, namedChildren, textOf, unwrap, type Node } from '../engine/syntax';
import { bindingsAt, parameterNamed } from './bindings';
import { argumentsForParameter, previousValue } from './callsites';
import type { PythonModule } from './module';

export type FrameKind =
  /** Read from a file or database: size unknown, usually the dataset. */
  | 'read'
  /** Built by code (constructor, concat, merge, groupby aggregation). */
  | 'built'
  /** Built from a literal dict or list in the source: a small table (config, lookup). */
  | 'literal';

const READERS = /^pandas\.read_(csv|table|parquet|json|excel|feather|sql|sql_query|sql_table|pickle|hdf|orc|fwf|stata|sas|spss|xml)$/;
const BUILDERS = /^pandas\.(DataFrame|concat|merge|merge_asof|pivot_table|get_dummies|json_normalize|crosstab)$/;
/** DataFrame methods that return a DataFrame of about the same size. */
const FRAME_METHODS = new Set([
  'merge', 'join', 'copy', 'dropna', 'fillna', 'query', 'sort_values', 'sort_index', 'reset_index', 'set_index', 'drop',
  'assign', 'rename', 'astype', 'drop_duplicates', 'reindex', 'replace', 'where', 'mask', 'explode', 'melt', 'pivot',
  'interpolate', 'ffill', 'bfill', 'convert_dtypes', 'infer_objects', 'select_dtypes', 'loc', 'filter',
]);
const AGGREGATIONS = new Set(['agg', 'aggregate', 'sum', 'mean', 'median', 'min', 'max', 'count', 'size', 'std', 'var', 'first', 'last', 'nunique', 'apply', 'transform']);
const MAX_DEPTH = 6;

/** The kind of DataFrame an expression provably holds, or undefined. */
export function frameKind(module: PythonModule, expr: Node, depth = 0): FrameKind | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const n = unwrap(expr);
  if (n.type === 'call') {
    const q = module.callee(n);
    if (q) {
      if (READERS.test(q)) return readsFewRows(n) ? 'literal' : 'read';
      if (BUILDERS.test(q)) return q === 'pandas.DataFrame' && builtFromLiteral(n) ? 'literal' : 'built';
      return undefined;
    }
    const method = calledMethod(n);
    const receiver = methodReceiver(n);
    if (!method || !receiver) return undefined;
    if (FRAME_METHODS.has(method)) return frameKind(module, receiver, depth + 1);
    // `df.groupby(k).agg(...)`: a (smaller) table built from a frame.
    const r = unwrap(receiver);
    if (AGGREGATIONS.has(method) && r.type === 'call' && calledMethod(r) === 'groupby') {
      const inner = methodReceiver(r);
      return inner && frameKind(module, inner, depth + 1) ? 'built' : undefined;
    }
    return undefined;
  }
  if (n.type === 'subscript') {
    // `df[mask]`, `df[["a", "b"]]`: still a frame; `df["a"]` is a Series.
    const value = field(n, 'value');
    const index = field(n, 'subscript');
    if (!value || !index || unwrap(index).type === 'string') return undefined;
    if (unwrap(index).type === 'list' || unwrap(index).type === 'comparison_operator' || unwrap(index).type === 'boolean_operator') return frameKind(module, value, depth + 1);
    return undefined;
  }
  if (n.type === 'identifier' || n.type === 'attribute') {
    const name = n.type === 'identifier' ? textOf(n) : (textOf(n).startsWith('self.') ? textOf(n) : undefined);
    if (!name) return undefined;
    if (n.type === 'identifier') {
      // Flow-sensitive first: `df = df.sort_values(...)` reads the previous `df`, not itself.
      const previous = previousValue(module, name, n);
      if (previous) return frameKind(module, previous, depth + 1);
      // Not assigned before this point: a parameter holds what the annotation or the callers say.
      const fn = module.enclosingFunction(n);
      const param = fn && parameterNamed(fn, name);
      if (fn && param) {
        if (param.type) return module.imports.resolveDotted(textOf(param.type)) === 'pandas.DataFrame' ? 'built' : undefined;
        const args = argumentsForParameter(module, fn, name);
        const kinds = args?.map((a) => frameKind(module, a, depth + 1));
        if (!kinds || kinds.some((x) => x === undefined)) return undefined;
        return kinds.includes('literal') ? 'literal' : kinds.includes('read') ? 'read' : 'built';
      }
    }
    const bindings = bindingsAt(module, name, n);
    if (bindings.length === 0) return undefined;
    let kind: FrameKind | undefined;
    for (const b of bindings) {
      let k: FrameKind | undefined;
      if (b.kind === 'value') k = frameKind(module, b.value, depth + 1);
      else if (b.kind === 'parameter' && b.type) {
        k = module.imports.resolveDotted(textOf(b.type)) === 'pandas.DataFrame' ? 'built' : undefined;
      } else if (b.kind === 'parameter' && n.type === 'identifier') {
        // `def engineer(df)` called as `engineer(pd.read_csv(p))`: every local call site must pass a frame.
        const args = argumentsForParameter(module, b.fn, name);
        const kinds = args?.map((a) => frameKind(module, a, depth + 1));
        k = kinds && kinds.every((x) => x !== undefined) ? (kinds.includes('literal') ? 'literal' : kinds.includes('read') ? 'read' : 'built') : undefined;
      }
      if (!k) return undefined;
      // A literal frame anywhere makes the name possibly small.
      kind = kind === 'literal' || k === 'literal' ? 'literal' : k;
    }
    return kind;
  }
  return undefined;
}

/** `pd.DataFrame({"a": [1, 2]})` / `pd.DataFrame([[...], ...])` written out in the source. */
function builtFromLiteral(call: Node): boolean {
  const first = callArguments(call).positional[0] ?? callArguments(call).keywords.get('data');
  if (!first) return true;
  const t = unwrap(first).type;
  return t === 'dictionary' || t === 'list' || t === 'tuple';
}

/** `pd.read_csv(p, nrows=500)`: a sample, not the dataset. */
function readsFewRows(call: Node): boolean {
  const nrows = callArguments(call).keywords.get('nrows');
  const v = nrows ? literalValue(nrows) : undefined;
  return typeof v === 'number' && v <= 10_000;
}

/** The frame a Series column comes from: `df["col"]` -> df (only string-literal column keys). */
export function seriesFrame(module: PythonModule, expr: Node): { frame: Node; kind: FrameKind } | undefined {
  const n = unwrap(expr);
  if (n.type !== 'subscript') return undefined;
  const value = field(n, 'value');
  const index = field(n, 'subscript');
  if (!value || !index || unwrap(index).type !== 'string' || namedChildren(unwrap(index)).some((c) => c.type === 'interpolation')) return undefined;
  const kind = frameKind(module, value);
  return kind ? { frame: value, kind } : undefined;
}
