import type { Edit } from '../../../shared/findings';
import { argument, callArguments, type ArgLookup } from '../../engine/calls';
import { field, literalValue, namedChildren, nodeRange, unwrap, type Node } from '../../engine/syntax';
import { estimatorFits, setParamsKeywords } from '../../python/boosting';
import { replaceNode } from '../../python/edits';
import type { PythonModule } from '../../python/module';
import {
  addToCallbacks, appendListElement, argConstant, bindingValue, callbacksHold, keywordNode, methodCallsOn, nameInStyle, removeArgument,
  resolveList, runsUnderSweep,
} from '../../python/resolve';
import { defineRule, type Reporter } from '../rule';

/** From this many boosting rounds on (LightGBM's default is 100), validation without early stopping is reported. */
export const MIN_LGB_ROUNDS = 100;
const DEFAULT_ROUNDS = 100;
const STOPPING_ROUNDS = 50;
/** LightGBM's aliases of the early-stopping parameter (docs, "Parameters": early_stopping_round). */
const ES_PARAMS = ['early_stopping_round', 'early_stopping_rounds', 'early_stopping', 'n_iter_no_change'];

function isLgbEstimator(q: string): boolean {
  return /^lightgbm\.(LGBMClassifier|LGBMRegressor|LGBMRanker|LGBMModel)$/.test(q);
}

function isLgbEarlyStopping(q: string): boolean {
  return q === 'lightgbm.early_stopping';
}

export default defineRule({
  code: 'STOP008',
  name: 'lightgbm-early-stopping',
  family: 'STOP',
  severity: 'warning',
  confidence: 'medium',
  fix: 'unsafe',
  messages: {
    removedArgument: "early_stopping_rounds was removed from LightGBM's train()/cv()/fit() in 4.0: this call raises TypeError. Use callbacks=[{{callback}}] instead.",
    neverStopsEarly: '{{what}} but never stops early: every boosting round runs whatever the validation score does. Add callbacks=[{{callback}}].',
  },
  docs: `## What it does
Finds LightGBM early stopping requested through the removed \`early_stopping_rounds=\` argument of \`lgb.train()\`,
\`lgb.cv()\` or \`LGBM*.fit()\` (an error), and training that evaluates on \`valid_sets\`/\`eval_set\` for ${MIN_LGB_ROUNDS} or more rounds
with no \`lgb.early_stopping(...)\` callback and no \`early_stopping_round\` parameter (a warning).

## Why is this bad?
LightGBM 4.0 removed the argument (microsoft/LightGBM#4846 for the scikit-learn \`fit\`, #4908 for \`train\`/\`cv\`):
such calls fail with \`TypeError: train() got an unexpected keyword argument 'early_stopping_rounds'\`. Early stopping is
now the \`lgb.early_stopping\` callback: "Validation score needs to improve at least every \`stopping_rounds\` round(s) to
continue training." Without it, all boosting rounds are trained whatever the validation score does.

Short runs, runs without validation data, parameters dicts the analyzer cannot see, and sweeps that prune trials
(Optuna, Ray Tune) are left alone for the missing case.

## Example
\`\`\`python
import lightgbm as lgb

booster = lgb.train(params, train_set, num_boost_round=1000, valid_sets=[valid_set], early_stopping_rounds=50)
\`\`\`

## Use instead
\`\`\`python
import lightgbm as lgb

booster = lgb.train(
    params, train_set, num_boost_round=1000, valid_sets=[valid_set],
    callbacks=[lgb.early_stopping(stopping_rounds=50), lgb.log_evaluation(100)],
)
\`\`\`

## Fix safety
For the removed argument the fix rewrites \`early_stopping_rounds=N\` to \`callbacks=[lgb.early_stopping(stopping_rounds=N)]\`
(or adds the callback to an existing list). It is safe when the call had no \`callbacks\`: it asks for the same early
stopping through the API that replaced it. For the missing case the fix adds
\`lgb.early_stopping(stopping_rounds=${STOPPING_ROUNDS})\` to \`callbacks\`; that is unsafe, since it changes how many trees are trained.

## References
- \`lightgbm.early_stopping\`: https://lightgbm.readthedocs.io/en/stable/pythonapi/lightgbm.early_stopping.html
- Removal from \`train\`/\`cv\`: https://github.com/lightgbm-org/LightGBM/pull/4908 (formerly microsoft/LightGBM)
- Removal from the scikit-learn \`fit\`: https://github.com/microsoft/LightGBM/pull/4846
- Parameters (\`early_stopping_round\` and aliases): https://lightgbm.readthedocs.io/en/stable/Parameters.html#early_stopping_round
`,

  checkPython(module, reporter) {
    if (!module.importsAny('lightgbm')) return;
    const quiet = module.isTestOrDebugFile() || runsUnderSweep(module);
    const es = nameInStyle(module, ['lightgbm.early_stopping'], { from: 'lightgbm', name: 'early_stopping' });
    const withImport = (edits: Edit[]): Edit[] => (edits.length > 0 && es.importEdit ? [...edits, es.importEdit] : edits);
    for (const call of module.callsTo(['lightgbm.train', 'lightgbm.cv'])) {
      if (removedArgument(module, call, es.expr, withImport, reporter) || quiet || module.callee(call) !== 'lightgbm.train') continue;
      const args = callArguments(call);
      if (!hasValidation(argument(args, 'valid_sets', 3))) continue;
      if (!manyRounds(module, argument(args, 'num_boost_round', 2))) continue;
      if (paramsStop(module, argument(args, 'params', 0), call) !== 'no') continue;
      if (callbacksHold(module, argument(args, 'callbacks'), call, isLgbEarlyStopping) !== 'no') continue;
      reportMissing(module, call, 'lgb.train() evaluates on valid_sets', es.expr, withImport, reporter);
    }
    for (const use of estimatorFits(module, isLgbEstimator)) {
      if (removedArgument(module, use.fit, es.expr, withImport, reporter) || quiet) continue;
      const fitArgs = callArguments(use.fit);
      if (!hasValidation(argument(fitArgs, 'eval_set'))) continue;
      const ctorArgs = callArguments(use.ctor);
      if (ctorArgs.hasKwargs || ES_PARAMS.some((k) => ctorArgs.keywords.has(k))) continue;
      if (!manyRounds(module, argument(ctorArgs, 'n_estimators'))) continue;
      const later = setParamsKeywords(module, use.name, use.fit);
      if (later === 'unknown' || ES_PARAMS.some((k) => later.has(k))) continue;
      if (callbacksHold(module, argument(fitArgs, 'callbacks'), use.fit, isLgbEarlyStopping) !== 'no') continue;
      reportMissing(module, use.fit, 'fit() evaluates on eval_set', es.expr, withImport, reporter);
    }
  },
});

