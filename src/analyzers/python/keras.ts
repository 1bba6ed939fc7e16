// Keras facts for the early-stopping rules: which `.fit(...)` calls train a Keras model, and the
// positional slots of `Model.fit`; for EVAL003, whether the targets a model is fitted on are classes.
import { argument, callArguments } from '../engine/calls';
import { calledMethod, dottedName, field, methodReceiver, textOf, unwrap, type Node } from '../engine/syntax';
import { ModuleFact } from './facts';
import type { PythonModule } from './module';
import { bindingValue, classDerivesFrom, localClass, methodCallsOn } from './resolve';

/** `Model.fit(x, y, batch_size, epochs, verbose, callbacks, validation_split, validation_data, ...)`. */
export const KERAS_FIT_SLOTS = { epochs: 3, callbacks: 5, validation_split: 6, validation_data: 7 } as const;

const MODEL_FACTORIES = new Set([
  'keras.Sequential', 'keras.Model', 'keras.models.Sequential', 'keras.models.Model', 'keras.models.load_model',
  'keras.saving.load_model', 'keras.models.clone_model',
]);

export function isKerasModelClass(qualified: string): boolean {
  return qualified === 'keras.Model' || qualified === 'keras.models.Model' || qualified === 'keras.Sequential' || qualified === 'keras.models.Sequential';
}

export function isKerasEarlyStopping(qualified: string): boolean {
  return qualified === 'keras.callbacks.EarlyStopping' || /EarlyStopping$/.test(qualified);
}

export function importsKeras(module: PythonModule): boolean {
  return module.importsAny('keras', 'tensorflow');
}

/** Is the receiver a Keras model: built by Sequential/Model/applications/load_model, a local keras.Model subclass, or compiled? */
export function isKerasModel(module: PythonModule, receiver: Node, at: Node, depth = 0): boolean {
  if (depth > 3) return false;
  const n = unwrap(receiver);
  const name = dottedName(n);
  if (!name) return n.type === 'call' && isKerasModelValue(module, n, depth);
  const scopeFn = module.enclosingFunction(at);
  const compiled = methodCallsOn(module, name, ['compile']).some((c) =>
    name.startsWith('self.') ? module.enclosingClass(c)?.id === module.enclosingClass(at)?.id : module.enclosingFunction(c)?.id === scopeFn?.id);
  if (compiled) return true;
  if (n.type !== 'identifier') return false;
  const value = bindingValue(module, n.text, at);
  return !!value && isKerasModelValue(module, value, depth + 1);
}

function isKerasModelValue(module: PythonModule, value: Node, depth: number): boolean {
  const v = unwrap(value);
  if (v.type !== 'call') return v.type === 'identifier' && isKerasModel(module, v, v, depth + 1);
  const q = module.callee(v);
  if (q) return MODEL_FACTORIES.has(q) || q.startsWith('keras.applications.');
  const fn = field(v, 'function');
  const fname = fn && dottedName(fn);
  const cls = fname ? localClass(module, fname) : undefined;
  if (cls) return classDerivesFrom(module, cls, isKerasModelClass);
  const target = module.localCallTarget(v);
  if (!target) return false;
  return module.returns.some((r) => {
    if (module.enclosingFunction(r)?.id !== target.id) return false;
    const ret = r.namedChild(0);
    return !!ret && (isKerasModelValue(module, ret, depth + 1) || (unwrap(ret).type === 'identifier' && isKerasModel(module, ret, r, depth + 1)));
  });
}

const fitCallsCache = new ModuleFact<Node[]>();

/** `.fit(...)` calls on Keras models, in modules that import keras or tensorflow. */
export function kerasFitCalls(module: PythonModule): Node[] {
  if (!importsKeras(module)) return [];
  return fitCallsCache.get(module, () =>
    module.calls.filter((c) => {
      if (calledMethod(c) !== 'fit') return false;
      const receiver = methodReceiver(c);
      return !!receiver && isKerasModel(module, receiver, c);
    }),
  );
}

/** Does the module spell Keras through TensorFlow only (`import tensorflow as tf`, `from tensorflow.keras import ...`)? */
export function kerasViaTensorflow(module: PythonModule): boolean {
  return /^\s*(from|import)\s+tensorflow\b/m.test(module.text) && !/^\s*(from|import)\s+keras\b/m.test(module.text);
}

const CLASSIFICATION_LOSS = /crossentropy|hinge/i;
const REGRESSION_LOSS = /mse|mae|mape|squared|absolute|huber|poisson|log_?cosh|cosine|kl_?div|kullback/i;

/**
 * Does `model.fit(x, y)` on a Keras model read one of these names as its targets, in a module whose every
 * `compile(loss=...)` is a classification loss (cross-entropy, hinge)? No compile call, or any other loss: no.
 */
export function kerasClassifiesTargets(module: PythonModule, names: readonly string[]): boolean {
  const fed = kerasFitCalls(module).some((fit) => {
    const y = argument(callArguments(fit), 'y', 1);
    return y.kind === 'present' && names.some((n) => module.mentions(y.node, n));
  });
  if (!fed) return false;
  const losses = module.methodCalls('compile').map((c) => argument(callArguments(c), 'loss', 1));
  return losses.length > 0 && losses.every((l) => l.kind === 'present' && CLASSIFICATION_LOSS.test(textOf(l.node)) && !REGRESSION_LOSS.test(textOf(l.node)));
}
