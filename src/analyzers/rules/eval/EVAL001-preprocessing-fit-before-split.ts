import type { Edit } from '../../../shared/findings';
import { argument, callArguments } from '../../engine/calls';
import { calledMethod, dottedName, field, methodReceiver, nodeRange, parentOf, textOf, unwrap, type Node } from '../../engine/syntax';
import { assignmentsTo, bindingsAt } from '../../python/bindings';
import { previousValue } from '../../python/callsites';
import { replaceNode } from '../../python/edits';
import type { PythonModule } from '../../python/module';
import { nameInStyle } from '../../python/resolve';
import { isSklearnTransformer, sklearnCalls } from '../../python/sklearn';
import { defineRule } from '../rule';

const SPLITTER = /^sklearn\.model_selection\.(\w*KFold|\w*ShuffleSplit|LeaveOneOut|LeaveOneGroupOut|LeavePOut|LeavePGroupsOut|GroupKFold|TimeSeriesSplit|PredefinedSplit)$/;
const SEARCH_CV = /^sklearn\.model_selection\.(GridSearchCV|RandomizedSearchCV|HalvingGridSearchCV|HalvingRandomSearchCV)$/;

export default defineRule({
  code: 'EVAL001',
  name: 'preprocessing-fit-before-split',
  family: 'EVAL',
  severity: 'warning',
  confidence: 'high',
  fix: 'unsafe',
  messages: {
    fittedBeforeSplit: '{{transformer}} is fitted on all of {{input}} before {{splitter}} splits it, so validation rows shape the preprocessing and the scores are optimistic (data leakage). Put it in a pipeline (make_pipeline({{transformer}}(), estimator)) and pass the raw data to the split or cross-validation.',
  },
  docs: `## What it does
Finds a scikit-learn transformer that learns statistics from the data (\`StandardScaler\`, \`MinMaxScaler\`, \`PCA\`,
\`SelectKBest\`, \`TfidfVectorizer\`, \`SimpleImputer\`, …) fitted on the whole data set, whose output then goes into
\`train_test_split\`, \`cross_val_score\`/\`cross_validate\`/\`cross_val_predict\`, a \`*SearchCV.fit\` or a
\`KFold.split\`.

"The whole data" is whatever the split or cross-validation then divides: a transformer fitted on all of \`X_train\`
whose output is grid-searched leaks across the search's folds just as one fitted before \`train_test_split\` leaks into
the test part. The fit may be \`fit_transform\`, \`t.fit(X)\` then \`t.transform(X)\`, or \`t = T().fit(X)\` then
\`t.transform(X)\`; in a notebook or a script that rebinds the same names (\`vect\`, \`X_train\`, \`grid\`) from one
experiment to the next, each use is matched with the latest binding before it.

## Why is this bad?
The validation rows took part in fitting the preprocessing, so their statistics leak into training and the
validation score is optimistic. scikit-learn's "Common pitfalls" calls this data leakage during pre-processing:
"the test data should never be used to make choices about the model … such as fitting the preprocessing steps".
It is smell #21 "Data Leakage" of Zhang et al. (dslinter W5518 \`pipeline-not-used-scikitlearn\`). Unlike the PREP
rules, the fix here is *more* coupling, not less: the transformer must be refitted inside every training fold, which is
what a \`Pipeline\` does. Fitting inside \`for train, test in kf.split(X)\` on the training fold is the correct pattern
and is not reported.

## Example
\`\`\`python
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.preprocessing import StandardScaler

X_scaled = StandardScaler().fit_transform(X)
scores = cross_val_score(LogisticRegression(), X_scaled, y, cv=5)
\`\`\`

## Use instead
\`\`\`python
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

scores = cross_val_score(make_pipeline(StandardScaler(), LogisticRegression()), X, y, cv=5)
\`\`\`

## Fix safety
When the leaked data goes straight into a cross-validation call, the fix wraps the estimator as
\`make_pipeline(<transformer>, <estimator>)\` and passes the raw data instead. It is unsafe: it changes the reported
scores (they become honest, usually lower). For \`train_test_split\` there is no automatic fix: split first, then fit
the transformer on the training part only (or fit a \`Pipeline\` on it).

## References
- scikit-learn, Common pitfalls, "Data leakage during pre-processing": https://scikit-learn.org/stable/common_pitfalls.html
- Zhang et al., smell #21 "Data Leakage": https://hynn01.github.io/ml-smells/
- dslinter W5518: https://github.com/Hynn01/dslinter
`,

  checkPython(module, reporter) {
    if (!module.importsAny('sklearn')) return;
    const fittedList = fittedOnAll(module);
    if (fittedList.length === 0) return;
    const consumers = consumerCalls(module, new Set(fittedList.map((f) => f.result)));
    if (consumers.length === 0) return;
    for (const fitted of fittedList) {
      const consumer = consumers.find((c) => flowsInto(module, fitted, c));
      if (!consumer) continue;
      const fix = pipelineFix(module, fitted, consumer);
      reporter.report({
        range: nodeRange(fitted.call),
        messageId: 'fittedBeforeSplit',
        data: { transformer: fitted.transformer, input: fitted.input ? textOf(fitted.input) : 'the data', splitter: consumer.label },
        related: [{ range: nodeRange(consumer.call), message: `${consumer.label} splits the preprocessed data here` }],
        fixes: fix ? [fix] : [],
      });
    }
  },
});

