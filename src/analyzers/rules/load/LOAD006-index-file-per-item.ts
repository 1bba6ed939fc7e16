import type { Edit, Fix, RelatedLocation } from '../../../shared/findings';
import { argument, callArguments } from '../../engine/calls';
import { calledMethod, contains, dottedName, field, literalValue, methodReceiver, namedChildren, nodeRange, NOT_LITERAL, unwrap, type Node } from '../../engine/syntax';
import { allParameterNames as parameterNames, descendantsOfType } from '../../python/bindings';
import { classMethods, functionAssignments, identifiersIn, isAttributeName, isMapStyleDataset, mentionsAny, taintedNames } from '../../python/dataset-classes';
import type { PythonModule } from '../../python/module';
import { defineRule } from '../rule';

/** Readers that parse a whole table or document; the first positional argument is the path. */
const TABLE_READERS = new Set([
  'pandas.read_csv', 'pandas.read_parquet', 'pandas.read_json', 'pandas.read_excel', 'pandas.read_feather', 'pandas.read_table',
  'numpy.loadtxt', 'numpy.genfromtxt',
]);
const JSON_LIKE = new Set(['json.load', 'json.loads', 'yaml.safe_load', 'yaml.load', 'yaml.full_load', 'yaml.unsafe_load']);
/** Calls that build a path from their arguments without reading anything. */
const PATH_BUILDERS = new Set(['os.path.join', 'os.path.expanduser', 'os.path.abspath', 'os.path.normpath', 'os.fspath', 'pathlib.Path', 'pathlib.PurePath']);
const PATH_METHODS = new Set(['format', 'joinpath', 'with_suffix', 'with_name', 'expanduser', 'resolve', 'absolute']);

interface WholeRead {
  call: Node;
  /** The expression naming the file. */
  path: Node;
  /** Read through `with open(p) as f:` — reported, but not hoisted automatically. */
  viaWith: boolean;
}

export default defineRule({
  code: 'LOAD006',
  name: 'index-file-per-item',
  family: 'LOAD',
  severity: 'warning',
  confidence: 'high',
  fix: 'unsafe',
  messages: {
    wholeFilePerItem: '{{where}} parses the whole file {{path}} for every sample: O(N) work per item and O(N²) per epoch. Read it once in __init__ and index the result here.',
  },
  docs: `## What it does
Finds a whole index or annotation file parsed inside a Dataset's \`__getitem__\` (or a helper method or property it
uses): \`pd.read_csv/read_parquet/read_json/read_excel/read_feather\`, \`json.load(open(p))\`,
\`json.loads(Path(p).read_text())\`, \`yaml.safe_load\`, \`np.loadtxt/genfromtxt\` or \`open(p).readlines()\`, where the
path does not depend on the index argument — the same file is parsed for every sample. Per-sample reads whose path
comes from the index (\`Image.open(self.paths[idx])\`, \`pd.read_csv(self.files[idx])\`) are the recommended lazy
pattern and are not reported, nor are reads guarded by a cache (\`if self._meta is None:\`).

## Why is this bad?
Each sample parses the whole table: O(N) work per item, O(N²) per epoch, and the cost grows with the dataset. The
PyTorch data tutorial sets the pattern: "We will read the csv in \`__init__\` but leave the reading of images to
\`__getitem__\`."

## Example
\`\`\`python
import pandas as pd
from PIL import Image
from torch.utils.data import Dataset

class FaceLandmarks(Dataset):
    def __init__(self, csv_file, root):
        self.csv_file = csv_file
        self.root = root

    def __len__(self):
        return len(pd.read_csv(self.csv_file))

    def __getitem__(self, idx):
        frame = pd.read_csv(self.csv_file)
        row = frame.iloc[idx]
        return Image.open(f"{self.root}/{row['image']}"), row['label']
\`\`\`

## Use instead
\`\`\`python
import pandas as pd
from PIL import Image
from torch.utils.data import Dataset

class FaceLandmarks(Dataset):
    def __init__(self, csv_file, root):
        self.frame = pd.read_csv(csv_file)
        self.root = root

    def __len__(self):
        return len(self.frame)

    def __getitem__(self, idx):
        row = self.frame.iloc[idx]
        return Image.open(f"{self.root}/{row['image']}"), row['label']
\`\`\`

## Fix safety
The fix moves the read to the end of \`__init__\` (\`self._frame = pd.read_csv(self.csv_file)\`) and uses the attribute in
\`__getitem__\`. It is offered only when everything the read needs is set in \`__init__\`, and it is unsafe: code that
modifies the parsed table in \`__getitem__\` now modifies the shared copy, and a file that changes during training is
no longer re-read. Do not hoist HDF5 or LMDB handles into \`__init__\` (they cannot be pickled into worker
processes); open them lazily once per worker instead (\`if self._h5 is None: self._h5 = h5py.File(self.path, "r")\`).

## References
- "Writing Custom Datasets, DataLoaders and Transforms": https://pytorch.org/tutorials/beginner/data_loading_tutorial.html
- \`torch.utils.data.Dataset\`: https://pytorch.org/docs/stable/data.html#map-style-datasets
`,

  checkPython(module, reporter) {
    for (const getitem of module.functions) {
      if (module.functionName(getitem) !== '__getitem__' || module.enclosingFunction(getitem) !== undefined) continue;
      const cls = module.enclosingClass(getitem);
      if (!cls) continue;
      const methods = classMethods(module, cls);
      if (!isMapStyleDataset(module, cls, methods)) continue;
      const params = parameterNames(getitem);
      if (params.length < 2) continue;
      const tainted = taintedNames(module, getitem, params.slice(1));

      for (const read of wholeReads(module, getitem, tainted)) {
        if (cached(module, read.call, getitem)) continue;
        reporter.report({
          range: nodeRange(read.call),
          messageId: 'wholeFilePerItem',
          data: messageData(read),
          fixes: hoistFix(module, cls, methods, getitem, read, tainted),
        });
      }

      // One level of helpers: `self._load_labels()` or a `@property` read from __getitem__.
      for (const { fn, via } of helpersUsedBy(module, getitem, methods)) {
        if (cached(module, via, getitem)) continue;
        const helperTainted = taintedNames(module, fn, parameterNames(fn).slice(1));
        for (const read of wholeReads(module, fn, helperTainted)) {
          if (cached(module, read.call, fn)) continue;
          const related: RelatedLocation[] = [{ range: nodeRange(via), message: `used by __getitem__ here, once per sample` }];
          reporter.report({ range: nodeRange(read.call), messageId: 'wholeFilePerItem', data: messageData(read, module.functionName(fn)), related });
        }
      }
    }
  },
});

