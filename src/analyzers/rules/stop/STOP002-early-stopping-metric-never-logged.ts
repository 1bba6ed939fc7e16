import type { Edit, Fix } from '../../../shared/findings';
import { argument, callArguments, type ArgLookup } from '../../engine/calls';
import { calledMethod, contains, dottedName, field, literalValue, methodReceiver, namedChildren, nodeRange, NOT_LITERAL, parentOf, textOf, unwrap, type Node } from '../../engine/syntax';
import { appendArguments, replaceNode } from '../../python/edits';
import { KERAS_FIT_SLOTS, kerasFitCalls } from '../../python/keras';
import { isLightningModuleClass, LIGHTNING_EARLY_STOPPING, LIGHTNING_MODULE, lightningTrainers, type TrainerUse } from '../../python/lightning';
import { ModuleFact } from '../../python/facts';
import type { PythonModule } from '../../python/module';
import { constantValue, constructedBy, localClass, resolveList } from '../../python/resolve';
import { defineRule, type Reporter } from '../rule';

const KERAS_EARLY_STOPPING = 'keras.callbacks.EarlyStopping';

export default defineRule({
  code: 'STOP002',
  name: 'early-stopping-metric-never-logged',
  family: 'STOP',
  severity: 'error',
  confidence: 'high',
  fix: 'unsafe',
  skipTestFiles: true,
  messages: {
    kerasNoValidationData: "EarlyStopping monitors \"{{monitor}}\"{{default}}, but fit() gets no validation data (validation_data, or validation_split > 0), so the metric never exists: Keras warns \"Early stopping conditioned on metric `{{monitor}}` which is not available\" and never stops. Pass validation data, or monitor \"{{training}}\".",
    lightningNeverLogged: 'EarlyStopping monitors "{{monitor}}", but {{classes}} never logs it (logged: {{logged}}): {{consequence}}. {{advice}}',
  },
  docs: `## What it does
Finds an early-stopping callback that monitors a metric the training never produces. Keras: \`EarlyStopping\` monitoring
a \`val_*\` metric (the default monitor is \`val_loss\`) passed to a \`fit\` that has neither \`validation_data\` nor
\`validation_split\`. Lightning: \`EarlyStopping(monitor=K)\` where the LightningModule of this file never logs \`K\`
with \`self.log(K, …)\` or \`self.log_dict({K: …})\`.

## Why is this bad?
Keras only logs *"Early stopping conditioned on metric \`val_loss\` which is not available"* and never stops: the
callback is a silent no-op and every epoch runs. Lightning (default \`strict=True\`) raises
\`RuntimeError: Early stopping conditioned on metric … which is not available\` at the first validation check, after
a whole epoch of training; with \`strict=False\` it only warns and never stops.

Lightning modules that log keys built at run time (f-strings, \`log_dict(metrics)\`) or inherit logging from a base
class in another file are left alone.

## Example
\`\`\`python
from keras.callbacks import EarlyStopping

model.compile(optimizer="adam", loss="mse")
model.fit(x_train, y_train, epochs=100, callbacks=[EarlyStopping(monitor="val_loss", patience=5)])
\`\`\`

## Use instead
\`\`\`python
from keras.callbacks import EarlyStopping

model.compile(optimizer="adam", loss="mse")
model.fit(x_train, y_train, epochs=100, validation_split=0.2, callbacks=[EarlyStopping(monitor="val_loss", patience=5)])
\`\`\`

## Fix safety
Keras: the first fix monitors the training metric instead (\`monitor="loss"\`); the second adds \`validation_split=0.2\`
(NumPy inputs only). Lightning: the fix renames the monitor to the logged key that matches it apart from separators
(\`val_loss\` ↔ \`val/loss\`), when there is one. All are unsafe: they change when training stops or what it trains on.

## References
- Keras \`EarlyStopping\`: https://keras.io/api/callbacks/early_stopping/
- Keras callbacks source (\`get_monitor_value\` warning): https://github.com/keras-team/keras/blob/master/keras/src/callbacks/early_stopping.py
- Lightning \`EarlyStopping\`: https://lightning.ai/docs/pytorch/stable/api/lightning.pytorch.callbacks.EarlyStopping.html
`,

  checkPython(module, reporter) {
    if (module.importsAny('keras', 'tensorflow')) checkKeras(module, reporter);
    if (module.importsAny('lightning', 'lightning.pytorch')) checkLightning(module, reporter);
  },
});

/** The EarlyStopping constructor calls a callbacks argument holds (resolving names and list variables). */
function constructedCallbacks(module: PythonModule, lookup: ArgLookup, at: Node, isEs: (q: string) => boolean): Node[] {
  if (lookup.kind !== 'present') return [];
  const list = resolveList(module, lookup.node, at);
  if (list.kind === 'unknown') return [];
  const out: Node[] = [];
  for (const el of list.elements) {
    const call = constructedBy(module, el.node, el.at);
    const q = call && module.callee(call);
    if (call && q && isEs(q)) out.push(call);
  }
  return out;
}

