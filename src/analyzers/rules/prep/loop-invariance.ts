// Loop-invariance facts for PREP001: which names a loop writes (assigns, mutates, shuffles), and which
// names stand for model or epoch state. A statement is invariant only if it reads none of them.
import { calledMethod, contains, dottedName, field, literalValue, namedChildren, unwrap, type Node } from '../../engine/syntax';
import { KeyedFact } from '../../python/facts';
import type { PythonModule } from '../../python/module';

/** Methods that change their receiver in place (lists, dicts, sets, tensors, frames, samplers, estimators). */
const MUTATING_METHODS = new Set([
  'append', 'extend', 'insert', 'pop', 'remove', 'clear', 'update', 'add', 'discard', 'setdefault', 'sort', 'reverse',
  'popitem', 'fill_', 'zero_', 'copy_', 'add_', 'mul_', 'set_epoch', 'set_format', 'reset_format', 'set_transform',
  'fit', 'partial_fit', 'fit_transform', 'set_params', 'shuffle', 'load_state_dict', 'drop_duplicates', 'rename', 'reset_index',
]);

/** Calls that shuffle their first argument in place. */
const SHUFFLERS = new Set(['random.shuffle', 'numpy.random.shuffle', 'numpy.random.permutation']);

export interface LoopWrites {
  /** Per direct statement of the loop body: the dotted names it writes (assigns, deletes, mutates in place). */
  byStatement: Array<{ statement: Node; written: Set<string> }>;
  /** Names bound by the loop header (`for epoch, batch in ...`). */
  loopVariables: Set<string>;
}

const loopWritesCache = new KeyedFact<number, LoopWrites>();

export function loopWrites(module: PythonModule, loop: Node): LoopWrites {
  return loopWritesCache.get(module, loop.id, () => {
    const loopVariables = new Set<string>();
    const left = loop.type === 'for_statement' ? field(loop, 'left') : undefined;
    if (left) for (const id of identifiersIn(left)) loopVariables.add(id);
    const body = field(loop, 'body');
    const byStatement: LoopWrites['byStatement'] = [];
    if (!body) return { byStatement, loopVariables };
    for (const statement of namedChildren(body)) {
      const written = new Set<string>();
      collectWrites(module, statement, written);
      // Into the local functions and methods it calls (and those they call, a few levels): `self.refresh_data()`
      // may reassign `self.data`, a function with `global DATA` may rebind `DATA`.
      for (const body of calledBodies(module, statement, loop)) {
        const inner = new Set<string>();
        collectWrites(module, body, inner);
        const declared = declaredOuterNames(body);
        for (const w of inner) if (w.startsWith('self.') || declared.has(w.split('.')[0])) written.add(w);
      }
      byStatement.push({ statement, written });
    }
    return { byStatement, loopVariables };
  });
}

/** The bodies of the local functions `scope` calls, and of those they call, up to three levels deep. */
export function calledBodies(module: PythonModule, scope: Node, loop: Node): Node[] {
  const seen = new Set<number>();
  const out: Node[] = [];
  let frontier = [scope];
  for (let depth = 0; depth < 3 && frontier.length > 0; depth++) {
    const next: Node[] = [];
    for (const s of frontier) {
      for (const c of module.callsInside(s)) {
        const target = module.localCallTarget(c);
        const body = target && field(target, 'body');
        if (!body || contains(body, loop) || seen.has(body.id)) continue;
        seen.add(body.id);
        out.push(body);
        next.push(body);
      }
    }
    frontier = next;
  }
  return out;
}

/** Names a function body declares `global` or `nonlocal`: its assignments to them rebind the outer name. */
function declaredOuterNames(body: Node): Set<string> {
  const out = new Set<string>();
  const visit = (n: Node) => {
    if (n.type === 'global_statement' || n.type === 'nonlocal_statement') for (const id of identifiersIn(n)) out.add(id);
    else if (n.type !== 'function_definition' && n.type !== 'class_definition') for (const c of namedChildren(n)) visit(c);
  };
  for (const c of namedChildren(body)) visit(c);
  return out;
}