/** The removed `early_stopping_rounds=` keyword: report it and rewrite it to the callback. */
function removedArgument(module: PythonModule, call: Node, esExpr: string, withImport: (e: Edit[]) => Edit[], reporter: Reporter): boolean {
  const args = callArguments(call);
  const value = args.keywords.get('early_stopping_rounds');
  if (!value) return false;
  const kw = keywordNode(value)!;
  const element = `${esExpr}(stopping_rounds=${value.text})`;
  const callbacks = argument(args, 'callbacks');
  let edits: Edit[] = [];
  if (callbacks.kind === 'absent') {
    edits = [replaceNode(kw, `callbacks=[${element}]`)];
  } else if (callbacks.kind === 'present') {
    const list = unwrap(callbacks.node);
    const target = list.type === 'list' ? list : list.type === 'identifier' ? bindingValue(module, list.text, call) : undefined;
    if (target && unwrap(target).type === 'list' && resolveList(module, callbacks.node, call).kind === 'known') {
      edits = [removeArgument(module, call, kw), appendListElement(module, unwrap(target), element)];
    }
  }
  reporter.report({
    range: nodeRange(kw),
    severity: 'error',
    messageId: 'removedArgument',
    data: { callback: element },
    fixes: edits.length > 0 ? [{ title: `Use the ${esExpr}() callback`, safe: callbacks.kind === 'absent', edits: withImport(edits) }] : [],
  });
  return true;
}

function reportMissing(module: PythonModule, call: Node, what: string, esExpr: string, withImport: (e: Edit[]) => Edit[], reporter: Reporter): void {
  const element = `${esExpr}(stopping_rounds=${STOPPING_ROUNDS})`;
  const edit = addToCallbacks(module, call, element);
  reporter.report({
    range: nodeRange(field(call, 'function') ?? call),
    messageId: 'neverStopsEarly',
    data: { what, callback: element },
    fixes: edit ? [{ title: `Add ${esExpr}(stopping_rounds=${STOPPING_ROUNDS})`, safe: false, edits: withImport([edit]) }] : [],
  });
}

function hasValidation(lookup: ArgLookup): boolean {
  if (lookup.kind !== 'present') return false;
  const n = unwrap(lookup.node);
  if (literalValue(n) === null) return false;
  return !((n.type === 'list' || n.type === 'tuple') && namedChildren(n).length === 0);
}

function manyRounds(module: PythonModule, lookup: ArgLookup): boolean {
  const v = argConstant(module, lookup);
  const n = v === 'absent' || v === null ? DEFAULT_ROUNDS : v;
  return typeof n === 'number' && n >= MIN_LGB_ROUNDS;
}

/** Does the params dict turn early stopping on? 'unknown' unless it is a dict literal we can read in full. */
function paramsStop(module: PythonModule, lookup: ArgLookup, call: Node): 'yes' | 'no' | 'unknown' {
  if (lookup.kind !== 'present') return 'unknown';
  let dict = unwrap(lookup.node);
  const name = dict.type === 'identifier' ? dict.text : undefined;
  if (name) {
    const value = bindingValue(module, name, call);
    if (!value) return 'unknown';
    dict = unwrap(value);
    // `params["early_stopping_round"] = 50` or `params.update(...)` change the dict after it is built.
    if (methodCallsOn(module, name, ['update', 'setdefault']).length > 0) return 'unknown';
    if (new RegExp(`\\b${name}\\s*\\[`).test(module.text)) return 'unknown';
  }
  if (dict.type === 'call' && field(dict, 'function')?.text === 'dict') {
    const a = callArguments(dict);
    if (a.hasKwargs || a.positional.length > 0) return 'unknown';
    return ES_PARAMS.some((k) => a.keywords.has(k)) ? 'yes' : 'no';
  }
  if (dict.type !== 'dictionary') return 'unknown';
  for (const entry of namedChildren(dict)) {
    if (entry.type === 'dictionary_splat') return 'unknown';
    if (entry.type !== 'pair') continue;
    const key = literalValue(field(entry, 'key'));
    if (typeof key !== 'string') return 'unknown';
    if (ES_PARAMS.includes(key)) return 'yes';
  }
  return 'no';
}
