// Hugging Face Trainer facts for the early-stopping rules: Trainer construction (also Seq2SeqTrainer, TRL
// trainers and local subclasses), the TrainingArguments it gets, the EarlyStoppingCallbacks it is given,
// and the argument edits that make early stopping work.
import type { Edit } from '../../shared/findings';
import { argument, callArguments, type CallArguments } from '../engine/calls';
import { dottedName, field, unwrap, type Node } from '../engine/syntax';
import { origin } from './provenance';
import { appendArguments, replaceNode } from './edits';
import { sameScope } from './lightning';
import { ModuleFact } from './facts';
import type { PythonModule } from './module';
import { argConstant, classDerivesFrom, constructedBy, localClass, methodCallsOn, resolveList, strategyValue, valueMatches } from './resolve';

export const HF_EARLY_STOPPING = 'transformers.EarlyStoppingCallback';

export function isHfTrainerClass(q: string): boolean {
  return q === 'transformers.Trainer' || /^transformers\.(\w+\.)*Seq2SeqTrainer$/.test(q) || /^trl(\.\w+)*\.\w*Trainer$/.test(q);
}

export function isTrainingArgumentsClass(q: string): boolean {
  return q === 'transformers.TrainingArguments' || /^transformers\.(\w+\.)*Seq2SeqTrainingArguments$/.test(q) || /^trl(\.\w+)*\.\w+Config$/.test(q);
}

export function isHfEarlyStopping(q: string): boolean {
  return q === HF_EARLY_STOPPING || q === 'transformers.trainer_callback.EarlyStoppingCallback';
}

export interface HfTrainerUse {
  call: Node;
  args: CallArguments;
  name?: string;
  /** The `TrainingArguments(...)` call passed as `args`, when it resolves in this module. */
  trainingArgs?: Node;
  /** `args` not passed at all: the Trainer uses default TrainingArguments (no evaluation). */
  defaultArgs: boolean;
  /** `trainer.add_callback(...)` calls in the same scope. */
  addedCallbacks: Node[];
}

function isTrainerCall(module: PythonModule, call: Node): boolean {
  const q = module.callee(call);
  if (q) return isHfTrainerClass(q);
  const fn = field(call, 'function');
  const name = fn && dottedName(fn);
  const cls = name ? localClass(module, name) : undefined;
  return !!cls && classDerivesFrom(module, cls, isHfTrainerClass);
}

const hfTrainersCache = new ModuleFact<HfTrainerUse[]>();

export function hfTrainers(module: PythonModule): HfTrainerUse[] {
  if (!module.importsAny('transformers', 'trl')) return [];
  return hfTrainersCache.get(module, () =>
    module.calls.filter((c) => isTrainerCall(module, c)).map((call) => {
      const args = callArguments(call);
      const name = module.boundName(call);
      const lookup = argument(args, 'args', 1);
      let trainingArgs: Node | undefined;
      if (lookup.kind === 'present') {
        const built = constructedBy(module, lookup.node, call);
        const q = built && module.callee(built);
        if (built && q && isTrainingArgumentsClass(q)) trainingArgs = built;
      }
      const addedCallbacks = name ? sameScope(module, call, name, methodCallsOn(module, name, ['add_callback'])) : [];
      return { call, args, name, trainingArgs, defaultArgs: lookup.kind === 'absent', addedCallbacks };
    }),
  );
}

/** EarlyStoppingCallback instances given to a Trainer (`callbacks=[...]` or `add_callback`); 'unknown' when unresolvable. */
export function earlyStoppingCallbacks(module: PythonModule, trainer: HfTrainerUse): Node[] | 'unknown' {
  const out: Node[] = [];
  let unknown = false;
  const lookup = argument(trainer.args, 'callbacks');
  if (lookup.kind === 'unknown' || trainer.args.positional.length > 7) unknown = true;
  else if (lookup.kind === 'present') {
    const list = resolveList(module, lookup.node, trainer.call);
    if (list.kind === 'unknown') unknown = true;
    else for (const el of list.elements) {
      const m = valueMatches(module, el.node, el.at, isHfEarlyStopping);
      if (m === 'yes') out.push(el.node);
      else if (m === 'unknown') unknown = true;
    }
  }
  for (const add of trainer.addedCallbacks) {
    const first = callArguments(add).positional[0];
    const m = first ? valueMatches(module, first, add, isHfEarlyStopping) : 'unknown';
    if (m === 'yes') out.push(first!);
    else if (m === 'unknown') unknown = true;
  }
  if (out.length > 0) return out;
  return unknown ? 'unknown' : out;
}

export interface EarlyStoppingPrerequisites {
  /** eval_strategy absent or "no". */
  noEvaluation: boolean;
  /** metric_for_best_model absent and load_best_model_at_end not True. */
  noMetric: boolean;
  /** The keyword the module uses for the strategy. */
  strategyKeyword: string;
}

