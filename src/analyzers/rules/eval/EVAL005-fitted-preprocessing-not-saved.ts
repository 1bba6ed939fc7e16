import type { Edit } from '../../../shared/findings';
import { calledMethod, dottedName, enclosingStatement, field, methodReceiver, nodeRange, parentOf, textOf, unwrap, type Node } from '../../engine/syntax';
import { assignmentsTo, bindingsAt } from '../../python/bindings';
import { ensureImport } from '../../python/edits';
import type { PythonModule } from '../../python/module';
import { isSklearnTransformer } from '../../python/sklearn';
import { usedOnlyAsTargets } from '../../python/targets';
import { argument, callArguments } from '../../engine/calls';
import { defineRule } from '../rule';

/** Methods that fit or apply preprocessing without persisting it. */
const USE_METHODS = new Set(['fit', 'fit_transform', 'partial_fit', 'transform', 'inverse_transform', 'get_feature_names_out', 'train', 'train_from_iterator', 'encode', 'encode_batch']);
const FIT_METHODS = new Set(['fit', 'fit_transform', 'partial_fit', 'train', 'train_from_iterator']);

const SAVE_FUNCTIONS = new Set(['torch.save', 'joblib.dump', 'pickle.dump', 'dill.dump', 'cloudpickle.dump', 'skops.io.dump']);
const SAVE_METHODS = ['save_pretrained', 'save_weights', 'save_model', 'save'];
/** `.save(...)` is a model save only on model-like receivers (not `img.save(path)`). */
const MODEL_NAME = /(^|[._])(model|net|network|clf|classifier|regressor|estimator|pipeline|pipe|learner)s?(\d*|_\w+)?$/i;

export default defineRule({
  code: 'EVAL005',
  name: 'fitted-preprocessing-not-saved',
  family: 'EVAL',
  severity: 'info',
  confidence: 'medium',
  fix: 'unsafe',
  skipTestFiles: true,
  messages: {
    preprocessingNotSaved: '{{what}} is fitted here, but only the model is saved ({{save}}): serving has to re-create the preprocessing and its learnt statistics, the classic training/serving skew. Persist it next to the model ({{how}}) or fold it into a Pipeline.',
  },
  docs: `## What it does
Finds preprocessing fitted in a training script (a scikit-learn scaler, encoder, imputer, vectorizer or \`LabelEncoder\`;
a \`tokenizers\` tokenizer trained on the corpus; a torchtext vocabulary built from it) while the script saves only the
model (\`torch.save\`, \`model.save\`, \`save_pretrained\`, \`joblib.dump(model)\`) and the fitted object is never persisted,
returned or handed to anything else.

A save that snapshots a model before anything is trained and that the module reads back itself
(\`model.save_weights(initial_weights)\`, then \`load_weights(initial_weights)\` before each \`fit\`, to start every model
from the same weights) is a reset point, not the model served: it does not count as the model save.

Not reported when the saved object is a scikit-learn \`Pipeline\` (\`Pipeline\`, \`make_pipeline\`, also as the estimator of
a \`GridSearchCV\`/\`RandomizedSearchCV\` whose \`best_estimator_\` is saved) that contains preprocessing of its own: the
serving side loads the preprocessing with the model, and a scaler fitted outside it is exploration, not the one serving uses.

Nor when everything the object transforms is used only as the model's targets (\`y\` of \`fit\`/\`evaluate\`, the labels of
a \`validation_data=(x, y)\` pair or of \`Dataset.from_tensor_slices((x, y))\` / \`Dataset.zip((features, labels))\`): an
encoder of the label column computes no model input, so serving does not need it to prepare requests.

## Why is this bad?
The serving side must re-implement the preprocessing and re-derive its statistics, which is the classic
training/serving skew: the model receives inputs scaled, encoded or tokenized differently from training and its
predictions silently degrade. Google's "Rules of ML" (rule #32): "Re-use code between your training pipeline and your
serving pipeline whenever possible."

## Example
\`\`\`python
import torch
from sklearn.preprocessing import StandardScaler

scaler = StandardScaler()
X_train = scaler.fit_transform(X_train)
train(model, X_train, y_train)
torch.save(model.state_dict(), "model.pt")
\`\`\`

## Use instead
\`\`\`python
import joblib
import torch
from sklearn.preprocessing import StandardScaler

scaler = StandardScaler()
X_train = scaler.fit_transform(X_train)
train(model, X_train, y_train)
torch.save(model.state_dict(), "model.pt")
joblib.dump(scaler, "scaler.joblib")
\`\`\`

## Fix safety
For scikit-learn objects the fix adds \`joblib.dump(<object>, "<object>.joblib")\` after the model is saved (and
\`import joblib\`; joblib ships with scikit-learn). It is unsafe: it writes a new file next to the model. Alternatives are
saving the object in the checkpoint dict or fitting an sklearn \`Pipeline\` that holds both.

## References
- Google, Rules of Machine Learning, #32 (training/serving skew): https://developers.google.com/machine-learning/guides/rules-of-ml#rule_32_re-use_code_between_your_training_pipeline_and_your_serving_pipeline_whenever_possible
- scikit-learn, Model persistence: https://scikit-learn.org/stable/model_persistence.html
- TensorFlow Transform (why preprocessing must be exported with the model): https://www.tensorflow.org/tfx/guide/tft
`,

  checkPython(module, reporter) {
    if (!module.importsAny('sklearn', 'tokenizers', 'torchtext')) return;
    const saves = modelSaves(module);
    if (saves.length === 0) return;
    for (const fitted of fittedObjects(module)) {
      if (fitted.name !== undefined && (escapes(module, fitted.name) || encodesOnlyTargets(module, fitted.name))) continue;
      // The save must belong to the same run: the same function, or a function that calls the one that fits.
      const save = saves.find((s) => sameRun(module, fitted.fit, s) && !savesInitialWeights(module, s));
      if (!save || savesPipelineWithPreprocessing(module, save)) continue;
      const fix = fitted.sklearn && fitted.name ? dumpFix(module, fitted.name, fitted.fit, save) : undefined;
      reporter.report({
        range: nodeRange(fitted.fit),
        messageId: 'preprocessingNotSaved',
        data: { what: fitted.what, save: textOf(field(save, 'function') ?? save), how: fitted.sklearn ? 'joblib.dump' : 'save it' },
        related: [{ range: nodeRange(save), message: 'the model is saved here' }],
        fixes: fix ? [fix] : [],
      });
    }
  },
});