function messageData(read: WholeRead, helper?: string): { where: string; path: string } {
  return { where: helper ? `${helper}(), which __getitem__ uses,` : '__getitem__', path: read.path.text };
}

/** Whole-file reads in a function body (not in nested definitions) whose arguments do not depend on the index. */
function wholeReads(module: PythonModule, fn: Node, tainted: ReadonlySet<string>): WholeRead[] {
  const body = field(fn, 'body');
  if (!body) return [];
  const out: WholeRead[] = [];
  for (const call of module.callsWithin(body)) {
    const read = asWholeRead(module, call, fn);
    if (!read) continue;
    // Any index-dependent argument (the path, `skiprows=idx`, `filters=[("id", "==", idx)]`) means a per-item read.
    if (mentionsAny(module, call, tainted) || mentionsAny(module, read.path, tainted)) continue;
    if (!invariant(module, read.path, fn, tainted, 0)) continue;
    out.push(read);
  }
  return out;
}

function asWholeRead(module: PythonModule, call: Node, fn: Node): WholeRead | undefined {
  const callee = module.callee(call);
  const args = callArguments(call);
  if (callee && TABLE_READERS.has(callee)) {
    const path = args.positional[0] ?? args.keywords.get('filepath_or_buffer') ?? args.keywords.get('path') ?? args.keywords.get('fname');
    return path ? { call, path, viaWith: false } : undefined;
  }
  if (callee && JSON_LIKE.has(callee)) {
    const source = argument(args, callee === 'json.loads' ? 's' : 'stream', 0);
    if (callee === 'json.load') {
      const fp = argument(args, 'fp', 0);
      if (fp.kind !== 'present') return undefined;
      return fileSource(module, fp.node, fn, call);
    }
    if (source.kind !== 'present') return undefined;
    return fileSource(module, source.node, fn, call) ?? textSource(module, source.node, call);
  }
  if (calledMethod(call) === 'readlines' && args.positional.length === 0) {
    const receiver = methodReceiver(call);
    return receiver ? fileSource(module, receiver, fn, call) : undefined;
  }
  return undefined;
}

