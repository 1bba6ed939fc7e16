import type { Edit } from '../../../shared/findings';
import { argument, callArguments } from '../../engine/calls';
import { field, literalValue, namedChildren, nodeRange, unwrap, type Node } from '../../engine/syntax';
import { estimatorFits, setParamsKeywords } from '../../python/boosting';
import { appendArguments } from '../../python/edits';
import type { PythonModule } from '../../python/module';
import { argConstant, callbacksHold, keywordNode, removeArgument, runsUnderSweep } from '../../python/resolve';
import { defineRule, type Reporter } from '../rule';

/**
 * From this many boosting rounds on, training with an eval set but no early stopping is reported.
 * The sklearn estimators default to 100 rounds (`n_estimators`), `xgb.train` to 10 (`num_boost_round`).
 */
export const MIN_XGB_ROUNDS = 100;
const DEFAULT_N_ESTIMATORS = 100;
const DEFAULT_NUM_BOOST_ROUND = 10;
const STOPPING_ROUNDS = 50;

const MOVED_FIT_KWARGS = ['early_stopping_rounds', 'eval_metric'];

function isXgbEstimator(q: string): boolean {
  return /^xgboost\.(XGBClassifier|XGBRegressor|XGBRanker|XGBModel)$/.test(q);
}

function isXgbEarlyStopping(q: string): boolean {
  return q === 'xgboost.callback.EarlyStopping' || /EarlyStopping$/.test(q);
}

export default defineRule({
  code: 'STOP007',
  name: 'xgboost-early-stopping',
  family: 'STOP',
  severity: 'warning',
  confidence: 'medium',
  fix: 'unsafe',
  messages: {
    movedToConstructor: "{{names}} passed to fit(): moved to the estimator's constructor in xgboost 1.6 (deprecated in fit) and removed from fit in 2.0, where {{raises}} TypeError. Pass {{them}} to the constructor or set_params().",
    estimatorNoEarlyStopping: 'fit() evaluates on eval_set but the estimator has no early_stopping_rounds: all {{rounds}} boosting rounds run whatever the validation score does. Set early_stopping_rounds={{stoppingRounds}} in the constructor.',
    trainNoEarlyStopping: 'xgb.train() evaluates on evals but has no early_stopping_rounds: all {{rounds}} boosting rounds run whatever the validation score does. Add early_stopping_rounds={{stoppingRounds}}.',
  },
  docs: `## What it does
Finds XGBoost training that evaluates on a validation set but never stops early, or that passes early stopping in
the wrong place:
- (a) \`XGBClassifier\`/\`XGBRegressor\`/\`XGBRanker\` with \`n_estimators\` of ${MIN_XGB_ROUNDS} or more (the default is 100) fitted
  with \`eval_set=...\` and no \`early_stopping_rounds\` in the constructor, \`set_params\` or an \`EarlyStopping\` callback;
- (b) \`early_stopping_rounds=\` or \`eval_metric=\` passed to \`.fit()\`;
- (c) \`xgb.train(params, dtrain, num_boost_round>=${MIN_XGB_ROUNDS}, evals=[...])\` without \`early_stopping_rounds\`.

## Why is this bad?
Without early stopping every one of the \`n_estimators\` rounds is trained whatever the validation loss does, which
costs time and usually overfits. \`early_stopping_rounds\` and \`eval_metric\` moved from \`fit\` to the constructor in
xgboost 1.6 (dmlc/xgboost#7408; \`fit\` then warned "\`eval_metric\` in \`fit\` method is deprecated for better compatibility
with scikit-learn, use \`eval_metric\` in constructor or \`set_params\` instead"), and xgboost 2.0 removed them from
\`fit\`, where they now raise \`TypeError: fit() got an unexpected keyword argument\`.

Short runs, runs without an eval set and sweeps that prune trials (Optuna, Ray Tune) are left alone.

## Example
\`\`\`python
import xgboost as xgb

model = xgb.XGBClassifier(n_estimators=2000, learning_rate=0.05)
model.fit(X_train, y_train, eval_set=[(X_valid, y_valid)], early_stopping_rounds=50)
\`\`\`

## Use instead
\`\`\`python
import xgboost as xgb

model = xgb.XGBClassifier(n_estimators=2000, learning_rate=0.05, early_stopping_rounds=50, eval_metric="logloss")
model.fit(X_train, y_train, eval_set=[(X_valid, y_valid)])
\`\`\`

## Fix safety
For (b) the fix moves \`early_stopping_rounds\`/\`eval_metric\` from \`fit\` to the constructor when the estimator is
constructed in the same function; for (a) and (c) it adds \`early_stopping_rounds=${STOPPING_ROUNDS}\`. All are unsafe: (a) and (c)
change how many trees are trained, and a moved \`eval_metric\` also applies to every later \`fit\` of that estimator.

## References
- XGBoost scikit-learn interface (early stopping): https://xgboost.readthedocs.io/en/stable/python/sklearn_estimator.html
- Moving the arguments to the constructor: https://github.com/dmlc/xgboost/pull/7408 ; https://github.com/dmlc/xgboost/issues/6751
- XGBoost 2.0 release notes: https://xgboost.readthedocs.io/en/stable/changes/v2.0.0.html
- \`xgboost.train\`: https://xgboost.readthedocs.io/en/stable/python/python_api.html#xgboost.train
`,

  checkPython(module, reporter) {
    if (!module.importsAny('xgboost')) return;
    const quiet = module.isTestOrDebugFile() || runsUnderSweep(module);
    for (const use of estimatorFits(module, isXgbEstimator)) {
      if (misplacedFitArguments(module, use.fit, use.ctor, reporter)) continue;
      if (!quiet) missingOnEstimator(module, use.fit, use.ctor, use.name, reporter);
    }
    if (!quiet) for (const call of module.callsTo(['xgboost.train'])) missingOnTrain(module, call, reporter);
  },
});