function monitorOf(module: PythonModule, es: Node, fallback: string | undefined): { value: string; node?: Node } | undefined {
  const lookup = argument(callArguments(es), 'monitor', 0);
  if (lookup.kind === 'unknown') return undefined;
  if (lookup.kind === 'absent') return fallback === undefined ? undefined : { value: fallback };
  const v = constantValue(module, lookup.node);
  return typeof v === 'string' ? { value: v, node: lookup.node } : undefined;
}

function monitorRange(es: Node, monitor: { node?: Node }) {
  const n = monitor.node;
  if (!n) return nodeRange(field(es, 'function') ?? es);
  const p = parentOf(n);
  return nodeRange(p?.type === 'keyword_argument' ? p : n);
}

function setMonitor(module: PythonModule, es: Node, monitor: { node?: Node }, key: string): Edit {
  return monitor.node ? replaceNode(monitor.node, JSON.stringify(key)) : appendArguments(module, es, [`monitor=${JSON.stringify(key)}`]);
}

// ---------------------------------------------------------------------------------------------------
// Keras: a val_* monitor without validation data.

function checkKeras(module: PythonModule, reporter: Reporter): void {
  const reported = new Set<number>();
  for (const fit of kerasFitCalls(module)) {
    const args = callArguments(fit);
    const data = argument(args, 'validation_data', KERAS_FIT_SLOTS.validation_data);
    const split = argument(args, 'validation_split', KERAS_FIT_SLOTS.validation_split);
    if (data.kind === 'unknown' || split.kind === 'unknown') continue;
    if (data.kind === 'present' && constantValue(module, data.node) !== null) continue;
    if (split.kind === 'present') {
      const v = constantValue(module, split.node);
      if (v !== null && v !== 0) continue;
    }
    // `x` as a tf.data dataset or generator may not be split; the second fix only fits arrays.
    const callbacks = argument(args, 'callbacks', KERAS_FIT_SLOTS.callbacks);
    for (const es of constructedCallbacks(module, callbacks, fit, (q) => q === KERAS_EARLY_STOPPING)) {
      if (reported.has(es.id)) continue;
      const monitor = monitorOf(module, es, 'val_loss');
      if (!monitor || !monitor.value.startsWith('val_')) continue;
      reported.add(es.id);
      const training = monitor.value.slice('val_'.length);
      const fixes: Fix[] = [
        { title: `Monitor the training metric "${training}"`, safe: false, edits: [setMonitor(module, es, monitor, training)] },
      ];
      if (split.kind === 'absent' && data.kind === 'absent') {
        fixes.push({ title: 'Hold out 20% of the training arrays for validation (validation_split=0.2)', safe: false, edits: [appendArguments(module, fit, ['validation_split=0.2'])] });
      }
      reporter.report({
        range: monitorRange(es, monitor),
        messageId: 'kerasNoValidationData',
        data: { monitor: monitor.value, default: monitor.node ? '' : ' (the default)', training },
        related: [{ range: nodeRange(field(fit, 'function') ?? fit), message: 'fit() without validation data' }],
        fixes,
      });
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Lightning: a monitor key the LightningModule never logs.

type Keys = { kind: 'known'; keys: Set<string> } | { kind: 'unknown' };

const LOGGING_RECEIVERS = new Set(['self', 'pl_module', 'lightning_module']);

/** The keys a class (and its local base classes) logs with self.log / self.log_dict; unknown when any key is computed. */
function loggedKeys(module: PythonModule, cls: Node, depth = 0): Keys {
  if (depth > 4) return { kind: 'unknown' };
  const keys = new Set<string>();
  for (const base of module.baseClasses(cls)) {
    if (base === LIGHTNING_MODULE) continue;
    const local = localClass(module, base);
    if (!local) return { kind: 'unknown' };
    const inherited = loggedKeys(module, local, depth + 1);
    if (inherited.kind === 'unknown') return inherited;
    for (const k of inherited.keys) keys.add(k);
  }
  for (const call of [...module.methodCalls('log'), ...module.methodCalls('log_dict')]) {
    if (contains(cls, call) && !addLogged(call, keys)) return { kind: 'unknown' };
  }
  return { kind: 'known', keys };
}

/** Adds the keys a log call writes; false when they cannot be read statically. */
function addLogged(call: Node, keys: Set<string>): boolean {
  const method = calledMethod(call);
  if (method !== 'log' && method !== 'log_dict') return true;
  const receiver = methodReceiver(call);
  if (!receiver || !LOGGING_RECEIVERS.has(textOf(receiver))) return true;
  const args = callArguments(call);
  if (method === 'log') {
    const name = argument(args, 'name', 0);
    if (name.kind !== 'present') return false;
    const v = literalValue(name.node);
    if (typeof v !== 'string') return false;
    keys.add(v);
    return true;
  }
  const dict = argument(args, 'dictionary', 0);
  if (dict.kind !== 'present') return false;
  const d = unwrap(dict.node);
  if (d.type !== 'dictionary') return false;
  for (const pair of namedChildren(d)) {
    if (pair.type === 'comment') continue;
    if (pair.type !== 'pair') return false;
    const k = literalValue(field(pair, 'key'));
    if (typeof k !== 'string') return false;
    keys.add(k);
  }
  return true;
}

/** The local LightningModule classes an EarlyStopping instance watches; undefined when any is outside this file. */
function watchedClasses(module: PythonModule, es: Node): Node[] | undefined {
  // `configure_callbacks()` of the LightningModule itself.
  const owner = module.enclosingClass(es);
  if (owner && isLightningModuleClass(module, owner)) return [owner];
  const classes: Node[] = [];
  for (const { trainer, held } of trainerCallbacks(module)) {
    if (!held.some((c) => c.id === es.id)) continue;
    if (trainer.fits.length === 0) return undefined;
    for (const fit of trainer.fits) {
      const model = argument(callArguments(fit), 'model', 0);
      if (model.kind !== 'present') return undefined;
      const ctor = constructedBy(module, model.node, fit);
      const fn = ctor && field(ctor, 'function');
      const name = fn && dottedName(fn);
      const cls = name ? localClass(module, name) : undefined;
      if (!cls || !isLightningModuleClass(module, cls)) return undefined;
      classes.push(cls);
    }
  }
  return classes.length > 0 ? classes : undefined;
}

const trainerCallbacksCache = new ModuleFact<Array<{ trainer: TrainerUse; held: Node[] }>>();

/** Each Lightning Trainer with the EarlyStopping instances its callbacks list holds, resolved once per module. */
function trainerCallbacks(module: PythonModule) {
  return trainerCallbacksCache.get(module, () => lightningTrainers(module).map((trainer) => ({
    trainer,
    held: constructedCallbacks(module, argument(trainer.args, 'callbacks'), trainer.call, (q) => q === LIGHTNING_EARLY_STOPPING),
  })));
}

/** `val_loss` and `val/loss` differ only in separators; the fix offers the logged spelling. */
function normalise(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** `self.log(k, on_step=True, on_epoch=True)` also produces `k_step` and `k_epoch`. */
function produces(logged: ReadonlySet<string>, m: string): boolean {
  return [...logged].some((k) => m === k || m === `${k}_epoch` || m === `${k}_step`);
}

function checkLightning(module: PythonModule, reporter: Reporter): void {
  const esCalls = module.callsTo([LIGHTNING_EARLY_STOPPING]);
  if (esCalls.length === 0) return;
  // The model must be defined here (cross-file modules are not followed); a key any local module logs is fine,
  // so only the rare unlogged monitor pays for resolving which Trainer fits which model.
  const local = module.classes.filter((c) => isLightningModuleClass(module, c));
  if (local.length === 0) return;
  const anyLogged = new Set<string>();
  for (const cls of local) {
    const keys = loggedKeys(module, cls);
    if (keys.kind === 'known') for (const k of keys.keys) anyLogged.add(k);
  }
  for (const es of esCalls) {
    const monitor = monitorOf(module, es, undefined);
    if (!monitor || produces(anyLogged, monitor.value)) continue;
    const classes = watchedClasses(module, es);
    if (!classes) continue;
    const logged = new Set<string>();
    let unknown = false;
    for (const cls of classes) {
      const keys = loggedKeys(module, cls);
      if (keys.kind === 'unknown') unknown = true;
      else for (const k of keys.keys) logged.add(k);
    }
    // Callbacks defined in this file may log through `pl_module.log(...)`.
    for (const call of [...module.methodCalls('log'), ...module.methodCalls('log_dict')]) {
      if (textOf(methodReceiver(call)!) === 'pl_module' && !addLogged(call, logged)) unknown = true;
    }
    if (unknown) continue;
    const m = monitor.value;
    if (produces(logged, m)) continue;
    const candidate = [...logged].find((k) => normalise(k) === normalise(m));
    const keys = [...logged].sort();
    const strict = argConstantBool(module, argument(callArguments(es), 'strict'));
    reporter.report({
      range: monitorRange(es, monitor),
      messageId: 'lightningNeverLogged',
      data: {
        monitor: m,
        classes: classNames(module, classes),
        logged: keys.length > 0 ? keys.map((k) => `"${k}"`).join(', ') : 'nothing',
        consequence: strict === false ? 'with strict=False Lightning only warns and never stops' : 'Lightning raises "Early stopping conditioned on metric … which is not available" at the first validation check',
        advice: candidate ? `Monitor "${candidate}".` : `Log it with self.log("${m}", ...) in validation_step or monitor a logged key.`,
      },
      fixes: candidate ? [{ title: `Monitor the logged key "${candidate}"`, safe: false, edits: [setMonitor(module, es, monitor, candidate)] }] : [],
    });
  }
}

function argConstantBool(module: PythonModule, lookup: ArgLookup): boolean | undefined {
  if (lookup.kind !== 'present') return undefined;
  const v = constantValue(module, lookup.node);
  return v === NOT_LITERAL || typeof v !== 'boolean' ? undefined : v;
}

function classNames(module: PythonModule, classes: Node[]): string {
  const names = [...new Set(classes.map((c) => field(c, 'name')?.text ?? '?'))];
  return names.join(' / ');
}
