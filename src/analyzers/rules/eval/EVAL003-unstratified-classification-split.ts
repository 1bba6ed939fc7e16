import type { Edit } from '../../../shared/findings';
import { argument, callArguments } from '../../engine/calls';
import { contains, dottedName, endIndexOf, field, literalValue, methodReceiver, namedChildren, nodeRange, parentOf, textOf, unwrap, type Node } from '../../engine/syntax';
import { bindingsAt } from '../../python/bindings';
import { appendArguments, replaceNode } from '../../python/edits';
import type { PythonModule } from '../../python/module';
import { nameInStyle } from '../../python/resolve';
import { kerasClassifiesTargets } from '../../python/keras';
import { CLASS_SORTED_DATASETS, CV_FUNCTIONS, datasetOfTarget, expressionKind, isClassificationTarget, isRegressionDatasetTarget, sklearnCalls } from '../../python/sklearn';
import { defineRule, type Reporter } from '../rule';

const SEARCH_CV = /^sklearn\.model_selection\.(GridSearchCV|RandomizedSearchCV|HalvingGridSearchCV|HalvingRandomSearchCV)$/;

export default defineRule({
  code: 'EVAL003',
  name: 'unstratified-classification-split',
  family: 'EVAL',
  severity: 'info',
  confidence: 'medium',
  fix: 'unsafe',
  skipTestFiles: true,
  messages: {
    unstratifiedSplit: 'train_test_split on a classification target ({{target}}) without stratify=: the class mix of the held-out part changes with the seed, which makes runs hard to compare when classes are imbalanced. Add stratify={{target}}.',
    unstratifiedFrameSplit: 'train_test_split of the whole frame {{frame}}, whose {{column}} column is a classification target, without stratify=: the class mix of the held-out part changes with the seed, which makes runs hard to compare when classes are imbalanced. Add stratify={{label}}.',
    unstratifiedKFold: '{{splitter}} cross-validates a classifier ({{usage}}) without stratification: folds get different class mixes, so fold scores vary more than the model does when classes are imbalanced. Use {{stratified}}.',
  },
  docs: `## What it does
Finds \`train_test_split(X, y)\` without \`stratify=\`, and \`KFold\` cross-validation, where \`y\` is clearly a
classification target: it comes from a \`LabelEncoder\` or \`pd.factorize\`, a classifier is fitted on it, or a
classification metric (\`accuracy_score\`, \`f1_score\`, …) reads it, also inside a local helper it is passed to
(\`compute_score(y_val, scores)\` whose body calls \`log_loss(y_true, y_score)\`). Regression targets, and targets with any
regression evidence, are left alone.

In a script or notebook run top to bottom, a name rebound at top level (the usual notebook habit of reusing \`X\`, \`y\`,
\`y_train\` and \`model\` for a second task in later cells) starts a new value: evidence is taken from the calls that
read the same binding as the split, also when those calls sit in a top-level loop or branch (a regression demo's
\`for gamma in [1, 10]: SVR(gamma=gamma).fit(X, y)\` after \`X, y = make_wave()\` says nothing about the census target
split earlier), and \`model\` means the estimator bound last before it is fitted.

## Why is this bad?
With imbalanced classes an unstratified split changes the validation class mix from run to run: a rare class can be
under-represented or missing in a fold, which makes comparisons between runs noisy and some metrics undefined.
scikit-learn's cross-validation guide: "some classification problems can exhibit a large imbalance in the distribution
of the target classes … it is recommended to use stratified sampling as implemented in \`StratifiedKFold\` and
\`StratifiedShuffleSplit\` to ensure that relative class frequencies is approximately preserved in each train and
validation fold."

## Whole frames and bundled data sets
\`train_df, test_df = train_test_split(df)\` splits the whole frame with its label column; the label is taken out of the
parts afterwards (\`train_labels = train_df.pop("Class")\`). This is reported when the names bound from that column are
classification targets by the evidence above, or are the targets of a Keras model whose every \`compile(loss=...)\` is a
cross-entropy or hinge loss; the fix adds \`stratify=df["Class"]\`.

The target of a scikit-learn regression data set (\`load_boston\`, \`load_diabetes\`, \`fetch_california_housing\`,
\`make_regression\`, …) is continuous whatever else the module fits on the same names, so it is never reported:
\`stratify=\` on it would raise.

An unshuffled \`KFold\` cross-validating the targets of \`load_iris\` or \`load_wine\` is reported whatever the estimator
is: those rows are stored sorted by class, so each fold holds whole classes the training folds never saw (scores near
zero). \`KFold(shuffle=True)\` on them is left to the estimator evidence above.

## Example
\`\`\`python
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
clf = LogisticRegression().fit(X_train, y_train)
\`\`\`

## Use instead
\`\`\`python
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y)
clf = LogisticRegression().fit(X_train, y_train)
\`\`\`

## Fix safety
The fix adds \`stratify=y\` to \`train_test_split\`, or replaces \`KFold\` with \`StratifiedKFold\` (same arguments).
It is unsafe: the split changes, and stratification raises when a class has fewer members than folds.

## References
- scikit-learn cross-validation guide, stratified k-fold: https://scikit-learn.org/stable/modules/cross_validation.html#stratification
- \`train_test_split(stratify=...)\`: https://scikit-learn.org/stable/modules/generated/sklearn.model_selection.train_test_split.html
`,

  checkPython(module, reporter) {
    if (!module.importsAny('sklearn')) return;
    for (const call of sklearnCalls(module, 'split')) checkSplit(module, call, reporter);
    for (const call of sklearnCalls(module, 'split')) checkFrameSplit(module, call, reporter);
    for (const ctor of sklearnCalls(module, 'kfold')) checkKFold(module, ctor, reporter);
  },
});

