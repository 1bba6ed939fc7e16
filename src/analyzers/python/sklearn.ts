// scikit-learn facts for the evaluation rules: which constructors are fitted preprocessing (statistics
// learnt from the data), which estimators classify or regress, the split and cross-validation entry
// points, and whether a target variable is clearly categorical. Anything unclear answers "no evidence".
import { argument, callArguments } from '../engine/calls';
import { calledMethod, contains, dottedName, field, methodReceiver, namedChildren, parentOf, unwrap, type Node } from '../engine/syntax';
import { bindingsAt, parameterNamed, type Binding } from './bindings';
import { argumentsForParameter } from './callsites';
import { KeyedFact } from './facts';
import type { PythonModule } from './module';

/** Transformers whose `fit` learns statistics from the data it sees (stateless ones such as Normalizer are left out). */
const FITTED_TRANSFORMERS = new Set([
  'StandardScaler', 'MinMaxScaler', 'RobustScaler', 'MaxAbsScaler', 'QuantileTransformer', 'PowerTransformer', 'KBinsDiscretizer',
  'PCA', 'TruncatedSVD', 'KernelPCA', 'IncrementalPCA', 'FastICA', 'NMF', 'FactorAnalysis',
  'SelectKBest', 'SelectPercentile', 'SelectFpr', 'SelectFdr', 'SelectFwe', 'GenericUnivariateSelect', 'VarianceThreshold', 'RFE', 'RFECV', 'SelectFromModel',
  'TfidfVectorizer', 'CountVectorizer', 'TfidfTransformer',
  'SimpleImputer', 'KNNImputer', 'IterativeImputer',
  'TargetEncoder', 'OrdinalEncoder', 'OneHotEncoder',
]);

/** Transformers whose fit on all data leaks into validation scores (EVAL001): the encoders are left out (category lists barely leak). */
const LEAKING_TRANSFORMERS = new Set([...FITTED_TRANSFORMERS].filter((n) => !['OrdinalEncoder', 'OneHotEncoder'].includes(n)));

const CLASSIFIERS = new Set([
  'LogisticRegression', 'LogisticRegressionCV', 'SVC', 'LinearSVC', 'NuSVC', 'GaussianNB', 'MultinomialNB', 'BernoulliNB',
  'ComplementNB', 'CategoricalNB', 'LinearDiscriminantAnalysis', 'QuadraticDiscriminantAnalysis', 'Perceptron', 'NearestCentroid',
]);

const CLASSIFICATION_METRICS = new Set([
  'accuracy_score', 'balanced_accuracy_score', 'f1_score', 'precision_score', 'recall_score', 'roc_auc_score', 'classification_report',
  'confusion_matrix', 'log_loss', 'matthews_corrcoef', 'cohen_kappa_score', 'precision_recall_fscore_support', 'top_k_accuracy_score',
  'average_precision_score', 'ConfusionMatrixDisplay', 'RocCurveDisplay', 'roc_curve', 'precision_recall_curve',
]);

const REGRESSION_METRICS = new Set([
  'mean_squared_error', 'mean_absolute_error', 'r2_score', 'root_mean_squared_error', 'mean_absolute_percentage_error',
  'median_absolute_error', 'explained_variance_score', 'mean_squared_log_error', 'max_error',
]);

export const SPLIT_FUNCTIONS = new Set(['sklearn.model_selection.train_test_split', 'sklearn.cross_validation.train_test_split']);
export const CV_FUNCTIONS = new Set(['cross_val_score', 'cross_validate', 'cross_val_predict'].map((n) => `sklearn.model_selection.${n}`));
export const KFOLD = new Set(['sklearn.model_selection.KFold', 'sklearn.model_selection.RepeatedKFold']);
const SEARCH_CV = /^sklearn\.model_selection\.(GridSearchCV|RandomizedSearchCV|HalvingGridSearchCV|HalvingRandomSearchCV)$/;

const ESTIMATOR_LIBS = /^(sklearn|xgboost|lightgbm|catboost)\./;

function lastName(q: string): string {
  return q.slice(q.lastIndexOf('.') + 1);
}

export function isSklearnTransformer(q: string, leakingOnly = false): boolean {
  return q.startsWith('sklearn.') && (leakingOnly ? LEAKING_TRANSFORMERS : FITTED_TRANSFORMERS).has(lastName(q));
}

export type TaskKind = 'classifier' | 'regressor' | 'unknown';

