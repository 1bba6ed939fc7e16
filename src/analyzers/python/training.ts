// What trains where in a module: the loops whose body is one training step (backward + step, directly or
// one local call away), the epoch loops around them, and the methods Lightning and Hugging Face run once
// per step. The syntax index (module.ts) answers "where is this node"; this file answers "does it run
// once per step", on top of it, the way Ruff's semantic layer sits on its syntax tree. Computed once per
// module.
import { calledMethod, contains, field, type Node } from '../engine/syntax';
import type { PythonModule } from './module';

/** Methods that are a training step in Lightning (LightningModule) and Hugging Face (Trainer subclasses). */
const TRAINING_STEP_METHODS = new Set(['training_step', 'compute_loss']);

class TrainingStructure {
  readonly hotLoops: Node[];
  readonly epochLoops: Node[] = [];
  readonly stepLoops: Node[];
  readonly stepFunctions: Node[];
  /** Does a scope train, by node id: asked for the same loop bodies and helpers many times. */
  private readonly trainsInScope = new Map<number, boolean>();
  private readonly trainsInScopeInline = new Map<number, boolean>();

  constructor(private readonly module: PythonModule) {
    this.hotLoops = module.loops.filter((l) => {
      const body = field(l, 'body');
      if (!body || !this.trainsIn(body, true)) return false;
      // The innermost training loop is the hot one: skip a loop when a loop inside it trains too.
      return !module.loops.some((inner) => inner.id !== l.id && contains(body, inner) && this.trainsIn(field(inner, 'body')!, true));
    });
    this.stepFunctions = module.functions.filter((f) => {
      const name = module.functionName(f);
      return TRAINING_STEP_METHODS.has(name) && module.enclosingClass(f) !== undefined;
    });
    const addEpoch = (l: Node | undefined) => {
      if (l && !this.epochLoops.some((e) => e.id === l.id)) this.epochLoops.push(l);
    };
    for (const h of this.hotLoops) addEpoch(module.enclosingLoop(h));
    const hotFunctions = this.hotLoops.map((h) => module.enclosingFunction(h)).filter((f): f is Node => f !== undefined);
    for (const l of module.loops) {
      const body = field(l, 'body');
      if (!body || this.hotLoops.some((h) => h.id === l.id)) continue;
      for (const c of module.callsWithin(body)) {
        const target = module.localCallTarget(c);
        if (target && hotFunctions.some((f) => f.id === target.id)) addEpoch(l);
        // `for epoch in range(n): model.fit(..., epochs=1)` is a hand-written epoch loop around Keras.
        if (calledMethod(c) === 'fit' && /\bepochs\s*=\s*1\b/.test(field(c, 'arguments')?.text ?? '')) addEpoch(l);
      }
    }
    const epochs = new Set(this.epochLoops.map((l) => l.id));
    this.stepLoops = this.hotLoops.filter((l) => !epochs.has(l.id));
  }

  /** Does this scope call `.backward()` and `.step()`, directly or through one level of local calls? */
  private trainsIn(scope: Node, inline: boolean): boolean {
    const memo = inline ? this.trainsInScopeInline : this.trainsInScope;
    let trains = memo.get(scope.id);
    if (trains === undefined) memo.set(scope.id, (trains = this.computeTrainsIn(scope, inline)));
    return trains;
  }

  private computeTrainsIn(scope: Node, inline: boolean): boolean {
    const module = this.module;
    let backward = false;
    let step = false;
    for (const c of module.callsWithin(scope)) {
      const m = calledMethod(c);
      if (m === 'backward') backward = true;
      else if (m === 'step') step = true;
      else if (m === 'manual_backward') backward = true;
      if (inline && !(backward && step)) {
        const target = module.localCallTarget(c);
        const body = target && field(target, 'body');
        if (body && !contains(body, scope)) {
          // Only what the helper does once per call counts: a helper that loops over batches itself
          // (`train_one_epoch`) makes the caller an epoch loop, not a training step.
          for (const inner of module.callsWithin(body)) {
            if (module.loopBetween(body, inner)) continue;
            const im = calledMethod(inner);
            if (im === 'backward' || im === 'manual_backward') backward = true;
            else if (im === 'step') step = true;
          }
        }
      }
      if (backward && step) return true;
    }
    return false;
  }
}

const structures = new WeakMap<PythonModule, TrainingStructure>();

function structureOf(module: PythonModule): TrainingStructure {
  let s = structures.get(module);
  if (!s) structures.set(module, (s = new TrainingStructure(module)));
  return s;
}

/** Loops whose body trains (backward + step), innermost only. */
export function hotLoops(module: PythonModule): Node[] {
  return structureOf(module).hotLoops;
}

/** Loops that directly enclose a hot loop, or call a function that holds one. */
export function epochLoops(module: PythonModule): Node[] {
  return structureOf(module).epochLoops;
}

/**
 * Loops whose body runs once per optimisation step: the hot loops, less the loops that are hot only
 * because they call a function holding the real step loop (those are epoch loops).
 */
export function stepLoops(module: PythonModule): Node[] {
  return structureOf(module).stepLoops;
}

/** Lightning `training_step` / HF `compute_loss` methods: bodies that run once per step. */
export function stepFunctions(module: PythonModule): Node[] {
  return structureOf(module).stepFunctions;
}

/** True when `node` runs once per training step: inside a hot loop body or a step method. */
export function inHotRegion(module: PythonModule, node: Node): boolean {
  const s = structureOf(module);
  return (
    s.hotLoops.some((l) => contains(field(l, 'body')!, node)) ||
    s.stepFunctions.some((f) => contains(field(f, 'body') ?? f, node))
  );
}