interface Fitted {
  /** The `fit_transform` (or `fit`) call that sees all the data. */
  call: Node;
  /** The call that produces the transformed data (the same as `call` for fit_transform). */
  producer: Node;
  transformer: string;
  /** The constructor expression, when the transformer is built inline or bound once. */
  ctor?: Node;
  /** The name the transformed data is bound to (`X_scaled`, or `df` for `df[cols] = ...`). */
  result: string;
  /** The data the transformer was fitted on. */
  input?: Node;
}

interface Consumer {
  call: Node;
  label: string;
  /** The argument holding the data. */
  data: Node;
  /** The estimator argument of a cross-validation call. */
  estimator?: Node;
}

/** The transformer constructor behind a receiver: `StandardScaler()` inline, or a name bound once to one. */
function transformerOf(module: PythonModule, receiver: Node, at: Node): { q: string; ctor: Node } | undefined {
  const r = unwrap(receiver);
  if (r.type === 'call') {
    const q = module.callee(r);
    return q && isSklearnTransformer(q, true) ? { q, ctor: r } : undefined;
  }
  const bound = boundValue(module, r, at);
  const v = bound && unwrap(bound);
  const q = v?.type === 'call' ? module.callee(v) : undefined;
  return v && q && isSklearnTransformer(q, true) ? { q, ctor: v } : undefined;
}

/**
 * The value a name holds at `at`: its only binding, else the last assignment before `at` in the same scope
 * (a notebook rebinds `vect`, `grid` or `X_train` from cell to cell; each cell reads the latest one).
 */
function boundValue(module: PythonModule, receiver: Node, at: Node): Node | undefined {
  const name = dottedName(receiver);
  if (!name) return undefined;
  const bindings = bindingsAt(module, name, at);
  if (bindings.length === 1) return bindings[0].kind === 'value' ? bindings[0].value : undefined;
  return receiver.type === 'identifier' ? previousValue(module, name, at) : undefined;
}

/** The name a transformed result is stored under: `Z = ...`, or the frame of `df[cols] = ...`. */
function resultName(module: PythonModule, call: Node): string | undefined {
  const bound = module.boundName(call);
  if (bound) return bound;
  const parent = parentOf(call);
  if (parent?.type !== 'assignment' || field(parent, 'right')?.id !== call.id) return undefined;
  const left = field(parent, 'left');
  if (left?.type !== 'subscript') return undefined;
  const base = field(left, 'value');
  return base ? dottedName(base) : undefined;
}