interface FittedObject {
  /** The name the fitted object is bound to; undefined for `StandardScaler().fit_transform(X)`. */
  name?: string;
  fit: Node;
  what: string;
  sklearn: boolean;
}

function shortName(q: string): string {
  return q.slice(q.lastIndexOf('.') + 1);
}

/** What a constructor builds, when it is preprocessing that learns from the data. */
function preprocessingKind(module: PythonModule, value: Node): { what: string; sklearn: boolean } | undefined {
  const v = unwrap(value);
  if (v.type !== 'call') return undefined;
  const q = module.callee(v);
  if (q && (isSklearnTransformer(q) || q === 'sklearn.preprocessing.LabelEncoder')) return { what: shortName(q), sklearn: true };
  if (q && /^tokenizers\.(Tokenizer|\w*Tokenizer)$/.test(q)) return { what: `tokenizer (${shortName(q)})`, sklearn: false };
  // `scaler = StandardScaler().fit(X)`: fit returns the fitted transformer.
  if (calledMethod(v) === 'fit') {
    const r = methodReceiver(v);
    return r ? preprocessingKind(module, r) : undefined;
  }
  return undefined;
}

function fittedObjects(module: PythonModule): FittedObject[] {
  const out: FittedObject[] = [];
  const seen = new Set<string>();
  for (const method of FIT_METHODS) {
    for (const call of module.methodCalls(method)) {
      const receiver = methodReceiver(call);
      if (!receiver) continue;
      const r = unwrap(receiver);
      if (r.type === 'call') {
        const kind = preprocessingKind(module, r);
        // Inline `StandardScaler().fit_transform(X)`: the fitted object is gone once the line runs.
        if (kind && method === 'fit_transform') out.push({ fit: call, ...kind });
        else if (kind && method === 'fit' && module.boundName(call)) {
          const name = module.boundName(call)!;
          if (!seen.has(name)) { seen.add(name); out.push({ name, fit: call, ...kind }); }
        }
        continue;
      }
      const name = dottedName(r);
      if (!name || seen.has(name)) continue;
      const bindings = assignmentsTo(module, name);
      if (bindings.length !== 1 || bindings[0].kind !== 'value') continue;
      const kind = preprocessingKind(module, bindings[0].value);
      if (!kind || kind.what.startsWith('tokenizer') !== (method === 'train' || method === 'train_from_iterator')) continue;
      seen.add(name);
      out.push({ name, fit: call, ...kind });
    }
  }
  // torchtext: `vocab = build_vocab_from_iterator(...)` learns the vocabulary from the training corpus.
  for (const call of module.callsTo(['torchtext.vocab.build_vocab_from_iterator'])) {
    const name = module.boundName(call);
    if (name && !seen.has(name)) { seen.add(name); out.push({ name, fit: call, what: 'vocabulary (build_vocab_from_iterator)', sklearn: false }); }
  }
  return out.sort((a, b) => a.fit.startIndex - b.fit.startIndex);
}