export function prerequisites(module: PythonModule, trainingArgs: Node): EarlyStoppingPrerequisites {
  const a = callArguments(trainingArgs);
  const legacy = argument(a, 'evaluation_strategy');
  const modern = argument(a, 'eval_strategy');
  const lookup = modern.kind === 'present' ? modern : legacy.kind === 'present' ? legacy : modern;
  const strategy = strategyValue(module, lookup);
  const metric = argConstant(module, argument(a, 'metric_for_best_model'));
  const loadBest = argConstant(module, argument(a, 'load_best_model_at_end'));
  return {
    noEvaluation: strategy === 'absent' || strategy === 'no',
    noMetric: (metric === 'absent' || metric === null) && loadBest !== true && loadBest !== 'unknown',
    strategyKeyword: legacy.kind === 'present' || (modern.kind !== 'present' && /\bevaluation_strategy\s*=/.test(module.text)) ? 'evaluation_strategy' : 'eval_strategy',
  };
}

/**
 * Edits to a TrainingArguments call so EarlyStoppingCallback can run: evaluate every epoch (or keep the
 * valid strategy it has), save on the same schedule, and load the best model by eval loss.
 */
export function earlyStoppingArgumentEdits(module: PythonModule, trainingArgs: Node): Edit[] {
  const a = callArguments(trainingArgs);
  if (a.hasKwargs) return [];
  const edits: Edit[] = [];
  const append: string[] = [];
  const pre = prerequisites(module, trainingArgs);
  const strategyLookup = argument(a, pre.strategyKeyword);
  let strategy = strategyValue(module, strategyLookup);
  if (strategy === 'absent') {
    append.push(`${pre.strategyKeyword}="epoch"`);
    strategy = 'epoch';
  } else if (strategy === 'no' && strategyLookup.kind === 'present') {
    edits.push(replaceNode(strategyLookup.node, '"epoch"'));
    strategy = 'epoch';
  }
  if (pre.noMetric) {
    const loadBest = argument(a, 'load_best_model_at_end');
    if (loadBest.kind === 'present') edits.push(replaceNode(loadBest.node, 'True'));
    else append.push('load_best_model_at_end=True');
    const metric = argument(a, 'metric_for_best_model');
    if (metric.kind === 'present') edits.push(replaceNode(metric.node, '"eval_loss"'));
    else append.push('metric_for_best_model="eval_loss"');
    if (argument(a, 'greater_is_better').kind === 'absent') append.push('greater_is_better=False');
    // load_best_model_at_end requires the save schedule to match the eval schedule (STOP005).
    const save = argument(a, 'save_strategy');
    const saveValue = strategyValue(module, save);
    if (strategy === 'epoch' || strategy === 'steps') {
      if (save.kind === 'absent' && strategy === 'epoch') append.push('save_strategy="epoch"');
      else if (save.kind === 'present' && saveValue !== strategy && saveValue !== 'best' && saveValue !== 'unknown') edits.push(replaceNode(save.node, `"${strategy}"`));
    }
  }
  if (append.length > 0) edits.push(appendArguments(module, trainingArgs, append));
  return edits;
}

const trainingArgumentsCache = new ModuleFact<Node[]>();

/** `TrainingArguments(...)` (and Seq2Seq/TRL config) calls of the module, found once and shared by the rules that read them. */
export function trainingArgumentsCalls(module: PythonModule): Node[] {
  if (!module.importsAny('transformers', 'trl')) return [];
  return trainingArgumentsCache.get(module, () =>
    module.calls.filter((c) => {
      const q = module.callee(c);
      return q !== undefined && isTrainingArgumentsClass(q);
    }),
  );
}

/**
 * Why the Trainer's training set costs work per item, if it visibly does: `train_ds.set_transform(f)` (or
 * `with_transform`) where `f` is a function of the module that calls a torchvision transform, so every image is
 * decoded and augmented when the Trainer's DataLoader reads it (LOAD001's docs).
 */
export function onTheFlyTransform(module: PythonModule, trainer: HfTrainerUse): string | undefined {
  const ds = argument(trainer.args, 'train_dataset', 2);
  if (ds.kind !== 'present') return undefined;
  const name = dottedName(unwrap(ds.node));
  if (!name) return undefined;
  for (const method of ['set_transform', 'with_transform']) {
    for (const call of methodCallsOn(module, name, [method])) {
      const f = argument(callArguments(call), 'transform', 0);
      const fnName = f.kind === 'present' ? dottedName(unwrap(f.node)) : undefined;
      const fn = fnName ? module.findFunction(fnName, call) : undefined;
      if (!fn) continue;
      const transforms = module.callsInside(fn).some((c) => {
        const callee = field(c, 'function');
        const o = callee?.type === 'identifier' ? origin(module, callee, c) : undefined;
        const q = (o?.kind === 'call' ? o.callee : module.callee(c)) ?? '';
        return q.startsWith('torchvision.transforms.');
      });
      if (transforms) return `${name}.${method}(${fnName}) runs torchvision transforms on every item as it is read`;
    }
  }
  return undefined;
}