/** Inside `for train, test in kf.split(X)`: per-fold fitting, the correct pattern (docs/analysis.md, trap 7). */
function insideFoldLoop(module: PythonModule, node: Node): boolean {
  for (let loop = module.enclosingLoop(node); loop; loop = module.enclosingLoop(loop)) {
    const right = field(loop, 'right');
    if (right && /\.split\(|cross_val|\bfold/i.test(textOf(right))) return true;
  }
  return false;
}

function fittedOnAll(module: PythonModule): Fitted[] {
  const out: Fitted[] = [];
  for (const call of module.methodCalls('fit_transform')) {
    const receiver = methodReceiver(call);
    const t = receiver && transformerOf(module, receiver, call);
    if (!t || insideFoldLoop(module, call)) continue;
    const result = resultName(module, call);
    if (!result) continue;
    const input = argument(callArguments(call), 'X', 0);
    out.push({ call, producer: call, transformer: t.q.slice(t.q.lastIndexOf('.') + 1), ctor: t.ctor, result, input: input.kind === 'present' ? input.node : undefined });
  }
  // `scaler.fit(X)` followed by `Z = scaler.transform(X)` on the same data.
  for (const transform of module.methodCalls('transform')) {
    const receiver = methodReceiver(transform);
    const name = receiver && dottedName(receiver);
    if (!name || insideFoldLoop(module, transform)) continue;
    const data = callArguments(transform).positional[0];
    if (!data) continue;
    const fitsSameData = (f: Node) => {
      const first = callArguments(f).positional[0];
      return first !== undefined && textOf(first) === textOf(data);
    };
    let fit = module.methodCalls('fit').find((f) => {
      const r = methodReceiver(f);
      return r !== undefined && textOf(r) === name && f.startIndex < transform.startIndex && fitsSameData(f) &&
        module.enclosingFunction(f)?.id === module.enclosingFunction(transform)?.id;
    });
    // `vect = CountVectorizer().fit(text)` then `X = vect.transform(text)`: the fit is the binding itself.
    let fitReceiver: Node | undefined = receiver;
    if (!fit) {
      const bound = boundValue(module, unwrap(receiver), transform);
      const v = bound && unwrap(bound);
      if (v?.type === 'call' && calledMethod(v) === 'fit' && fitsSameData(v)) {
        fit = v;
        fitReceiver = methodReceiver(v);
      }
    }
    if (!fit || !fitReceiver || insideFoldLoop(module, fit)) continue;
    const t = transformerOf(module, fitReceiver, fit);
    const result = t && resultName(module, transform);
    if (!t || !result) continue;
    out.push({ call: fit, producer: transform, transformer: t.q.slice(t.q.lastIndexOf('.') + 1), result, input: data });
  }
  return out;
}

/** Split and cross-validation calls whose data argument starts with one of the result names. */
function consumerCalls(module: PythonModule, results: ReadonlySet<string>): Consumer[] {
  const headOf = (data: Node): string => {
    const d = unwrap(data);
    const t = textOf(d);
    const m = /^[\w.]+/.exec(t);
    return m ? m[0] : '';
  };
  // `df.drop(...)` and `df[cols]` start with `df`; checking the text first avoids resolving every fit() receiver.
  const relevant = (data: Node) => {
    const head = headOf(data);
    for (const r of results) if (head === r || head.startsWith(`${r}.`) || head.startsWith(`${r}[`)) return true;
    return false;
  };
  const out: Consumer[] = [];
  for (const call of sklearnCalls(module, 'split')) {
    for (const data of callArguments(call).positional) if (relevant(data)) out.push({ call, label: 'train_test_split', data });
  }
  for (const call of sklearnCalls(module, 'cv')) {
    const args = callArguments(call);
    const data = argument(args, 'X', 1);
    const est = argument(args, 'estimator', 0);
    const q = module.callee(call)!;
    if (data.kind === 'present' && relevant(data.node)) out.push({ call, label: q.slice(q.lastIndexOf('.') + 1), data: data.node, estimator: est.kind === 'present' ? est.node : undefined });
  }
  for (const method of ['fit', 'split']) {
    for (const call of module.methodCalls(method)) {
      const receiver = methodReceiver(call);
      const data = callArguments(call).positional[0];
      if (!receiver || !data || !relevant(data)) continue;
      const ctor = constructorOf(module, receiver, call);
      const q = ctor && module.callee(ctor);
      if (!q) continue;
      if (method === 'fit' && SEARCH_CV.test(q)) out.push({ call, label: `${q.slice(q.lastIndexOf('.') + 1)}.fit`, data });
      if (method === 'split' && SPLITTER.test(q)) out.push({ call, label: `${q.slice(q.lastIndexOf('.') + 1)}.split`, data });
    }
  }
  return out.sort((a, b) => a.call.startIndex - b.call.startIndex);
}

function constructorOf(module: PythonModule, receiver: Node, at: Node): Node | undefined {
  const r = unwrap(receiver);
  if (r.type === 'call') return r;
  const bound = boundValue(module, r, at);
  const v = bound && unwrap(bound);
  return v?.type === 'call' ? v : undefined;
}

/** Does the transformed data reach the consumer unchanged: later, same scope, not rebound in between? */
function flowsInto(module: PythonModule, fitted: Fitted, consumer: Consumer): boolean {
  if (consumer.call.startIndex < fitted.producer.startIndex) return false;
  if (module.enclosingFunction(consumer.call)?.id !== module.enclosingFunction(fitted.producer)?.id) return false;
  const data = unwrap(consumer.data);
  const direct = dottedName(data) === fitted.result;
  // `train_test_split(df[features], df["y"])` after `df[cols] = scaler.fit_transform(df[cols])`.
  const head = !direct && (data.type === 'subscript' || data.type === 'call') ? dottedName(field(data, data.type === 'subscript' ? 'value' : 'function') ?? data) : undefined;
  const viaFrame = head !== undefined && (head === fitted.result || head.startsWith(`${fitted.result}.`));
  if (!direct && !viaFrame) return false;
  const assign = parentOf(fitted.producer);
  const rebound = assignmentsTo(module, fitted.result).some((b) =>
    b.assignment.id !== assign?.id && b.assignment.startIndex > fitted.producer.startIndex && b.assignment.startIndex < consumer.call.startIndex);
  return !rebound;
}

/** `cross_val_score(est, Z, y)` -> `cross_val_score(make_pipeline(T(), est), X, y)` when X still holds the raw data. */
function pipelineFix(module: PythonModule, fitted: Fitted, consumer: Consumer) {
  if (!consumer.estimator || !fitted.ctor || !fitted.input || fitted.producer.id !== fitted.call.id) return undefined;
  const input = unwrap(fitted.input);
  const inputName = dottedName(input);
  if (!inputName || inputName === fitted.result || dottedName(unwrap(consumer.data)) !== fitted.result) return undefined;
  const rebound = assignmentsTo(module, inputName).some((b) => b.assignment.startIndex > fitted.call.startIndex && b.assignment.startIndex < consumer.call.startIndex);
  if (rebound) return undefined;
  const pipe = nameInStyle(module, ['sklearn.pipeline.make_pipeline'], { from: 'sklearn.pipeline', name: 'make_pipeline' });
  const edits: Edit[] = [
    replaceNode(consumer.estimator, `${pipe.expr}(${textOf(fitted.ctor)}, ${textOf(consumer.estimator)})`),
    replaceNode(consumer.data, inputName),
  ];
  if (pipe.importEdit) edits.push(pipe.importEdit);
  return { title: `Refit ${fitted.transformer} inside each fold with make_pipeline`, safe: false, edits };
}

