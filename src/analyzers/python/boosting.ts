// Gradient-boosting estimators (XGBoost, LightGBM): which `.fit(...)` calls fit which constructor, and
// the `set_params` calls that change it later. Shared by the early-stopping rules STOP007 and STOP008.
import { callArguments } from '../engine/calls';
import { calledMethod, methodReceiver, unwrap, type Node } from '../engine/syntax';
import type { PythonModule } from './module';
import { constructedBy, methodCallsOn } from './resolve';

export interface EstimatorFit {
  fit: Node;
  /** The estimator's constructor call. */
  ctor: Node;
  /** The name the estimator is bound to, when `fit` is called through one. */
  name?: string;
}

/** `est.fit(...)` calls whose receiver is built, in this module, by a constructor `isEstimator` accepts. */
export function estimatorFits(module: PythonModule, isEstimator: (qualified: string) => boolean): EstimatorFit[] {
  const out: EstimatorFit[] = [];
  for (const fit of module.calls) {
    if (calledMethod(fit) !== 'fit') continue;
    const receiver = methodReceiver(fit);
    if (!receiver) continue;
    const ctor = constructedBy(module, receiver, fit);
    const q = ctor && module.callee(ctor);
    if (!ctor || !q || !isEstimator(q)) continue;
    const r = unwrap(receiver);
    out.push({ fit, ctor, name: r.type === 'identifier' ? r.text : undefined });
  }
  return out;
}

/** Keywords passed to `name.set_params(...)` in the same function as `at`; 'unknown' when one spreads **kwargs. */
export function setParamsKeywords(module: PythonModule, name: string | undefined, at: Node): Set<string> | 'unknown' {
  const keys = new Set<string>();
  if (!name) return keys;
  const fn = module.enclosingFunction(at);
  for (const c of methodCallsOn(module, name, ['set_params'])) {
    if (module.enclosingFunction(c)?.id !== fn?.id) continue;
    const args = callArguments(c);
    if (args.hasKwargs) return 'unknown';
    for (const k of args.keywords.keys()) keys.add(k);
  }
  return keys;
}