/** `open(p)` or a name bound by `with open(p) as f:` around the call. */
function fileSource(module: PythonModule, expr: Node, fn: Node, call: Node): WholeRead | undefined {
  const node = unwrap(expr);
  const path = openedPath(module, node);
  if (path) return { call, path, viaWith: false };
  if (node.type !== 'identifier') return undefined;
  for (let p = call.parent; p && p.id !== fn.id; p = p.parent) {
    if (p.type !== 'with_statement') continue;
    for (const item of descendantsOfType(p, 'as_pattern')) {
      if (!contains(p, item) || (field(p, 'body') && contains(field(p, 'body')!, item))) continue;
      const alias = field(item, 'alias') ?? item.namedChild(item.namedChildCount - 1);
      if (alias && alias.text === node.text) {
        const opened = item.namedChild(0) && openedPath(module, item.namedChild(0)!);
        return opened ? { call, path: opened, viaWith: true } : undefined;
      }
    }
  }
  return undefined;
}

/** `Path(p).read_text()` or `open(p).read()`. */
function textSource(module: PythonModule, expr: Node, call: Node): WholeRead | undefined {
  const node = unwrap(expr);
  if (node.type !== 'call') return undefined;
  const method = calledMethod(node);
  const receiver = methodReceiver(node);
  if (!receiver) return undefined;
  const inner = unwrap(receiver);
  if (method === 'read') {
    const path = openedPath(module, inner);
    return path ? { call, path, viaWith: false } : undefined;
  }
  if (method === 'read_text' && inner.type === 'call' && module.callee(inner) === 'pathlib.Path') {
    const path = callArguments(inner).positional[0];
    return path ? { call, path, viaWith: false } : undefined;
  }
  return undefined;
}

/** The path of a builtin `open(p, ...)` call in read mode. */
function openedPath(module: PythonModule, node: Node): Node | undefined {
  if (node.type !== 'call') return undefined;
  const fnNode = field(node, 'function');
  if (fnNode?.type !== 'identifier' || fnNode.text !== 'open' || module.imports.resolveDotted('open') !== undefined) return undefined;
  const args = callArguments(node);
  const mode = argument(args, 'mode', 1);
  if (mode.kind === 'present') {
    const m = literalValue(mode.node);
    if (typeof m !== 'string' || /[wax+]/.test(m)) return undefined;
  }
  return args.positional[0] ?? args.keywords.get('file');
}

/**
 * True when a path expression is the same on every call: literals, `self.` attributes, module names,
 * and path building (`os.path.join`, `Path(...) / "x"`, f-strings) over those.
 */
function invariant(module: PythonModule, expr: Node, fn: Node, tainted: ReadonlySet<string>, depth: number): boolean {
  if (depth > 6) return false;
  const node = unwrap(expr);
  const recurse = (n: Node | undefined) => !!n && invariant(module, n, fn, tainted, depth + 1);
  switch (node.type) {
    case 'string':
      return namedChildren(node).filter((c) => c.type === 'interpolation').every((i) => i.namedChild(0) !== null && recurse(i.namedChild(0)!));
    case 'concatenated_string':
      return namedChildren(node).every(recurse);
    case 'integer': case 'true': case 'false': case 'none':
      return true;
    case 'identifier': {
      if (tainted.has(node.text)) return false;
      if (node.text === 'self') return true;
      const local = functionAssignments(module, fn).filter((a) => field(a, 'left')?.text === node.text);
      if (local.length === 0) return !parameterNames(fn).includes(node.text);
      return local.length === 1 && recurse(field(local[0], 'right'));
    }
    case 'attribute':
      return recurse(field(node, 'object'));
    case 'binary_operator':
      return recurse(field(node, 'left')) && recurse(field(node, 'right'));
    case 'subscript': {
      const index = field(node, 'subscript');
      return recurse(field(node, 'value')) && !!index && literalValue(index) !== NOT_LITERAL;
    }
    case 'call': {
      const callee = module.callee(node);
      const fnNode = field(node, 'function');
      const builder = (callee !== undefined && PATH_BUILDERS.has(callee)) || fnNode?.text === 'str';
      const method = calledMethod(node);
      const pathMethod = method !== undefined && PATH_METHODS.has(method) && recurse(methodReceiver(node));
      if (!builder && !pathMethod) return false;
      const args = field(node, 'arguments');
      return !!args && namedChildren(args).every((a) => (a.type === 'keyword_argument' ? recurse(field(a, 'value')) : recurse(a)));
    }
    default:
      return false;
  }
}