export function estimatorKind(q: string): TaskKind {
  if (!ESTIMATOR_LIBS.test(q)) return 'unknown';
  const name = lastName(q);
  if (/Classifier(CV)?$/.test(name) || CLASSIFIERS.has(name)) return 'classifier';
  if (/Regressor(CV)?$/.test(name) || /^(LinearRegression|Ridge|RidgeCV|Lasso|LassoCV|ElasticNet|ElasticNetCV|SVR|LinearSVR|NuSVR|BayesianRidge|HuberRegressor|Lars|PoissonRegressor|TweedieRegressor|GammaRegressor|QuantileRegressor|TheilSenRegressor|RANSACRegressor|KernelRidge)$/.test(name)) return 'regressor';
  return 'unknown';
}

/** What kind of estimator an expression builds: a constructor, a name bound to one, a pipeline's last step, a search's estimator. */
export function expressionKind(module: PythonModule, expr: Node, at: Node, depth = 0): TaskKind {
  if (depth > 4) return 'unknown';
  const n = unwrap(expr);
  if (n.type === 'identifier' || n.type === 'attribute') {
    const name = dottedName(n);
    if (!name) return 'unknown';
    const bindings = reachingBindings(module, name, at);
    let kind: TaskKind | undefined;
    for (const b of bindings) {
      if (b.kind !== 'value') return 'unknown';
      const k = expressionKind(module, b.value, b.assignment, depth + 1);
      if (kind !== undefined && k !== kind) return 'unknown';
      kind = k;
    }
    return kind ?? 'unknown';
  }
  if (n.type !== 'call') return 'unknown';
  const q = module.callee(n);
  if (!q) return 'unknown';
  if (q === 'sklearn.pipeline.make_pipeline') {
    const args = callArguments(n).positional;
    return args.length > 0 ? expressionKind(module, args[args.length - 1], at, depth + 1) : 'unknown';
  }
  if (q === 'sklearn.pipeline.Pipeline') {
    const steps = callArguments(n).positional[0] ?? callArguments(n).keywords.get('steps');
    const list = steps && unwrap(steps);
    const items = list && list.type === 'list' ? namedChildren(list).filter((c) => c.type !== 'comment') : [];
    const last = items[items.length - 1];
    const est = last && last.type === 'tuple' ? namedChildren(last)[1] : undefined;
    return est ? expressionKind(module, est, at, depth + 1) : 'unknown';
  }
  if (SEARCH_CV.test(q)) {
    const est = argument(callArguments(n), 'estimator', 0);
    return est.kind === 'present' ? expressionKind(module, est.node, at, depth + 1) : 'unknown';
  }
  return estimatorKind(q);
}

/** Label encoders and factorisation produce integer class ids. */
function isLabelEncoding(module: PythonModule, value: Node, at: Node): boolean {
  const v = unwrap(value);
  if (v.type === 'subscript') {
    // `pd.factorize(df.y)[0]`
    const inner = field(v, 'value');
    return !!inner && isLabelEncoding(module, inner, at);
  }
  if (v.type === 'attribute') {
    // `df["y"].astype("category").cat.codes`
    return /\.cat\.codes$/.test(v.text);
  }
  if (v.type !== 'call') return false;
  const q = module.callee(v);
  if (q === 'pandas.factorize') return true;
  const method = calledMethod(v);
  if (method !== 'fit_transform' && method !== 'transform') return false;
  const receiver = methodReceiver(v);
  if (!receiver) return false;
  const r = unwrap(receiver);
  const ctor = r.type === 'call' ? module.callee(r) : undefined;
  if (ctor) return ctor === 'sklearn.preprocessing.LabelEncoder';
  const name = dottedName(r);
  if (!name) return false;
  const bindings = bindingsAt(module, name, at);
  return bindings.length > 0 && bindings.every((b) => b.kind === 'value' && unwrap(b.value).type === 'call' && module.callee(unwrap(b.value)) === 'sklearn.preprocessing.LabelEncoder');
}

interface TargetEvidence {
  classification: boolean;
  regression: boolean;
}

const sklearnCallsCache = new KeyedFact<'split' | 'cv' | 'kfold' | 'metrics', Node[]>();

/** Calls to a set of sklearn functions, computed once per module and set (several rules ask). */
export function sklearnCalls(module: PythonModule, key: 'split' | 'cv' | 'kfold' | 'metrics'): Node[] {
  return sklearnCallsCache.get(module, key, () => {
    const names = key === 'split' ? SPLIT_FUNCTIONS : key === 'cv' ? CV_FUNCTIONS : key === 'kfold' ? KFOLD : METRIC_FUNCTIONS;
    return module.callsTo(names);
  });
}