/** Is the object used in any way other than fitting and transforming (saved, returned, stored, passed on)? */
function escapes(module: PythonModule, name: string): boolean {
  for (const ref of module.referencesTo(name)) {
    const parent = parentOf(ref);
    if (!parent) return true;
    if (parent.type === 'assignment' && field(parent, 'left')?.id === ref.id) continue;
    if (parent.type === 'attribute' && field(parent, 'object')?.id === ref.id) {
      const call = parentOf(parent);
      const method = field(parent, 'attribute')?.text;
      if (call?.type === 'call' && field(call, 'function')?.id === parent.id && method && USE_METHODS.has(method)) continue;
      // `vocab.set_default_index(...)`, `tok.enable_padding(...)`: configuring the object, not persisting it.
      if (call?.type === 'call' && field(call, 'function')?.id === parent.id && method && /^(set_|enable_|add_)/.test(method)) continue;
    }
    // `vocab(tokens)`, `vocab[token]`: lookups.
    if ((parent.type === 'call' && field(parent, 'function')?.id === ref.id) || (parent.type === 'subscript' && field(parent, 'value')?.id === ref.id)) continue;
    return true;
  }
  return false;
}

/**
 * Everything the object transforms is used only as the model's targets (`y = encoder.fit_transform(labels)` passed as
 * the `y` of `fit`): serving computes no inputs with it.
 */
function encodesOnlyTargets(module: PythonModule, name: string): boolean {
  const outputs = module.referencesTo(name).flatMap((ref) => {
    const attr = parentOf(ref);
    const call = attr?.type === 'attribute' && field(attr, 'object')?.id === ref.id ? parentOf(attr) : undefined;
    return call?.type === 'call' && /^(fit_transform|transform)$/.test(calledMethod(call) ?? '') ? [call] : [];
  });
  return outputs.length > 0 && outputs.every((c) => usedOnlyAsTargets(module, c));
}

function sameRun(module: PythonModule, fit: Node, save: Node): boolean {
  const fitFn = module.enclosingFunction(fit);
  const saveFn = module.enclosingFunction(save);
  if (fitFn?.id === saveFn?.id) return true;
  if (!fitFn) return false;
  const scope = saveFn ?? module.root;
  return module.callsWithin(scope).some((c) => module.localCallTarget(c)?.id === fitFn.id);
}

function modelSaves(module: PythonModule): Node[] {
  const out = module.callsTo(SAVE_FUNCTIONS);
  for (const method of SAVE_METHODS) {
    for (const call of module.methodCalls(method)) {
      const receiver = methodReceiver(call);
      const name = receiver && dottedName(receiver);
      if (!name || module.imports.resolveDotted(name)) continue;
      if (method === 'save' && !MODEL_NAME.test(name)) continue;
      out.push(call);
    }
  }
  for (const call of module.calls) {
    const q = module.callee(call);
    if (q && /^mlflow\.\w+\.(log_model|save_model)$/.test(q)) out.push(call);
  }
  return out.sort((a, b) => a.startIndex - b.startIndex);
}

/** `joblib.dump(scaler, "scaler.joblib")` after the model save, when the object is visible there. */
function dumpFix(module: PythonModule, name: string, fit: Node, save: Node) {
  const sameScope = name.startsWith('self.')
    ? module.enclosingClass(save)?.id === module.enclosingClass(fit)?.id
    : module.enclosingFunction(save)?.id === module.enclosingFunction(fit)?.id;
  if (!sameScope || save.startIndex < fit.startIndex) return undefined;
  const stmt = enclosingStatement(save);
  const line = stmt.endPosition.row;
  const indent = /^[ \t]*/.exec(module.lines.lineText(stmt.startPosition.row))![0];
  const file = name.slice(name.lastIndexOf('.') + 1);
  const at = { line, character: module.lines.lineText(line).length };
  const edits: Edit[] = [{ range: { start: at, end: at }, newText: `${module.lines.eol()}${indent}joblib.dump(${name}, "${file}.joblib")` }];
  const imp = ensureImport(module, 'import joblib', 'joblib');
  if (imp) edits.push(imp);
  return { title: `Save ${file} with joblib next to the model`, safe: false, edits };
}

const PIPELINES = new Set(['sklearn.pipeline.Pipeline', 'sklearn.pipeline.make_pipeline']);
const COMPOSITE_PREPROCESSING = /^sklearn\.(compose\.(ColumnTransformer|make_column_transformer)|pipeline\.(FeatureUnion|make_union))$/;
const SEARCHES = /^sklearn\.model_selection\.(GridSearchCV|RandomizedSearchCV|HalvingGridSearchCV|HalvingRandomSearchCV)$/;