/** Lazy caches are the right pattern: `if self._meta is None: self._meta = pd.read_csv(...)`, `CACHE[p] = ...`. */
function cached(module: PythonModule, call: Node, fn: Node): boolean {
  for (let p = call.parent; p && p.id !== fn.id; p = p.parent) {
    if (p.type === 'if_statement' && /\bNone\b|\bnot\b|hasattr|\bin\b|getattr/.test(field(p, 'condition')?.text ?? '')) return true;
    if (p.type === 'assignment') {
      const left = field(p, 'left');
      if (left && (left.type === 'subscript' || (left.type === 'attribute' && dottedName(left)?.startsWith('self.')))) return true;
    }
  }
  return false;
}

/** Methods and properties of the class that __getitem__ calls or reads (not cached ones, not __init__). */
function helpersUsedBy(module: PythonModule, getitem: Node, methods: Map<string, Node>): Array<{ fn: Node; via: Node }> {
  const out: Array<{ fn: Node; via: Node }> = [];
  const seen = new Set<number>();
  const body = field(getitem, 'body');
  if (!body) return out;
  for (const ref of descendantsOfType(body, 'attribute')) {
    if (field(ref, 'object')?.text !== 'self') continue;
    const name = field(ref, 'attribute')?.text ?? '';
    const fn = methods.get(name);
    if (!fn || name.startsWith('__') || seen.has(fn.id)) continue;
    const decorators = fn.parent?.type === 'decorated_definition' ? fn.parent.text.slice(0, fn.startIndex - fn.parent.startIndex) : '';
    if (/cache|memoize/i.test(decorators)) continue;
    const isCall = ref.parent?.type === 'call' && field(ref.parent, 'function')?.id === ref.id;
    const isProperty = /@property\b/.test(decorators);
    if (!isCall && !isProperty) continue;
    seen.add(fn.id);
    out.push({ fn, via: isCall ? ref.parent! : ref });
  }
  return out;
}

/** Hoists the read into `self._<name>` at the end of `__init__`, when everything it needs exists there. */
function hoistFix(module: PythonModule, cls: Node, methods: Map<string, Node>, getitem: Node, read: WholeRead, tainted: ReadonlySet<string>): Fix[] {
  if (read.viaWith) return [];
  const init = methods.get('__init__');
  const initBody = init && field(init, 'body');
  if (!init || !initBody || parameterNames(init)[0] !== 'self' || parameterNames(getitem)[0] !== 'self') return [];
  // Everything the call mentions must exist in __init__: `self.x` set there, or module-level names.
  const initAssigned = new Set(descendantsOfType(initBody, 'assignment')
    .map((a) => dottedName(field(a, 'left')!) ?? '')
    .filter((n) => n.startsWith('self.'))
    .map((n) => n.split('.')[1]));
  const getitemLocals = new Set([...parameterNames(getitem), ...tainted, ...functionAssignments(module, getitem)
    .flatMap((a) => identifiersIn(module, field(a, 'left')!))]);
  for (const ref of [...descendantsOfType(read.call, 'attribute'), ...descendantsOfType(read.call, 'identifier')]) {
    if (ref.type === 'attribute' && field(ref, 'object')?.text === 'self' && !initAssigned.has(field(ref, 'attribute')?.text ?? '')) return [];
    if (ref.type === 'identifier' && !isAttributeName(ref) && ref.text !== 'self' && getitemLocals.has(ref.text)) return [];
  }
  const statements = namedChildren(initBody).filter((s) => s.type !== 'comment');
  const last = statements[statements.length - 1];
  const first = statements[0];
  if (!last || !first || last.type === 'return_statement') return [];
  const attribute = attributeName(module, cls, read.call);
  const indent = /^[ \t]*/.exec(module.lines.lineText(first.startPosition.row))![0];
  const eol = module.eol;
  const lastLine = last.endPosition.row;
  const insertAt = { line: lastLine, character: module.lines.lineText(lastLine).length };
  const edits: Edit[] = [
    { range: { start: insertAt, end: insertAt }, newText: `${eol}${indent}self.${attribute} = ${read.call.text}` },
    { range: nodeRange(read.call), newText: `self.${attribute}` },
  ];
  return [{ title: `Read ${read.path.text} once in __init__ (self.${attribute})`, safe: false, edits }];
}

function attributeName(module: PythonModule, cls: Node, call: Node): string {
  const parent = call.parent;
  const left = parent?.type === 'assignment' && field(parent, 'right')?.id === call.id ? field(parent, 'left') : undefined;
  const base = left?.type === 'identifier' ? `_${left.text.replace(/^_+/, '')}` : '_meta';
  let name = base;
  for (let i = 2; new RegExp(`self\\.${name}\\b`).test(cls.text); i++) name = `${base}${i}`;
  return name;
}