/**
 * Bindings of `name` that reach `at`. At module level (a script, or a notebook's cells in order) names are often
 * rebound for another task: `model = LinearRegression()` in one cell, `model = RandomForestClassifier()` in a later
 * one. When `at` is a top-level statement and so is the nearest binding before it, only that binding reaches it.
 */
function reachingBindings(module: PythonModule, name: string, at: Node): Binding[] {
  const all = bindingsAt(module, name, at);
  if (all.length < 2 || !topLevel(module, at)) return all;
  const before = all.filter((b) => b.kind !== 'parameter' && b.assignment.startIndex < at.startIndex).sort((a, b) => (a as { assignment: Node }).assignment.startIndex - (b as { assignment: Node }).assignment.startIndex);
  const last = before[before.length - 1];
  return last && last.kind !== 'parameter' && topLevel(module, last.assignment) ? [last] : all;
}

/**
 * Does `use` read the same binding of `name` as `at` does? Only decided for top-level statements (a script or
 * notebook run top to bottom): a top-level rebinding between them means another value. Elsewhere: yes.
 */
function sameBinding(module: PythonModule, name: string, at: Node, use: Node): boolean {
  // A use in a module-level loop or branch (a notebook cell's `for gamma in ...: SVR().fit(X, y)`) still reads what the
  // straight-line module code bound before it; only rebindings inside functions are out of view.
  if (!moduleScope(module, at) || !moduleScope(module, use)) return true;
  const assignments = module.assignmentsTo(name).filter((a) => topLevel(module, a));
  // `X_train, X_test, y_train, y_test = train_test_split(X, y)`: a use before it reads an older y_train.
  if (use.startIndex < at.startIndex && assignments.some((a) => contains(a, at) && !contains(a, use))) return false;
  const [from, to] = at.startIndex < use.startIndex ? [at, use] : [use, at];
  // A rebinding after the earlier point's statement begins and before the later point.
  return !assignments.some((a) => a.startIndex > enclosingStatementStart(from) && a.startIndex < to.startIndex && !contains(a, to));
}

function enclosingStatementStart(node: Node): number {
  let n = node;
  for (let p = parentOf(n); p && p.type !== 'module'; p = parentOf(n)) n = p;
  return n.startIndex;
}

/** A node outside any function or class body. */
function moduleScope(module: PythonModule, node: Node): boolean {
  return !module.enclosingFunction(node) && !module.enclosingClass(node);
}

/** A node in a statement directly at module level, outside any function, class, loop or branch. */
function topLevel(module: PythonModule, node: Node): boolean {
  if (module.enclosingFunction(node) || module.enclosingClass(node)) return false;
  for (let p = parentOf(node); p; p = parentOf(p)) {
    if (p.type === 'module') return true;
    if (BLOCKS.has(p.type)) return false;
  }
  return false;
}

const BLOCKS = new Set(['if_statement', 'for_statement', 'while_statement', 'try_statement', 'with_statement', 'match_statement', 'block']);

/**
 * Is the target bound to these names clearly categorical? Evidence: a LabelEncoder/factorize binding, a
 * classifier fitted on it (directly or in cross-validation), a classification metric reading it (also inside a local
 * helper it is passed to, one call deep). Any
 * regression evidence (a regressor or a regression metric on it) cancels the answer.
 */