/** The object a save call writes: `joblib.dump(obj, ...)`, `mlflow.sklearn.log_model(obj, ...)`, `obj.save(...)`. */
function savedObject(module: PythonModule, save: Node): Node | undefined {
  const q = module.callee(save);
  if (q && (SAVE_FUNCTIONS.has(q) || /^mlflow\./.test(q))) {
    const args = callArguments(save);
    const obj = argument(args, q.startsWith('mlflow.') ? 'sk_model' : 'value', 0);
    return obj.kind === 'present' ? obj.node : args.positional[0];
  }
  return methodReceiver(save);
}

/** The saved object is (or searches over) a Pipeline with a preprocessing step. */
function savesPipelineWithPreprocessing(module: PythonModule, save: Node): boolean {
  const obj = savedObject(module, save);
  return !!obj && pipelineWithPreprocessing(module, obj, 0);
}

const MAX_DEPTH = 10;

function pipelineWithPreprocessing(module: PythonModule, expr: Node, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  const n = unwrap(expr);
  // `search.best_estimator_`, `pipe.fit(X, y)`: the search or pipeline itself.
  if (n.type === 'attribute' && /^best_estimator_$/.test(field(n, 'attribute')?.text ?? '')) return pipelineWithPreprocessing(module, field(n, 'object')!, depth + 1);
  if (n.type === 'identifier') return bindingsAt(module, n.text, n).some((b) => b.kind === 'value' && pipelineWithPreprocessing(module, b.value, depth + 1));
  if (n.type !== 'call') return false;
  if (calledMethod(n) === 'fit') return pipelineWithPreprocessing(module, methodReceiver(n)!, depth + 1);
  const q = module.callee(n);
  if (!q) return false;
  if (SEARCHES.test(q)) {
    const est = argument(callArguments(n), 'estimator', 0);
    return est.kind === 'present' && pipelineWithPreprocessing(module, est.node, depth + 1);
  }
  if (!PIPELINES.has(q)) return false;
  const args = callArguments(n);
  const steps = q.endsWith('make_pipeline') ? args.positional : stepEstimators(args.positional[0] ?? args.keywords.get('steps'));
  return steps.some((step) => isPreprocessing(module, step, depth + 1));
}

/** The estimators of a `[("name", est), ...]` steps list. */
function stepEstimators(steps: Node | undefined): Node[] {
  const list = steps && unwrap(steps);
  if (!list || (list.type !== 'list' && list.type !== 'tuple')) return [];
  return list.namedChildren.filter((c): c is Node => !!c && c.type === 'tuple').map((t) => t.namedChildren[1]).filter((e): e is Node => !!e);
}

function isPreprocessing(module: PythonModule, step: Node, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  const n = unwrap(step);
  if (n.type === 'identifier') return bindingsAt(module, n.text, n).some((b) => b.kind === 'value' && isPreprocessing(module, b.value, depth + 1));
  if (n.type !== 'call') return false;
  const q = module.callee(n);
  return !!q && (isSklearnTransformer(q) || COMPOSITE_PREPROCESSING.test(q) || (PIPELINES.has(q) && pipelineWithPreprocessing(module, n, depth + 1)));
}


/** Calls that read saved weights or models back. */
const LOAD_METHODS = new Set(['load_weights', 'load_state_dict', 'load_model']);
const LOAD_FUNCTIONS = new Set(['torch.load', 'joblib.load', 'pickle.load', 'tensorflow.keras.models.load_model', 'keras.models.load_model', 'keras.saving.load_model']);
/** Calls that train a model: after one of them, a save writes trained weights. */
const TRAIN_METHODS = new Set(['fit', 'fit_generator', 'train_on_batch', 'backward']);

/**
 * A save that snapshots a model before anything is trained, to reset later models to the same start
 * (\`model.save_weights(initial_weights)\` ... \`model.load_weights(initial_weights)\` before each \`fit\`): the
 * module reads the file back itself, and no training call precedes the save. Not a model for serving.
 */
function savesInitialWeights(module: PythonModule, save: Node): boolean {
  const target = callArguments(save).positional[methodReceiver(save) && !SAVE_FUNCTIONS.has(module.callee(save) ?? '') ? 0 : 1];
  if (!target) return false;
  const file = textOf(target);
  const readBack = module.calls.some((c) => {
    if (c.startIndex <= save.startIndex) return false;
    const m = calledMethod(c);
    const q = module.callee(c);
    if (!(m && LOAD_METHODS.has(m)) && !(q && LOAD_FUNCTIONS.has(q))) return false;
    return module.mentions(c, file) || callArguments(c).positional.some((a) => textOf(a) === file);
  });
  if (!readBack) return false;
  return !module.calls.some((c) => c.startIndex < save.startIndex && TRAIN_METHODS.has(calledMethod(c) ?? ''));
}