/** (b): early stopping / eval metric given to fit(). */
function misplacedFitArguments(module: PythonModule, fit: Node, ctor: Node, reporter: Reporter): boolean {
  const fitArgs = callArguments(fit);
  const moved = MOVED_FIT_KWARGS.map((k) => fitArgs.keywords.get(k)).filter((n): n is Node => n !== undefined);
  if (moved.length === 0) return false;
  const ctorArgs = callArguments(ctor);
  const names = moved.map((v) => field(keywordNode(v)!, 'name')!.text);
  const movable = module.enclosingFunction(ctor)?.id === module.enclosingFunction(fit)?.id && !ctorArgs.hasKwargs && names.every((n) => !ctorArgs.keywords.has(n));
  const edits: Edit[] = [];
  if (movable) {
    for (const v of moved) edits.push(removeArgument(module, fit, keywordNode(v)!));
    edits.push(appendArguments(module, ctor, moved.map((v) => keywordNode(v)!.text)));
  }
  reporter.report({
    range: nodeRange(keywordNode(moved[0])!),
    messageId: 'movedToConstructor',
    data: { names: names.join(' and '), raises: names.length > 1 ? 'they raise' : 'it raises', them: names.length > 1 ? 'them' : 'it' },
    related: [{ range: nodeRange(field(ctor, 'function') ?? ctor), message: 'estimator constructed here' }],
    fixes: edits.length > 0 ? [{ title: `Move ${names.join(', ')} to the constructor`, safe: false, edits }] : [],
  });
  return true;
}

function hasEvalSet(lookup: ReturnType<typeof argument>): boolean {
  if (lookup.kind !== 'present') return false;
  const n = unwrap(lookup.node);
  if (literalValue(n) === null) return false;
  return !(n.type === 'list' && namedChildren(n).length === 0);
}

/** (a): sklearn estimator with an eval set, many rounds and no early stopping. */
function missingOnEstimator(module: PythonModule, fit: Node, ctor: Node, name: string | undefined, reporter: Reporter): void {
  const fitArgs = callArguments(fit);
  if (!hasEvalSet(argument(fitArgs, 'eval_set'))) return;
  if (argument(fitArgs, 'callbacks').kind !== 'absent') return;
  const ctorArgs = callArguments(ctor);
  const rounds = argConstant(module, argument(ctorArgs, 'n_estimators'));
  const n = rounds === 'absent' || rounds === null ? DEFAULT_N_ESTIMATORS : rounds;
  if (typeof n !== 'number' || n < MIN_XGB_ROUNDS) return;
  const esr = argConstant(module, argument(ctorArgs, 'early_stopping_rounds'));
  if (esr !== 'absent' && esr !== null) return;
  if (callbacksHold(module, argument(ctorArgs, 'callbacks'), ctor, isXgbEarlyStopping) !== 'no') return;
  const later = setParamsKeywords(module, name, fit);
  if (later === 'unknown' || later.has('early_stopping_rounds') || later.has('callbacks')) return;
  const sameScope = module.enclosingFunction(ctor)?.id === module.enclosingFunction(fit)?.id;
  reporter.report({
    range: nodeRange(field(fit, 'function') ?? fit),
    messageId: 'estimatorNoEarlyStopping',
    data: { rounds: n, stoppingRounds: STOPPING_ROUNDS },
    related: [{ range: nodeRange(field(ctor, 'function') ?? ctor), message: 'estimator constructed here' }],
    fixes: sameScope ? [{ title: `Add early_stopping_rounds=${STOPPING_ROUNDS} to the constructor`, safe: false, edits: [appendArguments(module, ctor, [`early_stopping_rounds=${STOPPING_ROUNDS}`])] }] : [],
  });
}

/** (c): xgb.train with evals, many rounds and no early stopping. */
function missingOnTrain(module: PythonModule, call: Node, reporter: Reporter): void {
  const args = callArguments(call);
  if (!hasEvalSet(argument(args, 'evals', 3))) return;
  const rounds = argConstant(module, argument(args, 'num_boost_round', 2));
  const n = rounds === 'absent' || rounds === null ? DEFAULT_NUM_BOOST_ROUND : rounds;
  if (typeof n !== 'number' || n < MIN_XGB_ROUNDS) return;
  const esr = argConstant(module, argument(args, 'early_stopping_rounds'));
  if (esr !== 'absent' && esr !== null) return;
  if (callbacksHold(module, argument(args, 'callbacks'), call, isXgbEarlyStopping) !== 'no') return;
  reporter.report({
    range: nodeRange(field(call, 'function') ?? call),
    messageId: 'trainNoEarlyStopping',
    data: { rounds: n, stoppingRounds: STOPPING_ROUNDS },
    fixes: [{ title: `Add early_stopping_rounds=${STOPPING_ROUNDS}`, safe: false, edits: [appendArguments(module, call, [`early_stopping_rounds=${STOPPING_ROUNDS}`])] }],
  });
}
