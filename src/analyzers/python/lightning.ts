// Lightning facts the early-stopping rules share: Trainer construction, its budget arguments, its
// callbacks, and whether the model it fits validates at all (no validation, nothing to stop on).
import { argument, callArguments, type CallArguments } from '../engine/calls';
import { calledMethod, dottedName, field, literalValue, methodReceiver, NOT_LITERAL, parentOf, type Node } from '../engine/syntax';
import { ModuleFact } from './facts';
import type { PythonModule } from './module';
import { resolvedCallArguments } from './provenance';
import { classDefines, classDerivesFrom, constructedBy, localClass, methodCallsOn, type Tri } from './resolve';

export const LIGHTNING_TRAINER = 'lightning.pytorch.Trainer';
export const LIGHTNING_MODULE = 'lightning.pytorch.LightningModule';
export const LIGHTNING_EARLY_STOPPING = 'lightning.pytorch.callbacks.EarlyStopping';

/** Lightning's EarlyStopping, a subclass or any `*EarlyStopping` callback class. */
export function isLightningEarlyStopping(qualified: string): boolean {
  return qualified === LIGHTNING_EARLY_STOPPING || /EarlyStopping$/.test(qualified);
}

/** The `Timer` callback is a wall-clock budget, like `max_time`. */
export function isLightningTimer(qualified: string): boolean {
  return qualified === 'lightning.pytorch.callbacks.Timer' || qualified === 'lightning.pytorch.callbacks.timer.Timer';
}

export interface TrainerUse {
  call: Node;
  args: CallArguments;
  /** The name the Trainer is bound to (`trainer`, `self.trainer`), if any. */
  name?: string;
  /** `trainer.fit(...)` calls (also `Trainer(...).fit(...)`). */
  fits: Node[];
}

const trainersCache = new ModuleFact<TrainerUse[]>();

export function lightningTrainers(module: PythonModule): TrainerUse[] {
  return trainersCache.get(module, () =>
    module.callsTo([LIGHTNING_TRAINER]).map((call) => {
      const name = module.boundName(call);
      const fits = name ? sameScope(module, call, name, methodCallsOn(module, name, ['fit'])) : [];
      // `Trainer(...).fit(model)`
      const attr = parentOf(call);
      const outer = attr?.type === 'attribute' ? parentOf(attr) : undefined;
      if (outer?.type === 'call' && calledMethod(outer) === 'fit') fits.push(outer);
      // `Trainer(**trainer_kwargs)`: the keys of a dict built in the module count as written here.
      return { call, args: resolvedCallArguments(module, call), name, fits };
    }),
  );
}

/** Uses of a bound name that refer to the same object: the same function for locals, the same class for `self.x`. */
export function sameScope(module: PythonModule, binding: Node, name: string, uses: Node[]): Node[] {
  if (name.startsWith('self.')) {
    const cls = module.enclosingClass(binding);
    return uses.filter((u) => module.enclosingClass(u)?.id === cls?.id);
  }
  const fn = module.enclosingFunction(binding);
  return uses.filter((u) => module.enclosingFunction(u)?.id === fn?.id);
}

/** Classes of this module that derive from LightningModule (directly or through local classes). */
export function lightningModuleClasses(module: PythonModule): Node[] {
  return module.classes.filter((c) => isLightningModuleClass(module, c));
}

/** A class of this module that derives from LightningModule, directly or through local classes. */
export function isLightningModuleClass(module: PythonModule, cls: Node): boolean {
  return classDerivesFrom(module, cls, (b) => b === LIGHTNING_MODULE);
}

/** The local class an expression instantiates (`model = LitModel(...)`; `fit(LitModel())`). */
function instantiatedLocalClass(module: PythonModule, expr: Node, at: Node): Node | undefined {
  const call = constructedBy(module, expr, at);
  const fn = call && field(call, 'function');
  const name = fn && dottedName(fn);
  return name ? localClass(module, name) : undefined;
}

/**
 * Does this Trainer validate? 'yes' when the fitted model's class (in this module) defines
 * `validation_step`, or `fit` gets `val_dataloaders` / a datamodule with `val_dataloader`; 'no' when the
 * model's class is here and lacks `validation_step`; 'unknown' otherwise.
 */
export function trainerValidates(module: PythonModule, trainer: TrainerUse): Tri {
  const limit = argument(trainer.args, 'limit_val_batches');
  if (limit.kind === 'present' && literalValue(limit.node) === 0) return 'no';
  if (trainer.fits.length === 0) {
    const classes = lightningModuleClasses(module);
    if (classes.length === 0) return 'unknown';
    return classes.some((c) => classDefines(module, c, 'validation_step')) ? 'yes' : 'no';
  }
  let result: Tri = 'unknown';
  for (const fit of trainer.fits) {
    const args = callArguments(fit);
    const model = argument(args, 'model', 0);
    if (model.kind === 'present') {
      const cls = instantiatedLocalClass(module, model.node, fit);
      if (cls) {
        if (!classDefines(module, cls, 'validation_step')) return 'no';
        result = 'yes';
        continue;
      }
    }
    const val = argument(args, 'val_dataloaders', 2);
    if (val.kind === 'present' && literalValue(val.node) !== null) result = 'yes';
    for (const [kw, slot] of [['datamodule', 3], ['train_dataloaders', 1]] as const) {
      const dm = argument(args, kw, slot);
      if (dm.kind !== 'present') continue;
      const cls = instantiatedLocalClass(module, dm.node, fit);
      if (cls && classDefines(module, cls, 'val_dataloader')) result = 'yes';
    }
  }
  return result;
}

/** Code that changes `trainer.callbacks` after construction: the callback list is not only what we see. */
export function trainerCallbacksMutated(module: PythonModule, trainer: TrainerUse): boolean {
  if (!trainer.name) return false;
  const name = `${trainer.name}.callbacks`;
  return sameScope(module, trainer.call, trainer.name, methodCallsOn(module, name, ['append', 'extend', 'insert'])).length > 0 ||
    sameScope(module, trainer.call, trainer.name, module.referencesTo(name).filter((r) => parentOf(r)?.type === 'augmented_assignment')).length > 0;
}

/** A metric name the module logs that looks like a validation loss (`self.log("val/loss", ...)`). */
export function loggedValidationLoss(module: PythonModule): string | undefined {
  for (const c of module.calls) {
    const m = calledMethod(c);
    if (m !== 'log' || methodReceiver(c)?.text !== 'self') continue;
    const first = callArguments(c).positional[0];
    const key = first ? literalValue(first) : NOT_LITERAL;
    if (typeof key === 'string' && /^(val|valid|validation)[_/.]?loss$/i.test(key)) return key;
  }
  return undefined;
}

/** True when the module spells Lightning as `pytorch_lightning` (new imports should match). */
export function usesPytorchLightningName(module: PythonModule): boolean {
  return /^\s*(from|import)\s+pytorch_lightning\b/m.test(module.text);
}