function checkSplit(module: PythonModule, call: Node, reporter: Reporter): void {
  const args = callArguments(call);
  if (argument(args, 'stratify').kind !== 'absent' || args.starIndex >= 0 || args.positional.length !== 2) return;
  const shuffle = argument(args, 'shuffle');
  // shuffle=False is an ordered (time) split, where stratification is not allowed.
  if (shuffle.kind === 'unknown' || (shuffle.kind === 'present' && literalValue(shuffle.node) !== true)) return;
  const y = unwrap(args.positional[1]);
  if (multiOutput(module, y, call)) return;
  if (isRegressionDatasetTarget(module, y, call)) return;
  const names: string[] = [];
  const yName = dottedName(y);
  if (yName) names.push(yName);
  // `X_train, X_test, y_train, y_test = train_test_split(X, y)`: the target's outputs are the last two.
  const parent = parentOf(call);
  const left = parent?.type === 'assignment' ? field(parent, 'left') : undefined;
  if (left && (left.type === 'pattern_list' || left.type === 'tuple_pattern')) {
    const targets = namedChildren(left);
    if (targets.length === 4) for (const t of targets.slice(2)) { const n = dottedName(t); if (n) names.push(n); }
  }
  if (names.length === 0 || !isClassificationTarget(module, names, call)) return;
  const fixable = y.type === 'identifier' || y.type === 'attribute' || y.type === 'subscript';
  reporter.report({
    range: nodeRange(field(call, 'function') ?? call),
    messageId: 'unstratifiedSplit',
    data: { target: textOf(y) },
    fixes: fixable ? [{ title: `Stratify the split by ${textOf(y)}`, safe: false, edits: [appendArguments(module, call, [`stratify=${textOf(y)}`])] }] : [],
  });
}

/**
 * `train_df, test_df = train_test_split(df)`: the whole frame, label column included, is split; the label is taken
 * out of the parts afterwards (`train_labels = train_df.pop("Class")`). Reported when the names bound from one
 * such column are classification targets (the same evidence as for `y`, or a Keras model with a classification loss).
 */
function checkFrameSplit(module: PythonModule, call: Node, reporter: Reporter): void {
  const args = callArguments(call);
  if (argument(args, 'stratify').kind !== 'absent' || args.starIndex >= 0 || args.positional.length !== 1) return;
  const shuffle = argument(args, 'shuffle');
  if (shuffle.kind === 'unknown' || (shuffle.kind === 'present' && literalValue(shuffle.node) !== true)) return;
  const frame = unwrap(args.positional[0]);
  const parent = parentOf(call);
  const left = parent?.type === 'assignment' ? field(parent, 'left') : undefined;
  if (frame.type !== 'identifier' || !left || (left.type !== 'pattern_list' && left.type !== 'tuple_pattern')) return;
  const parts = namedChildren(left).map((t) => dottedName(t)).filter((n): n is string => !!n);
  const byColumn = new Map<string, string[]>();
  for (const part of parts) {
    for (const ref of module.referencesTo(part)) {
      if (ref.startIndex < endIndexOf(call) || module.enclosingFunction(ref)?.id !== module.enclosingFunction(call)?.id) continue;
      const column = columnTaken(ref);
      const bound = column !== undefined ? assignedName(ref) : undefined;
      if (column === undefined || !bound) continue;
      byColumn.set(column, [...(byColumn.get(column) ?? []), bound]);
    }
  }
  for (const [column, names] of byColumn) {
    if (!isClassificationTarget(module, names, call) && !kerasClassifiesTargets(module, names)) continue;
    const label = `${frame.text}[${JSON.stringify(column)}]`;
    reporter.report({
      range: nodeRange(field(call, 'function') ?? call),
      messageId: 'unstratifiedFrameSplit',
      data: { frame: frame.text, column: JSON.stringify(column), label },
      fixes: [{ title: `Stratify the split by ${label}`, safe: false, edits: [appendArguments(module, call, [`stratify=${label}`])] }],
    });
    return;
  }
}

/** The column a frame reference takes out: `part.pop("c")` or `part["c"]`. */
function columnTaken(ref: Node): string | undefined {
  const p = parentOf(ref);
  let key: Node | undefined;
  if (p?.type === 'attribute' && field(p, 'attribute')?.text === 'pop') {
    const call = parentOf(p);
    key = call?.type === 'call' ? callArguments(call).positional[0] : undefined;
  } else if (p?.type === 'subscript' && field(p, 'value')?.id === ref.id) {
    key = namedChildren(p)[1];
  }
  const v = key ? literalValue(key) : undefined;
  return typeof v === 'string' ? v : undefined;
}