function collectWrites(module: PythonModule, scope: Node, written: Set<string>): void {
  for (const n of module.writesInside(scope)) {
    switch (n.type) {
      case 'assignment':
      case 'augmented_assignment':
      case 'for_statement': {
        const l = field(n, 'left');
        if (l) addTargets(l, written);
        break;
      }
      case 'named_expression': {
        const name = field(n, 'name');
        if (name) written.add(name.text);
        break;
      }
      case 'as_pattern_target':
        addTargets(n, written);
        break;
      case 'delete_statement':
        for (const c of namedChildren(n)) addTargets(c, written);
        break;
      case 'function_definition': case 'class_definition': {
        const name = field(n, 'name');
        if (name) written.add(name.text);
        break;
      }
      case 'import_statement': case 'import_from_statement':
        for (const id of identifiersIn(n)) written.add(id);
        break;
    }
  }
  for (const n of module.callsInside(scope)) {
    const method = calledMethod(n);
    const receiver = method ? field(field(n, 'function')!, 'object') : undefined;
    const receiverName = receiver ? mutableRoot(receiver) : undefined;
    const args = field(n, 'arguments');
    const inplace = args ? namedChildren(args).some((a) => a.type === 'keyword_argument' && field(a, 'name')?.text === 'inplace' && literalValue(field(a, 'value')) === true) : false;
    if (receiverName && method && (MUTATING_METHODS.has(method) || inplace)) written.add(receiverName);
    const q = module.callee(n);
    const first = args?.namedChild(0);
    if (q && SHUFFLERS.has(q) && first) {
      const name = mutableRoot(first);
      if (name) written.add(name);
    }
  }
}

/** `a.b[i].c` -> 'a.b': the named object an expression reads from (or writes into). */
function mutableRoot(node: Node): string | undefined {
  let n = unwrap(node);
  while (n.type === 'subscript' || n.type === 'call') {
    const inner = n.type === 'subscript' ? field(n, 'value') : undefined;
    if (!inner) return undefined;
    n = unwrap(inner);
  }
  return dottedName(n);
}

function addTargets(target: Node, written: Set<string>): void {
  const t = unwrap(target);
  if (t.type === 'identifier' || t.type === 'attribute') {
    const d = dottedName(t);
    if (d) written.add(d);
    return;
  }
  if (t.type === 'subscript') {
    // `X[i] = v` mutates X.
    const root = mutableRoot(t);
    if (root) written.add(root);
    return;
  }
  for (const c of namedChildren(t)) addTargets(c, written);
}

function identifiersIn(node: Node): string[] {
  const out: string[] = [];
  const visit = (n: Node) => {
    if (n.type === 'identifier') out.push(n.text);
    for (const c of namedChildren(n)) visit(c);
  };
  visit(node);
  return out;
}

/**
 * Dotted names an expression reads: `scaler.fit_transform(df[cols])` -> scaler, scaler.fit_transform, df, cols.
 * Attribute names on their own, keyword names and lambda parameters are not reads of outer names.
 */
export function namesRead(node: Node): Set<string> {
  const out = new Set<string>();
  const bound = new Set<string>();
  const visit = (n: Node) => {
    if (n.type === 'lambda') {
      const params = field(n, 'parameters');
      if (params) for (const id of identifiersIn(params)) bound.add(id);
    }
    if (n.type === 'keyword_argument') {
      const value = field(n, 'value');
      if (value) visit(value);
      return;
    }
    if (n.type === 'identifier' || n.type === 'attribute') {
      const d = dottedName(n);
      if (d && !bound.has(d.split('.')[0])) out.add(d);
    }
    if (n.type === 'attribute') {
      // The object part is a read; the attribute name alone is not.
      const object = field(n, 'object');
      if (object) visit(object);
      return;
    }
    for (const c of namedChildren(n)) visit(c);
  };
  visit(node);
  return out;
}

/**
 * True when a read of `name` in statement `at` may see a value the loop writes: a loop variable, or a name
 * another statement writes, or one `at` itself assigns (`X = f(X)`). `at` mutating its own receiver
 * (`scaler.fit_transform(X)`) does not count: refitting on the same input gives the same state.
 */
export function isWritten(name: string, writes: LoopWrites, at: Node, ownTargets: ReadonlySet<string>): boolean {
  const head = name.split('.')[0];
  if (writes.loopVariables.has(head)) return true;
  const overlaps = (w: string) => w === name || w.startsWith(name + '.') || name.startsWith(w + '.');
  for (const t of ownTargets) if (overlaps(t)) return true;
  for (const { statement, written } of writes.byStatement) {
    if (statement.id === at.id) continue;
    for (const w of written) if (overlaps(w)) return true;
  }
  return false;
}

