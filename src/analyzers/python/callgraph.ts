// Which local functions run on every training step, which run only under a logging guard, and which are
// evaluation. A training step is often split across functions and methods (`run_loop → run_step →
// forward_backward`, a `train_one_epoch` that calls an `accuracy` helper per batch): rules that report
// per-step work (LOOP001, LOOP007) follow the calls from the step loops one or two levels deep, through
// `self.` methods and methods of objects built from local classes. Computed once per module.
import { calledMethod, contains, field, methodReceiver, namedChildren, parentOf, textOf, unwrap, type Node } from '../engine/syntax';
import { KeyedFact, ModuleFact } from './facts';
import type { PythonModule } from './module';
import { epochLoops, hotLoops, stepFunctions } from './training';

/** How many calls deep a per-step function may sit below the step loop (`loop → run_step → forward_backward`). */
const MAX_DEPTH = 2;
/** How many calls deep training (backward + step) is looked for below a loop that does not train itself. */
const MAX_TRAIN_DEPTH = 3;

export interface PerStepFunction {
  fn: Node;
  /** The call in the step loop (or step method) through which `fn` runs: where the user sees the cost. */
  callSite: Node;
  /** The call that invokes `fn` itself (the same as `callSite` one level deep). */
  direct: Node;
  depth: number;
}

export interface CallGraph {
  /** Loops whose body is one training step, including steps split across local functions. */
  stepLoops: Node[];
  /** Lightning `training_step` / HF `compute_loss`: methods whose body is one training step. */
  stepMethods: Node[];
  /** Local functions that run on every training step, by function node id. */
  perStep: Map<number, PerStepFunction>;
  /** Local functions called from a training step only under a logging guard (`if step % k == 0:`). */
  guardedOnly: Map<number, { fn: Node; callSite: Node }>;
}

const callGraphCache = new ModuleFact<CallGraph>();

export function callGraph(module: PythonModule): CallGraph {
  return callGraphCache.get(module, () => build(module));
}

function build(module: PythonModule): CallGraph {
  const epochs = new Set(epochLoops(module).map((l) => l.id));
  const hot = hotLoops(module).filter((l) => !epochs.has(l.id));
  const stepLoops = [...hot, ...splitStepLoops(module, hot, epochs)]
    .filter((l) => {
      const fn = module.enclosingFunction(l);
      return !fn || !isEvaluationFunction(module, fn);
    })
    .sort((a, b) => a.startIndex - b.startIndex);
  const stepMethods = stepFunctions(module);
  const perStep = new Map<number, PerStepFunction>();
  const guarded = new Map<number, { fn: Node; callSite: Node }>();
  const roots = [...stepLoops, ...stepMethods];
  type Item = { body: Node; region: Node; depth: number; root?: Node; within: Node[] };
  const queue: Item[] = roots.flatMap((r) => {
    const body = field(r, 'body');
    return body ? [{ body, region: r, depth: 0, within: [r] }] : [];
  });
  while (queue.length > 0) {
    const item = queue.shift()!;
    for (const call of module.callsWithin(item.body)) {
      const target = callTarget(module, call);
      const tBody = target && field(target, 'body');
      if (!target || !tBody || item.within.some((w) => contains(tBody, w) || w.id === target.id)) continue;
      // A function that holds a step loop of its own is the epoch, not part of the step.
      if (stepLoops.some((l) => contains(tBody, l)) || isEvaluationFunction(module, target)) continue;
      const root = item.root ?? call;
      if (underIntervalGuard(call, item.region)) {
        if (!guarded.has(target.id)) guarded.set(target.id, { fn: target, callSite: root });
        continue;
      }
      if (perStep.has(target.id)) continue;
      perStep.set(target.id, { fn: target, callSite: root, direct: call, depth: item.depth + 1 });
      if (item.depth + 1 < MAX_DEPTH) queue.push({ body: tBody, region: target, depth: item.depth + 1, root, within: [...item.within, target] });
    }
  }
  for (const id of perStep.keys()) guarded.delete(id);
  return { stepLoops, stepMethods, perStep, guardedOnly: guarded };
}

/**
 * Loops that are one training step although backward and step sit two or three calls below them
 * (`for batch in loader: self.run_step(batch)` → `forward_backward` → `loss.backward()`), innermost only.
 * The module's own hot loops look one call deep; these are the rest.
 */