/** The plain name the statement holding `node` assigns: `labels = np.array(part.pop("c"))` gives `labels`. */
function assignedName(node: Node): string | undefined {
  for (let n = parentOf(node); n; n = parentOf(n)) {
    if (n.type === 'assignment') {
      const left = field(n, 'left');
      return left?.type === 'identifier' && !contains(left, node) ? left.text : undefined;
    }
    if (n.type === 'expression_statement' || n.type === 'block' || n.type === 'module') return undefined;
  }
  return undefined;
}

/** `y = df[["a", "b"]]` (several target columns) cannot be stratified as one label. */
function multiOutput(module: PythonModule, y: Node, at: Node): boolean {
  const isMulti = (n: Node) => n.type === 'subscript' && namedChildren(n).slice(1).some((i) => unwrap(i).type === 'list');
  if (isMulti(y)) return true;
  const name = dottedName(y);
  if (!name) return false;
  return bindingsAt(module, name, at).some((b) => b.kind === 'value' && isMulti(unwrap(b.value)));
}

function checkKFold(module: PythonModule, ctor: Node, reporter: Reporter): void {
  const usage = classifierUsage(module, ctor);
  if (!usage) return;
  const q = module.callee(ctor)!;
  const stratified = q.endsWith('RepeatedKFold') ? 'RepeatedStratifiedKFold' : 'StratifiedKFold';
  const name = nameInStyle(module, [`sklearn.model_selection.${stratified}`], { from: 'sklearn.model_selection', name: stratified });
  const edits: Edit[] = [replaceNode(field(ctor, 'function')!, name.expr)];
  if (name.importEdit) edits.push(name.importEdit);
  reporter.report({
    range: nodeRange(field(ctor, 'function') ?? ctor),
    messageId: 'unstratifiedKFold',
    data: { splitter: q.slice(q.lastIndexOf('.') + 1), usage, stratified },
    fixes: [{ title: `Use ${stratified}`, safe: false, edits }],
  });
}

/** How a KFold object is used for classification: as `cv=` of a classifier's cross-validation, or `split(X, y)` on class labels. */
function classifierUsage(module: PythonModule, ctor: Node): string | undefined {
  const uses: Node[] = [ctor];
  const bound = module.boundName(ctor);
  if (bound) {
    const scope = module.enclosingFunction(ctor);
    for (const ref of module.referencesTo(bound)) {
      if (ref.startIndex > ctor.startIndex && module.enclosingFunction(ref)?.id === scope?.id) uses.push(ref);
    }
  }
  for (const use of uses) {
    const kw = parentOf(use);
    if (kw?.type === 'keyword_argument' && field(kw, 'name')?.text === 'cv') {
      const call = parentOf(parentOf(kw)!);
      if (call?.type !== 'call') continue;
      const q = module.callee(call);
      const args = callArguments(call);
      if (q && CV_FUNCTIONS.has(q)) {
        const est = argument(args, 'estimator', 0);
        const y = argument(args, 'y', 2);
        // load_iris() rows are sorted by class: unshuffled folds hold whole classes, whatever the estimator.
        const loader = y.kind === 'present' ? datasetOfTarget(module, y.node, call) : undefined;
        const shuffle = argument(callArguments(ctor), 'shuffle');
        if (loader && CLASS_SORTED_DATASETS.has(loader) && (shuffle.kind === 'absent' || (shuffle.kind === 'present' && literalValue(shuffle.node) === false))) {
          return `cv= of ${q.slice(q.lastIndexOf('.') + 1)} on ${loader.slice(loader.lastIndexOf('.') + 1)}() targets, whose rows are sorted by class, so unshuffled folds hold whole classes`;
        }
        if (est.kind !== 'present' || expressionKind(module, est.node, call) !== 'classifier') continue;
        if (y.kind === 'present' && isRegressionDatasetTarget(module, y.node, call)) continue;
        // A regression metric on the same target would contradict the classifier.
        const yName = y.kind === 'present' ? dottedName(unwrap(y.node)) : undefined;
        if (yName && !isClassificationTarget(module, [yName], call)) continue;
        return `cv= of ${q.slice(q.lastIndexOf('.') + 1)} with a classifier`;
      }
      if (q && SEARCH_CV.test(q)) {
        const est = argument(args, 'estimator', 0);
        if (est.kind === 'present' && expressionKind(module, est.node, call) === 'classifier') return `cv= of ${q.slice(q.lastIndexOf('.') + 1)} over a classifier`;
      }
      continue;
    }
    // `kf.split(X, y)` where y is a class label.
    const attr = parentOf(use);
    const call = attr?.type === 'attribute' ? parentOf(attr) : undefined;
    if (call?.type === 'call' && methodReceiver(call)?.id === use.id && field(attr!, 'attribute')?.text === 'split') {
      const y = callArguments(call).positional[1];
      const yName = y && dottedName(unwrap(y));
      if (yName && isClassificationTarget(module, [yName], call)) return `split over the class labels ${yName}`;
    }
  }
  return undefined;
}