/** Dotted names an assignment target binds or writes into (`X`, `self.X`, `a, b`, `X[i]` -> X). */
export function targetNames(target: Node): Set<string> {
  const out = new Set<string>();
  addTargets(target, out);
  return out;
}

/** Names that stand for training state (docs/analysis.md, trap 7): epoch counters, the model, the trainer. */
export function isTrainingState(name: string, modelNames: ReadonlySet<string>): boolean {
  const parts = name.split('.');
  if (parts.some((p) => /epoch|global_step/i.test(p))) return true;
  const head = parts[0] === 'self' ? parts.slice(0, 2).join('.') : parts[0];
  if (modelNames.has(head)) return true;
  const last = (parts[0] === 'self' ? parts[1] : parts[0]) ?? '';
  return /^(model|net|network|module|trainer|teacher|student|policy|ema_model)s?$/i.test(last) || /_model$|^model_/i.test(last);
}

const modelNamesCache = new KeyedFact<number, Set<string>>();

/** Names used as models in a function: receivers of `.train()`, `.eval()`, `.parameters()`, `.predict()`, `.generate()`. */
export function modelNamesIn(module: PythonModule, scope: Node): Set<string> {
  return modelNamesCache.get(module, scope.id, () => {
    const out = new Set<string>();
    for (const c of module.callsInside(scope)) {
      const m = calledMethod(c);
      if (!m || !['train', 'eval', 'parameters', 'named_parameters', 'state_dict', 'predict', 'predict_proba', 'generate', 'zero_grad'].includes(m)) continue;
      const receiver = field(field(c, 'function')!, 'object');
      const d = receiver ? dottedName(receiver) : undefined;
      if (d && !/opt|optim/i.test(d)) out.add(d);
    }
    return out;
  });
}

const RANDOM_PREFIXES = ['random.', 'numpy.random', 'torch.rand', 'torch.bernoulli', 'torch.multinomial', 'torch.normal', 'albumentations', 'imgaug', 'nlpaug', 'torch.utils.data.random_split'];
const RANDOM_CLASS = /Random|RandAugment|AutoAugment|TrivialAugment|AugMix|ColorJitter|GaussianBlur|ElasticTransform|DataCollatorForLanguageModeling|DataCollatorForWholeWordMask/;

/**
 * True when evaluating `node` draws random numbers now (augmentation, masking, shuffling), looking one level
 * into local functions it calls or passes (`ds.map(augment)`) and into the `__init__` of local classes it builds.
 */
export function drawsRandomness(module: PythonModule, node: Node, depth = 0): boolean {
  if (depth > 2) return false;
  const visit = (n: Node): boolean => {
    if (n.type === 'identifier' || n.type === 'attribute') {
      const q = module.imports.resolve(n);
      if (q && (RANDOM_PREFIXES.some((p) => q === p.replace(/\.$/, '') || q.startsWith(p)) || RANDOM_CLASS.test(q.split('.').pop() ?? ''))) return true;
      if (n.type === 'identifier') {
        const fn = module.findFunction(n.text, node);
        const body = fn && field(fn, 'body');
        if (body && !contains(fn, node) && drawsRandomness(module, body, depth + 1)) return true;
        const cls = module.classes.find((c) => field(c, 'name')?.text === n.text);
        const init = cls && module.functions.find((f) => module.functionName(f) === '__init__' && module.enclosingClass(f)?.id === cls.id);
        const initBody = init && field(init, 'body');
        if (initBody && !contains(init, node) && drawsRandomness(module, initBody, depth + 1)) return true;
      }
    }
    if (n.type === 'call') {
      const m = calledMethod(n);
      if (m === 'sample' || m === 'shuffle' || m === 'permutation') return true;
      const fn = field(n, 'function');
      if (fn?.type === 'attribute' && field(fn, 'object')?.text === 'self') {
        const target = module.localCallTarget(n);
        const body = target && field(target, 'body');
        if (body && !contains(target, node) && drawsRandomness(module, body, depth + 1)) return true;
      }
    }
    return namedChildren(n).some(visit);
  };
  return visit(node);
}