function splitStepLoops(module: PythonModule, hot: Node[], epochs: Set<number>): Node[] {
  if (!/\.backward\(/.test(module.text)) return [];
  const known = new Set([...hot.map((l) => l.id), ...epochs]);
  const training = module.loops.filter((l) => {
    if (known.has(l.id)) return false;
    const body = field(l, 'body');
    if (!body) return false;
    const t = trainingBelow(module, body, MAX_TRAIN_DEPTH, [l]);
    return t.backward && t.step;
  });
  const all = [...hot, ...training];
  // Innermost: a loop around another training loop (hot or split) is an epoch loop.
  return training.filter((l) => !all.some((inner) => inner.id !== l.id && contains(l, inner)) && !holdsCallToLoop(module, l, all));
}

/** The loop's body calls a function that holds a training loop: it is an epoch loop. */
function holdsCallToLoop(module: PythonModule, loop: Node, loops: Node[]): boolean {
  const body = field(loop, 'body');
  if (!body) return false;
  return module.callsWithin(body).some((c) => {
    const t = callTarget(module, c);
    return t !== undefined && !contains(t, loop) && loops.some((l) => contains(t, l));
  });
}

const trainingBelowCache = new KeyedFact<string, { backward: boolean; step: boolean }>();

/** backward / step calls in `scope` outside its loops, and in the local functions it calls (depth-bounded). */
function trainingBelow(module: PythonModule, scope: Node, depth: number, stack: Node[]): { backward: boolean; step: boolean } {
  let backward = false;
  let step = false;
  for (const c of module.callsWithin(scope)) {
    if (module.loopBetween(scope, c)) continue;
    const m = calledMethod(c);
    if (m === 'backward' || m === 'manual_backward') backward = true;
    else if (m === 'step') step = true;
    else if (depth > 0) {
      const target = callTarget(module, c);
      const body = target && field(target, 'body');
      if (!target || !body || stack.some((s) => s.id === target.id || contains(body, s))) continue;
      const inner = trainingBelowCache.get(module, `${target.id}:${depth - 1}`, () => trainingBelow(module, body, depth - 1, [...stack, target]));
      backward ||= inner.backward;
      step ||= inner.step;
    }
    if (backward && step) break;
  }
  return { backward, step };
}

/**
 * The local function a call runs: `helper(...)`, `self.method(...)`, or `obj.method(...)` where `obj`
 * (or `self.obj`) is bound to an instance of a class defined in this module (`metric = Accumulator(2)`).
 */
export function callTarget(module: PythonModule, call: Node): Node | undefined {
  let targets = callTargets.get(module);
  if (!targets) callTargets.set(module, (targets = new Map()));
  const known = targets.get(call.id);
  if (known !== undefined) return known ?? undefined;
  const target = computeCallTarget(module, call);
  targets.set(call.id, target ?? null);
  return target;
}

/** callTarget per module and call id: the step walks and several rules ask it of the same calls. */
const callTargets = new WeakMap<PythonModule, Map<number, Node | null>>();
/** isEvaluationFunction per module and function id. */
const evaluationFunctions = new WeakMap<PythonModule, Map<number, boolean>>();

function computeCallTarget(module: PythonModule, call: Node): Node | undefined {
  const direct = module.localCallTarget(call);
  if (direct) return direct;
  const method = calledMethod(call);
  const receiver = methodReceiver(call);
  if (!method || !receiver || (receiver.type !== 'identifier' && receiver.type !== 'attribute')) return undefined;
  const name = textOf(receiver);
  if (name === 'self' || module.imports.resolveDotted(name) !== undefined) return undefined;
  const cls = instanceClass(module, name);
  if (!cls) return undefined;
  return module.functions.find((f) => module.functionName(f) === method && module.enclosingClass(f)?.id === cls.id && !module.enclosingFunction(f));
}

const classesByNameCache = new ModuleFact<Map<string, Node>>();

/** The local class every binding of `name` constructs, if there is exactly one. */
function instanceClass(module: PythonModule, name: string): Node | undefined {
  const index = classesByNameCache.get(module, () => {
    const byName = new Map<string, Node>();
    for (const c of module.classes) {
      const n = field(c, 'name');
      if (n) byName.set(textOf(n), c);
    }
    return byName;
  });
  if (index.size === 0) return undefined;
  let found: Node | undefined;
  for (const a of module.assignmentsTo(name)) {
    const right = field(a, 'right');
    const value = right && unwrap(right);
    const fn = value?.type === 'call' ? field(value, 'function') : undefined;
    const cls = fn?.type === 'identifier' ? index.get(textOf(fn)) : undefined;
    if (!cls || (found && found.id !== cls.id)) return undefined;
    found = cls;
  }
  return found;
}

const EVAL_NAME = /^_*(val|valid|validate|validation|eval|evaluate|evaluation|test|predict|infer|inference)(_|$)/i;
const GRAD_OFF = /\b(no_grad|inference_mode)\b/;

/**
 * Evaluation: a function that switches a model to eval mode (`model.eval()`) with autograd off
 * (decorated `@torch.no_grad()` / `@torch.inference_mode()`, or a `with torch.no_grad():` in its body),
 * or one named like evaluation that does either; never one that calls `.backward()`.
 */
export function isEvaluationFunction(module: PythonModule, fn: Node): boolean {
  let known = evaluationFunctions.get(module);
  if (!known) evaluationFunctions.set(module, (known = new Map()));
  let evaluation = known.get(fn.id);
  if (evaluation === undefined) known.set(fn.id, (evaluation = computeIsEvaluation(module, fn)));
  return evaluation;
}

function computeIsEvaluation(module: PythonModule, fn: Node): boolean {
  const body = field(fn, 'body');
  if (!body) return false;
  const calls = module.callsWithin(body);
  if (calls.some((c) => calledMethod(c) === 'backward' || calledMethod(c) === 'manual_backward')) return false;
  const setsEval = calls.some((c) => calledMethod(c) === 'eval' && namedChildren(field(c, 'arguments') ?? c).length === 0);
  const decorator = parentOf(fn)?.type === 'decorated_definition' ? textOf(parentOf(fn)!).slice(0, fn.startIndex - parentOf(fn)!.startIndex) : '';
  const gradOff = GRAD_OFF.test(decorator) || module.withStatements.some((w) => contains(body, w) && GRAD_OFF.test(withHeader(w)));
  if (setsEval && gradOff) return true;
  return EVAL_NAME.test(module.functionName(fn)) && (setsEval || gradOff);
}

function withHeader(w: Node): string {
  const body = field(w, 'body');
  return body ? textOf(w).slice(0, body.startIndex - w.startIndex) : textOf(w);
}

const INTERVAL_NAME = /log|print|freq|interval|every|verbose|display|report|disp/i;

/**
 * True when `node` sits under an `if` (between it and `stop`) that runs only every k steps or on a
 * logging cadence: `if step % 100 == 0:`, `if i % args.log_interval == 0:`, `if should_log:`. A `%` branch
 * that trains (a GAN's generator step every n_critic steps) is part of the training step, not a guard.
 */
export function underIntervalGuard(node: Node, stop: Node | undefined): boolean {
  for (let p = parentOf(node); p && p.id !== stop?.id; p = parentOf(p)) {
    if (p.type === 'if_statement' || p.type === 'elif_clause' || p.type === 'conditional_expression') {
      const cond = p.type === 'conditional_expression' ? p : field(p, 'condition');
      const text = cond ? textOf(cond) : '';
      if (INTERVAL_NAME.test(text) || (text.includes('%') && !trainsWithin(p))) return true;
    }
    if (p.type === 'else_clause') {
      const ifStmt = parentOf(p);
      const cond = ifStmt && field(ifStmt, 'condition');
      const text = cond ? textOf(cond) : '';
      if (text.includes('%') || INTERVAL_NAME.test(text)) return true;
    }
    if (p.type === 'function_definition') return false;
  }
  return false;
}

/**
 * A `%` guard whose branch itself trains (`if i % n_critic == 0: g_loss.backward(); optimizer_G.step()`) sets a
 * training cadence, not a logging one: what runs beside that training step runs at every such step.
 */
function trainsWithin(branch: Node): boolean {
  const body = field(branch, 'consequence');
  return body !== undefined && /\.(backward|manual_backward)\s*\(/.test(textOf(body));
}

/**
 * True when `node` sits in a branch that ends the run or the loop (`if not math.isfinite(loss.item()):
 * print(...); sys.exit(1)`, a `raise`, a `break`): it runs once, on the way out, not every step.
 */
export function onExitPath(node: Node, stop: Node | undefined): boolean {
  for (let p = parentOf(node); p && p.id !== stop?.id; p = parentOf(p)) {
    if (p.type === 'function_definition') return false;
    if (p.type !== 'block') continue;
    const owner = parentOf(p);
    if (!owner || !['if_statement', 'elif_clause', 'else_clause'].includes(owner.type)) continue;
    const stmts = namedChildren(p).filter((s) => s.type !== 'comment');
    const last = stmts[stmts.length - 1];
    if (!last) continue;
    if (last.type === 'raise_statement' || last.type === 'break_statement') return true;
    const call = last.type === 'expression_statement' ? unwrap(last.namedChild(0)!) : undefined;
    const fn = call?.type === 'call' ? field(call, 'function') : undefined;
    if (fn && /^(sys\.exit|exit|quit|os\._exit)$/.test(textOf(fn))) return true;
  }
  return false;
}

/**
 * Functions that run on every forward pass of a model: the `forward` methods of the module's classes and the local
 * functions they call, one or two levels deep (`forward → _batch_shuffle_ddp`). A training step runs each of them
 * at least once, wherever the step itself is written.
 */
export function perForward(module: PythonModule): ReadonlySet<number> {
  return perForwardCache.get(module, () => {
    const out = new Set<number>();
    let frontier = module.functions.filter((f) => module.functionName(f) === 'forward' && module.enclosingClass(f) !== undefined && !module.enclosingFunction(f));
    for (let depth = 0; depth <= MAX_DEPTH && frontier.length > 0; depth++) {
      const next: Node[] = [];
      for (const fn of frontier) {
        if (out.has(fn.id)) continue;
        out.add(fn.id);
        const body = field(fn, 'body');
        for (const call of body ? module.callsWithin(body) : []) {
          const target = callTarget(module, call);
          if (target && !out.has(target.id)) next.push(target);
        }
      }
      frontier = next;
    }
    return out;
  });
}
const perForwardCache = new ModuleFact<ReadonlySet<number>>();

/**
 * Whether a function runs on every training step: called from a step loop or step method of this module (outside a
 * logging guard), part of a model's forward pass, or called per step by a project module that imports it.
 */
export function runsEveryStep(module: PythonModule, fn: Node): boolean {
  return callGraph(module).perStep.has(fn.id) || perForward(module).has(fn.id) || importedCalls(module).some((c) => c.fn.id === fn.id && c.perStep);
}

export interface ImportedCall {
  /** A top-level function of this module. */
  fn: Node;
  /** The project module beside this one that imports and calls it. */
  importer: PythonModule;
  /** The call in `importer`. */
  call: Node;
  /** The call sits in one of the importer's training steps (a step loop or step method, outside a logging guard). */
  perStep: boolean;
}

const importedCallsCache = new ModuleFact<ImportedCall[]>();

/**
 * Calls into this module's top-level functions from the project modules beside it that import it, one module
 * deep: `utils.clip_gradients(model, clip)` in a training script's step loop makes `clip_gradients` per-step
 * work, and `train_one_epoch(model, ..., device)` called from a script that trains on CUDA says where the
 * loop of `engine.py` runs. Empty outside a project.
 */
export function importedCalls(module: PythonModule): ImportedCall[] {
  return importedCallsCache.get(module, () => {
    const project = module.project;
    if (!project) return [];
    const topLevel = new Map<string, Node>();
    for (const f of module.functions) if (!module.enclosingFunction(f) && !module.enclosingClass(f)) topLevel.set(module.functionName(f), f);
    if (topLevel.size === 0) return [];
    const out: ImportedCall[] = [];
    for (const importer of project.importersOf(module.path)) {
      const graph = callGraph(importer);
      const steps = [...graph.stepLoops, ...graph.stepMethods];
      for (const call of importer.calls) {
        const qualified = importer.callee(call);
        if (!qualified || !qualified.includes('.')) continue;
        const fn = topLevel.get(qualified.slice(qualified.lastIndexOf('.') + 1));
        const def = fn && project.definition(importer.path, qualified);
        if (!fn || !def || def.module.path !== module.path) continue;
        const step = steps.find((s) => contains(s, call));
        out.push({ fn, importer, call, perStep: step !== undefined && !underIntervalGuard(call, step) && !onExitPath(call, step) });
      }
    }
    return out;
  });
}

export interface ImportedTraining {
  /** The call in this module (`train_one_epoch(model, criterion, loader, optimizer, device, epoch)`). */
  call: Node;
  /** The module of the project that defines the called function and holds its training loop. */
  module: PythonModule;
  fn: Node;
}

const importedTrainingCache = new ModuleFact<ImportedTraining[]>();

/**
 * Calls from this module to a function of another project module that holds a training loop: a `main.py` that
 * builds the model, puts it on the device and calls `engine.train_one_epoch(...)` every epoch trains through that
 * call, though the loop itself is in `engine.py`. Empty outside a project.
 */
export function importedTrainingCalls(module: PythonModule): ImportedTraining[] {
  return importedTrainingCache.get(module, () => {
    if (!module.project) return [];
    const out: ImportedTraining[] = [];
    const byName = new Map<string, { module: PythonModule; fn: Node } | null>();
    for (const call of module.calls) {
      const fn = field(call, 'function');
      const name = fn && (fn.type === 'identifier' || fn.type === 'attribute') ? textOf(fn) : undefined;
      if (!name) continue;
      let found = byName.get(name);
      if (found === undefined) {
        const def = module.importsFromProject(name) ? module.definitionOf(name) : undefined;
        const trains = def && def.module !== module && def.node.type === 'function_definition' && hotLoops(def.module).some((l) => contains(def.node, l));
        found = trains ? { module: def.module, fn: def.node } : null;
        byName.set(name, found);
      }
      if (found) out.push({ call, ...found });
    }
    return out;
  });
}