export function isClassificationTarget(module: PythonModule, names: readonly string[], at: Node): boolean {
  const ev: TargetEvidence = { classification: false, regression: false };
  const add = (k: TaskKind) => {
    if (k === 'classifier') ev.classification = true;
    else if (k === 'regressor') ev.regression = true;
  };
  for (const name of names) {
    for (const b of bindingsAt(module, name, at)) {
      if (b.kind === 'value' && isLabelEncoding(module, b.value, b.assignment)) ev.classification = true;
    }
  }
  const scope = module.enclosingFunction(at);
  const sameScope = (c: Node) => module.enclosingFunction(c)?.id === scope?.id;
  const reads = (node: Node | undefined, c: Node) => !!node && names.some((name) => module.mentions(node, name) && sameBinding(module, name, at, c));
  for (const method of ['fit', 'partial_fit']) {
    for (const fit of module.methodCalls(method)) {
      if (!sameScope(fit)) continue;
      const args = callArguments(fit);
      const y = argument(args, 'y', 1);
      if (y.kind !== 'present' || !reads(y.node, fit)) continue;
      add(expressionKind(module, methodReceiver(fit)!, fit));
    }
  }
  for (const call of sklearnCalls(module, 'cv')) {
    if (!sameScope(call)) continue;
    const args = callArguments(call);
    const y = argument(args, 'y', 2);
    const est = argument(args, 'estimator', 0);
    if (y.kind === 'present' && est.kind === 'present' && reads(y.node, call)) add(expressionKind(module, est.node, call));
  }
  for (const call of sklearnCalls(module, 'metrics')) {
    const first = callArguments(call).positional.slice(0, 2);
    // In a local helper (`def compute_score(y_true, y_score): ... log_loss(y_true, y_score)`): the target reaches the
    // metric when a call in this scope passes it for the parameter the metric reads.
    const helper = sameScope(call) ? undefined : module.enclosingFunction(call);
    const passed = (a: Node) => {
      const param = unwrap(a);
      if (!helper || param.type !== 'identifier' || !parameterNamed(helper, param.text)) return false;
      return (argumentsForParameter(module, helper, param.text) ?? []).some((v) => sameScope(v) && reads(v, v));
    };
    if (!first.some((a) => (helper ? passed(a) : reads(a, call)))) continue;
    const name = lastName(module.callee(call)!);
    if (CLASSIFICATION_METRICS.has(name)) ev.classification = true;
    else ev.regression = true;
  }
  return ev.classification && !ev.regression;
}

const METRIC_FUNCTIONS = new Set([...CLASSIFICATION_METRICS, ...REGRESSION_METRICS].map((n) => `sklearn.metrics.${n}`));

/** scikit-learn's bundled data sets whose target is continuous (load_boston was removed in 1.2, but old notebooks call it). */
const REGRESSION_DATASETS = new Set([
  'load_boston', 'load_diabetes', 'load_linnerud', 'fetch_california_housing', 'make_regression', 'make_friedman1', 'make_friedman2',
  'make_friedman3', 'make_sparse_uncorrelated',
].map((n) => `sklearn.datasets.${n}`));

/** Bundled classification data sets stored sorted by class: unshuffled K-fold folds hold whole classes. */
export const CLASS_SORTED_DATASETS = new Set(['load_iris', 'load_wine'].map((n) => `sklearn.datasets.${n}`));

/** Is this target the continuous target of a scikit-learn regression data set? */
export function isRegressionDatasetTarget(module: PythonModule, target: Node, at: Node): boolean {
  const loader = datasetOfTarget(module, target, at);
  return loader !== undefined && REGRESSION_DATASETS.has(loader);
}

/**
 * The scikit-learn loader a target comes from: `boston.target` after `boston = load_boston()`, `y` bound to it,
 * or `X, y = load_diabetes(return_X_y=True)`. Undefined when it is not plainly one.
 */
export function datasetOfTarget(module: PythonModule, target: Node, at: Node, depth = 0): string | undefined {
  if (depth > 3) return undefined;
  const t = unwrap(target);
  const loaderOf = (v: Node | undefined) => {
    const c = v && unwrap(v);
    const q = c?.type === 'call' ? module.callee(c) : undefined;
    return q?.startsWith('sklearn.datasets.') ? q : undefined;
  };
  if (t.type === 'attribute' && field(t, 'attribute')?.text === 'target') {
    const obj = field(t, 'object')!;
    const direct = loaderOf(obj);
    if (direct) return direct;
    const name = dottedName(obj);
    const loaders = name ? bindingsAt(module, name, at).map((b) => (b.kind === 'value' ? loaderOf(b.value) : undefined)) : [];
    return loaders.length > 0 && loaders.every((l) => l === loaders[0]) ? loaders[0] : undefined;
  }
  if (t.type !== 'identifier') return undefined;
  for (const a of module.assignmentsTo(t.text)) {
    if (module.enclosingFunction(a)?.id !== module.enclosingFunction(at)?.id || a.startIndex > at.startIndex) continue;
    const left = field(a, 'left');
    const right = field(a, 'right');
    if (!left || !right) continue;
    const viaName = left.type === 'identifier' ? datasetOfTarget(module, right, a, depth + 1) : undefined;
    if (viaName) return viaName;
    // `X, y = load_diabetes(return_X_y=True)`: the target is the second of two.
    const targets = left.type === 'pattern_list' || left.type === 'tuple_pattern' ? namedChildren(left) : [];
    if (targets.length === 2 && targets[1].text === t.text && loaderOf(right)) return loaderOf(right);
  }
  return undefined;
}
